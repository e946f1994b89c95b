/**
 * Conformance mirrors of kube's test/e2e/apimachinery/validatingadmissionpolicy.go
 * ([sig-api-machinery] ValidatingAdmissionPolicy [Privileged:ClusterAdmin]) by name, and the
 * policy features those tests lean on: params through paramRef, validationActions Warn and
 * Audit, matchConditions, messageExpression and reason, and CEL compile errors refused at
 * create. Policies and bindings reach admission through a watch-fed cache, so each test waits
 * until the binding is there (as upstream polls until the policy takes effect).
 */
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const newNamespace = namespaceMaker(() => t);
const GROUP = '/apis/admissionregistration.k8s.io/v1';
const VAP = `${GROUP}/validatingadmissionpolicies`;
const VAPB = `${GROUP}/validatingadmissionpolicybindings`;

function policy(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
      ...spec,
    },
  };
}

function binding(name: string, policyName: string, ns: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } }, ...spec },
  };
}

async function install(p: ReturnType<typeof policy>, b: ReturnType<typeof binding>): Promise<void> {
  await t.api.post(VAP).send(p).expect(201);
  await t.api.post(VAPB).send(b).expect(201);
  const name = b.metadata.name;
  await waitFor(() => t.nodeless.policies.bindings.get(name) && t.nodeless.policies.policies.get(b.spec.policyName), `${name} in the policy cache`);
}

function deployment(name: string, replicas: number, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } },
    },
  };
}

describe('[sig-api-machinery] ValidatingAdmissionPolicy [Privileged:ClusterAdmin]', () => {
  test('should validate against a Deployment [Conformance]', async () => {
    const ns = await newNamespace('vap-deploy');
    await install(
      policy('validate-deployment.example.com', {
        validations: [
          { expression: 'object.spec.replicas > 1', messageExpression: "'wants replicas > 1, got ' + string(object.spec.replicas)" },
          { expression: `namespaceObject.metadata.name == '${ns}'`, message: 'Internal error! Other namespace should not be allowed.' },
        ],
      }),
      binding('validate-deployment-binding.example.com', 'validate-deployment.example.com', ns),
    );
    const res = await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment('replicas-1', 1)).expect(422);
    expect(res.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message:
        "deployments.apps \"replicas-1\" is forbidden: ValidatingAdmissionPolicy 'validate-deployment.example.com' with binding 'validate-deployment-binding.example.com' denied request: wants replicas > 1, got 1",
      details: { name: 'replicas-1', group: 'apps', kind: 'deployments' },
    });
    await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment('replicas-2', 2)).expect(201);
    // An update to one replica is denied as well.
    await t.api.patch(`/apis/apps/v1/namespaces/${ns}/deployments/replicas-2`).set('Content-Type', 'application/merge-patch+json').send({ spec: { replicas: 1 } }).expect(422);
    // Another namespace is not bound.
    const other = await newNamespace('vap-unbound');
    await t.api.post(`/apis/apps/v1/namespaces/${other}/deployments`).send(deployment('replicas-1', 1)).expect(201);
  });

  test('should allow expressions to refer variables. [Conformance]', async () => {
    const ns = await newNamespace('vap-vars');
    await install(
      policy('variables.example.com', {
        variables: [
          { name: 'replicas', expression: 'object.spec.replicas' },
          { name: 'oddReplicas', expression: 'variables.replicas % 2 == 1' },
        ],
        validations: [{ expression: 'variables.replicas > 1' }, { expression: 'variables.oddReplicas' }],
      }),
      binding('variables-binding.example.com', 'variables.example.com', ns),
    );
    const even = await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment('even', 4)).expect(422);
    expect(even.body.message).toContain('denied request: failed expression: variables.oddReplicas');
    await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment('odd', 3)).expect(201);
  });

  test('should support ValidatingAdmissionPolicy API operations [Conformance]', async () => {
    const group = (await t.api.get(GROUP).expect(200)).body;
    const vap = group.resources.find((r: { name: string }) => r.name === 'validatingadmissionpolicies');
    expect(vap).toMatchObject({ kind: 'ValidatingAdmissionPolicy', namespaced: false });
    expect(group.resources.map((r: { name: string }) => r.name)).toContain('validatingadmissionpolicies/status');
    const label = { 'vap-api-test': 'ops' };
    for (const i of [1, 2]) {
      const p = policy(`ops-${i}.example.com`, { validations: [{ expression: 'true' }] });
      (p.metadata as Record<string, unknown>).labels = label;
      const created = (await t.api.post(VAP).send(p).expect(201)).body;
      expect(created.spec.failurePolicy).toBe('Fail');
      expect(created.spec.matchConstraints).toMatchObject({ matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {} });
    }
    const got = (await t.api.get(`${VAP}/ops-1.example.com`).expect(200)).body;
    expect(got.metadata.generation).toBe(1);
    const listed = (await t.api.get(`${VAP}?labelSelector=vap-api-test%3Dops`).expect(200)).body;
    expect(listed.items).toHaveLength(2);
    const patched = (await t.api.patch(`${VAP}/ops-1.example.com`).set('Content-Type', 'application/merge-patch+json').send({ metadata: { annotations: { patched: 'true' } } }).expect(200)).body;
    expect(patched.metadata.annotations.patched).toBe('true');
    const status = (
      await t.api
        .put(`${VAP}/ops-1.example.com/status`)
        .send({ ...patched, status: { observedGeneration: 1, conditions: [{ type: 'Checked', status: 'True', reason: 'Test', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' }] } })
        .expect(200)
    ).body;
    expect(status.status.conditions[0].type).toBe('Checked');
    await t.api.delete(`${VAP}/ops-1.example.com`).expect(200);
    await t.api.get(`${VAP}/ops-1.example.com`).expect(404);
    await t.api.delete(`${VAP}?labelSelector=vap-api-test%3Dops`).expect(200);
    expect((await t.api.get(`${VAP}?labelSelector=vap-api-test%3Dops`).expect(200)).body.items).toHaveLength(0);
  });

  test('should support ValidatingAdmissionPolicyBinding API operations [Conformance]', async () => {
    const group = (await t.api.get(GROUP).expect(200)).body;
    expect(group.resources.find((r: { name: string }) => r.name === 'validatingadmissionpolicybindings')).toMatchObject({ kind: 'ValidatingAdmissionPolicyBinding', namespaced: false });
    const label = { 'vapb-api-test': 'ops' };
    for (const i of [1, 2]) {
      const b = binding(`bops-${i}.example.com`, 'nonexistent.example.com', 'default');
      (b.metadata as Record<string, unknown>).labels = label;
      await t.api.post(VAPB).send(b).expect(201);
    }
    expect((await t.api.get(`${VAPB}?labelSelector=vapb-api-test%3Dops`).expect(200)).body.items).toHaveLength(2);
    const updated = (await t.api.get(`${VAPB}/bops-1.example.com`).expect(200)).body;
    updated.spec.validationActions = ['Warn', 'Audit'];
    expect((await t.api.put(`${VAPB}/bops-1.example.com`).send(updated).expect(200)).body.spec.validationActions).toEqual(['Warn', 'Audit']);
    await t.api.delete(`${VAPB}?labelSelector=vapb-api-test%3Dops`).expect(200);
    expect((await t.api.get(`${VAPB}?labelSelector=vapb-api-test%3Dops`).expect(200)).body.items).toHaveLength(0);
  });
});

describe('ValidatingAdmissionPolicy features', () => {
  test('params come from paramRef; a missing param is denied or allowed by parameterNotFoundAction', async () => {
    const ns = await newNamespace('vap-params');
    await install(
      policy('max-replicas.example.com', {
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        validations: [{ expression: 'object.spec.replicas <= int(params.data.maxReplicas)', messageExpression: "'at most ' + params.data.maxReplicas + ' replicas'", reason: 'Forbidden' }],
      }),
      binding('max-replicas-binding.example.com', 'max-replicas.example.com', ns, { paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } }),
    );
    const missing = await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment('d1', 1)).expect(422);
    expect(missing.body.message).toContain('denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction');
    await t.api.post(`/api/v1/namespaces/${ns}/configmaps`).send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'limits' }, data: { maxReplicas: '3' } }).expect(201);
    const over = await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment('d2', 5)).expect(403);
    expect(over.body).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(over.body.message).toContain('denied request: at most 3 replicas');
    await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment('d3', 3)).expect(201);
  });

  test('validationActions Warn sends a Warning header, Audit records an annotation, and neither refuses', async () => {
    const ns = await newNamespace('vap-warn');
    await install(
      policy('warn-audit.example.com', {
        validations: [{ expression: 'object.spec.replicas < 10', message: 'too many replicas' }],
        auditAnnotations: [{ key: 'replicas', valueExpression: "'replicas: ' + string(object.spec.replicas)" }],
      }),
      binding('warn-audit-binding.example.com', 'warn-audit.example.com', ns, { validationActions: ['Warn', 'Audit'] }),
    );
    const res = await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment('many', 12)).expect(201);
    expect(res.headers.warning).toBe(`299 - "Validation failed for ValidatingAdmissionPolicy 'warn-audit.example.com' with binding 'warn-audit-binding.example.com': too many replicas"`);
    const audit = t.nodeless.policies.audit.filter((a) => a.namespace === ns);
    expect(audit.map((a) => a.key)).toEqual(['warn-audit.example.com/replicas', 'validation.policy.admission.k8s.io/validation_failure']);
    expect(audit[0].value).toBe('replicas: 12');
    expect(JSON.parse(audit[1].value)[0]).toMatchObject({ message: 'too many replicas', policy: 'warn-audit.example.com', binding: 'warn-audit-binding.example.com' });
  });

  test('matchConditions select the requests a policy sees', async () => {
    const ns = await newNamespace('vap-conditions');
    await install(
      policy('labelled-only.example.com', {
        matchConditions: [{ name: 'labelled', expression: "has(object.metadata.labels) && 'strict' in object.metadata.labels" }],
        validations: [{ expression: 'object.spec.replicas == 1', message: 'strict deployments run one replica' }],
      }),
      binding('labelled-only-binding.example.com', 'labelled-only.example.com', ns),
    );
    await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment('loose', 4)).expect(201);
    const strict = await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment('strict', 4, { strict: 'yes' })).expect(422);
    expect(strict.body.message).toContain('strict deployments run one replica');
  });

  test('a matchCondition that fails to evaluate is a failed validation worded with the expression and its error', async () => {
    const ns = await newNamespace('vap-condition-error');
    await install(
      policy('condition-error.example.com', { matchConditions: [{ name: 'broken', expression: 'object.spec.missing.enabled' }], validations: [{ expression: 'true' }] }),
      binding('condition-error-binding.example.com', 'condition-error.example.com', ns),
    );
    const res = await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment('d', 1)).expect(422);
    expect(res.body.message).toMatch(
      /^deployments\.apps "d" is forbidden: ValidatingAdmissionPolicy 'condition-error\.example\.com' with binding 'condition-error-binding\.example\.com' denied request: expression 'object\.spec\.missing\.enabled' resulted in error: no such key: missing/,
    );
  });

  test('a policy whose CEL does not compile is refused at create', async () => {
    const res = await t.api.post(VAP).send(policy('broken.example.com', { validations: [{ expression: 'object.spec.replicas >' }] })).expect(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.details.causes[0].field).toBe('spec.validations[0].expression');
    expect(res.body.details.causes[0].message).toMatch(/^Invalid value: "object.spec.replicas >": compilation failed: ERROR: <input>:1:\d+: Syntax error: /);
    const both = await t.api.post(VAPB).send(binding('both.example.com', 'x.example.com', 'default', { validationActions: ['Deny', 'Warn'] })).expect(422);
    expect(both.body.message).toContain('must not contain both Deny and Warn');
  });
});
