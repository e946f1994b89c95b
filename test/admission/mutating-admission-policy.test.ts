/**
 * MutatingAdmissionPolicy (admissionregistration.k8s.io/v1alpha1, behind its feature gate): not
 * served by default; with the gate, a bound policy's ApplyConfiguration and JSONPatch mutations
 * change matching writes before validation, with params, variables and matchConditions, and
 * failurePolicy decides what a failing mutation does.
 */
import { rewriteStructLiterals } from '../../schemas/cel/struct-literals';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { createEstablished, crdManifest } from '../crd/helpers';

const MAP = '/apis/admissionregistration.k8s.io/v1alpha1/mutatingadmissionpolicies';
const MAPB = '/apis/admissionregistration.k8s.io/v1alpha1/mutatingadmissionpolicybindings';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';

const deployment = (name: string, labels: Record<string, string> = { app: name }) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
});

const deploymentRules = { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] };

describe('message literals', () => {
  it('become map literals, leaving strings and maps alone', () => {
    expect(rewriteStructLiterals('Object{metadata: Object.metadata{labels: {"a{b": x}}}')).toBe('{"metadata": {"labels": {"a{b": x}}}');
    expect(rewriteStructLiterals('[JSONPatch{op: "add", path: "/x", value: 1}]')).toBe('[{"op": "add", "path": "/x", "value": 1}]');
    expect(rewriteStructLiterals("x in {'k': 1} ? 'T{a: b}' : y")).toBe("x in {'k': 1} ? 'T{a: b}' : y");
  });
});

describe('MutatingAdmissionPolicy feature gate off', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('does not serve the kinds', async () => {
    await t.api.get(MAP).expect(404);
    const gv = await t.api.get('/apis/admissionregistration.k8s.io');
    expect(JSON.stringify(gv.body)).not.toContain('v1alpha1');
  });
});

describe('MutatingAdmissionPolicy', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ mutatingAdmissionPolicy: true });
  });
  afterAll(() => t.close());

  async function bind(name: string, spec: Record<string, unknown>, binding: Record<string, unknown> = {}): Promise<void> {
    await t.api.post(MAP).send({ apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'MutatingAdmissionPolicy', metadata: { name }, spec: { matchConstraints: deploymentRules, ...spec } }).expect(201);
    await t.api.post(MAPB).send({ apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'MutatingAdmissionPolicyBinding', metadata: { name }, spec: { policyName: name, ...binding } }).expect(201);
    await waitFor(() => t.nodeless.mutatingPolicies!.bindings.list().some((b) => b.metadata?.name === name) && t.nodeless.mutatingPolicies!.policies.get(name), `policy ${name} in the cache`);
  }

  async function unbind(name: string): Promise<void> {
    await t.api.delete(`${MAPB}/${name}`).expect(200);
    await t.api.delete(`${MAP}/${name}`).expect(200);
    await waitFor(() => !t.nodeless.mutatingPolicies!.bindings.list().some((b) => b.metadata?.name === name), `binding ${name} gone`);
  }

  it('is served and validated: a mutation that does not compile is refused with its field', async () => {
    const group = (await t.api.get('/apis/admissionregistration.k8s.io').expect(200)).body;
    expect(group.versions.map((v: { version: string }) => v.version)).toEqual(['v1', 'v1alpha1']);
    expect(group.preferredVersion.version).toBe('v1');
    const res = await t.api.post(MAP).send({
      apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'bad' },
      spec: { matchConstraints: deploymentRules, mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{' } }, { patchType: 'Merge' }] },
    }).expect(422);
    const fields = res.body.details.causes.map((c: { field: string }) => c.field);
    expect(fields).toEqual(['spec.mutations[0].applyConfiguration.expression', 'spec.mutations[1].patchType']);
    const ok = await t.api.post(MAP).send({ apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'defaults' }, spec: { matchConstraints: deploymentRules, mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[]' } }] } }).expect(201);
    expect(ok.body.spec.failurePolicy).toBe('Fail');
    expect(ok.body.spec.reinvocationPolicy).toBe('Never');
    await t.api.delete(`${MAP}/defaults`).expect(200);
  });

  it('merges an apply configuration into matching Deployments, with variables and a matchCondition', async () => {
    await bind('add-label', {
      variables: [{ name: 'team', expression: "'platform'" }],
      matchConditions: [{ name: 'not-skipped', expression: "!('skip' in object.metadata.labels)" }],
      mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{metadata: Object.metadata{labels: {"team": variables.team}}, spec: Object.spec{replicas: 3}}' } }],
    });
    const created = await t.api.post(DEPLOYS).send(deployment('web')).expect(201);
    expect(created.body.metadata.labels).toEqual({ app: 'web', team: 'platform' });
    expect(created.body.spec.replicas).toBe(3);
    // managedFields record the request's manager only: the policy is not an owner.
    expect(created.body.metadata.managedFields.map((e: { manager: string }) => e.manager)).not.toContain('mutating-admission-policy');
    const skipped = await t.api.post(DEPLOYS).send(deployment('skipped', { app: 'skipped', skip: 'yes' })).expect(201);
    expect(skipped.body.metadata.labels).toEqual({ app: 'skipped', skip: 'yes' });
    await unbind('add-label');
  });

  it('applies JSONPatch operations, with params', async () => {
    await t.api.post('/api/v1/namespaces/default/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mutation-params' }, data: { owner: 'team/a~b' } }).expect(201);
    await bind('annotate', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      mutations: [{
        patchType: 'JSONPatch',
        jsonPatch: { expression: '[JSONPatch{op: "add", path: "/metadata/annotations", value: {}}, JSONPatch{op: "add", path: "/metadata/annotations/" + jsonpatch.escapeKey("example.com/owner"), value: params.data.owner}]' },
      }],
    }, { paramRef: { name: 'mutation-params', namespace: 'default', parameterNotFoundAction: 'Deny' } });
    const created = await t.api.post(DEPLOYS).send(deployment('patched')).expect(201);
    expect(created.body.metadata.annotations).toEqual({ 'example.com/owner': 'team/a~b' });
    await unbind('annotate');
  });

  it('refuses the write when a mutation fails under failurePolicy Fail, and lets it through under Ignore', async () => {
    await bind('broken', { mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op: "remove", path: "/spec/missing"}]' } }] });
    const res = await t.api.post(DEPLOYS).send(deployment('refused')).expect(403);
    const message = "policy 'broken' with binding 'broken' denied request: JSONPath: error in remove for path: '/spec/missing': Unable to remove nonexistent key: missing: missing value";
    expect(res.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Invalid', code: 403, message,
      details: { name: 'refused', group: 'apps', kind: 'deployments', causes: [{ message }] },
    });
    await t.api.patch(`${MAP}/broken`).set('Content-Type', 'application/merge-patch+json').send({ spec: { failurePolicy: 'Ignore' } }).expect(200);
    await waitFor(() => t.nodeless.mutatingPolicies!.policies.get('broken')?.spec && (t.nodeless.mutatingPolicies!.policies.get('broken')!.spec as { failurePolicy?: string }).failurePolicy === 'Ignore', 'the Ignore policy in the cache');
    await t.api.post(DEPLOYS).send(deployment('ignored')).expect(201);
    await unbind('broken');
  });

  describe('refusals, worded as kube 1.32 words them', () => {
    const refusal = async (name: string) => (await t.api.post(DEPLOYS).send(deployment(name)).expect(403)).body;

    it('an expression that fails to evaluate', async () => {
      const expression = "[JSONPatch{op: 'add', path: '/metadata/labels/x', value: object.spec.missing.name}]";
      await bind('eval-error', { mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression } }] });
      const body = await refusal('eval-error');
      expect(body).toMatchObject({ reason: 'Invalid', code: 403 });
      expect(body.message).toMatch(new RegExp(`^policy 'eval-error' with binding 'eval-error' denied request: expression '${expression.replace(/[[\]{}().*+?^$|\\]/g, '\\$&')}' resulted in error: no such key: missing`));
      await unbind('eval-error');
    });

    it('a matchCondition that fails to evaluate, and one that is false after it', async () => {
      const expression = 'object.spec.missing.enabled';
      await bind('cond-error', { matchConditions: [{ name: 'broken', expression }], mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[]' } }] });
      const body = await refusal('cond-error');
      expect(body.reason).toBe('Invalid');
      expect(body.message).toMatch(/^policy 'cond-error' with binding 'cond-error' denied request: expression 'object\.spec\.missing\.enabled' resulted in error: no such key: missing/);
      await unbind('cond-error');
      // A false condition skips the policy even when another one failed.
      await bind('cond-false', { matchConditions: [{ name: 'broken', expression }, { name: 'no', expression: 'false' }], mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[]' } }] });
      await t.api.post(DEPLOYS).send(deployment('cond-false')).expect(201);
      await unbind('cond-false');
    });

    it('a param that is not found, and a paramKind that does not exist', async () => {
      await bind('no-param', { paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[]' } }] }, { paramRef: { name: 'absent', namespace: 'default', parameterNotFoundAction: 'Deny' } });
      const body = await refusal('no-param');
      expect(body).toMatchObject({
        reason: 'Forbidden', code: 403,
        message: "policy 'no-param' with binding 'no-param' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction",
      });
      await unbind('no-param');
      await bind('no-kind', { paramKind: { apiVersion: 'example.com/v1', kind: 'Nope' }, mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[]' } }] }, { paramRef: { name: 'x', parameterNotFoundAction: 'Allow' } });
      expect((await refusal('no-kind')).message).toBe("policy \"no-kind\" denied request: failed to configure policy: failed to find resource referenced by paramKind: 'example.com/v1, Kind=Nope'");
      await unbind('no-kind');
    });

    it('an apply configuration that sets an atomic list', async () => {
      await bind('atomic', {
        mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{containers: [Object.spec.template.spec.containers{name: 'c', args: ['x']}]}}}}" } }],
      });
      expect((await refusal('atomic')).message).toBe("policy 'atomic' with binding 'atomic' denied request: error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: .spec.template.spec.containers[0].args");
      await unbind('atomic');
    });

    it('an apply configuration that sets an atomic struct, or a custom resource\'s list without a list type', async () => {
      await bind('selector', { mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{spec: Object.spec{selector: Object.spec.selector{matchLabels: {'app': 'selector'}}}}" } }] });
      expect((await refusal('selector')).message).toBe("policy 'selector' with binding 'selector' denied request: error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: .spec.selector");
      await unbind('selector');
      await createEstablished(t.api, crdManifest({
        group: 'map.example.com', kind: 'Gizmo',
        schema: { type: 'object', properties: { spec: { type: 'object', properties: {
          tags: { type: 'array', items: { type: 'string' } },
          ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer' } } } },
        } } } },
      }));
      const gizmos = '/apis/map.example.com/v1/namespaces/default/gizmos';
      const gizmo = (name: string) => ({ apiVersion: 'map.example.com/v1', kind: 'Gizmo', metadata: { name }, spec: { ports: [{ name: 'a', port: 1 }] } });
      const rules = { resourceRules: [{ apiGroups: ['map.example.com'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['gizmos'] }] };
      await bind('tags', { matchConstraints: rules, mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{spec: Object.spec{tags: ['x']}}" } }] });
      expect((await t.api.post(gizmos).send(gizmo('tagged')).expect(403)).body.message).toBe("policy 'tags' with binding 'tags' denied request: error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: .spec.tags");
      await unbind('tags');
      // A list-type=map list merges by key: allowed.
      await bind('ports', { matchConstraints: rules, mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{spec: Object.spec{ports: [Object.spec.ports{name: 'b', port: 2}]}}" } }] });
      expect((await t.api.post(gizmos).send(gizmo('ported')).expect(201)).body.spec.ports).toEqual([{ name: 'a', port: 1 }, { name: 'b', port: 2 }]);
      await unbind('ports');
    });

    it('a mutation that makes the object invalid is refused by validation, as after any mutating admission', async () => {
      await bind('negative', { mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: "[JSONPatch{op: 'replace', path: '/spec/replicas', value: -1}]" } }] });
      const res = await t.api.post(DEPLOYS).send(deployment('negative')).expect(422);
      expect(res.body.message).toBe('Deployment.apps "negative" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
      await unbind('negative');
    });

    it('a mutation that adds a field the kind does not declare', async () => {
      await bind('undeclared-patch', { mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: "[JSONPatch{op: 'add', path: '/spec/colour', value: 'red'}]" } }] });
      const res = await t.api.post(DEPLOYS).send(deployment('undeclared-patch')).expect(500);
      expect(res.body).toMatchObject({ reason: 'InternalError', message: 'Internal error occurred: strict decoding error: unknown field "spec.colour"' });
      await unbind('undeclared-patch');
      await bind('undeclared-apply', { mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{spec: Object.spec{colour: 'red'}}" } }] });
      expect((await refusal('undeclared-apply')).message).toBe("policy 'undeclared-apply' with binding 'undeclared-apply' denied request: error applying patch: failed to convert patch object to typed object: .spec.colour: field not declared in schema");
      await unbind('undeclared-apply');
    });

    it('a failed JSONPatch test operation leaves the object as it was', async () => {
      await bind('tested', { mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: "[JSONPatch{op: 'test', path: '/spec/replicas', value: 7}, JSONPatch{op: 'replace', path: '/spec/replicas', value: 2}]" } }] });
      const created = await t.api.post(DEPLOYS).send(deployment('tested')).expect(201);
      expect(created.body.spec.replicas).toBe(1);
      await unbind('tested');
    });
  });

  it('reinvokes an IfNeeded policy when a later policy changed the object', async () => {
    // a-copy copies the tier label into an annotation; b-tier (run after it) sets the label.
    await bind('a-copy', {
      reinvocationPolicy: 'IfNeeded',
      mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{metadata: Object.metadata{annotations: {'tier': object.metadata.labels.?tier.orValue('none')}}}" } }],
    });
    await bind('b-tier', { mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: "Object{metadata: Object.metadata{labels: {'tier': 'gold'}}}" } }] });
    const created = await t.api.post(DEPLOYS).send(deployment('tiered')).expect(201);
    expect(created.body.metadata.labels.tier).toBe('gold');
    expect(created.body.metadata.annotations).toEqual({ tier: 'gold' });
    await unbind('a-copy');
    await unbind('b-tier');
  });
});
