/**
 * Reinvocation across the mutating admission plugins, as kube's reinvoker runs them: the chain
 * (built-in plugins, MutatingAdmissionPolicy, then MutatingAdmissionWebhook) runs once more when
 * a policy or webhook changed the object; then the IfNeeded policies and webhooks that saw the
 * object before a later change run again, whichever plugin made it, and the built-in plugins
 * see what the webhooks added.
 */
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { allow, startWebhookServer, type WebhookServer } from '../helpers/webhook-server';

let t: TestServer;
let hooks: WebhookServer;
beforeAll(async () => {
  t = await startTestServer({ controllers: false, mutatingAdmissionPolicy: true });
  hooks = await startWebhookServer();
});
afterAll(async () => {
  await t.close();
  await hooks.close();
});

const newNamespace = namespaceMaker(() => t);
const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const MAP = '/apis/admissionregistration.k8s.io/v1alpha1/mutatingadmissionpolicies';
const MAPB = '/apis/admissionregistration.k8s.io/v1alpha1/mutatingadmissionpolicybindings';

type Obj = Record<string, any>;

async function installWebhook(name: string, ns: string, path: string, resource: string, reinvocationPolicy: 'Never' | 'IfNeeded'): Promise<void> {
  await t.api.post(MWC).send({
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name },
    webhooks: [{
      name: `${name}.example.com`,
      clientConfig: { url: `${hooks.url}${path}`, caBundle: hooks.caBundle },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: [resource] }],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
      sideEffects: 'None', admissionReviewVersions: ['v1'], reinvocationPolicy,
    }],
  }).expect(201);
  await waitFor(() => t.nodeless.webhooks.mutating.get(name), `${name} in the webhook cache`);
}

// The policy copies the tier label into an annotation (or "none").
async function installCopyPolicy(name: string, ns: string, reinvocationPolicy: 'Never' | 'IfNeeded'): Promise<void> {
  await t.api.post(MAP).send({
    apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'MutatingAdmissionPolicy', metadata: { name },
    spec: {
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
      reinvocationPolicy,
      mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{metadata: Object.metadata{annotations: {'tier': object.metadata.labels.?tier.orValue('none')}}}" } }],
    },
  }).expect(201);
  await t.api.post(MAPB).send({
    apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'MutatingAdmissionPolicyBinding', metadata: { name },
    spec: { policyName: name, matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } } },
  }).expect(201);
  await waitFor(() => t.nodeless.mutatingPolicies!.bindings.get(name) && t.nodeless.mutatingPolicies!.policies.get(name), `${name} in the policy cache`);
}

async function removeAll(webhook: string, policy?: string): Promise<void> {
  await t.api.delete(`${MWC}/${webhook}`).expect(200);
  if (policy) {
    await t.api.delete(`${MAPB}/${policy}`).expect(200);
    await t.api.delete(`${MAP}/${policy}`).expect(200);
  }
  await waitFor(() => !t.nodeless.webhooks.mutating.get(webhook) && (!policy || !t.nodeless.mutatingPolicies!.bindings.get(policy)), 'the configuration gone');
}

// setTier is a webhook that sets the tier label to gold, once; it records each call.
function setTier(path: string): string[] {
  const calls: string[] = [];
  hooks.handle(path, (r) => {
    const object = r.request.object as Obj;
    calls.push(`tier=${object.metadata.labels?.tier ?? ''} annotation=${object.metadata.annotations?.tier ?? ''}`);
    return allow(r, object.metadata.labels?.tier === 'gold' ? undefined : [{ op: 'add', path: '/metadata/labels', value: { ...object.metadata.labels, tier: 'gold' } }]);
  });
  return calls;
}

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: name } }, data: {} });

test('a webhook that changes the object after an IfNeeded policy saw it runs the policy again', async () => {
  const ns = await newNamespace('reinvoke-policy');
  const calls = setTier('/tier-a');
  await installCopyPolicy('copy-tier-a', ns, 'IfNeeded');
  await installWebhook('tier-a', ns, '/tier-a', 'configmaps', 'Never');
  const created = (await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('a')).expect(201)).body;
  expect(created.metadata.labels).toEqual({ app: 'a', tier: 'gold' });
  // The policy ran first (annotation none), the webhook set the label, the policy ran again.
  expect(created.metadata.annotations).toEqual({ tier: 'gold' });
  // The webhook (Never) was called once, and saw the policy's first mutation.
  expect(calls).toEqual(['tier= annotation=none']);
  await removeAll('tier-a', 'copy-tier-a');
});

test('a Never policy is not run again after a webhook changed the object', async () => {
  const ns = await newNamespace('reinvoke-never');
  setTier('/tier-b');
  await installCopyPolicy('copy-tier-b', ns, 'Never');
  await installWebhook('tier-b', ns, '/tier-b', 'configmaps', 'Never');
  const created = (await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('b')).expect(201)).body;
  expect(created.metadata.labels.tier).toBe('gold');
  expect(created.metadata.annotations).toEqual({ tier: 'none' });
  await removeAll('tier-b', 'copy-tier-b');
});

test('an IfNeeded webhook is called again when a policy changed the object on the second run', async () => {
  const ns = await newNamespace('reinvoke-webhook');
  const calls = setTier('/tier-c');
  await installCopyPolicy('copy-tier-c', ns, 'IfNeeded');
  await installWebhook('tier-c', ns, '/tier-c', 'configmaps', 'IfNeeded');
  const created = (await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send(configMap('c')).expect(201)).body;
  expect(created.metadata.annotations).toEqual({ tier: 'gold' });
  // Second run: the policy's new annotation is a change the webhook has not seen, so it is called once more.
  expect(calls).toEqual(['tier= annotation=none', 'tier=gold annotation=gold']);
  await removeAll('tier-c', 'copy-tier-c');
});

test('the built-in plugins run again and see what a webhook added: a sidecar gets the service account token', async () => {
  const ns = await newNamespace('reinvoke-builtin');
  await t.api.post(`/api/v1/namespaces/${ns}/serviceaccounts`).send({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }).expect(201);
  hooks.handle('/sidecar', (r) => {
    const containers = (r.request.object as Obj).spec.containers as Obj[];
    return allow(r, containers.some((c) => c.name === 'sidecar') ? undefined : [{ op: 'add', path: '/spec/containers/-', value: { name: 'sidecar', image: 'busybox' } }]);
  });
  await installWebhook('sidecar', ns, '/sidecar', 'pods', 'Never');
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
  const created = (await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod).expect(201)).body;
  const mounts = (name: string) => (created.spec.containers as Obj[]).find((c) => c.name === name)!.volumeMounts.map((m: Obj) => m.mountPath);
  expect(mounts('app')).toEqual(['/var/run/secrets/kubernetes.io/serviceaccount']);
  expect(mounts('sidecar')).toEqual(['/var/run/secrets/kubernetes.io/serviceaccount']);
  // One token volume serves both.
  expect((created.spec.volumes as Obj[]).filter((v) => v.name.startsWith('kube-api-access-'))).toHaveLength(1);
  await removeAll('sidecar');
});
