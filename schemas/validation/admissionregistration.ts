/**
 * admissionregistration.k8s.io/v1 webhook configurations validated as kube's
 * pkg/apis/admissionregistration/validation does it for v1 (unique webhook names, side effects
 * None or NoneOnDryRun, a recognized admissionReviewVersion).
 *
 * | kind | kube rule | covered |
 * |---|---|---|
 * | Validating/MutatingWebhookConfiguration | webhook names required, fully qualified (three segments), unique | yes |
 * | Validating/MutatingWebhookConfiguration | rules: operations required, supported, '*' alone; apiGroups/apiVersions required, '*' alone, no empty versions; resources required, no empty entries, wildcard combinations; scope '*'/Cluster/Namespaced | yes |
 * | Validating/MutatingWebhookConfiguration | failurePolicy Fail/Ignore; matchPolicy Equivalent/Exact; reinvocationPolicy IfNeeded/Never (mutating); sideEffects required, None/NoneOnDryRun; timeoutSeconds 1..30 | yes |
 * | Validating/MutatingWebhookConfiguration | namespaceSelector and objectSelector valid label selectors | yes |
 * | Validating/MutatingWebhookConfiguration | clientConfig: exactly one of url and service; url https with a host, no user, query or fragment; service name and namespace (reported swapped, as kube does), port 1-65535, path segments subdomains | yes |
 * | Validating/MutatingWebhookConfiguration | admissionReviewVersions required, DNS-1035 labels, no duplicates, one of v1/v1beta1 | yes |
 * | Validating/MutatingWebhookConfiguration | matchConditions: names required and unique, CEL expressions compile | yes |
 * | Validating/MutatingWebhookConfiguration | caBundle PEM | no |
 * | Validating/MutatingWebhookConfiguration | update: side effects / review versions relaxed when the stored webhook already had them | no (an update is validated as a create) |
 */
import type { FieldError, KubeObject } from '../types';
import { duplicate, invalidGo, invalidValue, isObj, isSet, listAt, notSupported, objAt, portNumErrors, required, str, type Obj } from './field-errors';
import { nameErrors } from '../meta/object-meta';
import { selectorErrors } from './workload-fields';
import { admissionCelError } from '../admission-cel';

const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const SCOPES = ['*', 'Cluster', 'Namespaced'];
const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const REINVOCATION_POLICIES = ['IfNeeded', 'Never'];
const NO_SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const REVIEW_VERSIONS = ['v1', 'v1beta1'];
const URL_FORM = '; desired format: https://host[/path]';

/** fullyQualifiedNameErrors is IsFullyQualifiedName: a subdomain of at least three segments. */
function fullyQualifiedNameErrors(name: string, field: string): FieldError[] {
  if (name === '') return [required(field)];
  const sub = nameErrors(name, 'dns-subdomain');
  if (sub.length) return [invalidValue(field, name, sub.join(','))];
  if (name.split('.').length < 3) return [invalidValue(field, name, 'should be a domain with at least three segments separated by dots')];
  return [];
}

function resourcesErrors(resources: string[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (resources.length === 0) errs.push(required(field));
  const wildcardSubs = new Set<string>();
  const wildcardResources = new Set<string>();
  let withoutSub = false;
  resources.forEach((r, i) => {
    if (r === '') return void errs.push(required(`${field}[${i}]`));
    const slash = r.indexOf('/');
    if (slash < 0) return void (withoutSub = r !== '*');
    const [res, sub] = [r.slice(0, slash), r.slice(slash + 1)];
    if (wildcardSubs.has(res)) errs.push(invalidValue(`${field}[${i}]`, r, `if '${res}/*' is present, must not specify ${r}`));
    if (wildcardResources.has(sub)) errs.push(invalidValue(`${field}[${i}]`, r, `if '*/${sub}' is present, must not specify ${r}`));
    if (sub === '*') wildcardSubs.add(res);
    if (res === '*') wildcardResources.add(sub);
  });
  if (resources.length > 1 && resources.includes('*/*')) errs.push(invalidGo(field, resources, "if '*/*' is present, must not specify other resources"));
  if (resources.includes('*') && withoutSub) errs.push(invalidGo(field, resources, "if '*' is present, must not specify other resources without subresources"));
  return errs;
}

function ruleErrors(rule: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const ops = listAt(rule, 'operations').map(String);
  if (ops.length === 0) errs.push(required(`${field}.operations`));
  if (ops.length > 1 && ops.includes('*')) errs.push(invalidGo(`${field}.operations`, ops, "if '*' is present, must not specify other operations"));
  ops.forEach((op, i) => {
    if (!OPERATIONS.includes(op)) errs.push(notSupported(`${field}.operations[${i}]`, op, OPERATIONS));
  });
  const groups = listAt(rule, 'apiGroups').map(String);
  if (groups.length === 0) errs.push(required(`${field}.apiGroups`));
  if (groups.length > 1 && groups.includes('*')) errs.push(invalidGo(`${field}.apiGroups`, groups, "if '*' is present, must not specify other API groups"));
  const versions = listAt(rule, 'apiVersions').map(String);
  if (versions.length === 0) errs.push(required(`${field}.apiVersions`));
  if (versions.length > 1 && versions.includes('*')) errs.push(invalidGo(`${field}.apiVersions`, versions, "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (v === '') errs.push(required(`${field}.apiVersions[${i}]`));
  });
  errs.push(...resourcesErrors(listAt(rule, 'resources').map(String), `${field}.resources`));
  if (isSet(rule, 'scope') && !SCOPES.includes(String(rule.scope))) errs.push(notSupported(`${field}.scope`, rule.scope, SCOPES));
  return errs;
}

/** urlErrors is ValidateWebhookURL for a webhook that must use https (admission and CRD conversion webhooks). */
export function urlErrors(raw: string, field: string): FieldError[] {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    // Go's url.Parse takes a URL without a scheme as a bare path: no scheme and no host.
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw)?.[1] ?? '';
    const errs = scheme === 'https' ? [] : [invalidValue(field, scheme, `'https' is the only allowed URL scheme${URL_FORM}`)];
    return [...errs, invalidValue(field, '', `host must be specified${URL_FORM}`)];
  }
  const errs: FieldError[] = [];
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'https') errs.push(invalidValue(field, scheme, `'https' is the only allowed URL scheme${URL_FORM}`));
  if (u.host === '') errs.push(invalidValue(field, u.host, `host must be specified${URL_FORM}`));
  if (u.username || u.password) errs.push(invalidValue(field, u.password ? `${u.username}:${u.password}` : u.username, 'user information is not permitted in the URL'));
  if (u.hash.length > 1) errs.push(invalidValue(field, u.hash.slice(1), 'fragments are not permitted in the URL'));
  if (u.search.length > 1) errs.push(invalidValue(field, u.search.slice(1), 'query parameters are not permitted in the URL'));
  return errs;
}

/** serviceErrors is ValidateWebhookService, called as kube calls it for admission and CRD conversion webhooks. */
export function serviceErrors(svc: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  // kube passes the service's name and namespace to ValidateWebhookService in swapped order,
  // so a missing name is reported at .namespace and a missing namespace at .name.
  if (str(svc, 'namespace') === '') errs.push(required(`${field}.name`));
  if (str(svc, 'name') === '') errs.push(required(`${field}.namespace`));
  const port = typeof svc.port === 'number' ? svc.port : 0;
  const bad = portNumErrors(port);
  if (bad.length) errs.push(invalidValue(`${field}.port`, port, `port is not valid: ${bad.join(', ')}`));
  const path = typeof svc.path === 'string' ? svc.path : undefined;
  if (path === undefined || path === '' || path === '/') return errs;
  if (path === '//') return [...errs, invalidValue(`${field}.path`, path, 'segment[0] may not be empty')];
  if (!path.startsWith('/')) errs.push(invalidValue(`${field}.path`, path, "must start with a '/'"));
  let rest = path.slice(1);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  rest.split('/').forEach((step, i) => {
    if (step === '') return void errs.push(invalidValue(`${field}.path`, path, `segment[${i}] may not be empty`));
    for (const m of nameErrors(step, 'dns-subdomain')) errs.push(invalidValue(`${field}.path`, path, `segment[${i}]: ${m}`));
  });
  return errs;
}

function reviewVersionErrors(versions: string[], field: string): FieldError[] {
  if (versions.length === 0) return [required(field, `must specify one of ${REVIEW_VERSIONS.join(', ')}`)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    if (seen.has(v)) return void errs.push(invalidValue(`${field}[${i}]`, v, 'duplicate version'));
    seen.add(v);
    errs.push(...nameErrors(v, 'dns-1035').map((m) => invalidValue(`${field}[${i}]`, v, m)));
  });
  if (!versions.some((v) => REVIEW_VERSIONS.includes(v))) errs.push(invalidGo(field, versions, `must include at least one of ${REVIEW_VERSIONS.join(', ')}`));
  return errs;
}

function webhookErrors(hook: Obj, field: string, mutating: boolean): FieldError[] {
  const errs = fullyQualifiedNameErrors(str(hook, 'name'), `${field}.name`);
  listAt(hook, 'rules').forEach((r, i) => errs.push(...ruleErrors(isObj(r) ? r : {}, `${field}.rules[${i}]`)));
  const policies: Array<[string, string[]]> = [['failurePolicy', FAILURE_POLICIES], ['matchPolicy', MATCH_POLICIES]];
  if (mutating) policies.push(['reinvocationPolicy', REINVOCATION_POLICIES]);
  for (const [f, values] of policies) {
    if (isSet(hook, f) && !values.includes(String(hook[f]))) errs.push(notSupported(`${field}.${f}`, hook[f], values));
  }
  if (!isSet(hook, 'sideEffects')) errs.push(required(`${field}.sideEffects`, `must specify one of ${NO_SIDE_EFFECTS.join(', ')}`));
  else if (!NO_SIDE_EFFECTS.includes(String(hook.sideEffects))) errs.push(notSupported(`${field}.sideEffects`, hook.sideEffects, NO_SIDE_EFFECTS));
  const timeout = hook.timeoutSeconds;
  if (typeof timeout === 'number' && (timeout < 1 || timeout > 30)) errs.push(invalidValue(`${field}.timeoutSeconds`, timeout, 'the timeout value must be between 1 and 30 seconds'));
  errs.push(...selectorErrors(hook.namespaceSelector, `${field}.namespaceSelector`), ...selectorErrors(hook.objectSelector, `${field}.objectSelector`));
  const cc = objAt(hook, 'clientConfig') ?? {};
  const hasURL = isSet(cc, 'url');
  const svc = objAt(cc, 'service');
  if (hasURL === isSet(cc, 'service')) errs.push(required(`${field}.clientConfig`, 'exactly one of url or service is required'));
  else if (hasURL) errs.push(...urlErrors(String(cc.url), `${field}.clientConfig.url`));
  else errs.push(...serviceErrors(svc ?? {}, `${field}.clientConfig.service`));
  errs.push(...reviewVersionErrors(listAt(hook, 'admissionReviewVersions').map(String), `${field}.admissionReviewVersions`));
  errs.push(...matchConditionErrors(hook, field));
  return errs;
}

// matchConditionErrors: each condition has a unique name and a CEL expression that compiles in
// the webhook environment (object, oldObject, request, authorizer), as kube checks at create.
function matchConditionErrors(hook: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  listAt(hook, 'matchConditions').forEach((c, i) => {
    const at = `${field}.matchConditions[${i}]`;
    const name = str(c, 'name');
    if (!name) errs.push(required(`${at}.name`));
    else if (names.has(name)) errs.push(duplicate(`${at}.name`, name));
    names.add(name);
    const expression = str(c, 'expression');
    if (!expression) {
      errs.push(required(`${at}.expression`));
      return;
    }
    const err = admissionCelError(expression, 'webhook');
    if (err) errs.push(invalidValue(`${at}.expression`, expression, `compilation failed: ${err}`));
  });
  return errs;
}

function configurationErrors(cfg: KubeObject, mutating: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  listAt(cfg, 'webhooks').forEach((h, i) => {
    const hook = isObj(h) ? h : {};
    const name = str(hook, 'name');
    if (names.has(name)) errs.push(duplicate(`webhooks[${i}].name`, name));
    names.add(name);
    errs.push(...webhookErrors(hook, `webhooks[${i}]`, mutating));
  });
  return errs;
}

/** validateValidatingWebhookConfiguration is ValidateValidatingWebhookConfiguration for admissionregistration.k8s.io/v1. */
export const validateValidatingWebhookConfiguration = (cfg: KubeObject): FieldError[] => configurationErrors(cfg, false);

/** validateMutatingWebhookConfiguration is ValidateMutatingWebhookConfiguration for admissionregistration.k8s.io/v1. */
export const validateMutatingWebhookConfiguration = (cfg: KubeObject): FieldError[] => configurationErrors(cfg, true);
