/**
 * LimitRanger admission beside ResourceQuota admission, as a namespace set up for tenants has
 * both: the LimitRange's defaults (its own, or those LimitRange defaulting derives from max and
 * min) are filled in before quota looks at the pod, so a pod that sets nothing passes a quota
 * that requires cpu and memory and is charged the defaults; the QoS class follows the defaults;
 * a dry run shows the defaults and stores nothing; pods a ReplicaSet creates get them too; and
 * every LimitRange of the namespace is enforced. The messages are the ones kube-apiserver writes
 * (plugin/pkg/admission/limitranger/admission.go).
 */
import { compareQuantity } from '../../schemas/meta/quantity';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });

function limitRange(name: string, limits: Array<Record<string, unknown>>) {
  return { apiVersion: 'v1', kind: 'LimitRange', metadata: { name }, spec: { limits } };
}

function bare(name: string, labels: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
}

async function usedOf(ns: string, name: string): Promise<Record<string, string>> {
  return (await t.api.get(`/api/v1/namespaces/${ns}/resourcequotas/${name}`).expect(200)).body.status?.used ?? {};
}

async function waitForUsed(ns: string, name: string, want: Record<string, string>): Promise<void> {
  await waitFor(
    async () => {
      const used = await usedOf(ns, name);
      return Object.entries(want).every(([k, v]) => used[k] !== undefined && compareQuantity(used[k], v) === 0);
    },
    `quota ${name} used ${JSON.stringify(want)}`,
    30_000,
  );
}

describe('LimitRange admission', () => {
  it('derives a default limit from max and a default request from min, as LimitRange defaulting does', async () => {
    const ns = await newNamespace('limits');
    const stored = (await t.api.post(`/api/v1/namespaces/${ns}/limitranges`).send(limitRange('bounds', [{ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' } }])).expect(201)).body;
    expect(stored.spec.limits[0]).toMatchObject({ default: { cpu: '1' }, defaultRequest: { cpu: '1', memory: '64Mi' } });
    const pod = (await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(bare('defaulted')).expect(201)).body;
    expect(pod.spec.containers[0].resources).toEqual({ limits: { cpu: '1' }, requests: { cpu: '1', memory: '64Mi' } });
    expect(pod.metadata.annotations['kubernetes.io/limit-ranger']).toBe('LimitRanger plugin set: cpu, memory request for container app; cpu limit for container app');
  });

  it('fills the defaults in before quota checks the pod, so a quota on cpu and memory is satisfied and charged them', async () => {
    const ns = await newNamespace('limits');
    await t.api.post(`/api/v1/namespaces/${ns}/resourcequotas`).send({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '1', 'limits.memory': '1Gi' } } }).expect(201);
    await waitForUsed(ns, 'compute', { 'requests.cpu': '0' });
    // Without defaults the quota demands the values.
    const refused = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(bare('bare')).expect(403);
    expect(refused.body.message).toBe('pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: app; requests.cpu for: app');

    await t.api
      .post(`/api/v1/namespaces/${ns}/limitranges`)
      .send(limitRange('defaults', [{ type: 'Container', default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '400m', memory: '256Mi' } }]))
      .expect(201);
    const pod = (await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(bare('first')).expect(201)).body;
    expect(pod.spec.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '400m', memory: '256Mi' } });
    expect(pod.status.qosClass).toBe('Burstable');
    await waitForUsed(ns, 'compute', { 'requests.cpu': '400m', 'limits.memory': '512Mi' });
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(bare('second')).expect(201);
    // A third defaulted pod would take requests.cpu to 1200m.
    const third = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(bare('third')).expect(403);
    expect(third.body.message).toBe(
      'pods "third" is forbidden: exceeded quota: compute, requested: limits.memory=512Mi,requests.cpu=400m, used: limits.memory=1Gi,requests.cpu=800m, limited: limits.memory=1Gi,requests.cpu=1',
    );
  });

  it('gives Guaranteed QoS when the defaults make requests equal limits, and shows the defaults in a dry run without storing the pod', async () => {
    const ns = await newNamespace('limits');
    await t.api.post(`/api/v1/namespaces/${ns}/limitranges`).send(limitRange('equal', [{ type: 'Container', default: { cpu: '250m', memory: '128Mi' } }])).expect(201);
    const dry = (await t.api.post(`/api/v1/namespaces/${ns}/pods?dryRun=All`).send(bare('dry')).expect(201)).body;
    expect(dry.spec.containers[0].resources).toEqual({ limits: { cpu: '250m', memory: '128Mi' }, requests: { cpu: '250m', memory: '128Mi' } });
    expect(dry.status.qosClass).toBe('Guaranteed');
    await t.api.get(`/api/v1/namespaces/${ns}/pods/dry`).expect(404);
  });

  it('defaults the pods a ReplicaSet creates and refuses them with a FailedCreate event when they break the range', async () => {
    const ns = await newNamespace('limits');
    await t.api.post(`/api/v1/namespaces/${ns}/limitranges`).send(limitRange('range', [{ type: 'Container', default: { cpu: '100m' }, max: { memory: '256Mi' } }])).expect(201);
    const rs = (name: string, memory?: string) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx', ...(memory ? { resources: { limits: { memory } } } : {}) }] } },
      },
    });
    await t.api.post(`/apis/apps/v1/namespaces/${ns}/replicasets`).send(rs('fits')).expect(201);
    const pod = await waitFor(async () => (await t.api.get(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dfits`).expect(200)).body.items[0], 'the ReplicaSet pod');
    expect(pod.spec.containers[0].resources).toEqual({ limits: { cpu: '100m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });

    await t.api.post(`/apis/apps/v1/namespaces/${ns}/replicasets`).send(rs('too-big', '1Gi')).expect(201);
    const event = await waitFor(async () => {
      const items = (await t.api.get(`/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3Dtoo-big,reason%3DFailedCreate`).expect(200)).body.items;
      return items[0];
    }, 'the FailedCreate event');
    expect(event.message).toMatch(/^Error creating: pods "too-big-[a-z0-9]{5}" is forbidden: maximum memory usage per Container is 256Mi, but limit is 1Gi$/);
  });

  it('holds a pod to every LimitRange of its namespace', async () => {
    const ns = await newNamespace('limits');
    await t.api.post(`/api/v1/namespaces/${ns}/limitranges`).send(limitRange('cpu', [{ type: 'Container', max: { cpu: '1' } }])).expect(201);
    await t.api.post(`/api/v1/namespaces/${ns}/limitranges`).send(limitRange('memory', [{ type: 'Container', max: { memory: '1Gi' } }])).expect(201);
    const pod = (cpu: string, memory: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p-${cpu}-${memory}`.toLowerCase() },
      spec: { containers: [{ name: 'app', image: 'nginx', resources: { limits: { cpu, memory } } }] },
    });
    expect((await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('2', '512Mi')).expect(403)).body.message).toBe(
      'pods "p-2-512mi" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
    expect((await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('500m', '2Gi')).expect(403)).body.message).toBe(
      'pods "p-500m-2gi" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi',
    );
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('500m', '512Mi')).expect(201);
  });
});
