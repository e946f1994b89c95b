/**
 * Conformance mirrors for the ServiceAccount admission plugin (Pods run as an existing account
 * and get the projected API token volume unless they or their account opt out) and for the
 * controller that keeps every namespace's `default` ServiceAccount and `kube-root-ca.crt`
 * ConfigMap in place.
 */
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';

const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_VOLUME = /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

let namespaces = 0;
async function newNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${++namespaces}`;
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
  // The e2e framework waits for the namespace's default ServiceAccount before a test starts.
  await waitFor(async () => (await t.api.get(`/api/v1/namespaces/${name}/serviceaccounts/default`)).status === 200, 'the default ServiceAccount');
  return name;
}

type Container = { name: string; image: string; volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }> };

function pod(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'token-test', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53' }], restartPolicy: 'Never', ...spec },
  };
}

const mountsToken = (c: Container) => (c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_PATH);

describe('[sig-auth] ServiceAccounts', () => {
  it('[sig-auth] ServiceAccounts should allow opting out of API token automount [Conformance]', async () => {
    const ns = await newNamespace('svcaccounts');
    const saPath = `/api/v1/namespaces/${ns}/serviceaccounts`;
    await t.api.post(saPath).send({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'mount' }, automountServiceAccountToken: true }).expect(201);
    await t.api.post(saPath).send({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nomount' }, automountServiceAccountToken: false }).expect(201);

    const cases: Array<[podName: string, serviceAccountName: string, automount: boolean | undefined, expectTokenVolume: boolean]> = [
      ['pod-service-account-defaultsa', 'default', undefined, true],
      ['pod-service-account-mountsa', 'mount', undefined, true],
      ['pod-service-account-nomountsa', 'nomount', undefined, false],
      // The pod spec wins when opting in ...
      ['pod-service-account-defaultsa-mountspec', 'default', true, true],
      ['pod-service-account-mountsa-mountspec', 'mount', true, true],
      ['pod-service-account-nomountsa-mountspec', 'nomount', true, true],
      // ... and when opting out.
      ['pod-service-account-defaultsa-nomountspec', 'default', false, false],
      ['pod-service-account-mountsa-nomountspec', 'mount', false, false],
      ['pod-service-account-nomountsa-nomountspec', 'nomount', false, false],
    ];
    for (const [podName, serviceAccountName, automount, expectTokenVolume] of cases) {
      const spec: Record<string, unknown> = { serviceAccountName };
      if (automount !== undefined) spec.automountServiceAccountToken = automount;
      const created = (await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod(podName, spec)).expect(201)).body;
      const hasTokenVolume = (created.spec.containers as Container[]).some(mountsToken);
      expect({ podName, hasTokenVolume }).toEqual({ podName, hasTokenVolume: expectTokenVolume });
    }
  });

  it('mounts the projected kube-api-access volume read-only in every container and init container that does not mount the token path', async () => {
    const ns = await newNamespace('token-volume');
    const ownMount = { name: 'own', mountPath: TOKEN_PATH };
    const created = (
      await t.api
        .post(`/api/v1/namespaces/${ns}/pods`)
        .send(
          pod('mounted', {
            initContainers: [{ name: 'init', image: 'busybox' }],
            containers: [
              { name: 'app', image: 'busybox' },
              { name: 'own-token', image: 'busybox', volumeMounts: [ownMount] },
            ],
            volumes: [{ name: 'own', emptyDir: {} }],
          }),
        )
        .expect(201)
    ).body;
    expect(created.spec.serviceAccountName).toBe('default');
    expect(created.spec.serviceAccount).toBe('default');
    const volumes = created.spec.volumes as Array<{ name: string }>;
    expect(volumes).toHaveLength(2);
    const token = volumes[1];
    expect(token.name).toMatch(TOKEN_VOLUME);
    expect(token).toEqual({
      name: token.name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
    const mount = { name: token.name, mountPath: TOKEN_PATH, readOnly: true };
    expect(created.spec.initContainers[0].volumeMounts).toEqual([mount]);
    expect(created.spec.containers[0].volumeMounts).toEqual([mount]);
    expect(created.spec.containers[1].volumeMounts).toEqual([ownMount]);
  });

  it('refuses a Pod whose ServiceAccount does not exist with 403 Forbidden', async () => {
    const ns = await newNamespace('missing-sa');
    const res = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('orphan', { serviceAccountName: 'missing' }));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403, details: { name: 'orphan', kind: 'pods' } });
    expect(res.body.message).toBe(`pods "orphan" is forbidden: error looking up service account ${ns}/missing: serviceaccount "missing" not found`);
    await t.api.get(`/api/v1/namespaces/${ns}/pods/orphan`).expect(404);
  });

  it('leaves a Pod in a missing namespace to NamespaceLifecycle (404 NotFound)', async () => {
    const res = await t.api.post('/api/v1/namespaces/no-such-namespace/pods').send(pod('lost'));
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('namespaces "no-such-namespace" not found');
  });

  it("gives a Pod without imagePullSecrets its ServiceAccount's", async () => {
    const ns = await newNamespace('pull-secrets');
    await t.api
      .post(`/api/v1/namespaces/${ns}/serviceaccounts`)
      .send({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'puller' }, imagePullSecrets: [{ name: 'registry-a' }, { name: 'registry-b' }] })
      .expect(201);
    const inherited = (await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('inherits', { serviceAccountName: 'puller' })).expect(201)).body;
    expect(inherited.spec.imagePullSecrets).toEqual([{ name: 'registry-a' }, { name: 'registry-b' }]);
    const own = (await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('own', { serviceAccountName: 'puller', imagePullSecrets: [{ name: 'mine' }] })).expect(201)).body;
    expect(own.spec.imagePullSecrets).toEqual([{ name: 'mine' }]);
  });

  it('refuses secrets an account does not list when it enforces mountable secrets', async () => {
    const ns = await newNamespace('mountable');
    await t.api
      .post(`/api/v1/namespaces/${ns}/serviceaccounts`)
      .send({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'strict', annotations: { 'kubernetes.io/enforce-mountable-secrets': 'true' } },
        secrets: [{ name: 'allowed' }],
      })
      .expect(201);
    const refused = await t.api
      .post(`/api/v1/namespaces/${ns}/pods`)
      .send(pod('sneaky', { serviceAccountName: 'strict', volumes: [{ name: 's', secret: { secretName: 'other' } }] }));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'pods "sneaky" is forbidden: volume with secret.secretName="other" is not allowed because service account strict does not reference that secret',
    );
    await t.api
      .post(`/api/v1/namespaces/${ns}/pods`)
      .send(pod('honest', { serviceAccountName: 'strict', volumes: [{ name: 's', secret: { secretName: 'allowed' } }] }))
      .expect(201);
  });

  it('[sig-auth] ServiceAccounts should guarantee kube-root-ca.crt exist in any namespace [Conformance]', async () => {
    const ns = await newNamespace('root-ca');
    const path = `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`;
    const first = await waitFor(async () => {
      const res = await t.api.get(path);
      return res.status === 200 && res.body;
    }, 'the root CA ConfigMap');
    expect(first.data['ca.crt']).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(first.metadata.annotations['kubernetes.io/description']).toMatch(/^Contains a CA bundle that can be used to verify the kube-apiserver/);

    // Recreated after deletion.
    await t.api.delete(path).send({ gracePeriodSeconds: 0 }).expect(200);
    const recreated = await waitFor(async () => {
      const res = await t.api.get(path);
      return res.status === 200 && res.body;
    }, 'a new root CA ConfigMap');
    expect(recreated.metadata.uid).not.toBe(first.metadata.uid);
    expect(recreated.data).toEqual(first.data);

    // Reconciled after an edit.
    await t.api.put(path).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': '' } }).expect(200);
    const reconciled = await waitFor(async () => {
      const res = await t.api.get(path);
      return res.status === 200 && res.body.data?.['ca.crt'] && res.body;
    }, 'the root CA ConfigMap to be reconciled');
    expect(reconciled.data).toEqual(first.data);
    expect(reconciled.metadata.annotations['kubernetes.io/description']).toBe(first.metadata.annotations['kubernetes.io/description']);
  });

  it('publishes the same CA in the namespaces that exist from the first start', async () => {
    const res = await t.api.get('/api/v1/configmaps').query({ fieldSelector: 'metadata.name=kube-root-ca.crt' }).expect(200);
    const byNamespace = Object.fromEntries(res.body.items.map((cm: { metadata: { namespace: string }; data: Record<string, string> }) => [cm.metadata.namespace, cm.data['ca.crt']]));
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) expect(byNamespace[ns]).toBe(byNamespace.default);
  });

  it('gives a new namespace its default ServiceAccount and recreates it after deletion', async () => {
    const name = `fresh-${++namespaces}`;
    await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
    const path = `/api/v1/namespaces/${name}/serviceaccounts/default`;
    const first = await waitFor(async () => {
      const res = await t.api.get(path);
      return res.status === 200 && res.body;
    }, 'the default ServiceAccount');
    await t.api.delete(path).expect(200);
    const again = await waitFor(async () => {
      const res = await t.api.get(path);
      return res.status === 200 && res.body;
    }, 'the default ServiceAccount to be recreated');
    expect(again.metadata.uid).not.toBe(first.metadata.uid);
  });

  it('lets a Pod created right after its namespace run as the default ServiceAccount', async () => {
    const name = `eager-${++namespaces}`;
    await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
    const created = (await t.api.post(`/api/v1/namespaces/${name}/pods`).send(pod('eager')).expect(201)).body;
    expect(created.spec.serviceAccountName).toBe('default');
  });
});

describe('the root CA a server is given', () => {
  it('is the one published in kube-root-ca.crt', async () => {
    const caCert = '-----BEGIN CERTIFICATE-----\nTUlJQ0dEQ0NBWUdnQXdJQkFnSUJBVEFOQmdr\n-----END CERTIFICATE-----\n';
    const own = await startTestServer({ caCert });
    try {
      const cm = (await own.api.get('/api/v1/namespaces/kube-system/configmaps/kube-root-ca.crt').expect(200)).body;
      expect(cm.data).toEqual({ 'ca.crt': caCert });
    } finally {
      await own.close();
    }
  });
});
