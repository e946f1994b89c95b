/**
 * The DaemonSet controller of a cluster without nodes. kube's pkg/controller/daemon runs one
 * pod per eligible node; nodeless has no nodes, so every DaemonSet schedules nothing. What
 * remains is honest bookkeeping: status says zero pods are wanted and observes each generation
 * (so `kubectl rollout status ds/x` finishes instead of waiting forever), one Event on the
 * DaemonSet says why, and template changes are kept as ControllerRevisions, as kube keeps them,
 * for `kubectl rollout history ds` and `kubectl rollout undo ds`.
 */
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import { labelSelectorFromObject, matches, type LabelSelectorObject } from '../../schemas/meta/selectors';
import { CONTROLLER_REVISIONS, DAEMON_SETS, isConflict, isNotFound, objectKey, splitKey, type Client } from '../runtime/client';
import { claimObjects, controllerRefOf } from '../runtime/controller-ref';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue } from '../runtime/work-queue';
import { syncRevisions, truncateHistory, type ControllerRevision } from './controller-history';

/** NO_NODES_REASON is the reason of the Event that says a DaemonSet runs nowhere. */
export const NO_NODES_REASON = 'NoNodes';

interface DaemonSetSpec {
  selector?: LabelSelectorObject;
  revisionHistoryLimit?: number;
}

/** DaemonSetController reconciles apps/v1 DaemonSets on a cluster without nodes. */
export class DaemonSetController implements Controller {
  readonly name = 'daemonset-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private queue!: WorkQueue;
  private daemonSets!: Informer;
  private revisions!: Informer<ControllerRevision>;

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    // kube-controller-manager runs two DaemonSet workers (--concurrent-daemonset-syncs).
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'daemonset sync failed', workers: 2, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.daemonSets = ctx.informers.informerFor(DAEMON_SETS);
    this.revisions = ctx.informers.informerFor<ControllerRevision>(CONTROLLER_REVISIONS);
    this.daemonSets.addEventHandler({
      onAdd: (ds) => this.queue.add(objectKey(ds)),
      onUpdate: (_old, ds) => this.queue.add(objectKey(ds)),
    });
    const revisionChanged = (rev: Readonly<KubeObject>) => {
      const ref = controllerRefOf(rev);
      if (ref?.kind === 'DaemonSet') this.queue.add(`${rev.metadata?.namespace}/${ref.name}`);
    };
    this.revisions.addEventHandler({ onAdd: revisionChanged, onDelete: revisionChanged });
  }

  run(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** reconcile keeps one DaemonSet's revisions and its (empty) status. */
  async reconcile(key: string): Promise<void> {
    const ds = this.daemonSets.get(key);
    if (!ds) return;
    const { namespace } = splitKey(key);
    const spec = (ds.spec ?? {}) as DaemonSetSpec;
    const selector = labelSelectorFromObject(spec.selector);
    const deleting = !!ds.metadata?.deletionTimestamp;
    const owner = { ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' };
    const owned = (await claimObjects(this.client, CONTROLLER_REVISIONS, owner, this.revisions.list(namespace), {
      matches: (r) => matches(selector, r.metadata?.labels),
      canAdopt: !deleting,
    })) as ControllerRevision[];
    const collisionCount = ((ds.status ?? {}) as { collisionCount?: number }).collisionCount ?? 0;
    let revisionCollisions = collisionCount;
    if (!deleting) {
      const history = await syncRevisions(this.client, ds, owned, { ownerKind: 'DaemonSet', collisionCount, hashLabel: 'controller-revision-hash' });
      revisionCollisions = history.collisionCount;
      await truncateHistory(this.client, history, new Set(), spec.revisionHistoryLimit ?? 10);
    }
    const first = await this.writeStatus(key, ds, revisionCollisions);
    if (first) {
      void this.recorder.event(ds, 'Normal', NO_NODES_REASON, `nodeless runs no nodes, so DaemonSet ${ds.metadata!.name} schedules no pods: desiredNumberScheduled is 0`);
    }
  }

  // writeStatus answers true when this was the DaemonSet's first status (the moment for the Event).
  private async writeStatus(key: string, cached: Readonly<KubeObject>, collisionCount: number): Promise<boolean> {
    let ds: Readonly<KubeObject> = cached;
    for (let attempt = 0; ; attempt++) {
      const previous = (ds.status ?? {}) as Record<string, unknown>;
      // The zero counts kube's DaemonSetStatus always serialises; the others are omitted at zero.
      const status: Record<string, unknown> = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, observedGeneration: ds.metadata?.generation ?? 0 };
      if (collisionCount) status.collisionCount = collisionCount;
      if (Array.isArray(previous.conditions) && previous.conditions.length) status.conditions = previous.conditions;
      if (jsonEqual(status, previous)) return false;
      try {
        await this.client.updateStatus(DAEMON_SETS, { ...structuredClone(ds as KubeObject), status });
        return previous.observedGeneration === undefined;
      } catch (err) {
        if (isNotFound(err)) return false;
        if (!isConflict(err) || attempt >= 3) throw err;
        const { namespace, name } = splitKey(key);
        ds = await this.client.get(DAEMON_SETS, namespace, name);
      }
    }
  }
}
