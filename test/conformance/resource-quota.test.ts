/**
 * Conformance: the upstream "[sig-api-machinery] ResourceQuota" tests that need the quota
 * controller and quota admission (test/e2e/apimachinery/resource_quota.go): status promptly
 * calculated, the life of a service, secret, pod, configMap, replication controller and replica
 * set, and the Terminating/NotTerminating and BestEffort/NotBestEffort scopes; then what the
 * upstream suite checks outside its conformance set (PriorityClass scope selectors,
 * persistentvolumeclaims by storage class, count/<resource>.<group> of a discovered kind, the
 * must-specify rule) and the race two quick creates would run. The API-only rows are in
 * api-machinery-resourcequota.test.ts.
 */
import { compareQuantity } from '../../schemas/meta/quantity';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });

type ResourceList = Record<string, string>;
type Quota = { metadata: { name: string; resourceVersion: string }; spec: { hard: ResourceList }; status?: { hard?: ResourceList; used?: ResourceList } };

const EXTENDED = 'example.com/dongle';

// newTestResourceQuota is upstream's default quota for these tests.
function newTestResourceQuota(name: string, extra: ResourceList = {}) {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name },
    spec: {
      hard: {
        pods: '5',
        services: '10',
        'services.nodeports': '1',
        'services.loadbalancers': '1',
        replicationcontrollers: '10',
        resourcequotas: '1',
        cpu: '1',
        memory: '500Mi',
        configmaps: '10',
        secrets: '10',
        persistentvolumeclaims: '10',
        'requests.storage': '10Gi',
        'ephemeral-storage': '50Gi',
        'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '10',
        'gold.storageclass.storage.k8s.io/requests.storage': '10Gi',
        'count/replicasets.apps': '5',
        [`requests.${EXTENDED}`]: '3',
        ...extra,
      },
    },
  };
}

function newTestResourceQuotaWithScope(name: string, scope: string) {
  const hard: ResourceList = { pods: '5' };
  if (scope === 'Terminating' || scope === 'NotTerminating') Object.assign(hard, { 'requests.cpu': '1', 'requests.memory': '500Mi', 'limits.cpu': '2', 'limits.memory': '1Gi' });
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard, scopes: [scope] } };
}

function newTestPodForQuota(name: string, requests: ResourceList = {}, limits: ResourceList = {}, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      nodeSelector: { 'x-test.k8s.io/unsatisfiable': 'not-schedulable' },
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests, limits } }],
      ...extra,
    },
  };
}

async function createQuota(ns: string, quota: object): Promise<void> {
  await t.api.post(`/api/v1/namespaces/${ns}/resourcequotas`).send(quota).expect(201);
}

async function getQuota(ns: string, name: string): Promise<Quota> {
  return (await t.api.get(`/api/v1/namespaces/${ns}/resourcequotas/${name}`).expect(200)).body as Quota;
}

/** waitForResourceQuota waits until status.used shows every expected value (others ignored), compared as quantities. */
async function waitForResourceQuota(ns: string, name: string, used: ResourceList): Promise<Quota> {
  let last: Quota | undefined;
  try {
    return await waitFor(
      async () => {
        last = await getQuota(ns, name);
        const got = last.status?.used ?? {};
        return Object.entries(used).every(([k, v]) => got[k] !== undefined && compareQuantity(got[k], v) === 0) && last;
      },
      `quota ${ns}/${name} to show ${JSON.stringify(used)}`,
      30_000,
    );
  } catch (err) {
    throw new Error(`${String(err)}; last status: ${JSON.stringify(last?.status)}`);
  }
}

describe('[sig-api-machinery] ResourceQuota', () => {
  it('[sig-api-machinery] ResourceQuota should create a ResourceQuota and ensure its status is promptly calculated. [Conformance]', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, newTestResourceQuota('test-quota'));
    const quota = await waitForResourceQuota(ns, 'test-quota', { resourcequotas: '1' });
    // status.hard follows spec.hard, and every tracked name has a usage.
    expect(quota.status!.hard).toEqual(quota.spec.hard);
    expect(Object.keys(quota.status!.used!).sort()).toEqual(Object.keys(quota.spec.hard).sort());
    expect(quota.status!.used).toMatchObject({ pods: '0', cpu: '0', memory: '0', 'count/replicasets.apps': '0', [`requests.${EXTENDED}`]: '0' });
  });

  it('[sig-api-machinery] ResourceQuota should create a ResourceQuota and capture the life of a service. [Conformance]', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, newTestResourceQuota('test-quota'));
    await waitForResourceQuota(ns, 'test-quota', { resourcequotas: '1' });
    const svc = (name: string, type: string, allocate?: boolean) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { type, ports: [{ port: 80, targetPort: 80 }], ...(allocate === undefined ? {} : { allocateLoadBalancerNodePorts: allocate }) },
    });
    await t.api.post(`/api/v1/namespaces/${ns}/services`).send(svc('test-service', 'ClusterIP')).expect(201);
    // Adapted from upstream, which creates a NodePort Service and then a LoadBalancer that
    // exceeds services.nodeports: nodeless has no nodes, so the NodePort Service is refused
    // (422, before quota is charged) and a LoadBalancer has no node ports. The LoadBalancer
    // quota takes the place of the node-port one: the second LoadBalancer does not fit.
    const nodePort = await t.api.post(`/api/v1/namespaces/${ns}/services`).send(svc('test-service-np', 'NodePort')).expect(422);
    expect(nodePort.body.message).toContain('nodeless has no nodes');
    await t.api.post(`/api/v1/namespaces/${ns}/services`).send(svc('test-service-lb', 'LoadBalancer')).expect(201);
    const refused = await t.api.post(`/api/v1/namespaces/${ns}/services`).send(svc('test-service-lb2', 'LoadBalancer', false)).expect(403);
    expect(refused.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect(refused.body.message).toBe(
      'services "test-service-lb2" is forbidden: exceeded quota: test-quota, requested: services.loadbalancers=1, used: services.loadbalancers=1, limited: services.loadbalancers=1',
    );
    await waitForResourceQuota(ns, 'test-quota', { resourcequotas: '1', services: '2', 'services.nodeports': '0', 'services.loadbalancers': '1' });

    await t.api.delete(`/api/v1/namespaces/${ns}/services/test-service`).expect(200);
    await t.api.delete(`/api/v1/namespaces/${ns}/services/test-service-lb`).expect(200);
    await waitForResourceQuota(ns, 'test-quota', { resourcequotas: '1', services: '0', 'services.nodeports': '0', 'services.loadbalancers': '0' });
  });

  it('[sig-api-machinery] ResourceQuota should create a ResourceQuota and capture the life of a secret. [Conformance]', async () => {
    const ns = await newNamespace('resourcequota');
    const found = (await t.api.get(`/api/v1/namespaces/${ns}/secrets`).expect(200)).body.items.length as number;
    await createQuota(ns, newTestResourceQuota('test-quota', { secrets: String(found + 1) }));
    await waitForResourceQuota(ns, 'test-quota', { resourcequotas: '1', secrets: String(found) });
    await t.api
      .post(`/api/v1/namespaces/${ns}/secrets`)
      .send({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'test-secret' }, data: { 'data-1': Buffer.from('value-1\n').toString('base64') } })
      .expect(201);
    await waitForResourceQuota(ns, 'test-quota', { secrets: String(found + 1) });
    // The quota is full now.
    const refused = await t.api.post(`/api/v1/namespaces/${ns}/secrets`).send({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'one-too-many' } }).expect(403);
    expect(refused.body.message).toBe(
      `secrets "one-too-many" is forbidden: exceeded quota: test-quota, requested: secrets=1, used: secrets=${found + 1}, limited: secrets=${found + 1}`,
    );
    await t.api.delete(`/api/v1/namespaces/${ns}/secrets/test-secret`).expect(200);
    await waitForResourceQuota(ns, 'test-quota', { secrets: String(found) });
  });

  it('[sig-api-machinery] ResourceQuota should create a ResourceQuota and capture the life of a pod. [Conformance]', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, newTestResourceQuota('test-quota'));
    await waitForResourceQuota(ns, 'test-quota', { resourcequotas: '1' });

    const requests = { cpu: '500m', memory: '252Mi', 'ephemeral-storage': '30Gi', [EXTENDED]: '2' };
    const created = (await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(newTestPodForQuota('test-pod', requests, { [EXTENDED]: '2' })).expect(201)).body;
    const used = { resourcequotas: '1', pods: '1', cpu: '500m', memory: '252Mi', 'ephemeral-storage': '30Gi', [`requests.${EXTENDED}`]: '2' };
    // Admission charged the pod before it was stored: the usage is there at once.
    const charged = await getQuota(ns, 'test-quota');
    expect(charged.status!.used).toMatchObject({ pods: '1', cpu: '500m', memory: '252Mi' });
    await waitForResourceQuota(ns, 'test-quota', used);

    // Not allowing a pod to be created that exceeds remaining quota
    const over = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(newTestPodForQuota('fail-pod', { cpu: '600m', memory: '100Mi' })).expect(403);
    expect(over.body.message).toBe('pods "fail-pod" is forbidden: exceeded quota: test-quota, requested: cpu=600m, used: cpu=500m, limited: cpu=1');

    // Not allowing a pod to be created that exceeds remaining quota (validation on extended resources)
    const ext = await t.api
      .post(`/api/v1/namespaces/${ns}/pods`)
      .send(newTestPodForQuota('fail-pod-for-extended-resource', { cpu: '500m', memory: '100Mi', 'ephemeral-storage': '30Gi', [EXTENDED]: '2' }, { [EXTENDED]: '2' }))
      .expect(403);
    expect(ext.body.message).toBe(
      `pods "fail-pod-for-extended-resource" is forbidden: exceeded quota: test-quota, requested: ephemeral-storage=30Gi,requests.${EXTENDED}=2, used: ephemeral-storage=30Gi,requests.${EXTENDED}=2, limited: ephemeral-storage=50Gi,requests.${EXTENDED}=3`,
    );

    // Ensuring a pod cannot update its resource requirements
    created.spec.containers[0].resources.requests = { cpu: '100m', memory: '100Mi', 'ephemeral-storage': '10Gi' };
    const update = await t.api.put(`/api/v1/namespaces/${ns}/pods/test-pod`).send(created);
    expect(update.status).toBeGreaterThanOrEqual(400);
    await waitForResourceQuota(ns, 'test-quota', used);

    await t.api.delete(`/api/v1/namespaces/${ns}/pods/test-pod`).send({ gracePeriodSeconds: 0 }).expect(200);
    await waitForResourceQuota(ns, 'test-quota', { resourcequotas: '1', pods: '0', cpu: '0', memory: '0', 'ephemeral-storage': '0', [`requests.${EXTENDED}`]: '0' });
  });

  it('[sig-api-machinery] ResourceQuota should create a ResourceQuota and capture the life of a configMap. [Conformance]', async () => {
    const ns = await newNamespace('resourcequota');
    // kube-root-ca.crt is in every namespace already.
    const found = await waitFor(async () => {
      const n = (await t.api.get(`/api/v1/namespaces/${ns}/configmaps`).expect(200)).body.items.length as number;
      return n > 0 && n;
    }, 'the root CA ConfigMap');
    await createQuota(ns, newTestResourceQuota('test-quota', { configmaps: String(found + 1) }));
    await waitForResourceQuota(ns, 'test-quota', { resourcequotas: '1', configmaps: String(found) });
    await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'test-configmap' }, data: { a: 'b' } }).expect(201);
    await waitForResourceQuota(ns, 'test-quota', { configmaps: String(found + 1) });
    await t.api.delete(`/api/v1/namespaces/${ns}/configmaps/test-configmap`).expect(200);
    await waitForResourceQuota(ns, 'test-quota', { configmaps: String(found) });
  });

  it('[sig-api-machinery] ResourceQuota should create a ResourceQuota and capture the life of a replication controller. [Conformance]', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, newTestResourceQuota('test-quota'));
    await waitForResourceQuota(ns, 'test-quota', { resourcequotas: '1', replicationcontrollers: '0' });
    const rc = {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'test-rc' },
      spec: { replicas: 0, selector: { name: 'test-rc' }, template: { metadata: { labels: { name: 'test-rc' } }, spec: { containers: [{ name: 'test-rc', image: 'nginx' }] } } },
    };
    await t.api.post(`/api/v1/namespaces/${ns}/replicationcontrollers`).send(rc).expect(201);
    await waitForResourceQuota(ns, 'test-quota', { replicationcontrollers: '1' });
    await t.api.delete(`/api/v1/namespaces/${ns}/replicationcontrollers/test-rc`).send({ propagationPolicy: 'Background' }).expect(200);
    await waitForResourceQuota(ns, 'test-quota', { replicationcontrollers: '0' });
  });

  it('[sig-api-machinery] ResourceQuota should create a ResourceQuota and capture the life of a replica set. [Conformance]', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, newTestResourceQuota('test-quota'));
    await waitForResourceQuota(ns, 'test-quota', { resourcequotas: '1', 'count/replicasets.apps': '0' });
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'test-rs' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { name: 'test-rs' } },
        template: { metadata: { labels: { name: 'test-rs' } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'test-rs', image: 'nginx' }] } },
      },
    };
    await t.api.post(`/apis/apps/v1/namespaces/${ns}/replicasets`).send(rs).expect(201);
    await waitForResourceQuota(ns, 'test-quota', { 'count/replicasets.apps': '1' });
    await t.api.delete(`/apis/apps/v1/namespaces/${ns}/replicasets/test-rs`).send({ propagationPolicy: 'Background' }).expect(200);
    await waitForResourceQuota(ns, 'test-quota', { 'count/replicasets.apps': '0' });
  });

  it('[sig-api-machinery] ResourceQuota should verify ResourceQuota with terminating scopes. [Conformance]', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, newTestResourceQuotaWithScope('quota-terminating', 'Terminating'));
    await waitForResourceQuota(ns, 'quota-terminating', { pods: '0' });
    await createQuota(ns, newTestResourceQuotaWithScope('quota-not-terminating', 'NotTerminating'));
    await waitForResourceQuota(ns, 'quota-not-terminating', { pods: '0' });

    const requests = { cpu: '500m', memory: '200Mi' };
    const limits = { cpu: '1', memory: '400Mi' };
    const full = { pods: '1', 'requests.cpu': '500m', 'requests.memory': '200Mi', 'limits.cpu': '1', 'limits.memory': '400Mi' };
    const none = { pods: '0', 'requests.cpu': '0', 'requests.memory': '0', 'limits.cpu': '0', 'limits.memory': '0' };

    // A long running pod counts only against NotTerminating.
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(newTestPodForQuota('test-pod', requests, limits)).expect(201);
    await waitForResourceQuota(ns, 'quota-not-terminating', full);
    await waitForResourceQuota(ns, 'quota-terminating', none);
    await t.api.delete(`/api/v1/namespaces/${ns}/pods/test-pod`).send({ gracePeriodSeconds: 0 }).expect(200);
    await waitForResourceQuota(ns, 'quota-not-terminating', none);

    // A pod with activeDeadlineSeconds counts only against Terminating.
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(newTestPodForQuota('terminating-pod', requests, limits, { activeDeadlineSeconds: 3600 })).expect(201);
    await waitForResourceQuota(ns, 'quota-terminating', full);
    await waitForResourceQuota(ns, 'quota-not-terminating', none);
    await t.api.delete(`/api/v1/namespaces/${ns}/pods/terminating-pod`).send({ gracePeriodSeconds: 0 }).expect(200);
    await waitForResourceQuota(ns, 'quota-terminating', none);
  });

  it('[sig-api-machinery] ResourceQuota should verify ResourceQuota with best effort scope. [Conformance]', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, newTestResourceQuotaWithScope('quota-besteffort', 'BestEffort'));
    await waitForResourceQuota(ns, 'quota-besteffort', { pods: '0' });
    await createQuota(ns, newTestResourceQuotaWithScope('quota-not-besteffort', 'NotBestEffort'));
    await waitForResourceQuota(ns, 'quota-not-besteffort', { pods: '0' });

    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(newTestPodForQuota('best-effort-pod')).expect(201);
    await waitForResourceQuota(ns, 'quota-besteffort', { pods: '1' });
    await waitForResourceQuota(ns, 'quota-not-besteffort', { pods: '0' });
    await t.api.delete(`/api/v1/namespaces/${ns}/pods/best-effort-pod`).send({ gracePeriodSeconds: 0 }).expect(200);
    await waitForResourceQuota(ns, 'quota-besteffort', { pods: '0' });

    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(newTestPodForQuota('not-best-effort-pod', { cpu: '500m', memory: '200Mi' }, { cpu: '1', memory: '400Mi' })).expect(201);
    await waitForResourceQuota(ns, 'quota-not-besteffort', { pods: '1' });
    await waitForResourceQuota(ns, 'quota-besteffort', { pods: '0' });
    await t.api.delete(`/api/v1/namespaces/${ns}/pods/not-best-effort-pod`).send({ gracePeriodSeconds: 0 }).expect(200);
    await waitForResourceQuota(ns, 'quota-not-besteffort', { pods: '0' });
  });
});

describe('ResourceQuota beyond the conformance rows', () => {
  it('counts persistentvolumeclaims and their storage, per storage class too', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, newTestResourceQuota('test-quota'));
    await waitForResourceQuota(ns, 'test-quota', { persistentvolumeclaims: '0', 'requests.storage': '0' });
    const pvc = (name: string, storageClassName?: string) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(storageClassName ? { storageClassName } : {}) },
    });
    await t.api.post(`/api/v1/namespaces/${ns}/persistentvolumeclaims`).send(pvc('test-claim')).expect(201);
    await waitForResourceQuota(ns, 'test-quota', { persistentvolumeclaims: '1', 'requests.storage': '1Gi', 'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '0' });
    await t.api.post(`/api/v1/namespaces/${ns}/persistentvolumeclaims`).send(pvc('gold-claim', 'gold')).expect(201);
    await waitForResourceQuota(ns, 'test-quota', {
      persistentvolumeclaims: '2',
      'requests.storage': '2Gi',
      'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
      'gold.storageclass.storage.k8s.io/requests.storage': '1Gi',
    });
    await t.api.delete(`/api/v1/namespaces/${ns}/persistentvolumeclaims/test-claim`).expect(200);
    await t.api.delete(`/api/v1/namespaces/${ns}/persistentvolumeclaims/gold-claim`).expect(200);
    await waitForResourceQuota(ns, 'test-quota', { persistentvolumeclaims: '0', 'requests.storage': '0', 'gold.storageclass.storage.k8s.io/requests.storage': '0' });
  });

  it('selects pods by PriorityClass with In, NotIn, Exists and DoesNotExist', async () => {
    const ns = await newNamespace('resourcequota');
    const scoped = (name: string, operator: string, values?: string[]) => ({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name },
      spec: { hard: { pods: '5' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator, ...(values ? { values } : {}) }] } },
    });
    await createQuota(ns, scoped('gold-in', 'In', ['gold']));
    await createQuota(ns, scoped('gold-notin', 'NotIn', ['gold']));
    await createQuota(ns, scoped('any-class', 'Exists'));
    await createQuota(ns, scoped('no-class', 'DoesNotExist'));
    for (const q of ['gold-in', 'gold-notin', 'any-class', 'no-class']) await waitForResourceQuota(ns, q, { pods: '0' });
    // The pods name PriorityClasses that need not exist: the quota reads only the name.
    for (const [name, pc] of [['gold-pod', 'gold'], ['silver-pod', 'silver']] as const) {
      await t.nodeless.registry.create(t.nodeless.resources.lookup('', 'v1', 'pods')!, ns, newTestPodForQuota(name, {}, {}, { priorityClassName: pc }));
    }
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(newTestPodForQuota('plain-pod')).expect(201);
    await waitForResourceQuota(ns, 'gold-in', { pods: '1' });
    await waitForResourceQuota(ns, 'gold-notin', { pods: '2' });
    await waitForResourceQuota(ns, 'any-class', { pods: '2' });
    await waitForResourceQuota(ns, 'no-class', { pods: '1' });
  });

  it('refuses a pod without the cpu and memory limits a quota tracks, naming the containers', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute' }, spec: { hard: { 'limits.cpu': '2', 'limits.memory': '1Gi', pods: '10' } } });
    await waitForResourceQuota(ns, 'compute', { 'limits.cpu': '0' });
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'no-limits' },
      spec: {
        containers: [
          { name: 'app', image: 'nginx', resources: { limits: { memory: '100Mi' } } },
          { name: 'sidecar', image: 'nginx' },
        ],
      },
    };
    const refused = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod).expect(403);
    expect(refused.body.message).toBe('pods "no-limits" is forbidden: failed quota: compute: must specify limits.cpu for: app,sidecar; limits.memory for: sidecar');
    // Nothing was charged for the refused pod.
    expect((await getQuota(ns, 'compute')).status!.used).toMatchObject({ pods: '0', 'limits.cpu': '0' });
  });

  it('charges a pod the larger of its init containers and its containers, plus overhead', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '10', 'requests.memory': '10Gi', 'limits.cpu': '20' } } });
    await waitForResourceQuota(ns, 'compute', { 'requests.cpu': '0' });
    const c = (name: string, cpu: string, memory: string, extra: Record<string, unknown> = {}) => ({ name, image: 'nginx', resources: { requests: { cpu, memory }, limits: { cpu } }, ...extra });
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sized' },
      spec: {
        // an init container alone needs 2 cpu; the app containers and the sidecar together 1.5 cpu, 600Mi
        initContainers: [c('init', '2', '100Mi'), c('sidecar', '500m', '200Mi', { restartPolicy: 'Always' })],
        containers: [c('a', '500m', '200Mi'), c('b', '500m', '200Mi')],
        overhead: { cpu: '250m', memory: '64Mi' },
      },
    };
    await t.nodeless.registry.create(t.nodeless.resources.lookup('', 'v1', 'pods')!, ns, pod);
    // requests: cpu max(2, 1.5) + 0.25 = 2.25; memory max(100Mi, 600Mi) + 64Mi = 664Mi; limits.cpu likewise 2.25
    await waitForResourceQuota(ns, 'compute', { 'requests.cpu': '2250m', 'requests.memory': '664Mi', 'limits.cpu': '2250m' });
  });

  it('does not count terminal pods against pods or compute, but keeps them in count/pods', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: '1', 'count/pods': '10', 'requests.cpu': '1' } } });
    await waitForResourceQuota(ns, 'q', { pods: '0' });
    const created = (await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(newTestPodForQuota('done', { cpu: '1' })).expect(201)).body;
    await waitForResourceQuota(ns, 'q', { pods: '1', 'count/pods': '1', 'requests.cpu': '1' });
    // pods=1 is used up: another pod is refused.
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(newTestPodForQuota('second', { cpu: '1' })).expect(403);
    created.status = { ...created.status, phase: 'Succeeded' };
    await t.api.put(`/api/v1/namespaces/${ns}/pods/done/status`).send(created).expect(200);
    await waitForResourceQuota(ns, 'q', { pods: '0', 'count/pods': '1', 'requests.cpu': '0' });
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(newTestPodForQuota('second', { cpu: '1' })).expect(201);
    await waitForResourceQuota(ns, 'q', { pods: '1', 'count/pods': '2' });
  });

  it('counts any served kind named as count/<resource>.<group>', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'objects' }, spec: { hard: { 'count/deployments.apps': '1', 'count/serviceaccounts': '5' } } });
    // the namespace's default ServiceAccount is counted
    await waitForResourceQuota(ns, 'objects', { 'count/deployments.apps': '0', 'count/serviceaccounts': '1' });
    const deploy = (name: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deploy('one')).expect(201);
    await waitForResourceQuota(ns, 'objects', { 'count/deployments.apps': '1' });
    const refused = await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deploy('two')).expect(403);
    expect(refused.body.message).toBe(
      'deployments.apps "two" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1',
    );
  });

  it('charges an update by what it adds: a ClusterIP service turned LoadBalancer needs a free load balancer', async () => {
    // (NodePort, kube's usual case here, is refused outright: there are no nodes.)
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'lbs' }, spec: { hard: { services: '5', 'services.loadbalancers': '1' } } });
    await waitForResourceQuota(ns, 'lbs', { services: '0' });
    const svc = (name: string, type: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type, ports: [{ port: 80 }] } });
    await t.api.post(`/api/v1/namespaces/${ns}/services`).send(svc('lb', 'LoadBalancer')).expect(201);
    await t.api.post(`/api/v1/namespaces/${ns}/services`).send(svc('plain', 'ClusterIP')).expect(201);
    await waitForResourceQuota(ns, 'lbs', { services: '2', 'services.loadbalancers': '1' });
    // A label change costs nothing more.
    await t.api.patch(`/api/v1/namespaces/${ns}/services/plain`).set('Content-Type', 'application/merge-patch+json').send(JSON.stringify({ metadata: { labels: { a: 'b' } } })).expect(200);
    const refused = await t.api
      .patch(`/api/v1/namespaces/${ns}/services/plain`)
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ spec: { type: 'LoadBalancer' } }))
      .expect(403);
    expect(refused.body.message).toBe('services "plain" is forbidden: exceeded quota: lbs, requested: services.loadbalancers=1, used: services.loadbalancers=1, limited: services.loadbalancers=1');
    await t.api.delete(`/api/v1/namespaces/${ns}/services/lb`).expect(200);
    await waitForResourceQuota(ns, 'lbs', { services: '1', 'services.loadbalancers': '0' });
    await t.api.patch(`/api/v1/namespaces/${ns}/services/plain`).set('Content-Type', 'application/merge-patch+json').send(JSON.stringify({ spec: { type: 'LoadBalancer' } })).expect(200);
    await waitForResourceQuota(ns, 'lbs', { services: '1', 'services.loadbalancers': '1' });
  });

  it('follows a change of spec.hard: status.hard is copied and the new names are counted, removed ones dropped', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { configmaps: '5' } } });
    await waitForResourceQuota(ns, 'q', { configmaps: '1' });
    await t.api
      .patch(`/api/v1/namespaces/${ns}/resourcequotas/q`)
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ spec: { hard: { configmaps: null, 'count/serviceaccounts': '3' } } }))
      .expect(200);
    const q = await waitForResourceQuota(ns, 'q', { 'count/serviceaccounts': '1' });
    expect(q.status).toEqual({ hard: { 'count/serviceaccounts': '3' }, used: { 'count/serviceaccounts': '1' } });
  });

  it('lets only one of two simultaneous creates through when one slot is left', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'one' }, spec: { hard: { configmaps: '2' } } });
    await waitForResourceQuota(ns, 'one', { configmaps: '1' });
    const cm = (name: string) => t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
    const results = await Promise.all([cm('a'), cm('b'), cm('c')]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 403, 403]);
    await waitForResourceQuota(ns, 'one', { configmaps: '2' });
  });

  it('checks but does not charge a dry run', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { configmaps: '2' } } });
    await waitForResourceQuota(ns, 'q', { configmaps: '1' });
    await t.api.post(`/api/v1/namespaces/${ns}/configmaps?dryRun=All`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } }).expect(201);
    expect((await getQuota(ns, 'q')).status!.used).toEqual({ configmaps: '1' });
    await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'real' } }).expect(201);
    await t.api.post(`/api/v1/namespaces/${ns}/configmaps?dryRun=All`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } }).expect(403);
  });

  it('gives back a charge whose write never happened when it recounts', async () => {
    const ns = await newNamespace('resourcequota');
    await createQuota(ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { configmaps: '5' } } });
    await waitForResourceQuota(ns, 'q', { configmaps: '1' });
    // A create of a name that is taken is charged by admission and then fails in the store.
    await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt' } }).expect(409);
    // The next change in the namespace recounts from the objects themselves.
    await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }).expect(201);
    await waitForResourceQuota(ns, 'q', { configmaps: '2' });
  });
});
