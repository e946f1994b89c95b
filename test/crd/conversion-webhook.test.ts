/**
 * CRD conversion webhooks (spec.conversion.strategy Webhook), as kube-apiserver's webhook
 * converter calls them: every read in a version other than the stored one and every write in
 * another version than the storage one goes through a ConversionReview; the answer is checked
 * (uid, status, count, groupVersion, kind, name/namespace/uid) and only labels and annotations
 * are taken from its metadata. Also the validation of the conversion stanza.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { startWebhookServer, type ReviewHandler, type WebhookServer } from '../helpers/webhook-server';
import { WatchStream } from '../helpers/watch-stream';
import { CRDS, convertPort as convertTo, convertingPorts as converting, createEstablished, portsConversionCRD } from './helpers';

let t: TestServer;
let hooks: WebhookServer;
let server: http.Server;
let base: string;

const GROUP = 'conv.example.com';
const V1 = `/apis/${GROUP}/v1/namespaces/default/ports`;
const V2 = `/apis/${GROUP}/v2/namespaces/default/ports`;

type Obj = Record<string, any>;

// answer builds a webhook that changes the good answer with change.
const answer = (change: (response: Obj, review: Obj) => void): ReviewHandler => (review) => {
  const good = converting(review, '/convert') as Obj;
  change(good.response, review);
  return good;
};

const portsCRD = (extra: Record<string, unknown> = {}) => portsConversionCRD(GROUP, { url: `${hooks.url}/convert`, caBundle: hooks.caBundle }, extra);

const reviews = () => hooks.received.filter((r) => r.path.startsWith('/convert')).map((r) => r.body);

beforeAll(async () => {
  t = await startTestServer({ conversionWebhookTimeoutSeconds: 2 });
  server = await t.nodeless.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hooks = await startWebhookServer();
  hooks.handle('/convert', converting);
  await createEstablished(t.api, portsCRD());
});
afterAll(async () => {
  await t.close();
  await hooks.close();
});
beforeEach(() => {
  hooks.handle('/convert', converting);
  hooks.received.length = 0;
});

const v1Port = (name: string, hostPort: string, labels?: Record<string, string>) => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'Port',
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: { hostPort },
});

describe('conversion through the webhook', () => {
  it('converts a create in v1 to the storage version v2 and the response back, with a v1 ConversionReview', async () => {
    const created = (await t.api.post(V1).send(v1Port('web', 'localhost:8080')).expect(201)).body;
    expect(created).toMatchObject({ apiVersion: `${GROUP}/v1`, kind: 'Port', spec: { hostPort: 'localhost:8080' } });
    const sent = reviews();
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request: { desiredAPIVersion: `${GROUP}/v2` } });
    expect(sent[0].request.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[0].request.objects).toEqual([expect.objectContaining({ apiVersion: `${GROUP}/v1`, spec: { hostPort: 'localhost:8080' } })]);
    expect(sent[1].request.desiredAPIVersion).toBe(`${GROUP}/v1`);
    expect(sent[1].request.objects[0]).toMatchObject({ apiVersion: `${GROUP}/v2`, spec: { host: 'localhost', port: '8080' } });
    // Read in the storage version, the stored object is served as it is: no review.
    hooks.received.length = 0;
    const stored = (await t.api.get(`${V2}/web`).expect(200)).body;
    expect(stored).toMatchObject({ apiVersion: `${GROUP}/v2`, spec: { host: 'localhost', port: '8080' } });
    expect(reviews()).toHaveLength(0);
    const asV1 = (await t.api.get(`${V1}/web`).expect(200)).body;
    expect(asV1).toMatchObject({ apiVersion: `${GROUP}/v1`, spec: { hostPort: 'localhost:8080' }, metadata: { uid: stored.metadata.uid, resourceVersion: stored.metadata.resourceVersion } });
    expect(reviews()).toHaveLength(1);
  });

  it('converts a list with one ConversionReview holding every object', async () => {
    await t.api.post(V2).send({ apiVersion: `${GROUP}/v2`, kind: 'Port', metadata: { name: 'list-a' }, spec: { host: 'a', port: '1' } }).expect(201);
    await t.api.post(V2).send({ apiVersion: `${GROUP}/v2`, kind: 'Port', metadata: { name: 'list-b' }, spec: { host: 'b', port: '2' } }).expect(201);
    hooks.received.length = 0;
    const list = (await t.api.get(V1).expect(200)).body;
    expect(list.apiVersion).toBe(`${GROUP}/v1`);
    const byName = Object.fromEntries(list.items.map((i: Obj) => [i.metadata.name, i]));
    expect(byName['list-a']).toMatchObject({ apiVersion: `${GROUP}/v1`, spec: { hostPort: 'a:1' } });
    expect(byName['list-b']).toMatchObject({ apiVersion: `${GROUP}/v1`, spec: { hostPort: 'b:2' } });
    const sent = reviews();
    expect(sent).toHaveLength(1);
    expect(sent[0].request.objects.length).toBe(list.items.length);
  });

  it('converts an update and a patch in v1 to the storage version and answers in v1', async () => {
    const created = (await t.api.post(V1).send(v1Port('upd', 'h:1')).expect(201)).body;
    const updated = (await t.api.put(`${V1}/upd`).send({ ...created, spec: { hostPort: 'h:2' } }).expect(200)).body;
    expect(updated).toMatchObject({ apiVersion: `${GROUP}/v1`, spec: { hostPort: 'h:2' } });
    expect((await t.api.get(`${V2}/upd`).expect(200)).body.spec).toEqual({ host: 'h', port: '2' });
    const patched = (await t.api.patch(`${V1}/upd`).set('Content-Type', 'application/merge-patch+json').send({ spec: { hostPort: 'h:3' } }).expect(200)).body;
    expect(patched.spec).toEqual({ hostPort: 'h:3' });
    expect((await t.api.get(`${V2}/upd`).expect(200)).body.spec).toEqual({ host: 'h', port: '3' });
  });

  it('converts a dry-run create to the storage version and back, as kube\'s dry-run storage does, and stores nothing', async () => {
    const shown = (await t.api.post(`${V1}?dryRun=All`).send(v1Port('dry', 'd:1')).expect(201)).body;
    expect(shown).toMatchObject({ apiVersion: `${GROUP}/v1`, spec: { hostPort: 'd:1' } });
    expect(reviews().map((r) => r.request.desiredAPIVersion)).toEqual([`${GROUP}/v2`, `${GROUP}/v1`]);
    await t.api.get(`${V2}/dry`).expect(404);
    hooks.handle('/convert', answer((response) => (response.result = { status: 'Failure', message: 'not even in a dry run' })));
    const refused = await t.api.post(`${V1}?dryRun=All`).send(v1Port('dry', 'd:1')).expect(500);
    expect(refused.body.message).toBe(`conversion webhook for ${GROUP}/v1, Kind=Port failed: not even in a dry run`);
  });

  it('converts watch events, in order, one review per event', async () => {
    const w = await WatchStream.open(base, V1, { resourceVersion: (await t.api.get(V2).expect(200)).body.metadata.resourceVersion });
    try {
      await t.api.post(V2).send({ apiVersion: `${GROUP}/v2`, kind: 'Port', metadata: { name: 'watched' }, spec: { host: 'w', port: '1' } }).expect(201);
      for (const port of ['2', '3', '4']) {
        await t.api.patch(`${V2}/watched`).set('Content-Type', 'application/merge-patch+json').send({ spec: { port } }).expect(200);
      }
      await t.api.delete(`${V2}/watched`).expect(200);
      const added = await w.next('ADDED watched', (e) => e.type === 'ADDED' && e.object.metadata.name === 'watched');
      expect(added.object).toMatchObject({ apiVersion: `${GROUP}/v1`, spec: { hostPort: 'w:1' } });
      const seen: string[] = [];
      for (let i = 0; i < 3; i++) seen.push((await w.next('MODIFIED watched', (e) => e.type === 'MODIFIED')).object.spec.hostPort);
      expect(seen).toEqual(['w:2', 'w:3', 'w:4']);
      const deleted = await w.next('DELETED watched', (e) => e.type === 'DELETED');
      expect(deleted.object).toMatchObject({ apiVersion: `${GROUP}/v1`, spec: { hostPort: 'w:4' } });
    } finally {
      w.close();
    }
  });

  it('takes labels and annotations from the webhook, and the rest of metadata from the stored object', async () => {
    await t.api.post(V2).send({ apiVersion: `${GROUP}/v2`, kind: 'Port', metadata: { name: 'meta', labels: { a: 'b' } }, spec: { host: 'm', port: '1' } }).expect(201);
    hooks.handle('/convert', answer((response) => {
      for (const o of response.convertedObjects) {
        o.metadata.labels = { converted: 'yes' };
        o.metadata.annotations = { 'example.com/by': 'webhook' };
        o.metadata.generation = 42;
        o.metadata.finalizers = ['example.com/added'];
      }
    }));
    const got = (await t.api.get(`${V1}/meta`).expect(200)).body;
    expect(got.metadata.labels).toEqual({ converted: 'yes' });
    expect(got.metadata.annotations).toEqual({ 'example.com/by': 'webhook' });
    expect(got.metadata.generation).toBe(1);
    expect(got.metadata.finalizers).toBeUndefined();
  });
});

describe('a conversion webhook that fails', () => {
  beforeAll(async () => {
    await t.api.post(V2).send({ apiVersion: `${GROUP}/v2`, kind: 'Port', metadata: { name: 'broken' }, spec: { host: 'x', port: '9' } }).expect(201);
  });
  const failsWith = async (path: string, message: string) => {
    const res = await t.api.get(path).expect(500);
    expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code: 500 });
  };
  const prefix = `conversion webhook for ${GROUP}/v2, Kind=Port`;

  it('answers a read with the webhook\'s failure message, and a write too', async () => {
    hooks.handle('/convert', answer((response) => (response.result = { status: 'Failure', message: 'cannot convert this' })));
    await failsWith(`${V1}/broken`, `${prefix} failed: cannot convert this`);
    await failsWith(V1, `${prefix} failed: cannot convert this`);
    const create = await t.api.post(V1).send(v1Port('refused', 'r:1')).expect(500);
    expect(create.body.message).toBe(`conversion webhook for ${GROUP}/v1, Kind=Port failed: cannot convert this`);
    await t.api.get(`${V2}/refused`).expect(404);
    // The storage version needs no conversion and keeps working.
    await t.api.get(`${V2}/broken`).expect(200);
  });

  it('words a failure without a message as kube does', async () => {
    hooks.handle('/convert', answer((response) => (response.result = { status: 'Failure' })));
    await failsWith(`${V1}/broken`, `${prefix} failed: response.result.status was 'Failure', not 'Success'`);
  });

  it('refuses an answer for another request (wrong uid) or of the wrong kind', async () => {
    hooks.handle('/convert', answer((response) => (response.uid = 'not-the-request')));
    const res = await t.api.get(`${V1}/broken`).expect(500);
    const uid = reviews().at(-1)!.request.uid;
    expect(res.body.message).toBe(`${prefix} failed: expected response.uid="${uid}", got "not-the-request"`);
    hooks.handle('/convert', (review) => ({ ...(converting(review, '/convert') as Obj), apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }));
    await failsWith(`${V1}/broken`, `${prefix} failed: expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got admission.k8s.io/v1, Kind=AdmissionReview`);
  });

  it('times out a webhook that does not answer', async () => {
    let release: () => void = () => undefined;
    hooks.handle('/convert', (review) => new Promise((resolve) => (release = () => resolve(converting(review, '/convert')))));
    try {
      await failsWith(`${V1}/broken`, `${prefix} failed: Post "${hooks.url}/convert?timeout=2s": context deadline exceeded`);
    } finally {
      release();
    }
  });

  it('refuses converted objects whose name, uid, groupVersion or count changed, or whose labels are invalid', async () => {
    hooks.handle('/convert', answer((response) => (response.convertedObjects[0].metadata.name = 'other')));
    await failsWith(`${V1}/broken`, `${prefix} returned invalid object: must have the same name: broken != other`);
    hooks.handle('/convert', answer((response) => (response.convertedObjects[0].metadata.uid = 'changed')));
    const uidRes = await t.api.get(`${V1}/broken`).expect(500);
    expect(uidRes.body.message).toMatch(new RegExp(`^${prefix} returned invalid object: must have the same UID: [0-9a-f-]{36} != changed$`));
    hooks.handle('/convert', answer((response) => (response.convertedObjects[0].apiVersion = `${GROUP}/v2`)));
    await failsWith(`${V1}/broken`, `${prefix} returned invalid object at index 0: invalid groupVersion (expected ${GROUP}/v1, received ${GROUP}/v2)`);
    hooks.handle('/convert', answer((response) => (response.convertedObjects = [])));
    await failsWith(`${V1}/broken`, `${prefix} returned 0 objects, expected 1`);
    hooks.handle('/convert', answer((response) => (response.convertedObjects[0].metadata.labels = { 'bad key!': 'x' })));
    const labels = await t.api.get(`${V1}/broken`).expect(500);
    expect(labels.body.message).toMatch(new RegExp(`^${prefix} returned invalid metadata: metadata.labels: Invalid value: "bad key!": name part must consist of`));
  });

  it('ends a watch with an InternalError event when an event cannot be converted', async () => {
    const rv = (await t.api.get(V2).expect(200)).body.metadata.resourceVersion;
    hooks.handle('/convert', answer((response) => (response.result = { status: 'Failure', message: 'no' })));
    const w = await WatchStream.open(base, V1, { resourceVersion: rv });
    try {
      await t.api.patch(`${V2}/broken`).set('Content-Type', 'application/merge-patch+json').send({ spec: { port: '10' } }).expect(200);
      const ev = await w.next('the ERROR event', (e) => e.type === 'ERROR');
      expect(ev.object).toMatchObject({ kind: 'Status', status: 'Failure', code: 500, reason: 'InternalError', message: `Internal error occurred: ${prefix} failed: no` });
      await waitFor(() => w.ended, 'the watch to end');
    } finally {
      w.close();
    }
  });
});

describe('validation of spec.conversion', () => {
  const refused = async (crd: Obj) => (await t.api.post(CRDS).send(crd).expect(422)).body.message as string;
  const withConversion = (conversion: unknown, extra: Record<string, unknown> = {}) => {
    const crd = portsCRD(extra) as Obj;
    crd.metadata.name = `valids.${GROUP}`;
    crd.spec.names = { plural: 'valids', kind: 'Valid' };
    crd.spec.conversion = conversion;
    return crd;
  };

  it('requires a webhook client config and review versions for strategy Webhook', async () => {
    const message = await refused(withConversion({ strategy: 'Webhook' }));
    expect(message).toContain('spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook');
    expect(message).toContain('spec.conversion.conversionReviewVersions: Required value');
    const both = await refused(withConversion({ strategy: 'Webhook', webhook: { clientConfig: {}, conversionReviewVersions: ['v1'] } }));
    expect(both).toContain('spec.conversion.webhookClientConfig: Required value: exactly one of url or service is required');
  });

  it('requires a review version this server speaks', async () => {
    const message = await refused(withConversion({ strategy: 'Webhook', webhook: { clientConfig: { url: 'https://example.com/convert' }, conversionReviewVersions: ['v3', 'v3'] } }));
    expect(message).toContain('spec.conversion.conversionReviewVersions[1]: Invalid value: "v3": duplicate version');
    expect(message).toContain('spec.conversion.conversionReviewVersions: Invalid value: []string{"v3", "v3"}: must include at least one of v1, v1beta1');
  });

  it('checks the url and refuses Webhook with preserveUnknownFields', async () => {
    const url = await refused(withConversion({ strategy: 'Webhook', webhook: { clientConfig: { url: 'http://example.com/convert' }, conversionReviewVersions: ['v1'] } }));
    expect(url).toContain(`spec.conversion.webhookClientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`);
    const preserve = await refused(withConversion({ strategy: 'Webhook', webhook: { clientConfig: { url: 'https://example.com/convert' }, conversionReviewVersions: ['v1'] } }, { preserveUnknownFields: true }));
    expect(preserve).toContain('spec.conversion.strategy: Invalid value: "Webhook": must be None if spec.preserveUnknownFields is true');
  });

  it('refuses a webhook under strategy None, and defaults the service port to 443', async () => {
    const none = await refused(withConversion({ strategy: 'None', webhook: { clientConfig: { url: 'https://example.com/convert' }, conversionReviewVersions: ['v1'] } }));
    expect(none).toContain('spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook');
    expect(none).toContain('spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook');
    const crd = withConversion({ strategy: 'Webhook', webhook: { clientConfig: { service: { namespace: 'default', name: 'converter' } }, conversionReviewVersions: ['v1'] } });
    const created = (await t.api.post(CRDS).send(crd).expect(201)).body;
    expect(created.spec.conversion.webhook.clientConfig.service).toEqual({ namespace: 'default', name: 'converter', port: 443 });
    await t.api.delete(`${CRDS}/valids.${GROUP}`).expect(200);
  });

  it('refuses an invalid caBundle once the CRD is Established', async () => {
    const crd = (await t.api.get(`${CRDS}/ports.${GROUP}`).expect(200)).body;
    crd.spec.conversion.webhook.clientConfig.caBundle = Buffer.from('not a certificate').toString('base64');
    const res = await t.api.put(`${CRDS}/ports.${GROUP}`).send(crd).expect(422);
    expect(res.body.message).toContain('spec.conversion.webhookClientConfig.caBundle: Invalid value: []byte{0x6e, 0x6f, 0x74');
    expect(res.body.message).toContain('data does not contain any valid RSA or ECDSA certificates');
  });
});

describe('the review versions and the other callers of conversion', () => {
  it('speaks ConversionReview v1beta1 to a webhook that only lists it, without checking its answer\'s uid', async () => {
    const crd = portsCRD() as Obj;
    crd.metadata.name = `olds.${GROUP}`;
    crd.spec.names = { plural: 'olds', kind: 'Old' };
    crd.spec.conversion.webhook = { clientConfig: { url: `${hooks.url}/convert-v1beta1`, caBundle: hooks.caBundle }, conversionReviewVersions: ['v1beta1'] };
    hooks.handle('/convert-v1beta1', (review) => ({
      apiVersion: 'apiextensions.k8s.io/v1beta1',
      kind: 'ConversionReview',
      response: { uid: 'ignored', convertedObjects: review.request.objects.map((o: Obj) => convertTo(o, review.request.desiredAPIVersion)), result: { status: 'Success' } },
    }));
    await createEstablished(t.api, crd);
    const path = `/apis/${GROUP}/v1/namespaces/default/olds`;
    const created = (await t.api.post(path).send({ ...v1Port('legacy', 'l:1'), kind: 'Old' }).expect(201)).body;
    expect(created.spec).toEqual({ hostPort: 'l:1' });
    const sent = hooks.received.filter((r) => r.path.startsWith('/convert-v1beta1'));
    expect(sent[0].body).toMatchObject({ apiVersion: 'apiextensions.k8s.io/v1beta1', kind: 'ConversionReview', request: { desiredAPIVersion: `${GROUP}/v2` } });
    expect((await t.api.get(`/apis/${GROUP}/v2/namespaces/default/olds/legacy`).expect(200)).body.spec).toEqual({ host: 'l', port: '1' });
  });

  it('shows an admission webhook matching only v2 (matchPolicy Equivalent) a v1 write converted through the conversion webhook', async () => {
    const admitted: Obj[] = [];
    hooks.handle('/admit', (review) => {
      admitted.push(review.request);
      return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } };
    });
    await t.api
      .post('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations')
      .send({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'ports-v2' },
        webhooks: [{
          name: 'ports-v2.conv.example.com',
          clientConfig: { url: `${hooks.url}/admit`, caBundle: hooks.caBundle },
          rules: [{ operations: ['CREATE'], apiGroups: [GROUP], apiVersions: ['v2'], resources: ['ports'] }],
          matchPolicy: 'Equivalent',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
        }],
      })
      .expect(201);
    try {
      await waitFor(async () => {
        admitted.length = 0;
        const name = `admitted-${Date.now()}`;
        await t.api.post(V1).send(v1Port(name, 'a:7')).expect(201);
        return admitted.some((r) => r.name === name);
      }, 'the admission webhook to be called');
      const request = admitted.at(-1)!;
      expect(request.kind).toEqual({ group: GROUP, version: 'v2', kind: 'Port' });
      expect(request.requestKind).toEqual({ group: GROUP, version: 'v1', kind: 'Port' });
      expect(request.object).toMatchObject({ apiVersion: `${GROUP}/v2`, spec: { host: 'a', port: '7' } });
    } finally {
      await t.api.delete('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/ports-v2').expect(200);
    }
  });
});

describe('selectors through a conversion webhook', () => {
  const SV1 = `/apis/${GROUP}/v1/namespaces/default/selects`;
  const SV2 = `/apis/${GROUP}/v2/namespaces/default/selects`;
  beforeAll(async () => {
    const crd = portsCRD() as Obj;
    crd.metadata.name = `selects.${GROUP}`;
    crd.spec.names = { plural: 'selects', kind: 'Select' };
    crd.spec.versions[0].selectableFields = [{ jsonPath: '.spec.hostPort' }];
    crd.spec.versions[1].selectableFields = [{ jsonPath: '.spec.host' }];
    crd.spec.conversion.webhook.clientConfig.url = `${hooks.url}/convert-labelled`;
    await createEstablished(t.api, crd);
    for (const [name, host, port] of [['sel-a', 'a', '1'], ['sel-b', 'b', '2']]) {
      await t.api.post(SV2).send({ apiVersion: `${GROUP}/v2`, kind: 'Select', metadata: { name }, spec: { host, port } }).expect(201);
    }
  });
  beforeEach(() => {
    // This webhook labels what it converts with the version it converted to.
    hooks.handle('/convert-labelled', answer((response, review) => {
      for (const o of response.convertedObjects) o.metadata.labels = { ...o.metadata.labels, 'converted-to': review.request.desiredAPIVersion.split('/')[1] };
    }));
  });
  const names = (list: Obj) => list.items.map((i: Obj) => i.metadata.name).sort();

  it('selects a list by the served version\'s selectable fields and by the labels the webhook answered', async () => {
    expect(names((await t.api.get(SV1).query({ fieldSelector: 'spec.hostPort=a:1' }).expect(200)).body)).toEqual(['sel-a']);
    expect(names((await t.api.get(SV2).query({ fieldSelector: 'spec.host=b' }).expect(200)).body)).toEqual(['sel-b']);
    expect(names((await t.api.get(SV1).query({ labelSelector: 'converted-to=v1' }).expect(200)).body)).toEqual(['sel-a', 'sel-b']);
    expect(names((await t.api.get(SV1).query({ fieldSelector: 'metadata.name=sel-b,spec.hostPort=b:2' }).expect(200)).body)).toEqual(['sel-b']);
  });

  it('selects watch events in the served form: an object leaving the selector is DELETED', async () => {
    const rv = (await t.api.get(SV2).expect(200)).body.metadata.resourceVersion;
    const w = await WatchStream.open(base, SV1, { resourceVersion: rv, fieldSelector: 'spec.hostPort=a:1' });
    try {
      await t.api.patch(`${SV2}/sel-b`).set('Content-Type', 'application/merge-patch+json').send({ spec: { port: '3' } }).expect(200);
      await t.api.patch(`${SV2}/sel-a`).set('Content-Type', 'application/merge-patch+json').send({ spec: { port: '9' } }).expect(200);
      const ev = await w.next('sel-a to leave the selector', (e) => e.object.metadata?.name === 'sel-a');
      expect(ev.type).toBe('DELETED');
      expect(ev.object.spec).toEqual({ hostPort: 'a:9' });
      expect(w.events.filter((e) => e.object.metadata?.name === 'sel-b')).toEqual([]);
    } finally {
      w.close();
    }
  });
});
