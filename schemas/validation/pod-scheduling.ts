/**
 * The parts of pod spec validation that say where and how a pod may run, with kube-apiserver's
 * messages (pkg/apis/core/validation): node and pod affinity, topology spread constraints,
 * seccomp and AppArmor profiles, and the rules of spec.os (what a linux or a windows pod may not
 * set). validatePodSpec in pod.ts calls each where kube's ValidatePodSpec does.
 *
 * | kube rule                                                        | here |
 * |------------------------------------------------------------------|------|
 * | node selector terms: at least one, operators, values, keys       | yes  |
 * | node field selectors: only metadata.name, one value              | yes  |
 * | preferred terms and weighted pod terms: weight 1-100             | yes  |
 * | pod affinity terms: selectors, namespaces, topologyKey           | yes  |
 * | matchLabelKeys / mismatchLabelKeys of pod affinity terms         | yes  |
 * | topology spread: maxSkew, topologyKey, whenUnsatisfiable, pairs  | yes  |
 * | topology spread: minDomains, node inclusion policies, selector   | yes  |
 * | seccompProfile / appArmorProfile fields, pod and containers      | yes  |
 * | os.name linux: no windowsOptions; windows: no linux-only fields  | yes  |
 * | seccomp and AppArmor annotations agreeing with the fields (pod-annotations.ts) | yes |
 * | tolerations: keys, operators and values, effects, tolerationSeconds | yes  |
 */
import type { FieldError } from '../types';
import { labelValueErrors, nameErrors } from '../meta/object-meta';
import {
  type Obj, forbiddenField, invalidValue, isSet, labelErrors, listAt, localDescendingPath, notSupported, num, objAt, qualifiedName, required, str, tooLong,
} from './field-errors';
import { selectorErrors } from './workload-fields';

const NOT_POSITIVE = 'must be greater than zero';

function labelValue(value: string, field: string): FieldError[] {
  return labelValueErrors(value).map((why) => invalidValue(field, value, why));
}

// --- node affinity -------------------------------------------------------------------------

function nodeSelectorRequirement(rq: unknown, allowInvalidValues: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const op = str(rq, 'operator');
  const values = listAt(rq, 'values');
  switch (op) {
    case 'In': case 'NotIn':
      if (values.length === 0) errs.push(required(`${field}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists': case 'DoesNotExist':
      if (values.length > 0) errs.push(forbiddenField(`${field}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt': case 'Lt':
      if (values.length !== 1) errs.push(required(`${field}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalidValue(`${field}.operator`, op, 'not a valid selector operator'));
  }
  errs.push(...qualifiedName(str(rq, 'key'), `${field}.key`));
  if (!allowInvalidValues) values.forEach((v, i) => errs.push(...labelValue(String(v), `${field}.values[${i}]`)));
  return errs;
}

function nodeFieldSelectorRequirement(rq: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const op = str(rq, 'operator');
  const values = listAt(rq, 'values');
  if (op === 'In' || op === 'NotIn') {
    if (values.length !== 1) errs.push(required(`${field}.values`, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else {
    errs.push(invalidValue(`${field}.operator`, op, 'not a valid selector operator'));
  }
  const key = str(rq, 'key');
  if (key !== 'metadata.name') errs.push(invalidValue(`${field}.key`, key, 'not a valid field selector key'));
  else values.forEach((v, i) => errs.push(...nameErrors(String(v), 'dns-subdomain').map((why) => invalidValue(`${field}.values[${i}]`, v, why))));
  return errs;
}

function nodeSelectorTerm(term: unknown, allowInvalidValues: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  listAt(term, 'matchExpressions').forEach((rq, j) => errs.push(...nodeSelectorRequirement(rq, allowInvalidValues, `${field}.matchExpressions[${j}]`)));
  listAt(term, 'matchFields').forEach((rq, j) => errs.push(...nodeFieldSelectorRequirement(rq, `${field}.matchFields[${j}]`)));
  return errs;
}

/** nodeSelectorErrors is ValidateNodeSelector (required node affinity, PersistentVolume node affinity). */
export function nodeSelectorErrors(selector: Obj, field: string): FieldError[] {
  const terms = listAt(selector, 'nodeSelectorTerms');
  if (terms.length === 0) return [required(`${field}.nodeSelectorTerms`, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => nodeSelectorTerm(t, false, `${field}.nodeSelectorTerms[${i}]`));
}

function weight(term: unknown, field: string): FieldError[] {
  const w = num(term, 'weight');
  return w <= 0 || w > 100 ? [invalidValue(`${field}.weight`, w, 'must be in the range 1-100')] : [];
}

function nodeAffinityErrors(na: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const requiredTerms = objAt(na, 'requiredDuringSchedulingIgnoredDuringExecution');
  if (requiredTerms) errs.push(...nodeSelectorErrors(requiredTerms, `${field}.requiredDuringSchedulingIgnoredDuringExecution`));
  listAt(na, 'preferredDuringSchedulingIgnoredDuringExecution').forEach((term, i) => {
    const at = `${field}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    errs.push(...weight(term, at));
    // A preferred term may name label values no node has yet: kube accepts invalid values here.
    errs.push(...nodeSelectorTerm(objAt(term, 'preference'), true, `${at}.preference`));
  });
  return errs;
}

// --- pod affinity ------------------------------------------------------------------------------

function selectorKeys(selector: unknown): Set<string> {
  const keys = new Set<string>();
  const labels = objAt(selector, 'matchLabels');
  if (labels) for (const k of Object.keys(labels)) keys.add(k);
  for (const e of listAt(selector, 'matchExpressions')) keys.add(str(e, 'key'));
  return keys;
}

function matchLabelKeysErrors(term: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const match = listAt(term, 'matchLabelKeys').map(String);
  const mismatch = listAt(term, 'mismatchLabelKeys').map(String);
  if (match.length === 0 && mismatch.length === 0) return errs;
  const selector = objAt(term, 'labelSelector');
  if (!selector) {
    if (match.length) errs.push(forbiddenField(`${field}.matchLabelKeys`, 'must not be specified when labelSelector is not set'));
    if (mismatch.length) errs.push(forbiddenField(`${field}.mismatchLabelKeys`, 'must not be specified when labelSelector is not set'));
    return errs;
  }
  const inSelector = selectorKeys(selector);
  const check = (keys: string[], name: string) =>
    keys.forEach((k, i) => {
      const at = `${field}.${name}[${i}]`;
      const keyErrs = qualifiedName(k, at);
      errs.push(...keyErrs);
      if (!keyErrs.length && inSelector.has(k)) errs.push(invalidValue(at, k, 'exists in both matchLabelKeys and labelSelector'));
    });
  check(match, 'matchLabelKeys');
  check(mismatch, 'mismatchLabelKeys');
  const both = new Set(match.filter((k) => mismatch.includes(k)));
  mismatch.forEach((k, i) => {
    if (both.has(k)) errs.push(invalidValue(`${field}.mismatchLabelKeys[${i}]`, k, 'exists in both matchLabelKeys and mismatchLabelKeys'));
  });
  return errs;
}

function podAffinityTerm(term: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...selectorErrors(objAt(term, 'labelSelector'), `${field}.labelSelector`));
  errs.push(...selectorErrors(objAt(term, 'namespaceSelector'), `${field}.namespaceSelector`));
  for (const ns of listAt(term, 'namespaces')) {
    errs.push(...nameErrors(String(ns), 'dns-label').map((why) => invalidValue(`${field}.namespace`, ns, why)));
  }
  errs.push(...matchLabelKeysErrors(term, field));
  const key = str(term, 'topologyKey');
  if (!key) errs.push(required(`${field}.topologyKey`, 'can not be empty'));
  errs.push(...qualifiedName(key, `${field}.topologyKey`));
  return errs;
}

function podAffinityErrors(pa: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  listAt(pa, 'requiredDuringSchedulingIgnoredDuringExecution').forEach((t, i) => errs.push(...podAffinityTerm(t, `${field}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`)));
  listAt(pa, 'preferredDuringSchedulingIgnoredDuringExecution').forEach((t, i) => {
    const at = `${field}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    errs.push(...weight(t, at));
    errs.push(...podAffinityTerm(objAt(t, 'podAffinityTerm'), `${at}.podAffinityTerm`));
  });
  return errs;
}

/** affinityErrors is validateAffinity on spec.affinity. */
export function affinityErrors(affinity: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const na = objAt(affinity, 'nodeAffinity');
  if (na) errs.push(...nodeAffinityErrors(na, `${field}.nodeAffinity`));
  const pa = objAt(affinity, 'podAffinity');
  if (pa) errs.push(...podAffinityErrors(pa, `${field}.podAffinity`));
  const anti = objAt(affinity, 'podAntiAffinity');
  if (anti) errs.push(...podAffinityErrors(anti, `${field}.podAntiAffinity`));
  return errs;
}

// --- topology spread ---------------------------------------------------------------------------

const WHEN_UNSATISFIABLE = ['DoNotSchedule', 'ScheduleAnyway'];
const NODE_INCLUSION_POLICIES = ['Honor', 'Ignore'];

/** topologySpreadErrors is validateTopologySpreadConstraints on spec.topologySpreadConstraints. */
export function topologySpreadErrors(constraints: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  constraints.forEach((c, i) => {
    const at = `${field}[${i}]`;
    const maxSkew = num(c, 'maxSkew');
    if (maxSkew <= 0) errs.push(invalidValue(`${at}.maxSkew`, maxSkew, NOT_POSITIVE));
    const key = str(c, 'topologyKey');
    if (!key) errs.push(required(`${at}.topologyKey`, 'can not be empty'));
    const when = str(c, 'whenUnsatisfiable');
    if (!WHEN_UNSATISFIABLE.includes(when)) errs.push(notSupported(`${at}.whenUnsatisfiable`, when, WHEN_UNSATISFIABLE));
    // One constraint per {topologyKey, whenUnsatisfiable}; the first of a pair is the one reported.
    if (constraints.slice(i + 1).some((o) => str(o, 'topologyKey') === key && str(o, 'whenUnsatisfiable') === when)) {
      errs.push({ type: 'FieldValueDuplicate', field: `${at}.{topologyKey, whenUnsatisfiable}`, message: `Duplicate value: "{${key}, ${when}}"` });
    }
    if (isSet(c, 'minDomains')) {
      const minDomains = num(c, 'minDomains');
      if (minDomains <= 0) errs.push(invalidValue(`${at}.minDomains`, minDomains, NOT_POSITIVE));
      if (when !== 'DoNotSchedule') errs.push(invalidValue(`${at}.minDomains`, minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${when}`));
    }
    for (const policy of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      if (isSet(c, policy) && !NODE_INCLUSION_POLICIES.includes(str(c, policy))) errs.push(notSupported(`${at}.${policy}`, str(c, policy), NODE_INCLUSION_POLICIES));
    }
    const selector = objAt(c, 'labelSelector');
    const keys = listAt(c, 'matchLabelKeys').map(String);
    if (keys.length && !selector) errs.push(forbiddenField(`${at}.matchLabelKeys`, 'must not be specified when labelSelector is not set'));
    else keys.forEach((k, j) => errs.push(...qualifiedName(k, `${at}.matchLabelKeys[${j}]`)));
    errs.push(...selectorErrors(selector, `${at}.labelSelector`));
  });
  return errs;
}

// --- security profiles -------------------------------------------------------------------------

const PROFILE_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'];

/** seccompProfileErrors is validateSeccompProfileField. */
export function seccompProfileErrors(sp: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(sp, 'type');
  if (!type) errs.push(required(`${field}.type`, 'type is required when seccompProfile is set'));
  else if (!PROFILE_TYPES.includes(type)) errs.push(notSupported(`${field}.type`, type, PROFILE_TYPES));
  if (type === 'Localhost') {
    if (!isSet(sp, 'localhostProfile')) errs.push(required(`${field}.localhostProfile`, 'must be set when seccomp type is Localhost'));
    else errs.push(...localDescendingPath(str(sp, 'localhostProfile'), `${field}.localhostProfile`));
  } else if (isSet(sp, 'localhostProfile')) {
    errs.push({ type: 'FieldValueInvalid', field: `${field}.localhostProfile`, message: `Invalid value: ${goProfile(sp)}: can only be set when seccomp type is Localhost` });
  }
  return errs;
}

/** appArmorProfileErrors is ValidateAppArmorProfileField. */
export function appArmorProfileErrors(profile: Obj, field: string): FieldError[] {
  const type = str(profile, 'type');
  const localhost = profile.localhostProfile;
  switch (type) {
    case 'Localhost': {
      if (typeof localhost !== 'string') return [required(`${field}.localhostProfile`, 'must be set when AppArmor type is Localhost')];
      const errs: FieldError[] = [];
      if (localhost.trim() !== localhost) errs.push(invalidValue(`${field}.localhostProfile`, localhost, 'must not be padded with whitespace'));
      else if (localhost === '') errs.push(required(`${field}.localhostProfile`, 'must be set when AppArmor type is Localhost'));
      if (Buffer.byteLength(localhost) > 4095) errs.push(tooLong(`${field}.localhostProfile`, 4095));
      return errs;
    }
    case 'RuntimeDefault': case 'Unconfined':
      // kube prints the *string pointer here, which Go renders as an address: the message keeps its shape.
      return isSet(profile, 'localhostProfile') ? [{ type: 'FieldValueInvalid', field: `${field}.localhostProfile`, message: `Invalid value: ${JSON.stringify(localhost)}: can only be set when AppArmor type is Localhost` }] : [];
    case '':
      return [required(`${field}.type`, 'type is required when appArmorProfile is set')];
    default:
      return [notSupported(`${field}.type`, type, PROFILE_TYPES)];
  }
}

// goProfile renders a SeccompProfile pointer as %#v prints it in field.Invalid.
function goProfile(sp: Obj): string {
  const local = isSet(sp, 'localhostProfile') ? `(*string)(${JSON.stringify(str(sp, 'localhostProfile'))})` : '(*string)(nil)';
  return `&core.SeccompProfile{Type:${JSON.stringify(str(sp, 'type'))}, LocalhostProfile:${local}}`;
}

/** securityProfileErrors checks the seccomp and AppArmor profiles of one container's securityContext. */
export function securityProfileErrors(sc: Obj | undefined, field: string): FieldError[] {
  if (!sc) return [];
  const errs: FieldError[] = [];
  const seccomp = objAt(sc, 'seccompProfile');
  if (seccomp) errs.push(...seccompProfileErrors(seccomp, `${field}.seccompProfile`));
  const apparmor = objAt(sc, 'appArmorProfile');
  if (apparmor) errs.push(...appArmorProfileErrors(apparmor, `${field}.appArmorProfile`));
  return errs;
}

// --- spec.os -------------------------------------------------------------------------------------

const WINDOWS_POD_FORBIDDEN: Array<[string, string]> = [
  ['appArmorProfile', 'securityContext.appArmorProfile'], ['seLinuxOptions', 'securityContext.seLinuxOptions'], ['hostUsers', 'hostUsers'],
  ['hostPID', 'hostPID'], ['hostIPC', 'hostIPC'], ['seccompProfile', 'securityContext.seccompProfile'], ['fsGroup', 'securityContext.fsGroup'],
  ['fsGroupChangePolicy', 'securityContext.fsGroupChangePolicy'], ['sysctls', 'securityContext.sysctls'], ['shareProcessNamespace', 'shareProcessNamespace'],
  ['runAsUser', 'securityContext.runAsUser'], ['runAsGroup', 'securityContext.runAsGroup'], ['supplementalGroups', 'securityContext.supplementalGroups'],
  ['supplementalGroupsPolicy', 'securityContext.supplementalGroupsPolicy'], ['seLinuxChangePolicy', 'securityContext.seLinuxChangePolicy'],
];
const WINDOWS_CONTAINER_FORBIDDEN = ['appArmorProfile', 'seLinuxOptions', 'seccompProfile', 'capabilities', 'readOnlyRootFilesystem', 'privileged', 'allowPrivilegeEscalation', 'procMount', 'runAsUser', 'runAsGroup'];

function eachContainer(spec: Obj, path: string, visit: (c: unknown, field: string) => void): void {
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) listAt(spec, list).forEach((c, i) => visit(c, `${path}.${list}[${i}]`));
}

/**
 * osErrors is validateLinux / validateWindows: what a pod whose spec.os names its operating
 * system may not set. The pod-level fields kube keeps in its internal PodSecurityContext
 * (hostPID, hostIPC, hostUsers, shareProcessNamespace) are read from the v1 spec, where they live.
 */
export function osErrors(spec: Obj, path: string): FieldError[] {
  const os = str(objAt(spec, 'os'), 'name');
  const sc = objAt(spec, 'securityContext');
  const errs: FieldError[] = [];
  if (os === 'linux') {
    if (sc && isSet(sc, 'windowsOptions')) errs.push(forbiddenField(`${path}.securityContext.windowsOptions`, 'windows options cannot be set for a linux pod'));
    eachContainer(spec, path, (c, at) => {
      if (isSet(objAt(c, 'securityContext'), 'windowsOptions')) errs.push(forbiddenField(`${at}.securityContext.windowsOptions`, 'windows options cannot be set for a linux pod'));
    });
  } else if (os === 'windows') {
    for (const [name, field] of WINDOWS_POD_FORBIDDEN) {
      const inSpec = name === 'hostPID' || name === 'hostIPC' || name === 'hostUsers' || name === 'shareProcessNamespace';
      const value = inSpec ? spec[name] : sc?.[name];
      // hostPID and hostIPC are plain booleans in the internal type: only true is "set".
      const set = name === 'hostPID' || name === 'hostIPC' ? value === true : name === 'sysctls' ? Array.isArray(value) && value.length > 0 : value !== undefined && value !== null;
      if (set) errs.push(forbiddenField(`${path}.${field}`, 'cannot be set for a windows pod'));
    }
    eachContainer(spec, path, (c, at) => {
      const csc = objAt(c, 'securityContext');
      if (!csc) return;
      for (const name of WINDOWS_CONTAINER_FORBIDDEN) if (isSet(csc, name)) errs.push(forbiddenField(`${at}.securityContext.${name}`, 'cannot be set for a windows pod'));
    });
  }
  return errs;
}

/** tolerationErrors is validateTolerations: keys, operators against values, effects and tolerationSeconds. */
export function tolerationErrors(tolerations: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  tolerations.forEach((t, i) => {
    const at = `${field}[${i}]`;
    const key = str(t, 'key');
    const op = str(t, 'operator');
    const value = str(t, 'value');
    const effect = str(t, 'effect');
    if (key) errs.push(...qualifiedName(key, `${at}.key`));
    if (!key && op !== 'Exists') errs.push(invalidValue(`${at}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (isSet(t, 'tolerationSeconds') && effect !== 'NoExecute') errs.push(invalidValue(`${at}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    if (op === 'Equal' || op === '') {
      const whys = labelErrors({ v: value }, `${at}.operator`).map((e) => e.message.replace(/^Invalid value: "[^"]*": /, ''));
      if (whys.length) errs.push(invalidValue(`${at}.operator`, value, whys.join(';')));
    } else if (op === 'Exists') {
      if (value) errs.push(invalidValue(`${at}.operator`, value, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(notSupported(`${at}.operator`, op, ['Equal', 'Exists']));
    }
    if (effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect)) errs.push(notSupported(`${at}.effect`, effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
  });
  return errs;
}
