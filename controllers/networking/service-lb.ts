/**
 * The service load-balancer controller, nodeless's stand-in for a cloud's (kube's
 * cloud-provider service controller): a LoadBalancer Service of no loadBalancerClass, or of
 * nodeless's own (nodeless.dev/lb), gets one address of the load-balancer pool in
 * status.loadBalancer.ingress; the address goes back to the pool when the Service is deleted or
 * stops being such a LoadBalancer, and its status is cleared then. A Service of another class
 * belongs to someone else's load balancer and is left alone. Level-triggered: a pass compares
 * the cached Service with what it should show, and the addresses are restored from the stored
 * Services before the first pass.
 */
import { jsonEqual } from '../../schemas/meta/json';
import type { KubeObject } from '../../schemas/types';
import { SERVICES, isConflict, isNotFound, objectKey, type Client } from '../runtime/client';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue';
import { LOAD_BALANCER_CLASS, type LoadBalancerPool } from './load-balancer-pool';

type ServiceSpec = { type?: string; loadBalancerClass?: string };
type LoadBalancerIngress = { ip?: string; hostname?: string; ipMode?: string };

/** servedByNodeless tells a Service this controller gives an address: a live LoadBalancer of no class or nodeless's. */
export function servedByNodeless(svc: Readonly<KubeObject>): boolean {
  const spec = (svc.spec ?? {}) as ServiceSpec;
  if (svc.metadata?.deletionTimestamp || spec.type !== 'LoadBalancer') return false;
  return spec.loadBalancerClass === undefined || spec.loadBalancerClass === null || spec.loadBalancerClass === LOAD_BALANCER_CLASS;
}

/** ownClass tells a Service whose load balancer, if any, is nodeless's (no class or nodeless's class). */
function ownClass(svc: Readonly<KubeObject>): boolean {
  const cls = ((svc.spec ?? {}) as ServiceSpec).loadBalancerClass;
  return cls === undefined || cls === null || cls === LOAD_BALANCER_CLASS;
}

/** loadBalancerIngress is status.loadBalancer.ingress of an object (Service or Ingress). */
export function loadBalancerIngress(obj: Readonly<KubeObject>): LoadBalancerIngress[] {
  const status = (obj.status ?? {}) as { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
  return Array.isArray(status.loadBalancer?.ingress) ? status.loadBalancer!.ingress! : [];
}

const holderOf = (key: string) => `service/${key}`;

/** ServiceLoadBalancerController gives LoadBalancer Services their external address. */
export class ServiceLoadBalancerController implements Controller {
  readonly name = 'service-lb-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private queue!: WorkQueue;
  // keys that found the pool used up, run again when an address comes back
  private readonly waiting = new Set<string>();
  private services!: Informer;

  constructor(private readonly pool: LoadBalancerPool) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'service load balancer sync failed', workers: 3, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.services = ctx.informers.informerFor(SERVICES);
    const enqueue = (svc: Readonly<KubeObject>) => this.queue.add(objectKey(svc));
    this.services.addEventHandler({ onAdd: enqueue, onUpdate: (_old, svc) => enqueue(svc), onDelete: enqueue });
    // The addresses stored Services show are theirs again after a restart.
    this.pool.onRelease(() => {
      for (const key of this.waiting) this.queue.add(key);
      this.waiting.clear();
    });
    this.pool.addRestorer((claim) => {
      for (const svc of this.services.list()) {
        if (!servedByNodeless(svc)) continue;
        const ip = loadBalancerIngress(svc).find((i) => i.ip)?.ip;
        if (ip) claim(holderOf(objectKey(svc)), ip);
      }
    });
  }

  run(): void {
    this.pool.restoreOnce();
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** reconcile brings one Service's load-balancer status and pool address in line. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const svc = this.services.get(key);
    if (!svc) {
      this.pool.release(holderOf(key));
      return;
    }
    if (!servedByNodeless(svc)) {
      const held = this.pool.addressOf(holderOf(key));
      this.pool.release(holderOf(key));
      // The address this controller wrote goes with it; another class's status is not ours to touch.
      const ours = ownClass(svc) && loadBalancerIngress(svc).some((i) => i.ip && (i.ip === held || held === undefined));
      if (ours && !svc.metadata?.deletionTimestamp) return this.writeIngress(svc, []);
      return;
    }
    let ip: string;
    try {
      ip = this.pool.allocate(holderOf(key));
    } catch (err) {
      await this.recorder.event(svc, 'Warning', 'AllocationFailed', `no load-balancer address for this Service: ${err instanceof Error ? err.message : String(err)}`);
      this.waiting.add(key);
      return { requeueAfter: 30_000 };
    }
    return this.writeIngress(svc, [{ ip, ipMode: 'VIP' }]);
  }

  private async writeIngress(svc: Readonly<KubeObject>, ingress: LoadBalancerIngress[]): Promise<ReconcileResult | void> {
    if (jsonEqual(loadBalancerIngress(svc), ingress)) return;
    const next = structuredClone(svc) as KubeObject;
    next.status = { ...(next.status ?? {}), loadBalancer: ingress.length ? { ingress } : {} };
    try {
      await this.client.updateStatus(SERVICES, next);
      if (ingress.length) await this.recorder.event(svc, 'Normal', 'EnsuredLoadBalancer', `Ensured load balancer at ${ingress[0].ip}`);
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return { requeue: true };
      throw err;
    }
  }
}
