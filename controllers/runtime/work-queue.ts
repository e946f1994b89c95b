/**
 * WorkQueue runs a level-triggered reconcile per key: a key queued twice runs once, one key never
 * runs concurrently with itself (queued while running, it runs once more afterwards), and a
 * reconcile that fails or asks to be retried runs again after a delay. Timers end with stop().
 */

/** WorkQueueOptions name the queue in logs and set the retry delay. */
export interface WorkQueueOptions {
  /** what the log says failed, e.g. "CRD reconcile failed" */
  failure: string;
  retryMs?: number;
  log?: (record: Record<string, unknown>) => void;
}

/** WorkQueue is the queue of one controller. */
export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly running = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private isStopped = false;
  readonly retryMs: number;

  constructor(
    private readonly reconcile: (key: string) => Promise<boolean>,
    private readonly options: WorkQueueOptions,
  ) {
    this.retryMs = options.retryMs ?? 500;
  }

  /** stopped is true once stop() was called. */
  get stopped(): boolean {
    return this.isStopped;
  }

  /** add queues a key; it runs now unless it is running already. */
  add(key: string): void {
    if (this.isStopped) return;
    if (this.running.has(key)) {
      this.pending.add(key);
      return;
    }
    this.running.add(key);
    void this.reconcile(key)
      .then((requeue) => requeue && this.addLater(key))
      .catch((err) => {
        this.options.log?.({ level: 'error', msg: this.options.failure, key, error: String(err) });
        this.addLater(key);
      })
      .finally(() => {
        this.running.delete(key);
        if (this.pending.delete(key)) this.add(key);
      });
  }

  /** addLater queues a key after the retry delay. */
  addLater(key: string): void {
    this.later(() => this.add(key), this.retryMs);
  }

  /** later runs fn after ms unless the queue stops first. */
  later(fn: () => void, ms: number): void {
    if (this.isStopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** pause resolves after the retry delay (or at once when stopped), for watch loops that restart. */
  pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.isStopped) return resolve();
      this.later(resolve, this.retryMs);
    });
  }

  /** stop ends every pending retry; running reconciles finish on their own. */
  stop(): void {
    this.isStopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
