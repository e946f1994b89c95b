/**
 * Conformance: the upstream "[sig-api-machinery] Watchers" tests (test/e2e/apimachinery/watch.go),
 * run against real HTTP watch streams. Where upstream waits 10 s to show that an event does
 * NOT arrive, these tests wait instead for a progress BOOKMARK at or past the revision of the
 * write in question: events are delivered in revision order, so a watcher that reaches such a
 * bookmark without the event never will see it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { startTestServer, type TestServer } from '../helpers/api-server';

interface WatchEvent {
  type: string;
  object: { metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string> }; [k: string]: unknown };
}

const LABEL_KEY = 'watch-this-configmap';
const EVENT_DEADLINE_MS = 10_000;

let t: TestServer;
let server: http.Server;
let port: number;
const open: WatchStream[] = [];

beforeAll(async () => {
  t = await startTestServer({ bookmarkIntervalMs: 50 });
  server = await t.nodeless.listen(0, '127.0.0.1');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const w of open) w.stop();
  await t.close();
});

/** WatchStream reads one HTTP watch as newline-delimited JSON events. */
class WatchStream {
  private readonly events: WatchEvent[] = [];
  private wake?: () => void;
  private ended = false;
  private error?: Error;

  private constructor(private readonly req: http.ClientRequest) {}

  /** open starts a watch on path and resolves once the server answered 200. */
  static open(path: string): Promise<WatchStream> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, agent: false });
      const w = new WatchStream(req);
      req.on('error', (err) => w.finish(err));
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => reject(new Error(`watch ${path} answered ${res.statusCode}: ${body}`)));
          return;
        }
        open.push(w);
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) w.push(JSON.parse(line) as WatchEvent);
          }
        });
        res.on('end', () => w.finish());
        res.on('error', (err) => w.finish(err));
        resolve(w);
      });
    });
  }

  private push(ev: WatchEvent): void {
    this.events.push(ev);
    this.wake?.();
  }

  private finish(err?: Error): void {
    this.ended = true;
    this.error ??= err;
    this.wake?.();
  }

  /** next resolves to the next event, failing when the deadline passes or the watch closes. */
  async next(deadline: number): Promise<WatchEvent> {
    for (;;) {
      const ev = this.events.shift();
      if (ev) return ev;
      if (this.ended) throw new Error(`watch closed unexpectedly${this.error ? `: ${this.error.message}` : ''}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a watch event');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** stop closes the stream. */
  stop(): void {
    this.req.destroy();
  }
}

// matches is upstream's waitForEvent test: the type, and the object when one is given.
function matches(ev: WatchEvent, type: string, object?: unknown): boolean {
  return ev.type === type && (object === undefined || isDeepStrictEqual(ev.object, object));
}

/** expectEvent consumes events until one of type (equal to object, when given) arrives. */
async function expectEvent(w: WatchStream, type: string, object?: unknown): Promise<WatchEvent> {
  const deadline = Date.now() + EVENT_DEADLINE_MS;
  for (;;) {
    let ev: WatchEvent;
    try {
      ev = await w.next(deadline);
    } catch (err) {
      throw new Error(`expected a ${type} event${object ? ` for ${JSON.stringify(object)}` : ''}: ${(err as Error).message}`);
    }
    if (matches(ev, type, object)) return ev;
  }
}

/**
 * expectNoEvent consumes events up to a BOOKMARK at or past revision and fails if one of type
 * (equal to object, when given) came before it.
 */
async function expectNoEvent(w: WatchStream, type: string, object: unknown, revision: number): Promise<void> {
  const deadline = Date.now() + EVENT_DEADLINE_MS;
  for (;;) {
    const ev = await w.next(deadline);
    if (matches(ev, type, object)) throw new Error(`unexpected watch notification: ${JSON.stringify(ev)}`);
    if (ev.type === 'BOOKMARK' && Number(ev.object.metadata?.resourceVersion) >= revision) return;
  }
}

let nsCount = 0;
/** createNamespace makes a fresh namespace per test, as the e2e framework does. */
async function createNamespace(base: string): Promise<string> {
  const name = `${base}-${++nsCount}`;
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
  return name;
}

function cmPath(ns: string, name = ''): string {
  return `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
}

/** watchConfigMaps opens a configmap watch selecting `watch-this-configmap in (values)`. */
function watchConfigMaps(ns: string, resourceVersion: string, ...values: string[]): Promise<WatchStream> {
  const q = new URLSearchParams({ watch: 'true', allowWatchBookmarks: 'true', labelSelector: `${LABEL_KEY} in (${values.join(',')})` });
  if (resourceVersion) q.set('resourceVersion', resourceVersion);
  return WatchStream.open(`${cmPath(ns)}?${q}`);
}

async function createConfigMap(ns: string, name: string, labelValue: string): Promise<WatchEvent['object']> {
  const res = await t.api.post(cmPath(ns)).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { [LABEL_KEY]: labelValue } } });
  expect(res.status).toBe(201);
  return res.body;
}

/** updateConfigMap reads, mutates and writes back with the read resourceVersion, retrying on conflict. */
async function updateConfigMap(ns: string, name: string, mutate: (cm: Record<string, any>) => void): Promise<WatchEvent['object']> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const cm = (await t.api.get(cmPath(ns, name)).expect(200)).body;
    mutate(cm);
    const res = await t.api.put(cmPath(ns, name)).send(cm);
    if (res.status === 409) continue;
    expect(res.status).toBe(200);
    return res.body;
  }
  throw new Error(`could not update configmap ${name}`);
}

function setData(key: string, value: string) {
  return (cm: Record<string, any>) => {
    cm.data = { ...(cm.data ?? {}), [key]: value };
  };
}

async function deleteConfigMap(ns: string, name: string): Promise<void> {
  await t.api.delete(cmPath(ns, name)).expect(200);
}

/** currentRevision is the resourceVersion a list reports: the newest revision of the store. */
async function currentRevision(ns: string): Promise<number> {
  return Number((await t.api.get(cmPath(ns)).expect(200)).body.metadata.resourceVersion);
}

it('[sig-api-machinery] Watchers should observe add, update, and delete watch notifications on configmaps [Conformance]', async () => {
  const ns = await createNamespace('watch');
  const A = 'multiple-watchers-A';
  const B = 'multiple-watchers-B';
  const watchA = await watchConfigMaps(ns, '', A);
  const watchB = await watchConfigMaps(ns, '', B);
  const watchAB = await watchConfigMaps(ns, '', A, B);

  // creating a configmap with label A: A and AB see it, B does not
  let cmA = await createConfigMap(ns, 'e2e-watch-test-configmap-a', A);
  await expectEvent(watchA, 'ADDED', cmA);
  await expectEvent(watchAB, 'ADDED', cmA);
  await expectNoEvent(watchB, 'ADDED', cmA, Number(cmA.metadata!.resourceVersion));

  // modifying configmap A twice
  for (const value of ['1', '2']) {
    cmA = await updateConfigMap(ns, 'e2e-watch-test-configmap-a', setData('mutation', value));
    await expectEvent(watchA, 'MODIFIED', cmA);
    await expectEvent(watchAB, 'MODIFIED', cmA);
    await expectNoEvent(watchB, 'MODIFIED', cmA, Number(cmA.metadata!.resourceVersion));
  }

  // deleting configmap A
  await deleteConfigMap(ns, 'e2e-watch-test-configmap-a');
  await expectEvent(watchA, 'DELETED');
  await expectEvent(watchAB, 'DELETED');
  await expectNoEvent(watchB, 'DELETED', undefined, await currentRevision(ns));

  // creating a configmap with label B: B and AB see it, A does not
  const cmB = await createConfigMap(ns, 'e2e-watch-test-configmap-b', B);
  await expectEvent(watchB, 'ADDED', cmB);
  await expectEvent(watchAB, 'ADDED', cmB);
  await expectNoEvent(watchA, 'ADDED', cmB, Number(cmB.metadata!.resourceVersion));

  // deleting configmap B
  await deleteConfigMap(ns, 'e2e-watch-test-configmap-b');
  await expectEvent(watchB, 'DELETED');
  await expectEvent(watchAB, 'DELETED');
  await expectNoEvent(watchA, 'DELETED', undefined, await currentRevision(ns));
  for (const w of [watchA, watchB, watchAB]) w.stop();
});

it('[sig-api-machinery] Watchers should be able to start watching from a specific resource version [Conformance]', async () => {
  const ns = await createNamespace('watch');
  const label = 'from-resource-version';
  const name = 'e2e-watch-test-resource-version';
  await createConfigMap(ns, name, label);
  const firstUpdate = await updateConfigMap(ns, name, setData('mutation', '1'));
  const secondUpdate = await updateConfigMap(ns, name, setData('mutation', '2'));
  await deleteConfigMap(ns, name);

  // a watch from the resourceVersion of the first update sees only what came after it
  const w = await watchConfigMaps(ns, firstUpdate.metadata!.resourceVersion!, label);
  const first = await expectEvent(w, 'MODIFIED');
  expect(first.object).toEqual(secondUpdate);
  await expectEvent(w, 'DELETED');
  w.stop();
});

it('[sig-api-machinery] Watchers should be able to restart watching from the last resource version observed by the previous watch [Conformance]', async () => {
  const ns = await createNamespace('watch');
  const label = 'watch-closed-and-restarted';
  const name = 'e2e-watch-test-watch-closed';
  const broken = await watchConfigMaps(ns, '', label);
  const created = await createConfigMap(ns, name, label);
  await updateConfigMap(ns, name, setData('mutation', '1'));

  // closing the watch once it received two notifications
  await expectEvent(broken, 'ADDED', created);
  const lastEvent = await expectEvent(broken, 'MODIFIED');
  broken.stop();

  // modifying the configmap a second time, while the watch is closed
  const secondUpdate = await updateConfigMap(ns, name, setData('mutation', '2'));

  // a new watch from the last resourceVersion the first one observed
  const restarted = await watchConfigMaps(ns, lastEvent.object.metadata!.resourceVersion!, label);
  await deleteConfigMap(ns, name);
  await expectEvent(restarted, 'MODIFIED', secondUpdate);
  await expectEvent(restarted, 'DELETED');
  restarted.stop();
});

it('[sig-api-machinery] Watchers should observe an object deletion if it stops meeting the requirements of the selector [Conformance]', async () => {
  const ns = await createNamespace('watch');
  const label = 'label-changed-and-restored';
  const name = 'e2e-watch-test-label-changed';
  const w = await watchConfigMaps(ns, '', label);
  const created = await createConfigMap(ns, name, label);
  const firstUpdate = await updateConfigMap(ns, name, setData('mutation', '1'));
  await updateConfigMap(ns, name, (cm) => (cm.metadata.labels[LABEL_KEY] = 'wrong-value'));

  // the label change shows as a delete to this watch
  await expectEvent(w, 'ADDED', created);
  await expectEvent(w, 'MODIFIED', firstUpdate);
  await expectEvent(w, 'DELETED');

  // while the label is wrong, changes go unseen
  const secondUpdate = await updateConfigMap(ns, name, setData('mutation', '2'));
  await expectNoEvent(w, 'MODIFIED', secondUpdate, Number(secondUpdate.metadata!.resourceVersion));

  // restoring the label shows as an add
  const restored = await updateConfigMap(ns, name, (cm) => (cm.metadata.labels[LABEL_KEY] = label));
  const thirdUpdate = await updateConfigMap(ns, name, setData('mutation', '3'));
  await deleteConfigMap(ns, name);
  await expectEvent(w, 'ADDED', restored);
  await expectEvent(w, 'MODIFIED', thirdUpdate);
  await expectEvent(w, 'DELETED');
  w.stop();
});

it('[sig-api-machinery] Watchers should receive events on concurrent watches in same order [Conformance]', async () => {
  const ns = await createNamespace('watch');
  const iterations = 50;
  let resourceVersion = (await t.api.get(cmPath(ns)).expect(200)).body.metadata.resourceVersion as string;

  // a background producer of creates, no-op updates and deletes, as upstream's produceConfigMapEvents
  let stop = false;
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 48271) % 2147483647), seed % n);
  const producer = (async () => {
    const existing: number[] = [];
    let i = 0;
    while (!stop) {
      let op = rand(3);
      if (existing.length === 0) op = 0;
      if (op === 0) {
        await t.api.post(cmPath(ns)).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` } }).expect(201);
        existing.push(i++);
      } else if (op === 1) {
        const name = `cm-${existing[rand(existing.length)]}`;
        await t.api.put(cmPath(ns, name)).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }).expect(200);
      } else {
        const idx = rand(existing.length);
        await deleteConfigMap(ns, `cm-${existing[idx]}`);
        existing.splice(idx, 1);
      }
      // upstream's producer ticks every 5ms; the pace keeps the watchers close behind it
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  const next = async (w: WatchStream) => {
    const deadline = Date.now() + EVENT_DEADLINE_MS;
    for (;;) {
      const ev = await w.next(deadline);
      if (ev.type === 'BOOKMARK') continue;
      expect(ev.object).toMatchObject({ kind: 'ConfigMap' });
      return ev.object.metadata!.resourceVersion!;
    }
  };
  const watches: WatchStream[] = [];
  try {
    for (let i = 0; i < iterations; i++) {
      watches.push(await WatchStream.open(`${cmPath(ns)}?watch=true&resourceVersion=${resourceVersion}`));
      resourceVersion = await next(watches[0]);
      for (const w of watches.slice(1)) expect(await next(w)).toBe(resourceVersion);
    }
  } finally {
    stop = true;
    for (const w of watches) w.stop();
    await producer;
  }
});
