/**
 * The in-memory fan-out behind watch. A backend publishes each committed change once; the
 * hub hands it to the watchers whose prefix (or exact key) covers the key. Each watcher has
 * a bounded queue: one that falls more than maxPending events behind is dropped with
 * WatcherTooSlowError, so a slow consumer never stalls writers or grows memory without bound.
 */
import { ancestorPrefixes } from './keys';
import { StoreError, WatcherTooSlowError } from './errors';
import type { WatchEvent, Watcher } from './types';

/** HistoryPage reads committed events under the watcher's target with after < revision <= upTo, oldest first. */
export type HistoryPage = (after: number, upTo: number, limit: number) => WatchEvent[];

/** DEFAULT_MAX_PENDING bounds a watcher's queue when the caller does not choose. */
export const DEFAULT_MAX_PENDING = 10_000;

/**
 * DEFAULT_MAX_PENDING_BYTES bounds a watcher's queue by the length of the values it holds
 * (each event's value and previous value), when the caller does not choose. The count alone let
 * one stalled watcher of 1 MiB objects hold up to 10,000 × 2 MiB; 128 MiB is still some sixty
 * changes of the largest object kube accepts (1.5 MiB with its previous value) behind.
 */
export const DEFAULT_MAX_PENDING_BYTES = 128 * 1024 * 1024;
const HISTORY_PAGE = 512;

/** WatchHub routes published events to the watchers registered on their key's prefixes. */
export class WatchHub {
  private readonly byTarget = new Map<string, Set<QueueWatcher>>();
  private count = 0;

  /** size is the number of live watchers. */
  get size(): number {
    return this.count;
  }

  /** publish delivers one committed event to every interested watcher, synchronously. */
  publish(event: WatchEvent): void {
    if (this.count === 0) return;
    const exact = this.byTarget.get(event.key);
    if (exact) for (const w of exact) w.push(event);
    for (const prefix of ancestorPrefixes(event.key)) {
      const set = this.byTarget.get(prefix);
      if (set) for (const w of set) w.push(event);
    }
  }

  /**
   * register starts a watcher on target after fromRevision. Events up to historyEnd come from
   * the history reader page by page as the consumer pulls; live events after it are queued.
   */
  register(
    target: string,
    fromRevision: number,
    historyEnd: number,
    history: HistoryPage,
    currentRevision: () => number,
    options: { maxPending?: number; maxPendingBytes?: number; progressIntervalMs?: number },
  ): Watcher {
    const w = new QueueWatcher(this, target, fromRevision, historyEnd, history, currentRevision, options);
    let set = this.byTarget.get(target);
    if (!set) this.byTarget.set(target, (set = new Set()));
    set.add(w);
    this.count++;
    return w;
  }

  /** remove forgets a watcher; called by the watcher when it ends. */
  remove(w: QueueWatcher): void {
    const set = this.byTarget.get(w.target);
    if (set?.delete(w)) {
      this.count--;
      if (set.size === 0) this.byTarget.delete(w.target);
    }
  }

  /** queued sums the events and value bytes queued for every watcher, and finds the longest queue. */
  queued(): { events: number; bytes: number; longest: number } {
    let events = 0;
    let bytes = 0;
    let longest = 0;
    for (const set of this.byTarget.values()) {
      for (const w of set) {
        events += w.pendingEvents;
        bytes += w.pendingBytes;
        if (w.pendingEvents > longest) longest = w.pendingEvents;
      }
    }
    return { events, bytes, longest };
  }

  /** failAll ends every watcher with err (the store is closing). */
  failAll(err: StoreError): void {
    for (const set of [...this.byTarget.values()]) for (const w of [...set]) w.fail(err);
  }
}

type Waiter = { resolve: (e: WatchEvent | undefined) => void; reject: (err: Error) => void };

/** QueueWatcher is the hub's Watcher: history pages first, then a bounded queue of live events. */
class QueueWatcher implements Watcher {
  private queue: WatchEvent[] = [];
  private head = 0;
  private historyPage: WatchEvent[] = [];
  private historyIndex = 0;
  private historyCursor: number;
  private waiter?: Waiter;
  private error?: Error;
  private done = false;
  private lastRevision: number;
  private timer?: NodeJS.Timeout;
  private sawEventSinceTick = false;
  private readonly maxPending: number;
  private readonly maxPendingBytes: number;
  /** pendingBytes is the length of the values queued and not yet taken (what the queue holds on the heap). */
  pendingBytes = 0;

  constructor(
    private readonly hub: WatchHub,
    readonly target: string,
    fromRevision: number,
    private readonly historyEnd: number,
    private readonly history: HistoryPage,
    private readonly currentRevision: () => number,
    options: { maxPending?: number; maxPendingBytes?: number; progressIntervalMs?: number },
  ) {
    this.lastRevision = fromRevision;
    this.historyCursor = fromRevision;
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    if (options.progressIntervalMs && options.progressIntervalMs > 0) {
      this.timer = setInterval(() => this.tick(), options.progressIntervalMs);
      this.timer.unref();
    }
  }

  get closed(): boolean {
    return this.done;
  }

  /** pendingEvents is the number of live events queued and not yet taken. */
  get pendingEvents(): number {
    return this.queue.length - this.head;
  }

  // idle is true when nothing is buffered, so a new event may go straight to a waiting reader.
  private get idle(): boolean {
    return (
      this.head === this.queue.length &&
      this.historyIndex === this.historyPage.length &&
      this.historyCursor >= this.historyEnd
    );
  }

  /** push queues a live event; events already covered by the history replay are skipped. */
  push(event: WatchEvent): void {
    if (this.done || event.revision <= this.historyEnd) return;
    this.sawEventSinceTick = true;
    if (this.waiter && this.idle) {
      const w = this.waiter;
      this.waiter = undefined;
      this.lastRevision = event.revision;
      w.resolve(event);
      return;
    }
    this.queue.push(event);
    this.pendingBytes += eventBytes(event);
    const pending = this.queue.length - this.head;
    if (pending > this.maxPending) this.fail(new WatcherTooSlowError(pending));
    else if (this.pendingBytes > this.maxPendingBytes) this.fail(new WatcherTooSlowError(pending, this.pendingBytes));
  }

  requestProgress(): void {
    if (this.done) return;
    const bookmark: WatchEvent = { type: 'BOOKMARK', key: this.target, revision: this.currentRevision(), value: '' };
    if (this.waiter && this.idle) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(bookmark);
    } else {
      // Queued behind every pending event, so its revision never runs ahead of them.
      this.queue.push(bookmark);
    }
  }

  next(): Promise<WatchEvent | undefined> {
    if (this.error) return Promise.reject(this.error);
    try {
      const ev = this.take();
      if (ev) return Promise.resolve(ev);
    } catch (err) {
      this.fail(err as Error);
      return Promise.reject(err);
    }
    if (this.done) return Promise.resolve(undefined);
    if (this.waiter) return Promise.reject(new StoreError('watcher.next() called while another call is pending'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  // take returns the next event without waiting: replayed history first, then the live queue.
  private take(): WatchEvent | undefined {
    if (this.historyIndex === this.historyPage.length && this.historyCursor < this.historyEnd) {
      const page = this.history(this.historyCursor, this.historyEnd, HISTORY_PAGE);
      this.historyCursor = page.length < HISTORY_PAGE ? this.historyEnd : page[page.length - 1].revision;
      this.historyPage = page;
      this.historyIndex = 0;
    }
    let ev: WatchEvent | undefined;
    if (this.historyIndex < this.historyPage.length) {
      ev = this.historyPage[this.historyIndex++];
    } else if (this.head < this.queue.length) {
      ev = this.queue[this.head];
      // The slot is cleared as it is taken: an event the consumer has had must not stay
      // reachable from the queue. (Until the array was compacted, up to 1,024 taken events per
      // watcher, each with its value and previous value, stayed on the heap: with 1 MiB objects
      // the soak kept ~150 MB that no cache accounted for.)
      this.queue[this.head++] = undefined as unknown as WatchEvent;
      this.pendingBytes -= eventBytes(ev);
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
    if (!ev) return undefined;
    if (ev.type === 'BOOKMARK') return { ...ev, revision: Math.max(this.lastRevision, ev.revision) };
    this.lastRevision = ev.revision;
    return ev;
  }

  private tick(): void {
    if (!this.sawEventSinceTick && this.idle) this.requestProgress();
    this.sawEventSinceTick = false;
  }

  close(): void {
    if (this.done) return;
    this.end();
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(undefined);
  }

  /** fail ends the watch with err; buffered events are dropped. */
  fail(err: Error): void {
    if (this.done) return;
    this.error = err;
    this.end();
    this.queue = [];
    this.head = 0;
    this.pendingBytes = 0;
    this.historyPage = [];
    this.historyIndex = 0;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  private end(): void {
    this.done = true;
    if (this.timer) clearInterval(this.timer);
    this.hub.remove(this);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    try {
      for (;;) {
        const ev = await this.next();
        if (!ev) return;
        yield ev;
      }
    } finally {
      this.close();
    }
  }
}

// eventBytes is what one queued event holds: the lengths of its values.
function eventBytes(ev: WatchEvent): number {
  return ev.value.length + (ev.prevValue?.length ?? 0);
}
