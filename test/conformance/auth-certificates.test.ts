/**
 * [sig-auth] Certificates API: certificatesigningrequests CRUD, watch, deletecollection and the
 * /approval and /status subresources, as the upstream conformance test exercises them.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

const CSR_PEM = Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMIGbMEICAQAwFTETMBEGA1UEAxMKZTJlLXRlc3QtMTBZMBMGByqGSM49AgEGCCqG\n-----END CERTIFICATE REQUEST-----\n').toString('base64');
const base = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const csr = (name: string) => ({
  apiVersion: 'certificates.k8s.io/v1',
  kind: 'CertificateSigningRequest',
  metadata: { name, labels: { e2e: 'csr' } },
  spec: { request: CSR_PEM, signerName: 'example.com/e2e-signer', usages: ['digital signature', 'key encipherment', 'client auth'] },
});

describe('[sig-auth] Certificates API [Privileged:ClusterAdmin]', () => {
  it('[sig-auth] Certificates API [Privileged:ClusterAdmin] should support CSR API operations [Conformance]', async () => {
    const groups = (await t.api.get('/apis').expect(200)).body.groups.map((g: { name: string }) => g.name);
    expect(groups).toContain('certificates.k8s.io');
    const resources = (await t.api.get('/apis/certificates.k8s.io/v1').expect(200)).body.resources.map((r: { name: string }) => r.name);
    expect(resources).toEqual(expect.arrayContaining(['certificatesigningrequests', 'certificatesigningrequests/approval', 'certificatesigningrequests/status']));

    const created = (await t.api.post(base).send(csr('e2e-csr-1')).expect(201)).body;
    await t.api.post(base).send(csr('e2e-csr-2')).expect(201);
    expect((await t.api.get(`${base}/e2e-csr-1`).expect(200)).body.metadata.uid).toBe(created.metadata.uid);
    const listed = (await t.api.get(`${base}?fieldSelector=spec.signerName%3Dexample.com%2Fe2e-signer`).expect(200)).body;
    expect(listed.items).toHaveLength(2);

    const patched = (await t.api.patch(`${base}/e2e-csr-1`).set('Content-Type', 'application/merge-patch+json').send({ metadata: { annotations: { patched: 'true' } } }).expect(200)).body;
    expect(patched.metadata.annotations.patched).toBe('true');
    patched.metadata.annotations.updated = 'true';
    expect((await t.api.put(`${base}/e2e-csr-1`).send(patched).expect(200)).body.metadata.annotations.updated).toBe('true');

    // /approval: conditions change, spec does not.
    const approval = (await t.api.get(`${base}/e2e-csr-1/approval`).expect(200)).body;
    approval.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'E2E', message: 'Set from an e2e test' }] };
    approval.spec.usages = ['server auth'];
    const approved = (await t.api.put(`${base}/e2e-csr-1/approval`).send(approval).expect(200)).body;
    expect(approved.status.conditions[0]).toMatchObject({ type: 'Approved', reason: 'E2E' });
    expect(approved.spec.usages).toEqual(['digital signature', 'key encipherment', 'client auth']);
    const both = structuredClone(approved);
    both.status.conditions.push({ type: 'Denied', status: 'True', reason: 'E2E' });
    expect((await t.api.put(`${base}/e2e-csr-1/approval`).send(both)).status).toBe(422);
    const patchedApproval = (await t.api
      .patch(`${base}/e2e-csr-1/approval`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { annotations: { patchedapproval: 'true' } } })
      .expect(200)).body;
    expect(patchedApproval.metadata.annotations.patchedapproval).toBe('true');

    // /status: the certificate is set, spec untouched.
    const status = (await t.api.get(`${base}/e2e-csr-1/status`).expect(200)).body;
    status.status.certificate = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
    const withCert = (await t.api.put(`${base}/e2e-csr-1/status`).send(status).expect(200)).body;
    expect(withCert.status.certificate).toBe(status.status.certificate);
    expect(withCert.status.conditions[0].type).toBe('Approved');
    const patchedStatus = (await t.api.patch(`${base}/e2e-csr-1/status`).set('Content-Type', 'application/merge-patch+json').send({ metadata: { annotations: { patchedstatus: 'true' } } }).expect(200)).body;
    expect(patchedStatus.metadata.annotations.patchedstatus).toBe('true');

    await t.api.delete(`${base}/e2e-csr-1`).expect(200);
    await t.api.get(`${base}/e2e-csr-1`).expect(404);
    await t.api.delete(`${base}?labelSelector=e2e%3Dcsr`).expect(200);
    expect((await t.api.get(`${base}?labelSelector=e2e%3Dcsr`).expect(200)).body.items).toHaveLength(0);
  });
});
