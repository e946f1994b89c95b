/**
 * Admission policies matching another version of a CRD that converts through a webhook: a
 * ValidatingAdmissionPolicy or MutatingAdmissionPolicy whose matchConstraints name v1 sees a v2
 * write converted to v1 by the CRD's conversion webhook (matchPolicy Equivalent), and a
 * mutation made in v1 is converted back to the version written; a conversion that fails is a
 * configuration error of the policy, acted on by its failurePolicy.
 */
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { startWebhookServer, type WebhookServer } from '../helpers/webhook-server';
import { convertingPorts as converting, createEstablished, portsConversionCRD } from '../crd/helpers';

const GROUP = 'pconv.example.com';
const V1 = `/apis/${GROUP}/v1/namespaces/default/ports`;
const V2 = `/apis/${GROUP}/v2/namespaces/default/ports`;
const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
const VAPB = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';
const MAP = '/apis/admissionregistration.k8s.io/v1alpha1/mutatingadmissionpolicies';
const MAPB = '/apis/admissionregistration.k8s.io/v1alpha1/mutatingadmissionpolicybindings';

const v1Rules = { resourceRules: [{ apiGroups: [GROUP], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['ports'] }] };
const v2Port = (name: string, host: string, port: string) => ({ apiVersion: `${GROUP}/v2`, kind: 'Port', metadata: { name }, spec: { host, port } });

let t: TestServer;
let hooks: WebhookServer;
const desired = () => hooks.received.filter((r) => r.path.startsWith('/convert')).map((r) => r.body.request.desiredAPIVersion.split('/')[1]);

beforeAll(async () => {
  t = await startTestServer({ mutatingAdmissionPolicy: true, conversionWebhookTimeoutSeconds: 2 });
  hooks = await startWebhookServer();
  hooks.handle('/convert', converting);
  await createEstablished(t.api, portsConversionCRD(GROUP, { url: `${hooks.url}/convert`, caBundle: hooks.caBundle }));
});
afterAll(async () => {
  await t.close();
  await hooks.close();
});
beforeEach(() => {
  hooks.handle('/convert', converting);
  hooks.received.length = 0;
});

describe('a ValidatingAdmissionPolicy matching v1 of a CRD written in v2', () => {
  beforeAll(async () => {
    await t.api.post(VAP).send({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'port-80' },
      spec: {
        matchConstraints: v1Rules,
        validations: [
          { expression: "request.kind.version == 'v1' && request.requestKind.version == 'v2'", message: 'seen in the wrong version' },
          { expression: "object.spec.hostPort.endsWith(':80')", messageExpression: "'hostPort ' + object.spec.hostPort + ' is not on port 80'" },
        ],
      },
    }).expect(201);
    await t.api.post(VAPB).send({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'port-80' }, spec: { policyName: 'port-80', validationActions: ['Deny'] } }).expect(201);
    await waitFor(() => t.nodeless.policies.bindings.get('port-80') && t.nodeless.policies.policies.get('port-80'), 'the policy in the cache');
  });
  afterAll(async () => {
    await t.api.delete(`${VAPB}/port-80`).expect(200);
    await t.api.delete(`${VAP}/port-80`).expect(200);
    await waitFor(() => !t.nodeless.policies.bindings.get('port-80'), 'the binding gone');
  });

  it('sees the object converted to v1 by the webhook: denies port 8080 with its message, admits port 80', async () => {
    const denied = await t.api.post(V2).send(v2Port('web', 'example.com', '8080')).expect(422);
    expect(denied.body).toMatchObject({
      kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422,
      message: `ports.${GROUP} "web" is forbidden: ValidatingAdmissionPolicy 'port-80' with binding 'port-80' denied request: hostPort example.com:8080 is not on port 80`,
    });
    expect(desired()).toContain('v1');
    const admitted = (await t.api.post(V2).send(v2Port('web', 'example.com', '80')).expect(201)).body;
    expect(admitted.spec).toEqual({ host: 'example.com', port: '80' });
  });

  it('sees the old object converted too on an update', async () => {
    await t.api.post(V2).send(v2Port('upd', 'a', '80')).expect(201);
    await t.api.patch(`${V2}/upd`).set('Content-Type', 'application/merge-patch+json').send({ spec: { port: '81' } }).expect(422);
    await t.api.patch(`${V2}/upd`).set('Content-Type', 'application/merge-patch+json').send({ spec: { host: 'b' } }).expect(200);
  });

  it('refuses the write as a policy configuration error when the conversion webhook fails', async () => {
    hooks.handle('/convert', (review) => {
      // Storage conversion (to v2) works; only the policy's view in v1 fails.
      if (review.request.desiredAPIVersion.endsWith('/v2')) return converting(review, '/convert');
      return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response: { uid: review.request.uid, result: { status: 'Failure', message: 'no v1 today' } } };
    });
    const res = await t.api.post(V2).send(v2Port('broken', 'x', '80')).expect(422);
    expect(res.body.message).toBe(
      `ports.${GROUP} "broken" is forbidden: ValidatingAdmissionPolicy 'port-80' denied request: failed to configure policy: failed to convert object version: conversion webhook for ${GROUP}/v2, Kind=Port failed: no v1 today`,
    );
  });
});

describe('a MutatingAdmissionPolicy matching v1 of a CRD written in v2', () => {
  beforeAll(async () => {
    await t.api.post(MAP).send({
      apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'pin-host' },
      spec: {
        matchConstraints: v1Rules,
        mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: "[JSONPatch{op: 'replace', path: '/spec/hostPort', value: 'pinned.example.com:' + object.spec.hostPort.split(':')[1]}]" } }],
      },
    }).expect(201);
    await t.api.post(MAPB).send({ apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'MutatingAdmissionPolicyBinding', metadata: { name: 'pin-host' }, spec: { policyName: 'pin-host' } }).expect(201);
    await waitFor(() => t.nodeless.mutatingPolicies!.bindings.get('pin-host') && t.nodeless.mutatingPolicies!.policies.get('pin-host'), 'the mutating policy in the cache');
  });
  afterAll(async () => {
    await t.api.delete(`${MAPB}/pin-host`).expect(200);
    await t.api.delete(`${MAP}/pin-host`).expect(200);
  });

  it('mutates the v1 view and converts the result back to v2 through the webhook', async () => {
    const created = (await t.api.post(V2).send(v2Port('mutated', 'somewhere', '80')).expect(201)).body;
    expect(created).toMatchObject({ apiVersion: `${GROUP}/v2`, spec: { host: 'pinned.example.com', port: '80' } });
    // To v1 for the policy, back to v2 with the mutation.
    expect(desired().slice(0, 2)).toEqual(['v1', 'v2']);
    expect((await t.api.get(`${V1}/mutated`).expect(200)).body.spec).toEqual({ hostPort: 'pinned.example.com:80' });
  });
});
