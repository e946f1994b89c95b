/**
 * The Deployment controller, as kube's pkg/controller/deployment: a Deployment owns
 * ReplicaSets named <deployment>-<pod-template-hash>, one per template it has had, and moves
 * replicas from the old ones to the new one by its strategy (rolling.ts, recreate.ts), keeps
 * their share when resized mid-rollout or while paused (scale.ts), trims revision history
 * (history.ts) and reports counts and the Available and Progressing conditions (progress.ts).
 * It never touches pods: the ReplicaSet controller makes them.
 */
import type { KubeObject } from '../../../schemas/types';
import { jsonEqual } from '../../../schemas/meta/json';
import { labelSelectorFromObject, matches } from '../../../schemas/meta/selectors';
import { DEPLOYMENTS, PODS, REPLICA_SETS, objectKey, type Client } from '../../runtime/client';
import { claimObjects, controllerRefOf } from '../../runtime/controller-ref';
import type { EventRecorder } from '../../runtime/events';
import type { Informer } from '../../runtime/informer';
import type { Controller, ControllerContext } from '../../runtime/manager';
import { WorkQueue, type Clock, type ReconcileResult } from '../../runtime/work-queue';
import { desiredReplicasAnnotation, parseRevision, ROLLBACK_TO_ANNOTATION } from './annotations';
import { REASONS, getCondition, newCondition, setCondition } from './conditions';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set';
import { hasProgressDeadline, syncDeploymentStatus, writeStatusIfChanged } from './progress';
import { rolloutRecreate, type PodsByReplicaSet } from './recreate';
import { filterActive } from './replica-sets';
import { rollback } from './rollback';
import { rolloutRolling } from './rolling';
import { scale } from './scale';
import { cleanupDeployment } from './history';
import type { SyncContext } from './sync-context';
import { desiredReplicas, type Deployment, type ReplicaSet } from './types';

type RS = Readonly<ReplicaSet>;

/** DeploymentControllerOptions tune the controller. */
export interface DeploymentControllerOptions {
  /** workers is kube-controller-manager's --concurrent-deployment-syncs (default 5) */
  workers?: number;
}

/** DeploymentController reconciles apps/v1 Deployments into ReplicaSets. */
export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private clock!: Clock;
  private queue!: WorkQueue;
  private deployments!: Informer<Deployment>;
  private replicaSets!: Informer<ReplicaSet>;
  private pods!: Informer;

  constructor(private readonly options: DeploymentControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'deployment sync failed', workers: this.options.workers ?? 5, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.deployments = ctx.informers.informerFor<Deployment>(DEPLOYMENTS);
    this.replicaSets = ctx.informers.informerFor<ReplicaSet>(REPLICA_SETS);
    this.pods = ctx.informers.informerFor(PODS);
    this.deployments.addEventHandler({
      onAdd: (d) => this.queue.add(objectKey(d)),
      onUpdate: (_old, d) => this.queue.add(objectKey(d)),
      onDelete: (d) => this.queue.add(objectKey(d)),
    });
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.replicaSetChanged(undefined, rs),
      onUpdate: (old, rs) => this.replicaSetChanged(old, rs),
      onDelete: (rs) => {
        const owner = this.ownerOf(rs);
        if (owner) this.queue.add(owner);
      },
    });
    // Recreate waits for old pods to be gone: their deletion is what lets it go on.
    this.pods.addEventHandler({ onDelete: (pod) => this.podDeleted(pod) });
  }

  run(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** idle resolves once no reconcile is queued or running (for tests and benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  // ---- event handlers: map ReplicaSets and pods to the Deployments that care ------------------

  private ownerOf(rs: Readonly<KubeObject>): string | undefined {
    const ref = controllerRefOf(rs);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.deployments.getByName(rs.metadata?.namespace, ref.name);
    return d && d.metadata?.uid === ref.uid ? objectKey(d) : undefined;
  }

  private matchingDeployments(rs: Readonly<KubeObject>): string[] {
    return this.deployments
      .list(rs.metadata?.namespace ?? '')
      .filter((d) => d.spec?.selector && matches(labelSelectorFromObject(d.spec.selector), rs.metadata?.labels))
      .map(objectKey);
  }

  private replicaSetChanged(old: Readonly<KubeObject> | undefined, rs: Readonly<KubeObject>): void {
    if (old && old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
    const oldOwner = old && this.ownerOf(old);
    const owner = this.ownerOf(rs);
    if (oldOwner && oldOwner !== owner) this.queue.add(oldOwner);
    if (owner) return this.queue.add(owner);
    // An orphan: every Deployment that selects it may adopt it.
    if (!controllerRefOf(rs) && (!old || !jsonEqual(old.metadata?.labels, rs.metadata?.labels) || controllerRefOf(old))) {
      for (const key of this.matchingDeployments(rs)) this.queue.add(key);
    }
  }

  private podDeleted(pod: Readonly<KubeObject>): void {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.getByName(pod.metadata?.namespace, ref.name);
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const owner = this.ownerOf(rs);
    if (!owner) return;
    const d = this.deployments.get(owner);
    if (d?.spec?.strategy?.type === 'Recreate') this.queue.add(owner);
  }

  // ---- reconcile ------------------------------------------------------------------------------

  /** reconcile brings one Deployment's ReplicaSets and status in line with its spec. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.deployments.get(key);
    if (!cached) return;
    // Items of a list from a real API server carry no kind: controllerRefs and events need it.
    const d: Deployment = { ...(structuredClone(cached) as Deployment), apiVersion: 'apps/v1', kind: 'Deployment' };
    const ctx: SyncContext = { client: this.client, recorder: this.recorder, now: () => this.clock.now(), d };
    await this.syncDeployment(ctx);
    if (ctx.requeueAfter !== undefined) return { requeueAfter: ctx.requeueAfter };
  }

  private async syncDeployment(ctx: SyncContext): Promise<void> {
    const d = ctx.d;
    const selector = d.spec?.selector;
    if (!selector || (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length)) {
      // Validation refuses an empty selector; one stored before that rule selects nothing here.
      void this.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) await writeStatusIfChanged(ctx, { ...d.status, observedGeneration: d.metadata?.generation });
      return;
    }
    const rss = await this.claimReplicaSets(d);
    if (d.metadata?.deletionTimestamp) {
      const { fresh, olds } = await getAllReplicaSetsAndSyncRevision(ctx, rss, false);
      return syncDeploymentStatus(ctx, [...olds, fresh], fresh);
    }
    await checkPausedConditions(ctx);
    if (ctx.d.spec?.paused) return sync(ctx, rss);
    // As kube, a rollback annotation that is not a revision number is ignored (and left in place).
    if (parseRevision(ctx.d.metadata?.annotations?.[ROLLBACK_TO_ANNOTATION]) !== undefined) return rollback(ctx, rss);
    if (await isScalingEvent(ctx, rss)) return sync(ctx, rss);
    if (ctx.d.spec?.strategy?.type === 'Recreate') return rolloutRecreate(ctx, rss, this.podsByReplicaSet(rss));
    return rolloutRolling(ctx, rss);
  }

  // claimReplicaSets adopts the orphan ReplicaSets the selector matches and releases owned ones it no longer does.
  private async claimReplicaSets(d: Readonly<Deployment>): Promise<RS[]> {
    const selector = labelSelectorFromObject(d.spec!.selector);
    const candidates = this.replicaSets.list(d.metadata!.namespace);
    return claimObjects(this.client, REPLICA_SETS, d, candidates, {
      matches: (rs) => matches(selector, rs.metadata?.labels),
      canAdopt: !d.metadata?.deletionTimestamp,
    }) as Promise<RS[]>;
  }

  private podsByReplicaSet(rss: readonly RS[]): PodsByReplicaSet {
    const map: PodsByReplicaSet = new Map();
    for (const rs of rss) {
      const uid = rs.metadata!.uid!;
      map.set(
        uid,
        this.pods.byOwner(uid).filter((p) => controllerRefOf(p)?.uid === uid),
      );
    }
    return map;
  }
}

// checkPausedConditions records a pause or resume in the Progressing condition, unless the
// deadline already passed (that report must not be overwritten).
async function checkPausedConditions(ctx: SyncContext): Promise<void> {
  const d = ctx.d;
  if (!hasProgressDeadline(d)) return;
  const current = getCondition(d.status, 'Progressing');
  if (current?.reason === REASONS.timedOut) return;
  const pausedRecorded = current?.reason === REASONS.paused;
  const status = structuredClone(d.status ?? {});
  if (d.spec?.paused && !pausedRecorded) setCondition(status, newCondition('Progressing', 'Unknown', REASONS.paused, 'Deployment is paused', ctx.now()));
  else if (!d.spec?.paused && pausedRecorded) setCondition(status, newCondition('Progressing', 'Unknown', REASONS.resumed, 'Deployment is resumed', ctx.now()));
  else return;
  await writeStatusIfChanged(ctx, status);
}

// isScalingEvent is true when an active ReplicaSet was last scaled for another Deployment size.
async function isScalingEvent(ctx: SyncContext, rss: readonly RS[]): Promise<boolean> {
  const { fresh, olds } = await getAllReplicaSetsAndSyncRevision(ctx, rss, false);
  return filterActive([...olds, fresh]).some((rs) => {
    const desired = desiredReplicasAnnotation(rs);
    return desired !== undefined && desired !== desiredReplicas(ctx.d);
  });
}

// sync is a pass without rollout: scale proportionally, trim history while paused, report status.
async function sync(ctx: SyncContext, rss: readonly RS[]): Promise<void> {
  const { fresh, olds } = await getAllReplicaSetsAndSyncRevision(ctx, rss, false);
  await scale(ctx, fresh, olds);
  if (ctx.d.spec?.paused && parseRevision(ctx.d.metadata?.annotations?.[ROLLBACK_TO_ANNOTATION]) === undefined) await cleanupDeployment(ctx, olds);
  // Status sums the ReplicaSets' reported counts, which scaling does not change at once.
  return syncDeploymentStatus(ctx, [...olds, fresh], fresh);
}
