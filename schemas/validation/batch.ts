/**
 * batch/v1 workload rules: Job and CronJob, as kube's pkg/apis/batch/validation and
 * pkg/registry/batch/{job,cronjob}/strategy.go apply them (1.32).
 *
 * | kind    | rule (kube)                                                                       | here |
 * |---------|-----------------------------------------------------------------------------------|------|
 * | Job     | without manualSelector the selector and the pod labels are generated               | yes (jobPrepareForCreate) |
 * |         | (batch.kubernetes.io/controller-uid selector; controller-uid, job-name and their   |      |
 * |         | batch.kubernetes.io/ forms on the template; a Job without labels gets the template's)|      |
 * | Job     | generated labels must hold the Job's uid and name; selector must be the generated  | yes  |
 * | Job     | spec.selector required (manualSelector without one is refused), well-formed, and   | yes  |
 * |         | must match the template labels                                                    |      |
 * | Job     | parallelism, completions, activeDeadlineSeconds, backoffLimit,                     | yes  |
 * |         | ttlSecondsAfterFinished, backoffLimitPerIndex, maxFailedIndexes >= 0               |      |
 * | Job     | completionMode NonIndexed|Indexed; Indexed needs completions, parallelism <= 1e5,  | yes  |
 * |         | maxFailedIndexes <= completions; per-index fields need Indexed; pod hostnames of  |      |
 * |         | an Indexed Job must be DNS labels                                                 |      |
 * | Job     | podReplacementPolicy Failed|TerminatingOrFailed (only Failed with podFailurePolicy)| yes  |
 * | Job     | template restartPolicy OnFailure|Never (Never with podFailurePolicy)               | yes  |
 * | Job     | pod template (ValidatePodTemplateSpec)                                             | yes (validation/pod.ts)    |
 * | Job     | podFailurePolicy rules (actions, exit codes, pod conditions, limits) and           | yes  |
 * |         | successPolicy rules (counts and indexes within completions)                       |      |
 * | Job     | update: selector, completionMode, podFailurePolicy, backoffLimitPerIndex,           | yes  |
 * |         | managedBy, successPolicy immutable; completions immutable except an Indexed Job    |      |
 * |         | changing it together with parallelism; template immutable except node affinity,   |      |
 * |         | nodeSelector, tolerations, labels, annotations and schedulingGates of a suspended  |      |
 * |         | Job that never started                                                            |      |
 * | Job     | status rules (counters, conditions, completedIndexes)                              | no: /status runs the main validation |
 * | CronJob | schedule required and parsed as robfig/cron does (its error text); no TZ in the   | yes  |
 * |         | schedule unless the stored one had it, and then not together with timeZone         |      |
 * | CronJob | timeZone an IANA name, not Local, checked on create and when it changes            | yes  |
 * | CronJob | concurrencyPolicy Allow|Forbid|Replace; startingDeadlineSeconds and history       | yes  |
 * |         | limits >= 0; name at most 52 characters on create                                 |      |
 * | CronJob | jobTemplate: the Job spec rules, no selector, manualSelector not true              | yes  |
 */
import type { FieldError, KubeObject } from '../types';
import { nameErrors, qualifiedNameErrors, renderValue } from '../meta/object-meta';
import { goStringMap, invalid, isObj, nonNegative, notSupported, type Obj, objOf, present, required } from './field-errors';
import { validatePodTemplateSpec } from './pod';
import { scheduleError, validTimeZone } from './cron-schedule';
import { goLabelSelector, immutable, selectorErrors, selectorParses, semanticEqual, templateLabelsMismatch } from './workload-fields';
import { labelSelectorFromObject, matches, type LabelSelectorObject } from '../meta/selectors';

const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
const JOB_NAME = 'batch.kubernetes.io/job-name';
const LEGACY_CONTROLLER_UID = 'controller-uid';
const LEGACY_JOB_NAME = 'job-name';

const quote = (s: unknown) => JSON.stringify(String(s ?? ''));
const MAX_PARALLELISM_INDEXED = 100000;
const MAX_FAILED_INDEXES = 100000;

/**
 * jobPrepareForCreate generates the selector and pod labels of a Job that did not ask for a
 * manual selector. Labels the client already set are kept (validation then refuses wrong ones).
 * A Job that had no labels of its own got the template's during defaulting; as in kube, where
 * both are one map, it also gets the generated ones.
 */
export function jobPrepareForCreate(job: KubeObject): void {
  const spec = ((job.spec as Obj | undefined) ??= {}) as Obj;
  if (spec.manualSelector === true) return;
  const meta = (job.metadata ??= {});
  const uid = meta.uid ?? '';
  const name = meta.name ?? '';
  const template = (isObj(spec.template) ? spec.template : (spec.template = {})) as Obj;
  const tmeta = (isObj(template.metadata) ? template.metadata : (template.metadata = {})) as Obj;
  const sharesLabels = isObj(tmeta.labels) && isObj(meta.labels) && semanticEqual(tmeta.labels, meta.labels);
  const labels = (isObj(tmeta.labels) ? tmeta.labels : (tmeta.labels = {})) as Record<string, string>;
  for (const [key, value] of [[LEGACY_JOB_NAME, name], [JOB_NAME, name], [LEGACY_CONTROLLER_UID, uid], [CONTROLLER_UID, uid]]) {
    if (!(key in labels)) labels[key] = value;
  }
  if (sharesLabels) meta.labels = { ...labels };
  const selector = (isObj(spec.selector) ? spec.selector : (spec.selector = {})) as Obj;
  const matchLabels = (isObj(selector.matchLabels) ? selector.matchLabels : (selector.matchLabels = {})) as Record<string, string>;
  if (!(CONTROLLER_UID in matchLabels)) matchLabels[CONTROLLER_UID] = uid;
}

// hasLabel is ValidateHasLabel on the pod template's labels.
function hasLabel(labels: unknown, key: string, expected: string): FieldError[] {
  const field = `spec.template.metadata.labels[${key}]`;
  const actual = isObj(labels) ? labels[key] : undefined;
  if (actual === undefined) return [{ type: 'FieldValueRequired', field, message: expected ? `Required value: ${expected}` : 'Required value' }];
  return actual === expected ? [] : [invalid(field, goStringMap(labels), `must be '${expected}'`)];
}

function generatedSelectorRules(job: KubeObject, requirePrefixed: boolean): FieldError[] {
  const spec = objOf(job.spec);
  if (spec.manualSelector === true || !present(spec.selector)) return [];
  const uid = job.metadata?.uid ?? '';
  const name = job.metadata?.name ?? '';
  const errs: FieldError[] = [];
  if (!uid) errs.push({ type: 'FieldValueRequired', field: 'metadata.uid', message: 'Required value' });
  const labels = objOf(objOf(spec.template).metadata).labels;
  errs.push(...hasLabel(labels, LEGACY_CONTROLLER_UID, uid), ...hasLabel(labels, LEGACY_JOB_NAME, name));
  const expected: Record<string, string> = { [LEGACY_CONTROLLER_UID]: uid, [LEGACY_JOB_NAME]: name };
  if (requirePrefixed) {
    errs.push(...hasLabel(labels, CONTROLLER_UID, uid), ...hasLabel(labels, JOB_NAME, name));
    expected[CONTROLLER_UID] = uid;
    expected[JOB_NAME] = name;
  }
  try {
    if (!matches(labelSelectorFromObject(spec.selector as LabelSelectorObject), expected)) {
      errs.push(invalid('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
    }
  } catch {
    // an unparsable selector is reported by the selector rules
  }
  return errs;
}

const MAX_POD_FAILURE_POLICY_RULES = 20;
const MAX_EXIT_CODE_VALUES = 255;
const MAX_POD_CONDITION_PATTERNS = 20;
const MAX_SUCCESS_POLICY_RULES = 20;
const MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024;
const FAILURE_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const EXIT_CODE_OPERATORS = ['In', 'NotIn'];
const CONDITION_STATUSES = ['False', 'True', 'Unknown'];

const tooMany = (field: string, actual: number, max: number): FieldError => ({ type: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` });
const goList = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
const goInts = (values: unknown[]) => `[]int32{${values.map(String).join(', ')}}`;

/**
 * parseIndexes is validateIndexesFormat: "1,3-5" within [0, completions), increasing; it answers
 * how many indexes the string names, or throws the message kube reports.
 */
export function parseIndexes(text: string, completions: number): number {
  if (text === '') return 0;
  let last: number | undefined;
  let total = 0;
  const int = (part: string) => {
    if (!/^[+-]?\d+$/.test(part)) throw new Error(`cannot convert string to integer for index: ${JSON.stringify(part)}`);
    const n = Number(part);
    if (n >= completions) throw new Error(`too large index: ${JSON.stringify(part)}`);
    return n;
  };
  for (const interval of text.split(',')) {
    const limits = interval.split('-');
    if (limits.length > 2) throw new Error(`the fragment ${JSON.stringify(interval)} violates the requirement that an index interval can have at most two parts separated by '-'`);
    const x = int(limits[0]);
    let y = x;
    if (limits.length > 1) {
      y = int(limits[1]);
      if (x >= y) throw new Error(`non-increasing order, previous: ${x}, current: ${y}`);
    }
    if (last !== undefined && last >= x) throw new Error(`non-increasing order, previous: ${last}, current: ${x}`);
    total += y - x + 1;
    last = y;
  }
  return total;
}

function exitCodeRequirementErrors(req: Obj, at: string, containers: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const op = typeof req.operator === 'string' ? req.operator : '';
  if (op === '') errs.push(required(`${at}.operator`, `valid values: ${goList(EXIT_CODE_OPERATORS)}`));
  else if (!EXIT_CODE_OPERATORS.includes(op)) errs.push(notSupported(`${at}.operator`, op, EXIT_CODE_OPERATORS));
  if (typeof req.containerName === 'string' && !containers.has(req.containerName)) {
    errs.push(invalid(`${at}.containerName`, quote(req.containerName), 'must be one of the container or initContainer names in the pod template'));
  }
  const values = Array.isArray(req.values) ? req.values : [];
  if (values.length === 0) errs.push(invalid(`${at}.values`, goInts(values), 'at least one value is required'));
  else if (values.length > MAX_EXIT_CODE_VALUES) errs.push(tooMany(`${at}.values`, values.length, MAX_EXIT_CODE_VALUES));
  const seen = new Set<unknown>();
  let ordered = true;
  values.forEach((v, j) => {
    if (op === 'In' && v === 0) errs.push(invalid(`${at}.values[${j}]`, '0', 'must not be 0 for the In operator'));
    if (seen.has(v)) errs.push({ type: 'FieldValueDuplicate', field: `${at}.values[${j}]`, message: `Duplicate value: ${String(v)}` });
    seen.add(v);
    if (j > 0 && (values[j - 1] as number) > (v as number)) ordered = false;
  });
  if (!ordered) errs.push(invalid(`${at}.values`, goInts(values), 'must be ordered'));
  return errs;
}

function podConditionPatternErrors(patterns: unknown[], at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (patterns.length > MAX_POD_CONDITION_PATTERNS) errs.push(tooMany(at, patterns.length, MAX_POD_CONDITION_PATTERNS));
  patterns.forEach((raw, j) => {
    const pattern = objOf(raw);
    const type = typeof pattern.type === 'string' ? pattern.type : '';
    for (const why of qualifiedNameErrors(type)) errs.push(invalid(`${at}[${j}].type`, quote(type), why));
    const status = typeof pattern.status === 'string' ? pattern.status : '';
    if (status === '') errs.push(required(`${at}[${j}].status`, `valid values: ${goList(CONDITION_STATUSES)}`));
    else if (!CONDITION_STATUSES.includes(status)) errs.push(notSupported(`${at}[${j}].status`, status, CONDITION_STATUSES));
  });
  return errs;
}

// podFailurePolicyErrors is validatePodFailurePolicy: each rule's action and exactly one of its two matchers.
function podFailurePolicyErrors(spec: Obj, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = Array.isArray(objOf(spec.podFailurePolicy).rules) ? (objOf(spec.podFailurePolicy).rules as unknown[]) : [];
  if (rules.length > MAX_POD_FAILURE_POLICY_RULES) errs.push(tooMany(`${at}.rules`, rules.length, MAX_POD_FAILURE_POLICY_RULES));
  const podSpec = objOf(objOf(spec.template).spec);
  const containers = new Set<string>();
  for (const list of ['containers', 'initContainers']) for (const c of Array.isArray(podSpec[list]) ? (podSpec[list] as unknown[]) : []) containers.add(String(objOf(c).name ?? ''));
  rules.forEach((raw, i) => {
    const rule = objOf(raw);
    const rat = `${at}.rules[${i}]`;
    const action = typeof rule.action === 'string' ? rule.action : '';
    if (action === '') errs.push(required(`${rat}.action`, `valid values: ${goList(FAILURE_ACTIONS)}`));
    else if (action === 'FailIndex') {
      if (!present(spec.backoffLimitPerIndex)) errs.push(invalid(`${rat}.action`, quote(action), 'requires the backoffLimitPerIndex to be set'));
    } else if (!FAILURE_ACTIONS.includes(action)) errs.push(notSupported(`${rat}.action`, action, FAILURE_ACTIONS));
    const onExitCodes = present(rule.onExitCodes);
    const conditions = Array.isArray(rule.onPodConditions) ? rule.onPodConditions : [];
    if (onExitCodes) errs.push(...exitCodeRequirementErrors(objOf(rule.onExitCodes), `${rat}.onExitCodes`, containers));
    if (conditions.length > 0) errs.push(...podConditionPatternErrors(conditions, `${rat}.onPodConditions`));
    // kube omits the value of these two (field.OmitValueType).
    if (onExitCodes && conditions.length > 0) errs.push({ type: 'FieldValueInvalid', field: rat, message: 'Invalid value: specifying both OnExitCodes and OnPodConditions is not supported' });
    if (!onExitCodes && conditions.length === 0) errs.push({ type: 'FieldValueInvalid', field: rat, message: 'Invalid value: specifying one of OnExitCodes and OnPodConditions is required' });
  });
  return errs;
}

// successPolicyErrors is validateSuccessPolicy on an Indexed Job: rules naming counts or indexes within completions.
function successPolicyErrors(spec: Obj, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = Array.isArray(objOf(spec.successPolicy).rules) ? (objOf(spec.successPolicy).rules as unknown[]) : [];
  if (rules.length === 0) errs.push(required(`${at}.rules`, 'at least one rules must be specified when the successPolicy is specified'));
  if (rules.length > MAX_SUCCESS_POLICY_RULES) errs.push(tooMany(`${at}.rules`, rules.length, MAX_SUCCESS_POLICY_RULES));
  const completions = typeof spec.completions === 'number' ? spec.completions : 0;
  rules.forEach((raw, i) => {
    const rule = objOf(raw);
    const rat = `${at}.rules[${i}]`;
    if (!present(rule.succeededCount) && !present(rule.succeededIndexes)) errs.push(required(rat, 'at least one of succeededCount or succeededIndexes must be specified'));
    let total = 0;
    if (typeof rule.succeededIndexes === 'string') {
      const indexes = rule.succeededIndexes;
      if (indexes.length > MAX_SUCCEEDED_INDEXES_LENGTH) errs.push({ type: 'FieldValueTooLong', field: `${rat}.succeededIndexes`, message: `Too long: may not be more than ${MAX_SUCCEEDED_INDEXES_LENGTH} bytes` });
      try {
        total = parseIndexes(indexes, completions);
      } catch (err) {
        errs.push(invalid(`${rat}.succeededIndexes`, quote(indexes), `error parsing succeededIndexes: ${(err as Error).message}`));
      }
    }
    if (typeof rule.succeededCount === 'number') {
      const count = rule.succeededCount;
      errs.push(...nonNegative(count, `${rat}.succeededCount`));
      if (count > completions) errs.push(invalid(`${rat}.succeededCount`, String(count), `must be less than or equal to ${completions} (the number of specified completions)`));
      if (typeof rule.succeededIndexes === 'string' && count > total) {
        errs.push(invalid(`${rat}.succeededCount`, String(count), `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`));
      }
    }
  });
  return errs;
}

// jobSpecRules is validateJobSpec: what a Job and a CronJob's job template share.
function jobSpecRules(spec: Obj, at: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes']) {
    errs.push(...nonNegative(spec[f], `${at}.${f}`));
    if (f === 'maxFailedIndexes' && present(spec.maxFailedIndexes) && !present(spec.backoffLimitPerIndex)) {
      errs.push({ type: 'FieldValueRequired', field: `${at}.backoffLimitPerIndex`, message: 'Required value: when maxFailedIndexes is specified' });
    }
  }
  if (typeof spec.managedBy === 'string' && spec.managedBy.length > 63) {
    errs.push({ type: 'FieldValueTooLong', field: `${at}.managedBy`, message: 'Too long: may not be more than 63 bytes' });
  }
  const mode = spec.completionMode;
  if (present(mode)) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(`${at}.completionMode`, String(mode ?? ''), ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (!present(spec.completions)) errs.push({ type: 'FieldValueRequired', field: `${at}.completions`, message: 'Required value: when completion mode is Indexed' });
      if (typeof spec.parallelism === 'number' && spec.parallelism > MAX_PARALLELISM_INDEXED) {
        errs.push(invalid(`${at}.parallelism`, String(spec.parallelism), `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`));
      }
      if (typeof spec.completions === 'number' && typeof spec.maxFailedIndexes === 'number') {
        if (spec.maxFailedIndexes > spec.completions) errs.push(invalid(`${at}.maxFailedIndexes`, String(spec.maxFailedIndexes), 'must be less than or equal to completions'));
      }
      if (typeof spec.maxFailedIndexes === 'number' && spec.maxFailedIndexes > MAX_FAILED_INDEXES) {
        errs.push(invalid(`${at}.maxFailedIndexes`, String(spec.maxFailedIndexes), `must be less than or equal to ${MAX_FAILED_INDEXES}`));
      }
    }
  }
  if (!present(mode) || mode === 'NonIndexed') {
    for (const f of ['backoffLimitPerIndex', 'maxFailedIndexes']) {
      if (present(spec[f])) errs.push(invalid(`${at}.${f}`, renderValue(spec[f]), 'requires indexed completion mode'));
    }
  }
  if (present(spec.podFailurePolicy)) errs.push(...podFailurePolicyErrors(spec, `${at}.podFailurePolicy`));
  if (present(spec.successPolicy)) {
    if (mode !== 'Indexed') errs.push(invalid(`${at}.successPolicy`, renderValue(spec.successPolicy), 'requires indexed completion mode'));
    else errs.push(...successPolicyErrors(spec, `${at}.successPolicy`));
  }
  const failurePolicy = present(spec.podFailurePolicy);
  if (present(spec.podReplacementPolicy)) {
    const supported = failurePolicy ? ['Failed'] : ['Failed', 'TerminatingOrFailed'];
    if (!supported.includes(String(spec.podReplacementPolicy))) errs.push(notSupported(`${at}.podReplacementPolicy`, String(spec.podReplacementPolicy ?? ''), supported));
  }
  errs.push(...validatePodTemplateSpec(spec.template, `${at}.template`));
  const restartPolicy = objOf(objOf(spec.template).spec).restartPolicy ?? '';
  const restartField = `${at}.template.spec.restartPolicy`;
  if (restartPolicy === 'Always' || restartPolicy === '') {
    errs.push({ type: 'FieldValueRequired', field: restartField, message: 'Required value: valid values: "OnFailure", "Never"' });
  } else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    errs.push(notSupported(restartField, String(restartPolicy), ['OnFailure', 'Never']));
  } else if (failurePolicy && restartPolicy !== 'Never') {
    errs.push(invalid(restartField, quote(restartPolicy), 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return errs;
}

// mutableSchedulingDirectives: what a suspended Job that never started may change in its template.
function withoutSchedulingDirectives(template: unknown): Obj {
  const t = structuredClone(objOf(template));
  const meta = objOf(t.metadata);
  delete meta.labels;
  delete meta.annotations;
  const spec = objOf(t.spec);
  for (const f of ['nodeSelector', 'tolerations', 'schedulingGates']) delete spec[f];
  if (isObj(spec.affinity)) delete spec.affinity.nodeAffinity;
  return t;
}

/** validateJob is ValidateJob with the generated-selector checks, and on update ValidateJobSpecUpdate. */
export function validateJob(job: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objOf(job.spec);
  // The batch.kubernetes.io/ labels are required of new Jobs, and of Jobs created with them.
  const oldLabels = objOf(objOf(objOf(old?.spec).template).metadata).labels;
  const requirePrefixed = !old || (isObj(oldLabels) && CONTROLLER_UID in oldLabels);
  const errs = [...generatedSelectorRules(job, requirePrefixed), ...jobSpecRules(spec, 'spec')];
  if (!present(spec.selector)) errs.push({ type: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' });
  else errs.push(...selectorErrors(spec.selector, 'spec.selector'));
  if (selectorParses(spec.selector)) {
    // A Job's selector, generated or manual, must select its pods; an absent one selects nothing.
    const labels = objOf(objOf(spec.template).metadata).labels;
    errs.push(...templateLabelsMismatch(spec.selector, labels, 'spec.template.metadata.labels'));
  }
  const name = job.metadata?.name ?? '';
  if (spec.completionMode === 'Indexed' && typeof spec.completions === 'number' && spec.completions > 0) {
    const hostname = `${name}-${spec.completions - 1}`;
    if (nameErrors(hostname, 'dns-label').length) errs.push(invalid('metadata.name', quote(name), `will not able to create pod with invalid DNS label: ${hostname}`));
  }
  if (!old) return errs;
  const oldSpec = objOf(old.spec);
  if (spec.completionMode === 'Indexed') {
    if (!semanticEqual(spec.completions, oldSpec.completions) && present(spec.completions) && spec.completions !== spec.parallelism) {
      errs.push(invalid('spec.completions', renderValue(spec.completions), 'can only be modified in tandem with spec.parallelism'));
    }
  } else {
    errs.push(...immutable('spec.completions', spec.completions, oldSpec.completions));
  }
  errs.push(...immutable('spec.selector', spec.selector, oldSpec.selector, goLabelSelector));
  const suspendedNeverStarted = oldSpec.suspend === true && !present(objOf(old.status).startTime);
  const [template, oldTemplate] = suspendedNeverStarted ? [withoutSchedulingDirectives(spec.template), withoutSchedulingDirectives(oldSpec.template)] : [spec.template, oldSpec.template];
  if (!semanticEqual(template, oldTemplate)) errs.push(invalid('spec.template', renderValue(spec.template), 'field is immutable'));
  for (const f of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy']) {
    errs.push(...immutable(`spec.${f}`, spec[f], oldSpec[f]));
  }
  return errs;
}

const CONCURRENCY = ['Allow', 'Forbid', 'Replace'];
const TIME_ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

function timeZoneErrors(tz: unknown): FieldError[] {
  if (!present(tz)) return [];
  const zone = String(tz);
  const field = 'spec.timeZone';
  if (zone === '') return [invalid(field, '""', 'timeZone must be nil or non-empty string')];
  if (zone.split('/').some((p) => p === '.' || p === '..' || p.startsWith('-') || !TIME_ZONE_PART.test(p))) return [invalid(field, quote(zone), `unknown time zone ${zone}`)];
  const errs: FieldError[] = [];
  if (zone.toLowerCase() === 'local') errs.push(invalid(field, quote(zone), 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  if (zone !== 'Local' && !validTimeZone(zone)) errs.push(invalid(field, quote(zone), `unknown time zone ${zone}`));
  return errs;
}

/** validateCronJob is ValidateCronJobCreate, or ValidateCronJobUpdate when old is given. */
export function validateCronJob(cj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objOf(cj.spec);
  const oldSpec = old ? objOf(old.spec) : undefined;
  const errs: FieldError[] = [];
  const schedule = typeof spec.schedule === 'string' ? spec.schedule : '';
  if (schedule === '') errs.push({ type: 'FieldValueRequired', field: 'spec.schedule', message: 'Required value' });
  else {
    const parseError = scheduleError(schedule);
    if (parseError) errs.push(invalid('spec.schedule', quote(schedule), parseError));
    const allowTZ = typeof oldSpec?.schedule === 'string' && oldSpec.schedule.includes('TZ');
    if (allowTZ && schedule.includes('TZ') && present(spec.timeZone)) errs.push(invalid('spec.schedule', quote(schedule), 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    else if (!allowTZ && schedule.includes('TZ')) errs.push(invalid('spec.schedule', quote(schedule), 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  errs.push(...nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone) errs.push(...timeZoneErrors(spec.timeZone));
  const policy = spec.concurrencyPolicy ?? '';
  if (policy === '') errs.push({ type: 'FieldValueRequired', field: 'spec.concurrencyPolicy', message: 'Required value' });
  else if (!CONCURRENCY.includes(String(policy))) errs.push(notSupported('spec.concurrencyPolicy', String(policy), CONCURRENCY));
  const jobSpec = objOf(objOf(spec.jobTemplate).spec);
  errs.push(...jobSpecRules(jobSpec, 'spec.jobTemplate.spec'));
  if (present(jobSpec.selector)) errs.push(invalid('spec.jobTemplate.spec.selector', goLabelSelector(jobSpec.selector), '`selector` will be auto-generated'));
  if (jobSpec.manualSelector === true) errs.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  const name = cj.metadata?.name ?? '';
  if (!old && name.length > 52) errs.push(invalid('metadata.name', quote(name), 'must be no more than 52 characters'));
  return errs;
}
