/**
 * The StatefulSet controller, as kube's pkg/controller/statefulset: pods `<set>-<ordinal>` for
 * the ordinals spec.ordinals.start .. start+replicas-1, each with its own claims from the
 * volumeClaimTemplates (created before the pod, kept on scale-down unless the retention policy
 * says Delete). OrderedReady creates one pod at a time in ordinal order, each once its
 * predecessors are Running and Ready, and removes them one at a time from the highest; Parallel
 * does both at once. Template changes become ControllerRevisions; RollingUpdate replaces the
 * pods at ordinals ≥ partition that run an older revision, highest first, one at a time, and
 * OnDelete waits for someone to delete them. Failed and succeeded pods are deleted and made
 * again under the same name.
 *
 * rollingUpdate.maxUnavailable is honoured as kube does behind its MaxUnavailableStatefulSet
 * gate; like kube 1.32 with the gate off, the API server drops the field today, so it only
 * takes effect once the server keeps it. Claims, and the claim deletion kube leaves to its
 * garbage collector, are in statefulset-claims.ts.
 */
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import { labelSelectorFromObject, matches } from '../../schemas/meta/selectors';
import {
  CONTROLLER_REVISIONS, PERSISTENT_VOLUME_CLAIMS, PODS, STATEFUL_SETS,
  hasCause, isAlreadyExists, isConflict, isNotFound, objectKey, splitKey, type Client,
} from '../runtime/client';
import { claimObjects, controllerRefOf } from '../runtime/controller-ref';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type Clock, type ReconcileResult } from '../runtime/work-queue';
import { applyRevision, syncRevisions, truncateHistory, type ControllerRevision, type HistoryResult } from './controller-history';
import { isAvailable } from './replicaset';
import { StatefulSetClaims } from './statefulset-claims';
import { computeStatus, isFinished, isHealthy, isRunningAndReady, phaseOf, rollingUpdateVictims } from './statefulset-status';
import { identityMatches, inOrdinalRange, isMemberOf, newPod, ordinalOf, revisionOf, specOf, startOrdinal, POD_INDEX_LABEL, POD_NAME_LABEL } from './statefulset-pods';

// CLAIM_KEY prefixes the queue keys of claims whose retention owner may be gone.
const CLAIM_KEY = 'claim:';

/** StatefulSetControllerOptions tune the controller. */
export interface StatefulSetControllerOptions {
  workers?: number;
}

// Exit is one step's verdict: true when the pass must stop there (always heeded under OrderedReady).
type Exit = boolean;

interface Pass {
  set: Readonly<KubeObject>;
  key: string;
  history: HistoryResult;
  currentSet: KubeObject;
  updateSet: KubeObject;
  // pods that this pass created, counted into status at once
  created: KubeObject[];
  requeueAfter?: number;
}

/** StatefulSetController reconciles apps/v1 StatefulSets. */
export class StatefulSetController implements Controller {
  readonly name = 'statefulset-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private clock!: Clock;
  private queue!: WorkQueue;
  private sets!: Informer;
  private pods!: Informer;
  private revisions!: Informer<ControllerRevision>;
  private claims!: Informer;
  private claimControl!: StatefulSetClaims;

  constructor(private readonly options: StatefulSetControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    // kube-controller-manager runs five StatefulSet workers (--concurrent-statefulset-syncs).
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'statefulset sync failed', workers: this.options.workers ?? 5, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.sets = ctx.informers.informerFor(STATEFUL_SETS);
    this.pods = ctx.informers.informerFor(PODS);
    this.revisions = ctx.informers.informerFor<ControllerRevision>(CONTROLLER_REVISIONS);
    this.claims = ctx.informers.informerFor(PERSISTENT_VOLUME_CLAIMS);
    this.claimControl = new StatefulSetClaims(this.client, this.recorder, this.claims, (claimKey) => this.queue.add(CLAIM_KEY + claimKey));
    this.sets.addEventHandler({
      onAdd: (set) => this.queue.add(objectKey(set)),
      onUpdate: (_old, set) => this.queue.add(objectKey(set)),
      onDelete: (set) => {
        this.queue.add(objectKey(set));
        for (const claim of this.claims.byOwner(set.metadata?.uid ?? '')) this.queue.add(CLAIM_KEY + objectKey(claim));
      },
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, pod) => this.podUpdated(old, pod),
      onDelete: (pod) => this.podDeleted(pod),
    });
    const revisionChanged = (rev: Readonly<KubeObject>) => {
      const owner = this.ownerKey(rev);
      if (owner) this.queue.add(owner);
    };
    this.revisions.addEventHandler({ onAdd: revisionChanged, onUpdate: (_o, r) => revisionChanged(r), onDelete: revisionChanged });
    this.claims.addEventHandler({ onAdd: (c) => this.claimChanged(c), onUpdate: (_o, c) => this.claimChanged(c), onDelete: (c) => this.claimDeleted(c) });
  }

  run(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  // ---- event handlers -------------------------------------------------------------------------

  private ownerKey(obj: Readonly<KubeObject>): string | undefined {
    const ref = controllerRefOf(obj);
    if (!ref || ref.kind !== 'StatefulSet') return undefined;
    const set = this.sets.getByName(obj.metadata?.namespace, ref.name);
    return set && set.metadata?.uid === ref.uid ? objectKey(set) : undefined;
  }

  // orphanKeys are the sets in the pod's namespace that would adopt it.
  private orphanKeys(pod: Readonly<KubeObject>): string[] {
    return this.sets
      .list(pod.metadata?.namespace ?? '')
      .filter((set) => isMemberOf(set, pod) && matches(labelSelectorFromObject(specOf(set).selector), pod.metadata?.labels))
      .map(objectKey);
  }

  private podAdded(pod: Readonly<KubeObject>): void {
    const owner = this.ownerKey(pod);
    if (owner) return this.queue.add(owner);
    if (!controllerRefOf(pod)) for (const key of this.orphanKeys(pod)) this.queue.add(key);
  }

  private podUpdated(old: Readonly<KubeObject>, pod: Readonly<KubeObject>): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    const owner = this.ownerKey(pod);
    const oldOwner = this.ownerKey(old);
    if (oldOwner && oldOwner !== owner) this.queue.add(oldOwner);
    if (owner) this.queue.add(owner);
    else if (!controllerRefOf(pod)) {
      for (const key of this.orphanKeys(pod)) this.queue.add(key);
    }
  }

  private podDeleted(pod: Readonly<KubeObject>): void {
    const owner = this.ownerKey(pod);
    if (owner) this.queue.add(owner);
    for (const claim of this.claims.byOwner(pod.metadata?.uid ?? '')) this.queue.add(CLAIM_KEY + objectKey(claim));
  }

  private claimChanged(claim: Readonly<KubeObject>): void {
    if (this.claimControl.ownerGone(claim, this.pods, this.sets)) this.queue.add(CLAIM_KEY + objectKey(claim));
  }

  // claimDeleted wakes the set whose pod may be waiting for this claim to go (a stale claim of a
  // pod scaled away, or one that was terminating) before it is made again.
  private claimDeleted(claim: Readonly<KubeObject>): void {
    const name = claim.metadata?.name ?? '';
    for (const set of this.sets.list(claim.metadata?.namespace ?? '')) {
      for (const t of specOf(set).volumeClaimTemplates ?? []) {
        const prefix = `${t.metadata?.name}-${set.metadata?.name}-`;
        if (name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length))) this.queue.add(objectKey(set));
      }
    }
  }

  // ---- reconcile ------------------------------------------------------------------------------

  /** reconcile syncs one StatefulSet (namespace/name), or one retained claim (claim:namespace/name). */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    if (key.startsWith(CLAIM_KEY)) return this.claimControl.reconcile(key.slice(CLAIM_KEY.length));
    const set = this.sets.get(key);
    if (!set) return;
    const spec = specOf(set);
    const { namespace } = splitKey(key);
    const selector = labelSelectorFromObject(spec.selector);
    const deleting = !!set.metadata?.deletionTimestamp;
    const owner = { ...set, apiVersion: 'apps/v1', kind: 'StatefulSet' };
    const pods = await claimObjects(this.client, PODS, owner, this.pods.list(namespace).filter((p) => isMemberOf(set, p)), {
      matches: (p) => matches(selector, p.metadata?.labels),
      canAdopt: !deleting,
    });
    const ownedRevisions = (await claimObjects(this.client, CONTROLLER_REVISIONS, owner, this.revisions.list(namespace), {
      matches: (r) => matches(selector, r.metadata?.labels),
      canAdopt: !deleting,
    })) as ControllerRevision[];
    const status = (set.status ?? {}) as { currentRevision?: string; collisionCount?: number };
    const history = await syncRevisions(this.client, set, ownedRevisions, { ownerKind: 'StatefulSet', currentName: status.currentRevision, collisionCount: status.collisionCount ?? 0 });
    const pass: Pass = { set, key, history, currentSet: applyRevision(set, history.current), updateSet: applyRevision(set, history.update), created: [] };
    let failure: unknown;
    if (!deleting) {
      try {
        await this.managePods(pass, pods);
      } catch (err) {
        failure = err;
      }
    }
    await this.writeStatus(pass, pods);
    const live = new Set([...pods, ...pass.created].map(revisionOf));
    await truncateHistory(this.client, history, live, spec.revisionHistoryLimit ?? 10);
    if (failure) throw failure;
    if (pass.requeueAfter) return { requeueAfter: pass.requeueAfter };
  }

  private async managePods(pass: Pass, pods: readonly Readonly<KubeObject>[]): Promise<void> {
    const { set } = pass;
    const spec = specOf(set);
    const start = startOrdinal(set);
    const count = spec.replicas ?? 1;
    const replicas: Array<Readonly<KubeObject> | undefined> = new Array(count).fill(undefined);
    const condemned: Readonly<KubeObject>[] = [];
    for (const pod of pods) {
      const ord = ordinalOf(pod);
      if (inOrdinalRange(set, ord)) replicas[ord - start] = pod;
      else if (ord >= 0) condemned.push(pod);
    }
    condemned.sort((a, b) => ordinalOf(a) - ordinalOf(b));
    const monotonic = spec.podManagementPolicy !== 'Parallel';
    const minReady = spec.minReadySeconds ?? 0;

    // Living replicas first: in OrderedReady, stop at the first one not yet Running, Ready and available.
    const exit = await this.forAll(count, monotonic, (i) => this.processReplica(pass, replicas, i, monotonic, minReady));
    if (exit) return;

    // Claims of pods about to be scaled away change hands first, as the retention policy says.
    for (const pod of condemned) {
      if (pod.metadata?.deletionTimestamp || (await this.claimControl.syncOwners(set, pod))) continue;
      // Its claim has not taken the pod as owner yet: the pod stays until it has.
      pass.requeueAfter = Math.max(pass.requeueAfter ?? 0, 1_000);
      return;
    }

    const firstUnhealthy = [...replicas, ...condemned].find((p) => p && !isHealthy(p));
    const victims = [...condemned].reverse();
    const condemnedExit = await this.forAll(victims.length, monotonic, async (i) => {
      const pod = victims[i];
      if (pod.metadata?.deletionTimestamp) return monotonic;
      if (monotonic && pod !== firstUnhealthy && (!isHealthy(pod) || !isAvailable(pod, minReady, this.clock.now()))) return true;
      await this.deletePod(pass, pod);
      return monotonic;
    });
    if (condemnedExit) return;

    if (spec.updateStrategy?.type === 'OnDelete') return;
    await this.rollingUpdate(pass, replicas);
  }

  // forAll runs step over 0..n-1: in order, stopping at the first exit, when monotonic; all at
  // once otherwise (in batches doubling from one, so a failing create stops early). It answers
  // whether any step asked to stop.
  private async forAll(n: number, monotonic: boolean, step: (i: number) => Promise<Exit>): Promise<Exit> {
    if (monotonic) {
      for (let i = 0; i < n; i++) if (await step(i)) return true;
      return false;
    }
    let exit = false;
    for (let done = 0, batch = 1; done < n; done += batch, batch *= 2) {
      const results = await Promise.allSettled(Array.from({ length: Math.min(batch, n - done) }, (_x, j) => step(done + j)));
      for (const r of results) {
        if (r.status === 'rejected') throw r.reason;
        exit ||= r.value;
      }
    }
    return exit;
  }

  private async processReplica(pass: Pass, replicas: Array<Readonly<KubeObject> | undefined>, i: number, monotonic: boolean, minReady: number): Promise<Exit> {
    const { set } = pass;
    const ordinal = startOrdinal(set) + i;
    const pod = replicas[i];
    if (pod && isFinished(pod)) {
      // Made again under its name on a later pass, once this one is gone.
      if (!pod.metadata?.deletionTimestamp) await this.deletePod(pass, pod);
      return true;
    }
    if (!pod) {
      if (!(await this.claimControl.ensure(set, ordinal, undefined))) return true;
      const created = await this.createPod(pass, this.versionedPod(pass, ordinal));
      if (!created) return true;
      replicas[i] = created;
      return monotonic;
    }
    if (pod.metadata?.deletionTimestamp) return monotonic;
    if (phaseOf(pod) === 'Pending' || !phaseOf(pod)) await this.claimControl.ensure(set, ordinal, pod);
    if (!isRunningAndReady(pod)) return monotonic;
    if (!isAvailable(pod, minReady, this.clock.now())) {
      pass.requeueAfter = Math.max(pass.requeueAfter ?? 0, minReady * 1000);
      return monotonic;
    }
    if (!identityMatches(set, pod)) await this.fixIdentity(pass, pod);
    await this.claimControl.syncOwners(set, pod);
    return false;
  }

  private async rollingUpdate(pass: Pass, replicas: Array<Readonly<KubeObject> | undefined>): Promise<void> {
    const ru = specOf(pass.set).updateStrategy?.rollingUpdate;
    const victims = rollingUpdateVictims(replicas, pass.history.update.metadata!.name!, ru?.partition ?? 0, ru?.maxUnavailable);
    for (const pod of victims) await this.deletePod(pass, pod);
  }

  // versionedPod is the pod of an ordinal at the revision it should run: below the partition
  // the current revision, otherwise the update revision (as newVersionedStatefulSetPod).
  private versionedPod(pass: Pass, ordinal: number): KubeObject {
    const { set, history } = pass;
    const spec = specOf(set);
    const start = startOrdinal(set);
    const currentReplicas = ((set.status ?? {}) as { currentReplicas?: number }).currentReplicas ?? 0;
    const rolling = spec.updateStrategy?.type !== 'OnDelete';
    const ru = spec.updateStrategy?.rollingUpdate;
    const keepCurrent = rolling && (ru === undefined ? ordinal < start + currentReplicas : ordinal < start + (ru.partition ?? 0));
    return keepCurrent ? newPod(pass.currentSet, ordinal, history.current.metadata!.name!) : newPod(pass.updateSet, ordinal, history.update.metadata!.name!);
  }

  // ---- pods -------------------------------------------------------------------------------------

  // createPod creates a pod; it answers undefined when there is nothing to wait for in this pass.
  private async createPod(pass: Pass, pod: KubeObject): Promise<KubeObject | undefined> {
    const { set } = pass;
    try {
      const created = await this.client.create(PODS, set.metadata!.namespace, pod);
      pass.created.push(created);
      void this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} successful`);
      return created;
    } catch (err) {
      if (hasCause(err, 'NamespaceTerminating')) return undefined;
      // The names are fixed, so a cache that is behind shows up as our own pod already there:
      // nothing is wrong. Someone else's pod under the name is (kube reports it the same way).
      if (isAlreadyExists(err) && (await this.ownsLive(set, pod.metadata!.name!))) return undefined;
      void this.recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} failed error: ${message(err)}`);
      throw err;
    }
  }

  // ownsLive reads a pod live and answers whether this set controls it.
  private async ownsLive(set: Readonly<KubeObject>, name: string): Promise<boolean> {
    try {
      const pod = await this.client.get(PODS, set.metadata!.namespace, name);
      return controllerRefOf(pod)?.uid === set.metadata!.uid;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private async deletePod(pass: Pass, pod: Readonly<KubeObject>): Promise<void> {
    const { set } = pass;
    try {
      await this.client.delete(PODS, pod.metadata!.namespace, pod.metadata!.name!, { preconditions: { uid: pod.metadata!.uid } });
      void this.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} successful`);
    } catch (err) {
      // Gone already (a cache that is behind), or replaced by a namesake: nothing to delete.
      if (isNotFound(err) || isConflict(err)) return;
      void this.recorder.event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} failed error: ${message(err)}`);
      throw err;
    }
  }

  // fixIdentity restores the identity labels of a pod someone changed (hostname and subdomain
  // are immutable on a pod, so labels are all that can be mended in place).
  private async fixIdentity(pass: Pass, pod: Readonly<KubeObject>): Promise<void> {
    const { set } = pass;
    const name = pod.metadata!.name!;
    try {
      await this.client.patch(PODS, pod.metadata!.namespace, name, 'merge', {
        metadata: { uid: pod.metadata!.uid, resourceVersion: pod.metadata!.resourceVersion, labels: { [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinalOf(pod)) } },
      });
      void this.recorder.event(set, 'Normal', 'SuccessfulUpdate', `update Pod ${name} in StatefulSet ${set.metadata!.name} successful`);
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      void this.recorder.event(set, 'Warning', 'FailedUpdate', `update Pod ${name} in StatefulSet ${set.metadata!.name} failed error: ${message(err)}`);
      throw err;
    }
  }

  // ---- status -----------------------------------------------------------------------------------

  private async writeStatus(pass: Pass, pods: readonly Readonly<KubeObject>[]): Promise<void> {
    let set: Readonly<KubeObject> = pass.set;
    for (let attempt = 0; ; attempt++) {
      const status = computeStatus(set, [...pods, ...pass.created], pass.history, this.clock.now());
      if (jsonEqual(status, set.status ?? {})) return;
      try {
        await this.client.updateStatus(STATEFUL_SETS, { ...structuredClone(set as KubeObject), status });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 3) throw err;
        const { namespace, name } = splitKey(pass.key);
        set = await this.client.get(STATEFUL_SETS, namespace, name);
      }
    }
  }
}

function message(err: unknown): string {
  return String(err instanceof Error ? err.message : err);
}
