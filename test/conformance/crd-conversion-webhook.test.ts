/**
 * Conformance mirrors of kube's test/e2e/apimachinery/crd_conversion_webhook.go
 * ([sig-api-machinery] CustomResourceConversionWebhook [Privileged:ClusterAdmin]), by name.
 * Upstream deploys agnhost's crd-conversion-webhook as a pod behind the Service
 * e2e-test-crd-conversion-webhook (port 9443, path /crdconvert); here the webhook is an HTTPS
 * server the test runs, reached through that Service and an EndpointSlice naming it, and it
 * converts as agnhost's example converter does: v1's hostPort "host:port" is v2's host and port.
 */
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { startWebhookServer, type WebhookServer } from '../helpers/webhook-server';
import { CRDS, createEstablished } from '../crd/helpers';

const NAMESPACE = 'crd-webhook-conformance';
const SERVICE = 'e2e-test-crd-conversion-webhook';
const SERVICE_PORT = 9443;
const GROUP = 'stable.example.com';

let t: TestServer;
let hooks: WebhookServer;

type Obj = Record<string, any>;

// exampleConversion is agnhost's example converter: hostPort <-> host and port, at the object's root.
function exampleConversion(obj: Obj, desired: string): Obj | string {
  const out = structuredClone(obj);
  if (desired === `${GROUP}/v2` && 'hostPort' in out) {
    const parts = String(out.hostPort).split(':');
    if (parts.length !== 2) return `invalid hostPort value \`${out.hostPort}\``;
    delete out.hostPort;
    [out.host, out.port] = parts;
  } else if (desired === `${GROUP}/v1` && ('host' in out || 'port' in out)) {
    out.hostPort = `${out.host ?? ''}:${out.port ?? ''}`;
    delete out.host;
    delete out.port;
  }
  out.apiVersion = desired;
  return out;
}

beforeAll(async () => {
  t = await startTestServer();
  hooks = await startWebhookServer([`${SERVICE}.${NAMESPACE}.svc`]);
  hooks.handle('/crdconvert', (review) => {
    const converted = review.request.objects.map((o: Obj) => exampleConversion(o, review.request.desiredAPIVersion));
    const failure = converted.find((c: Obj | string) => typeof c === 'string');
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'ConversionReview',
      response: failure
        ? { uid: review.request.uid, result: { status: 'Failure', message: failure } }
        : { uid: review.request.uid, convertedObjects: converted, result: { status: 'Success' } },
    };
  });
  // The webhook's Service, and the EndpointSlice that a ready webhook pod would give it.
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }).expect(201);
  await t.api
    .post(`/api/v1/namespaces/${NAMESPACE}/services`)
    .send({ apiVersion: 'v1', kind: 'Service', metadata: { name: SERVICE, labels: { test: 'crd-webhook' } }, spec: { ports: [{ protocol: 'TCP', port: SERVICE_PORT, targetPort: 9444 }] } })
    .expect(201);
  await t.api
    .post(`/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices`)
    .send({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${SERVICE}-1`, labels: { 'kubernetes.io/service-name': SERVICE } },
      addressType: 'IPv4',
      ports: [{ port: hooks.port, protocol: 'TCP' }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    })
    .expect(201);
});
afterAll(async () => {
  await t.close();
  await hooks.close();
});

const versions = (storage: 'v1' | 'v2') => [
  { name: 'v1', served: true, storage: storage === 'v1', schema: { openAPIV3Schema: { type: 'object', properties: { hostPort: { type: 'string' } } } } },
  { name: 'v2', served: true, storage: storage === 'v2', schema: { openAPIV3Schema: { type: 'object', properties: { host: { type: 'string' }, port: { type: 'string' } } } } },
];

// multiVersionCRD is crd.CreateMultiVersionTestCRD's CRD with the test's versions and conversion.
async function multiVersionCRD(suffix: string): Promise<{ name: string; kind: string; path: (version: string) => string }> {
  const plural = `e2e-test-crd-webhook-${suffix}-crds`;
  const kind = `E2e-test-crd-webhook-${suffix}-crd`;
  await createEstablished(t.api, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural, singular: `e2e-test-crd-webhook-${suffix}-crd`, kind, listKind: `${kind}List` },
      versions: versions('v1'),
      conversion: {
        strategy: 'Webhook',
        webhook: {
          clientConfig: { caBundle: hooks.caBundle, service: { namespace: NAMESPACE, name: SERVICE, path: '/crdconvert', port: SERVICE_PORT } },
          conversionReviewVersions: ['v1', 'v1beta1'],
        },
      },
      preserveUnknownFields: false,
    },
  });
  const path = (version: string) => `/apis/${GROUP}/${version}/namespaces/${NAMESPACE}/${plural}`;
  // waitWebhookConversionReady: a stub created in v2 (stored in v1) succeeds once conversion works.
  await waitFor(async () => (await t.api.post(path('v2')).send({ apiVersion: `${GROUP}/v2`, kind, metadata: { name: `stub-${suffix}` } })).status === 201, 'webhook conversion to be ready');
  await t.api.delete(`${path('v2')}/stub-${suffix}`).expect(200);
  return { name: `${plural}.${GROUP}`, kind, path };
}

const expectV1 = (obj: Obj) => {
  expect(obj.apiVersion).toBe(`${GROUP}/v1`);
  expect(obj.hostPort).toBe('localhost:8080');
  expect('host' in obj).toBe(false);
  expect('port' in obj).toBe(false);
};
const expectV2 = (obj: Obj) => {
  expect(obj.apiVersion).toBe(`${GROUP}/v2`);
  expect('hostPort' in obj).toBe(false);
  expect(obj.host).toBe('localhost');
  expect(obj.port).toBe('8080');
};

describe('[sig-api-machinery] CustomResourceConversionWebhook [Privileged:ClusterAdmin]', () => {
  it('should be able to convert from CR v1 to CR v2 [Conformance]', async () => {
    const crd = await multiVersionCRD('one');
    await t.api
      .post(crd.path('v1'))
      .send({ kind: crd.kind, apiVersion: `${GROUP}/v1`, metadata: { name: 'cr-instance-1', namespace: NAMESPACE }, hostPort: 'localhost:8080' })
      .expect(201);
    expectV2((await t.api.get(`${crd.path('v2')}/cr-instance-1`).expect(200)).body);
  });

  it('should be able to convert a non homogeneous list of CRs [Conformance]', async () => {
    const crd = await multiVersionCRD('list');
    const instance = (name: string) => ({ kind: crd.kind, apiVersion: `${GROUP}/v1`, metadata: { name, namespace: NAMESPACE }, hostPort: 'localhost:8080' });
    await t.api.post(crd.path('v1')).send(instance('cr-instance-1')).expect(201);
    // cr-instance-1 is stored as v1; the storage version becomes v2.
    const current = (await t.api.get(`${CRDS}/${crd.name}`).expect(200)).body;
    current.spec.versions = versions('v2');
    await t.api.put(`${CRDS}/${crd.name}`).send(current).expect(200);
    // Upstream retries its create until the new storage version is in effect; here that is when
    // the CRD controller serves the new definitions.
    const plural = crd.name.split('.')[0];
    await waitFor(() => (t.nodeless.resources.lookup(GROUP, 'v1', plural) as { storageVersion?: string } | undefined)?.storageVersion === 'v2', 'the v2 storage version to be served');
    await t.api.post(crd.path('v1')).send(instance('cr-instance-2')).expect(201);
    // The list is not homogeneous in storage: one object in each version.
    const def = t.nodeless.resources.lookup(GROUP, 'v1', plural)!;
    const storedVersion = async (name: string) => JSON.parse((await t.nodeless.store.get(t.nodeless.registry.key(def, NAMESPACE, name))).value).apiVersion;
    expect(await storedVersion('cr-instance-1')).toBe(`${GROUP}/v1`);
    expect(await storedVersion('cr-instance-2')).toBe(`${GROUP}/v2`);
    for (const [version, check] of [['v1', expectV1], ['v2', expectV2]] as const) {
      const list = (await t.api.get(crd.path(version)).expect(200)).body;
      expect(list.items.map((i: Obj) => i.metadata.name).sort()).toEqual(['cr-instance-1', 'cr-instance-2']);
      list.items.forEach(check);
    }
  });
});
