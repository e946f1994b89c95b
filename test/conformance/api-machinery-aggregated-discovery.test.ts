/**
 * [sig-api-machinery] AggregatedDiscovery and Discovery: the built-in resources upstream
 * expects are present in the aggregated documents and in the per-group-version lists.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

// The group/version/resources the upstream test requires, besides v1 namespaces.
const EXPECTED: Array<[string, string, string]> = [
  ['admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations'],
  ['apiextensions.k8s.io', 'v1', 'customresourcedefinitions'],
  ['apiregistration.k8s.io', 'v1', 'apiservices'],
  ['apps', 'v1', 'deployments'],
  ['authentication.k8s.io', 'v1', 'tokenreviews'],
  ['authorization.k8s.io', 'v1', 'selfsubjectaccessreviews'],
  ['autoscaling', 'v1', 'horizontalpodautoscalers'],
  ['autoscaling', 'v2', 'horizontalpodautoscalers'],
  ['batch', 'v1', 'jobs'],
  ['certificates.k8s.io', 'v1', 'certificatesigningrequests'],
  ['coordination.k8s.io', 'v1', 'leases'],
  ['discovery.k8s.io', 'v1', 'endpointslices'],
  ['events.k8s.io', 'v1', 'events'],
  ['networking.k8s.io', 'v1', 'ingresses'],
  ['node.k8s.io', 'v1', 'runtimeclasses'],
  ['policy', 'v1', 'poddisruptionbudgets'],
  ['scheduling.k8s.io', 'v1', 'priorityclasses'],
  ['storage.k8s.io', 'v1', 'csinodes'],
];

interface DiscoveryList {
  kind: string;
  items: Array<{ metadata: { name?: string }; versions: Array<{ version: string; resources: Array<{ resource: string }> }> }>;
}

function present(list: DiscoveryList, group: string, version: string, resource: string): boolean {
  return list.items.some((g) => (g.metadata.name ?? '') === group && g.versions.some((v) => v.version === version && v.resources.some((r) => r.resource === resource)));
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe('[sig-api-machinery] AggregatedDiscovery', () => {
  it('[sig-api-machinery] AggregatedDiscovery should support raw aggregated discovery endpoint Accept headers [Conformance]', async () => {
    const apis = await t.api.get('/apis').set('Accept', AGGREGATED).expect(200);
    expect(apis.headers['content-type']).toBe(AGGREGATED);
    const groups = apis.body as DiscoveryList;
    expect(groups.kind).toBe('APIGroupDiscoveryList');
    for (const [g, v, r] of EXPECTED) expect([g, v, r, present(groups, g, v, r)]).toEqual([g, v, r, true]);
    const legacy = (await t.api.get('/api').set('Accept', AGGREGATED).expect(200)).body as DiscoveryList;
    expect(present(legacy, '', 'v1', 'namespaces')).toBe(true);
  });

  it('[sig-api-machinery] AggregatedDiscovery should support aggregated discovery interface [Conformance]', async () => {
    // What client-go's GroupsAndMaybeResources does: /api and /apis aggregated, merged.
    const accept = `${AGGREGATED},application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json`;
    const legacy = (await t.api.get('/api').set('Accept', accept).expect(200)).body as DiscoveryList;
    const apis = (await t.api.get('/apis').set('Accept', accept).expect(200)).body as DiscoveryList;
    const all: DiscoveryList = { kind: 'APIGroupDiscoveryList', items: [...legacy.items, ...apis.items] };
    for (const [g, v, r] of [...EXPECTED, ['', 'v1', 'namespaces'] as [string, string, string]]) {
      expect([g, v, r, present(all, g, v, r)]).toEqual([g, v, r, true]);
    }
  });
});

describe('[sig-api-machinery] Discovery', () => {
  it('[sig-api-machinery] Discovery should locate the groupVersion and a resource within each APIGroup [Conformance]', async () => {
    const groups = (await t.api.get('/apis').expect(200)).body.groups as Array<{ name: string; versions: Array<{ groupVersion: string }> }>;
    expect(groups.length).toBeGreaterThan(10);
    for (const g of groups) {
      for (const v of g.versions) {
        const list = (await t.api.get(`/apis/${v.groupVersion}`).expect(200)).body as { groupVersion: string; resources: Array<{ name: string }> };
        expect(list.groupVersion).toBe(v.groupVersion);
        expect(list.resources.length).toBeGreaterThan(0);
      }
    }
  });
});
