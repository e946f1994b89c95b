/**
 * Admission webhooks against a small HTTPS server the test runs: validating webhooks deny with
 * kube's message, mutating webhooks' JSON patches are applied (and their warnings reach the
 * client), the AdmissionReview carries the fields kube sends, namespace and object selectors
 * narrow the requests, failurePolicy decides what an unreachable or slow webhook does, a
 * `service` reference is resolved through hand-written EndpointSlices or Endpoints, and the
 * in-process Client's writes go through the same webhooks.
 */
import { CONFIG_MAPS } from '../../controllers/runtime/client';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { allow, deny, startWebhookServer, type WebhookServer } from '../helpers/webhook-server';

let t: TestServer;
let hooks: WebhookServer;
beforeAll(async () => {
  t = await startTestServer({ controllers: false });
  hooks = await startWebhookServer(['webhook-svc.hooks-ns.svc']);
});
afterAll(async () => {
  await t.close();
  await hooks.close();
});

const newNamespace = namespaceMaker(() => t);
const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';

// Each test's webhooks select only its own namespace, so tests do not see each other's.
function webhook(name: string, ns: string, path: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    clientConfig: { url: `${hooks.url}${path}`, caBundle: hooks.caBundle },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...extra,
  };
}

async function install(kind: 'validating' | 'mutating', name: string, webhooks: unknown[]): Promise<void> {
  await t.api
    .post(kind === 'validating' ? VWC : MWC)
    .send({ apiVersion: 'admissionregistration.k8s.io/v1', kind: kind === 'validating' ? 'ValidatingWebhookConfiguration' : 'MutatingWebhookConfiguration', metadata: { name }, webhooks })
    .expect(201);
  const cache = kind === 'validating' ? t.nodeless.webhooks.validating : t.nodeless.webhooks.mutating;
  await waitFor(() => cache.get(name), `${name} in the webhook cache`);
}

function configMap(name: string, data: Record<string, string> = {}, labels?: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

test('a validating webhook denies a create with kube message and lets others through', async () => {
  const ns = await newNamespace('vdeny');
  hooks.handle('/deny-bad', (r) => (r.request.object.data?.bad ? deny(r, 'the data has a "bad" key') : allow(r)));
  await install('validating', 'deny-bad.example.com', [webhook('deny-bad.example.com', ns, '/deny-bad')]);
  const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('nope', { bad: 'x' })).expect(400);
  expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', code: 400, message: 'admission webhook "deny-bad.example.com" denied the request: the data has a "bad" key' });
  await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('fine', { good: 'x' })).expect(201);
  // An update that adds the key is denied as well (UPDATE is in the rule).
  const upd = await t.api.put(`/api/v1/namespaces/${ns}/configmaps/fine`).send(configMap('fine', { bad: 'y' })).expect(400);
  expect(upd.body.message).toContain('denied the request');
});

test('the AdmissionReview carries the request fields kube sends', async () => {
  const ns = await newNamespace('review');
  hooks.handle('/record', (r) => allow(r));
  await install('validating', 'record.example.com', [webhook('record.example.com', ns, '/record')]);
  const before = hooks.received.length;
  await t.api.post(`/api/v1/namespaces/${ns}/configmaps?fieldManager=tester`).send(configMap('seen', { a: '1' })).expect(201);
  await t.api.put(`/api/v1/namespaces/${ns}/configmaps/seen?dryRun=All`).send(configMap('seen', { a: '2' })).expect(200);
  const mine = hooks.received.slice(before).filter((x) => x.path.startsWith('/record'));
  expect(mine).toHaveLength(2);
  expect(mine[0].path).toBe('/record?timeout=10s');
  const create = mine[0].body;
  expect(create).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  expect(create.request).toMatchObject({
    kind: { group: '', version: 'v1', kind: 'ConfigMap' },
    resource: { group: '', version: 'v1', resource: 'configmaps' },
    requestKind: { group: '', version: 'v1', kind: 'ConfigMap' },
    requestResource: { group: '', version: 'v1', resource: 'configmaps' },
    name: 'seen',
    namespace: ns,
    operation: 'CREATE',
    dryRun: false,
    oldObject: null,
    options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'tester' },
  });
  expect(create.request.uid).toMatch(/^[0-9a-f-]{36}$/);
  expect(create.request.userInfo.username).toBeTruthy();
  expect(create.request.object.data).toEqual({ a: '1' });
  const update = mine[1].body.request;
  expect(update).toMatchObject({ operation: 'UPDATE', dryRun: true, options: { kind: 'UpdateOptions', dryRun: ['All'] } });
  expect(update.oldObject.data).toEqual({ a: '1' });
  expect(update.object.data).toEqual({ a: '2' });
  expect(update.uid).not.toBe(create.request.uid);
});

test('a mutating webhook patches the object, and its warnings reach the client', async () => {
  const ns = await newNamespace('mutate');
  hooks.handle('/add-label', (r) => allow(r, [{ op: 'add', path: '/data/mutated', value: 'yes' }], ['the webhook changed data']));
  await install('mutating', 'add-label.example.com', [webhook('add-label.example.com', ns, '/add-label')]);
  const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('patched', { a: '1' })).expect(201);
  expect(res.body.data).toEqual({ a: '1', mutated: 'yes' });
  expect(res.headers.warning).toBe('299 - "the webhook changed data"');
  const stored = (await t.api.get(`/api/v1/namespaces/${ns}/configmaps/patched`).expect(200)).body;
  expect(stored.data.mutated).toBe('yes');
  // The in-process Client's writes go through the same webhook.
  const created = await t.nodeless.client.create(CONFIG_MAPS, ns, configMap('from-client', { b: '2' }));
  expect((created as { data?: Record<string, string> }).data).toEqual({ b: '2', mutated: 'yes' });
});

test('mutating webhooks run before validating ones, and IfNeeded webhooks are called again after a later change', async () => {
  const ns = await newNamespace('order');
  const calls: string[] = [];
  hooks.handle('/first', (r) => {
    calls.push(`first:${Object.keys(r.request.object.data ?? {}).sort().join(',')}`);
    return allow(r, r.request.object.data?.first ? undefined : [{ op: 'add', path: '/data/first', value: '1' }]);
  });
  hooks.handle('/second', (r) => {
    calls.push('second');
    return allow(r, r.request.object.data?.second ? undefined : [{ op: 'add', path: '/data/second', value: '2' }]);
  });
  hooks.handle('/check', (r) => (r.request.object.data?.first && r.request.object.data?.second ? allow(r) : deny(r, 'mutations missing')));
  await install('mutating', 'order-a.example.com', [
    webhook('first.example.com', ns, '/first', { reinvocationPolicy: 'IfNeeded' }),
    webhook('second.example.com', ns, '/second'),
  ]);
  await install('validating', 'order-check.example.com', [webhook('check.example.com', ns, '/check')]);
  const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'o' }, data: {} }).expect(201);
  expect(res.body.data).toEqual({ first: '1', second: '2' });
  // first saw the object before second changed it, so it was invoked once more and saw both.
  expect(calls).toEqual(['first:', 'second', 'first:first,second']);
});

test('namespaceSelector and objectSelector narrow which requests reach a webhook', async () => {
  const ns = await newNamespace('selectors');
  const other = await newNamespace('selectors-other');
  hooks.handle('/deny-all', (r) => deny(r, 'selected'));
  await install('validating', 'selected.example.com', [
    webhook('selected.example.com', ns, '/deny-all', { objectSelector: { matchExpressions: [{ key: 'guarded', operator: 'Exists' }] } }),
  ]);
  const guarded = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('g', {}, { guarded: 'true' })).expect(400);
  expect(guarded.body.message).toBe('admission webhook "selected.example.com" denied the request: selected');
  await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('plain')).expect(201);
  await t.api.post(`/api/v1/namespaces/${other}/configmaps`).send(configMap('g', {}, { guarded: 'true' })).expect(201);
  // An update that removes the label still matches: the old object carried it.
  await t.api.patch(`/api/v1/namespaces/${ns}/configmaps/plain`).set('Content-Type', 'application/merge-patch+json').send({ metadata: { labels: { guarded: 'x' } } }).expect(400);
});

test('failurePolicy: an unreachable webhook fails the request with kube InternalError, or is ignored', async () => {
  const ns = await newNamespace('failure');
  const nowhere = { url: 'https://127.0.0.1:1/nowhere', caBundle: hooks.caBundle };
  await install('validating', 'fail-closed.example.com', [webhook('fail-closed.example.com', ns, '', { clientConfig: nowhere, failurePolicy: 'Fail' })]);
  const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('x')).expect(500);
  expect(res.body).toMatchObject({ reason: 'InternalError', code: 500 });
  expect(res.body.message).toBe(
    'Internal error occurred: failed calling webhook "fail-closed.example.com": failed to call webhook: Post "https://127.0.0.1:1/nowhere?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused',
  );
  await t.api.delete(`${VWC}/fail-closed.example.com`).expect(200);
  await waitFor(() => !t.nodeless.webhooks.validating.get('fail-closed.example.com'), 'the webhook gone from the cache');
  await install('validating', 'fail-open.example.com', [webhook('fail-open.example.com', ns, '', { clientConfig: nowhere, failurePolicy: 'Ignore' })]);
  await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('y')).expect(201);
});

test('a webhook slower than timeoutSeconds fails the request with context deadline exceeded', async () => {
  const ns = await newNamespace('timeout');
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  hooks.handle('/slow', async (r) => {
    await held;
    return allow(r);
  });
  await install('validating', 'slow.example.com', [webhook('slow.example.com', ns, '/slow', { timeoutSeconds: 1 })]);
  try {
    const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('late')).expect(500);
    expect(res.body.message).toMatch(/^Internal error occurred: failed calling webhook "slow.example.com": failed to call webhook: Post "https:\/\/127.0.0.1:\d+\/slow\?timeout=1s": context deadline exceeded$/);
  } finally {
    release();
  }
});

test('a caBundle that did not sign the webhook certificate is a TLS failure', async () => {
  const ns = await newNamespace('badca');
  const stranger = await startWebhookServer();
  try {
    await install('validating', 'badca.example.com', [webhook('badca.example.com', ns, '/x', { clientConfig: { url: `${hooks.url}/x`, caBundle: stranger.caBundle } })]);
    const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('z')).expect(500);
    expect(res.body.message).toContain('x509: certificate signed by unknown authority');
  } finally {
    await stranger.close();
  }
});

test('a webhook Service is reached through its ready EndpointSlice address, or its Endpoints', async () => {
  // The certificate names webhook-svc.hooks-ns.svc: the server verifies the Service's DNS name.
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'hooks-ns' } }).expect(201);
  const ns = await newNamespace('service');
  await t.api
    .post('/api/v1/namespaces/hooks-ns/services')
    .send({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'webhook-svc' }, spec: { clusterIP: '10.96.200.10', ports: [{ name: 'https', port: 443, targetPort: 8443 }] } })
    .expect(201);
  hooks.handle('/svc', (r) => deny(r, 'denied through the service'));
  const service = { service: { namespace: 'hooks-ns', name: 'webhook-svc', path: '/svc', port: 443 }, caBundle: hooks.caBundle };
  await install('validating', 'svc.example.com', [webhook('svc.example.com', ns, '', { clientConfig: service })]);
  // No endpoints yet: the error explains that the cluster IP is not routed.
  const none = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('a')).expect(500);
  expect(none.body.message).toContain('failed calling webhook "svc.example.com": failed to call webhook: no endpoints available for service "webhook-svc"');
  expect(none.body.message).toContain('nodeless has no cluster network');
  await t.api
    .post('/apis/discovery.k8s.io/v1/namespaces/hooks-ns/endpointslices')
    .send({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'webhook-svc-1', labels: { 'kubernetes.io/service-name': 'webhook-svc' } },
      addressType: 'IPv4',
      ports: [{ name: 'https', port: hooks.port, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['127.0.0.2'], conditions: { ready: false } },
        { addresses: ['127.0.0.1'], conditions: { ready: true } },
      ],
    })
    .expect(201);
  const viaSlice = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('b')).expect(400);
  expect(viaSlice.body.message).toBe('admission webhook "svc.example.com" denied the request: denied through the service');
  // Without slices, the Endpoints object is read.
  await t.api.delete('/apis/discovery.k8s.io/v1/namespaces/hooks-ns/endpointslices/webhook-svc-1').expect(200);
  await t.api
    .post('/api/v1/namespaces/hooks-ns/endpoints')
    .send({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'webhook-svc' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: hooks.port }] }] })
    .expect(201);
  const viaEndpoints = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('c')).expect(400);
  expect(viaEndpoints.body.message).toContain('denied through the service');
});

test('a webhook that answers a different uid or no response is a failed call', async () => {
  const ns = await newNamespace('baduid');
  hooks.handle('/baduid', () => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'other', allowed: true } }));
  await install('validating', 'baduid.example.com', [webhook('baduid.example.com', ns, '/baduid')]);
  const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('u')).expect(500);
  expect(res.body.message).toMatch(/failed calling webhook "baduid.example.com": failed to call webhook: expected response.uid="[0-9a-f-]+", got "other"$/);
});

test('webhook configurations themselves are never sent to webhooks, so a webhook that denies everything can be removed', async () => {
  const ns = await newNamespace('exempt');
  hooks.handle('/deny-everything', (r) => deny(r, 'no'));
  await install('validating', 'deny-everything.example.com', [
    webhook('deny-everything.example.com', ns, '/deny-everything', {
      rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'] }],
      namespaceSelector: {},
    }),
  ]);
  try {
    // The configuration can still be changed and removed, though it denies every other write.
    const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('d')).expect(400);
    expect(res.body.message).toContain('deny-everything.example.com');
  } finally {
    await t.api.delete(`${VWC}/deny-everything.example.com`).expect(200);
    await waitFor(() => !t.nodeless.webhooks.validating.get('deny-everything.example.com'), 'the webhook gone');
  }
  await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('d')).expect(201);
});

test('matchConditions in CEL decide whether a webhook is called; an error fails closed under Fail and is skipped under Ignore', async () => {
  const ns = await newNamespace('conditions');
  hooks.handle('/cond', (r) => deny(r, 'matched'));
  await install('validating', 'cond.example.com', [
    webhook('cond.example.com', ns, '/cond', {
      matchConditions: [
        { name: 'is-create', expression: "request.operation == 'CREATE'" },
        { name: 'marked', expression: "has(object.metadata.labels) && 'check' in object.metadata.labels" },
      ],
    }),
  ]);
  const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('m', {}, { check: 'yes' })).expect(400);
  expect(res.body.message).toBe('admission webhook "cond.example.com" denied the request: matched');
  await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('unmarked')).expect(201);
  // UPDATE: the first condition is false, so the webhook is not called.
  await t.api.put(`/api/v1/namespaces/${ns}/configmaps/unmarked`).send(configMap('unmarked', {}, { check: 'yes' })).expect(200);
  const ns2 = await newNamespace('conditions-error');
  await install('validating', 'cond-error.example.com', [webhook('cond-error.example.com', ns2, '/cond', { matchConditions: [{ name: 'missing-key', expression: "object.data['nope'] == 'x'" }] })]);
  // As kube's dispatcher: 403 Forbidden naming the resource, with the matcher's error (the expression, not the condition's name).
  const failed = await t.api.post(`/api/v1/namespaces/${ns2}/configmaps`).send(configMap('e', { a: 'b' })).expect(403);
  expect(failed.body).toMatchObject({ reason: 'Forbidden', code: 403, details: { name: 'e', kind: 'configmaps' } });
  expect(failed.body.message).toBe(`configmaps "e" is forbidden: expression 'object.data['nope'] == 'x'' resulted in error: no such key: nope`);
  // Several errors are listed together, as kube's aggregate error prints them.
  const ns4 = await newNamespace('conditions-errors');
  await install('validating', 'cond-errors.example.com', [
    webhook('cond-errors.example.com', ns4, '/cond', {
      matchConditions: [
        { name: 'missing-key', expression: "object.data['nope'] == 'x'" },
        { name: 'other-key', expression: "object.data['other'] == 'y'" },
      ],
    }),
  ]);
  const both = await t.api.post(`/api/v1/namespaces/${ns4}/configmaps`).send(configMap('f', { a: 'b' })).expect(403);
  expect(both.body.message).toBe(
    `configmaps "f" is forbidden: [expression 'object.data['nope'] == 'x'' resulted in error: no such key: nope, expression 'object.data['other'] == 'y'' resulted in error: no such key: other]`,
  );
  const ns3 = await newNamespace('conditions-ignore');
  await install('validating', 'cond-ignore.example.com', [
    webhook('cond-ignore.example.com', ns3, '/cond', { failurePolicy: 'Ignore', matchConditions: [{ name: 'missing-key', expression: "object.data['nope'] == 'x'" }] }),
  ]);
  await t.api.post(`/api/v1/namespaces/${ns3}/configmaps`).send(configMap('e', { a: 'b' })).expect(201);
});

test('a webhook configuration whose matchConditions do not compile is refused with 422', async () => {
  const res = await t.api
    .post(VWC)
    .send({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'broken-conditions' },
      webhooks: [webhook('broken.example.com', 'default', '/x', { matchConditions: [{ name: 'bad', expression: 'object.metadata.name ==' }] })],
    })
    .expect(422);
  expect(res.body.details.causes[0].field).toBe('webhooks[0].matchConditions[0].expression');
  expect(res.body.details.causes[0].message).toMatch(/^Invalid value: "object.metadata.name ==": compilation failed: ERROR: <input>:1:\d+: Syntax error: /);
});
