/**
 * DefaultIngressClass admission through the HTTP API: an Ingress created without a class gets
 * the default IngressClass's name (nodeless's, present from the first start; of several
 * defaults the newest); one naming a class, or the legacy annotation, keeps it; without a
 * default class nothing is set.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
const ns = 'default';
beforeAll(async () => {
  t = await startTestServer({ controllers: false });
});
afterAll(() => t.close());

const CLASSES = '/apis/networking.k8s.io/v1/ingressclasses';
const INGRESSES = `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`;
const ingress = (name: string, extra: Record<string, unknown> = {}, annotations?: Record<string, string>) => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, annotations },
  spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } }, ...extra },
});

describe('DefaultIngressClass admission', () => {
  it('names the default class on create and leaves a named class alone', async () => {
    const plain = await t.api.post(INGRESSES).send(ingress('plain')).expect(201);
    expect(plain.body.spec.ingressClassName).toBe('nodeless');
    const named = await t.api.post(INGRESSES).send(ingress('named', { ingressClassName: 'other' })).expect(201);
    expect(named.body.spec.ingressClassName).toBe('other');
    const legacy = await t.api.post(INGRESSES).send(ingress('legacy', {}, { 'kubernetes.io/ingress.class': 'nginx' })).expect(201);
    expect(legacy.body.spec.ingressClassName).toBeUndefined();
  });

  it('picks the newest of several default classes, and none once no class is default', async () => {
    // creationTimestamp has second resolution: wait for the next second so the new class is newer.
    const start = Math.floor(Date.now() / 1000);
    while (Math.floor(Date.now() / 1000) === start) await new Promise((r) => setTimeout(r, 50));
    await t.api.post(CLASSES).send({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'newer', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: 'example.com/ingress' } }).expect(201);
    expect((await t.api.post(INGRESSES).send(ingress('second')).expect(201)).body.spec.ingressClassName).toBe('newer');
    await t.api.delete(`${CLASSES}/newer`).expect(200);
    await t.api.delete(`${CLASSES}/nodeless`).expect(200);
    expect((await t.api.post(INGRESSES).send(ingress('third')).expect(201)).body.spec.ingressClassName).toBeUndefined();
  });
});
