/**
 * The EndpointSliceMirroring controller on the in-process server: a hand-written Endpoints of a
 * selector-less Service is mirrored into EndpointSlices (ready and not-ready addresses, ports,
 * labels and annotations copied, owned by the Endpoints), updated with it and removed with it;
 * skip-mirror, selector Services and Endpoints without a Service are not mirrored, and the
 * built-in kubernetes Service keeps its own slice pointing at the API server.
 */
import { ENDPOINTS, ENDPOINT_SLICES, SERVICES, type Client } from '../../controllers/runtime/client';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t);

beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client.withFieldManager('mirroring-test');
});
afterAll(() => t.close());

type Obj = Record<string, any>;

const MANAGED_BY = 'endpointslicemirroring-controller.k8s.io';

async function mirrored(ns: string, name: string): Promise<Obj[]> {
  return (await client.list(ENDPOINT_SLICES, ns, { labelSelector: `kubernetes.io/service-name=${name},endpointslice.kubernetes.io/managed-by=${MANAGED_BY}` })).items as Obj[];
}

function endpoints(name: string, subsets: Obj[], labels: Record<string, string> = {}, annotations: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, labels, annotations }, subsets } as KubeObject;
}

describe('EndpointSliceMirroring controller', () => {
  it('mirrors a hand-written Endpoints through create, update and delete', async () => {
    const ns = await newNamespace('mirror');
    await client.create(SERVICES, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { ports: [{ name: 'http', port: 80 }] } });
    const ep = await client.create(
      ENDPOINTS,
      ns,
      endpoints(
        'ext',
        [{ addresses: [{ ip: '10.1.2.3', hostname: 'one' }], notReadyAddresses: [{ ip: '10.1.2.4' }], ports: [{ name: 'http', port: 8000, protocol: 'TCP' }] }],
        { owner: 'me' },
        { note: 'copied', 'endpoints.kubernetes.io/last-change-trigger-time': '2024-01-01T00:00:00Z' },
      ),
    );
    const [slice] = await waitFor(async () => {
      const s = await mirrored(ns, 'ext');
      return s.length === 1 && s;
    }, 'the mirrored slice', 20000);
    expect(slice.metadata.name).toMatch(/^ext-[a-z0-9]{5}$/);
    expect(slice.metadata.labels).toEqual({ owner: 'me', 'kubernetes.io/service-name': 'ext', 'endpointslice.kubernetes.io/managed-by': MANAGED_BY });
    expect(slice.metadata.annotations).toEqual({ note: 'copied' });
    expect(slice.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Endpoints', name: 'ext', uid: ep.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: 'http', protocol: 'TCP', port: 8000 }]);
    const byIP = Object.fromEntries(slice.endpoints.map((e: Obj) => [e.addresses[0], e]));
    expect(byIP['10.1.2.3']).toEqual({ addresses: ['10.1.2.3'], conditions: { ready: true }, hostname: 'one' });
    expect(byIP['10.1.2.4']).toEqual({ addresses: ['10.1.2.4'], conditions: { ready: false } });

    // An update of address and port rewrites the same slice.
    await client.patch(ENDPOINTS, ns, 'ext', 'merge', { subsets: [{ addresses: [{ ip: '10.2.3.4' }], ports: [{ name: 'http', port: 8001, protocol: 'TCP' }] }] });
    const [updated] = await waitFor(async () => {
      const s = await mirrored(ns, 'ext');
      return s.length === 1 && s[0].ports?.[0]?.port === 8001 && s;
    }, 'the updated slice', 20000);
    expect(updated.metadata.name).toBe(slice.metadata.name);
    expect(updated.endpoints).toEqual([{ addresses: ['10.2.3.4'], conditions: { ready: true } }]);

    // Two port sets and an IPv6 address make three slices.
    await client.patch(ENDPOINTS, ns, 'ext', 'merge', {
      subsets: [
        { addresses: [{ ip: '10.2.3.4' }, { ip: 'fd00::5' }], ports: [{ name: 'http', port: 8001 }] },
        { addresses: [{ ip: '10.9.9.9' }], ports: [{ name: 'admin', port: 9000 }] },
      ],
    });
    const three = await waitFor(async () => {
      const s = await mirrored(ns, 'ext');
      return s.length === 3 && s;
    }, 'three slices', 20000);
    expect(three.map((s) => `${s.addressType}:${s.ports[0].port}:${s.endpoints.map((e: Obj) => e.addresses[0]).join(',')}`).sort()).toEqual([
      'IPv4:8001:10.2.3.4',
      'IPv4:9000:10.9.9.9',
      'IPv6:8001:fd00::5',
    ]);

    await client.delete(ENDPOINTS, ns, 'ext');
    await waitFor(async () => (await mirrored(ns, 'ext')).length === 0, 'the mirrored slices removed', 20000);
  });

  it('does not mirror skip-mirror Endpoints, Endpoints of selector Services or of no Service, and removes slices when that changes', async () => {
    const ns = await newNamespace('mirror');
    const subsets = [{ addresses: [{ ip: '10.1.1.1' }], ports: [{ port: 80 }] }];
    await client.create(SERVICES, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'skip' }, spec: { ports: [{ port: 80 }] } });
    await client.create(ENDPOINTS, ns, endpoints('skip', subsets, { 'endpointslice.kubernetes.io/skip-mirror': 'true' }));
    await client.create(ENDPOINTS, ns, endpoints('lonely', subsets));
    await client.create(SERVICES, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'flip' }, spec: { ports: [{ port: 80 }] } });
    await client.create(ENDPOINTS, ns, endpoints('flip', subsets));
    await waitFor(async () => (await mirrored(ns, 'flip')).length === 1, 'flip mirrored', 20000);
    expect(await mirrored(ns, 'skip')).toEqual([]);
    expect(await mirrored(ns, 'lonely')).toEqual([]);

    // Labelling it skip-mirror removes the mirrored slice; so does the Service gaining a selector.
    await client.patch(ENDPOINTS, ns, 'flip', 'merge', { metadata: { labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } } });
    await waitFor(async () => (await mirrored(ns, 'flip')).length === 0, 'flip unmirrored', 20000);
    await client.patch(ENDPOINTS, ns, 'flip', 'merge', { metadata: { labels: { 'endpointslice.kubernetes.io/skip-mirror': null } } });
    await waitFor(async () => (await mirrored(ns, 'flip')).length === 1, 'flip mirrored again', 20000);
    await client.patch(SERVICES, ns, 'flip', 'merge', { spec: { selector: { app: 'flip' } } });
    await waitFor(async () => (await mirrored(ns, 'flip')).length === 0, 'flip unmirrored by the selector', 20000);
  });

  it('leaves the kubernetes Service pointing at the API server with its own slice', async () => {
    const slices = (await client.list(ENDPOINT_SLICES, 'default', { labelSelector: 'kubernetes.io/service-name=kubernetes' })).items as Obj[];
    expect(slices.map((s) => s.metadata.name)).toEqual(['kubernetes']);
    expect(slices[0].endpoints[0].addresses).toEqual(['127.0.0.1']);
    expect(await mirrored('default', 'kubernetes')).toEqual([]);
    const ep = (await client.get(ENDPOINTS, 'default', 'kubernetes')) as Obj;
    expect(ep.subsets[0].addresses).toEqual([{ ip: '127.0.0.1' }]);
  });
});
