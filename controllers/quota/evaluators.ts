/**
 * Quota evaluators: what one object costs against a ResourceQuota, as kube's
 * pkg/quota/v1/evaluator/core and k8s.io/apiserver/pkg/quota/v1/generic measure it. The quota
 * admission plugin (server/registry) and the resourcequota controller share this module, so
 * admission charges exactly what the controller later recounts. It is pure: objects in, resource
 * lists out; nothing here reads the API.
 *
 * - Every resource has an object count, `count/<resource>.<group>` (`count/<resource>` in the
 *   core group); configmaps, secrets, replicationcontrollers, resourcequotas, services and
 *   persistentvolumeclaims also answer to their legacy names.
 * - Pods: `pods` counts the pods not yet terminal; cpu, memory and ephemeral-storage (bare and
 *   requests.*), limits.*, hugepages and extended resources (requests.<name>) are the pod's own
 *   requests and limits computed as the kubelet sizes it (the larger of the sum of its
 *   containers and its largest init container, plus overhead). A terminal pod, or one past its
 *   deletion grace period, costs only its object count.
 * - Scopes (BestEffort, NotBestEffort, Terminating, NotTerminating, PriorityClass,
 *   CrossNamespacePodAffinity) select pods only; a scoped quota counts no other kind.
 */
import type { KubeObject } from '../../schemas/types';
import { Quantity, compareQuantity } from '../../schemas/meta/quantity';
import { ONE, ZERO, add, maxInto, parseResourceList, type ResourceList } from './resource-list';

/** GroupResource names a resource without its version. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** ScopeRequirement is a ScopedResourceSelectorRequirement; a bare scope is the Exists operator. */
export interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

/** QuotaOperation is the admission operation an evaluator may be asked about. */
export type QuotaOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/** Evaluator measures one kind of object for quota. */
export interface Evaluator {
  readonly groupResource: GroupResource;
  /** handles says whether an admission request of this operation can change usage. */
  handles(operation: QuotaOperation, subresource?: string): boolean;
  /** matchingResources is the subset of names this evaluator measures. */
  matchingResources(names: readonly string[]): string[];
  /** matchesScope says whether obj falls in a scope requirement. */
  matchesScope(scope: ScopeRequirement, obj: Readonly<KubeObject>): boolean;
  /** usage is what obj costs, at time now (ms). */
  usage(obj: Readonly<KubeObject>, now: number): ResourceList;
  /** constraints answers why obj cannot be admitted under quotas of the required names ("must specify ..."), or undefined. */
  constraints(required: readonly string[], obj: Readonly<KubeObject>): string | undefined;
}

/** objectCountName is the `count/<resource>.<group>` name of a resource's object count. */
export function objectCountName(gr: GroupResource): string {
  return gr.group ? `count/${gr.resource}.${gr.group}` : `count/${gr.resource}`;
}

/** parseObjectCountName answers the resource a `count/...` name counts, or undefined for any other name. */
export function parseObjectCountName(name: string): GroupResource | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  if (!rest) return undefined;
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

// ---- object counts -------------------------------------------------------------------------

// A kind with no evaluator of its own counts objects only and matches no scope.
function objectCountEvaluator(gr: GroupResource, legacyName?: string): Evaluator {
  const names = [objectCountName(gr), ...(legacyName ? [legacyName] : [])];
  return {
    groupResource: gr,
    handles: (operation) => operation === 'CREATE',
    matchingResources: (input) => input.filter((n) => names.includes(n)),
    matchesScope: () => false,
    usage: () => Object.fromEntries(names.map((n) => [n, ONE])),
    constraints: () => undefined,
  };
}

// ---- services ------------------------------------------------------------------------------

const SERVICE_RESOURCES = ['count/services', 'services', 'services.nodeports', 'services.loadbalancers'];

const serviceEvaluator: Evaluator = {
  groupResource: { group: '', resource: 'services' },
  // A type change (ClusterIP to NodePort) changes usage, so updates are charged by their delta.
  handles: (operation, subresource) => (operation === 'CREATE' || operation === 'UPDATE') && !subresource,
  matchingResources: (input) => input.filter((n) => SERVICE_RESOURCES.includes(n)),
  matchesScope: () => false,
  usage(obj) {
    const spec = (obj.spec ?? {}) as { type?: string; ports?: Array<{ nodePort?: number }>; allocateLoadBalancerNodePorts?: boolean };
    const ports = Array.isArray(spec.ports) ? spec.ports : [];
    const out: ResourceList = { 'count/services': ONE, services: ONE, 'services.loadbalancers': ZERO, 'services.nodeports': ZERO };
    if (spec.type === 'NodePort') out['services.nodeports'] = count(ports.length);
    if (spec.type === 'LoadBalancer') {
      // With node port allocation turned off only the ports that name a nodePort use one.
      const nodePorts = spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => p && typeof p.nodePort === 'number' && p.nodePort !== 0).length : ports.length;
      out['services.nodeports'] = count(nodePorts);
      out['services.loadbalancers'] = ONE;
    }
    return out;
  },
  constraints: () => undefined,
};

// ---- persistent volume claims ----------------------------------------------------------------

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

const claimEvaluator: Evaluator = {
  groupResource: { group: '', resource: 'persistentvolumeclaims' },
  // An update may grow the claim's storage request.
  handles: (operation, subresource) => (operation === 'CREATE' || operation === 'UPDATE') && !subresource,
  matchingResources: (input) =>
    input.filter(
      (n) =>
        n === 'count/persistentvolumeclaims' ||
        n === 'persistentvolumeclaims' ||
        n === 'requests.storage' ||
        (n.includes(STORAGE_CLASS_SUFFIX) && (n.endsWith('/persistentvolumeclaims') || n.endsWith('/requests.storage'))),
    ),
  matchesScope: () => false,
  usage(obj) {
    const spec = (obj.spec ?? {}) as { storageClassName?: string; resources?: { requests?: unknown } };
    const status = (obj.status ?? {}) as { allocatedResources?: unknown };
    const storageClass = spec.storageClassName || obj.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] || '';
    const out: ResourceList = { 'count/persistentvolumeclaims': ONE, persistentvolumeclaims: ONE };
    if (storageClass) out[`${storageClass}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = ONE;
    // A claim being expanded is charged for the larger of what it asks and what was allocated.
    const requested = parseResourceList(spec.resources?.requests).storage;
    const allocated = parseResourceList(status.allocatedResources).storage;
    const storage = requested && allocated ? (compareQuantity(allocated, requested) > 0 ? allocated : requested) : (requested ?? allocated);
    if (storage) {
      out['requests.storage'] = storage;
      if (storageClass) out[`${storageClass}${STORAGE_CLASS_SUFFIX}requests.storage`] = storage;
    }
    return out;
  },
  constraints: () => undefined,
};

// ---- pods ----------------------------------------------------------------------------------

const POD_RESOURCES = [
  'count/pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
];

// Quotas on these require every container to state them: an old mistake kube keeps for
// compatibility and has never extended to other resources.
const MUST_SPECIFY = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

interface Container {
  name?: string;
  restartPolicy?: string;
  resources?: { requests?: unknown; limits?: unknown };
}

interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  overhead?: unknown;
  activeDeadlineSeconds?: number;
  priorityClassName?: string;
  affinity?: {
    podAffinity?: AffinityTerms;
    podAntiAffinity?: AffinityTerms;
  };
}

interface AffinityTerms {
  requiredDuringSchedulingIgnoredDuringExecution?: Array<{ namespaces?: string[]; namespaceSelector?: unknown }>;
  preferredDuringSchedulingIgnoredDuringExecution?: Array<{ podAffinityTerm?: { namespaces?: string[]; namespaceSelector?: unknown } }>;
}

// isNativeResource: a name without a domain, or in kubernetes.io.
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

// isExtendedResourceName: a domain-qualified name outside kubernetes.io that is not itself a quota name.
function isExtendedResourceName(name: string): boolean {
  return !isNativeResource(name) && !name.startsWith('requests.');
}

// Extended resources are quota'd only as requests.<name>: they cannot be overcommitted.
function isExtendedQuotaName(name: string): boolean {
  return !isNativeResource(name) && name.startsWith('requests.');
}

/** computeUsage is what requests and limits cost as quota names (kube's podComputeUsageHelper). */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = { pods: ONE };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (requests[r]) {
      out[r] = requests[r];
      out[`requests.${r}`] = requests[r];
    }
    if (limits[r]) out[`limits.${r}`] = limits[r];
  }
  for (const [name, q] of Object.entries(requests)) {
    if (name.startsWith('hugepages-')) {
      out[name] = q;
      out[`requests.${name}`] = q;
    }
    if (isExtendedResourceName(name)) out[`requests.${name}`] = q;
  }
  return out;
}

function containersOf(spec: PodSpec, which: 'containers' | 'initContainers'): Container[] {
  const list = spec[which];
  return Array.isArray(list) ? list.filter((c) => c && typeof c === 'object') : [];
}

/**
 * podResources is the pod's total requests (or limits) as kube's resource helper sums them: app
 * containers and restartable (sidecar) init containers add up; an ordinary init container runs
 * alone beside the sidecars started before it, and the pod needs the larger of the two. Overhead
 * is added to requests, and to each limit the pod sets.
 */
export function podResources(pod: Readonly<KubeObject>, which: 'requests' | 'limits'): ResourceList {
  const spec = (pod.spec ?? {}) as PodSpec;
  let total: ResourceList = {};
  for (const c of containersOf(spec, 'containers')) total = add(total, parseResourceList(c.resources?.[which]));
  let sidecars: ResourceList = {};
  const initMax: ResourceList = {};
  for (const c of containersOf(spec, 'initContainers')) {
    const own = parseResourceList(c.resources?.[which]);
    if (c.restartPolicy === 'Always') {
      total = add(total, own);
      sidecars = add(sidecars, own);
      maxInto(initMax, sidecars);
    } else {
      maxInto(initMax, add(own, sidecars));
    }
  }
  maxInto(total, initMax);
  const overhead = parseResourceList(spec.overhead);
  if (which === 'requests') return add(total, overhead);
  for (const [name, q] of Object.entries(overhead)) if (total[name]) total = add(total, { [name]: q });
  return total;
}

/** isTerminalPod is true once a pod's phase is Succeeded or Failed. */
export function isTerminalPod(pod: Readonly<KubeObject>): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * podCountsTowardsQuota is kube's QuotaV1Pod: a pod stops costing compute once terminal, or once
 * its deletion grace period has run out (a pod stuck terminating must not block its replacement).
 */
export function podCountsTowardsQuota(pod: Readonly<KubeObject>, now: number): boolean {
  if (isTerminalPod(pod)) return false;
  const { deletionTimestamp, deletionGracePeriodSeconds } = pod.metadata ?? {};
  if (deletionTimestamp && typeof deletionGracePeriodSeconds === 'number') {
    const deadline = Date.parse(deletionTimestamp) + deletionGracePeriodSeconds * 1000;
    if (Number.isFinite(deadline) && now > deadline) return false;
  }
  return true;
}

/** isBestEffort is kube's QoS rule for the BestEffort scope: no container requests or limits any cpu or memory. */
export function isBestEffort(pod: Readonly<KubeObject>): boolean {
  const spec = (pod.spec ?? {}) as PodSpec;
  for (const c of [...containersOf(spec, 'containers'), ...containersOf(spec, 'initContainers')]) {
    for (const list of [parseResourceList(c.resources?.requests), parseResourceList(c.resources?.limits)]) {
      if ((list.cpu && list.cpu.sign !== 0) || (list.memory && list.memory.sign !== 0)) return false;
    }
  }
  return true;
}

function isTerminating(pod: Readonly<KubeObject>): boolean {
  const ads = (pod.spec as PodSpec | undefined)?.activeDeadlineSeconds;
  return typeof ads === 'number' && ads >= 0;
}

function usesCrossNamespacePodAffinity(pod: Readonly<KubeObject>): boolean {
  const affinity = (pod.spec as PodSpec | undefined)?.affinity;
  const crossNamespace = (t: { namespaces?: string[]; namespaceSelector?: unknown } | undefined) => !!t && ((t.namespaces?.length ?? 0) > 0 || (t.namespaceSelector !== undefined && t.namespaceSelector !== null));
  for (const terms of [affinity?.podAffinity, affinity?.podAntiAffinity]) {
    if (!terms) continue;
    if ((terms.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(crossNamespace)) return true;
    if ((terms.preferredDuringSchedulingIgnoredDuringExecution ?? []).some((w) => crossNamespace(w?.podAffinityTerm))) return true;
  }
  return false;
}

// priorityClassMatches evaluates a PriorityClass requirement as a label selector on the
// one-label set {PriorityClass: <the pod's class>}, empty when the pod names none.
function priorityClassMatches(pod: Readonly<KubeObject>, scope: ScopeRequirement): boolean {
  const pc = (pod.spec as PodSpec | undefined)?.priorityClassName ?? '';
  const values = scope.values ?? [];
  switch (scope.operator) {
    case 'Exists':
      return pc !== '';
    case 'DoesNotExist':
      return pc === '';
    case 'In':
      return pc !== '' && values.includes(pc);
    case 'NotIn':
      return pc === '' || !values.includes(pc);
    default:
      return false;
  }
}

const podEvaluator: Evaluator = {
  groupResource: { group: '', resource: 'pods' },
  // Containers' resources cannot change after create, so only a create is charged.
  handles: (operation, subresource) => operation === 'CREATE' && !subresource,
  matchingResources: (input) => input.filter((n) => POD_RESOURCES.includes(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-') || isExtendedQuotaName(n)),
  matchesScope(scope, pod) {
    switch (scope.scopeName) {
      case 'Terminating':
        return isTerminating(pod);
      case 'NotTerminating':
        return !isTerminating(pod);
      case 'BestEffort':
        return isBestEffort(pod);
      case 'NotBestEffort':
        return !isBestEffort(pod);
      case 'PriorityClass':
        return priorityClassMatches(pod, scope);
      case 'CrossNamespacePodAffinity':
        return usesCrossNamespacePodAffinity(pod);
      default:
        return false;
    }
  },
  usage(pod, now) {
    // The object count is charged for every pod in storage, terminal or not.
    const out: ResourceList = { 'count/pods': ONE };
    if (!podCountsTowardsQuota(pod, now)) return out;
    return add(out, computeUsage(podResources(pod, 'requests'), podResources(pod, 'limits')));
  },
  constraints(required, pod) {
    const needed = required.filter((n) => MUST_SPECIFY.includes(n));
    if (!needed.length) return undefined;
    const spec = (pod.spec ?? {}) as PodSpec;
    const missing = new Map<string, Set<string>>();
    for (const c of [...containersOf(spec, 'containers'), ...containersOf(spec, 'initContainers')]) {
      const has = computeUsage(parseResourceList(c.resources?.requests), parseResourceList(c.resources?.limits));
      for (const n of needed) {
        if (has[n]) continue;
        if (!missing.has(n)) missing.set(n, new Set());
        missing.get(n)!.add(c.name ?? '');
      }
    }
    if (!missing.size) return undefined;
    const parts = [...missing.keys()].sort().map((n) => `${n} for: ${[...missing.get(n)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
};

// ---- the registry of evaluators ------------------------------------------------------------

const LEGACY_COUNTED: Record<string, string> = {
  configmaps: 'configmaps',
  secrets: 'secrets',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

/** KNOWN_EVALUATORS are the kinds quota measures beyond an object count, plus the legacy-named counts. */
export const KNOWN_EVALUATORS: readonly Evaluator[] = [
  podEvaluator,
  serviceEvaluator,
  claimEvaluator,
  ...Object.entries(LEGACY_COUNTED).map(([resource, legacy]) => objectCountEvaluator({ group: '', resource }, legacy)),
];

/** evaluatorFor answers the evaluator of a resource: its own, or a plain object count. */
export function evaluatorFor(gr: GroupResource): Evaluator {
  return KNOWN_EVALUATORS.find((e) => e.groupResource.group === gr.group && e.groupResource.resource === gr.resource) ?? objectCountEvaluator(gr);
}

/**
 * evaluatorsForHard answers the evaluators a quota's hard names need to compute its usage: the
 * known ones matching some name, and an object count for each other `count/...` name.
 */
export function evaluatorsForHard(hardNames: readonly string[]): Evaluator[] {
  const out = KNOWN_EVALUATORS.filter((e) => e.matchingResources(hardNames).length > 0);
  for (const name of hardNames) {
    const gr = parseObjectCountName(name);
    if (!gr || out.some((e) => e.groupResource.group === gr.group && e.groupResource.resource === gr.resource)) continue;
    out.push(objectCountEvaluator(gr));
  }
  return out;
}

// ---- quotas --------------------------------------------------------------------------------

/** ResourceQuotaObject is the part of a ResourceQuota quota reads. */
export interface ResourceQuotaObject extends KubeObject {
  spec?: { hard?: Record<string, unknown>; scopes?: string[]; scopeSelector?: { matchExpressions?: ScopeRequirement[] } };
  status?: { hard?: Record<string, unknown>; used?: Record<string, unknown> };
}

/** scopeRequirementsOf is the quota's scopes (each an Exists requirement) followed by its scopeSelector's expressions. */
export function scopeRequirementsOf(quota: Readonly<ResourceQuotaObject>): ScopeRequirement[] {
  const scopes = Array.isArray(quota.spec?.scopes) ? quota.spec!.scopes : [];
  const expressions = Array.isArray(quota.spec?.scopeSelector?.matchExpressions) ? quota.spec!.scopeSelector!.matchExpressions : [];
  return [...scopes.map((scopeName) => ({ scopeName, operator: 'Exists' })), ...expressions.filter((e) => e && typeof e === 'object')];
}

/** matchesScopes says whether obj falls in every scope of the quota (a quota without scopes takes everything). */
export function matchesScopes(evaluator: Evaluator, quota: Readonly<ResourceQuotaObject>, obj: Readonly<KubeObject>): boolean {
  return scopeRequirementsOf(quota).every((s) => evaluator.matchesScope(s, obj));
}

/** quotaMatches is generic.Matches: the quota limits something the evaluator measures (by status.hard) and obj is in its scopes. */
export function quotaMatches(evaluator: Evaluator, quota: Readonly<ResourceQuotaObject>, obj: Readonly<KubeObject>): boolean {
  return evaluator.matchingResources(Object.keys(parseResourceList(quota.status?.hard))).length > 0 && matchesScopes(evaluator, quota, obj);
}

/**
 * calculateUsage is quota.CalculateUsage: the usage of every hard name of the quota some
 * evaluator measures, summed over the objects listFor answers for each evaluator's resource
 * (in the quota's namespace), scopes applied. Tracked names start at zero.
 */
export function calculateUsage(
  quota: Readonly<ResourceQuotaObject>,
  listFor: (gr: GroupResource) => readonly Readonly<KubeObject>[],
  now: number,
): ResourceList {
  const hardNames = Object.keys(parseResourceList(quota.spec?.hard));
  let used: ResourceList = {};
  for (const evaluator of evaluatorsForHard(hardNames)) {
    const tracked = evaluator.matchingResources(hardNames);
    let sum: ResourceList = Object.fromEntries(tracked.map((n) => [n, ZERO]));
    for (const obj of listFor(evaluator.groupResource)) {
      if (matchesScopes(evaluator, quota, obj)) sum = add(sum, evaluator.usage(obj, now));
    }
    used = add(used, sum);
  }
  const out: ResourceList = {};
  for (const n of hardNames) if (used[n]) out[n] = used[n];
  return out;
}

function count(n: number): Quantity {
  return new Quantity(BigInt(n), 0, 'DecimalSI');
}
