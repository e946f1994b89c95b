/**
 * EventRecorder writes core/v1 Events about objects, as client-go's tools/record does for
 * kube-controller-manager: reason, message, type, involvedObject, source.component and the
 * reporting controller/instance, timestamps from an injected clock. A repeat of an event (same
 * source, object, type, reason and message) is not a new Event: like client-go's
 * EventCorrelator it patches the first one with count+1 and a new lastTimestamp, so
 * `kubectl describe` shows "x5 over 2m". Recording never throws into a controller: failures
 * are logged, as events are best effort.
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
  log?: (record: Record<string, unknown>) => void;
}

interface Recorded {
  name: string;
  namespace: string;
  count: number;
}

// sequence is shared by every recorder of the process: two recorders writing about one object in
// the same millisecond (a controller and the kubelet it plays) must not pick the same name.
let sequence = 0;

/** EventRecorder records events through a Client. */
export class EventRecorder {
  private readonly cache = new Map<string, Recorded>();
  // chains serialise the writes of one aggregation key, so a burst of repeats makes one Event.
  private readonly chains = new Map<string, Promise<void>>();
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

  /** event records an event about obj; the promise resolves once it is written (or failed, logged). */
  event(obj: Readonly<KubeObject>, type: EventType, reason: string, message: string): Promise<void> {
    const ref = referenceOf(obj);
    const key = [this.options.component, ref.apiVersion, ref.kind, ref.namespace, ref.name, ref.uid, type, reason, message].join('\u0000');
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.write(key, ref, type, reason, message)).catch((err) => {
      this.log({ level: 'error', msg: 'event not recorded', reason, object: `${ref.namespace}/${ref.name}`, error: String(err) });
    });
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return next;
  }

  /** eventf is event with a printf-style message of %s/%d/%v verbs, as client-go's Eventf. */
  eventf(obj: Readonly<KubeObject>, type: EventType, reason: string, format: string, ...args: unknown[]): Promise<void> {
    let i = 0;
    return this.event(obj, type, reason, format.replace(/%[sdv]/g, () => String(args[i++])));
  }

  private async write(key: string, ref: ObjectReference, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date(this.clock.now());
    const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const namespace = ref.namespace || 'default';
    const seen = this.cache.get(key);
    if (seen) {
      try {
        await this.client.patch(EVENTS, seen.namespace, seen.name, 'merge', { count: seen.count + 1, lastTimestamp: timestamp, message });
        seen.count++;
        // Refresh its place in the LRU order.
        this.cache.delete(key);
        this.cache.set(key, seen);
        return;
      } catch (err) {
        // Someone deleted (or expired) the event: record it anew.
        if (!isNotFound(err)) throw err;
        this.cache.delete(key);
      }
    }
    const name = `${ref.name}.${eventSuffix(now, sequence++)}`;
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source: { component: this.options.component, host: this.instance },
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      eventTime: now.toISOString().replace(/Z$/, '000Z'),
      count: 1,
      action: reason,
      reportingComponent: this.options.component,
      reportingInstance: this.instance,
    };
    await this.client.create(EVENTS, namespace, event);
    this.cache.set(key, { name, namespace, count: 1 });
    const max = this.options.maxCached ?? 4096;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value!);
  }
}

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
function eventSuffix(now: Date, sequence: number): string {
  return (BigInt(now.getTime()) * 1_000_000n + BigInt(sequence % 1_000_000)).toString(16);
}
