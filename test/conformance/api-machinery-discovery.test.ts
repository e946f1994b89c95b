/**
 * Conformance: the upstream "[sig-api-machinery] Discovery" and "server version" tests
 * (test/e2e/apimachinery/discovery.go, server_version.go) over /apis, /apis/{group} and /version.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

interface GroupVersion {
  groupVersion: string;
  version: string;
}

it('[sig-api-machinery] Discovery should validate PreferredVersion for each APIGroup [Conformance]', async () => {
  const list = await t.api.get('/apis/').expect(200);
  expect(list.body.kind).toBe('APIGroupList');
  const groups = list.body.groups as Array<{ name: string }>;
  expect(groups.length).toBeGreaterThan(0);
  for (const group of groups) {
    // upstream ignores example dynamic groups added and removed during the run
    if (group.name.endsWith('.example.com')) continue;
    const res = await t.api.get(`/apis/${group.name}/`).expect(200);
    const checkGroup = res.body as { kind: string; versions: GroupVersion[]; preferredVersion: GroupVersion };
    expect(checkGroup.kind).toBe('APIGroup');
    expect(checkGroup.versions.length).toBeGreaterThan(0);
    // the PreferredVersion is one of the versions listed
    expect(checkGroup.versions.map((v) => v.groupVersion)).toContain(checkGroup.preferredVersion.groupVersion);
  }
});

it('[sig-api-machinery] server version should find the server version [Conformance]', async () => {
  const res = await t.api.get('/version').expect(200);
  const { major, minor } = res.body as { major: string; minor: string };
  // major is a single non-zero digit, as upstream's regexp [1-9] demands
  expect(/[1-9]/.exec(major)?.[0]).toBe(major);
  // minor's leading number is all of its digits (a "+" suffix is allowed)
  const cleanMinor = minor.replace(/[^0-9]+/g, '');
  expect(/[0-9]+/.exec(minor)?.[0]).toBe(cleanMinor);
  expect(Number.isInteger(Number(major))).toBe(true);
  expect(Number.isInteger(Number(cleanMinor))).toBe(true);
});

describe('storageVersionHash in legacy discovery', () => {
  type Resource = { name: string; storageVersionHash?: string };
  const resources = async (path: string) => (await t.api.get(path).expect(200)).body.resources as Resource[];
  const hashOf = (list: Resource[], name: string) => list.find((r) => r.name === name)?.storageVersionHash;

  it('should carry the hash of the storage group/version/kind on every stored resource, as kube-apiserver computes it', async () => {
    const core = await resources('/api/v1');
    // Values from a real kube-apiserver's /api/v1 and /apis/apps/v1.
    expect(hashOf(core, 'pods')).toBe('xPOwRZ+Yhw8=');
    expect(hashOf(core, 'namespaces')).toBe('Q3oi5N2YM8M=');
    expect(hashOf(await resources('/apis/apps/v1'), 'deployments')).toBe('8aSe+NMegvE=');
  });

  it('should leave subresources and storage-less reviews without a hash', async () => {
    const core = await resources('/api/v1');
    expect(hashOf(core, 'pods/status')).toBeUndefined();
    expect(core.find((r) => r.name === 'pods/status')).toBeDefined();
    const authz = await resources('/apis/authorization.k8s.io/v1');
    expect(authz.find((r) => r.name === 'selfsubjectaccessreviews')).toBeDefined();
    expect(hashOf(authz, 'selfsubjectaccessreviews')).toBeUndefined();
  });

  it('should give every version sharing one storage the storage version\'s hash', async () => {
    // events.k8s.io/v1 Events are stored as core/v1 Events; both HPA versions as autoscaling/v2.
    expect(hashOf(await resources('/apis/events.k8s.io/v1'), 'events')).toBe(hashOf(await resources('/api/v1'), 'events'));
    expect(hashOf(await resources('/api/v1'), 'events')).toBe('r2yiGXH7wu8=');
    const v1 = hashOf(await resources('/apis/autoscaling/v1'), 'horizontalpodautoscalers');
    expect(v1).toBe(hashOf(await resources('/apis/autoscaling/v2'), 'horizontalpodautoscalers'));
    expect(v1).toBe('qwQve8ut294=');
  });

  it('should not put a hash in aggregated discovery, whose APIResourceDiscovery has no such field', async () => {
    const res = await t.api.get('/api').set('Accept', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList').expect(200);
    expect(JSON.stringify(res.body)).not.toContain('storageVersionHash');
  });
});
