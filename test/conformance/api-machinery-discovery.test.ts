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
