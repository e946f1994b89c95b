/**
 * The address pool behind nodeless's load balancers: LoadBalancer Services and the built-in
 * ingress controller take their external addresses (status.loadBalancer.ingress) from it, as a
 * cloud hands out load-balancer IPs. Each holder keeps its address until it gives it back; the
 * pool lives in the controllers' memory and is rebuilt from the addresses the stored objects
 * show (restore) before anything new is handed out, so a restart never hands one out twice.
 */
import { AllocatorError, IPAllocator } from '../instances/allocator';

/** DEFAULT_LOAD_BALANCER_IP_POOL is 198.18.0.0/15, the range RFC 2544 sets aside for benchmarks: never routed on the internet. */
export const DEFAULT_LOAD_BALANCER_IP_POOL = '198.18.0.0/15';

/** LOAD_BALANCER_CLASS is the spec.loadBalancerClass of nodeless's load balancer; Services with no class are served too. */
export const LOAD_BALANCER_CLASS = 'nodeless.dev/lb';

/** INGRESS_CONTROLLER is the spec.controller of the IngressClasses the built-in ingress controller serves. */
export const INGRESS_CONTROLLER = 'nodeless.dev/ingress-controller';

/** DEFAULT_INGRESS_CLASS is the name of the default IngressClass every server creates on its first start. */
export const DEFAULT_INGRESS_CLASS = 'nodeless';

/** LoadBalancerPool hands out addresses of one IPv4 CIDR to named holders (e.g. service/ns/name). */
export class LoadBalancerPool {
  private readonly ips: IPAllocator;
  private restored = false;
  private readonly waiters: Array<() => void> = [];
  private readonly restorers: Array<(claim: (holder: string, ip: string) => boolean) => void> = [];

  /** The constructor throws an Error naming --load-balancer-ip-pool when cidr is not an IPv4 CIDR from /8 to /29. */
  constructor(readonly cidr: string = DEFAULT_LOAD_BALANCER_IP_POOL) {
    try {
      this.ips = new IPAllocator(cidr);
    } catch (err) {
      const why = err instanceof AllocatorError ? err.message.replace(/^invalid pod CIDR "[^"]*": /, '') : String(err);
      throw new Error(`invalid --load-balancer-ip-pool "${cidr}": ${why}`);
    }
  }

  /** addressOf is the address holder has, without allocating. */
  addressOf(holder: string): string | undefined {
    return this.ips.lookup(holder);
  }

  /** allocate returns holder's address, taking a free one the first time; it throws an Error when the pool is used up. */
  allocate(holder: string): string {
    return this.ips.allocate(holder);
  }

  /** release gives holder's address back, and tells those waiting for one. */
  release(holder: string): void {
    if (this.ips.lookup(holder) === undefined) return;
    this.ips.release(holder);
    for (const w of this.waiters) w();
  }

  /** onRelease registers a callback for each address given back (a controller requeues what waits for one). */
  onRelease(callback: () => void): void {
    this.waiters.push(callback);
  }

  /**
   * addRestorer registers how one controller finds the addresses its stored objects show; call
   * it at setup, so that every controller sharing the pool has registered before any runs.
   */
  addRestorer(restorer: (claim: (holder: string, ip: string) => boolean) => void): void {
    this.restorers.push(restorer);
  }

  /** restoreOnce claims every stored address (the first call only): run it before allocating. */
  restoreOnce(): void {
    if (this.restored) return;
    this.restored = true;
    for (const r of this.restorers) r((holder, ip) => this.ips.restore(holder, ip));
  }
}
