/**
 * Conformance mirrors for the network rows that need the endpoints controllers (see
 * ../shared/CONFORMANCE.md): the EndpointSlice and EndpointSliceMirroring tests of kube's
 * test/e2e/network/endpointslice.go and endpointslicemirroring.go, and the endpoint checks of
 * service.go's "should serve a basic endpoint from pods" and "should serve multiport endpoints
 * from pods" (validateEndpointsPortsOrFail: which pods, on which ports, as pods come and go;
 * the traffic half needs a network and is not run). Pods run through a FakeKubelet.
 */
import { PODS, type Client } from '../../controllers/runtime/client';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeKubelet } from '../helpers/fake-kubelet';

let t: TestServer;
let client: Client;
beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client.withFieldManager('e2e-test');
});
afterAll(() => t.close());

const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });

type Obj = Record<string, any>;

async function slicesOf(ns: string, service: string): Promise<Obj[]> {
  return (await t.api.get(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`).query({ labelSelector: `kubernetes.io/service-name=${service}` }).expect(200)).body.items;
}

describe('[sig-network] EndpointSlice', () => {
  it('[sig-network] EndpointSlice should create and delete Endpoints and EndpointSlices for a Service with a selector specified [Conformance]', async () => {
    const ns = await newNamespace('endpointslice');
    const svc = (
      await t.api
        .post(`/api/v1/namespaces/${ns}/services`)
        .send({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'example-empty-selector' },
          spec: { selector: { 'does-not-match-anything': 'endpoints-and-endpoint-slices-should-still-be-created' }, ports: [{ name: 'example', port: 80, protocol: 'TCP' }] },
        })
        .expect(201)
    ).body;
    await waitFor(async () => (await t.api.get(`/api/v1/namespaces/${ns}/endpoints/${svc.metadata.name}`)).status === 200, 'the Endpoints', 30000);
    const [slice] = await waitFor(async () => {
      const s = await slicesOf(ns, svc.metadata.name);
      return s.length > 0 && s;
    }, 'an EndpointSlice', 30000);
    expect(slice.metadata.labels['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io');
    expect(slice.endpoints ?? []).toHaveLength(0);

    await t.api.delete(`/api/v1/namespaces/${ns}/services/${svc.metadata.name}`).expect(200);
    await waitFor(async () => (await t.api.get(`/api/v1/namespaces/${ns}/endpoints/${svc.metadata.name}`)).status === 404, 'the Endpoints deleted', 30000);
    await waitFor(async () => (await slicesOf(ns, svc.metadata.name)).length === 0, 'the EndpointSlices deleted', 90000);
  });

  it('[sig-network] EndpointSlice should have Endpoints and EndpointSlices pointing to API Server [Conformance]', async () => {
    await t.api.get('/api/v1/namespaces/default/services/kubernetes').expect(200);
    const endpoints = (await t.api.get('/api/v1/namespaces/default/endpoints/kubernetes').expect(200)).body;
    expect(endpoints.subsets.length).toBeGreaterThan(0);
    const slices = await slicesOf('default', 'kubernetes');
    expect(slices.length).toBeGreaterThan(0);
    // endpointSlicesEqual: the same addresses and ports on both sides.
    const epAddresses = new Set<string>();
    const epPorts = new Set<number>();
    for (const s of endpoints.subsets as Obj[]) {
      for (const a of s.addresses ?? []) epAddresses.add(a.ip);
      for (const p of s.ports ?? []) epPorts.add(p.port);
    }
    const sliceAddresses = new Set<string>();
    const slicePorts = new Set<number>();
    for (const s of slices) {
      for (const e of s.endpoints ?? []) for (const a of e.addresses) sliceAddresses.add(a);
      for (const p of s.ports ?? []) slicePorts.add(p.port);
    }
    expect([...sliceAddresses].sort()).toEqual([...epAddresses].sort());
    expect([...slicePorts].sort()).toEqual([...epPorts].sort());
    // Nothing mirrored the API server's own Endpoints a second time.
    expect(slices.map((s) => s.metadata.labels['endpointslice.kubernetes.io/managed-by'])).not.toContain('endpointslicemirroring-controller.k8s.io');
  });
});

describe('[sig-network] EndpointSliceMirroring', () => {
  it('[sig-network] EndpointSliceMirroring should mirror a custom Endpoints resource through create update and delete [Conformance]', async () => {
    const ns = await newNamespace('endpointslicemirroring');
    const name = 'example-custom-endpoints';
    await t.api
      .post(`/api/v1/namespaces/${ns}/services`)
      .send({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'example', port: 80, protocol: 'TCP' }] } })
      .expect(201);
    const endpoints: Obj = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name }, subsets: [{ ports: [{ port: 80 }], addresses: [{ ip: '10.1.2.3' }] }] };

    // mirroring a new custom Endpoint
    await t.api.post(`/api/v1/namespaces/${ns}/endpoints`).send(endpoints).expect(201);
    const mirroredWith = (ip: string) =>
      waitFor(async () => {
        const items = await slicesOf(ns, name);
        const s = items[0];
        return items.length === 1 && s.endpoints?.length === 1 && s.endpoints[0].addresses[0] === ip && s.ports?.length === 1 && s.ports[0].port === 80 && s;
      }, `a mirrored slice of ${ip}`, 30000);
    const first = await mirroredWith('10.1.2.3');
    expect(first.metadata.labels['endpointslice.kubernetes.io/managed-by']).toBe('endpointslicemirroring-controller.k8s.io');

    // mirroring an update to a custom Endpoint: upstream updates its own copy, without a resourceVersion
    endpoints.subsets[0].addresses = [{ ip: '10.2.3.4' }];
    await t.api.put(`/api/v1/namespaces/${ns}/endpoints/${name}`).send(endpoints).expect(200);
    await mirroredWith('10.2.3.4');

    // mirroring deletion of a custom Endpoint
    await t.api.delete(`/api/v1/namespaces/${ns}/endpoints/${name}`).expect(200);
    await waitFor(async () => (await slicesOf(ns, name)).length === 0, 'the mirrored slice deleted', 30000);
  });
});

describe('[sig-network] Services', () => {
  let kubelet: FakeKubelet;
  beforeAll(async () => {
    kubelet = await new FakeKubelet(t.nodeless.client.withFieldManager('kubelet')).start();
  });
  afterAll(() => kubelet.stop());

  // portsByPod is validateEndpointsPortsOrFail's view: pod name -> the ports its endpoints list, from the EndpointSlices.
  async function portsByPod(ns: string, service: string): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const s of await slicesOf(ns, service)) {
      for (const e of s.endpoints ?? []) {
        if (!e.conditions?.ready) continue;
        const name = e.targetRef?.name as string;
        out[name] = [...(out[name] ?? []), ...(s.ports ?? []).map((p: Obj) => p.port)].sort((a, b) => a - b);
      }
    }
    return out;
  }
  // The Endpoints object must agree: each pod's IP under addresses on those ports.
  async function endpointsPortsByPod(ns: string, service: string): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    const ep = (await t.api.get(`/api/v1/namespaces/${ns}/endpoints/${service}`).expect(200)).body;
    for (const s of ep.subsets ?? []) {
      for (const a of s.addresses ?? []) out[a.targetRef.name] = [...(out[a.targetRef.name] ?? []), ...(s.ports ?? []).map((p: Obj) => p.port)].sort((x, y) => x - y);
    }
    return out;
  }
  async function validateEndpointsPorts(ns: string, service: string, expected: Record<string, number[]>): Promise<void> {
    await waitFor(async () => {
      // Pods in name order: slices list endpoints in no particular order.
      const sorted = (m: Record<string, number[]>) => JSON.stringify(Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b))));
      const slices = sorted(await portsByPod(ns, service));
      const endpoints = sorted(await endpointsPortsByPod(ns, service));
      // Thrown, the last state seen is in the timeout's message.
      if (slices !== sorted(expected) || endpoints !== sorted(expected)) throw new Error(`slices ${slices}, endpoints ${endpoints}`);
      return true;
    }, `endpoints ${JSON.stringify(expected)}`, 30000);
  }
  function pausePod(name: string, labels: Record<string, string>, ports: Obj[]): KubeObject {
    return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', ports }] } };
  }

  it('[sig-network] Services should serve a basic endpoint from pods [Conformance] (endpoint validation)', async () => {
    const ns = await newNamespace('services');
    const labels = { 'foo-basic': 'bar' };
    await t.api.post(`/api/v1/namespaces/${ns}/services`).send({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'endpoint-test2' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 80 }] } }).expect(201);
    await validateEndpointsPorts(ns, 'endpoint-test2', {});
    await client.create(PODS, ns, pausePod('pod1', labels, [{ containerPort: 80 }]));
    await validateEndpointsPorts(ns, 'endpoint-test2', { pod1: [80] });
    await client.create(PODS, ns, pausePod('pod2', labels, [{ containerPort: 80 }]));
    await validateEndpointsPorts(ns, 'endpoint-test2', { pod1: [80], pod2: [80] });
    await client.delete(PODS, ns, 'pod1', { gracePeriodSeconds: 0 });
    await validateEndpointsPorts(ns, 'endpoint-test2', { pod2: [80] });
    await client.delete(PODS, ns, 'pod2', { gracePeriodSeconds: 0 });
    await validateEndpointsPorts(ns, 'endpoint-test2', {});
  });

  it('[sig-network] Services should serve multiport endpoints from pods [Conformance] (endpoint validation)', async () => {
    const ns = await newNamespace('services');
    const labels = { 'foo-multi': 'bar' };
    await t.api
      .post(`/api/v1/namespaces/${ns}/services`)
      .send({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'multi-endpoint-test' },
        spec: { selector: labels, ports: [{ name: 'portname1', port: 80, targetPort: 'svc1' }, { name: 'portname2', port: 81, targetPort: 'svc2' }] },
      })
      .expect(201);
    await validateEndpointsPorts(ns, 'multi-endpoint-test', {});
    await client.create(PODS, ns, pausePod('pod1', labels, [{ name: 'svc1', containerPort: 100 }]));
    await validateEndpointsPorts(ns, 'multi-endpoint-test', { pod1: [100] });
    await client.create(PODS, ns, pausePod('pod2', labels, [{ name: 'svc2', containerPort: 101 }]));
    await validateEndpointsPorts(ns, 'multi-endpoint-test', { pod1: [100], pod2: [101] });
    await client.delete(PODS, ns, 'pod1', { gracePeriodSeconds: 0 });
    await validateEndpointsPorts(ns, 'multi-endpoint-test', { pod2: [101] });
    await client.delete(PODS, ns, 'pod2', { gracePeriodSeconds: 0 });
    await validateEndpointsPorts(ns, 'multi-endpoint-test', {});
  });
});
