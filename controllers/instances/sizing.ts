/**
 * Sizing: what a Pod needs (kube's PodRequests rule: the larger of the largest init container and
 * the app containers plus sidecars, plus pod overhead) and the cheapest catalog size, zone and
 * capacity type that covers it and satisfies the Pod's nodeSelector and required node affinity.
 * A Pod nothing fits gets an unschedulable decision worded like kube's FailedScheduling message.
 */
import { QuantityError, milliValue, value } from '../../schemas/meta/quantity';
import { annotation, label } from './annotations';
import { allSizes, type CapacityType, capacityTypes, type Catalog, GiB, type InstanceFamily, type InstanceSize, pricePerSecond } from './catalog';
import { type Container, isRestartableInitContainer, type NodeSelectorRequirement, type Pod, type ResourceList } from './pod';

/** PodNeed is a Pod's effective request: millicores, bytes and GPUs (of any family's GPU resource). */
export interface PodNeed {
  milliCPU: number;
  memoryBytes: number;
  gpus: number;
}

/** SizingOptions configure podNeed. */
export interface SizingOptions {
  /**
   * defaultRequests apply per container to a resource with neither request nor limit; the default is
   * none, so a Pod without requests gets the smallest size, as on Fargate.
   */
  defaultRequests?: ResourceList;
}

/** Placement is where a Pod runs: a size of a family, in a zone, bought as a capacity type. */
export interface Placement {
  size: InstanceSize;
  family: InstanceFamily;
  zone: string;
  capacityType: CapacityType;
  /** pricePerSecond is USD per second of this size at this capacity type. */
  pricePerSecond: number;
}

/** SizingDecision is a placement, or the reason (kube's Unschedulable) and message why there is none. */
export type SizingDecision =
  | { schedulable: true; need: PodNeed; placement: Placement }
  | { schedulable: false; reason: 'Unschedulable'; message: string; need?: PodNeed };

/** SizingError is a Pod whose resources cannot be read (an invalid quantity); it names the field. */
export class SizingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SizingError';
  }
}

const gpuResources = (catalog: Catalog) => new Set(['nvidia.com/gpu', ...catalog.families.flatMap((f) => (f.gpu ? [f.gpu.resource] : []))]);

type Vector = { cpu: number; memory: number; gpu: number };
const zero = (): Vector => ({ cpu: 0, memory: 0, gpu: 0 });
const add = (a: Vector, b: Vector): Vector => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory, gpu: a.gpu + b.gpu });
const max = (a: Vector, b: Vector): Vector => ({ cpu: Math.max(a.cpu, b.cpu), memory: Math.max(a.memory, b.memory), gpu: Math.max(a.gpu, b.gpu) });

function read(list: ResourceList | undefined, name: string, field: string, milli: boolean): number | undefined {
  const v = list?.[name];
  if (v === undefined || v === null) return undefined;
  try {
    return milli ? milliValue(typeof v === 'string' ? v.trim() : v) : value(typeof v === 'string' ? v.trim() : v);
  } catch (err) {
    if (err instanceof QuantityError) throw new SizingError(`${field}[${name}]: invalid quantity ${JSON.stringify(v)}: ${err.message}`);
    throw err;
  }
}

function containerVector(c: Container, path: string, gpuNames: Set<string>, defaults: ResourceList): Vector {
  const req = c.resources?.requests;
  const lim = c.resources?.limits;
  const pick = (name: string, milli: boolean) =>
    read(req, name, `${path}.resources.requests`, milli) ?? read(lim, name, `${path}.resources.limits`, milli) ?? read(defaults, name, 'defaultRequests', milli) ?? 0;
  let gpu = 0;
  for (const g of gpuNames) gpu += pick(g, false);
  return { cpu: pick('cpu', true), memory: pick('memory', false), gpu };
}

/**
 * podNeed is the Pod's effective request as kube's PodRequests computes it: app containers and
 * sidecars summed; each regular init container plus the sidecars started before it; the larger of
 * the two per resource; plus spec.overhead. Requests, else limits, else options.defaultRequests.
 * Throws SizingError for an invalid quantity.
 */
export function podNeed(pod: Pod, catalog: Catalog, options: SizingOptions = {}): PodNeed {
  const gpuNames = gpuResources(catalog);
  const defaults = options.defaultRequests ?? {};
  let sum = zero();
  (pod.spec.containers ?? []).forEach((c, i) => (sum = add(sum, containerVector(c, `spec.containers[${i}]`, gpuNames, defaults))));
  let sidecars = zero();
  let init = zero();
  (pod.spec.initContainers ?? []).forEach((c, i) => {
    const v = containerVector(c, `spec.initContainers[${i}]`, gpuNames, defaults);
    if (isRestartableInitContainer(c)) {
      sum = add(sum, v);
      sidecars = add(sidecars, v);
      init = max(init, sidecars);
    } else {
      init = max(init, add(v, sidecars));
    }
  });
  let need = max(sum, init);
  const overhead = pod.spec.overhead;
  if (overhead) {
    let gpu = 0;
    for (const g of gpuNames) gpu += read(overhead, g, 'spec.overhead', false) ?? 0;
    need = add(need, { cpu: read(overhead, 'cpu', 'spec.overhead', true) ?? 0, memory: read(overhead, 'memory', 'spec.overhead', false) ?? 0, gpu });
  }
  return { milliCPU: need.cpu, memoryBytes: need.memory, gpus: need.gpu };
}

// ---------------------------------------------------------------------------
// Labels and requirements.

const instanceTypeKeys: string[] = [label.instanceType, label.instanceTypeBeta, label.instanceFamily];
const capacityKeys: string[] = [label.capacityType, label.capacityTypeKarpenter];

/** instanceLabels are the labels a node for this placement would carry; nodeSelector and affinity match them. */
export function instanceLabels(catalog: Catalog, family: InstanceFamily, size: InstanceSize, zone: string, capacityType: CapacityType): Record<string, string[]> {
  const labels: Record<string, string[]> = {
    [label.instanceType]: [size.id, family.name],
    [label.instanceTypeBeta]: [size.id, family.name],
    [label.instanceFamily]: [family.name],
    [label.zone]: [zone],
    [label.zoneBeta]: [zone],
    [label.region]: [catalog.region],
    [label.regionBeta]: [catalog.region],
    [label.capacityType]: [capacityType],
    [label.capacityTypeKarpenter]: [capacityType],
    'kubernetes.io/os': ['linux'],
    'beta.kubernetes.io/os': ['linux'],
    'kubernetes.io/arch': ['amd64'],
    'beta.kubernetes.io/arch': ['amd64'],
    // virtual-kubelet nodes carry type=virtual-kubelet; manifests written for them select it.
    type: ['virtual-kubelet'],
  };
  if (family.gpu) labels['nodeless.dev/gpu-model'] = [family.gpu.model];
  return labels;
}

function matchRequirement(labels: Record<string, string[]>, r: NodeSelectorRequirement): boolean {
  const have = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return !!have && have.some((v) => values.includes(v));
    case 'NotIn':
      return !have || !have.some((v) => values.includes(v));
    case 'Exists':
      return !!have;
    case 'DoesNotExist':
      return !have;
    case 'Gt':
    case 'Lt': {
      if (!have || values.length !== 1) return false;
      const bound = Number.parseInt(values[0], 10);
      return have.some((v) => /^-?\d+$/.test(v) && (r.operator === 'Gt' ? Number(v) > bound : Number(v) < bound));
    }
    default:
      return false;
  }
}

/** Requirements are a Pod's scheduling constraints: nodeSelector ANDed with ORed affinity terms. */
interface Requirements {
  selector: NodeSelectorRequirement[];
  /** terms are ORed; an empty list means no affinity constraint. */
  terms: NodeSelectorRequirement[][];
}

function requirementsOf(pod: Pod): Requirements {
  const selector = Object.entries(pod.spec.nodeSelector ?? {}).map(([key, v]) => ({ key, operator: 'In', values: [v] }));
  const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  // kube: a term with no expressions matches nothing; matchFields (metadata.name) never matches an instance.
  const terms = (required?.nodeSelectorTerms ?? []).map((t) => [
    ...(t.matchExpressions ?? []),
    ...(t.matchFields ?? []).map((f) => ({ ...f, key: `field:${f.key}` })),
  ]);
  return { selector, terms: required ? terms : [] };
}

function matches(labels: Record<string, string[]>, req: Requirements, hasAffinity: boolean): boolean {
  if (!req.selector.every((r) => matchRequirement(labels, r))) return false;
  if (!hasAffinity) return true;
  return req.terms.some((t) => t.length > 0 && t.every((r) => matchRequirement(labels, r)));
}

const mentions = (req: Requirements, keys: string[]) => [...req.selector, ...req.terms.flat()].some((r) => keys.includes(r.key));

// ---------------------------------------------------------------------------
// The decision.

/** formatCPU writes millicores as vCPU: 250 -> "0.25", 20000 -> "20". */
export function formatCPU(milli: number): string {
  return String(Number((milli / 1000).toFixed(3)));
}

/** formatMemory writes bytes in the largest binary unit that keeps two decimals: "300Gi", "512Mi", "1.5Gi". */
export function formatMemory(bytes: number): string {
  for (const [unit, size] of [['Gi', GiB], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))}${unit}`;
  }
  return String(bytes);
}

function describeNeed(n: PodNeed): string {
  return `${formatCPU(n.milliCPU)} vCPU and ${formatMemory(n.memoryBytes)} memory${n.gpus ? ` and ${n.gpus} GPU` : ''}`;
}

function describeSize(s: InstanceSize): string {
  return `${formatCPU(s.milliCPU)} vCPU and ${formatMemory(s.memoryBytes)}${s.gpus ? ` and ${s.gpus} GPU` : ''}`;
}

/**
 * decideSize picks the cheapest placement covering the Pod's need among the placements its
 * nodeSelector and required node affinity allow (ties: on-demand first, then zone and size
 * order). Spot is chosen only when the Pod selects a capacity type; a GPU family serves only
 * Pods that request GPUs or select an instance type or family. Tolerations are accepted as they
 * are: instances carry no taints.
 */
export function decideSize(pod: Pod, catalog: Catalog, options: SizingOptions = {}): SizingDecision {
  let need: PodNeed;
  try {
    need = podNeed(pod, catalog, options);
  } catch (err) {
    if (err instanceof SizingError) return { schedulable: false, reason: 'Unschedulable', message: `pod has an invalid resource: ${err.message}` };
    throw err;
  }
  const req = requirementsOf(pod);
  const hasAffinity = !!pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  // A Pod with no selector and no required affinity matches every placement: its labels need not be built.
  const unconstrained = req.selector.length === 0 && !hasAffinity;
  const selectsCapacity = mentions(req, capacityKeys);
  const selectsFamily = mentions(req, instanceTypeKeys);
  const sizes = allSizes(catalog);
  const counts = new Map<string, number>();
  const bump = (reason: string) => counts.set(reason, (counts.get(reason) ?? 0) + 1);
  let best: Placement | undefined;
  let largest: InstanceSize | undefined;

  for (const family of catalog.families) {
    const sold = capacityTypes.filter((ct) => family.prices[ct]);
    // Without a capacity-type selector a Pod is on-demand (or the family's only capacity type).
    const candidates = selectsCapacity ? sold : sold.slice(0, 1);
    for (const size of family.sizes) {
      if (family.gpu && need.gpus === 0 && !selectsFamily) {
        bump(`reserved for pods requesting ${family.gpu.resource}`);
        continue;
      }
      let allowed: Placement | undefined;
      for (const capacityType of candidates) {
        for (const zone of family.zones) {
          if (!unconstrained && !matches(instanceLabels(catalog, family, size, zone, capacityType), req, hasAffinity)) continue;
          const price = pricePerSecond(size, family.prices[capacityType]!);
          if (!allowed || price < allowed.pricePerSecond) allowed = { size, family, zone, capacityType, pricePerSecond: price };
        }
      }
      if (!allowed) {
        bump("didn't match Pod's node affinity/selector");
        continue;
      }
      if (!largest || size.milliCPU > largest.milliCPU || (size.milliCPU === largest.milliCPU && size.memoryBytes > largest.memoryBytes)) largest = size;
      const short: string[] = [];
      if (size.milliCPU < need.milliCPU) short.push('Insufficient cpu');
      if (size.memoryBytes < need.memoryBytes) short.push('Insufficient memory');
      if (size.gpus < need.gpus) short.push(`Insufficient ${family.gpu?.resource ?? 'nvidia.com/gpu'}`);
      if (short.length) {
        short.forEach(bump);
        continue;
      }
      if (!best || allowed.pricePerSecond < best.pricePerSecond - 1e-15) best = allowed;
    }
  }
  if (best) return { schedulable: true, need, placement: best };

  const parts = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([reason, n]) => `${n} ${reason}`);
  let message = `0/${sizes.length} instance sizes are available: ${parts.join(', ')}.`;
  if (largest) message += ` The pod requests ${describeNeed(need)}; the largest size it may use offers ${describeSize(largest)}.`;
  else message += ` ${explainSelector(catalog, req)}`;
  return { schedulable: false, reason: 'Unschedulable', message: message.trim(), need };
}

/** explainSelector names the selector terms that no instance label satisfies and the values there are. */
function explainSelector(catalog: Catalog, req: Requirements): string {
  const known = new Map<string, Set<string>>();
  for (const family of catalog.families) {
    for (const ct of capacityTypes.filter((c) => family.prices[c])) {
      for (const zone of family.zones) {
        for (const [k, vs] of Object.entries(instanceLabels(catalog, family, family.sizes[0], zone, ct))) {
          if (!known.has(k)) known.set(k, new Set());
          // Per-size instance types would flood the message; families are listed instead.
          for (const v of k === label.instanceType || k === label.instanceTypeBeta ? [family.name] : vs) known.get(k)!.add(v);
        }
      }
    }
  }
  const sizeIds = new Set(allSizes(catalog).map((s) => s.id));
  const notes: string[] = [];
  for (const r of [...req.selector, ...req.terms.flat()]) {
    const values = known.get(r.key);
    const isType = r.key === label.instanceType || r.key === label.instanceTypeBeta;
    if (!values) {
      if (r.operator !== 'DoesNotExist' && r.operator !== 'NotIn') notes.push(`no instance has label ${r.key}`);
    } else if (r.operator === 'In' && !(r.values ?? []).some((v) => values.has(v) || (isType && sizeIds.has(v)))) {
      notes.push(`${r.key} must be one of ${[...values].join(', ')} (pod asks for ${(r.values ?? []).join(', ')})`);
    }
  }
  return notes.length ? `${notes.join('; ')}.` : '';
}

/** instanceAnnotations are the annotations the scheduler puts on a Pod it placed (see annotations.ts). */
export function instanceAnnotations(placement: Placement, instanceId: string, provider: string): Record<string, string> {
  return {
    [annotation.instanceId]: instanceId,
    [annotation.instanceSize]: placement.size.id,
    [annotation.instanceFamily]: placement.family.name,
    [annotation.zone]: placement.zone,
    [annotation.capacityType]: placement.capacityType,
    [annotation.pricePerHour]: String(Number((placement.pricePerSecond * 3600).toFixed(6))),
    [annotation.provider]: provider,
  };
}
