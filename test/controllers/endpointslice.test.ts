/**
 * The EndpointSlice controller on the in-process server: selector Services get
 * discovery.k8s.io/v1 slices of their pods (ready/serving/terminating conditions, resolved
 * ports, targetRef, hostname), labelled and owned as kube's, at most 100 endpoints a slice,
 * a placeholder slice while no pod matches, updated in place as pods change, and gone with the
 * Service. Pods run through a FakeKubelet, which gives each running pod an IP.
 */
import { ENDPOINT_SLICES, PODS, SERVICES, type Client } from '../../controllers/runtime/client';
import { EndpointSliceReconciler, type EndpointSlice } from '../../controllers/networking/endpointslice-reconciler';
import { EndpointSliceTracker } from '../../controllers/networking/endpointslice-tracker';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeKubelet, setPodStatus, type PodOutcome } from '../helpers/fake-kubelet';

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t);

beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client.withFieldManager('endpointslice-test');
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

async function kubelet(ns: string, decide: (p: Readonly<KubeObject>) => PodOutcome = () => ({ phase: 'Running' })): Promise<FakeKubelet> {
  return new FakeKubelet(client, { namespace: ns, decide }).start();
}

async function slicesOf(ns: string, svc: string): Promise<Obj[]> {
  return (await client.list(ENDPOINT_SLICES, ns, { labelSelector: `kubernetes.io/service-name=${svc}` })).items as Obj[];
}

const allEndpoints = (slices: Obj[]) => slices.flatMap((s) => s.endpoints ?? []);

describe('EndpointSlice controller', () => {
  it('writes a slice of the selected pods with conditions, ports, targetRefs, labels, owner and trigger time', async () => {
    const ns = await newNamespace('eps');
    const k = await kubelet(ns, (p) => (p.metadata?.name === 'slow' ? { phase: 'Running', ready: false } : { phase: 'Running' }));
    try {
      const svc = await client.create(SERVICES, ns, service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] }, { team: 'blue' }));
      for (const n of ['a', 'slow']) await client.create(PODS, ns, pod(n, { app: 'web' }));
      const [slice] = await waitFor(async () => {
        const s = await slicesOf(ns, 'web');
        return s.length === 1 && allEndpoints(s).length === 2 && s;
      }, 'one slice of two endpoints', 20000);
      expect(slice.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(slice.metadata.generateName).toBe('web-');
      expect(slice.metadata.labels).toEqual({
        team: 'blue',
        'kubernetes.io/service-name': 'web',
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      });
      expect(slice.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
      expect(slice.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time']).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(slice.metadata.generation).toBeGreaterThanOrEqual(1);
      expect(slice.addressType).toBe('IPv4');
      expect(slice.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8080 }]);
      const a = await client.get(PODS, ns, 'a');
      const byName = Object.fromEntries(slice.endpoints.map((e: Obj) => [e.targetRef.name, e]));
      expect(byName.a).toEqual({
        addresses: [(a.status as Obj).podIP],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: 'Pod', namespace: ns, name: 'a', uid: a.metadata!.uid },
      });
      expect(byName.slow.conditions).toEqual({ ready: false, serving: false, terminating: false });

      // Readiness changes update the endpoint in place, in the same slice.
      await setPodStatus(client, await client.get(PODS, ns, 'slow'), { phase: 'Running', ready: true });
      const [updated] = await waitFor(async () => {
        const s = await slicesOf(ns, 'web');
        return allEndpoints(s).every((e: Obj) => e.conditions.ready) && s;
      }, 'both ready', 20000);
      expect(updated.metadata.name).toBe(slice.metadata.name);

      // Deleting the Service garbage-collects its slices.
      await client.delete(SERVICES, ns, 'web');
      await waitFor(async () => (await slicesOf(ns, 'web')).length === 0, 'the slices collected', 30000);
    } finally {
      k.stop();
    }
  });

  it('keeps a placeholder slice while no pod matches and reuses it for the first endpoints', async () => {
    const ns = await newNamespace('eps');
    const k = await kubelet(ns);
    try {
      await client.create(SERVICES, ns, service('empty', { selector: { app: 'empty' }, ports: [{ port: 80 }] }));
      const [placeholder] = await waitFor(async () => {
        const s = await slicesOf(ns, 'empty');
        return s.length === 1 && s;
      }, 'the placeholder', 20000);
      expect(placeholder.endpoints ?? []).toEqual([]);
      expect(placeholder.ports ?? []).toEqual([]);
      expect(placeholder.metadata.labels['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io');
      await client.create(PODS, ns, pod('p', { app: 'empty' }));
      const [filled] = await waitFor(async () => {
        const s = await slicesOf(ns, 'empty');
        return s.length === 1 && allEndpoints(s).length === 1 && s;
      }, 'the endpoint', 20000);
      expect(filled.metadata.name).toBe(placeholder.metadata.name);
      expect(filled.ports).toEqual([{ name: '', protocol: 'TCP', port: 80 }]);
      await client.delete(PODS, ns, 'p', { gracePeriodSeconds: 0 });
      const [again] = await waitFor(async () => {
        const s = await slicesOf(ns, 'empty');
        return s.length === 1 && allEndpoints(s).length === 0 && s;
      }, 'the placeholder again', 20000);
      expect(again.metadata.name).toBe(placeholder.metadata.name);
    } finally {
      k.stop();
    }
  });

  it('caps slices at 100 endpoints, groups pods by resolved ports, and scales down with few writes', async () => {
    const ns = await newNamespace('eps');
    const k = await kubelet(ns);
    try {
      await client.create(SERVICES, ns, service('big', { selector: { app: 'big' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] }));
      for (let i = 0; i < 150; i += 25) await Promise.all(Array.from({ length: 25 }, (_, j) => client.create(PODS, ns, pod(`big-${i + j}`, { app: 'big' }))));
      // This pod has no port named web: it lands in a slice of its own, with no ports.
      await client.create(PODS, ns, { ...pod('portless', { app: 'big' }), spec: { containers: [{ name: 'c', image: 'nginx' }] } });
      const slices = await waitFor(async () => {
        const s = await slicesOf(ns, 'big');
        return allEndpoints(s).length === 151 && s;
      }, '151 endpoints', 60000);
      const withPorts = slices.filter((s) => s.ports?.length);
      // How the 150 spread depends on how the pods arrived; none holds more than 100.
      expect(withPorts.length).toBeGreaterThanOrEqual(2);
      expect(withPorts.reduce((n, s) => n + s.endpoints.length, 0)).toBe(150);
      const portless = slices.filter((s) => !s.ports?.length);
      expect(portless).toHaveLength(1);
      expect(portless[0].endpoints.map((e: Obj) => e.targetRef.name)).toEqual(['portless']);
      for (const s of slices) expect(s.endpoints.length).toBeLessThanOrEqual(100);

      // Removing 60 pods leaves the slices in place: no slice is replaced.
      const names = new Set(slices.map((s) => s.metadata.name));
      await Promise.all(Array.from({ length: 60 }, (_, i) => client.delete(PODS, ns, `big-${i}`, { gracePeriodSeconds: 0 })));
      const after = await waitFor(async () => {
        const s = await slicesOf(ns, 'big');
        return allEndpoints(s).length === 91 && s;
      }, '91 endpoints', 60000);
      for (const s of after) expect(names.has(s.metadata.name)).toBe(true);
    } finally {
      k.stop();
    }
  });

  it('marks terminating pods serving and terminating but not ready, and gives headless pods their hostname', async () => {
    const ns = await newNamespace('eps');
    const k = await kubelet(ns);
    try {
      await client.create(SERVICES, ns, service('db', { clusterIP: 'None', selector: { app: 'db' } }));
      await client.create(PODS, ns, pod('db-0', { app: 'db' }, { hostname: 'db-0', subdomain: 'db' }));
      await client.create(PODS, ns, pod('db-1', { app: 'db' }, { hostname: 'db-1', subdomain: 'db' }));
      const [slice] = await waitFor(async () => {
        const s = await slicesOf(ns, 'db');
        return allEndpoints(s).length === 2 && s;
      }, 'two endpoints', 20000);
      expect(slice.ports ?? []).toEqual([]);
      expect(slice.endpoints.map((e: Obj) => e.hostname).sort()).toEqual(['db-0', 'db-1']);
      await client.patch(PODS, ns, 'db-0', 'merge', { metadata: { finalizers: ['example.com/hold'] } });
      await client.delete(PODS, ns, 'db-0');
      const [after] = await waitFor(async () => {
        const s = await slicesOf(ns, 'db');
        return allEndpoints(s).some((e: Obj) => e.conditions.terminating) && s;
      }, 'a terminating endpoint', 20000);
      expect(after.endpoints.find((e: Obj) => e.targetRef.name === 'db-0').conditions).toEqual({ ready: false, serving: true, terminating: true });
      await client.patch(PODS, ns, 'db-0', 'merge', { metadata: { finalizers: null } });
      await waitFor(async () => allEndpoints(await slicesOf(ns, 'db')).length === 1, 'db-0 gone', 20000);
    } finally {
      k.stop();
    }
  });

  it('recreates a slice someone deleted and leaves slices managed by others alone', async () => {
    const ns = await newNamespace('eps');
    await client.create(SERVICES, ns, service('svc', { selector: { app: 'none' }, ports: [{ port: 80 }] }));
    const [first] = await waitFor(async () => {
      const s = await slicesOf(ns, 'svc');
      return s.length === 1 && s;
    }, 'the placeholder', 20000);
    const foreign = await client.create(ENDPOINT_SLICES, ns, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'svc-custom', labels: { 'kubernetes.io/service-name': 'svc', 'endpointslice.kubernetes.io/managed-by': 'someone-else' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.0.2.1'] }],
      ports: [{ port: 80 }],
    } as KubeObject);
    await client.delete(ENDPOINT_SLICES, ns, first.metadata.name);
    await waitFor(async () => (await slicesOf(ns, 'svc')).some((s) => s.metadata.labels['endpointslice.kubernetes.io/managed-by'] === 'endpointslice-controller.k8s.io' && s.metadata.uid !== first.metadata.uid), 'the slice recreated', 20000);
    const still = await client.get(ENDPOINT_SLICES, ns, 'svc-custom');
    expect(still.metadata?.resourceVersion).toBe(foreign.metadata?.resourceVersion);
  });
});

describe('EndpointSlice reconciler plan', () => {
  const svc: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'ns', uid: 'svc-uid', labels: { team: 'a' } },
    spec: { clusterIP: '10.96.0.10', selector: { app: 's' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
  const runningPod = (i: number, ready = true): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${i}`, namespace: 'ns', uid: `uid-${i}`, labels: { app: 's' } },
    spec: { containers: [{ name: 'c' }] },
    status: { phase: 'Running', podIP: `10.0.${i >> 8}.${i & 255}`, podIPs: [{ ip: `10.0.${i >> 8}.${i & 255}` }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const reconciler = new EndpointSliceReconciler({} as Client, new EndpointSliceTracker());
  // stored turns a planned slice into one as the API server would hold it.
  let seq = 0;
  const stored = (s: EndpointSlice): EndpointSlice => ({ ...structuredClone(s), metadata: { ...structuredClone(s.metadata), name: s.metadata!.name ?? `s-${++seq}`, resourceVersion: '1', generation: 1 } });
  const pods = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => runningPod(from + i));

  it('fills slices up to 100, then adds new endpoints to the unchanged slice they fit best, touching nothing else', () => {
    const first = reconciler.plan(svc, pods(0, 150), []);
    expect(first.toCreate.map((s) => s.endpoints!.length)).toEqual([100, 50]);
    expect(first.toCreate[0].metadata?.labels).toEqual({ team: 'a', 'kubernetes.io/service-name': 's', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    const existing = first.toCreate.map(stored);
    const next = reconciler.plan(svc, pods(0, 160), existing);
    expect(next.toCreate).toEqual([]);
    expect(next.toDelete).toEqual([]);
    expect(next.toUpdate.map((s) => [s.metadata!.name, s.endpoints!.length])).toEqual([[existing[1].metadata!.name, 60]]);
    expect(reconciler.plan(svc, pods(0, 150), existing)).toEqual({ toCreate: [], toUpdate: [], toDelete: [] });
  });

  it('updates a changed endpoint in place and turns an emptied slice into the home of new endpoints', () => {
    const existing = reconciler.plan(svc, pods(0, 3), []).toCreate.map(stored);
    const oneUnready = [runningPod(0, false), runningPod(1), runningPod(2)];
    const changed = reconciler.plan(svc, oneUnready, existing);
    expect(changed.toUpdate).toHaveLength(1);
    expect(changed.toUpdate[0].endpoints!.find((e) => e.targetRef?.name === 'p-0')!.conditions).toEqual({ ready: false, serving: false, terminating: false });
    // All old pods replaced by new ones: the slice is rewritten rather than deleted and recreated.
    const replaced = reconciler.plan(svc, pods(10, 12), existing);
    expect(replaced.toCreate).toEqual([]);
    expect(replaced.toDelete).toEqual([]);
    expect(replaced.toUpdate.map((s) => s.metadata!.name)).toEqual([existing[0].metadata!.name]);
    expect(replaced.toUpdate[0].endpoints!.map((e) => e.targetRef!.name)).toEqual(['p-10', 'p-11']);
  });

  it('keeps one placeholder, deletes slices of another Service uid, and relabels on a Service label change', () => {
    const placeholder = reconciler.plan(svc, [], []);
    expect(placeholder.toCreate).toHaveLength(1);
    expect(placeholder.toCreate[0]).toMatchObject({ addressType: 'IPv4', endpoints: [], ports: [] });
    const held = placeholder.toCreate.map(stored);
    expect(reconciler.plan(svc, [], held)).toEqual({ toCreate: [], toUpdate: [], toDelete: [] });
    const orphan = stored({ ...reconciler.plan(svc, pods(0, 1), []).toCreate[0], metadata: { ...reconciler.plan(svc, pods(0, 1), []).toCreate[0].metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 's', uid: 'old-uid' }] } });
    const fresh = reconciler.plan(svc, pods(0, 1), [orphan]);
    expect(fresh.toDelete.map((s) => s.metadata!.name)).toEqual([orphan.metadata!.name]);
    expect(fresh.toCreate).toHaveLength(1);
    const relabelled = reconciler.plan({ ...svc, metadata: { ...svc.metadata, labels: { team: 'b' } } }, pods(0, 3), reconciler.plan(svc, pods(0, 3), []).toCreate.map(stored));
    expect(relabelled.toUpdate).toHaveLength(1);
    expect(relabelled.toUpdate[0].metadata!.labels!.team).toBe('b');
  });

  it('tracks its own writes so a cache behind them is stale', () => {
    const tracker = new EndpointSliceTracker();
    const slice = { metadata: { name: 'x', namespace: 'ns', uid: 'u1', generation: 2, labels: { 'kubernetes.io/service-name': 's' } } } as KubeObject;
    tracker.update(slice);
    expect(tracker.stale(svc, [])).toBe(true);
    expect(tracker.stale(svc, [{ ...slice, metadata: { ...slice.metadata, generation: 1 } }])).toBe(true);
    expect(tracker.stale(svc, [slice])).toBe(false);
    expect(tracker.shouldSync(slice)).toBe(false);
    expect(tracker.shouldSync({ ...slice, metadata: { ...slice.metadata, generation: 3 } })).toBe(true);
    tracker.expectDeletion(slice);
    expect(tracker.stale(svc, [slice])).toBe(true);
    expect(tracker.handleDeletion(slice)).toBe(true);
    expect(tracker.stale(svc, [])).toBe(false);
  });
});
