/**
 * Conformance mirrors for the LimitRanger admission plugin: LimitRange defaults injected into
 * Pods at create, min/max/maxLimitRequestRatio enforced per Container and per Pod (summed) with
 * kube-apiserver's messages, PersistentVolumeClaim storage bounds, and changes to a LimitRange
 * taking effect at once. Each test works in its own namespace, as the e2e framework does.
 */
import http from 'node:http';
import { listenURL, namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
let base: string;
beforeAll(async () => {
  t = await startTestServer();
  base = await listenURL(t);
});
afterAll(() => t.close());

const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });

type ResourceList = Record<string, string>;

// resourceList is the e2e getResourceList: cpu, memory and ephemeral-storage, empty ones left out.
function resourceList(cpu: string, memory: string, ephemeralStorage: string): ResourceList {
  const out: ResourceList = {};
  if (cpu) out.cpu = cpu;
  if (memory) out.memory = memory;
  if (ephemeralStorage) out['ephemeral-storage'] = ephemeralStorage;
  return out;
}

function limitRange(name: string, labels: Record<string, string>, limits: Array<Record<string, unknown>>) {
  return { apiVersion: 'v1', kind: 'LimitRange', metadata: { name, labels }, spec: { limits } };
}

type Container = { name: string; image: string; resources?: { requests?: ResourceList; limits?: ResourceList }; restartPolicy?: string };

function container(name: string, requests: ResourceList = {}, limits: ResourceList = {}): Container {
  const resources: Container['resources'] = {};
  if (Object.keys(requests).length) resources.requests = requests;
  if (Object.keys(limits).length) resources.limits = limits;
  return { name, image: 'registry.k8s.io/pause:3.10', resources };
}

function pod(name: string, containers: Container[], initContainers?: Container[]) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers, ...(initContainers ? { initContainers } : {}) } };
}

// newTestPod is the e2e helper: one container with the given requests and limits.
const newTestPod = (name: string, requests: ResourceList, limits: ResourceList) => pod(name, [container('pause', requests, limits)]);

/** watchEvents opens a watch and collects its events until closed. */
function watchEvents(path: string, query: Record<string, string>): Promise<{ events: Array<{ type: string; object: { metadata: { name: string } } }>; close(): void }> {
  const url = `${base}${path}?${new URLSearchParams({ ...query, watch: 'true' })}`;
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`watch ${url} answered ${res.statusCode}`));
      const events: Array<{ type: string; object: { metadata: { name: string } } }> = [];
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) events.push(JSON.parse(line));
        }
      });
      res.on('error', () => undefined);
      resolve({ events, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

describe('[sig-scheduling] LimitRange', () => {
  it('[sig-scheduling] LimitRange should create a LimitRange with defaults and ensure pod has those defaults applied. [Conformance]', async () => {
    const ns = await newNamespace('limitrange');
    const lrPath = `/api/v1/namespaces/${ns}/limitranges`;
    const podPath = `/api/v1/namespaces/${ns}/pods`;
    const min = resourceList('50m', '100Mi', '100Gi');
    const max = resourceList('500m', '500Mi', '500Gi');
    const defaultLimit = resourceList('500m', '500Mi', '500Gi');
    const defaultRequest = resourceList('100m', '200Mi', '200Gi');
    const value = `${Date.now()}`;
    const body = limitRange('limit-range', { time: value }, [{ type: 'Container', min, max, default: defaultLimit, defaultRequest, maxLimitRequestRatio: {} }]);

    // Setting up a watch: nothing carries the label yet.
    const selector = `time=${value}`;
    const listed = await t.api.get(lrPath).query({ labelSelector: selector }).expect(200);
    expect(listed.body.items).toEqual([]);
    const watch = await watchEvents(lrPath, { labelSelector: selector, resourceVersion: listed.body.metadata.resourceVersion });
    try {
      await t.api.post(lrPath).send(body).expect(201);
      const added = await waitFor(() => watch.events[0], 'the LimitRange creation to be observed');
      expect(added.type).toBe('ADDED');
      expect(added.object.metadata.name).toBe('limit-range');
    } finally {
      watch.close();
    }

    let lr = (await t.api.get(`${lrPath}/limit-range`).expect(200)).body;
    expect(lr.spec.limits[0].defaultRequest).toEqual(defaultRequest);
    expect(lr.spec.limits[0].default).toEqual(defaultLimit);

    // A Pod with no resource requirements gets the defaults.
    await t.api.post(podPath).send(newTestPod('pod-no-resources', {}, {})).expect(201);
    let got = (await t.api.get(`${podPath}/pod-no-resources`).expect(200)).body;
    for (const c of got.spec.containers) expect(c.resources).toEqual({ requests: defaultRequest, limits: defaultLimit });

    // Partial requirements are merged: a limit without a request is the request too, so the
    // range's defaultRequest only fills a resource without a limit.
    await t.api.post(podPath).send(newTestPod('pod-partial-resources', resourceList('', '150Mi', '150Gi'), resourceList('300m', '', ''))).expect(201);
    got = (await t.api.get(`${podPath}/pod-partial-resources`).expect(200)).body;
    for (const c of got.spec.containers) {
      expect(c.resources).toEqual({ requests: resourceList('300m', '150Mi', '150Gi'), limits: resourceList('300m', '500Mi', '500Gi') });
    }

    // Less than min and more than max are refused.
    expect((await t.api.post(podPath).send(newTestPod('pfpod', resourceList('10m', '50Mi', '50Gi'), {}))).status).toBeGreaterThanOrEqual(400);
    expect((await t.api.post(podPath).send(newTestPod('pfpod', resourceList('600m', '600Mi', '600Gi'), {}))).status).toBeGreaterThanOrEqual(400);

    // Lowering min takes effect at once.
    const newMin = resourceList('9m', '49Mi', '49Gi');
    lr.spec.limits[0].min = newMin;
    lr = (await t.api.put(`${lrPath}/limit-range`).send(lr).expect(200)).body;
    expect((await t.api.get(`${lrPath}/limit-range`).expect(200)).body.spec.limits[0].min).toEqual(newMin);
    await t.api.post(podPath).send(newTestPod('pfpod', resourceList('10m', '50Mi', '50Gi'), {})).expect(201);
    expect((await t.api.post(podPath).send(newTestPod('pfpod', resourceList('600m', '600Mi', '600Gi'), {}))).status).toBeGreaterThanOrEqual(400);

    // Once the LimitRange is deleted, a Pod over its former max is accepted.
    await t.api.delete(`${lrPath}/limit-range`).send({ gracePeriodSeconds: 30 }).expect(200);
    await waitFor(async () => (await t.api.get(lrPath).expect(200)).body.items.length === 0, 'the LimitRange to be deleted');
    await t.api.post(podPath).send(newTestPod('pfpod2', resourceList('600m', '600Mi', '600Gi'), {})).expect(201);
  });

  it('refuses a container over max or under min with 403 Forbidden and the LimitRanger message', async () => {
    const ns = await newNamespace('limitrange-messages');
    await t.api
      .post(`/api/v1/namespaces/${ns}/limitranges`)
      .send(limitRange('bounds', {}, [{ type: 'Container', max: { cpu: '500m' }, min: { memory: '50Mi' } }]))
      .expect(201);
    const podPath = `/api/v1/namespaces/${ns}/pods`;

    const overMax = await t.api.post(podPath).send(newTestPod('over-max', { memory: '64Mi' }, { cpu: '1' }));
    expect(overMax.status).toBe(403);
    expect(overMax.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403, details: { name: 'over-max', kind: 'pods' } });
    expect(overMax.body.message).toBe('pods "over-max" is forbidden: maximum cpu usage per Container is 500m, but limit is 1');

    const underMin = await t.api.post(podPath).send(newTestPod('under-min', { memory: '10Mi' }, { cpu: '250m' }));
    expect(underMin.status).toBe(403);
    expect(underMin.body.message).toBe('pods "under-min" is forbidden: minimum memory usage per Container is 50Mi, but request is 10Mi');

    // Several failures at once are listed together.
    const both = await t.api.post(podPath).send(newTestPod('both', { memory: '10Mi' }, { cpu: '1' }));
    expect(both.status).toBe(403);
    expect(both.body.message).toBe(
      'pods "both" is forbidden: [minimum memory usage per Container is 50Mi, but request is 10Mi, maximum cpu usage per Container is 500m, but limit is 1]',
    );

    await t.api.post(podPath).send(newTestPod('within', { memory: '64Mi' }, { cpu: '500m' })).expect(201);
  });

  it('enforces maxLimitRequestRatio per Container', async () => {
    const ns = await newNamespace('limitrange-ratio');
    await t.api.post(`/api/v1/namespaces/${ns}/limitranges`).send(limitRange('ratio', {}, [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }])).expect(201);
    const podPath = `/api/v1/namespaces/${ns}/pods`;
    const refused = await t.api.post(podPath).send(newTestPod('ratio-5', { cpu: '100m' }, { cpu: '500m' }));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('pods "ratio-5" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000');
    const noRequest = await t.api.post(podPath).send(newTestPod('ratio-none', {}, {}));
    expect(noRequest.body.message).toBe('pods "ratio-none" is forbidden: cpu max limit to request ratio per Container is 2, but no request is specified or request is 0');
    await t.api.post(podPath).send(newTestPod('ratio-2', { cpu: '250m' }, { cpu: '500m' })).expect(201);
  });

  it('holds the summed requests and limits of all containers to the Pod limits', async () => {
    const ns = await newNamespace('limitrange-pod');
    await t.api
      .post(`/api/v1/namespaces/${ns}/limitranges`)
      .send(limitRange('per-pod', {}, [{ type: 'Pod', max: { cpu: '500m', memory: '1Gi' }, min: { cpu: '100m' } }]))
      .expect(201);
    const podPath = `/api/v1/namespaces/${ns}/pods`;
    const two = (cpu: string, memory: string) => [container('a', {}, { cpu, memory }), container('b', {}, { cpu, memory })];

    const over = await t.api.post(podPath).send(pod('over', two('300m', '256Mi')));
    expect(over.status).toBe(403);
    expect(over.body.message).toBe('pods "over" is forbidden: maximum cpu usage per Pod is 500m, but limit is 600m');

    const overMemory = await t.api.post(podPath).send(pod('over-memory', two('200m', '768Mi')));
    expect(overMemory.body.message).toBe('pods "over-memory" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1536Mi');

    const under = await t.api.post(podPath).send(pod('under', [container('a', { cpu: '40m' }, { cpu: '40m', memory: '64Mi' }), container('b', { cpu: '40m' }, { cpu: '40m', memory: '64Mi' })]));
    expect(under.body.message).toBe('pods "under" is forbidden: minimum cpu usage per Pod is 100m, but request is 80m');

    // Without a limit for a bounded resource the Pod cannot be held to its max.
    const noLimit = await t.api.post(podPath).send(pod('no-limit', [container('a', {}, { cpu: '100m' })]));
    expect(noLimit.body.message).toBe('pods "no-limit" is forbidden: maximum memory usage per Pod is 1Gi.  No limit is specified');

    // An ordinary init container runs alone: only when it needs more than the rest does it count.
    const withInit = pod('with-init', two('200m', '256Mi'), [container('init', {}, { cpu: '450m', memory: '256Mi' })]);
    await t.api.post(podPath).send(withInit).expect(201);
    // A restartable (sidecar) init container runs beside the containers, so it adds up.
    const sidecar = { ...container('sidecar', {}, { cpu: '200m', memory: '64Mi' }), restartPolicy: 'Always' };
    const withSidecar = await t.api.post(podPath).send(pod('with-sidecar', two('200m', '256Mi'), [sidecar]));
    expect(withSidecar.body.message).toBe('pods "with-sidecar" is forbidden: maximum cpu usage per Pod is 500m, but limit is 600m');
  });

  it('records the defaults it set in the kubernetes.io/limit-ranger annotation, init containers included, with canonical quantities', async () => {
    const ns = await newNamespace('limitrange-annotation');
    await t.api
      .post(`/api/v1/namespaces/${ns}/limitranges`)
      .send(limitRange('defaults', {}, [{ type: 'Container', default: { cpu: '0.5', memory: '1024Mi' }, defaultRequest: { cpu: '.1' } }]))
      .expect(201);
    const created = (
      await t.api
        .post(`/api/v1/namespaces/${ns}/pods`)
        .send(pod('annotated', [container('app', {}, { memory: '2Gi' })], [container('setup')]))
        .expect(201)
    ).body;
    expect(created.spec.containers[0].resources).toEqual({ limits: { memory: '2Gi', cpu: '500m' }, requests: { memory: '2Gi', cpu: '100m' } });
    expect(created.spec.initContainers[0].resources).toEqual({ limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '100m', memory: '1Gi' } });
    expect(created.metadata.annotations['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu request for container app; cpu limit for container app; cpu, memory request for init container setup; cpu, memory limit for init container setup',
    );
  });

  it('applies defaults only at create and lets an existing Pod be updated under a stricter LimitRange', async () => {
    const ns = await newNamespace('limitrange-update');
    const podPath = `/api/v1/namespaces/${ns}/pods`;
    await t.api.post(podPath).send(newTestPod('before', { cpu: '10m' }, {})).expect(201);
    await t.api
      .post(`/api/v1/namespaces/${ns}/limitranges`)
      .send(limitRange('late', {}, [{ type: 'Container', min: { cpu: '50m' }, default: { memory: '128Mi' } }]))
      .expect(201);
    const patched = await t.api
      .patch(`${podPath}/before`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { labels: { touched: 'true' } } })
      .expect(200);
    expect(patched.body.metadata.labels).toEqual({ touched: 'true' });
    expect(patched.body.spec.containers[0].resources).toEqual({ requests: { cpu: '10m' } });
    expect(patched.body.metadata.annotations?.['kubernetes.io/limit-ranger']).toBeUndefined();
  });

  it('holds PersistentVolumeClaim storage requests to the claim limits at create and update', async () => {
    const ns = await newNamespace('limitrange-pvc');
    await t.api
      .post(`/api/v1/namespaces/${ns}/limitranges`)
      .send(limitRange('storage', {}, [{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '2Gi' } }]))
      .expect(201);
    const path = `/api/v1/namespaces/${ns}/persistentvolumeclaims`;
    const claim = (name: string, storage: string) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
    });
    const big = await t.api.post(path).send(claim('big', '5Gi'));
    expect(big.status).toBe(403);
    expect(big.body.message).toBe('persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi');
    const small = await t.api.post(path).send(claim('small', '500Mi'));
    expect(small.body.message).toBe('persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');

    await t.api.post(path).send(claim('ok', '1Gi')).expect(201);
    // Only a bound claim may ask for more storage at all, so the claim is grown once the
    // provisioner has bound it (the default class allows expansion).
    const ok = await waitFor(async () => {
      const c = (await t.api.get(`${path}/ok`).expect(200)).body;
      return c.status?.phase === 'Bound' && c;
    }, 'the claim to be Bound', 30_000);
    ok.spec.resources.requests.storage = '3Gi';
    const grown = await t.api.put(`${path}/ok`).send(ok);
    expect(grown.status).toBe(403);
    expect(grown.body.message).toBe('persistentvolumeclaims "ok" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 3Gi');
  });
});
