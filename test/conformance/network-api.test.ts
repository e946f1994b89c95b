/**
 * Conformance mirrors for the network API objects: Services, Endpoints, EndpointSlices,
 * Ingresses and IngressClasses, including the default/kubernetes Service whose Endpoints and
 * EndpointSlice point at this API server. No endpoints or ingress controller takes part: every
 * Endpoints, EndpointSlice and Ingress status here is written by hand.
 */
import { listenURL, namespaceMaker, startTestServer, type TestServer } from '../helpers/api-server';
import { WatchStream } from '../helpers/watch-stream';

let t: TestServer;
let base: string;
let port: number;
beforeAll(async () => {
  t = await startTestServer();
  base = await listenURL(t);
  port = Number(new URL(base).port);
});
afterAll(() => t.close());

const newNamespace = namespaceMaker(() => t);

type Obj = {
  metadata: { name: string; namespace?: string; uid: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string; finalizers?: string[] };
} & Record<string, any>;
type WatchEvent = { type: string; object: Obj };


const STRATEGIC = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';

async function listItems(path: string, query: Record<string, string> = {}): Promise<Obj[]> {
  return (await t.api.get(path).query(query).expect(200)).body.items;
}

describe('[sig-network] Services', () => {
  it('[sig-network] Services should provide secure master service [Conformance]', async () => {
    const svc = (await t.api.get('/api/v1/namespaces/default/services/kubernetes').expect(200)).body;
    expect(svc.metadata.labels).toEqual({ component: 'apiserver', provider: 'kubernetes' });
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }] });
  });

  it('[sig-network] Services should find a service from listing all namespaces [Conformance]', async () => {
    const svcs = await listItems('/api/v1/services');
    expect(svcs.some((s) => s.metadata.name === 'kubernetes' && s.metadata.namespace === 'default')).toBe(true);
  });

  it('[sig-network] Services should complete a service status lifecycle [Conformance]', async () => {
    const ns = await newNamespace('services');
    const path = `/api/v1/namespaces/${ns}/services`;
    const name = 'test-service-abcde';
    const selector = { labelSelector: 'test-service-static=true' };
    const initial = await t.api.get('/api/v1/services').query(selector).expect(200);
    // Every step is confirmed through one watch from the list's resourceVersion, as upstream does.
    const watch = await WatchStream.open(base, path, { ...selector, resourceVersion: initial.body.metadata.resourceVersion });
    try {
      await t.api
        .post(path)
        .send({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name, labels: { 'test-service-static': 'true' } },
          spec: { type: 'LoadBalancer', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 80 }], loadBalancerClass: 'example.com/internal-vip' },
        })
        .expect(201);
      await watch.next('the Service to be added', (e) => e.object.metadata.name === name && e.object.metadata.namespace === ns && e.object.metadata.labels?.['test-service-static'] === 'true');

      const status = (await t.api.get(`${path}/${name}/status`).expect(200)).body;
      expect(status).toMatchObject({ kind: 'Service', metadata: { name } });

      await t.api
        .patch(`${path}/${name}/status`)
        .set('Content-Type', MERGE)
        .send('{"metadata":{"annotations":{"patchedstatus":"true"}},"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.1"}]}}}')
        .expect(200);
      const patched = await watch.next('the Service status to be patched', (e) => e.object.metadata.name === name && e.object.metadata.annotations?.patchedstatus === 'true');
      expect(patched.object.status.loadBalancer).toEqual({ ingress: [{ ip: '203.0.113.1' }] });

      // A Go client sends the zero metav1.Time of a new condition as null.
      const current = (await t.api.get(`${path}/${name}`).expect(200)).body;
      current.status.conditions = [...(current.status.conditions ?? []), { type: 'StatusUpdate', status: 'True', reason: 'E2E', message: 'Set from e2e test', lastTransitionTime: null }];
      await t.api.put(`${path}/${name}/status`).send(current).expect(200);
      await watch.next('the Service status to be updated', (e) =>
        e.object.metadata.annotations?.patchedstatus === 'true' &&
        (e.object.status?.conditions ?? []).some((c: { type: string; reason: string; message: string }) => c.type === 'StatusUpdate' && c.reason === 'E2E' && c.message === 'Set from e2e test'),
      );

      await t.api.patch(`${path}/${name}`).set('Content-Type', STRATEGIC).send(JSON.stringify({ metadata: { labels: { 'test-service': 'patched' } } })).expect(200);
      await watch.next('the Service to be patched', (e) => e.object.metadata.labels?.['test-service'] === 'patched');

      await t.api.delete(`${path}/${name}`).expect(200);
      await watch.next('the Service to be deleted', (e) => e.type === 'DELETED' && e.object.metadata.name === name && e.object.metadata.labels?.['test-service-static'] === 'true');
    } finally {
      watch.close();
    }
  });

  it('[sig-network] Services should delete a collection of services [Conformance]', async () => {
    const ns = await newNamespace('services');
    const path = `/api/v1/namespaces/${ns}/services`;
    const services = [
      { name: 'e2e-svc-a-abcde', label: 'delete', port: 8001 },
      { name: 'e2e-svc-b-abcde', label: 'delete', port: 8002 },
      { name: 'e2e-svc-c-abcde', label: 'keep', port: 8003 },
    ];
    for (const s of services) {
      await t.api
        .post(path)
        .send({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: s.name, labels: { 'e2e-test-service': s.label } },
          spec: { type: 'ClusterIP', ports: [{ name: 'http', protocol: 'TCP', port: s.port, targetPort: s.port }] },
        })
        .expect(201);
    }
    expect(await listItems(path)).toHaveLength(3);

    await t.api.delete(path).query({ labelSelector: 'e2e-test-service=delete' }).expect(200);
    const left = await listItems(path);
    expect(left.map((s) => s.metadata.name)).toEqual(['e2e-svc-c-abcde']);
  });

  it('[sig-network] Services should test the lifecycle of an Endpoint [Conformance]', async () => {
    const ns = await newNamespace('services');
    const path = `/api/v1/namespaces/${ns}/endpoints`;
    const name = 'testservice';
    const selector = { labelSelector: 'test-endpoint-static=true' };
    const initial = await t.api.get('/api/v1/endpoints').query(selector).expect(200);
    const watch = await WatchStream.open(base, path, { ...selector, resourceVersion: initial.body.metadata.resourceVersion });
    try {
      await t.api
        .post(path)
        .send({
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name, labels: { 'test-endpoint-static': 'true' } },
          subsets: [{ addresses: [{ ip: '10.0.0.24' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }],
        })
        .expect(201);
      await watch.next('the Endpoints ADDED', (e) => e.type === 'ADDED' && e.object.metadata.labels?.['test-endpoint-static'] === 'true');

      const listed = await listItems('/api/v1/endpoints', selector);
      const found = listed.find((e) => e.metadata.name === name && e.metadata.namespace === ns);
      expect(found).toBeDefined();

      found!.metadata.labels!['test-service'] = 'updated';
      await t.api.put(`${path}/${name}`).send(found).expect(200);
      await watch.next('the Endpoints MODIFIED by the update', (e) => e.type === 'MODIFIED' && e.object.metadata.labels?.['test-service'] === 'updated');
      expect((await t.api.get(`${path}/${name}`).expect(200)).body.metadata.labels['test-service']).toBe('updated');

      const patch = { metadata: { labels: { 'test-service': 'patched' } }, subsets: [{ addresses: [{ ip: '10.0.0.25' }], ports: [{ name: 'http-test', port: 8080 }] }] };
      await t.api.patch(`${path}/${name}`).set('Content-Type', STRATEGIC).send(JSON.stringify(patch)).expect(200);
      await watch.next('the Endpoints MODIFIED by the patch', (e) => e.type === 'MODIFIED' && e.object.metadata.labels?.['test-service'] === 'patched');
      const patched = (await t.api.get(`${path}/${name}`).expect(200)).body;
      expect(patched.metadata.labels['test-service']).toBe('patched');
      expect(patched.subsets[0].addresses[0].ip).toBe('10.0.0.25');
      expect(patched.subsets[0].ports[0]).toMatchObject({ name: 'http-test', port: 8080 });

      await t.api.delete(path).query(selector).expect(200);
      await watch.next('the Endpoints DELETED', (e) => e.type === 'DELETED' && e.object.metadata.labels?.['test-endpoint-static'] === 'true');
      expect((await t.api.get(`${path}/${name}`)).status).toBe(404);
    } finally {
      watch.close();
    }
  });
});

describe('[sig-network] EndpointSlice', () => {
  it('[sig-network] EndpointSlice should have Endpoints and EndpointSlices pointing to API Server [Conformance]', async () => {
    await t.api.get('/api/v1/namespaces/default/services/kubernetes').expect(200);
    const endpoints = (await t.api.get('/api/v1/namespaces/default/endpoints/kubernetes').expect(200)).body;
    expect(endpoints.subsets.length).toBeGreaterThan(0);
    const slices = await listItems('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', { labelSelector: 'kubernetes.io/service-name=kubernetes' });
    expect(slices.length).toBeGreaterThan(0);

    // Endpoints and the IPv4 EndpointSlices carry the same addresses and ports.
    type Subset = { addresses?: Array<{ ip: string }>; notReadyAddresses?: Array<{ ip: string }>; ports?: Array<{ port: number }> };
    const epAddresses = new Set<string>();
    const epPorts = new Set<number>();
    for (const s of endpoints.subsets as Subset[]) {
      for (const a of [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])]) epAddresses.add(a.ip);
      for (const p of s.ports ?? []) epPorts.add(p.port);
    }
    const sliceAddresses = new Set<string>();
    const slicePorts = new Set<number>();
    for (const slice of slices.filter((s) => s.addressType === 'IPv4')) {
      for (const e of slice.endpoints as Array<{ addresses: string[] }>) for (const a of e.addresses) sliceAddresses.add(a);
      for (const p of slice.ports as Array<{ port: number }>) slicePorts.add(p.port);
    }
    expect([...sliceAddresses].sort()).toEqual([...epAddresses].sort());
    expect([...slicePorts].sort()).toEqual([...epPorts].sort());
  });

  it('points default/kubernetes at the address and port the server listens on', async () => {
    const endpoints = (await t.api.get('/api/v1/namespaces/default/endpoints/kubernetes').expect(200)).body;
    expect(endpoints.subsets).toEqual([{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port, protocol: 'TCP' }] }]);
    const slice = (await t.api.get('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes').expect(200)).body;
    expect(slice).toMatchObject({ addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }], ports: [{ name: 'https', port, protocol: 'TCP' }] });
  });

  it('[sig-network] EndpointSlice should support creating EndpointSlice API operations [Conformance]', async () => {
    const ns = await newNamespace('endpointslice');
    const path = `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`;
    const selector = { labelSelector: `special-label=${ns}` };
    const template = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { generateName: 'e2e-example-ing', labels: { 'special-label': ns } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['1.2.3.4', '5.6.7.8'] }, { addresses: ['2.2.3.4', '6.6.7.8'] }],
    };

    const groups = (await t.api.get('/apis').expect(200)).body.groups as Array<{ name: string; versions: Array<{ version: string }> }>;
    expect(groups.find((g) => g.name === 'discovery.k8s.io')?.versions.map((v) => v.version)).toContain('v1');
    expect((await t.api.get('/apis/discovery.k8s.io').expect(200)).body.versions.map((v: { version: string }) => v.version)).toContain('v1');
    expect((await t.api.get('/apis/discovery.k8s.io/v1').expect(200)).body.resources.map((r: { name: string }) => r.name)).toContain('endpointslices');

    await t.api.post(path).send(template).expect(201);
    await t.api.post(path).send(template).expect(201);
    const created = (await t.api.post(path).send(template).expect(201)).body;

    expect((await t.api.get(`${path}/${created.metadata.name}`).expect(200)).body.metadata.uid).toBe(created.metadata.uid);
    const list = (await t.api.get(path).query(selector).expect(200)).body;
    expect(list.items).toHaveLength(3);

    const watch = await WatchStream.open(base, path, { ...selector, resourceVersion: list.metadata.resourceVersion });
    const clusterPath = '/apis/discovery.k8s.io/v1/endpointslices';
    expect(await listItems(clusterPath, selector)).toHaveLength(3);
    // The cluster-wide watch only has to open.
    (await WatchStream.open(base, clusterPath, { ...selector, resourceVersion: list.metadata.resourceVersion })).close();
    try {
      const patched = (await t.api.patch(`${path}/${created.metadata.name}`).set('Content-Type', MERGE).send('{"metadata":{"annotations":{"patched":"true"}}}').expect(200)).body;
      expect(patched.metadata.annotations.patched).toBe('true');

      const current = (await t.api.get(`${path}/${created.metadata.name}`).expect(200)).body;
      current.metadata.annotations.updated = 'true';
      const updated = (await t.api.put(`${path}/${created.metadata.name}`).send(current).expect(200)).body;
      expect(updated.metadata.annotations.updated).toBe('true');

      await watch.next('the patched annotation', (e) => e.object.metadata.annotations?.patched === 'true');
      expect(watch.consumed().every((e) => e.type === 'MODIFIED')).toBe(true);
    } finally {
      watch.close();
    }

    await t.api.delete(`${path}/${created.metadata.name}`).expect(200);
    expect((await t.api.get(`${path}/${created.metadata.name}`)).status).toBe(404);
    const remaining = await listItems(path, selector);
    expect(remaining).toHaveLength(2);
    expect(remaining.some((e) => e.metadata.name === created.metadata.name)).toBe(false);

    await t.api.delete(path).query(selector).expect(200);
    expect(await listItems(path, selector)).toHaveLength(0);
  });
});

// expectDiscovered checks /apis, /apis/{group} and /apis/{group}/{version} advertise a resource.
async function expectDiscovered(group: string, version: string, resource: string): Promise<void> {
  const groups = (await t.api.get('/apis').expect(200)).body.groups as Array<{ name: string; versions: Array<{ version: string }> }>;
  expect(groups.find((g) => g.name === group)?.versions.map((v) => v.version)).toContain(version);
  expect((await t.api.get(`/apis/${group}`).expect(200)).body.versions.map((v: { version: string }) => v.version)).toContain(version);
  expect((await t.api.get(`/apis/${group}/${version}`).expect(200)).body.resources.map((r: { name: string }) => r.name)).toContain(resource);
}

describe('[sig-network] Ingress API', () => {
  it('[sig-network] Ingress API should support creating Ingress API operations [Conformance]', async () => {
    const ns = await newNamespace('ingress');
    const path = `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`;
    const selector = { labelSelector: `special-label=${ns}` };
    const ingress = (host: string) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { generateName: 'e2e-example-ing', labels: { 'special-label': ns } },
      spec: {
        defaultBackend: { service: { name: 'default-backend', port: { number: 8080 } } },
        rules: [{ host, http: { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: 'test-backend', port: { number: 8080 } } } }] } }],
      },
      status: { loadBalancer: {} },
    });
    await expectDiscovered('networking.k8s.io', 'v1', 'ingresses');

    await t.api.post(path).send(ingress('host1.bar.com')).expect(201);
    await t.api.post(path).send(ingress('host2.bar.com')).expect(201);
    const created = (await t.api.post(path).send(ingress('host3.bar.com')).expect(201)).body;

    expect((await t.api.get(`${path}/${created.metadata.name}`).expect(200)).body.metadata.uid).toBe(created.metadata.uid);
    const list = (await t.api.get(path).query(selector).expect(200)).body;
    expect(list.items).toHaveLength(3);
    const watch = await WatchStream.open(base, path, { ...selector, resourceVersion: list.metadata.resourceVersion });
    expect(await listItems('/apis/networking.k8s.io/v1/ingresses', selector)).toHaveLength(3);
    // The cluster-wide watch only has to open.
    (await WatchStream.open(base, '/apis/networking.k8s.io/v1/ingresses', { ...selector, resourceVersion: list.metadata.resourceVersion })).close();
    try {
      const patched = (await t.api.patch(`${path}/${created.metadata.name}`).set('Content-Type', MERGE).send('{"metadata":{"annotations":{"patched":"true"}}}').expect(200)).body;
      expect(patched.metadata.annotations.patched).toBe('true');
      const current = (await t.api.get(`${path}/${created.metadata.name}`).expect(200)).body;
      current.metadata.annotations.updated = 'true';
      expect((await t.api.put(`${path}/${created.metadata.name}`).send(current).expect(200)).body.metadata.annotations.updated).toBe('true');

      await watch.next('the patched annotation', (e) => e.object.metadata.annotations?.patched === 'true');
      expect(watch.consumed().every((e) => e.type === 'MODIFIED')).toBe(true);
    } finally {
      watch.close();
    }

    const lbStatus = { ingress: [{ ip: '169.1.1.1' }] };
    const patchedStatus = (
      await t.api
        .patch(`${path}/${created.metadata.name}/status`)
        .set('Content-Type', MERGE)
        .send(JSON.stringify({ metadata: { annotations: { patchedstatus: 'true' } }, status: { loadBalancer: lbStatus } }))
        .expect(200)
    ).body;
    expect(patchedStatus.status.loadBalancer).toEqual(lbStatus);
    expect(patchedStatus.metadata.annotations.patchedstatus).toBe('true');

    const toUpdate = (await t.api.get(`${path}/${created.metadata.name}`).expect(200)).body;
    toUpdate.status.loadBalancer = { ingress: [{ ip: '169.1.1.2' }] };
    const updatedStatus = (await t.api.put(`${path}/${created.metadata.name}/status`).send(toUpdate).expect(200)).body;
    expect(updatedStatus.status.loadBalancer).toEqual(toUpdate.status.loadBalancer);

    expect((await t.api.get(`${path}/${created.metadata.name}/status`).expect(200)).body.metadata.uid).toBe(created.metadata.uid);

    // Without an ingress controller's finalizer the delete is immediate; upstream accepts either.
    const finalizing = (o: Obj) => o.metadata.deletionTimestamp !== undefined && (o.metadata.finalizers ?? []).length > 0;
    await t.api.delete(`${path}/${created.metadata.name}`).expect(200);
    const after = await t.api.get(`${path}/${created.metadata.name}`);
    expect(after.status === 404 || finalizing(after.body)).toBe(true);
    const remaining = await listItems(path, selector);
    expect(remaining.length).toBeLessThanOrEqual(3);
    expect(remaining.filter((i) => i.metadata.name === created.metadata.name).every(finalizing)).toBe(true);

    await t.api.delete(path).query(selector).expect(200);
    expect((await listItems(path, selector)).every(finalizing)).toBe(true);
  });
});

describe('[sig-network] IngressClass API', () => {
  it('[sig-network] IngressClass API should support creating IngressClass API operations [Conformance]', async () => {
    const path = '/apis/networking.k8s.io/v1/ingressclasses';
    const unique = 'ingressclass-1';
    const selector = { labelSelector: `ingressclass=${unique}` };
    const ingressClass = (name: string) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name, labels: { ingressclass: unique, 'special-label': 'generic' } },
      spec: { controller: 'example.com/controller' },
    });
    await expectDiscovered('networking.k8s.io', 'v1', 'ingressclasses');

    const ic1 = (await t.api.post(path).send(ingressClass('ingressclass1')).expect(201)).body;
    await t.api.post(path).send(ingressClass('ingressclass2')).expect(201);
    await t.api.post(path).send(ingressClass('ingressclass3')).expect(201);
    expect((await t.api.get(`${path}/${ic1.metadata.name}`).expect(200)).body.metadata.uid).toBe(ic1.metadata.uid);

    const list = (await t.api.get(path).query({ labelSelector: 'special-label=generic' }).expect(200)).body;
    expect(list.items).toHaveLength(3);
    const watch = await WatchStream.open(base, path, { ...selector, resourceVersion: list.metadata.resourceVersion });
    try {
      const patched = (await t.api.patch(`${path}/${ic1.metadata.name}`).set('Content-Type', MERGE).send('{"metadata":{"annotations":{"patched":"true"}}}').expect(200)).body;
      expect(patched.metadata.annotations.patched).toBe('true');
      patched.metadata.annotations.updated = 'true';
      expect((await t.api.put(`${path}/${ic1.metadata.name}`).send(patched).expect(200)).body.metadata.annotations.updated).toBe('true');

      await watch.next('the patched annotation', (e) => e.object.metadata.annotations?.patched === 'true');
      expect(watch.consumed().every((e) => e.type === 'MODIFIED')).toBe(true);
    } finally {
      watch.close();
    }

    await t.api.delete(`${path}/${ic1.metadata.name}`).expect(200);
    expect((await t.api.get(`${path}/${ic1.metadata.name}`)).status).toBe(404);
    expect(await listItems(path, selector)).toHaveLength(2);

    await t.api.delete(path).query(selector).expect(200);
    expect(await listItems(path, selector)).toHaveLength(0);
  });
});
