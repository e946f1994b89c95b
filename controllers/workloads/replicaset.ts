/**
 * The ReplicaSet controller, as kube's pkg/controller/replicaset (and, parameterised by a
 * ReplicatedKind, the ReplicationController controller): it keeps spec.replicas pods
 * matching the selector, created from the template (whose labels, pod-template-hash included,
 * the pods carry) with the ReplicaSet as their controllerRef. Orphans that match are adopted,
 * owned pods that stop matching are released. Expectations keep a reconcile that runs before
 * the pod informer has caught up from creating or deleting pods twice. Status (replicas,
 * fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration, the
 * ReplicaFailure condition) is written through the status subresource.
 */
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import { labelSelectorFromObject, matches, type LabelSelector, type LabelSelectorObject } from '../../schemas/meta/selectors';
import { PODS, REPLICA_SETS, apiVersionOf, hasCause, isConflict, isNotFound, objectKey, splitKey, type Client, type ResourceDescriptor } from '../runtime/client';
import { claimObjects, controllerRefOf, newControllerRef } from '../runtime/controller-ref';
import type { EventRecorder } from '../runtime/events';
import { Expectations } from '../runtime/expectations';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type Clock, type ReconcileResult } from '../runtime/work-queue';

/** BURST_REPLICAS caps the pods one pass creates or deletes (kube's burstReplicas). */
export const BURST_REPLICAS = 500;
/** POD_DELETION_COST_ANNOTATION ranks pods for deletion on scale-down: lower cost goes first. */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** ReplicaSetSpec is the part of apps/v1 ReplicaSet this controller reads. */
interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: LabelSelectorObject;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}

interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

interface PodStatus {
  phase?: string;
  conditions?: PodCondition[];
  startTime?: string;
  containerStatuses?: Array<{ restartCount?: number }>;
}

/**
 * ReplicatedKind is what differs between the kinds this controller runs: kube runs the
 * ReplicationController controller as the ReplicaSet controller over an adapter, and so do we.
 */
export interface ReplicatedKind {
  /** controllerName is the field manager and event component, e.g. replicaset-controller */
  controllerName: string;
  resource: ResourceDescriptor;
  /** kind is the kind named in the pods' controllerRef */
  kind: string;
  /** selectorOf reads the spec's pod selector as a LabelSelector object; undefined selects nothing */
  selectorOf(spec: Record<string, unknown>): LabelSelectorObject | undefined;
}

/** REPLICA_SET_KIND is apps/v1 ReplicaSet, whose selector is a LabelSelector. */
export const REPLICA_SET_KIND: ReplicatedKind = {
  controllerName: 'replicaset-controller',
  resource: REPLICA_SETS,
  kind: 'ReplicaSet',
  selectorOf: (spec) => spec.selector as LabelSelectorObject | undefined,
};

/** ReplicaSetControllerOptions tune the controller. */
export interface ReplicaSetControllerOptions {
  workers?: number;
  burstReplicas?: number;
  /** kind is the kind reconciled (default ReplicaSet) */
  kind?: ReplicatedKind;
}

/**
 * ReplicaManagementError is a failed create or delete of pods; its reason (FailedCreate or
 * FailedDelete) and message become the ReplicaFailure condition, as kube reports them.
 */
export class ReplicaManagementError extends Error {
  constructor(
    readonly reason: 'FailedCreate' | 'FailedDelete',
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ReplicaManagementError';
  }
}

/** ReplicaSetController reconciles apps/v1 ReplicaSets (or, given REPLICATION_CONTROLLER_KIND, core/v1 ReplicationControllers). */
export class ReplicaSetController implements Controller {
  readonly name: string;
  private readonly kind: ReplicatedKind;
  private client!: Client;
  private recorder!: EventRecorder;
  private clock!: Clock;
  private queue!: WorkQueue;
  private replicaSets!: Informer;
  private pods!: Informer;
  private expectations!: Expectations;

  constructor(private readonly options: ReplicaSetControllerOptions = {}) {
    this.kind = options.kind ?? REPLICA_SET_KIND;
    this.name = this.kind.controllerName;
  }

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    this.expectations = new Expectations(ctx.clock);
    // kube-controller-manager runs five ReplicaSet workers (--concurrent-replicaset-syncs).
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: `${this.kind.kind} sync failed`, workers: this.options.workers ?? 5, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.replicaSets = ctx.informers.informerFor(this.kind.resource);
    this.pods = ctx.informers.informerFor(PODS);
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.queue.add(objectKey(rs)),
      onUpdate: (_old, rs) => this.queue.add(objectKey(rs)),
      onDelete: (rs) => {
        this.expectations.forget(objectKey(rs));
        this.queue.add(objectKey(rs));
      },
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, pod) => this.podUpdated(old, pod),
      onDelete: (pod) => this.podDeleted(pod),
    });
  }

  run(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  // ---- event handlers: map pods to the ReplicaSets that care -----------------------------------

  private ownerKey(pod: Readonly<KubeObject>): string | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== this.kind.kind) return undefined;
    const rs = this.replicaSets.getByName(pod.metadata?.namespace, ref.name);
    return rs && rs.metadata?.uid === ref.uid ? objectKey(rs) : undefined;
  }

  // matchingKeys are the ReplicaSets whose selector matches an orphan pod: one of them adopts it.
  private matchingKeys(pod: Readonly<KubeObject>): string[] {
    return this.replicaSets
      .list(pod.metadata?.namespace ?? '')
      .filter((rs) => this.selects(rs, pod))
      .map(objectKey);
  }

  private podAdded(pod: Readonly<KubeObject>): void {
    if (pod.metadata?.deletionTimestamp) return this.podDeleted(pod);
    const owner = this.ownerKey(pod);
    if (owner) {
      this.expectations.creationObserved(owner);
      this.queue.add(owner);
      return;
    }
    if (!controllerRefOf(pod)) for (const key of this.matchingKeys(pod)) this.queue.add(key);
  }

  private podUpdated(old: Readonly<KubeObject>, pod: Readonly<KubeObject>): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) return this.podDeleted(pod);
    const oldOwner = this.ownerKey(old);
    const owner = this.ownerKey(pod);
    if (oldOwner && oldOwner !== owner) this.queue.add(oldOwner);
    if (owner) this.queue.add(owner);
    else if (!controllerRefOf(pod) && !jsonEqual(old.metadata?.labels, pod.metadata?.labels)) for (const key of this.matchingKeys(pod)) this.queue.add(key);
    // A pod that became ready counts towards availableReplicas minReadySeconds later: the owner requeues itself.
  }

  private podDeleted(pod: Readonly<KubeObject>): void {
    const owner = this.ownerKey(pod);
    if (!owner) return;
    this.expectations.deletionObserved(owner, objectKey(pod));
    this.queue.add(owner);
  }

  // ---- reconcile ------------------------------------------------------------------------------

  /** reconcile brings one ReplicaSet's pods and status in line with its spec. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.replicaSets.get(key);
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    // Items of a list from a real API server carry no kind: the controllerRef needs it.
    const rs: Readonly<KubeObject> = { ...cached, apiVersion: apiVersionOf(this.kind.resource), kind: this.kind.kind };
    const spec = (rs.spec ?? {}) as ReplicaSetSpec;
    const { namespace } = splitKey(key);
    const needsSync = this.expectations.satisfied(key) && !rs.metadata?.deletionTimestamp;
    const selector = this.selectorOf(rs);
    // Every pod of the namespace is a candidate: the owned, and orphans to adopt.
    const candidates = this.pods.list(namespace).filter((p) => isActive(p));
    const owned = await claimObjects(this.client, PODS, rs, candidates, {
      matches: (p) => !!selector && matches(selector, p.metadata?.labels),
      canAdopt: !rs.metadata?.deletionTimestamp,
    });
    let failure: ReplicaManagementError | undefined;
    if (needsSync) {
      try {
        await this.manageReplicas(key, rs, owned);
      } catch (err) {
        failure = err instanceof ReplicaManagementError ? err : new ReplicaManagementError('FailedCreate', String(err instanceof Error ? err.message : err), err);
        await this.writeStatus(key, rs, owned, failure);
        throw err;
      }
    }
    await this.writeStatus(key, rs, owned, failure);
    const minReady = spec.minReadySeconds ?? 0;
    // A pod ready but not yet available for minReadySeconds becomes available with no event: look again then.
    if (minReady > 0 && owned.some((p) => isReady(p) && !isAvailable(p, minReady, this.clock.now()))) return { requeueAfter: minReady * 1000 };
  }

  private async manageReplicas(key: string, rs: Readonly<KubeObject>, owned: readonly Readonly<KubeObject>[]): Promise<void> {
    const spec = (rs.spec ?? {}) as ReplicaSetSpec;
    const want = spec.replicas ?? 1;
    const diff = owned.length - want;
    const burst = this.options.burstReplicas ?? BURST_REPLICAS;
    // A ReplicationController may have no template: it then manages no pods into being.
    if (diff < 0 && spec.template) {
      const count = Math.min(-diff, burst);
      this.expectations.expectCreations(key, count);
      let firstError: unknown;
      const created = await slowStartBatch(count, 1, () =>
        this.createPod(key, rs).catch((err) => {
          firstError ??= err;
          throw err;
        }),
      );
      // Creates that were never made will never be observed.
      for (let i = created; i < count; i++) this.expectations.creationObserved(key);
      if (created < count) throw new ReplicaManagementError('FailedCreate', errorText(firstError), firstError);
      return;
    }
    if (diff > 0) {
      const victims = podsToDelete(owned, Math.min(diff, burst), this.clock.now());
      this.expectations.expectDeletions(key, victims.map(objectKey));
      const results = await Promise.allSettled(victims.map((p) => this.deletePod(key, rs, p)));
      const failed = results.filter((r) => r.status === 'rejected');
      if (failed.length) {
        const reason = (failed[0] as PromiseRejectedResult).reason;
        throw new ReplicaManagementError('FailedDelete', errorText(reason), reason);
      }
    }
  }

  private async createPod(key: string, rs: Readonly<KubeObject>): Promise<void> {
    const spec = (rs.spec ?? {}) as ReplicaSetSpec;
    const template = spec.template ?? {};
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${rs.metadata!.name}-`,
        labels: { ...template.metadata?.labels },
        annotations: { ...template.metadata?.annotations },
        ownerReferences: [{ ...newControllerRef(rs) }],
      },
      spec: structuredClone(template.spec ?? {}),
    };
    try {
      const created = await this.client.create(PODS, rs.metadata!.namespace, pod);
      void this.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata!.name}`);
    } catch (err) {
      // A terminating namespace takes no pods: not a failure worth an event or a retry storm.
      if (hasCause(err, 'NamespaceTerminating')) {
        this.expectations.creationObserved(key);
        return;
      }
      void this.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${errorText(err)}`);
      throw err;
    }
  }

  private async deletePod(key: string, rs: Readonly<KubeObject>, pod: Readonly<KubeObject>): Promise<void> {
    try {
      await this.client.delete(PODS, pod.metadata!.namespace, pod.metadata!.name!, { preconditions: { uid: pod.metadata!.uid } });
      void this.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata!.name}`);
    } catch (err) {
      // Already gone (or replaced): its delete event may never come for this pod.
      this.expectations.deletionObserved(key, objectKey(pod));
      if (isNotFound(err) || isConflict(err)) return;
      void this.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${errorText(err)}`);
      throw err;
    }
  }

  // writeStatus updates the status subresource when the counts changed; the cache may be behind,
  // so a conflict re-reads the ReplicaSet and tries again.
  private async writeStatus(key: string, cached: Readonly<KubeObject>, owned: readonly Readonly<KubeObject>[], failure: ReplicaManagementError | undefined): Promise<void> {
    let rs: Readonly<KubeObject> = cached;
    for (let attempt = 0; ; attempt++) {
      const status = calculateStatus(rs, owned, failure, this.clock.now());
      if (jsonEqual(status, rs.status ?? {})) return;
      try {
        await this.client.updateStatus(this.kind.resource, { ...structuredClone(rs as KubeObject), status });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 3) throw err;
        const { namespace, name } = splitKey(key);
        rs = await this.client.get(this.kind.resource, namespace, name);
      }
    }
  }

  private selectorOf(rs: Readonly<KubeObject>): LabelSelector | undefined {
    const selector = this.kind.selectorOf((rs.spec ?? {}) as Record<string, unknown>);
    return selector ? labelSelectorFromObject(selector) : undefined;
  }

  private selects(rs: Readonly<KubeObject>, pod: Readonly<KubeObject>): boolean {
    const selector = this.selectorOf(rs);
    return !!selector && matches(selector, pod.metadata?.labels);
  }
}

function errorText(err: unknown): string {
  return String(err instanceof Error ? err.message : err);
}

/** calculateStatus is a ReplicaSet's status for the pods it owns. */
export function calculateStatus(rs: Readonly<KubeObject>, owned: readonly Readonly<KubeObject>[], failure: { reason: string; message: string } | undefined, now: number): Record<string, unknown> {
  const spec = (rs.spec ?? {}) as ReplicaSetSpec;
  const templateLabels = spec.template?.metadata?.labels ?? {};
  const minReady = spec.minReadySeconds ?? 0;
  const fullyLabeled = owned.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata?.labels?.[k] === v)).length;
  const ready = owned.filter(isReady).length;
  const available = owned.filter((p) => isAvailable(p, minReady, now)).length;
  const previous = ((rs.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
  const oldFailure = ((rs.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ?? []).find((c) => c.type === 'ReplicaFailure');
  const conditions = [...previous];
  // As kube: a failure is recorded once and kept while failures go on; a pass without one clears it.
  if (failure) {
    conditions.push(oldFailure ?? { type: 'ReplicaFailure', status: 'True', lastTransitionTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'), reason: failure.reason, message: failure.message });
  }
  const status: Record<string, unknown> = { replicas: owned.length };
  if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  status.observedGeneration = rs.metadata?.generation ?? 0;
  if (conditions.length) status.conditions = conditions;
  return status;
}

/** isActive is true for a pod that counts towards replicas: not finished, not being deleted. */
export function isActive(pod: Readonly<KubeObject>): boolean {
  const phase = (pod.status as PodStatus | undefined)?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

function readyCondition(pod: Readonly<KubeObject>): PodCondition | undefined {
  return (pod.status as PodStatus | undefined)?.conditions?.find((c) => c.type === 'Ready');
}

/** isReady is true for a pod whose Ready condition is True. */
export function isReady(pod: Readonly<KubeObject>): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** isAvailable is true for a pod ready for at least minReadySeconds. */
export function isAvailable(pod: Readonly<KubeObject>, minReadySeconds: number, now: number): boolean {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/**
 * podsToDelete picks n pods to delete, in kube's ActivePodsWithRanks order (with the
 * LogarithmicScaleDown gate on, as it is by default): unscheduled before scheduled, Pending
 * before Unknown before Running, not ready before ready, lower pod-deletion-cost first, pods
 * doubled up with more of their siblings on one node first, ready more recently first, more
 * container restarts first, newer first. Ready and creation times compare by powers of two of
 * their age, ties broken by uid, so scale-down does not always take the very newest pods.
 */
export function podsToDelete(pods: readonly Readonly<KubeObject>[], n: number, now: number): Readonly<KubeObject>[] {
  const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
  // An int32 in decimal, as kube parses it; anything else counts as the default 0.
  const cost = (p: Readonly<KubeObject>) => {
    const raw = p.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION] ?? '';
    const v = /^[+-]?\d{1,10}$/.test(raw) ? Number(raw) : 0;
    return v >= -(2 ** 31) && v < 2 ** 31 ? v : 0;
  };
  const nodeOf = (p: Readonly<KubeObject>) => (p.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
  const onNode = new Map<string, number>();
  for (const p of pods) onNode.set(nodeOf(p), (onNode.get(nodeOf(p)) ?? 0) + 1);
  const readySince = (p: Readonly<KubeObject>) => Date.parse(readyCondition(p)?.lastTransitionTime ?? '');
  const restarts = (p: Readonly<KubeObject>) => Math.max(0, ...((p.status as PodStatus | undefined)?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
  const created = (p: Readonly<KubeObject>) => Date.parse(p.metadata?.creationTimestamp ?? '');
  const uid = (p: Readonly<KubeObject>) => p.metadata?.uid ?? '';
  // byAge orders newer first; known times compare by log2 of their age, unknown ones come first.
  const byAge = (a: Readonly<KubeObject>, b: Readonly<KubeObject>, ta: number, tb: number): number => {
    if (ta === tb || (Number.isNaN(ta) && Number.isNaN(tb))) return 0;
    if (Number.isNaN(ta)) return -1;
    if (Number.isNaN(tb)) return 1;
    const rank = (t: number) => (now - t > 0 ? Math.floor(Math.log2((now - t) * 1e6)) : -1);
    const diff = rank(ta) - rank(tb);
    return diff !== 0 ? diff : uid(a) < uid(b) ? -1 : uid(a) > uid(b) ? 1 : 0;
  };
  const sorted = [...pods].sort(
    (a, b) =>
      Number(nodeOf(a) !== '') - Number(nodeOf(b) !== '') ||
      (phaseRank[(a.status as PodStatus | undefined)?.phase ?? 'Pending'] ?? 0) - (phaseRank[(b.status as PodStatus | undefined)?.phase ?? 'Pending'] ?? 0) ||
      Number(isReady(a)) - Number(isReady(b)) ||
      cost(a) - cost(b) ||
      (onNode.get(nodeOf(b)) ?? 0) - (onNode.get(nodeOf(a)) ?? 0) ||
      (isReady(a) && isReady(b) ? byAge(a, b, readySince(a), readySince(b)) : 0) ||
      restarts(b) - restarts(a) ||
      byAge(a, b, created(a), created(b)),
  );
  return sorted.slice(0, n);
}

/**
 * slowStartBatch runs fn count times in batches that double from initial (1, 2, 4, ...), as
 * kube's slowStartBatch: a failing create (quota, admission) stops after one small batch rather
 * than hundreds of identical failures. It answers how many calls succeeded.
 */
export async function slowStartBatch(count: number, initial: number, fn: () => Promise<void>): Promise<number> {
  let done = 0;
  for (let batch = Math.min(initial, count); done < count; batch = Math.min(2 * batch, count - done)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, fn));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    done += ok;
    if (ok < batch) return done;
  }
  return done;
}
