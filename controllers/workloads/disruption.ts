/**
 * The disruption controller, as kube's pkg/controller/disruption: it keeps each
 * PodDisruptionBudget's status current from the pods its selector picks: currentHealthy (ready
 * pods not being deleted nor just evicted), desiredHealthy, expectedPods, disruptionsAllowed,
 * observedGeneration and the DisruptionAllowed condition (SufficientPods / InsufficientPods).
 * The eviction subresource (server/registry/pod-subresources.ts) reads that status, takes one
 * disruption per eviction and records the pod in status.disruptedPods; this controller drops
 * the entries of pods that went, and those not deleted within two minutes (DeletionTimeout).
 *
 * minAvailable as a number is counted against the pods found; a percentage, and any
 * maxUnavailable, against the scale of the pods' controllers (ReplicationController,
 * ReplicaSet or its Deployment, StatefulSet, or anything else with a scale subresource), read
 * through the Client. Pods without a controller are left out of that scale, with an
 * UnmanagedPods warning, as kube does; when a scale cannot be found the budget fails safe:
 * no disruption allowed, condition reason SyncFailed.
 *
 * A pod marked DisruptionTarget=True (by an eviction) that is still not being deleted two
 * minutes later was not disrupted after all: the condition is set back to False.
 */
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import { labelSelectorFromObject, matches, nothingSelector, type LabelSelector, type LabelSelectorObject } from '../../schemas/meta/selectors';
import {
  DEPLOYMENTS,
  PODS,
  POD_DISRUPTION_BUDGETS,
  REPLICATION_CONTROLLERS,
  REPLICA_SETS,
  STATEFUL_SETS,
  isConflict,
  isNotFound,
  objectKey,
  splitKey,
  type Client,
  type ResourceDescriptor,
} from '../runtime/client';
import { controllerRefOf } from '../runtime/controller-ref';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type Clock, type ReconcileResult } from '../runtime/work-queue';
import { isReady } from './replicaset';

/** DELETION_TIMEOUT_MS is kube's DeletionTimeout: an evicted pod not deleted by then counts again. */
export const DELETION_TIMEOUT_MS = 2 * 60_000;
/** STALE_POD_DISRUPTION_TIMEOUT_MS is kube's stalePodDisruptionTimeout: a DisruptionTarget condition left this long on a pod not being deleted is reset. */
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60_000;

interface BudgetSpec {
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  selector?: LabelSelectorObject | null;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

interface BudgetStatus {
  currentHealthy?: number;
  desiredHealthy?: number;
  expectedPods?: number;
  disruptionsAllowed?: number;
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  conditions?: Condition[];
}

type Budget = KubeObject & { spec?: BudgetSpec; status?: BudgetStatus };

/** DisruptionControllerOptions tune the controller. */
export interface DisruptionControllerOptions {
  workers?: number;
}

/** DisruptionController keeps PodDisruptionBudget status current. */
export class DisruptionController implements Controller {
  readonly name = 'disruption-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private clock!: Clock;
  private queue!: WorkQueue;
  private staleQueue!: WorkQueue;
  private budgets!: Informer<Budget>;
  private pods!: Informer;

  constructor(private readonly options: DisruptionControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'disruption budget sync failed', workers: this.options.workers ?? 2, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.staleQueue = new WorkQueue((key) => this.resetStaleDisruption(key), { failure: 'stale pod disruption reset failed', autoStart: false, clock: ctx.clock, log: ctx.log });
    this.budgets = ctx.informers.informerFor<Budget>(POD_DISRUPTION_BUDGETS);
    this.pods = ctx.informers.informerFor(PODS);
    this.budgets.addEventHandler({
      onAdd: (b) => this.queue.add(objectKey(b)),
      onUpdate: (_old, b) => this.queue.add(objectKey(b)),
      onDelete: (b) => this.queue.add(objectKey(b)),
    });
    this.pods.addEventHandler({
      onAdd: (p) => {
        this.podChanged(p);
        this.watchDisruptionTarget(p);
      },
      onUpdate: (old, p) => {
        if (old.metadata?.resourceVersion === p.metadata?.resourceVersion) return;
        if (!jsonEqual(old.metadata?.labels, p.metadata?.labels)) this.podChanged(old);
        this.podChanged(p);
        this.watchDisruptionTarget(p);
      },
      onDelete: (p) => this.podChanged(p),
    });
  }

  run(): void {
    this.queue.start();
    this.staleQueue.start();
  }

  stop(): void {
    this.queue?.stop();
    this.staleQueue?.stop();
  }

  // watchDisruptionTarget plans the reset of a DisruptionTarget condition for when it goes stale.
  private watchDisruptionTarget(pod: Readonly<KubeObject>): void {
    const since = disruptionTargetSince(pod);
    if (since === undefined) return;
    this.staleQueue.addAfter(objectKey(pod), since + STALE_POD_DISRUPTION_TIMEOUT_MS - this.clock.now());
  }

  /** resetStaleDisruption sets a stale DisruptionTarget condition back to False. */
  async resetStaleDisruption(key: string): Promise<ReconcileResult | void> {
    const pod = this.pods.get(key);
    if (!pod) return;
    const since = disruptionTargetSince(pod);
    if (since === undefined) return;
    const left = since + STALE_POD_DISRUPTION_TIMEOUT_MS - this.clock.now();
    if (left > 0) return { requeueAfter: left };
    const { namespace, name } = splitKey(key);
    // The pod's resourceVersion is the precondition: a pod that changed meanwhile is looked at again.
    const patch = {
      metadata: { resourceVersion: pod.metadata?.resourceVersion },
      status: { conditions: [{ type: 'DisruptionTarget', status: 'False', lastTransitionTime: rfc3339(this.clock.now()) }] },
    };
    try {
      await this.client.patch(PODS, namespace, name, 'strategic', patch, { subresource: 'status' });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return { requeue: true };
      throw err;
    }
  }

  private podChanged(pod: Readonly<KubeObject>): void {
    const ns = pod.metadata?.namespace;
    if (!ns) return;
    for (const b of this.budgets.list(ns)) if (matches(selectorOf(b), pod.metadata?.labels)) this.queue.add(objectKey(b));
  }

  /** reconcile recomputes one budget's status from its pods. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const budget = this.budgets.get(key);
    if (!budget) return;
    const { namespace } = splitKey(key);
    const selector = selectorOf(budget);
    const pods = this.pods.list(namespace).filter((p) => matches(selector, p.metadata?.labels));
    if (!pods.length) void this.recorder.event(budget, 'Normal', 'NoPods', 'No matching pods found');
    const now = this.clock.now();
    const { disrupted, recheckAt } = this.disruptedPods(budget, pods, now);
    let status: BudgetStatus;
    try {
      const { expected, desired, unmanaged } = await this.expectedPodCount(budget, pods);
      if (unmanaged.length) {
        void this.recorder.event(
          budget,
          'Warning',
          'UnmanagedPods',
          `Pods selected by this PodDisruptionBudget (selector: ${selectorString(budget)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
        );
      }
      const current = countHealthy(pods, disrupted, now);
      status = this.statusOf(budget, current, desired, expected, disrupted);
    } catch (err) {
      if (!(err instanceof ExpectedPodsError)) throw err;
      void this.recorder.event(budget, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${err.message}`);
      status = this.failSafe(budget, err.message);
    }
    if (!jsonEqual(status, budget.status ?? {})) {
      try {
        await this.client.updateStatus(POD_DISRUPTION_BUDGETS, { ...structuredClone(budget as KubeObject), status });
      } catch (err) {
        if (isNotFound(err)) return;
        // An eviction took a disruption meanwhile: compute again from the budget as it is now.
        if (isConflict(err)) return { requeue: true };
        throw err;
      }
    }
    if (recheckAt !== undefined) return { requeueAfter: Math.max(1, recheckAt - now) };
  }

  // disruptedPods keeps the evictions still expected to delete their pod: a pod gone or being
  // deleted is done with, and one still here after DeletionTimeout was not deleted after all.
  private disruptedPods(budget: Readonly<Budget>, pods: readonly Readonly<KubeObject>[], now: number): { disrupted: Record<string, string>; recheckAt?: number } {
    const recorded = budget.status?.disruptedPods ?? {};
    const disrupted: Record<string, string> = {};
    let recheckAt: number | undefined;
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      const at = recorded[name];
      if (pod.metadata?.deletionTimestamp || at === undefined) continue;
      const expectedDeletion = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (!Number.isFinite(expectedDeletion) || expectedDeletion < now) {
        void this.recorder.event(pod, 'Warning', 'NotDeleted', `Pod was expected by PDB ${budget.metadata?.namespace}/${budget.metadata?.name} to be deleted but it wasn't`);
        continue;
      }
      disrupted[name] = at;
      if (recheckAt === undefined || expectedDeletion < recheckAt) recheckAt = expectedDeletion;
    }
    return { disrupted, recheckAt };
  }

  // expectedPodCount is kube's getExpectedPodCount.
  private async expectedPodCount(budget: Readonly<Budget>, pods: readonly Readonly<KubeObject>[]): Promise<{ expected: number; desired: number; unmanaged: string[] }> {
    const spec = budget.spec ?? {};
    if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
      const { expected, unmanaged } = await this.expectedScale(pods);
      const maxUnavailable = scaledIntOrPercent(spec.maxUnavailable, expected);
      return { expected, desired: Math.max(0, expected - maxUnavailable), unmanaged };
    }
    if (typeof spec.minAvailable === 'number') return { expected: pods.length, desired: spec.minAvailable, unmanaged: [] };
    if (typeof spec.minAvailable === 'string') {
      const { expected, unmanaged } = await this.expectedScale(pods);
      return { expected, desired: scaledIntOrPercent(spec.minAvailable, expected), unmanaged };
    }
    return { expected: pods.length, desired: 0, unmanaged: [] };
  }

  // expectedScale is the sum of the scales of the pods' controllers, each counted once.
  private async expectedScale(pods: readonly Readonly<KubeObject>[]): Promise<{ expected: number; unmanaged: string[] }> {
    const scales = new Map<string, number>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      if (!ref) {
        unmanaged.push(pod.metadata?.name ?? '');
        continue;
      }
      if (scales.has(ref.uid)) continue;
      const found = await this.controllerScale(ref, pod.metadata!.namespace!);
      if (!found) throw new ExpectedPodsError(`found no controllers for pod "${pod.metadata?.name}"`);
      scales.set(found.uid, found.scale);
    }
    let expected = 0;
    for (const s of scales.values()) expected += s;
    return { expected, unmanaged };
  }

  // controllerScale finds the controller a pod's controllerRef names and reads its scale; a
  // ReplicaSet run by a Deployment answers for the Deployment.
  private async controllerScale(ref: { apiVersion: string; kind: string; name: string; uid: string }, namespace: string): Promise<{ uid: string; scale: number } | undefined> {
    const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/', 2) : ['', ref.apiVersion];
    if (ref.kind === 'ReplicaSet' && group === 'apps') {
      const rs = await this.getOrUndefined(REPLICA_SETS, namespace, ref.name);
      if (!rs || rs.metadata?.uid !== ref.uid) return undefined;
      const owner = controllerRefOf(rs);
      if (owner?.kind === 'Deployment' && owner.apiVersion.startsWith('apps/')) {
        const found = await this.scaleOf(DEPLOYMENTS, namespace, owner.name, owner.uid);
        if (found) return found;
      }
      return this.scaleOf(REPLICA_SETS, namespace, ref.name, ref.uid);
    }
    const known: Record<string, ResourceDescriptor> = { '/ReplicationController': REPLICATION_CONTROLLERS, 'apps/StatefulSet': STATEFUL_SETS, 'apps/Deployment': DEPLOYMENTS };
    let res = known[`${group}/${ref.kind}`];
    if (!res) {
      try {
        res = await this.client.resourceFor({ group, version, kind: ref.kind });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }
    return this.scaleOf(res, namespace, ref.name, ref.uid);
  }

  private async scaleOf(res: ResourceDescriptor, namespace: string, name: string, uid: string): Promise<{ uid: string; scale: number } | undefined> {
    try {
      const scale = await this.client.getScale(res, namespace, name);
      // The scale must be of the very controller the pod names, not a namesake made since.
      if (scale.metadata?.uid && scale.metadata.uid !== uid) return undefined;
      return { uid, scale: scale.spec?.replicas ?? 0 };
    } catch (err) {
      // No such object, or a kind without a scale subresource.
      if (isNotFound(err) || (err as { code?: number }).code === 405) return undefined;
      throw err;
    }
  }

  private async getOrUndefined(res: ResourceDescriptor, namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.client.get(res, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private statusOf(budget: Readonly<Budget>, current: number, desired: number, expected: number, disrupted: Record<string, string>): BudgetStatus {
    // A budget that matches no pods yet allows nothing, so its first pods are safe before it is synced.
    let allowed = current - desired;
    if (expected <= 0 || allowed <= 0) allowed = 0;
    const generation = budget.metadata?.generation ?? 0;
    const status: BudgetStatus = { ...(budget.status ?? {}) };
    if (Object.keys(disrupted).length) status.disruptedPods = disrupted;
    else delete status.disruptedPods;
    status.currentHealthy = current;
    status.desiredHealthy = desired;
    status.expectedPods = expected;
    status.disruptionsAllowed = allowed;
    status.observedGeneration = generation;
    status.conditions = this.withCondition(budget, generation, allowed > 0 ? 'True' : 'False', allowed > 0 ? 'SufficientPods' : 'InsufficientPods', '');
    return status;
  }

  // failSafe is kube's failSafe: nothing may be disrupted while the budget cannot be computed.
  private failSafe(budget: Readonly<Budget>, message: string): BudgetStatus {
    const generation = budget.metadata?.generation ?? 0;
    // The counts are ints that kube always serialises: they stay as last computed, or 0.
    const previous = budget.status ?? {};
    return {
      ...previous,
      currentHealthy: previous.currentHealthy ?? 0,
      desiredHealthy: previous.desiredHealthy ?? 0,
      expectedPods: previous.expectedPods ?? 0,
      disruptionsAllowed: 0,
      observedGeneration: generation,
      conditions: this.withCondition(budget, generation, 'False', 'SyncFailed', message),
    };
  }

  // withCondition sets DisruptionAllowed as meta.SetStatusCondition does: the transition time
  // moves only when the status does.
  private withCondition(budget: Readonly<Budget>, observedGeneration: number, status: string, reason: string, message: string): Condition[] {
    const conditions = (budget.status?.conditions ?? []).map((c) => ({ ...c }));
    const i = conditions.findIndex((c) => c.type === 'DisruptionAllowed');
    const previous = i >= 0 ? conditions[i] : undefined;
    const next: Condition = {
      type: 'DisruptionAllowed',
      status,
      observedGeneration,
      lastTransitionTime: previous && previous.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : rfc3339(this.clock.now()),
      reason,
      message,
    };
    if (i >= 0) conditions[i] = next;
    else conditions.push(next);
    return conditions;
  }
}

// disruptionTargetSince is when a pod not being deleted was marked DisruptionTarget=True. As in
// kube, a condition the kubelet set (TerminationByKubelet), or one on a pod that already ended,
// never goes stale: it records why the pod stopped.
function disruptionTargetSince(pod: Readonly<KubeObject>): number | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  const status = pod.status as { phase?: string; conditions?: Condition[] } | undefined;
  if (status?.phase === 'Succeeded' || status?.phase === 'Failed') return undefined;
  const c = (status?.conditions ?? []).find((x) => x.type === 'DisruptionTarget');
  if (c?.status !== 'True' || (c as { reason?: string }).reason === 'TerminationByKubelet') return undefined;
  const at = Date.parse(c.lastTransitionTime ?? '');
  return Number.isFinite(at) ? at : undefined;
}

/** ExpectedPodsError is a budget whose expected pod count cannot be computed. */
class ExpectedPodsError extends Error {}

// countHealthy counts the ready pods that are neither being deleted nor just evicted.
function countHealthy(pods: readonly Readonly<KubeObject>[], disrupted: Record<string, string>, now: number): number {
  let n = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disrupted[pod.metadata?.name ?? ''];
    if (at !== undefined && Date.parse(at) + DELETION_TIMEOUT_MS > now) continue;
    if (isReady(pod)) n++;
  }
  return n;
}

/**
 * scaledIntOrPercent is intstr.GetScaledValueFromIntOrPercent rounding up: a number as is, "N%"
 * of total rounded up. Anything else cannot be computed (validation refuses it anyway).
 */
export function scaledIntOrPercent(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new ExpectedPodsError(`invalid value for IntOrString: invalid type: string is not a percentage`);
  return Math.ceil((Number(m[1]) * total) / 100);
}

// selectorOf is the budget's selector: empty selects every pod of the namespace, none selects none.
function selectorOf(budget: Readonly<Budget>): LabelSelector {
  const sel = budget.spec?.selector;
  if (sel === undefined || sel === null) return nothingSelector;
  try {
    return labelSelectorFromObject(sel);
  } catch {
    return nothingSelector;
  }
}

function selectorString(budget: Readonly<Budget>): string {
  return JSON.stringify(budget.spec?.selector ?? null);
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
