/**
 * The storage, discovery, scheduling, coordination, admissionregistration and certificates kinds
 * as kube-apiserver stores and refuses them: SetDefaults_* values (webhooks, priority classes)
 * and the field errors of each group's pkg/apis/<group>/validation, message for message.
 */
import type { Response } from 'supertest';
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

type Cause = { reason: string; field: string; message: string };

function expectInvalid(res: Response, ...causes: Cause[]): void {
  expect(res.status).toBe(422);
  expect(res.body.reason).toBe('Invalid');
  for (const c of causes) expect(res.body.details.causes).toContainEqual(c);
}
const mergePatch = (url: string, body: object) => t.api.patch(url).set('Content-Type', 'application/merge-patch+json').send(body);

const STORAGE = '/apis/storage.k8s.io/v1';

describe('storage.k8s.io/v1', () => {
  const postClass = (name: string, fields: Record<string, unknown>) => t.api.post(`${STORAGE}/storageclasses`).send({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, ...fields });

  it('should refuse a StorageClass without a provisioner, with unknown policies and duplicate topology', async () => {
    const res = await postClass('bad', {
      reclaimPolicy: 'Recycle',
      volumeBindingMode: 'Later',
      allowedTopologies: [
        { matchLabelExpressions: [{ key: 'zone', values: ['a', 'a'] }, { key: 'zone', values: ['b'] }] },
        { matchLabelExpressions: [{ key: 'rack', values: [] }] },
      ],
    });
    const at = 'allowedTopologies';
    expectInvalid(
      res,
      { reason: 'FieldValueRequired', field: 'provisioner', message: 'Required value' },
      { reason: 'FieldValueNotSupported', field: 'reclaimPolicy', message: 'Unsupported value: "Recycle": supported values: "Delete", "Retain"' },
      { reason: 'FieldValueNotSupported', field: 'volumeBindingMode', message: 'Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"' },
      { reason: 'FieldValueDuplicate', field: `${at}[0].matchLabelExpressions[0].values[1]`, message: 'Duplicate value: "a"' },
      { reason: 'FieldValueDuplicate', field: `${at}[0].matchLabelExpressions[1].key`, message: 'Duplicate value: "zone"' },
      { reason: 'FieldValueRequired', field: `${at}[1].matchLabelExpressions[0].values`, message: 'Required value' },
    );
  });

  it('should refuse a provisioner that is not a qualified name, checked lower-cased', async () => {
    const res = await postClass('bad-provisioner', { provisioner: 'Example.COM/my_driver!' });
    expectInvalid(res, {
      reason: 'FieldValueInvalid', field: 'provisioner',
      message: "Invalid value: \"example.com/my_driver!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    });
  });

  it('should refuse unknown CSIDriver fsGroupPolicy, lifecycle modes and short token requests, and a changed attachRequired', async () => {
    const res = await t.api.post(`${STORAGE}/csidrivers`).send({
      apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'bad.csi.example.com' },
      spec: { fsGroupPolicy: 'Always', volumeLifecycleModes: ['Temporary'], tokenRequests: [{ audience: 'a', expirationSeconds: 60 }, { audience: 'a' }] },
    });
    expectInvalid(
      res,
      { reason: 'FieldValueNotSupported', field: 'spec.fsGroupPolicy', message: 'Unsupported value: "Always": supported values: "File", "None", "ReadWriteOnceWithFSType"' },
      { reason: 'FieldValueNotSupported', field: 'spec.volumeLifecycleModes', message: 'Unsupported value: "Temporary": supported values: "Persistent", "Ephemeral"' },
      { reason: 'FieldValueInvalid', field: 'spec.tokenRequests[0].expirationSeconds', message: 'Invalid value: 60: may not specify a duration less than 10 minutes' },
      { reason: 'FieldValueDuplicate', field: 'spec.tokenRequests[1].audience', message: 'Duplicate value: "a"' },
    );
    await t.api.post(`${STORAGE}/csidrivers`).send({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'ok.csi.example.com' }, spec: {} }).expect(201);
    const update = await mergePatch(`${STORAGE}/csidrivers/ok.csi.example.com`, { spec: { attachRequired: false, volumeLifecycleModes: ['Persistent', 'Ephemeral'] } });
    expectInvalid(
      update,
      { reason: 'FieldValueInvalid', field: 'spec.attachedRequired', message: 'Invalid value: false: field is immutable' },
      { reason: 'FieldValueInvalid', field: 'spec.volumeLifecycleModes', message: 'Invalid value: []storage.VolumeLifecycleMode{"Persistent", "Ephemeral"}: field is immutable' },
    );
  });

  it('should refuse a VolumeAttachment without attacher, source or node, and one that changes its spec', async () => {
    const post = (name: string, spec: Record<string, unknown>) => t.api.post(`${STORAGE}/volumeattachments`).send({ apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', metadata: { name }, spec });
    const res = await post('empty', { source: {} });
    expectInvalid(
      res,
      { reason: 'FieldValueRequired', field: 'spec.attacher', message: 'Required value' },
      { reason: 'FieldValueRequired', field: 'spec.source', message: 'Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName' },
      { reason: 'FieldValueInvalid', field: 'spec.nodeName', message: expect.stringContaining('Invalid value: "": a lowercase RFC 1123 subdomain') as unknown as string },
    );
    const both = await post('both', { attacher: 'csi.example.com', nodeName: 'node-1', source: { persistentVolumeName: '', inlineVolumeSpec: {} } });
    expectInvalid(both, { reason: 'FieldValueForbidden', field: 'spec.source', message: 'Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName' });
    await post('fixed', { attacher: 'csi.example.com', nodeName: 'node-1', source: { persistentVolumeName: 'pv-1' } }).expect(201);
    const update = await mergePatch(`${STORAGE}/volumeattachments/fixed`, { spec: { nodeName: 'node-2' } });
    expect(update.status).toBe(422);
    expect(update.body.details.causes).toContainEqual(expect.objectContaining({ reason: 'FieldValueInvalid', field: 'spec', message: expect.stringMatching(/: field is immutable$/) }));
  });
});

describe('discovery.k8s.io/v1 EndpointSlice', () => {
  const URL = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
  const post = (name: string, fields: Record<string, unknown>) => t.api.post(URL).send({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name }, ...fields });

  it('should refuse an unknown addressType, addresses of the wrong family, empty endpoints and duplicate port names', async () => {
    const unknown = await post('unknown', { addressType: 'IPv5', endpoints: [] });
    expectInvalid(unknown, { reason: 'FieldValueNotSupported', field: 'addressType', message: 'Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"' });
    const res = await post('bad', {
      addressType: 'IPv4',
      endpoints: [{ addresses: ['2001:db8::1'] }, { addresses: [] }, { addresses: ['10.0.0.1'], hostname: 'Web_1' }],
      ports: [{ name: 'http', port: 80 }, { name: 'http', port: 8080 }, { name: 'dns', protocol: 'ICMP' }],
    });
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: 'endpoints[0].addresses[0]', message: 'Invalid value: "2001:db8::1": must be a valid IPv4 address' },
      { reason: 'FieldValueRequired', field: 'endpoints[1].addresses', message: 'Required value: must contain at least 1 address' },
      { reason: 'FieldValueInvalid', field: 'endpoints[2].hostname', message: expect.stringContaining('Invalid value: "Web_1": a lowercase RFC 1123 label') as unknown as string },
      { reason: 'FieldValueDuplicate', field: 'ports[1].name', message: 'Duplicate value: "http"' },
      { reason: 'FieldValueNotSupported', field: 'ports[2].protocol', message: 'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"' },
    );
    expect(res.body.details.causes.filter((c: Cause) => c.field === 'endpoints[0].addresses[0]')).toHaveLength(1);
  });

  it('should refuse an FQDN address of one label and a changed addressType', async () => {
    const res = await post('fqdn', { addressType: 'FQDN', endpoints: [{ addresses: ['localhost'] }] });
    expectInvalid(res, { reason: 'FieldValueInvalid', field: 'endpoints[0].addresses[0]', message: 'Invalid value: "localhost": should be a domain with at least two segments separated by dots' });
    await post('fixed', { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.2'] }] }).expect(201);
    const update = await mergePatch(`${URL}/fixed`, { addressType: 'FQDN', endpoints: [{ addresses: ['web.example.com'] }] });
    expectInvalid(update, { reason: 'FieldValueInvalid', field: 'addressType', message: 'Invalid value: "FQDN": field is immutable' });
  });
});

describe('scheduling.k8s.io/v1 PriorityClass and coordination.k8s.io/v1 Lease', () => {
  const URL = '/apis/scheduling.k8s.io/v1/priorityclasses';
  const post = (name: string, fields: Record<string, unknown>) => t.api.post(URL).send({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, ...fields });

  it('should default preemptionPolicy and refuse to change the value', async () => {
    const res = await post('batch-high', { value: 1000 }).expect(201);
    expect(res.body.preemptionPolicy).toBe('PreemptLowerPriority');
    const update = await mergePatch(`${URL}/batch-high`, { value: 2000 });
    expectInvalid(update, { reason: 'FieldValueForbidden', field: 'value', message: 'Forbidden: may not be changed in an update.' });
  });

  it('should refuse user values above one billion, reserved system- names and unknown preemption policies', async () => {
    expectInvalid(await post('huge', { value: 1000000001 }), { reason: 'FieldValueForbidden', field: 'value', message: 'Forbidden: maximum allowed value of a user defined priority is 1000000000' });
    expectInvalid(await post('system-mine', { value: 10 }), {
      reason: 'FieldValueForbidden', field: 'metadata.name',
      message: "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    });
    expectInvalid(await post('policy', { value: 1, preemptionPolicy: 'Sometimes' }), {
      reason: 'FieldValueNotSupported', field: 'preemptionPolicy', message: 'Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority"',
    });
  });

  it('should refuse a Lease with a zero duration, negative transitions or a preferredHolder without strategy', async () => {
    const res = await t.api.post('/apis/coordination.k8s.io/v1/namespaces/default/leases').send({
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'bad' },
      spec: { leaseDurationSeconds: 0, leaseTransitions: -1, preferredHolder: 'b' },
    });
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: 'spec.leaseDurationSeconds', message: 'Invalid value: 0: must be greater than 0' },
      { reason: 'FieldValueInvalid', field: 'spec.leaseTransitions', message: 'Invalid value: -1: must be greater than or equal to 0' },
      { reason: 'FieldValueForbidden', field: 'spec.preferredHolder', message: 'Forbidden: may only be specified if `strategy` is defined' },
    );
  });
});

describe('admissionregistration.k8s.io/v1 webhook configurations', () => {
  const ADM = '/apis/admissionregistration.k8s.io/v1';
  const hook = (extra: Record<string, unknown> = {}) => ({
    name: 'check.example.com', sideEffects: 'None', admissionReviewVersions: ['v1'],
    clientConfig: { service: { name: 'webhook', namespace: 'default' } },
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    ...extra,
  });

  it('should store a MutatingWebhookConfiguration with SetDefaults_MutatingWebhook, _Rule and _ServiceReference values', async () => {
    const res = await t.api.post(`${ADM}/mutatingwebhookconfigurations`).send({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'defaults' }, webhooks: [hook()],
    }).expect(201);
    expect(res.body.webhooks[0]).toMatchObject({
      failurePolicy: 'Fail', matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, timeoutSeconds: 10, reinvocationPolicy: 'Never',
      clientConfig: { service: { name: 'webhook', namespace: 'default', port: 443 } },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }],
    });
    expect(res.body.metadata.generation).toBe(1);
  });

  it('should refuse unqualified and duplicate names, missing sideEffects and review versions, and a bad timeout', async () => {
    const res = await t.api.post(`${ADM}/validatingwebhookconfigurations`).send({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'bad' },
      webhooks: [
        hook({ name: 'check', sideEffects: undefined, admissionReviewVersions: [], timeoutSeconds: 31 }),
        hook({ sideEffects: 'Some', admissionReviewVersions: ['v2'], failurePolicy: 'Retry' }),
        hook({ clientConfig: { url: 'http://hooks.example.com/check?x=1', service: { name: 'w', namespace: 'default' } } }),
        hook({ name: 'check.example.com', clientConfig: { url: 'http://hooks.example.com/check?x=1' } }),
      ],
    });
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: 'webhooks[0].name', message: 'Invalid value: "check": should be a domain with at least three segments separated by dots' },
      { reason: 'FieldValueRequired', field: 'webhooks[0].sideEffects', message: 'Required value: must specify one of None, NoneOnDryRun' },
      { reason: 'FieldValueRequired', field: 'webhooks[0].admissionReviewVersions', message: 'Required value: must specify one of v1, v1beta1' },
      { reason: 'FieldValueInvalid', field: 'webhooks[0].timeoutSeconds', message: 'Invalid value: 31: the timeout value must be between 1 and 30 seconds' },
      { reason: 'FieldValueNotSupported', field: 'webhooks[1].sideEffects', message: 'Unsupported value: "Some": supported values: "None", "NoneOnDryRun"' },
      { reason: 'FieldValueInvalid', field: 'webhooks[1].admissionReviewVersions', message: 'Invalid value: []string{"v2"}: must include at least one of v1, v1beta1' },
      { reason: 'FieldValueNotSupported', field: 'webhooks[1].failurePolicy', message: 'Unsupported value: "Retry": supported values: "Fail", "Ignore"' },
      { reason: 'FieldValueDuplicate', field: 'webhooks[2].name', message: 'Duplicate value: "check.example.com"' },
      { reason: 'FieldValueRequired', field: 'webhooks[2].clientConfig', message: 'Required value: exactly one of url or service is required' },
      { reason: 'FieldValueInvalid', field: 'webhooks[3].clientConfig.url', message: "Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]" },
      { reason: 'FieldValueInvalid', field: 'webhooks[3].clientConfig.url', message: 'Invalid value: "x=1": query parameters are not permitted in the URL' },
    );
  });

  it('should refuse bad rules and report a missing service name at namespace, as kube does', async () => {
    const res = await t.api.post(`${ADM}/validatingwebhookconfigurations`).send({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'bad-rules' },
      webhooks: [hook({
        clientConfig: { service: { namespace: 'default', port: 0, path: 'hook' } },
        rules: [{ operations: ['*', 'CREATE', 'PATCH'], apiGroups: [], apiVersions: ['v1'], resources: ['*/*', 'pods'], scope: 'Global' }],
      })],
    });
    const at = 'webhooks[0]';
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: `${at}.rules[0].operations`, message: 'Invalid value: []string{"*", "CREATE", "PATCH"}: if \'*\' is present, must not specify other operations' },
      { reason: 'FieldValueNotSupported', field: `${at}.rules[0].operations[2]`, message: 'Unsupported value: "PATCH": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"' },
      { reason: 'FieldValueRequired', field: `${at}.rules[0].apiGroups`, message: 'Required value' },
      { reason: 'FieldValueInvalid', field: `${at}.rules[0].resources`, message: 'Invalid value: []string{"*/*", "pods"}: if \'*/*\' is present, must not specify other resources' },
      { reason: 'FieldValueNotSupported', field: `${at}.rules[0].scope`, message: 'Unsupported value: "Global": supported values: "*", "Cluster", "Namespaced"' },
      { reason: 'FieldValueRequired', field: `${at}.clientConfig.service.namespace`, message: 'Required value' },
      { reason: 'FieldValueInvalid', field: `${at}.clientConfig.service.port`, message: 'Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive' },
      { reason: 'FieldValueInvalid', field: `${at}.clientConfig.service.path`, message: 'Invalid value: "hook": must start with a \'/\'' },
    );
  });
});

describe('certificates.k8s.io/v1 CertificateSigningRequest', () => {
  const CSR = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
  const REQUEST =
    'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlITE1ISUNBUUF3RURFT01Bd0dBMVVFQXd3RllXeHBZMlV3V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPUFFNQgpCd05DQUFRRnJjREx3MThETUFUQWRUOFBPRWhFN3prdktsOE9BWmdoOUY1SVNnNFBjdjZ6OHMzbnY2Y0dMNWdwCmlkNGR0RlVieUNSOGpNODBoOWVkVHFpRlk1SnZvQUF3Q2dZSUtvWkl6ajBFQXdJRFNRQXdSZ0loQUpTcVZHMDQKdzN2MzVscmZ3eENScFRCL01lVnJqSHlmS0tvclcrcVVqNWFEQWlFQTNFaitWOVpIdUlKSlZLMDN3MmVwbHIzMQowaWptRkU5bmRnNnMzNWl0dDRRPQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K';
  const post = (name: string, spec: Record<string, unknown>) => t.api.post(CSR).send({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name }, spec });

  it('should refuse a request that is not a PEM CERTIFICATE REQUEST, printing its bytes as kube does', async () => {
    const res = await post('not-pem', { request: Buffer.from('hi').toString('base64'), signerName: 'example.com/signer', usages: ['client auth'] });
    expectInvalid(res, { reason: 'FieldValueInvalid', field: 'spec.request', message: 'Invalid value: []byte{0x68, 0x69}: PEM block type must be CERTIFICATE REQUEST' });
  });

  it('should refuse missing usages and signer, unknown and duplicate usages, a pathless signer and a short expiration', async () => {
    const none = await post('none', { request: REQUEST });
    expectInvalid(none, { reason: 'FieldValueRequired', field: 'spec.usages', message: 'Required value' }, { reason: 'FieldValueRequired', field: 'spec.signerName', message: 'Required value' });
    const res = await post('bad', { request: REQUEST, signerName: 'example.com', usages: ['client auth', 'mining', 'client auth'], expirationSeconds: 60 });
    expectInvalid(
      res,
      { reason: 'FieldValueNotSupported', field: 'spec.usages[1]', message: expect.stringMatching(/^Unsupported value: "mining": supported values: "any", "cert sign", /) as unknown as string },
      { reason: 'FieldValueDuplicate', field: 'spec.usages[2]', message: 'Duplicate value: "client auth"' },
      { reason: 'FieldValueInvalid', field: 'spec.signerName', message: "Invalid value: \"example.com\": must be a fully qualified domain and path of the form 'example.com/signer-name'" },
      { reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: 'Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)' },
    );
  });

  it('should store a valid request and keep its spec on update', async () => {
    await post('alice', { request: REQUEST, signerName: 'example.com/signer', usages: ['client auth'] }).expect(201);
    const res = await mergePatch(`${CSR}/alice`, { spec: { usages: ['server auth'] } }).expect(200);
    expect(res.body.spec.usages).toEqual(['client auth']);
  });
});
