/**
 * Conformance mirrors for core objects that no controller acts on in these tests: core/v1
 * Events, coordination.k8s.io Leases, PodTemplates and LimitRanges. Each test works in its own
 * namespace, as the e2e framework gives every test one.
 */
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

let namespaces = 0;
async function newNamespace(base: string): Promise<string> {
  const name = `${base}-${++namespaces}`;
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
  return name;
}

type Named = { metadata: { name: string; namespace?: string; resourceVersion: string } };
const STRATEGIC = 'application/strategic-merge-patch+json';

// listCount answers how many objects a labelled list holds (for waits on deletecollection).
async function listCount(path: string, labelSelector: string): Promise<number> {
  const res = await t.api.get(path).query({ labelSelector }).expect(200);
  return res.body.items.length;
}

describe('[sig-instrumentation] Events', () => {
  function event(name: string, ns: string, labels: Record<string, string>, message: string) {
    return { apiVersion: 'v1', kind: 'Event', metadata: { name, labels }, message, reason: 'Test', type: 'Normal', count: 1, involvedObject: { namespace: ns } };
  }

  it('[sig-instrumentation] Events should manage the lifecycle of an event [Conformance]', async () => {
    const ns = await newNamespace('events');
    const path = `/api/v1/namespaces/${ns}/events`;
    await t.api.post(path).send(event('event-test', ns, { 'testevent-constant': 'true' }, 'This is a test event')).expect(201);

    const all = await t.api.get('/api/v1/events').query({ labelSelector: 'testevent-constant=true' }).expect(200);
    expect(all.body.items.some((e: Named) => e.metadata.name === 'event-test' && e.metadata.namespace === ns)).toBe(true);

    await t.api.patch(`${path}/event-test`).set('Content-Type', STRATEGIC).send(JSON.stringify({ message: 'This is a test event - patched' })).expect(200);
    const patched = await t.api.get(`${path}/event-test`).expect(200);
    expect(patched.body.message).toBe('This is a test event - patched');

    // Update with a series; what is read back equals what was sent, apart from the resourceVersion.
    const toUpdate = { ...patched.body, series: { count: 100, lastObservedTime: '2017-09-19T13:49:16.000000Z' } };
    delete toUpdate.metadata.resourceVersion;
    delete toUpdate.metadata.managedFields;
    await t.api.put(`${path}/event-test`).send(toUpdate).expect(200);
    const updated = (await t.api.get(`${path}/event-test`).expect(200)).body;
    delete updated.metadata.resourceVersion;
    delete updated.metadata.managedFields;
    expect(updated).toEqual(toUpdate);

    await t.api.delete(`${path}/event-test`).expect(200);
    const after = await t.api.get('/api/v1/events').query({ labelSelector: 'testevent-constant=true' }).expect(200);
    expect(after.body.items.some((e: Named) => e.metadata.name === 'event-test' && e.metadata.namespace === ns)).toBe(false);
  });

  it('[sig-instrumentation] Events should delete a collection of events [Conformance]', async () => {
    const ns = await newNamespace('events');
    const path = `/api/v1/namespaces/${ns}/events`;
    const names = ['test-event-1', 'test-event-2', 'test-event-3'];
    for (const name of names) await t.api.post(path).send(event(name, ns, { 'testevent-set': 'true' }, `This is ${name}`)).expect(201);

    expect(await listCount(path, 'testevent-set=true')).toBe(names.length);
    await t.api.delete(path).query({ labelSelector: 'testevent-set=true' }).expect(200);
    await waitFor(async () => (await listCount(path, 'testevent-set=true')) === 0, 'the events to be gone');
  });
});

describe('[sig-instrumentation] Events API', () => {
  function eventV1(ns: string, name: string, label: string) {
    return {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, labels: { [label]: 'true' } },
      regarding: { namespace: ns },
      eventTime: '2017-09-19T13:49:16.000000Z',
      note: `This is ${name}`,
      action: 'Do',
      reason: 'Test',
      type: 'Normal',
      reportingController: 'test-controller',
      reportingInstance: 'test-node',
    };
  }

  it('[sig-instrumentation] Events API should ensure that an event can be fetched, patched, deleted, and listed [Conformance]', async () => {
    const ns = await newNamespace('events');
    const path = `/apis/events.k8s.io/v1/namespaces/${ns}/events`;
    const allPath = '/apis/events.k8s.io/v1/events';
    const exists = async (listPath: string) =>
      (await t.api.get(listPath).query({ labelSelector: 'testevent-constant=true' }).expect(200)).body.items.some((e: Named) => e.metadata.name === 'event-test' && e.metadata.namespace === ns);
    await t.api.post(path).send(eventV1(ns, 'event-test', 'testevent-constant')).expect(201);
    expect(await exists(allPath)).toBe(true);
    expect(await exists(path)).toBe(true);

    // The same event seen through core/v1 and selected by its source: its reporting controller.
    const coreFiltered = (await t.api.get(`/api/v1/namespaces/${ns}/events`).query({ fieldSelector: 'source=test-controller' }).expect(200)).body.items;
    expect(coreFiltered.map((e: Named) => e.metadata.name)).toEqual(['event-test']);
    const v1Filtered = (await t.api.get(path).query({ fieldSelector: 'reportingController=test-controller' }).expect(200)).body.items;
    expect(v1Filtered.map((e: Named) => e.metadata.name)).toEqual(['event-test']);

    const testEvent = (await t.api.get(`${path}/event-test`).expect(200)).body;
    await t.api.patch(`${path}/event-test`).set('Content-Type', STRATEGIC).send(JSON.stringify({ note: 'This is a test event - patched' })).expect(200);
    const patched = (await t.api.get(`${path}/event-test`).expect(200)).body;
    // As upstream, compare without resourceVersion and managedFields (the server records each writer).
    delete patched.metadata.resourceVersion;
    delete testEvent.metadata.resourceVersion;
    delete patched.metadata.managedFields;
    delete testEvent.metadata.managedFields;
    testEvent.note = 'This is a test event - patched';
    expect(patched).toEqual(testEvent);

    testEvent.series = { count: 100, lastObservedTime: '2017-09-19T13:49:16.000000Z' };
    await t.api.put(`${path}/event-test`).send(testEvent).expect(200);
    const updated = (await t.api.get(`${path}/event-test`).expect(200)).body;
    delete updated.metadata.resourceVersion;
    delete updated.metadata.managedFields;
    expect(updated).toEqual(testEvent);

    await t.api.delete(`${path}/event-test`).expect(200);
    expect(await exists(allPath)).toBe(false);
    expect(await exists(path)).toBe(false);
  });

  it('[sig-instrumentation] Events API should delete a collection of events [Conformance]', async () => {
    const ns = await newNamespace('events');
    const path = `/apis/events.k8s.io/v1/namespaces/${ns}/events`;
    for (const name of ['test-event-1', 'test-event-2', 'test-event-3']) {
      await t.api.post(path).send(eventV1(ns, name, 'testevent-set')).expect(201);
    }
    expect(await listCount(path, 'testevent-set=true')).toBe(3);
    await t.api.delete(path).query({ labelSelector: 'testevent-set=true' }).expect(200);
    expect(await listCount(path, 'testevent-set=true')).toBe(0);
  });
});

describe('[sig-node] Lease', () => {
  // MicroTime values as a Go client sends them for time.Time{}.Add(n * time.Second).
  const at = (seconds: number) => `0001-01-01T00:${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}.000000Z`;
  const spec = (holder: string, duration: number, acquire: number, renew: number, transitions: number) => ({
    holderIdentity: holder,
    leaseDurationSeconds: duration,
    acquireTime: at(acquire),
    renewTime: at(renew),
    leaseTransitions: transitions,
  });

  it('[sig-node] Lease lease API should be available [Conformance]', async () => {
    const ns = await newNamespace('lease-test');
    const path = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'lease' }, spec: spec('holder', 30, 2, 5, 0) };
    const created = (await t.api.post(path).send(lease).expect(201)).body;
    expect((await t.api.get(`${path}/lease`).expect(200)).body.spec).toEqual(lease.spec);

    created.spec = spec('holder2', 30, 20, 50, 1);
    await t.api.put(`${path}/lease`).send(created).expect(200);
    const read = (await t.api.get(`${path}/lease`).expect(200)).body;
    expect(read.spec).toEqual(created.spec);

    // The two-way strategic merge patch a Go client computes from read to patched.
    const patchedSpec = spec('holder3', 60, 50, 70, 2);
    await t.api.patch(`${path}/lease`).set('Content-Type', STRATEGIC).send(JSON.stringify({ spec: patchedSpec })).expect(200);
    expect((await t.api.get(`${path}/lease`).expect(200)).body.spec).toEqual(patchedSpec);

    await t.api
      .post(path)
      .send({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'lease2', labels: { deletecollection: 'true' } }, spec: spec('holder', 30, 2, 5, 0) })
      .expect(201);
    expect((await t.api.get(path).expect(200)).body.items).toHaveLength(2);

    await t.api.delete(path).query({ labelSelector: 'deletecollection=true' }).expect(200);
    const remaining = (await t.api.get(path).expect(200)).body.items;
    expect(remaining.map((l: Named) => l.metadata.name)).toEqual(['lease']);

    await t.api.delete(`${path}/lease`).expect(200);
    const gone = await t.api.get(`${path}/lease`);
    expect(gone.status).toBe(404);
    expect(gone.body.reason).toBe('NotFound');

    await t.api.get('/apis/coordination.k8s.io/v1/leases').expect(200);
  });
});

describe('[sig-node] PodTemplates', () => {
  function podTemplate(name: string, labels: Record<string, string>, container: { name: string; image: string }) {
    return { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name, labels }, template: { spec: { containers: [container] } } };
  }

  it('[sig-node] PodTemplates should run the lifecycle of PodTemplates [Conformance]', async () => {
    const ns = await newNamespace('podtemplate');
    const path = `/api/v1/namespaces/${ns}/podtemplates`;
    const name = 'nginx-pod-template';
    expect((await t.api.get('/api/v1/podtemplates').query({ labelSelector: 'podtemplate-static=true' }).expect(200)).body.items).toHaveLength(0);

    await t.api.post(path).send(podTemplate(name, { 'podtemplate-static': 'true' }, { name: 'nginx', image: 'nginx' })).expect(201);
    expect((await t.api.get(`${path}/${name}`).expect(200)).body.metadata.name).toBe(name);

    await t.api.patch(`${path}/${name}`).set('Content-Type', STRATEGIC).send(JSON.stringify({ metadata: { labels: { podtemplate: 'patched' } } })).expect(200);
    expect((await t.api.get(`${path}/${name}`).expect(200)).body.metadata.labels.podtemplate).toBe('patched');

    await t.api.delete(`${path}/${name}`).expect(200);
    expect((await t.api.get('/api/v1/podtemplates').query({ labelSelector: 'podtemplate-static=true' }).expect(200)).body.items).toHaveLength(0);
  });

  it('[sig-node] PodTemplates should delete a collection of pod templates [Conformance]', async () => {
    const ns = await newNamespace('podtemplate');
    const path = `/api/v1/namespaces/${ns}/podtemplates`;
    const names = ['test-podtemplate-1', 'test-podtemplate-2', 'test-podtemplate-3'];
    for (const name of names) {
      await t.api.post(path).send(podTemplate(name, { 'podtemplate-set': 'true' }, { name: 'token-test', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53' })).expect(201);
    }
    expect(await listCount(path, 'podtemplate-set=true')).toBe(names.length);
    await t.api.delete(path).query({ labelSelector: 'podtemplate-set=true' }).expect(200);
    await waitFor(async () => (await listCount(path, 'podtemplate-set=true')) === 0, 'the pod templates to be gone');
  });

  it('[sig-node] PodTemplates should replace a pod template [Conformance]', async () => {
    const ns = await newNamespace('podtemplate');
    const path = `/api/v1/namespaces/${ns}/podtemplates`;
    await t.api.post(path).send(podTemplate('podtemplate-a', {}, { name: 'e2e-test', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53' })).expect(201);
    const current = (await t.api.get(`${path}/podtemplate-a`).expect(200)).body;
    current.metadata.annotations = { updated: 'true' };
    const updated = await t.api.put(`${path}/podtemplate-a`).send(current).expect(200);
    expect(updated.body.metadata.annotations).toEqual({ updated: 'true' });
  });

  it('fills the defaults of the template pod spec, as it does for a Pod', async () => {
    const ns = await newNamespace('podtemplate');
    const created = await t.api.post(`/api/v1/namespaces/${ns}/podtemplates`).send(podTemplate('defaults', {}, { name: 'c', image: 'nginx' })).expect(201);
    expect(created.body.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' });
    expect(created.body.template.spec.containers[0]).toMatchObject({ imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log' });
  });
});

describe('[sig-scheduling] LimitRange', () => {
  const resources = (cpu: string, memory: string, ephemeral: string) => ({ cpu, memory, 'ephemeral-storage': ephemeral });

  it('[sig-scheduling] LimitRange should list, patch and delete a LimitRange by collection [Conformance]', async () => {
    const ns = await newNamespace('limitrange');
    const lrName = 'e2e-limitrange-abcde';
    const limitRange = {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: lrName, labels: { 'e2e-test': lrName, [lrName]: 'created' } },
      spec: {
        limits: [
          {
            type: 'Container',
            min: resources('50m', '100Mi', '100Gi'),
            max: resources('500m', '500Mi', '500Gi'),
            default: resources('500m', '500Mi', '500Gi'),
            defaultRequest: resources('100m', '200Mi', '200Gi'),
          },
        ],
      },
    };
    const created = (await t.api.post(`/api/v1/namespaces/${ns}/limitranges`).send(limitRange).expect(201)).body;
    expect(created.metadata.resourceVersion).toMatch(/^\d+$/);

    const other = await newNamespace(lrName);
    await t.api.post(`/api/v1/namespaces/${other}/limitranges`).send(limitRange).expect(201);

    expect((await t.api.get('/api/v1/limitranges').query({ labelSelector: `e2e-test=${lrName}` }).expect(200)).body.items).toHaveLength(2);

    const newMin = resources('9m', '49Mi', '49Gi');
    const limits = [{ ...created.spec.limits[0], min: newMin }];
    const patched = await t.api
      .patch(`/api/v1/namespaces/${ns}/limitranges/${lrName}`)
      .set('Content-Type', STRATEGIC)
      .send(JSON.stringify({ metadata: { creationTimestamp: created.metadata.creationTimestamp, labels: { [lrName]: 'patched' } }, spec: { limits } }))
      .expect(200);
    expect(patched.body.metadata.labels[lrName]).toBe('patched');
    expect(patched.body.spec.limits[0].min).toEqual(newMin);
    expect(Number(patched.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));

    await t.api.delete(`/api/v1/namespaces/${ns}/limitranges`).query({ labelSelector: `${lrName}=patched` }).expect(200);
    await waitFor(async () => (await listCount(`/api/v1/namespaces/${ns}/limitranges`, `${lrName}=patched`)) === 0, 'the patched LimitRange to be gone');
    expect((await t.api.get('/api/v1/limitranges').query({ labelSelector: `e2e-test=${lrName}` }).expect(200)).body.items).toHaveLength(1);
  });

  it('fills a Container limit default from max and its default request from the default, as the API server does', async () => {
    const ns = await newNamespace('limitrange');
    const res = await t.api
      .post(`/api/v1/namespaces/${ns}/limitranges`)
      .send({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'defaults' }, spec: { limits: [{ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' } }] } })
      .expect(201);
    expect(res.body.spec.limits[0]).toMatchObject({ default: { cpu: '1' }, defaultRequest: { cpu: '1', memory: '64Mi' } });
  });
});
