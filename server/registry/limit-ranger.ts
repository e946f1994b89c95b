/**
 * LimitRanger admission: the LimitRanges of a namespace give Pods default requests and limits
 * when they are created, and refuse Pods and PersistentVolumeClaims outside their min, max and
 * maxLimitRequestRatio, as kube-apiserver's LimitRanger plugin does (same checks, same order,
 * same messages). Every comparison goes through quantity.ts; values written are canonical.
 */
import type { KubeObject } from '../../schemas/types';
import type { AdmissionAttributes, AdmissionPlugin } from './admission';
import type { Registry } from './generic-registry';
import { jsonEqual } from '../../schemas/meta/json';
import { Quantity, canonicalQuantity, compareQuantity, readQuantity, scaledValue } from '../../schemas/meta/quantity';
import type { ResourceTable } from './resource-table';
import { forbidden } from '../../schemas/meta/status-error';

/** LIMIT_RANGER_ANNOTATION records on a Pod which defaults LimitRanger set. */
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

type ResourceList = Record<string, unknown>;

interface LimitRangeItem {
  type?: string;
  min?: ResourceList;
  max?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

interface Container {
  name?: string;
  restartPolicy?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
}

interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
}

// resource.MaxMilliValue: above it a milli-value would overflow int64, so values compare whole.
const MAX_MILLI_VALUE = (2n ** 63n - 1n) / 1000n;

/** limitRanger returns the admission plugin; it reads LimitRanges through the registry. */
export function limitRanger(registry: Registry, resources: ResourceTable): AdmissionPlugin {
  const read = async (namespace: string): Promise<LimitRangeItem[][]> => {
    const def = resources.lookup('', 'v1', 'limitranges');
    if (!def) return [];
    const page = await registry.list(def, namespace);
    return page.items.map((item) => {
      const limits = (registry.decode(item).spec as { limits?: unknown } | undefined)?.limits;
      return Array.isArray(limits) ? (limits as LimitRangeItem[]) : [];
    });
  };
  // The mutating and validating steps of one write share one read of the namespace's LimitRanges.
  const perWrite = new WeakMap<object, Promise<LimitRangeItem[][]>>();
  const limitRangesOf = (attrs: { namespace?: string }): Promise<LimitRangeItem[][]> => {
    let ranges = perWrite.get(attrs);
    if (!ranges) perWrite.set(attrs, (ranges = read(attrs.namespace!)));
    return ranges;
  };

  return {
    name: 'LimitRanger',
    async admit(attrs) {
      // Defaults go onto Pods at create only: containers cannot change afterwards.
      if (kindOf(attrs) !== 'pods' || attrs.operation !== 'CREATE' || !attrs.namespace) return;
      const pod = attrs.object!;
      const spec = pod.spec as PodSpec | undefined;
      if (!spec) return;
      defaultRequestsToLimits(spec);
      for (const limits of await limitRangesOf(attrs)) mergePodResourceRequirements(pod, spec, limits);
    },
    async validate(attrs) {
      const kind = kindOf(attrs);
      if (!kind || !attrs.namespace || (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE')) return;
      // Objects on their way out are not held to limits.
      if (attrs.oldObject?.metadata?.deletionTimestamp) return;
      if (kind === 'pods' && attrs.operation === 'UPDATE' && !containerResourcesChanged(attrs.object!, attrs.oldObject!)) return;
      for (const limits of await limitRangesOf(attrs)) {
        const errors = kind === 'pods' ? podValidateLimits(limits, attrs.object!) : claimValidateLimits(limits, attrs.object!);
        if (errors.length) throw forbidden({ group: '', resource: kind }, attrs.name, aggregate(errors));
      }
    },
  };
}

// kindOf names the resources LimitRanger looks at: Pods and PersistentVolumeClaims, never a subresource.
function kindOf(attrs: AdmissionAttributes): 'pods' | 'persistentvolumeclaims' | undefined {
  if (attrs.subresource || attrs.resource.group !== '' || !attrs.object) return undefined;
  const plural = attrs.resource.plural;
  return plural === 'pods' || plural === 'persistentvolumeclaims' ? plural : undefined;
}

// Kubernetes refuses to change a Pod's containers' resources on update, so the limits are
// checked again only when an update does change them; a label change on an old Pod stays
// possible after a stricter LimitRange appears.
function containerResourcesChanged(obj: KubeObject, old: KubeObject): boolean {
  const resourcesOf = (o: KubeObject) => {
    const spec = (o.spec ?? {}) as PodSpec;
    return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c?.resources ?? {});
  };
  return !jsonEqual(resourcesOf(obj), resourcesOf(old));
}

// defaultRequestsToLimits gives a container whose limit names a resource without a request for
// it that limit as its request, as the v1 Pod defaulting (SetDefaults_Pod) does; it runs before
// the LimitRange defaults so that an explicit limit wins over the range's defaultRequest.
function defaultRequestsToLimits(spec: PodSpec): void {
  for (const c of allContainers(spec)) {
    const limits = c.resources?.limits;
    if (!isList(limits) || Object.keys(limits).length === 0) continue;
    const requests = isList(c.resources!.requests) ? c.resources!.requests : (c.resources!.requests = {});
    for (const [name, v] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = v;
  }
}

// mergePodResourceRequirements fills what each container leaves unset from the Container items'
// default (limits) and defaultRequest (requests), and notes what it set in the annotation.
function mergePodResourceRequirements(pod: KubeObject, spec: PodSpec, limits: LimitRangeItem[]): void {
  const defaultLimits: Record<string, string> = {};
  const defaultRequests: Record<string, string> = {};
  for (const item of limits) {
    if (item?.type !== 'Container') continue;
    for (const [k, v] of Object.entries(list(item.defaultRequest))) defaultRequests[k] = canonical(v);
    for (const [k, v] of Object.entries(list(item.default))) defaultLimits[k] = canonical(v);
  }
  const notes: string[] = [];
  const merge = (c: Container, what: string) => {
    if (!c || typeof c !== 'object') return;
    const resources = (c.resources = isList(c.resources) ? c.resources : {});
    const lim = (resources.limits = isList(resources.limits) ? resources.limits : {});
    const req = (resources.requests = isList(resources.requests) ? resources.requests : {});
    const setLimits = Object.keys(defaultLimits).filter((k) => lim[k] === undefined);
    const setRequests = Object.keys(defaultRequests).filter((k) => req[k] === undefined);
    for (const k of setLimits) lim[k] = defaultLimits[k];
    for (const k of setRequests) req[k] = defaultRequests[k];
    // An empty map is what the Go plugin leaves too, but it is omitted when serialised.
    if (Object.keys(lim).length === 0) delete resources.limits;
    if (Object.keys(req).length === 0) delete resources.requests;
    if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${what} ${c.name}`);
    if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${what} ${c.name}`);
  };
  for (const c of spec.containers ?? []) merge(c, 'container');
  for (const c of spec.initContainers ?? []) merge(c, 'init container');
  if (notes.length) {
    const meta = (pod.metadata ??= {});
    meta.annotations = { ...(meta.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
  }
}

// podValidateLimits checks every container against the Container items and the Pod's summed
// requests and limits against the Pod items.
function podValidateLimits(limits: LimitRangeItem[], pod: KubeObject): string[] {
  const spec = (pod.spec ?? {}) as PodSpec;
  const errors: string[] = [];
  const check = (type: string, item: LimitRangeItem, requests: ResourceList, lim: ResourceList) => {
    for (const [k, v] of Object.entries(list(item.min))) push(errors, minConstraint(type, k, v, requests, lim));
    for (const [k, v] of Object.entries(list(item.max))) push(errors, maxConstraint(type, k, v, requests, lim));
    for (const [k, v] of Object.entries(list(item.maxLimitRequestRatio))) push(errors, limitRequestRatioConstraint(type, k, v, requests, lim));
  };
  for (const item of limits) {
    if (item?.type === 'Container') {
      for (const c of allContainers(spec)) check('Container', item, list(c.resources?.requests), list(c.resources?.limits));
    } else if (item?.type === 'Pod') {
      check('Pod', item, podTotals(spec, 'requests'), podTotals(spec, 'limits'));
    }
  }
  return errors;
}

// claimValidateLimits holds a claim's storage requests to the PersistentVolumeClaim items; a
// claim's limits are not user input here, and claims get no defaults (storage is required).
function claimValidateLimits(limits: LimitRangeItem[], pvc: KubeObject): string[] {
  const requests = list((pvc.spec as { resources?: { requests?: ResourceList } } | undefined)?.resources?.requests);
  const errors: string[] = [];
  for (const item of limits) {
    if (item?.type !== 'PersistentVolumeClaim') continue;
    for (const [k, v] of Object.entries(list(item.min))) push(errors, minConstraint('PersistentVolumeClaim', k, v, requests, {}));
    for (const [k, v] of Object.entries(list(item.max))) push(errors, maxRequestConstraint('PersistentVolumeClaim', k, v, requests));
  }
  return errors;
}

// ---- the constraints, worded as kube-apiserver words them ----------------------------------

// observed is requestLimitEnforcedValues: milli-values when none would overflow, else whole values.
function observed(...qs: Array<Quantity | undefined>): bigint[] {
  const whole = qs.map((q) => (q ? scaledValue(q, 0) : 0n));
  if (whole.every((v) => v <= MAX_MILLI_VALUE)) return qs.map((q) => (q ? scaledValue(q, -3) : 0n));
  return whole;
}

function minConstraint(type: string, name: string, enforcedValue: unknown, requests: ResourceList, limits: ResourceList): string | undefined {
  const enforced = readQuantity(enforcedValue);
  if (!enforced) return undefined;
  const req = requests[name] === undefined ? undefined : readQuantity(requests[name]);
  const lim = limits[name] === undefined ? undefined : readQuantity(limits[name]);
  const [r, l, e] = observed(req, lim, enforced);
  if (requests[name] === undefined) return `minimum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (req && r < e) return `minimum ${name} usage per ${type} is ${enforced}, but request is ${req}`;
  if (lim && l < e) return `minimum ${name} usage per ${type} is ${enforced}, but limit is ${lim}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforcedValue: unknown, requests: ResourceList, limits: ResourceList): string | undefined {
  const enforced = readQuantity(enforcedValue);
  if (!enforced) return undefined;
  const req = requests[name] === undefined ? undefined : readQuantity(requests[name]);
  const lim = limits[name] === undefined ? undefined : readQuantity(limits[name]);
  const [r, l, e] = observed(req, lim, enforced);
  if (limits[name] === undefined) return `maximum ${name} usage per ${type} is ${enforced}.  No limit is specified`;
  if (lim && l > e) return `maximum ${name} usage per ${type} is ${enforced}, but limit is ${lim}`;
  if (req && r > e) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${req}`;
  return undefined;
}

// maxRequestConstraint is the max check for kinds whose limits are not user input (claims).
function maxRequestConstraint(type: string, name: string, enforcedValue: unknown, requests: ResourceList): string | undefined {
  const enforced = readQuantity(enforcedValue);
  if (!enforced) return undefined;
  const req = requests[name] === undefined ? undefined : readQuantity(requests[name]);
  const [r, , e] = observed(req, undefined, enforced);
  if (requests[name] === undefined) return `maximum ${name} usage per ${type} is ${enforced}.  No request is specified`;
  if (req && r > e) return `maximum ${name} usage per ${type} is ${enforced}, but request is ${req}`;
  return undefined;
}

function limitRequestRatioConstraint(type: string, name: string, enforcedValue: unknown, requests: ResourceList, limits: ResourceList): string | undefined {
  const enforced = readQuantity(enforcedValue);
  if (!enforced) return undefined;
  const req = requests[name] === undefined ? undefined : readQuantity(requests[name]);
  const lim = limits[name] === undefined ? undefined : readQuantity(limits[name]);
  const [r, l] = observed(req, lim, enforced);
  if (!req || r === 0n) return `${name} max limit to request ratio per ${type} is ${enforced}, but no request is specified or request is 0`;
  if (!lim || l === 0n) return `${name} max limit to request ratio per ${type} is ${enforced}, but no limit is specified or limit is 0`;
  // The ratio is a float64 in Kubernetes too; it is printed with %f.
  const ratio = Number(l) / Number(r);
  const enforcedWhole = scaledValue(enforced, 0);
  const exceeds = enforcedWhole <= MAX_MILLI_VALUE ? ratio * 1000 > Number(scaledValue(enforced, -3)) : ratio > Number(enforcedWhole);
  return exceeds ? `${name} max limit to request ratio per ${type} is ${enforced}, but provided ratio is ${ratio.toFixed(6)}` : undefined;
}

// ---- Pod totals ----------------------------------------------------------------------------

// podTotals is what the Pod asks for as a whole: the sum over its containers and restartable
// (sidecar) init containers, or more when one ordinary init container (plus the sidecars started
// before it) needs more, as LimitRanger's podRequests/podLimits compute it.
function podTotals(spec: PodSpec, which: 'requests' | 'limits'): Record<string, Quantity> {
  const total: Record<string, Quantity> = {};
  for (const c of spec.containers ?? []) addResourceList(total, list(c?.resources?.[which]));
  const sidecars: Record<string, Quantity> = {};
  const initMax: Record<string, Quantity> = {};
  for (const c of spec.initContainers ?? []) {
    const own = list(c?.resources?.[which]);
    let needed: Record<string, Quantity>;
    if (c?.restartPolicy === 'Always') {
      addResourceList(total, own);
      addResourceList(sidecars, own);
      needed = sidecars;
    } else {
      needed = {};
      addResourceList(needed, own);
      addResourceList(needed, sidecars);
    }
    maxResourceList(initMax, needed);
  }
  maxResourceList(total, initMax);
  return total;
}

function addResourceList(into: Record<string, Quantity>, add: ResourceList): void {
  for (const [k, v] of Object.entries(add)) {
    const q = readQuantity(v);
    if (!q) continue;
    into[k] = into[k] ? addQuantities(into[k], q) : q;
  }
}

function maxResourceList(into: Record<string, Quantity>, other: Record<string, Quantity>): void {
  for (const [k, q] of Object.entries(other)) if (!into[k] || compareQuantity(q, into[k]) > 0) into[k] = q;
}

// addQuantities is Quantity.Add: exact, printed in the first operand's format (the second's
// when the first is zero).
function addQuantities(a: Quantity, b: Quantity): Quantity {
  // Operands more than 1000 decimal orders apart would need an absurdly long mantissa; such a
  // sum is dominated by the larger one, which stands for it.
  if (Math.abs(a.scale - b.scale) > 1000) return compareQuantity(a, b) >= 0 ? a : b;
  const scale = Math.min(a.scale, b.scale);
  const unscaled = a.unscaled * 10n ** BigInt(a.scale - scale) + b.unscaled * 10n ** BigInt(b.scale - scale);
  return new Quantity(unscaled, scale, a.sign === 0 ? b.format : a.format);
}

// ---- small helpers ---------------------------------------------------------------------------

function allContainers(spec: PodSpec): Container[] {
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].filter((c) => c && typeof c === 'object');
}

function isList(v: unknown): v is ResourceList {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function list(v: unknown): ResourceList {
  return isList(v) ? v : {};
}


function canonical(v: unknown): string {
  try {
    return canonicalQuantity(v as string | number);
  } catch {
    return String(v);
  }
}

function push(errors: string[], err: string | undefined): void {
  if (err) errors.push(err);
}

// aggregate words several errors as utilerrors.NewAggregate does: one as is, more as a
// bracketed list without repeats.
function aggregate(errors: string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}
