/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package
 * does it for kube-controller-manager: several controller processes (against one API server, or
 * several servers sharing one database) compete for one Lease, and only its holder runs the
 * controllers. The holder renews the Lease every retry period; if it cannot renew for the renew
 * deadline it stops leading. A candidate takes the Lease once its holder has not renewed it for
 * the lease duration, measured on the candidate's own clock from when it last saw the Lease change
 * (never from the renewTime written by another machine's clock). A holder that stops cleanly
 * releases the Lease, so a successor need not wait for it to expire.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { KubeObject } from '../../schemas/types';
import { ApiError, isNotFound, type Client, type ResourceDescriptor } from './client';
import type { EventRecorder } from './events';
import type { LeaderElector } from './manager';
import { realClock, type Clock } from './work-queue';

/** LEASES is coordination.k8s.io/v1 leases. */
export const LEASES: ResourceDescriptor = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true, kind: 'Lease' };

/** LeaseElectorOptions are kube-controller-manager's --leader-elect-* flags. */
export interface LeaseElectorOptions {
  /** the Lease, default kube-system/nodeless-controllers */
  namespace?: string;
  name?: string;
  /** identity is this candidate's holderIdentity, default <hostname>_<uuid> */
  identity?: string;
  /** leaseDurationMs (15 s), renewDeadlineMs (10 s) and retryPeriodMs (2 s), as client-go's defaults */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  /** recorder writes the LeaderElection event on the Lease when leadership is taken */
  recorder?: EventRecorder;
  log?: (record: Record<string, unknown>) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

/** microTime renders a metav1.MicroTime, as Lease times are. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** LeaseElector is a LeaderElector on a Lease. */
export class LeaseElector implements LeaderElector {
  readonly identity: string;
  private readonly namespace: string;
  private readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: Clock;
  private readonly log: (record: Record<string, unknown>) => void;
  // What this candidate last saw of the Lease, and when on its own clock it saw it change.
  private observed?: { holder: string; renewTime?: string; resourceVersion?: string; transitions: number };
  private observedAt = 0;
  private leading = false;
  private stopped = false;
  private timer?: unknown;
  private wake?: () => void;
  private releasing?: Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly options: LeaseElectorOptions = {},
  ) {
    this.namespace = options.namespace ?? 'kube-system';
    this.name = options.name ?? 'nodeless-controllers';
    this.identity = options.identity ?? `${os.hostname()}_${randomUUID()}`;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs && this.retryPeriodMs > 0)) {
      throw new Error('leader election needs lease duration > renew deadline > retry period > 0');
    }
    this.clock = options.clock ?? realClock;
    this.log = options.log ?? (() => undefined);
  }

  /** isLeader is true while this candidate holds the Lease. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** acquire resolves once this candidate holds the Lease; onLost is called if it later cannot renew it. */
  async acquire(onLost: () => void): Promise<void> {
    this.log({ level: 'info', msg: 'attempting to acquire leader lease', lease: `${this.namespace}/${this.name}`, identity: this.identity });
    while (!this.stopped && !(await this.tryAcquireOrRenew())) await this.sleep(this.jittered());
    if (this.stopped) throw new Error('leader election stopped before the lease was acquired');
    this.leading = true;
    this.log({ level: 'info', msg: 'successfully acquired lease', lease: `${this.namespace}/${this.name}`, identity: this.identity });
    void this.options.recorder?.event(await this.leaseObject(), 'Normal', 'LeaderElection', `${this.identity} became leader`);
    void this.renewLoop(onLost);
  }

  /** release stops renewing and, when leading, hands the Lease back so a successor takes it at once. */
  release(): void {
    void this.releaseLease();
  }

  /** releaseLease is release, resolving once the Lease is written; every call answers the same promise. */
  releaseLease(): Promise<void> {
    return (this.releasing ??= this.writeRelease());
  }

  private async writeRelease(): Promise<void> {
    const wasLeading = this.leading;
    this.stopped = true;
    this.leading = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.wake?.();
    if (!wasLeading || !this.observed) return;
    try {
      const lease = await this.client.get<Lease>(LEASES, this.namespace, this.name);
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = this.clock.now();
      // client-go's release: no holder, a one-second duration, the transitions kept.
      lease.spec = { leaseDurationSeconds: 1, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: lease.spec.leaseTransitions ?? 0 };
      await this.client.update(LEASES, lease);
    } catch (err) {
      this.log({ level: 'error', msg: 'failed to release lease', error: String(err) });
    }
  }

  private async renewLoop(onLost: () => void): Promise<void> {
    let lastRenew = this.clock.now();
    while (!this.stopped) {
      await this.sleep(this.retryPeriodMs);
      if (this.stopped) return;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = this.clock.now();
        continue;
      }
      if (this.clock.now() - lastRenew >= this.renewDeadlineMs) {
        this.leading = false;
        this.stopped = true;
        this.log({ level: 'error', msg: 'failed to renew lease: leadership lost', lease: `${this.namespace}/${this.name}`, identity: this.identity });
        onLost();
        return;
      }
    }
  }

  // tryAcquireOrRenew takes or renews the Lease once; false when another holder's lease stands or the write lost a race.
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>(LEASES, this.namespace, this.name);
    } catch (err) {
      if (!isNotFound(err)) return this.failed(err);
      try {
        const created = await this.client.create<Lease>(LEASES, this.namespace, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.name, namespace: this.namespace },
          spec: { holderIdentity: this.identity, leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000), acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        this.observe(created, now);
        return true;
      } catch (createErr) {
        return this.failed(createErr);
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const changed = !this.observed || this.observed.holder !== holder || this.observed.renewTime !== spec.renewTime || this.observed.transitions !== (spec.leaseTransitions ?? 0);
    if (changed) this.observe(lease, now);
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.leaseDurationMs / 1000)) * 1000;
    if (holder && holder !== this.identity && this.observedAt + durationMs > now) return false;
    const taking = holder !== this.identity;
    lease.spec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: taking ? microTime(now) : spec.acquireTime,
      renewTime: microTime(now),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (taking && holder ? 1 : 0),
    };
    try {
      // The Lease's resourceVersion makes this write lose cleanly to a competing candidate.
      this.observe(await this.client.update<Lease>(LEASES, lease), now);
      return true;
    } catch (err) {
      return this.failed(err);
    }
  }

  private observe(lease: Lease, now: number): void {
    this.observed = { holder: lease.spec?.holderIdentity ?? '', renewTime: lease.spec?.renewTime, resourceVersion: lease.metadata?.resourceVersion, transitions: lease.spec?.leaseTransitions ?? 0 };
    this.observedAt = now;
  }

  private failed(err: unknown): false {
    // A 409 (a lost race, or a create another candidate won) is the normal way to lose; anything else is logged.
    if (!(err instanceof ApiError && err.code === 409)) this.log({ level: 'error', msg: 'error retrieving or updating lease', lease: `${this.namespace}/${this.name}`, error: String(err) });
    return false;
  }

  private async leaseObject(): Promise<KubeObject> {
    try {
      return await this.client.get(LEASES, this.namespace, this.name);
    } catch {
      return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.namespace } };
    }
  }

  // jittered is the retry period plus up to 20% more, as client-go's wait.JitterUntil with factor 1.2.
  private jittered(): number {
    return this.retryPeriodMs * (1 + Math.random() * 0.2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        resolve();
      }, ms);
    });
  }
}
