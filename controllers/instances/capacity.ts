/**
 * Account-wide capacity: the total vCPU, memory and instance count an account may run at once,
 * as Fargate and ECI quotas are. A Pod beyond it waits; when capacity frees, waiting Pods are
 * admitted strictly oldest first (creationTimestamp, then key), so a large old Pod is never
 * starved by a stream of small young ones.
 */
import { QuantityError, milliValue, value } from '../../schemas/meta/quantity';
import { formatCPU, formatMemory } from './sizing';

/** CapacityLimits bound the account; an absent field is unlimited. */
export interface CapacityLimits {
  milliCPU?: number;
  memoryBytes?: number;
  instances?: number;
}

/** CapacityRequest is one Pod's instance: its key, the size's resources and the Pod's age. */
export interface CapacityRequest {
  key: string;
  milliCPU: number;
  memoryBytes: number;
  /** createdAt is the Pod's creationTimestamp in epoch milliseconds; older Pods go first. */
  createdAt: number;
}

/** Admission is the answer to a request: admitted, or why it must wait (or can never fit). */
export type Admission =
  | { admitted: true }
  | { admitted: false; reason: 'InsufficientCapacity' | 'ExceedsAccountLimit'; message: string };

/** CapacityUsage is what admitted instances hold. */
export interface CapacityUsage {
  milliCPU: number;
  memoryBytes: number;
  instances: number;
}

/** CapacityLimitsError is a limit that is not a quantity or not positive; it names the flag. */
export class CapacityLimitsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CapacityLimitsError';
  }
}

/** parseCapacityLimits reads limits given as strings ("64", "256Gi", "100"); empty or absent is unlimited. */
export function parseCapacityLimits(input: { cpu?: string; memory?: string; instances?: string | number }): CapacityLimits {
  const q = (name: string, v: string | undefined, milli: boolean) => {
    if (v === undefined || v === '') return undefined;
    let n: number;
    try {
      n = milli ? milliValue(v.trim()) : value(v.trim());
    } catch (err) {
      if (err instanceof QuantityError) throw new CapacityLimitsError(`capacity ${name}: invalid quantity "${v}": ${err.message}`);
      throw err;
    }
    if (n <= 0) throw new CapacityLimitsError(`capacity ${name}: must be positive, got "${v}"`);
    return n;
  };
  let instances: number | undefined;
  if (input.instances !== undefined && input.instances !== '') {
    instances = Number(input.instances);
    if (!Number.isInteger(instances) || instances <= 0) throw new CapacityLimitsError(`capacity instances: must be a positive integer, got "${input.instances}"`);
  }
  return { milliCPU: q('cpu', input.cpu, true), memoryBytes: q('memory', input.memory, false), instances };
}

const older = (a: CapacityRequest, b: CapacityRequest) => a.createdAt - b.createdAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** AccountCapacity tracks admitted instances and the queue of Pods waiting for capacity. */
export class AccountCapacity {
  private readonly admitted = new Map<string, CapacityRequest>();
  private readonly queue: CapacityRequest[] = [];
  // queued maps each waiting key to its request, to find its place in the queue by binary search.
  private readonly queued = new Map<string, CapacityRequest>();
  private used: CapacityUsage = { milliCPU: 0, memoryBytes: 0, instances: 0 };

  constructor(readonly limits: CapacityLimits = {}) {}

  /** usage is what admitted instances hold now. */
  usage(): CapacityUsage {
    return { ...this.used };
  }

  /** waiting lists the keys waiting for capacity, oldest first. */
  waiting(): string[] {
    return this.queue.map((r) => r.key);
  }

  /** isWaiting is true while key waits for capacity. */
  isWaiting(key: string): boolean {
    return this.queued.has(key);
  }

  /** isAdmitted is true while key holds capacity. */
  isAdmitted(key: string): boolean {
    return this.admitted.has(key);
  }

  /**
   * request admits the instance when it fits and no older Pod is waiting; otherwise it queues it
   * and says why. Asking again for an admitted or queued key changes nothing and answers the same.
   * An instance larger than the limits themselves is refused with ExceedsAccountLimit and not queued.
   */
  request(req: CapacityRequest): Admission {
    if (this.admitted.has(req.key)) return { admitted: true };
    const never = this.exceedsLimits(req);
    if (never) return { admitted: false, reason: 'ExceedsAccountLimit', message: never };
    if (!this.queued.has(req.key)) {
      const head = this.queue[0];
      if ((!head || older(req, head) < 0) && this.fits(req)) {
        this.admit(req);
        return { admitted: true };
      }
      this.enqueue(req);
    }
    return { admitted: false, reason: 'InsufficientCapacity', message: this.waitMessage(req) };
  }

  /**
   * release frees key's capacity (or drops it from the queue) and admits waiting Pods oldest first
   * while the oldest fits; it returns the keys admitted now, in that order.
   */
  release(key: string): string[] {
    const held = this.admitted.get(key);
    if (held) {
      this.admitted.delete(key);
      this.used = { milliCPU: this.used.milliCPU - held.milliCPU, memoryBytes: this.used.memoryBytes - held.memoryBytes, instances: this.used.instances - 1 };
    } else {
      const req = this.queued.get(key);
      if (req) {
        this.queued.delete(key);
        this.queue.splice(this.position(req), 1);
      }
    }
    const now: string[] = [];
    while (this.queue.length && this.fits(this.queue[0])) {
      const next = this.queue.shift()!;
      this.queued.delete(next.key);
      this.admit(next);
      now.push(next.key);
    }
    return now;
  }

  private admit(req: CapacityRequest): void {
    this.admitted.set(req.key, req);
    this.used = { milliCPU: this.used.milliCPU + req.milliCPU, memoryBytes: this.used.memoryBytes + req.memoryBytes, instances: this.used.instances + 1 };
  }

  private enqueue(req: CapacityRequest): void {
    this.queue.splice(this.position(req), 0, req);
    this.queued.set(req.key, req);
  }

  // position is where req stands (or would stand) in the queue, which is kept oldest first.
  private position(req: CapacityRequest): number {
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (older(this.queue[mid], req) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private fits(req: CapacityRequest): boolean {
    const { milliCPU, memoryBytes, instances } = this.limits;
    return (
      (milliCPU === undefined || this.used.milliCPU + req.milliCPU <= milliCPU) &&
      (memoryBytes === undefined || this.used.memoryBytes + req.memoryBytes <= memoryBytes) &&
      (instances === undefined || this.used.instances + 1 <= instances)
    );
  }

  private exceedsLimits(req: CapacityRequest): string | undefined {
    const { milliCPU, memoryBytes } = this.limits;
    const over: string[] = [];
    if (milliCPU !== undefined && req.milliCPU > milliCPU) over.push(`${formatCPU(req.milliCPU)} vCPU but the account limit is ${formatCPU(milliCPU)} vCPU`);
    if (memoryBytes !== undefined && req.memoryBytes > memoryBytes) over.push(`${formatMemory(req.memoryBytes)} memory but the account limit is ${formatMemory(memoryBytes)}`);
    return over.length ? `the pod's instance needs ${over.join(' and ')}` : undefined;
  }

  private waitMessage(req: CapacityRequest): string {
    const { milliCPU, memoryBytes, instances } = this.limits;
    const inUse: string[] = [];
    if (milliCPU !== undefined) inUse.push(`${formatCPU(this.used.milliCPU)}/${formatCPU(milliCPU)} vCPU`);
    if (memoryBytes !== undefined) inUse.push(`${formatMemory(this.used.memoryBytes)}/${formatMemory(memoryBytes)} memory`);
    if (instances !== undefined) inUse.push(`${this.used.instances}/${instances} instances`);
    const queued = this.queued.get(req.key);
    const ahead = queued ? this.position(queued) : -1;
    const queueNote = ahead > 0 ? `; ${ahead} older pod${ahead === 1 ? ' is' : 's are'} waiting ahead of it` : '';
    return `account capacity is exhausted: ${inUse.join(', ')} in use; the pod's instance needs ${formatCPU(req.milliCPU)} vCPU and ${formatMemory(req.memoryBytes)}${queueNote}`;
  }
}
