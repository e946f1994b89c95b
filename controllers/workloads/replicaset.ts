/**
 * The ReplicaSet controller, as kube's pkg/controller/replicaset: it keeps spec.replicas pods
 * matching the selector, created from the template (whose labels, pod-template-hash included,
 * the pods carry) with the ReplicaSet as their controllerRef. Orphans that match are adopted,
 * owned pods that stop matching are released. Expectations keep a reconcile that runs before
 * the pod informer has caught up from creating or deleting pods twice. Status (replicas,
 * fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration, the
 * ReplicaFailure condition) is written through the status subresource.
 */
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import { labelSelectorFromObject, matches, type LabelSelectorObject } from '../../schemas/meta/selectors';
import { PODS, REPLICA_SETS, hasCause, isConflict, isNotFound, objectKey, splitKey, type Client } from '../runtime/client';
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

/** ReplicaSetControllerOptions tune the controller. */
export interface ReplicaSetControllerOptions {
  workers?: number;
  burstReplicas?: number;
}

/** ReplicaSetController reconciles apps/v1 ReplicaSets. */
export class ReplicaSetController implements Controller {
  readonly name = 'replicaset-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private clock!: Clock;
  private queue!: WorkQueue;
  private replicaSets!: Informer;
  private pods!: Informer;
  private expectations!: Expectations;

  constructor(private readonly options: ReplicaSetControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    this.expectations = new Expectations(ctx.clock);
    // kube-controller-manager runs five ReplicaSet workers (--concurrent-replicaset-syncs).
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'replicaset sync failed', workers: this.options.workers ?? 5, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.replicaSets = ctx.informers.informerFor(REPLICA_SETS);
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
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.replicaSets.getByName(pod.metadata?.namespace, ref.name);
    return rs && rs.metadata?.uid === ref.uid ? objectKey(rs) : undefined;
  }

  // matchingKeys are the ReplicaSets whose selector matches an orphan pod: one of them adopts it.
  private matchingKeys(pod: Readonly<KubeObject>): string[] {
    return this.replicaSets
      .list(pod.metadata?.namespace ?? '')
      .filter((rs) => selects(rs, pod))
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
    const rs = cached;
    const spec = (rs.spec ?? {}) as ReplicaSetSpec;
    const { namespace } = splitKey(key);
    const needsSync = this.expectations.satisfied(key) && !rs.metadata?.deletionTimestamp;
    const selector = labelSelectorFromObject(spec.selector);
    // Every pod of the namespace is a candidate: the owned, and orphans to adopt.
    const candidates = this.pods.list(namespace).filter((p) => isActive(p));
    const owned = await claimObjects(this.client, PODS, rs, candidates, {
      matches: (p) => matches(selector, p.metadata?.labels),
      canAdopt: !rs.metadata?.deletionTimestamp,
    });
    let failure: string | undefined;
    if (needsSync) {
      try {
        await this.manageReplicas(key, rs, owned);
      } catch (err) {
        failure = String(err instanceof Error ? err.message : err);
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
    if (diff < 0) {
      const count = Math.min(-diff, burst);
      this.expectations.expectCreations(key, count);
      const created = await slowStartBatch(count, 1, () => this.createPod(key, rs));
      // Creates that were never made will never be observed.
      for (let i = created; i < count; i++) this.expectations.creationObserved(key);
      if (created < count) throw new Error(`created ${created} of ${count} pods`);
      return;
    }
    if (diff > 0) {
      const victims = podsToDelete(owned, Math.min(diff, burst), this.clock.now());
      this.expectations.expectDeletions(key, victims.map(objectKey));
      const results = await Promise.allSettled(victims.map((p) => this.deletePod(key, rs, p)));
      const failed = results.filter((r) => r.status === 'rejected');
      if (failed.length) throw (failed[0] as PromiseRejectedResult).reason;
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
      void this.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${String(err instanceof Error ? err.message : err)}`);
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
      void this.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${String(err instanceof Error ? err.message : err)}`);
      throw err;
    }
  }

  // writeStatus updates the status subresource when the counts changed; the cache may be behind,
  // so a conflict re-reads the ReplicaSet and tries again.
  private async writeStatus(key: string, cached: Readonly<KubeObject>, owned: readonly Readonly<KubeObject>[], failure: string | undefined): Promise<void> {
    let rs: Readonly<KubeObject> = cached;
    for (let attempt = 0; ; attempt++) {
      const status = calculateStatus(rs, owned, failure, this.clock.now());
      if (jsonEqual(status, rs.status ?? {})) return;
      try {
        await this.client.updateStatus(REPLICA_SETS, { ...structuredClone(rs as KubeObject), status });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 3) throw err;
        const { namespace, name } = splitKey(key);
        rs = await this.client.get(REPLICA_SETS, namespace, name);
      }
    }
  }
}

/** calculateStatus is a ReplicaSet's status for the pods it owns. */
export function calculateStatus(rs: Readonly<KubeObject>, owned: readonly Readonly<KubeObject>[], failure: string | undefined, now: number): Record<string, unknown> {
  const spec = (rs.spec ?? {}) as ReplicaSetSpec;
  const templateLabels = spec.template?.metadata?.labels ?? {};
  const minReady = spec.minReadySeconds ?? 0;
  const fullyLabeled = owned.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata?.labels?.[k] === v)).length;
  const ready = owned.filter(isReady).length;
  const available = owned.filter((p) => isAvailable(p, minReady, now)).length;
  const previous = ((rs.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
  const oldFailure = ((rs.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ?? []).find((c) => c.type === 'ReplicaFailure');
  const conditions = [...previous];
  if (failure) {
    const reason = /delet/i.test(failure) ? 'FailedDelete' : 'FailedCreate';
    conditions.push(
      oldFailure && oldFailure.reason === reason && oldFailure.message === failure
        ? oldFailure
        : { type: 'ReplicaFailure', status: 'True', lastTransitionTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'), reason, message: failure },
    );
  }
  const status: Record<string, unknown> = { replicas: owned.length };
  if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  status.observedGeneration = rs.metadata?.generation ?? 0;
  if (conditions.length) status.conditions = conditions;
  return status;
}

function selects(rs: Readonly<KubeObject>, pod: Readonly<KubeObject>): boolean {
  const selector = (rs.spec as ReplicaSetSpec | undefined)?.selector;
  if (!selector) return false;
  return matches(labelSelectorFromObject(selector), pod.metadata?.labels);
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
 * podsToDelete picks n pods to delete, in kube's ActivePods order: unscheduled before scheduled,
 * Pending before Unknown before Running, not ready before ready, lower pod-deletion-cost first,
 * ready for less time first, more restarts first, newer first.
 */
export function podsToDelete(pods: readonly Readonly<KubeObject>[], n: number, now: number): Readonly<KubeObject>[] {
  const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
  const cost = (p: Readonly<KubeObject>) => {
    const v = Number(p.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION]);
    return Number.isFinite(v) ? v : 0;
  };
  const readySince = (p: Readonly<KubeObject>) => {
    const t = readyCondition(p)?.lastTransitionTime;
    return t ? Date.parse(t) : now;
  };
  const restarts = (p: Readonly<KubeObject>) => ((p.status as PodStatus | undefined)?.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0);
  const created = (p: Readonly<KubeObject>) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
  const scheduled = (p: Readonly<KubeObject>) => ((p.spec as { nodeName?: string } | undefined)?.nodeName ? 1 : 0);
  const sorted = [...pods].sort(
    (a, b) =>
      scheduled(a) - scheduled(b) ||
      (phaseRank[(a.status as PodStatus | undefined)?.phase ?? 'Pending'] ?? 0) - (phaseRank[(b.status as PodStatus | undefined)?.phase ?? 'Pending'] ?? 0) ||
      Number(isReady(a)) - Number(isReady(b)) ||
      cost(a) - cost(b) ||
      (isReady(a) && isReady(b) ? readySince(b) - readySince(a) : 0) ||
      restarts(b) - restarts(a) ||
      created(b) - created(a),
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
