/**
 * WorkQueue runs a level-triggered reconcile per key, in the shape of client-go's rate-limited
 * work queue driven by controller-runtime's reconcile handler:
 * - a key queued twice before it runs runs once (the dirty set), and one key never runs
 *   concurrently with itself: queued while running, it runs once more afterwards;
 * - at most `workers` keys run at once;
 * - a reconcile that throws is retried after the key's backoff (5 ms doubling to 1000 s, and an
 *   overall token bucket of 10 qps with a burst of 100, the larger delay winning, as client-go's
 *   DefaultControllerRateLimiter); a TerminalError is logged and not retried;
 * - success forgets the key's failures; `{ requeueAfter }` forgets them and runs the key again
 *   after that delay; `true` (or `{ requeue: true }`) retries with backoff without an error.
 * Timers run on an injected Clock, so tests can step time. Timers end with stop().
 */

/** Clock is the time source of queues and informers; tests inject a fake one. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** realClock is the wall clock and node's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** ReconcileResult is what a reconcile answers: nothing (done), or a delay to run again after. */
export interface ReconcileResult {
  requeueAfter?: number;
  requeue?: boolean;
}

/** TerminalError is a reconcile failure that retrying cannot fix: it is logged, not retried. */
export class TerminalError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'TerminalError';
  }
}

/** RateLimiter decides how long a key waits before its next retry. */
export interface RateLimiter {
  /** when answers the delay of the key's next retry and counts the failure. */
  when(key: string): number;
  /** forget clears the key's failures. */
  forget(key: string): void;
  /** failures is how often the key was retried since it was last forgotten. */
  failures(key: string): number;
}

/** ItemExponentialRateLimiter delays a key base·2^failures, capped at max (client-go's ItemExponentialFailureRateLimiter). */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, number>();
  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1000_000,
  ) {}
  when(key: string): number {
    const n = this.counts.get(key) ?? 0;
    this.counts.set(key, n + 1);
    // 2^n overflows to Infinity long after it passed max; min() keeps the cap.
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }
  forget(key: string): void {
    this.counts.delete(key);
  }
  failures(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/** BucketRateLimiter is an overall token bucket: qps tokens a second, up to burst saved (client-go's BucketRateLimiter). */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;
  constructor(
    private readonly qps = 10,
    private readonly burst = 100,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }
  when(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    // A reservation: the token is taken now (the count may go negative) and paid for by waiting.
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }
  forget(): void {}
  failures(): number {
    return 0;
  }
}

/** MaxOfRateLimiter answers the longest delay of its limiters (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];
  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }
  when(key: string): number {
    return Math.max(...this.limiters.map((l) => l.when(key)));
  }
  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }
  failures(key: string): number {
    return Math.max(...this.limiters.map((l) => l.failures(key)));
  }
}

/** defaultRateLimiter is client-go's DefaultControllerRateLimiter: 5 ms..1000 s per key, 10 qps / 100 burst overall. */
export function defaultRateLimiter(clock: Clock = realClock, baseMs = 5): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialRateLimiter(baseMs, 1000_000), new BucketRateLimiter(10, 100, clock));
}

/** WorkQueueOptions name the queue in logs and tune it. */
export interface WorkQueueOptions {
  /** what the log says failed, e.g. "CRD reconcile failed" */
  failure: string;
  /** retryMs is the first retry delay of a failing key (doubling from there), and the delay of pause(); default 5 ms and 500 ms */
  retryMs?: number;
  /** workers is how many keys run at once (default 1) */
  workers?: number;
  rateLimiter?: RateLimiter;
  /** autoStart false holds every key until start() (controllers start once their informers synced); default true */
  autoStart?: boolean;
  clock?: Clock;
  log?: (record: Record<string, unknown>) => void;
}

/** Reconcile is one pass over a key; see WorkQueue for what its answers mean. */
export type Reconcile = (key: string) => Promise<ReconcileResult | boolean | void>;

/** WorkQueue is the queue of one controller. */
export class WorkQueue {
  // queue holds the dirty keys in order; a Set is both the FIFO and the dirty set.
  private readonly queue = new Set<string>();
  private readonly processing = new Set<string>();
  // waiting holds the keys a timer will add, with the earliest time each is due.
  private readonly waiting = new Map<string, { at: number; handle: unknown }>();
  private readonly timers = new Set<unknown>();
  private readonly idleWaiters: Array<() => void> = [];
  private isStopped = false;
  private isStarted: boolean;
  private readonly workers: number;
  private readonly clock: Clock;
  readonly retryMs: number;
  readonly rateLimiter: RateLimiter;

  constructor(
    private readonly reconcile: Reconcile,
    private readonly options: WorkQueueOptions,
  ) {
    this.clock = options.clock ?? realClock;
    this.retryMs = options.retryMs ?? 500;
    this.workers = Math.max(1, options.workers ?? 1);
    this.rateLimiter = options.rateLimiter ?? defaultRateLimiter(this.clock, options.retryMs ?? 5);
    this.isStarted = options.autoStart ?? true;
  }

  /** start lets the workers run the keys queued so far and from now on (for autoStart false). */
  start(): void {
    this.isStarted = true;
    this.dispatch();
  }

  /** stopped is true once stop() was called. */
  get stopped(): boolean {
    return this.isStopped;
  }

  /** length is how many keys wait to run (not counting running or delayed ones). */
  get length(): number {
    return this.queue.size;
  }

  /** add queues a key; it runs as soon as a worker is free and the key is not running. */
  add(key: string): void {
    if (this.isStopped || this.queue.has(key)) return;
    this.queue.add(key);
    this.dispatch();
  }

  /** addAfter queues a key after ms; of several delays pending for one key the earliest wins. */
  addAfter(key: string, ms: number): void {
    if (this.isStopped) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const pending = this.waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clearTimer(pending.handle);
    const handle = this.timer(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, handle });
  }

  /** addRateLimited queues a key after its backoff delay. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** forget clears a key's failure count, so its next failure waits the shortest delay again. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** addLater queues a key after its backoff delay (the name existing controllers use). */
  addLater(key: string): void {
    this.addRateLimited(key);
  }

  /** later runs fn after ms unless the queue stops first. */
  later(fn: () => void, ms: number): void {
    if (this.isStopped) return;
    this.timer(fn, ms);
  }

  /** pause resolves after retryMs (or at once when stopped), for watch loops that restart. */
  pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.isStopped) return resolve();
      this.later(resolve, this.retryMs);
    });
  }

  /** idle resolves once no key is queued or running (delayed keys do not count). */
  idle(): Promise<void> {
    if (!this.queue.size && !this.processing.size) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** stop ends every pending retry; running reconciles finish on their own. */
  stop(): void {
    this.isStopped = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.waiting.clear();
    this.queue.clear();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private timer(fn: () => void, ms: number): unknown {
    const handle: unknown = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  private clearTimer(handle: unknown): void {
    this.clock.clearTimeout(handle);
    this.timers.delete(handle);
  }

  // dispatch starts queued keys that are not running while workers are free.
  private dispatch(): void {
    if (this.isStopped || !this.isStarted) return;
    for (const key of this.queue) {
      if (this.processing.size >= this.workers) break;
      if (this.processing.has(key)) continue;
      this.queue.delete(key);
      this.processing.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const result = await this.reconcile(key);
      if (result === true || (typeof result === 'object' && result?.requeue && !result.requeueAfter)) {
        this.addRateLimited(key);
      } else if (typeof result === 'object' && result?.requeueAfter) {
        this.forget(key);
        this.addAfter(key, result.requeueAfter);
      } else {
        this.forget(key);
      }
    } catch (err) {
      const terminal = err instanceof TerminalError;
      this.options.log?.({ level: 'error', msg: this.options.failure, key, error: String(err), ...(terminal ? { terminal: true } : {}) });
      if (terminal) this.forget(key);
      else this.addRateLimited(key);
    } finally {
      this.processing.delete(key);
      this.dispatch();
      if (!this.queue.size && !this.processing.size) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
