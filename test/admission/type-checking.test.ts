/**
 * ValidatingAdmissionPolicy status.typeChecking: expressions are type-checked against the schema
 * of each built-in kind the policy matches, and a type error (an unknown field, a wrong operand)
 * is an expressionWarning in kube's format; status.observedGeneration follows the spec.
 */
import { policyTypeChecking } from '../../schemas/cel/policy-type-checking';
import type { KubeObject } from '../../schemas/types';
import { startTestServer, type TestServer } from '../helpers/api-server';

const VAP = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';

function policy(validations: Array<Record<string, unknown>>, resources = [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }]): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'replicas' },
    spec: { failurePolicy: 'Fail', matchConstraints: { resourceRules: resources }, validations },
  };
}

describe('policyTypeChecking', () => {
  it('warns about a field the matched kind does not have, per kind, in kube format', () => {
    const status = policyTypeChecking(policy([{ expression: 'object.replicas > 1' }, { expression: 'object.spec.replicas > 1' }]));
    expect(status.expressionWarnings).toHaveLength(1);
    expect(status.expressionWarnings![0].fieldRef).toBe('spec.validations[0].expression');
    expect(status.expressionWarnings![0].warning).toMatch(/^apps\/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'replicas'/);
  });

  it('checks every matched kind, each named in the warning', () => {
    const both = [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments', 'replicasets'] }];
    const status = policyTypeChecking(policy([{ expression: 'object.spec.template.spec.containers.all(c, c.imag != "")' }, { expression: 'object.spec.strategy.type == "Recreate"' }], both));
    const [first, second] = status.expressionWarnings!;
    expect(first.warning).toMatch(/^apps\/v1, Kind=Deployment: ERROR: <input>:1:\d+: undefined field 'imag'/);
    expect(first.warning).toMatch(/\napps\/v1, Kind=ReplicaSet: ERROR: <input>:1:\d+: undefined field 'imag'/);
    // A ReplicaSet has no spec.strategy; a Deployment has.
    expect(second.fieldRef).toBe('spec.validations[1].expression');
    expect(second.warning).toMatch(/^apps\/v1, Kind=ReplicaSet: ERROR: <input>:1:\d+: undefined field 'strategy'/);
  });

  it('does not check wildcard rules', () => {
    expect(policyTypeChecking(policy([{ expression: 'object.nothing' }], [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'] }]))).toEqual({});
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
});
