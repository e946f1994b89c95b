/**
 * The resourcequota controller, as kube's pkg/controller/resourcequota: each ResourceQuota's
 * status.hard follows spec.hard and status.used is recounted from the objects in its namespace
 * (with the evaluators quota admission charges by), written through resourcequotas/status.
 * A quota is recounted when it is created or its spec changes, when an object it counts is
 * created, changes what it costs, or is deleted, and on a periodic full pass (kube's
 * --resource-quota-sync-period) that also catches what no event announces, such as a pod whose
 * deletion grace period ran out. `count/<resource>.<group>` names of kinds beyond the usual
 * ones are counted from informers made when a quota first names them.
 */
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import {
  CONFIG_MAPS,
  PERSISTENT_VOLUME_CLAIMS,
  PODS,
  REPLICATION_CONTROLLERS,
  RESOURCE_QUOTAS,
  SECRETS,
  SERVICES,
  isConflict,
  isNotFound,
  objectKey,
  splitKey,
  type Client,
  type ResourceDescriptor,
} from '../runtime/client';
import type { Informer, SharedInformerFactory } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type Clock, type ReconcileResult } from '../runtime/work-queue';
import { calculateUsage, evaluatorFor, evaluatorsForHard, type GroupResource, type ResourceQuotaObject } from './evaluators';
import { equals, mask, parseResourceList, serializeResourceList } from './resource-list';

/** RESOURCE_QUOTA_SYNC_PERIOD_MS is kube's --resource-quota-sync-period default: 5 minutes. */
export const RESOURCE_QUOTA_SYNC_PERIOD_MS = 5 * 60_000;

/** SYNC_WAIT_MS bounds how long a recount waits for a newly made informer to sync. */
const SYNC_WAIT_MS = 10_000;

/** DISCOVERY_REFRESH_MS bounds how often an unknown `count/...` resource is looked up again. */
const DISCOVERY_REFRESH_MS = 30_000;

/** ResourceQuotaControllerOptions tune the controller. */
export interface ResourceQuotaControllerOptions {
  /** workers is kube's --concurrent-resource-quota-syncs (default 5) */
  workers?: number;
  /** resyncPeriodMs is the full recount period (default 5 minutes) */
  resyncPeriodMs?: number;
}

// The kinds whose usage quotas track most, watched from the start.
const WATCHED: ResourceDescriptor[] = [PODS, SERVICES, CONFIG_MAPS, SECRETS, REPLICATION_CONTROLLERS, RESOURCE_QUOTAS, PERSISTENT_VOLUME_CLAIMS];

/** ResourceQuotaController keeps ResourceQuota status current. */
export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota-controller';
  private client!: Client;
  private clock!: Clock;
  private informers!: SharedInformerFactory;
  private log!: (record: Record<string, unknown>) => void;
  private queue!: WorkQueue;
  private quotas!: Informer<ResourceQuotaObject>;
  private readonly watched = new Map<string, Informer>();
  private discovered?: { at: number; resources: ResourceDescriptor[] };
  private resyncTimer?: unknown;
  private stopped = false;

  constructor(private readonly options: ResourceQuotaControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.informers = ctx.informers;
    this.log = ctx.log;
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'resourcequota sync failed', workers: this.options.workers ?? 5, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.quotas = ctx.informers.informerFor<ResourceQuotaObject>(RESOURCE_QUOTAS);
    this.quotas.addEventHandler({
      onAdd: (q) => this.queue.add(objectKey(q)),
      // Status writes (admission's charges, this controller's own) need no recount; spec changes do.
      onUpdate: (old, q) => {
        if (!jsonEqual(old.spec, q.spec) || needsStatus(q)) this.queue.add(objectKey(q));
      },
    });
    for (const res of WATCHED) this.watch(res);
  }

  run(): void {
    this.queue.start();
    this.scheduleResync();
  }

  stop(): void {
    this.stopped = true;
    if (this.resyncTimer !== undefined) this.clock.clearTimeout(this.resyncTimer);
    this.queue?.stop();
  }

  private scheduleResync(): void {
    if (this.stopped) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      for (const key of this.quotas.keys()) this.queue.add(key);
      this.scheduleResync();
    }, this.options.resyncPeriodMs ?? RESOURCE_QUOTA_SYNC_PERIOD_MS);
  }

  // watch makes (or finds) the informer of a counted kind, whose changes requeue the quotas of their namespace.
  private watch(res: ResourceDescriptor): Informer {
    const key = `${res.group}/${res.resource}`;
    let informer = this.watched.get(key);
    if (informer) return informer;
    informer = this.informers.informerFor(res);
    this.watched.set(key, informer);
    const evaluator = evaluatorFor({ group: res.group, resource: res.resource });
    const requeue = (obj: Readonly<KubeObject>) => {
      const ns = obj.metadata?.namespace;
      if (!ns) return;
      for (const q of this.quotas.list(ns)) this.queue.add(objectKey(q));
    };
    informer.addEventHandler({
      onAdd: (obj, initial) => {
        if (!initial) requeue(obj);
      },
      onUpdate: (old, obj) => {
        if (old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
        // Everything below only requeues the quotas of the object's namespace: without one there
        // is nothing to do, and a pod's usage (parsing its quantities) costs more than its status write.
        const ns = obj.metadata?.namespace;
        if (!ns || this.quotas.list(ns).length === 0) return;
        const now = this.clock.now();
        if (!equals(evaluator.usage(old, now), evaluator.usage(obj, now)) || !jsonEqual(old.spec, obj.spec)) requeue(obj);
        // A pod whose deletion grace period runs out stops costing compute: recount then.
        const graceEnd = deletionDeadline(obj);
        if (graceEnd !== undefined && !deletionDeadline(old)) {
          for (const q of this.quotas.list(ns)) this.queue.addAfter(objectKey(q), Math.max(0, graceEnd - now) + 1000);
        }
      },
      onDelete: (obj) => requeue(obj),
    });
    return informer;
  }

  /** reconcile recounts one quota and writes its status when it changed. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const quota = this.quotas.get(key);
    if (!quota) return;
    const { namespace } = splitKey(key);
    const hard = parseResourceList(quota.spec?.hard);
    const informers = new Map<string, Informer>();
    const uncounted: string[] = [];
    for (const evaluator of evaluatorsForHard(Object.keys(hard))) {
      const informer = await this.informerFor(evaluator.groupResource);
      if (informer) informers.set(`${evaluator.groupResource.group}/${evaluator.groupResource.resource}`, informer);
      else uncounted.push(...evaluator.matchingResources(Object.keys(hard)));
    }
    const listFor = (gr: GroupResource) => informers.get(`${gr.group}/${gr.resource}`)?.list(namespace) ?? [];
    const newUsage = calculateUsage(quota, listFor, this.clock.now());
    for (const name of uncounted) delete newUsage[name];
    // What could not be counted (a resource not served, or not listable yet) keeps its last observed value.
    const used = mask({ ...parseResourceList(quota.status?.used), ...newUsage }, Object.keys(hard));
    const status = { hard: serializeResourceList(hard), used: serializeResourceList(used) };
    const dirty =
      !quota.status?.hard || !quota.status?.used || !equals(hard, parseResourceList(quota.status.hard)) || !equals(used, parseResourceList(quota.status.used));
    // Names that could not be counted are tried again later (a CRD may be served by then).
    const later = uncounted.length ? { requeueAfter: DISCOVERY_REFRESH_MS } : undefined;
    if (!dirty) return later;
    try {
      await this.client.updateStatus(RESOURCE_QUOTAS, { ...structuredClone(quota as KubeObject), status });
    } catch (err) {
      if (isNotFound(err)) return;
      // Admission charged the quota meanwhile: recount against its new state.
      if (isConflict(err)) return { requeue: true };
      throw err;
    }
    return later;
  }

  // informerFor answers a synced informer of a counted resource, made on first use for kinds
  // beyond the usual ones; a resource the server does not serve has none.
  private async informerFor(gr: GroupResource): Promise<Informer | undefined> {
    let informer = this.watched.get(`${gr.group}/${gr.resource}`);
    if (!informer) {
      const res = await this.discover(gr);
      if (!res) return undefined;
      informer = this.watch(res);
    }
    if (!informer.hasSynced()) {
      // A resource that cannot be listed (yet) must not hold a worker: its names keep their
      // last observed usage until a later pass finds the informer synced.
      let timer: unknown;
      const timedOut = new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, SYNC_WAIT_MS)));
      await Promise.race([informer.waitForSync(), timedOut]);
      this.clock.clearTimeout(timer);
      if (!informer.hasSynced()) return undefined;
    }
    return informer;
  }

  private async discover(gr: GroupResource): Promise<ResourceDescriptor | undefined> {
    const find = () => this.discovered?.resources.find((r) => r.group === gr.group && r.resource === gr.resource && r.namespaced);
    const now = this.clock.now();
    if (!find() && (!this.discovered || now - this.discovered.at >= DISCOVERY_REFRESH_MS)) {
      try {
        const resources = (await this.client.serverPreferredResources()).filter((r) => r.verbs.includes('list') && r.verbs.includes('watch'));
        this.discovered = { at: now, resources };
      } catch (err) {
        this.log({ level: 'error', msg: 'resourcequota: discovery failed', error: String(err) });
      }
    }
    return find();
  }
}

function needsStatus(q: Readonly<ResourceQuotaObject>): boolean {
  return !q.status?.hard || !q.status?.used || !jsonEqual(q.status.hard, q.spec?.hard);
}

function deletionDeadline(obj: Readonly<KubeObject>): number | undefined {
  const { deletionTimestamp, deletionGracePeriodSeconds } = obj.metadata ?? {};
  if (!deletionTimestamp || typeof deletionGracePeriodSeconds !== 'number') return undefined;
  const at = Date.parse(deletionTimestamp) + deletionGracePeriodSeconds * 1000;
  return Number.isFinite(at) ? at : undefined;
}
