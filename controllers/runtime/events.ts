/**
 * EventRecorder writes core/v1 Events about objects, as client-go's tools/record does for
 * kube-controller-manager: reason, message, type, involvedObject, source.component and the
 * reporting controller/instance, timestamps from an injected clock. A repeat of an event (same
 * source, object, type, reason and message) is not a new Event: like client-go's
 * EventCorrelator it patches the first one with count+1 and a new lastTimestamp, so
 * `kubectl describe` shows "x5 over 2m". Two more of the correlator's rules keep a busy
 * controller from flooding the store: events about one object that differ only in message are
 * combined once ten distinct messages arrive within ten minutes (one Event whose message starts
 * "(combined from similar events): " and whose count grows), and each object gets a token bucket
 * of 25 events refilled at one per five minutes, beyond which events are dropped. Recording
 * never throws into a controller: failures are logged, as events are best effort.
 *
 * Like client-go's broadcaster, recording is asynchronous: event() queues the Event and returns,
 * and the queue is written in the background, one write at a time (more once it grows past a
 * bound, so that it stays bounded without dropping anything), so events never sit on the path of
 * the work that records them. A repeat recorded while its Event still waits is folded into that
 * write (its count grows), so a burst of repeats costs one write.
 */
import type { KubeObject } from '../../schemas/types';
import { EVENTS, isNotFound, type Client } from './client';
import { realClock, type Clock } from './work-queue';

/** EventType is Normal or Warning. */
export type EventType = 'Normal' | 'Warning';

/** EventRecorderOptions name who reports. */
export interface EventRecorderOptions {
  /** component is source.component and reportingComponent, e.g. deployment-controller */
  component: string;
  /** instance is reportingInstance (and source.host), e.g. the host name; default nodeless */
  instance?: string;
  clock?: Clock;
  /** maxCached bounds the events remembered for aggregation (client-go keeps 4096) */
  maxCached?: number;
  /** spamBurst and spamRefillMs are the per-object token bucket (client-go: 25, one per 300 s); a burst of 0 turns it off */
  spamBurst?: number;
  spamRefillMs?: number;
  /** similarMax distinct messages of one reason within similarWindowMs are combined (client-go: 10 within 600 s) */
  similarMax?: number;
  similarWindowMs?: number;
  /** maxQueued is how many Events may wait before more than one is written at a time (default 32768) */
  maxQueued?: number;
  /** burstWriters is how many are written at once while more than maxQueued wait (default 8) */
  burstWriters?: number;
  log?: (record: Record<string, unknown>) => void;
}

/** The prefix of a message that stands for several similar events. */
export const COMBINED_PREFIX = '(combined from similar events): ';

interface Bucket {
  tokens: number;
  at: number;
}

interface Similar {
  messages: Set<string>;
  last: number;
}

interface Recorded {
  name: string;
  namespace: string;
  count: number;
}

// sequence is shared by every recorder of the process: two recorders writing about one object in
// the same millisecond (a controller and the kubelet it plays) must not pick the same name.
let sequence = 0;

/** Queued is one Event waiting to be written: the first occurrence and every repeat folded into it. */
interface Queued {
  key: string;
  ref: ObjectReference;
  type: EventType;
  reason: string;
  message: string;
  /** name is the Event's name should it be created: picked when first recorded, so names sort in recording order. */
  name: string;
  firstMs: number;
  lastMs: number;
  /** count is how many occurrences this write stands for. */
  count: number;
  done: Array<() => void>;
}

/** EventRecorder records events through a Client; see the file comment. */
export class EventRecorder {
  private readonly cache = new Map<string, Recorded>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly similar = new Map<string, Similar>();
  // queued holds the events not yet written, in recording order, one entry per aggregation key:
  // a repeat recorded before its write starts is folded into the entry (count + 1) instead of
  // becoming a write of its own.
  private readonly queued = new Map<string, Queued>();
  // writing holds the keys being written; a key is written by one write at a time, so a burst of
  // repeats makes one Event.
  private readonly writing = new Set<string>();
  private idleWaiters: Array<() => void> = [];
  private readonly clock: Clock;
  private readonly instance: string;
  private readonly log: (record: Record<string, unknown>) => void;

  constructor(
    private readonly client: Client,
    private readonly options: EventRecorderOptions,
  ) {
    this.clock = options.clock ?? realClock;
    this.instance = options.instance ?? 'nodeless';
    this.log = options.log ?? (() => undefined);
  }

  /** queuedEvents is how many Events wait to be written. */
  get queuedEvents(): number {
    return this.queued.size;
  }

  /**
   * event records an event about obj. It returns at once with the write queued; the promise
   * resolves once the Event is written (or failed, logged), and never rejects.
   */
  event(obj: Readonly<KubeObject>, type: EventType, reason: string, message: string): Promise<void> {
    const ref = referenceOf(obj);
    const objectKey = [this.options.component, this.instance, ref.apiVersion, ref.kind, ref.namespace, ref.name, ref.uid].join('\u0000');
    if (!this.allow(objectKey)) return Promise.resolve();
    const similarKey = `${objectKey}\u0000${type}\u0000${reason}`;
    let key = `${similarKey}\u0000${message}`;
    if (this.combine(similarKey, message)) {
      key = similarKey;
      message = COMBINED_PREFIX + message;
    }
    const now = this.clock.now();
    return new Promise<void>((resolve) => {
      const waiting = this.queued.get(key);
      if (waiting) {
        waiting.count++;
        waiting.lastMs = now;
        waiting.message = message;
        waiting.done.push(resolve);
      } else {
        const name = `${ref.name}.${eventSuffix(now, sequence++)}`;
        this.queued.set(key, { key, ref, type, reason, message, name, firstMs: now, lastMs: now, count: 1, done: [resolve] });
      }
      this.pump();
    });
  }

  /** idle resolves once every Event recorded so far is written (or failed). */
  idle(): Promise<void> {
    if (this.queued.size === 0 && this.writing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // pump starts writes while there is room. Events are off the path of whatever recorded them and
  // yield to it: one write at a time, as client-go's broadcaster drains its queue in one goroutine,
  // so a controller's own writes are not slowed by its events. A queue grown past maxQueued (a
  // burst larger than one writer keeps up with) gets burstWriters at once, so it stays bounded
  // without dropping any Event.
  private pump(): void {
    const max = this.queued.size > (this.options.maxQueued ?? 32_768) ? (this.options.burstWriters ?? 8) : 1;
    if (this.writing.size >= max) return;
    for (const q of this.queued.values()) {
      if (this.writing.size >= max) return;
      // A write of the same key is under way: this entry waits for it, to patch what it made.
      if (this.writing.has(q.key)) continue;
      this.queued.delete(q.key);
      this.writing.add(q.key);
      void this.write(q)
        .catch((err) => this.log({ level: 'error', msg: 'event not recorded', reason: q.reason, object: `${q.ref.namespace}/${q.ref.name}`, error: String(err) }))
        .then(() => {
          this.writing.delete(q.key);
          for (const d of q.done) d();
          this.pump();
          if (this.queued.size === 0 && this.writing.size === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }

  // allow takes a token from the object's bucket, as client-go's spam filter: false drops the event.
  private allow(objectKey: string): boolean {
    const burst = this.options.spamBurst ?? 25;
    if (burst <= 0) return true;
    const refill = this.options.spamRefillMs ?? 300_000;
    const now = this.clock.now();
    const bucket = this.buckets.get(objectKey) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) / refill);
    bucket.at = now;
    this.remember(this.buckets, objectKey, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  // combine notes a message among its similar events and answers whether they are now combined.
  private combine(similarKey: string, message: string): boolean {
    const max = this.options.similarMax ?? 10;
    const window = this.options.similarWindowMs ?? 600_000;
    const now = this.clock.now();
    let record = this.similar.get(similarKey);
    if (!record || now - record.last > window) record = { messages: new Set(), last: now };
    record.messages.add(message);
    record.last = now;
    this.remember(this.similar, similarKey, record);
    if (record.messages.size < max) return false;
    // The set stays at its bound: one message is forgotten, as client-go pops one.
    record.messages.delete(record.messages.values().next().value!);
    return true;
  }

  // remember puts a value last in an LRU-ordered map bounded by maxCached.
  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    const max = this.options.maxCached ?? 4096;
    while (map.size > max) map.delete(map.keys().next().value!);
  }

  /** eventf is event with a printf-style message of %s/%d/%v verbs, as client-go's Eventf. */
  eventf(obj: Readonly<KubeObject>, type: EventType, reason: string, format: string, ...args: unknown[]): Promise<void> {
    let i = 0;
    return this.event(obj, type, reason, format.replace(/%[sdv]/g, () => String(args[i++])));
  }

  // write makes one Event of q, or adds q's occurrences to the Event already made for its key.
  private async write(q: Queued): Promise<void> {
    const timestamp = seconds(q.lastMs);
    const namespace = q.ref.namespace || 'default';
    const seen = this.cache.get(q.key);
    if (seen) {
      try {
        await this.client.patch(EVENTS, seen.namespace, seen.name, 'merge', { count: seen.count + q.count, lastTimestamp: timestamp, message: q.message });
        seen.count += q.count;
        // Refresh its place in the LRU order.
        this.cache.delete(q.key);
        this.cache.set(q.key, seen);
        return;
      } catch (err) {
        // Someone deleted (or expired) the event: record it anew.
        if (!isNotFound(err)) throw err;
        this.cache.delete(q.key);
      }
    }
    const name = seen ? `${q.ref.name}.${eventSuffix(new Date(q.lastMs), sequence++)}` : q.name;
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: q.ref,
      reason: q.reason,
      message: q.message,
      type: q.type,
      source: { component: this.options.component, host: this.instance },
      firstTimestamp: seconds(q.firstMs),
      lastTimestamp: timestamp,
      eventTime: new Date(q.firstMs).toISOString().replace(/Z$/, '000Z'),
      count: q.count,
      action: q.reason,
      reportingComponent: this.options.component,
      reportingInstance: this.instance,
    };
    await this.client.create(EVENTS, namespace, event);
    this.cache.set(q.key, { name, namespace, count: q.count });
    const max = this.options.maxCached ?? 4096;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value!);
  }
}

const seconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** ObjectReference is an Event's involvedObject. */
export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

/** referenceOf is the involvedObject of an event about obj. */
export function referenceOf(obj: Readonly<KubeObject>): ObjectReference {
  const ref: ObjectReference = { kind: obj.kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name, uid: obj.metadata?.uid, apiVersion: obj.apiVersion };
  if (obj.metadata?.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
  for (const k of Object.keys(ref) as Array<keyof ObjectReference>) if (ref[k] === undefined || ref[k] === '') delete ref[k];
  return ref;
}

// eventSuffix is client-go's "%x" of the Unix nanoseconds, kept unique within the process.
function eventSuffix(now: Date | number, sequence: number): string {
  return (BigInt(typeof now === 'number' ? now : now.getTime()) * 1_000_000n + BigInt(sequence % 1_000_000)).toString(16);
}
