/**
 * ValidatingAdmissionPolicy status.typeChecking: expressions are type-checked against the schema
 * of each kind the policy matches (built-in or custom), with params typed by paramKind and
 * variables by their expressions, and every type error (an unknown field, a wrong operand) is an
 * expressionWarning in kube's text; status.observedGeneration follows the spec.
 */
import { policyTypeChecking } from '../../schemas/cel/policy-type-checking';
import type { KubeObject } from '../../schemas/types';
import { startTestServer, type TestServer } from '../helpers/api-server';
import { createEstablished, crdManifest, WIDGET_SCHEMA } from '../crd/helpers';

const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
const DEPLOYMENTS = [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }];

type Rule = Record<string, unknown>;

function policy(validations: Array<Record<string, unknown>>, resources: Rule[] = DEPLOYMENTS, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'replicas' },
    spec: { failurePolicy: 'Fail', matchConstraints: { resourceRules: resources }, validations, ...extra },
  };
}

// warningsOf checks each expression on its own and returns its warning text ('' when none).
function warningsOf(expressions: string[], resources: Rule[] = DEPLOYMENTS, extra: Record<string, unknown> = {}): string[] {
  return expressions.map((expression) => policyTypeChecking(policy([{ expression }], resources, extra)).expressionWarnings?.[0]?.warning ?? '');
}

describe('policyTypeChecking', () => {
  it('reports a string compared to an int with cel-go\'s message, source line and caret', () => {
    expect(warningsOf(['object.metadata.name > 5'])).toEqual([
      "apps/v1, Kind=Deployment: ERROR: <input>:1:22: found no matching overload for '_>_' applied to '(string, int)'\n" +
        ' | object.metadata.name > 5\n' +
        ' | .....................^\n',
    ]);
  });

  it('reports wrong operands of other operators and functions', () => {
    expect(warningsOf(["object.spec.replicas <= '5'", 'size(object.spec.replicas)', 'object.spec.replicas && true', 'object.spec.paused + 1', 'object.spec.replicas == null'])).toEqual([
      "apps/v1, Kind=Deployment: ERROR: <input>:1:22: found no matching overload for '_<=_' applied to '(int, string)'\n | object.spec.replicas <= '5'\n | .....................^\n",
      "apps/v1, Kind=Deployment: ERROR: <input>:1:5: found no matching overload for 'size' applied to '(int)'\n | size(object.spec.replicas)\n | ....^\n",
      "apps/v1, Kind=Deployment: ERROR: <input>:1:12: expected type 'bool' but found 'int'\n | object.spec.replicas && true\n | ...........^\n",
      "apps/v1, Kind=Deployment: ERROR: <input>:1:20: found no matching overload for '_+_' applied to '(bool, int)'\n | object.spec.paused + 1\n | ...................^\n",
      "apps/v1, Kind=Deployment: ERROR: <input>:1:22: found no matching overload for '_==_' applied to '(int, null_type)'\n | object.spec.replicas == null\n | .....................^\n",
    ]);
  });

  it('reads runs of ! and - as cel-go\'s parser does: an even run cancels out', () => {
    expect(warningsOf(['!object.spec.replicas', '!!object.spec.replicas', '!!!object.spec.paused'])).toEqual([
      "apps/v1, Kind=Deployment: ERROR: <input>:1:1: found no matching overload for '!_' applied to '(int)'\n | !object.spec.replicas\n | ^\n",
      '',
      '',
    ]);
  });

  it('reports an unknown field at its dot, and every error of an expression in source order', () => {
    const privileged = 'object.spec.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.Privileged) || !c.securityContext.Privileged)';
    expect(warningsOf(['object.replicas > 1', privileged])).toEqual([
      "apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'replicas'\n | object.replicas > 1\n | ......^\n",
      `apps/v1, Kind=Deployment: ERROR: <input>:1:76: undefined field 'Privileged'\n | ${privileged}\n | ${'.'.repeat(75)}^\n` +
        `ERROR: <input>:1:128: undefined field 'Privileged'\n | ${privileged}\n | ${'.'.repeat(127)}^\n`,
    ]);
  });

  it('says nothing about well-typed real-world expressions', () => {
    const ok = [
      'object.spec.replicas <= 5',
      "object.metadata.name.startsWith('x')",
      'has(object.spec.template)',
      "object.spec.template.spec.containers.all(c, c.image.contains(':'))",
      "object.spec.template.spec.containers.all(c, !has(c.resources.limits) || quantity(c.resources.limits['cpu']).isLessThan(quantity('2')))",
      "object.spec.template.spec.containers.all(c, has(c.resources.requests) && 'memory' in c.resources.requests)",
      "!has(object.spec.strategy.rollingUpdate) || object.spec.strategy.rollingUpdate.maxSurge == 1 || object.spec.strategy.rollingUpdate.maxSurge == '25%'",
      "object.metadata.namespace != 'kube-system' && 'app' in object.metadata.labels && object.metadata.labels['app'].matches('^[a-z]+$')",
      'oldObject == null || object.spec.replicas >= oldObject.spec.replicas',
      "object.spec.template.spec.containers.map(c, c.name).all(n, size(n) < 64) && object.spec.template.spec.containers.exists_one(c, c.name == 'main')",
      "request.operation == 'CREATE' && request.userInfo.groups.exists(g, g == 'system:masters') && request.kind.kind == 'Deployment'",
      "namespaceObject.metadata.labels['env'] == 'prod' || object.metadata.creationTimestamp < timestamp('2030-01-01T00:00:00Z')",
      "authorizer.group('apps').resource('deployments').namespace(object.metadata.namespace).check('delete').allowed()",
      "object.spec.template.spec.containers[0].ports.filter(p, p.containerPort > 1024).size() == 0 && object.spec.replicas * 2 > 1",
      "cel.bind(cs, object.spec.template.spec.containers, cs.all(c, c.imagePullPolicy == 'Always'))",
      "object.spec.?minReadySeconds.orValue(0) >= 0 && type(object.spec.replicas) == int && int(object.spec.replicas) + 1 > 0",
      "sets.contains(['a', 'b'], [object.metadata.name]) || object.metadata.name.split('-').size() > 1",
      'object.spec.template.spec.containers.all(c, c.ports.all(p, p.containerPort < 65536 && p.protocol != "SCTP"))',
    ];
    expect(warningsOf(ok)).toEqual(ok.map(() => ''));
  });

  it('checks every matched kind, one part each, joined as kube joins them', () => {
    const both = [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['replicasets', 'deployments'] }];
    expect(warningsOf(['object.replicas > 1', "object.spec.strategy.type == 'Recreate'"], both)).toEqual([
      "apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'replicas'\n | object.replicas > 1\n | ......^\n" +
        '\n' +
        "apps/v1, Kind=ReplicaSet: ERROR: <input>:1:7: undefined field 'replicas'\n | object.replicas > 1\n | ......^\n",
      "apps/v1, Kind=ReplicaSet: ERROR: <input>:1:12: undefined field 'strategy'\n | object.spec.strategy.type == 'Recreate'\n | ...........^\n",
    ]);
  });

  it('names core kinds with an empty group, as Go prints a GroupVersionKind', () => {
    const pods = [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }];
    expect(warningsOf(['object.spec.containerz.size() > 0'], pods)).toEqual(["/v1, Kind=Pod: ERROR: <input>:1:12: undefined field 'containerz'\n | object.spec.containerz.size() > 0\n | ...........^\n"]);
  });

  it('skips wildcard groups and versions, drops wildcard and subresource entries, and takes at most 10 kinds per rule', () => {
    const rule = (apiGroups: string[], apiVersions: string[], resources: string[]) => [{ apiGroups, apiVersions, operations: ['*'], resources }];
    expect(policyTypeChecking(policy([{ expression: 'object.nothing' }], rule(['*'], ['v1'], ['deployments'])))).toEqual({});
    expect(policyTypeChecking(policy([{ expression: 'object.nothing' }], rule(['apps'], ['*'], ['deployments'])))).toEqual({});
    expect(policyTypeChecking(policy([{ expression: 'object.nothing' }], rule(['apps'], ['v1'], ['*', 'deployments/scale'])))).toEqual({});
    const [mixed] = warningsOf(['object.nothing'], rule(['apps'], ['v1'], ['*', 'deployments', 'deployments/status']));
    expect(mixed).toMatch(/^apps\/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'nothing'\n/);
    const core = ['services', 'serviceaccounts', 'secrets', 'resourcequotas', 'replicationcontrollers', 'podtemplates', 'pods', 'persistentvolumes', 'persistentvolumeclaims', 'nodes', 'namespaces', 'limitranges', 'configmaps'];
    const [many] = warningsOf(['object.nothing'], rule([''], ['v1'], core));
    const kinds = many.split('\n').filter((l) => l.startsWith('/v1')).map((l) => l.slice(0, l.indexOf(':')));
    // The first ten resources in sorted order, reported in kind order.
    expect(kinds).toEqual(['ConfigMap', 'LimitRange', 'Namespace', 'Node', 'PersistentVolume', 'PersistentVolumeClaim', 'Pod', 'PodTemplate', 'ReplicationController', 'ResourceQuota'].map((k) => `/v1, Kind=${k}`));
  });

  it('types recursive schemas (a CustomResourceDefinition\'s JSONSchemaProps) without expanding them forever', () => {
    const crds = [{ apiGroups: ['apiextensions.k8s.io'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['customresourcedefinitions'] }];
    const expression = "object.spec.versions.all(v, v.schema.openAPIV3Schema.type == 1 && v.schema.openAPIV3Schema.properties.all(k, k != ''))";
    expect(warningsOf([expression], crds)).toEqual([
      `apiextensions.k8s.io/v1, Kind=CustomResourceDefinition: ERROR: <input>:1:59: found no matching overload for '_==_' applied to '(string, int)'\n | ${expression}\n | ${'.'.repeat(58)}^\n`,
    ]);
  });

  it('types variables by their expressions; a variable that does not check is dyn and not reported', () => {
    const variables = [
      { name: 'name', expression: "'something'" },
      { name: 'broken', expression: "object.spec.replicas == 'str'" },
      { name: 'spec', expression: 'object.spec' },
    ];
    expect(warningsOf(['variables.name == object.spec.replicas', 'variables.nonExisting', 'variables.broken == object.spec.replicas', 'variables.spec.replicaz > 1'], DEPLOYMENTS, { variables })).toEqual([
      "apps/v1, Kind=Deployment: ERROR: <input>:1:16: found no matching overload for '_==_' applied to '(string, int)'\n | variables.name == object.spec.replicas\n | ...............^\n",
      "apps/v1, Kind=Deployment: ERROR: <input>:1:10: undefined field 'nonExisting'\n | variables.nonExisting\n | .........^\n",
      '',
      "apps/v1, Kind=Deployment: ERROR: <input>:1:15: undefined field 'replicaz'\n | variables.spec.replicaz > 1\n | ..............^\n",
    ]);
  });

  it('types params from paramKind, and leaves them dyn without one', () => {
    const paramKind = { apiVersion: 'v1', kind: 'ConfigMap' };
    expect(warningsOf(['object.spec.replicas <= int(params.data.max)', 'params.data.max > 1', 'params.spec'], DEPLOYMENTS, { paramKind })).toEqual([
      '',
      "apps/v1, Kind=Deployment: ERROR: <input>:1:17: found no matching overload for '_>_' applied to '(string, int)'\n | params.data.max > 1\n | ................^\n",
      "apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'spec'\n | params.spec\n | ......^\n",
    ]);
    expect(warningsOf(['params.anything > 1'])).toEqual(['']);
  });

  it('types the authorizer library', () => {
    expect(warningsOf(['authorizer.allowed()'])).toEqual([
      "apps/v1, Kind=Deployment: ERROR: <input>:1:19: found no matching overload for 'allowed' applied to 'kubernetes.authorization.Authorizer.()'\n | authorizer.allowed()\n | ..................^\n",
    ]);
  });

  it('checks messageExpressions but not matchConditions or auditAnnotations, as kube', () => {
    const status = policyTypeChecking(
      policy([{ expression: 'true', messageExpression: "'too many: ' + object.spec.replicas" }], DEPLOYMENTS, {
        matchConditions: [{ name: 'x', expression: 'object.nothing' }],
        auditAnnotations: [{ key: 'x', valueExpression: 'object.nothing' }],
      }),
    );
    expect(status.expressionWarnings).toEqual([
      {
        fieldRef: 'spec.validations[0].messageExpression',
        warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:14: found no matching overload for '_+_' applied to '(string, int)'\n | 'too many: ' + object.spec.replicas\n | .............^\n",
      },
    ]);
  });

  it('counts columns in code points and draws wide characters wide, on the error\'s own line', () => {
    expect(warningsOf(["object.metadata.name == 'é' &&\n  object.spec.replicas > 'ü'"])).toEqual([
      "apps/v1, Kind=Deployment: ERROR: <input>:2:24: found no matching overload for '_>_' applied to '(int, string)'\n |   object.spec.replicas > 'ü'\n | .......................^\n",
    ]);
    expect(warningsOf(["'é' == object.spec.replicaz"])).toEqual(["apps/v1, Kind=Deployment: ERROR: <input>:1:19: undefined field 'replicaz'\n | 'é' == object.spec.replicaz\n | .\uff0e................^\n"]);
  });
});

describe('status.typeChecking through the API', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('is written on create and again when the spec changes, with observedGeneration', async () => {
    const created = await t.api.post(VAP).send(policy([{ expression: 'object.replicas > 1' }])).expect(201);
    expect(created.body.status.observedGeneration).toBe(1);
    expect(created.body.status.typeChecking.expressionWarnings[0].fieldRef).toBe('spec.validations[0].expression');
    const fixed = created.body;
    fixed.spec.validations[0].expression = 'object.spec.replicas > 1';
    const updated = await t.api.put(`${VAP}/replicas`).send(fixed).expect(200);
    expect(updated.body.metadata.generation).toBe(2);
    expect(updated.body.status).toEqual({ observedGeneration: 2, typeChecking: {} });
  });

  it('checks a custom resource kind against each served version\'s schema', async () => {
    const v2 = { ...WIDGET_SCHEMA, properties: { ...WIDGET_SCHEMA.properties, spec: { type: 'object', properties: { count: { type: 'integer' } } } } };
    const crd = crdManifest({ kind: 'Gadget', versions: [['v1', true, true], ['v2', true, false]] });
    (crd.spec as { versions: Array<{ name: string; schema: unknown }> }).versions[1].schema = { openAPIV3Schema: v2 };
    await createEstablished(t.api, crd);
    const gadgets = [{ apiGroups: ['example.com'], apiVersions: ['v1', 'v2'], operations: ['CREATE'], resources: ['gadgets'] }];
    const body = policy(
      [
        { expression: "object.spec.replicas > 'x'" },
        { expression: "object.spec.color == 'red' && object.spec.port == 80 && object.metadata.name.startsWith('g') && object.metadata.uid != ''" },
      ],
      gadgets,
    );
    body.metadata = { name: 'gadgets' };
    const created = await t.api.post(VAP).send(body).expect(201);
    expect(created.body.status.typeChecking).toEqual({
      expressionWarnings: [
        {
          fieldRef: 'spec.validations[0].expression',
          warning:
            "example.com/v1, Kind=Gadget: ERROR: <input>:1:22: found no matching overload for '_>_' applied to '(int, string)'\n | object.spec.replicas > 'x'\n | .....................^\n" +
            '\n' +
            "example.com/v2, Kind=Gadget: ERROR: <input>:1:12: undefined field 'replicas'\n | object.spec.replicas > 'x'\n | ...........^\n",
        },
        {
          fieldRef: 'spec.validations[1].expression',
          warning:
            "example.com/v2, Kind=Gadget: ERROR: <input>:1:12: undefined field 'color'\n | object.spec.color == 'red' && object.spec.port == 80 && object.metadata.name.startsWith('g') && object.metadata.uid != ''\n | ...........^\n" +
            "ERROR: <input>:1:42: undefined field 'port'\n | object.spec.color == 'red' && object.spec.port == 80 && object.metadata.name.startsWith('g') && object.metadata.uid != ''\n | .........................................^\n",
        },
      ],
    });
  });
});
