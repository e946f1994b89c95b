/**
 * The Endpoints controller on the in-process server: selector Services get an Endpoints object
 * of ready and not-ready pod addresses with resolved ports, targetRefs and hostnames, the
 * Service's labels and the trigger-time annotation; it follows pods as they become ready,
 * terminate and go, is deleted with the Service, and leaves selector-less Services alone.
 * Pods run through a FakeKubelet, which gives each running pod an IP.
 */
import { ENDPOINTS, PODS, SERVICES, type Client } from '../../controllers/runtime/client';
import { MAX_ENDPOINTS_CAPACITY, repackSubsets, truncateSubsets, type EndpointSubset } from '../../controllers/networking/endpoints';
import { TriggerTimeTracker, formatTriggerTime } from '../../controllers/networking/service-pods';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeKubelet, setPodStatus, type PodOutcome } from '../helpers/fake-kubelet';

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t);

beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client.withFieldManager('endpoints-test');
});
afterAll(() => t.close());

type Obj = Record<string, any>;

function pod(name: string, labels: Record<string, string>, extra: Obj = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'web', containerPort: 8080 }] }], ...extra },
  };
}

function service(name: string, spec: Obj, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, labels }, spec };
}

async function kubelet(ns: string, decide: (p: Readonly<KubeObject>) => PodOutcome, finishDeletions = true): Promise<FakeKubelet> {
  return new FakeKubelet(client, { namespace: ns, decide, finishDeletions }).start();
}

async function endpointsOf(ns: string, name: string): Promise<Obj | undefined> {
  try {
    return (await client.get(ENDPOINTS, ns, name)) as Obj;
  } catch {
    return undefined;
  }
}

const ips = (list: Array<{ ip: string }> | undefined) => (list ?? []).map((a) => a.ip);

async function podIP(ns: string, name: string): Promise<string> {
  return waitFor(async () => ((await client.get(PODS, ns, name)).status as Obj | undefined)?.podIP as string | undefined, `${name}'s IP`, 20000);
}

describe('Endpoints controller', () => {
  it('lists ready and not-ready pods with resolved named ports, targetRefs, the Service labels and the trigger time', async () => {
    const ns = await newNamespace('ep');
    const k = await kubelet(ns, (p) => (p.metadata?.name === 'slow' ? { phase: 'Running', ready: false } : p.metadata?.name === 'pending' ? { phase: 'Pending' } : { phase: 'Running' }));
    try {
      for (const n of ['a', 'b', 'slow', 'pending']) await client.create(PODS, ns, pod(n, { app: 'web' }));
      // A pod without the named port is left out of that port, as kube's FindPort fails for it.
      await client.create(PODS, ns, { ...pod('noport', { app: 'web' }), spec: { containers: [{ name: 'c', image: 'nginx' }] } });
      await client.create(PODS, ns, pod('other', { app: 'other' }));
      const svc = await client.create(SERVICES, ns, service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] }, { team: 'blue' }));
      const [a, b, slow] = [await podIP(ns, 'a'), await podIP(ns, 'b'), await podIP(ns, 'slow')];
      const ep = await waitFor(async () => {
        const e = await endpointsOf(ns, 'web');
        return e?.subsets?.[0]?.addresses?.length === 2 && e.subsets[0].notReadyAddresses?.length === 1 && e;
      }, 'two ready and one not-ready address', 20000);
      expect(ep.subsets).toHaveLength(1);
      expect(ips(ep.subsets[0].addresses).sort()).toEqual([a, b].sort());
      expect(ips(ep.subsets[0].notReadyAddresses)).toEqual([slow]);
      expect(ep.subsets[0].ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
      const addrA = ep.subsets[0].addresses.find((x: Obj) => x.ip === a);
      const podA = await client.get(PODS, ns, 'a');
      expect(addrA).toEqual({ ip: a, targetRef: { kind: 'Pod', namespace: ns, name: 'a', uid: podA.metadata!.uid } });
      // The Service has a cluster IP, so it is not labelled headless (the headless case is below).
      expect(ep.metadata.labels).toEqual({ team: 'blue' });
      expect(ep.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(Date.parse(ep.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time'])).toBeGreaterThanOrEqual(Date.parse(svc.metadata!.creationTimestamp!));
      expect(ep.metadata.managedFields?.[0]?.manager).toBe('endpoint-controller');

      // The slow pod becoming ready moves it to addresses.
      await setPodStatus(client, await client.get(PODS, ns, 'slow'), { phase: 'Running', ready: true });
      const after = await waitFor(async () => {
        const e = await endpointsOf(ns, 'web');
        return e?.subsets?.[0]?.addresses?.length === 3 && e;
      }, 'three ready addresses', 20000);
      expect(after.subsets[0].notReadyAddresses).toBeUndefined();
      // Ready transitions are stamped to the second, as kube's are: a pod that turned Ready within
      // the second of its last transition shows no newer change, and the sync carries no trigger
      // time (kube's tracker omits the annotation then too). When there is one, it is not older.
      const later = after.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'];
      if (later !== undefined) expect(Date.parse(later)).toBeGreaterThanOrEqual(Date.parse(ep.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time']));

      // A Service label change is copied.
      await client.patch(SERVICES, ns, 'web', 'merge', { metadata: { labels: { team: 'green' } } });
      await waitFor(async () => (await endpointsOf(ns, 'web'))?.metadata.labels.team === 'green', 'the new label', 20000);

      // A deleted pod leaves; the Service going takes the Endpoints with it.
      await client.delete(PODS, ns, 'a', { gracePeriodSeconds: 0 });
      await waitFor(async () => (await endpointsOf(ns, 'web'))?.subsets?.[0]?.addresses?.length === 2, 'a removed', 20000);
      await client.delete(SERVICES, ns, 'web');
      await waitFor(async () => !(await endpointsOf(ns, 'web')), 'the Endpoints deleted', 20000);
    } finally {
      k.stop();
    }
  });

  it('drops terminating pods unless publishNotReadyAddresses, which also publishes not-ready pods as addresses', async () => {
    const ns = await newNamespace('ep');
    const k = await kubelet(ns, (p) => (p.metadata?.name?.startsWith('unready') ? { phase: 'Running', ready: false } : { phase: 'Running' }), false);
    try {
      for (const n of ['ready-1', 'ready-2', 'unready-1']) await client.create(PODS, ns, pod(n, { app: 'db' }));
      // A finalizer holds the deleted pod in Terminating (a pod on no node would otherwise go at once).
      await client.patch(PODS, ns, 'ready-1', 'merge', { metadata: { finalizers: ['example.com/hold'] } });
      await client.create(SERVICES, ns, service('strict', { selector: { app: 'db' }, ports: [{ port: 5432, targetPort: 5432 }] }));
      await client.create(SERVICES, ns, service('tolerant', { selector: { app: 'db' }, ports: [{ port: 5432 }], publishNotReadyAddresses: true }));
      await waitFor(async () => (await endpointsOf(ns, 'strict'))?.subsets?.[0]?.addresses?.length === 2, 'strict endpoints', 20000);
      const tolerant = await waitFor(async () => {
        const e = await endpointsOf(ns, 'tolerant');
        return e?.subsets?.[0]?.addresses?.length === 3 && e;
      }, 'tolerant endpoints', 20000);
      expect(tolerant.subsets[0].notReadyAddresses).toBeUndefined();
      expect(tolerant.subsets[0].ports).toEqual([{ port: 5432, protocol: 'TCP' }]);

      // Graceful deletion: the pod terminates but stays (the kubelet does not finish it).
      const victim = await podIP(ns, 'ready-1');
      await client.delete(PODS, ns, 'ready-1');
      await waitFor(async () => {
        const e = await endpointsOf(ns, 'strict');
        return !ips(e?.subsets?.[0]?.addresses).includes(victim) && !ips(e?.subsets?.[0]?.notReadyAddresses).includes(victim);
      }, 'the terminating pod gone from strict', 20000);
      expect(ips((await endpointsOf(ns, 'tolerant'))?.subsets?.[0]?.addresses)).toContain(victim);
      await client.patch(PODS, ns, 'ready-1', 'merge', { metadata: { finalizers: null } });
      await waitFor(async () => !ips((await endpointsOf(ns, 'tolerant'))?.subsets?.[0]?.addresses).includes(victim), 'the pod gone from tolerant', 20000);
    } finally {
      k.stop();
    }
  });

  it('gives pods whose hostname and subdomain name a headless Service their hostname', async () => {
    const ns = await newNamespace('ep');
    const k = await kubelet(ns, () => ({ phase: 'Running' }));
    try {
      await client.create(SERVICES, ns, service('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] }));
      await client.create(PODS, ns, pod('db-0', { app: 'db' }, { hostname: 'db-0', subdomain: 'db' }));
      await client.create(PODS, ns, pod('loose', { app: 'db' }, { hostname: 'loose', subdomain: 'elsewhere' }));
      const ep = await waitFor(async () => {
        const e = await endpointsOf(ns, 'db');
        return e?.subsets?.[0]?.addresses?.length === 2 && e;
      }, 'two addresses', 20000);
      const byName = Object.fromEntries(ep.subsets[0].addresses.map((a: Obj) => [a.targetRef.name, a]));
      expect(byName['db-0'].hostname).toBe('db-0');
      expect(byName.loose.hostname).toBeUndefined();
      expect(ep.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
    } finally {
      k.stop();
    }
  });

  it('leaves selector-less and ExternalName Services alone and recreates an Endpoints someone deleted', async () => {
    const ns = await newNamespace('ep');
    await client.create(SERVICES, ns, service('manual', { ports: [{ port: 80 }] }));
    await client.create(ENDPOINTS, ns, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'manual' }, subsets: [{ addresses: [{ ip: '10.1.2.3' }], ports: [{ port: 80 }] }] });
    await client.create(SERVICES, ns, service('ext', { type: 'ExternalName', externalName: 'example.com', selector: { app: 'x' } }));
    await client.create(SERVICES, ns, service('sel', { selector: { app: 'none' }, ports: [{ port: 80 }] }));
    const first = await waitFor(() => endpointsOf(ns, 'sel'), 'the Endpoints of sel', 20000);
    expect(first.subsets).toBeUndefined();
    await client.delete(ENDPOINTS, ns, 'sel');
    await waitFor(async () => {
      const e = await endpointsOf(ns, 'sel');
      return e && e.metadata.uid !== first.metadata.uid;
    }, 'sel recreated', 20000);
    expect(await endpointsOf(ns, 'ext')).toBeUndefined();
    const manual = await endpointsOf(ns, 'manual');
    expect(manual?.subsets).toEqual([{ addresses: [{ ip: '10.1.2.3' }], ports: [{ port: 80, protocol: 'TCP' }] }]);
    expect(manual?.metadata.managedFields.map((m: Obj) => m.manager)).toEqual(['endpoints-test']);
  });
});

describe('Endpoints packing', () => {
  const addr = (ip: string) => ({ ip, targetRef: { kind: 'Pod', namespace: 'ns', name: ip, uid: ip } });
  it('repacks one subset per pod and port into subsets of addresses sharing their ports, sorted', () => {
    const http = { name: 'http', port: 8080, protocol: 'TCP' };
    const admin = { name: 'admin', port: 9090, protocol: 'TCP' };
    const subsets: EndpointSubset[] = [
      { addresses: [addr('10.0.0.9')], ports: [http] },
      { addresses: [addr('10.0.0.9')], ports: [admin] },
      { addresses: [addr('10.0.0.10')], ports: [http] },
      { addresses: [addr('10.0.0.10')], ports: [admin] },
      { notReadyAddresses: [addr('10.0.0.2')], ports: [http] },
      { addresses: [addr('10.0.0.3')], ports: [http] },
    ];
    expect(repackSubsets(subsets)).toEqual([
      { addresses: [addr('10.0.0.9'), addr('10.0.0.10')], ports: [admin, http] },
      { addresses: [addr('10.0.0.3')], notReadyAddresses: [addr('10.0.0.2')], ports: [http] },
    ]);
  });

  it('truncates to 1,000 addresses keeping ready ones first, in proportion to each subset', () => {
    const many = (n: number, base: number) => Array.from({ length: n }, (_, i) => addr(`10.${base}.${i >> 8}.${i & 255}`));
    const subsets: EndpointSubset[] = [
      { addresses: many(600, 1), notReadyAddresses: many(100, 2), ports: [{ port: 80 }] },
      { addresses: many(300, 3), notReadyAddresses: many(100, 4), ports: [{ port: 81 }] },
    ];
    expect(truncateSubsets(subsets)).toBe(true);
    expect(subsets[0].addresses).toHaveLength(600);
    expect(subsets[1].addresses).toHaveLength(300);
    expect((subsets[0].notReadyAddresses?.length ?? 0) + (subsets[1].notReadyAddresses?.length ?? 0)).toBe(MAX_ENDPOINTS_CAPACITY - 900);
    const over: EndpointSubset[] = [{ addresses: many(1200, 5), notReadyAddresses: many(10, 6), ports: [{ port: 80 }] }];
    expect(truncateSubsets(over)).toBe(true);
    expect(over[0].addresses).toHaveLength(1000);
    expect(over[0].notReadyAddresses).toBeUndefined();
    expect(truncateSubsets([{ addresses: many(10, 7) }])).toBe(false);
  });
});

describe('last-change-trigger-time', () => {
  const svc: KubeObject = { metadata: { name: 's', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' } };
  const readyAt = (name: string, t: string): KubeObject => ({ metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] } });
  it('is the Service creation on the first sync, then the earliest pod transition newer than the last sync, else none', () => {
    const tracker = new TriggerTimeTracker();
    expect(tracker.compute(svc, [readyAt('a', '2026-01-01T00:00:05Z')])).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(tracker.compute(svc, [readyAt('a', '2026-01-01T00:00:05Z')])).toBeUndefined();
    const t = tracker.compute(svc, [readyAt('a', '2026-01-01T00:00:05Z'), readyAt('b', '2026-01-01T00:00:09Z'), readyAt('c', '2026-01-01T00:00:07Z')]);
    expect(formatTriggerTime(t!)).toBe('2026-01-01T00:00:07Z');
    expect(formatTriggerTime(Date.parse('2026-01-01T00:00:07.250Z'))).toBe('2026-01-01T00:00:07.25Z');
  });
});
