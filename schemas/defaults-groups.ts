/**
 * Defaulting of the networking, rbac, scheduling and admissionregistration kinds: what their
 * v1 SetDefaults_* functions fill in when a client leaves it out. Each function mutates in place
 * and never overwrites a value the client set.
 */
import { isPlainObject as isObj } from './meta/json';
import type { KubeObject } from './types';

type Obj = Record<string, unknown>;

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const isUnset = (o: Obj, k: string) => o[k] === undefined || o[k] === null;
const setDefault = (o: Obj, k: string, v: unknown) => {
  if (isUnset(o, k)) o[k] = v;
};
const each = (list: unknown, f: (o: Obj) => void) => {
  if (Array.isArray(list)) for (const x of list) if (isObj(x)) f(x);
};

/** defaultNetworkPolicy is SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort: TCP ports, policyTypes from the rules given. */
export function defaultNetworkPolicy(np: KubeObject): void {
  const spec = isObj(np.spec) ? np.spec : ((np as Obj).spec = {}) as Obj;
  for (const dir of ['ingress', 'egress']) each(spec[dir], (rule) => each(rule.ports, (p) => setDefault(p, 'protocol', 'TCP')));
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

/** defaultIngressClass is SetDefaults_IngressClass: parameters are cluster-scoped unless they say otherwise. */
export function defaultIngressClass(ic: KubeObject): void {
  const params = isObj(ic.spec) ? (ic.spec as Obj).parameters : undefined;
  if (isObj(params)) setDefault(params, 'scope', 'Cluster');
}

/** defaultRoleBinding is SetDefaults_(Cluster)RoleBinding and SetDefaults_Subject: the rbac group where a reference leaves it out. */
export function defaultRoleBinding(rb: KubeObject): void {
  const ref = (rb as Obj).roleRef;
  if (isObj(ref) && !ref.apiGroup) ref.apiGroup = RBAC_GROUP;
  each((rb as Obj).subjects, (s) => {
    if (s.apiGroup) return;
    if (s.kind === 'ServiceAccount') s.apiGroup = '';
    else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
  });
}

/** defaultPriorityClass is SetDefaults_PriorityClass: pods of the class preempt lower priorities. */
export function defaultPriorityClass(pc: KubeObject): void {
  setDefault(pc as Obj, 'preemptionPolicy', 'PreemptLowerPriority');
}

function webhookDefaults(hook: Obj, mutating: boolean): void {
  setDefault(hook, 'failurePolicy', 'Fail');
  setDefault(hook, 'matchPolicy', 'Equivalent');
  setDefault(hook, 'namespaceSelector', {});
  setDefault(hook, 'objectSelector', {});
  setDefault(hook, 'timeoutSeconds', 10);
  if (mutating) setDefault(hook, 'reinvocationPolicy', 'Never');
  each(hook.rules, (rule) => setDefault(rule, 'scope', '*'));
  const service = isObj(hook.clientConfig) ? (hook.clientConfig as Obj).service : undefined;
  if (isObj(service)) setDefault(service, 'port', 443);
}

/** defaultValidatingWebhookConfiguration is SetDefaults_ValidatingWebhook, _Rule and _ServiceReference for each webhook. */
export function defaultValidatingWebhookConfiguration(cfg: KubeObject): void {
  each((cfg as Obj).webhooks, (h) => webhookDefaults(h, false));
}

/** defaultMutatingWebhookConfiguration is SetDefaults_MutatingWebhook (reinvocationPolicy Never too), _Rule and _ServiceReference. */
export function defaultMutatingWebhookConfiguration(cfg: KubeObject): void {
  each((cfg as Obj).webhooks, (h) => webhookDefaults(h, true));
}
