/**
 * The built-in ingress controller: every IngressClass whose spec.controller is
 * nodeless.dev/ingress-controller stands for one load balancer, which takes one address of the
 * load-balancer pool the first time an Ingress of that class needs it; every Ingress of the
 * class (and every Ingress naming no class, while that class is the default one) shows the
 * address in status.loadBalancer.ingress, as Ingresses behind one ingress-nginx share its
 * Service's address. The address goes back to the pool once no Ingress of the class is left (or
 * the class goes). Ingresses of other controllers' classes are left alone. The addresses are
 * restored from the stored Ingresses before the first pass, so a restart keeps them.
 */
import { jsonEqual } from '../../schemas/meta/json';
import type { KubeObject } from '../../schemas/types';
import { INGRESSES, INGRESS_CLASSES, isConflict, isNotFound, objectKey, type Client } from '../runtime/client';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue';
import { INGRESS_CONTROLLER, type LoadBalancerPool } from './load-balancer-pool';
import { loadBalancerIngress } from './service-lb';

/** DEFAULT_CLASS_ANNOTATION marks the IngressClass Ingresses without a class belong to. */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

// LEGACY_CLASS_ANNOTATION is how Ingresses named their class before spec.ingressClassName.
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

const CLASS_KEY = 'class:';
const holderOf = (cls: string) => `ingressclass/${cls}`;

/** IngressController gives Ingresses of nodeless's IngressClasses their load-balancer address. */
export class IngressController implements Controller {
  readonly name = 'ingress-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private queue!: WorkQueue;
  // keys that found the pool used up, run again when an address comes back
  private readonly waiting = new Set<string>();
  private ingresses!: Informer;
  private classes!: Informer;

  constructor(private readonly pool: LoadBalancerPool) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'ingress sync failed', workers: 3, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.ingresses = ctx.informers.informerFor(INGRESSES);
    this.classes = ctx.informers.informerFor(INGRESS_CLASSES);
    const enqueue = (ing: Readonly<KubeObject>) => this.queue.add(objectKey(ing));
    // An Ingress that goes or changes class may leave its old class's load balancer unused.
    const enqueueWithClass = (ing: Readonly<KubeObject>) => {
      enqueue(ing);
      const cls = this.classOf(ing);
      if (cls) this.queue.add(CLASS_KEY + cls);
    };
    this.ingresses.addEventHandler({
      onAdd: enqueue,
      onUpdate: (old, ing) => {
        enqueue(ing);
        const was = this.classOf(old);
        if (was) this.queue.add(CLASS_KEY + was);
      },
      onDelete: enqueueWithClass,
    });
    // A class that appears, goes or becomes the default changes which Ingresses are served.
    const classChanged = (cls: Readonly<KubeObject>) => {
      this.queue.add(CLASS_KEY + cls.metadata!.name!);
      for (const ing of this.ingresses.list()) enqueue(ing);
    };
    this.classes.addEventHandler({ onAdd: classChanged, onUpdate: (_o, cls) => classChanged(cls), onDelete: classChanged });
    this.pool.onRelease(() => {
      for (const key of this.waiting) this.queue.add(key);
      this.waiting.clear();
    });
    this.pool.addRestorer((claim) => {
      for (const ing of this.ingresses.list()) {
        const cls = this.servedClass(ing);
        const ip = loadBalancerIngress(ing).find((i) => i.ip)?.ip;
        if (cls && ip) claim(holderOf(cls), ip);
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

  /** classOf is the IngressClass an Ingress belongs to: its own, else the default class, else none. */
  classOf(ing: Readonly<KubeObject>): string | undefined {
    const named = (ing.spec as { ingressClassName?: string } | undefined)?.ingressClassName || ing.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
    if (named) return named;
    // As kube's admission picks it: of several default classes, the newest.
    const defaults = this.classes
      .list()
      .filter((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true')
      .sort((a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
    return defaults[0]?.metadata?.name;
  }

  // servedClass is the Ingress's class when this controller serves it.
  private servedClass(ing: Readonly<KubeObject>): string | undefined {
    if (ing.metadata?.deletionTimestamp) return undefined;
    const cls = this.classOf(ing);
    if (!cls) return undefined;
    const def = this.classes.get(cls);
    return (def?.spec as { controller?: string } | undefined)?.controller === INGRESS_CONTROLLER ? cls : undefined;
  }

  /** reconcile brings one Ingress's status in line, or (for a class key) frees an unused class's address. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    if (key.startsWith(CLASS_KEY)) return this.reconcileClass(key.slice(CLASS_KEY.length));
    const ing = this.ingresses.get(key);
    if (!ing) return;
    const cls = this.servedClass(ing);
    if (!cls) {
      // An Ingress that moved away from nodeless's classes loses the address nodeless gave it.
      const ours = loadBalancerIngress(ing).some((i) => i.ip && this.isPoolAddress(i.ip));
      if (ours && !ing.metadata?.deletionTimestamp) return this.writeIngress(ing, []);
      return;
    }
    let ip: string;
    try {
      ip = this.pool.allocate(holderOf(cls));
    } catch (err) {
      await this.recorder.event(ing, 'Warning', 'AllocationFailed', `no load-balancer address for IngressClass ${cls}: ${err instanceof Error ? err.message : String(err)}`);
      this.waiting.add(key);
      return { requeueAfter: 30_000 };
    }
    return this.writeIngress(ing, [{ ip }]);
  }

  private reconcileClass(cls: string): void {
    const inUse = this.ingresses.list().some((ing) => this.servedClass(ing) === cls);
    if (!inUse) this.pool.release(holderOf(cls));
  }

  // isPoolAddress tells an address one of nodeless's classes holds.
  private isPoolAddress(ip: string): boolean {
    return this.classes.list().some((c) => this.pool.addressOf(holderOf(c.metadata!.name!)) === ip);
  }

  private async writeIngress(ing: Readonly<KubeObject>, ingress: Array<{ ip: string }>): Promise<ReconcileResult | void> {
    if (jsonEqual(loadBalancerIngress(ing), ingress)) return;
    const next = structuredClone(ing) as KubeObject;
    next.status = { ...(next.status ?? {}), loadBalancer: ingress.length ? { ingress } : {} };
    try {
      await this.client.updateStatus(INGRESSES, next);
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return { requeue: true };
      throw err;
    }
  }
}
