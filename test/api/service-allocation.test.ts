/**
 * Service allocation in the registry's write path, through the HTTP API: cluster IPs from the
 * service range in the create response, requested addresses honoured or refused with kube's
 * 422, release on delete, type changes to and from ExternalName, headless Services, IP family
 * defaults and refusals, dry runs that take nothing, and the node ports nodeless refuses.
 */
import { NO_NODE_PORTS } from '../../server/registry/service-allocation';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
const ns = 'svc-alloc';
beforeAll(async () => {
  // A small range makes exhaustion and reuse easy to see: 10.97.0.0/28 has 14 usable addresses.
  t = await startTestServer({ serviceClusterIPRange: '10.97.0.0/28', controllers: false });
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).expect(201);
});
afterAll(() => t.close());

type Spec = Record<string, unknown>;
const svc = (name: string, spec: Spec = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], selector: { app: name }, ...spec } });
const create = (body: unknown, query = '') => t.api.post(`/api/v1/namespaces/${ns}/services${query}`).send(body as object);
const del = (name: string) => t.api.delete(`/api/v1/namespaces/${ns}/services/${name}`).expect(200);
const patch = (name: string, body: unknown) => t.api.patch(`/api/v1/namespaces/${ns}/services/${name}`).set('Content-Type', 'application/merge-patch+json').send(body as object);

describe('Service cluster IP allocation', () => {
  it('gives a ClusterIP Service an address of the range in the create response, with kube defaults', async () => {
    const res = await create(svc('web')).expect(201);
    const ip = res.body.spec.clusterIP as string;
    expect(ip).toMatch(/^10\.97\.0\.(\d+)$/);
    expect(t.nodeless.serviceIPs.has(ip)).toBe(true);
    expect(res.body.spec).toMatchObject({
      clusterIPs: [ip],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }],
    });
    const stored = await t.api.get(`/api/v1/namespaces/${ns}/services/web`).expect(200);
    expect(stored.body.spec.clusterIP).toBe(ip);
    await del('web');
    expect(t.nodeless.serviceIPs.has(ip)).toBe(false);
  });

  it('honours a requested clusterIP and refuses it when taken or out of range, with kube messages', async () => {
    await create(svc('fixed', { clusterIP: '10.97.0.5' })).expect(201);
    const taken = await create(svc('again', { clusterIP: '10.97.0.5' })).expect(422);
    expect(taken.body.message).toBe('Service "again" is invalid: spec.clusterIPs: Invalid value: []string{"10.97.0.5"}: failed to allocate IP 10.97.0.5: provided IP is already allocated');
    expect(taken.body.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: 'Invalid value: []string{"10.97.0.5"}: failed to allocate IP 10.97.0.5: provided IP is already allocated' }]);
    const outside = await create(svc('outside', { clusterIPs: ['10.96.0.7'] })).expect(422);
    expect(outside.body.message).toBe(
      'Service "outside" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.7"}: failed to allocate IP 10.96.0.7: the provided IP (10.96.0.7) is not in the valid range. The range of valid IPs is 10.97.0.0/28',
    );
    // The network and broadcast addresses are never handed out.
    await create(svc('broadcast', { clusterIP: '10.97.0.15' })).expect(422);
    await del('fixed');
    await create(svc('again', { clusterIP: '10.97.0.5' })).expect(201);
    await del('again');
  });

  it('keeps the clusterIP on updates that leave it out and refuses a change as immutable', async () => {
    const created = await create(svc('steady')).expect(201);
    const ip = created.body.spec.clusterIP;
    const put = { ...created.body, spec: { ...created.body.spec, clusterIP: undefined, clusterIPs: undefined, ports: [{ port: 81 }] } };
    const updated = await t.api.put(`/api/v1/namespaces/${ns}/services/steady`).send(put).expect(200);
    expect(updated.body.spec.clusterIPs).toEqual([ip]);
    const other = ip === '10.97.0.9' ? '10.97.0.10' : '10.97.0.9';
    const refused = await patch('steady', { spec: { clusterIP: other, clusterIPs: [other] } }).expect(422);
    expect(refused.body.message).toBe(`Service "steady" is invalid: spec.clusterIPs[0]: Invalid value: []string{"${other}"}: may not change once set`);
    expect(t.nodeless.serviceIPs.has(other)).toBe(false);
    await del('steady');
  });

  it('gives headless and ExternalName Services no address, and moves the address with type changes', async () => {
    const headless = await create(svc('headless', { clusterIP: 'None' })).expect(201);
    expect(headless.body.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    // Headless without a selector asks for both families, as kube defaults it.
    const selectorless = await create({ ...svc('headless-bare', { clusterIP: 'None' }), spec: { clusterIP: 'None', ports: [{ port: 80 }] } }).expect(201);
    expect(selectorless.body.spec).toMatchObject({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] });
    const ext = await create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } }).expect(201);
    expect(ext.body.spec.clusterIP).toBeUndefined();
    expect(ext.body.spec.ipFamilies).toBeUndefined();
    const before = t.nodeless.serviceIPs.allocated;
    // ExternalName to ClusterIP allocates.
    const toClusterIP = await patch('ext', { spec: { type: 'ClusterIP', externalName: null, ports: [{ port: 80 }] } }).expect(200);
    const ip = toClusterIP.body.spec.clusterIP;
    expect(ip).toMatch(/^10\.97\.0\./);
    expect(t.nodeless.serviceIPs.allocated).toBe(before + 1);
    // ClusterIP to ExternalName releases it (the fields the type no longer uses are dropped).
    const back = await patch('ext', { spec: { type: 'ExternalName', externalName: 'db.example.com' } }).expect(200);
    expect(back.body.spec.clusterIP).toBeUndefined();
    expect(back.body.spec.clusterIPs).toBeUndefined();
    expect(t.nodeless.serviceIPs.has(ip)).toBe(false);
    await Promise.all(['headless', 'headless-bare', 'ext'].map(del));
  });

  it('refuses IPv6 and dual-stack on this IPv4 cluster as kube refuses a family it has no range for', async () => {
    const v6 = await create(svc('v6', { ipFamilies: ['IPv6'] })).expect(422);
    expect(v6.body.message).toBe('Service "v6" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster');
    const dual = await create(svc('dual', { ipFamilyPolicy: 'RequireDualStack' })).expect(422);
    expect(dual.body.message).toBe('Service "dual" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services');
    const v6ip = await create(svc('v6ip', { clusterIP: 'fd00::10' })).expect(422);
    expect(v6ip.body.message).toBe('Service "v6ip" is invalid: spec.clusterIPs[0]: Invalid value: []string{"fd00::10"}: IPv6 is not configured on this cluster');
    // PreferDualStack is a preference: it stays single-stack here.
    const prefer = await create(svc('prefer', { ipFamilyPolicy: 'PreferDualStack' })).expect(201);
    expect(prefer.body.spec).toMatchObject({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4'] });
    await del('prefer');
  });

  it('takes nothing on a dry run', async () => {
    const before = t.nodeless.serviceIPs.allocated;
    const dry = await create(svc('dry'), '?dryRun=All').expect(201);
    expect(dry.body.spec.clusterIP).toMatch(/^10\.97\.0\./);
    expect(t.nodeless.serviceIPs.allocated).toBe(before);
    await create(svc('dry-fixed', { clusterIP: '10.97.0.6' }), '?dryRun=All').expect(201);
    expect(t.nodeless.serviceIPs.has('10.97.0.6')).toBe(false);
    await t.api.get(`/api/v1/namespaces/${ns}/services/dry`).expect(404);
  });

  it('gives the address back when validation refuses the Service', async () => {
    const before = t.nodeless.serviceIPs.allocated;
    await create(svc('bad', { clusterIP: '10.97.0.7', sessionAffinity: 'Sometimes' })).expect(422);
    expect(t.nodeless.serviceIPs.allocated).toBe(before);
    expect(t.nodeless.serviceIPs.has('10.97.0.7')).toBe(false);
  });

  it('refuses NodePort Services and node ports of a LoadBalancer, saying there are no nodes', async () => {
    const np = await create(svc('np', { type: 'NodePort' })).expect(422);
    expect(np.body.message).toBe(`Service "np" is invalid: spec.type: Invalid value: "NodePort": ${NO_NODE_PORTS}: use type ClusterIP, or LoadBalancer for an external address`);
    const lbPorts = await create(svc('lb-ports', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: true })).expect(422);
    expect(lbPorts.body.message).toBe(`Service "lb-ports" is invalid: spec.allocateLoadBalancerNodePorts: Invalid value: true: ${NO_NODE_PORTS}: leave it unset or set it to false`);
    const explicit = await create(svc('lb-np', { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30080 }] })).expect(422);
    expect(explicit.body.message).toContain(`spec.ports[0].nodePort: Invalid value: 30080: ${NO_NODE_PORTS}`);
    const lb = await create(svc('lb', { type: 'LoadBalancer' })).expect(201);
    expect(lb.body.spec).toMatchObject({ allocateLoadBalancerNodePorts: false, externalTrafficPolicy: 'Cluster' });
    expect(lb.body.spec.ports[0].nodePort).toBeUndefined();
    expect(lb.body.spec.clusterIP).toMatch(/^10\.97\.0\./);
    // Back to ClusterIP: the LoadBalancer-only fields go with the type.
    const cip = await patch('lb', { spec: { type: 'ClusterIP' } }).expect(200);
    expect(cip.body.spec.allocateLoadBalancerNodePorts).toBeUndefined();
    expect(cip.body.spec.externalTrafficPolicy).toBeUndefined();
    expect(cip.body.spec.clusterIP).toBe(lb.body.spec.clusterIP);
    await patch('lb', { spec: { type: 'NodePort' } }).expect(422);
    await del('lb');
  });

  it('releases the addresses of a deleted namespace', async () => {
    const c = await startTestServer({ serviceClusterIPRange: '10.98.0.0/28' });
    try {
      await c.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } }).expect(201);
      const ips: string[] = [];
      for (const name of ['a', 'b', 'c']) ips.push((await c.api.post('/api/v1/namespaces/gone/services').send(svc(name)).expect(201)).body.spec.clusterIP);
      expect(ips.every((ip) => c.nodeless.serviceIPs.has(ip))).toBe(true);
      await c.api.delete('/api/v1/namespaces/gone').expect(200);
      await waitFor(() => ips.every((ip) => !c.nodeless.serviceIPs.has(ip)), 'the namespace controller to delete the Services', 30_000);
    } finally {
      await c.close();
    }
  });

  it('hands out every address once under concurrent creates, then refuses with a 422 once the range is full', async () => {
    const free = t.nodeless.serviceIPs.free;
    const results = await Promise.all(Array.from({ length: free + 2 }, (_, i) => create(svc(`many-${i}`))));
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(free);
    const ips = created.map((r) => r.body.spec.clusterIP);
    expect(new Set(ips).size).toBe(free);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.map((r) => r.status)).toEqual([422, 422]);
    expect(refused[0].body.message).toContain('failed to allocate a serviceIP: range is full');
    await Promise.all(created.map((r) => del(r.body.metadata.name)));
  });
});
