/**
 * Conformance mirrors of kube's test/e2e/apimachinery/webhook.go ([sig-api-machinery]
 * AdmissionWebhook [Privileged:ClusterAdmin]), by name, for the tests that need no running pod.
 * Upstream deploys the webhook as a pod behind a Service; here the webhook is an HTTPS server the
 * test runs, reached by url, and the same handlers (deny a marked configmap, add mutation stages,
 * add an init container, hang past the timeout) answer as the e2e webhook image does.
 */
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { allow, deny, startWebhookServer, type WebhookServer } from '../helpers/webhook-server';
import { CRDS, crdManifest, createEstablished } from '../crd/helpers';

let t: TestServer;
let hooks: WebhookServer;
beforeAll(async () => {
  t = await startTestServer();
  hooks = await startWebhookServer();
  installHandlers(hooks);
});
afterAll(async () => {
  await t.close();
  await hooks.close();
});

const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });
const GROUP = '/apis/admissionregistration.k8s.io/v1';
const VWC = `${GROUP}/validatingwebhookconfigurations`;
const MWC = `${GROUP}/mutatingwebhookconfigurations`;
const DISALLOWED = { 'webhook-e2e-test': 'webhook-disallow' };

// The handlers of kube's agnhost webhook image that these tests use.
function installHandlers(s: WebhookServer): void {
  s.handle('/configmaps', (r) => {
    const data = r.request.object?.data ?? {};
    return data['webhook-e2e-test'] === 'webhook-disallow' ? deny(r, 'the configmap contains unwanted key and value') : allow(r);
  });
  s.handle('/pods', (r) => {
    const names = (r.request.object?.spec?.containers ?? []).map((c: { name: string }) => c.name);
    return names.includes('webhook-disallow') ? deny(r, 'the pod contains unwanted container name') : allow(r);
  });
  s.handle('/mutating-configmaps', (r) => {
    const data = r.request.object?.data;
    const patch = data ? [{ op: 'add', path: `/data/mutation-stage-${data['mutation-stage-1'] ? 2 : 1}`, value: 'yes' }] : [{ op: 'add', path: '/data', value: { 'mutation-stage-1': 'yes' } }];
    return allow(r, patch);
  });
  s.handle('/mutating-pods', (r) =>
    allow(r, [{ op: 'add', path: '/spec/initContainers', value: [{ name: 'webhook-added-init-container', image: 'registry.k8s.io/pause:3.10', resources: {} }] }]),
  );
  s.handle('/custom-resource', (r) => {
    const data = r.request.object?.data ?? r.request.oldObject?.data ?? {};
    if (r.request.operation === 'DELETE' && r.request.oldObject?.data?.['webhook-e2e-test'] === 'webhook-nondeletable') return deny(r, 'the custom resource cannot be deleted because it contains unwanted key and value');
    return data['webhook-e2e-test'] === 'webhook-disallow' ? deny(r, 'the custom resource contains unwanted data') : allow(r);
  });
  s.handle('/mutating-custom-resource', (r) => {
    const data = r.request.object?.data ?? {};
    return allow(r, [{ op: 'add', path: `/data/mutation-stage-${data['mutation-stage-1'] ? 2 : 1}`, value: 'yes' }]);
  });
  s.handle('/crd', (r) => (r.request.object?.metadata?.labels?.['webhook-e2e-test'] === 'webhook-disallow' ? deny(r, 'the crd contains unwanted label') : allow(r)));
  s.handle('/always-deny', (r) => deny(r, 'this webhook denies all requests'));
  s.handle('/always-allow-delay-5s', async (r) => {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    return allow(r);
  });
}

function hook(name: string, path: string, ns: string, rules: unknown[], extra: Record<string, unknown> = {}) {
  return {
    name,
    clientConfig: { url: `${hooks.url}${path}`, caBundle: hooks.caBundle },
    rules,
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
    sideEffects: 'None',
    admissionReviewVersions: ['v1', 'v1beta1'],
    ...extra,
  };
}

const rule = (resources: string[], operations = ['CREATE', 'UPDATE'], group = '', version = 'v1') => ({ operations, apiGroups: [group], apiVersions: [version], resources });

async function register(kind: 'validating' | 'mutating', name: string, webhooks: unknown[], labels?: Record<string, string>): Promise<void> {
  await t.api
    .post(kind === 'validating' ? VWC : MWC)
    .send({ apiVersion: 'admissionregistration.k8s.io/v1', kind: kind === 'validating' ? 'ValidatingWebhookConfiguration' : 'MutatingWebhookConfiguration', metadata: { name, labels }, webhooks })
    .expect(201);
  const cache = kind === 'validating' ? t.nodeless.webhooks.validating : t.nodeless.webhooks.mutating;
  await waitFor(() => cache.get(name), `${name} ready`);
}

async function unregister(kind: 'validating' | 'mutating', name: string): Promise<void> {
  await t.api.delete(`${kind === 'validating' ? VWC : MWC}/${name}`).expect(200);
  const cache = kind === 'validating' ? t.nodeless.webhooks.validating : t.nodeless.webhooks.mutating;
  await waitFor(() => !cache.get(name), `${name} gone`);
}

const configMap = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
const pod = (name: string, container: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: container, image: 'registry.k8s.io/pause:3.10' }] } });

describe('[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin]', () => {
  test('should include webhook resources in discovery documents [Conformance]', async () => {
    const apis = (await t.api.get('/apis').expect(200)).body;
    const group = apis.groups.find((g: { name: string }) => g.name === 'admissionregistration.k8s.io');
    expect(group.versions.map((v: { version: string }) => v.version)).toContain('v1');
    const list = (await t.api.get(GROUP).expect(200)).body;
    const names = list.resources.map((r: { name: string }) => r.name);
    expect(names).toEqual(expect.arrayContaining(['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']));
  });

  test('should be able to deny pod and configmap creation [Conformance]', async () => {
    const ns = await newNamespace('webhook-deny');
    await register('validating', 'deny-webhook-configuration.example.com', [
      hook('deny-unwanted-pod-container-name-and-label.k8s.io', '/pods', ns, [rule(['pods'])]),
      hook('deny-unwanted-configmap-data.k8s.io', '/configmaps', ns, [rule(['configmaps'], ['CREATE', 'UPDATE', 'DELETE'])]),
    ]);
    try {
      const p = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('disallowed-pod', 'webhook-disallow')).expect(400);
      expect(p.body.message).toBe('admission webhook "deny-unwanted-pod-container-name-and-label.k8s.io" denied the request: the pod contains unwanted container name');
      const c = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('disallowed-configmap', DISALLOWED)).expect(400);
      expect(c.body.message).toBe('admission webhook "deny-unwanted-configmap-data.k8s.io" denied the request: the configmap contains unwanted key and value');
      // An allowed configmap cannot be updated, put or patched into a disallowed one.
      await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('allowed-configmap', { admit: 'this' })).expect(201);
      await t.api.put(`/api/v1/namespaces/${ns}/configmaps/allowed-configmap`).send(configMap('allowed-configmap', DISALLOWED)).expect(400);
      await t.api.patch(`/api/v1/namespaces/${ns}/configmaps/allowed-configmap`).set('Content-Type', 'application/merge-patch+json').send({ data: DISALLOWED }).expect(400);
      // A namespace the selector does not pick is not affected.
      const other = await newNamespace('webhook-skipped');
      await t.api.post(`/api/v1/namespaces/${other}/configmaps`).send(configMap('disallowed-configmap', DISALLOWED)).expect(201);
    } finally {
      await unregister('validating', 'deny-webhook-configuration.example.com');
    }
  });

  test('should unconditionally reject operations on fail closed webhook [Conformance]', async () => {
    const ns = await newNamespace('fail-closed');
    await register('validating', 'fail-closed-webhook.example.com', [
      hook('fail-closed.k8s.io', '', ns, [rule(['configmaps'])], { clientConfig: { url: 'https://127.0.0.1:1/configmaps', caBundle: hooks.caBundle }, failurePolicy: 'Fail' }),
    ]);
    try {
      const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('fail-closed', { a: 'b' })).expect(500);
      expect(res.body.message).toContain('failed calling webhook "fail-closed.k8s.io"');
    } finally {
      await unregister('validating', 'fail-closed-webhook.example.com');
    }
  });

  test('should mutate configmap [Conformance]', async () => {
    const ns = await newNamespace('mutate-cm');
    await register('mutating', 'mutate-configmap.example.com', [
      hook('adding-configmap-data-stage-1.k8s.io', '/mutating-configmaps', ns, [rule(['configmaps'], ['CREATE'])]),
      hook('adding-configmap-data-stage-2.k8s.io', '/mutating-configmaps', ns, [rule(['configmaps'], ['CREATE'])]),
    ]);
    try {
      const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('to-be-mutated', { 'mutation-start': 'yes' })).expect(201);
      expect(res.body.data).toEqual({ 'mutation-start': 'yes', 'mutation-stage-1': 'yes', 'mutation-stage-2': 'yes' });
    } finally {
      await unregister('mutating', 'mutate-configmap.example.com');
    }
  });

  test('should mutate pod and apply defaults after mutation [Conformance]', async () => {
    const ns = await newNamespace('mutate-pod');
    await register('mutating', 'mutate-pod.example.com', [hook('adding-init-container.k8s.io', '/mutating-pods', ns, [rule(['pods'], ['CREATE'])])]);
    try {
      const res = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('webhook-to-be-mutated', 'example')).expect(201);
      const init = res.body.spec.initContainers;
      expect(init).toHaveLength(1);
      expect(init[0].name).toBe('webhook-added-init-container');
      // Defaulted after the mutation, as kube decodes the patched pod.
      expect(init[0].terminationMessagePolicy).toBe('File');
      expect(init[0].imagePullPolicy).toBe('IfNotPresent');
    } finally {
      await unregister('mutating', 'mutate-pod.example.com');
    }
  });

  test('should not be able to mutate or prevent deletion of webhook configuration objects [Conformance]', async () => {
    const ns = await newNamespace('protect-config');
    const configRules = [
      { operations: ['CREATE', 'UPDATE', 'DELETE'], apiGroups: ['admissionregistration.k8s.io'], apiVersions: ['*'], resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'] },
    ];
    await register('validating', 'deny-webhook-configuration-deletions.example.com', [hook('deny-webhook-configuration-deletions.k8s.io', '/always-deny', ns, configRules, { namespaceSelector: {} })]);
    await register('mutating', 'mutate-webhook-configurations.example.com', [
      hook('adding-configmap-data-stage-1.k8s.io', '/mutating-configmaps', ns, configRules, { namespaceSelector: {} }),
    ]);
    try {
      const dummy = hook('dummy-validating-webhook.k8s.io', '/always-deny', ns, [rule(['configmaps'])]);
      // A dummy configuration is created unchanged, and can be deleted.
      const created = await t.api
        .post(VWC)
        .send({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'dummy-validating.example.com' }, webhooks: [dummy] })
        .expect(201);
      expect(created.body.webhooks).toHaveLength(1);
      expect(created.body.webhooks[0].name).toBe('dummy-validating-webhook.k8s.io');
      await t.api.delete(`${VWC}/dummy-validating.example.com`).expect(200);
      const mutating = await t.api
        .post(MWC)
        .send({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'dummy-mutating.example.com' }, webhooks: [dummy] })
        .expect(201);
      expect(mutating.body.webhooks[0].name).toBe('dummy-validating-webhook.k8s.io');
      await t.api.delete(`${MWC}/dummy-mutating.example.com`).expect(200);
    } finally {
      await unregister('validating', 'deny-webhook-configuration-deletions.example.com');
      await unregister('mutating', 'mutate-webhook-configurations.example.com');
    }
  });

  test('should be able to deny custom resource creation, update and deletion [Conformance]', async () => {
    const ns = await newNamespace('deny-cr');
    await createEstablished(t.api, crdManifest({ group: 'webhook.example.com', kind: 'E2eTestCrdDeny', plural: 'e2e-test-crd-denies', schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }));
    const base = `/apis/webhook.example.com/v1/namespaces/${ns}/e2e-test-crd-denies`;
    await register('validating', 'deny-cr.example.com', [
      hook('deny-unwanted-custom-resource-data.k8s.io', '/custom-resource', ns, [rule(['e2e-test-crd-denies'], ['CREATE', 'UPDATE', 'DELETE'], 'webhook.example.com')]),
    ]);
    try {
      const cr = (name: string, data: Record<string, string>) => ({ apiVersion: 'webhook.example.com/v1', kind: 'E2eTestCrdDeny', metadata: { name }, data });
      const denied = await t.api.post(base).send(cr('cr-denied', DISALLOWED)).expect(400);
      expect(denied.body.message).toBe('admission webhook "deny-unwanted-custom-resource-data.k8s.io" denied the request: the custom resource contains unwanted data');
      await t.api.post(base).send(cr('cr-allowed', { 'webhook-e2e-test': 'webhook-allow' })).expect(201);
      const upd = await t.api.patch(`${base}/cr-allowed`).set('Content-Type', 'application/merge-patch+json').send({ data: DISALLOWED }).expect(400);
      expect(upd.body.message).toContain('the custom resource contains unwanted data');
      await t.api.post(base).send(cr('cr-nondeletable', { 'webhook-e2e-test': 'webhook-nondeletable' })).expect(201);
      const del = await t.api.delete(`${base}/cr-nondeletable`).expect(400);
      expect(del.body.message).toBe('admission webhook "deny-unwanted-custom-resource-data.k8s.io" denied the request: the custom resource cannot be deleted because it contains unwanted key and value');
    } finally {
      await unregister('validating', 'deny-cr.example.com');
    }
  });

  test('should mutate custom resource [Conformance]', async () => {
    const ns = await newNamespace('mutate-cr');
    await createEstablished(t.api, crdManifest({ group: 'webhook.example.com', kind: 'E2eTestCrdMutate', plural: 'e2e-test-crd-mutates', schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }));
    await register('mutating', 'mutate-cr.example.com', [
      hook('mutate-custom-resource-data-stage-1.k8s.io', '/mutating-custom-resource', ns, [rule(['e2e-test-crd-mutates'], ['CREATE'], 'webhook.example.com')]),
      hook('mutate-custom-resource-data-stage-2.k8s.io', '/mutating-custom-resource', ns, [rule(['e2e-test-crd-mutates'], ['CREATE'], 'webhook.example.com')]),
    ]);
    try {
      const res = await t.api
        .post(`/apis/webhook.example.com/v1/namespaces/${ns}/e2e-test-crd-mutates`)
        .send({ apiVersion: 'webhook.example.com/v1', kind: 'E2eTestCrdMutate', metadata: { name: 'cr-instance-1' }, data: { 'mutation-start': 'yes' } })
        .expect(201);
      expect(res.body.data).toEqual({ 'mutation-start': 'yes', 'mutation-stage-1': 'yes', 'mutation-stage-2': 'yes' });
    } finally {
      await unregister('mutating', 'mutate-cr.example.com');
    }
  });

  test('should deny crd creation [Conformance]', async () => {
    await register('validating', 'deny-crd.example.com', [
      hook('deny-crd-with-unwanted-label.k8s.io', '/crd', '', [rule(['customresourcedefinitions'], ['CREATE'], 'apiextensions.k8s.io', '*')], { namespaceSelector: {} }),
    ]);
    try {
      const crd = crdManifest({ group: 'webhook.example.com', kind: 'E2eTestCrdDenied', plural: 'e2e-test-crd-denieds' });
      (crd.metadata as Record<string, unknown>).labels = { 'webhook-e2e-test': 'webhook-disallow' };
      const res = await t.api.post(CRDS).send(crd).expect(400);
      expect(res.body.message).toBe('admission webhook "deny-crd-with-unwanted-label.k8s.io" denied the request: the crd contains unwanted label');
    } finally {
      await unregister('validating', 'deny-crd.example.com');
    }
  });

  test('should honor timeout [Conformance]', async () => {
    const ns = await newNamespace('timeout');
    // Fail with a 1s timeout: the webhook answers after 5s.
    await register('validating', 'slow-fail.example.com', [hook('allow-configmap-with-delay-webhook.k8s.io', '/always-allow-delay-5s', ns, [rule(['configmaps'], ['CREATE'])], { timeoutSeconds: 1, failurePolicy: 'Fail' })]);
    try {
      const res = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('slow-1', {})).expect(500);
      expect(res.body.message).toContain('context deadline exceeded');
    } finally {
      await unregister('validating', 'slow-fail.example.com');
    }
    // Ignore with the same timeout: the request goes through.
    await register('validating', 'slow-ignore.example.com', [hook('allow-configmap-with-delay-webhook.k8s.io', '/always-allow-delay-5s', ns, [rule(['configmaps'], ['CREATE'])], { timeoutSeconds: 1, failurePolicy: 'Ignore' })]);
    try {
      await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('slow-2', {})).expect(201);
    } finally {
      await unregister('validating', 'slow-ignore.example.com');
    }
  });

  test('patching/updating a validating webhook should work [Conformance]', async () => {
    const ns = await newNamespace('patch-vwc');
    const name = 'patch-validating.example.com';
    await register('validating', name, [hook('deny-unwanted-configmap-data.k8s.io', '/configmaps', ns, [rule(['configmaps'])])]);
    try {
      await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('denied-1', DISALLOWED)).expect(400);
      // Update the rules to leave CREATE out: the same configmap is now admitted.
      const current = (await t.api.get(`${VWC}/${name}`).expect(200)).body;
      current.webhooks[0].rules[0].operations = ['UPDATE'];
      await t.api.put(`${VWC}/${name}`).send(current).expect(200);
      await waitFor(async () => (await t.api.post(`/api/v1/namespaces/${ns}/configmaps?dryRun=All`).send(configMap('probe', DISALLOWED))).status === 201, 'CREATE no longer covered');
      await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('allowed-1', DISALLOWED)).expect(201);
      // A JSON patch puts CREATE back: denied again.
      await t.api.patch(`${VWC}/${name}`).set('Content-Type', 'application/json-patch+json').send([{ op: 'replace', path: '/webhooks/0/rules/0/operations', value: ['CREATE'] }]).expect(200);
      await waitFor(async () => (await t.api.post(`/api/v1/namespaces/${ns}/configmaps?dryRun=All`).send(configMap('probe', DISALLOWED))).status === 400, 'CREATE covered again');
    } finally {
      await unregister('validating', name);
    }
  });

  test('patching/updating a mutating webhook should work [Conformance]', async () => {
    const ns = await newNamespace('patch-mwc');
    const name = 'patch-mutating.example.com';
    await register('mutating', name, [hook('adding-configmap-data-stage-1.k8s.io', '/mutating-configmaps', ns, [rule(['configmaps'])])]);
    try {
      const mutated = await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('m-1', { a: 'b' })).expect(201);
      expect(mutated.body.data['mutation-stage-1']).toBe('yes');
      const current = (await t.api.get(`${MWC}/${name}`).expect(200)).body;
      current.webhooks[0].rules[0].operations = ['UPDATE'];
      await t.api.put(`${MWC}/${name}`).send(current).expect(200);
      await waitFor(async () => {
        const r = await t.api.post(`/api/v1/namespaces/${ns}/configmaps?dryRun=All`).send(configMap('probe', { a: 'b' }));
        return r.status === 201 && !r.body.data['mutation-stage-1'];
      }, 'CREATE no longer mutated');
      await t.api.patch(`${MWC}/${name}`).set('Content-Type', 'application/json-patch+json').send([{ op: 'replace', path: '/webhooks/0/rules/0/operations', value: ['CREATE'] }]).expect(200);
      await waitFor(async () => {
        const r = await t.api.post(`/api/v1/namespaces/${ns}/configmaps?dryRun=All`).send(configMap('probe', { a: 'b' }));
        return r.status === 201 && r.body.data['mutation-stage-1'] === 'yes';
      }, 'CREATE mutated again');
    } finally {
      await unregister('mutating', name);
    }
  });

  test.each([
    ['validating', VWC],
    ['mutating', MWC],
  ] as const)('listing %s webhooks should work [Conformance]', async (kind, path) => {
    const ns = await newNamespace(`list-${kind}`);
    const label = { 'e2e-list-test-uuid': `${kind}-${ns}` };
    const handler = kind === 'validating' ? '/configmaps' : '/mutating-configmaps';
    for (let i = 0; i < 10; i++) {
      await register(kind, `${kind}-list-${i}.example.com`, [hook(`webhook-${i}.k8s.io`, handler, ns, [rule(['configmaps'], ['CREATE'])])], label);
    }
    const list = (await t.api.get(`${path}?labelSelector=e2e-list-test-uuid%3D${kind}-${ns}`).expect(200)).body;
    expect(list.items).toHaveLength(10);
    const check = async () => {
      const r = await t.api.post(`/api/v1/namespaces/${ns}/configmaps?dryRun=All`).send(configMap('probe', kind === 'validating' ? DISALLOWED : { a: 'b' }));
      return kind === 'validating' ? r.status === 400 : r.status === 201 && r.body.data['mutation-stage-1'] === 'yes';
    };
    expect(await check()).toBe(true);
    await t.api.delete(`${path}?labelSelector=e2e-list-test-uuid%3D${kind}-${ns}`).expect(200);
    await waitFor(async () => !(await check()), 'the webhooks removed by deletecollection');
  });
});
