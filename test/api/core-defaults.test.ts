/**
 * core/v1 defaulting as kube-apiserver's SetDefaults_* functions: stored Pods, pod templates,
 * ReplicationControllers, Services and Namespaces carry the values a real cluster fills in.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
const ns = 'core-defaults';
beforeAll(async () => {
  t = await startTestServer();
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).expect(201);
});
afterAll(() => t.close());

type Obj = Record<string, unknown>;
const IMAGE = 'registry.k8s.io/pause:3.9';

// A container and volumes that exercise every container- and volume-level default.
const container = (): Obj => ({
  name: 'c',
  image: 'nginx',
  ports: [{ containerPort: 80 }],
  env: [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
  ],
  livenessProbe: { httpGet: { port: 80 } },
  lifecycle: { preStop: { httpGet: { port: 80 } } },
  resources: { limits: { cpu: '500m', memory: '128Mi' } },
  volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }],
});
const volumes = (): Obj[] => [
  { name: 'cfg', configMap: { name: 'cfg' } },
  { name: 'sec', secret: { secretName: 's' } },
  { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
  { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } },
  { name: 'host', hostPath: { path: '/var/log' } },
  { name: 'scratch' },
];

function expectSpecDefaults(spec: Obj) {
  expect(spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler', securityContext: {} });
  const c = (spec.containers as Obj[])[0];
  expect(c).toMatchObject({
    imagePullPolicy: 'Always',
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    ports: [{ containerPort: 80, protocol: 'TCP' }],
    livenessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    lifecycle: { preStop: { httpGet: { port: 80, path: '/', scheme: 'HTTP' } } },
  });
  expect((c.env as Obj[])[0]).toEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } });
  expect((c.env as Obj[])[1]).toEqual({ name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '0' } } });
  // A Pod also gets the service account token volume from admission, after these.
  expect((spec.volumes as Obj[]).slice(0, 6)).toEqual([
    { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } },
    { name: 'sec', secret: { secretName: 's', defaultMode: 420 } },
    { name: 'info', downwardAPI: { defaultMode: 420, items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } },
    {
      name: 'proj',
      projected: {
        defaultMode: 420,
        sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }],
      },
    },
    { name: 'host', hostPath: { path: '/var/log', type: '' } },
    { name: 'scratch', emptyDir: {} },
  ]);
}

describe('core/v1 defaults', () => {
  it('a Pod gets the PodSpec, container, probe, volume and field-selector defaults, and requests from limits', async () => {
    const res = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [container()], volumes: volumes() } }).expect(201);
    expectSpecDefaults(res.body.spec);
    expect(res.body.spec.enableServiceLinks).toBe(true);
    expect(res.body.spec.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '500m', memory: '128Mi' } });
  });

  it('picks imagePullPolicy from the image tag as SetDefaults_Container does', async () => {
    const images = ['nginx:latest', 'nginx:1.27', 'nginx@sha256:' + 'a'.repeat(64), 'localhost:5000/app'];
    const containers = images.map((image, i) => ({ name: `c${i}`, image }));
    const res = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pulls' }, spec: { containers } }).expect(201);
    expect(res.body.spec.containers.map((c: Obj) => c.imagePullPolicy)).toEqual(['Always', 'IfNotPresent', 'IfNotPresent', 'Always']);
  });

  it('a PodTemplate gets the same container defaults, but not the Pod-only ones', async () => {
    const res = await t.api
      .post(`/api/v1/namespaces/${ns}/podtemplates`)
      .send({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'pt' }, template: { metadata: { labels: { app: 'pt' } }, spec: { containers: [container()], volumes: volumes() } } })
      .expect(201);
    expectSpecDefaults(res.body.template.spec);
    expect(res.body.template.spec.enableServiceLinks).toBeUndefined();
    expect(res.body.template.spec.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '128Mi' } });
  });

  it('a ReplicationController without selector or labels takes them from its template, with one replica', async () => {
    const res = await t.api
      .post(`/api/v1/namespaces/${ns}/replicationcontrollers`)
      .send({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: IMAGE }] } } } })
      .expect(201);
    expect(res.body.metadata.labels).toEqual({ app: 'web' });
    expect(res.body.spec.selector).toEqual({ app: 'web' });
    expect(res.body.spec.replicas).toBe(1);
    expect(res.body.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' });
  });

  it('a Service gets session affinity, traffic policies and target ports; a LoadBalancer allocateLoadBalancerNodePorts false', async () => {
    const res = await t.api
      .post(`/api/v1/namespaces/${ns}/services`)
      .send({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 0 }] } })
      .expect(201);
    expect(res.body.spec).toMatchObject({
      type: 'LoadBalancer',
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      externalTrafficPolicy: 'Cluster',
      internalTrafficPolicy: 'Cluster',
      // false, not kube's true: nodeless has no nodes to open node ports on.
      allocateLoadBalancerNodePorts: false,
      ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }],
    });
    expect(res.body.status).toEqual({ loadBalancer: {} });
  });

  it('a Namespace carries the kubernetes.io/metadata.name label', async () => {
    const res = await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'labelled' } }).expect(201);
    expect(res.body.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'labelled' });
  });
});
