/**
 * apps/v1 workloads as kube-apiserver 1.32 stores and refuses them: the SetDefaults_* values,
 * the selector rules, the update rules of each strategy, and what a /status write may change.
 */
import type { Response } from 'supertest';
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  // API semantics only: no controller may write these objects between the test's read and write.
  t = await startTestServer({ controllers: false });
});
afterAll(() => t.close());

const NS = '/apis/apps/v1/namespaces/default';
type Cause = { reason: string; field: string; message: string };

function expectInvalid(res: Response, ...causes: Cause[]): void {
  expect(res.status).toBe(422);
  expect(res.body.reason).toBe('Invalid');
  for (const c of causes) expect(res.body.details.causes).toContainEqual(c);
}

const container = { name: 'c', image: 'nginx:1.27' };
function workload(kind: string, name: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = { app: name }) {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container] } }, ...spec },
  };
}
const plural = (kind: string) => `${kind.toLowerCase()}s`;

describe('apps/v1 defaults', () => {
  it('should store a Deployment with SetDefaults_Deployment values', async () => {
    const res = await t.api.post(`${NS}/deployments`).send(workload('Deployment', 'defaults-d')).expect(201);
    expect(res.body.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(res.body.metadata.generation).toBe(1);
  });

  it('should give a ReplicaSet one replica', async () => {
    const res = await t.api.post(`${NS}/replicasets`).send(workload('ReplicaSet', 'defaults-rs')).expect(201);
    expect(res.body.spec.replicas).toBe(1);
  });

  it('should store a StatefulSet with SetDefaults_StatefulSet values, each retention field and claim template defaulted', async () => {
    const body = workload('StatefulSet', 'defaults-sts', {
      serviceName: 'web',
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    });
    const res = await t.api.post(`${NS}/statefulsets`).send(body).expect(201);
    expect(res.body.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
    });
    expect(res.body.spec.volumeClaimTemplates[0]).toMatchObject({ spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  });

  it('should store a DaemonSet with SetDefaults_DaemonSet values and template generation 1', async () => {
    const res = await t.api.post(`${NS}/daemonsets`).send(workload('DaemonSet', 'defaults-ds')).expect(201);
    expect(res.body.spec).toMatchObject({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
    expect(res.body.metadata.annotations['deprecated.daemonset.template.generation']).toBe('1');
  });
});

describe('apps/v1 selectors', () => {
  it('should refuse a Deployment without a selector with Required and the template mismatch', async () => {
    const body = workload('Deployment', 'no-selector');
    delete (body.spec as Record<string, unknown>).selector;
    const res = await t.api.post(`${NS}/deployments`).send(body);
    expectInvalid(
      res,
      { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
      { reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: 'Invalid value: map[string]string{"app":"no-selector"}: `selector` does not match template `labels`' },
    );
    expect(res.body.details.causes.filter((c: Cause) => c.field === 'spec.selector')).toHaveLength(1);
    expect(res.body.message).toBe(
      'Deployment.apps "no-selector" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"no-selector"}: `selector` does not match template `labels`]',
    );
  });

  it.each(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'])('should refuse a %s whose selector does not match its template labels', async (kind) => {
    const body = workload(kind, 'mismatch', {}, { app: 'a' });
    body.spec.template.metadata.labels = { app: 'b', tier: 'web' };
    const res = await t.api.post(`${NS}/${plural(kind)}`).send(body);
    expectInvalid(res, {
      reason: 'FieldValueInvalid',
      field: 'spec.template.metadata.labels',
      message: 'Invalid value: map[string]string{"app":"b", "tier":"web"}: `selector` does not match template `labels`',
    });
  });

  it.each([
    ['Deployment', 'deployment'],
    ['ReplicaSet', 'deployment'],
    ['StatefulSet', 'statefulset'],
    ['DaemonSet', 'daemonset'],
  ])('should refuse an empty %s selector', async (kind, word) => {
    const body = workload(kind, 'empty-selector');
    body.spec.selector = {} as never;
    const res = await t.api.post(`${NS}/${plural(kind)}`).send(body);
    expectInvalid(res, {
      reason: 'FieldValueInvalid',
      field: 'spec.selector',
      message: `Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for ${word}`,
    });
  });

  it('should refuse a selector expression In without values', async () => {
    const body = workload('Deployment', 'bad-expr');
    body.spec.selector = { matchLabels: { app: 'bad-expr' }, matchExpressions: [{ key: 'tier', operator: 'In' }] } as never;
    expectInvalid(await t.api.post(`${NS}/deployments`).send(body), {
      reason: 'FieldValueRequired',
      field: 'spec.selector.matchExpressions[0].values',
      message: "Required value: must be specified when `operator` is 'In' or 'NotIn'",
    });
  });

  it.each(['Deployment', 'ReplicaSet', 'DaemonSet'])('should keep a %s selector immutable', async (kind) => {
    const name = `immutable-${kind.toLowerCase()}`;
    const created = (await t.api.post(`${NS}/${plural(kind)}`).send(workload(kind, name)).expect(201)).body;
    created.spec.selector = { matchLabels: { app: 'other' } };
    created.spec.template.metadata.labels = { app: 'other' };
    expectInvalid(await t.api.put(`${NS}/${plural(kind)}/${name}`).send(created), {
      reason: 'FieldValueInvalid',
      field: 'spec.selector',
      message: 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    });
  });
});

describe('apps/v1 field rules', () => {
  it('should refuse negative counts and a progress deadline not above minReadySeconds', async () => {
    const res = await t.api.post(`${NS}/deployments`).send(workload('Deployment', 'counts', { replicas: -1, minReadySeconds: 30, revisionHistoryLimit: -2, progressDeadlineSeconds: 30 }));
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' },
      { reason: 'FieldValueInvalid', field: 'spec.revisionHistoryLimit', message: 'Invalid value: -2: must be greater than or equal to 0' },
      { reason: 'FieldValueInvalid', field: 'spec.progressDeadlineSeconds', message: 'Invalid value: 30: must be greater than minReadySeconds' },
    );
    const neg = await t.api.post(`${NS}/replicasets`).send(workload('ReplicaSet', 'counts', { minReadySeconds: -1 }));
    expectInvalid(neg, { reason: 'FieldValueInvalid', field: 'spec.minReadySeconds', message: 'Invalid value: -1: must be greater than or equal to 0' });
  });

  it('should refuse a rolling update with maxSurge and maxUnavailable both 0, or above 100%, or not a percent', async () => {
    const zero = await t.api.post(`${NS}/deployments`).send(workload('Deployment', 'ru', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } }));
    expectInvalid(zero, {
      reason: 'FieldValueInvalid',
      field: 'spec.strategy.rollingUpdate.maxUnavailable',
      message: 'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0',
    });
    const big = await t.api.post(`${NS}/deployments`).send(workload('Deployment', 'ru', { strategy: { rollingUpdate: { maxUnavailable: '120%', maxSurge: 'lots' } } }));
    expectInvalid(
      big,
      { reason: 'FieldValueInvalid', field: 'spec.strategy.rollingUpdate.maxUnavailable', message: 'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%' },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.strategy.rollingUpdate.maxSurge',
        message:
          "Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"lots\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      },
    );
  });

  it('should refuse unknown strategy types and a Recreate strategy with rollingUpdate', async () => {
    expectInvalid(await t.api.post(`${NS}/deployments`).send(workload('Deployment', 'st', { strategy: { type: 'Canary' } })), {
      reason: 'FieldValueNotSupported',
      field: 'spec.strategy',
      message: 'Unsupported value: apps.DeploymentStrategy{Type:"Canary", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
    });
    expectInvalid(await t.api.post(`${NS}/deployments`).send(workload('Deployment', 'st', { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } })), {
      reason: 'FieldValueForbidden',
      field: 'spec.strategy.rollingUpdate',
      message: "Forbidden: may not be specified when strategy `type` is 'Recreate'",
    });
    expectInvalid(await t.api.post(`${NS}/daemonsets`).send(workload('DaemonSet', 'st', { updateStrategy: { type: 'Surge' } })), {
      reason: 'FieldValueNotSupported',
      field: 'spec.updateStrategy',
      message: 'Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Surge", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"',
    });
    expectInvalid(await t.api.post(`${NS}/daemonsets`).send(workload('DaemonSet', 'st', { updateStrategy: { rollingUpdate: { maxSurge: 1 } } })), {
      reason: 'FieldValueInvalid',
      field: 'spec.updateStrategy.rollingUpdate.maxSurge',
      message: 'Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
    });
    const sts = await t.api.post(`${NS}/statefulsets`).send(workload('StatefulSet', 'st', { podManagementPolicy: 'Random', updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } }));
    expectInvalid(
      sts,
      { reason: 'FieldValueInvalid', field: 'spec.podManagementPolicy', message: "Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'" },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.updateStrategy.rollingUpdate',
        message: "Invalid value: &apps.RollingUpdateStatefulSetStrategy{Partition:1, MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'",
      },
    );
  });

  it('should require pods of apps workloads to restart Always', async () => {
    const body = workload('ReplicaSet', 'restart');
    (body.spec.template.spec as Record<string, unknown>).restartPolicy = 'OnFailure';
    expectInvalid(await t.api.post(`${NS}/replicasets`).send(body), {
      reason: 'FieldValueNotSupported',
      field: 'spec.template.spec.restartPolicy',
      message: 'Unsupported value: "OnFailure": supported values: "Always"',
    });
  });

  it('should refuse a StatefulSet name that is not a DNS label', async () => {
    expectInvalid(await t.api.post(`${NS}/statefulsets`).send(workload('StatefulSet', 'web.v1')), {
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
      message:
        "Invalid value: \"web.v1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    });
  });

  it('should let a StatefulSet update change only replicas, ordinals, template, updateStrategy, retention policy and minReadySeconds', async () => {
    const created = (await t.api.post(`${NS}/statefulsets`).send(workload('StatefulSet', 'sts-update', { serviceName: 'web' })).expect(201)).body;
    created.spec.replicas = 3;
    created.spec.minReadySeconds = 5;
    const scaled = (await t.api.put(`${NS}/statefulsets/sts-update`).send(created).expect(200)).body;
    scaled.spec.serviceName = 'other';
    expectInvalid(await t.api.put(`${NS}/statefulsets/sts-update`).send(scaled), {
      reason: 'FieldValueForbidden',
      field: 'spec',
      message:
        "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    });
  });
});

describe('apps/v1 strategies', () => {
  it('should bump a Deployment generation on an annotation change but not on a label change', async () => {
    const created = (await t.api.post(`${NS}/deployments`).send(workload('Deployment', 'gen')).expect(201)).body;
    created.metadata.labels = { team: 'a' };
    const relabelled = (await t.api.put(`${NS}/deployments/gen`).send(created).expect(200)).body;
    expect(relabelled.metadata.generation).toBe(1);
    relabelled.metadata.annotations = { note: 'x' };
    const annotated = (await t.api.put(`${NS}/deployments/gen`).send(relabelled).expect(200)).body;
    expect(annotated.metadata.generation).toBe(2);
    annotated.spec.replicas = 4;
    expect((await t.api.put(`${NS}/deployments/gen`).send(annotated).expect(200)).body.metadata.generation).toBe(3);
  });

  it('should keep the spec and labels of a Deployment on a status write, as its status strategy does', async () => {
    const created = (await t.api.post(`${NS}/deployments`).send(workload('Deployment', 'status-d')).expect(201)).body;
    const write = { ...created, metadata: { ...created.metadata, labels: { hijacked: 'yes' } }, spec: { ...created.spec, replicas: 9 }, status: { replicas: 1, observedGeneration: 1 } };
    const res = (await t.api.put(`${NS}/deployments/status-d/status`).send(write).expect(200)).body;
    expect(res.status).toMatchObject({ replicas: 1, observedGeneration: 1 });
    expect(res.spec.replicas).toBe(1);
    expect(res.metadata.labels).toBeUndefined();
  });

  it('should bump the DaemonSet template generation only when the template changes', async () => {
    const created = (await t.api.post(`${NS}/daemonsets`).send(workload('DaemonSet', 'tg')).expect(201)).body;
    created.metadata.annotations['deprecated.daemonset.template.generation'] = '7';
    created.spec.minReadySeconds = 3;
    const same = (await t.api.put(`${NS}/daemonsets/tg`).send(created).expect(200)).body;
    expect(same.metadata.annotations['deprecated.daemonset.template.generation']).toBe('1');
    same.spec.template.spec.containers[0].image = 'nginx:1.28';
    const changed = (await t.api.put(`${NS}/daemonsets/tg`).send(same).expect(200)).body;
    expect(changed.metadata.annotations['deprecated.daemonset.template.generation']).toBe('2');
    expect(changed.metadata.generation).toBe(3);
  });
});

describe('policy/v1 PodDisruptionBudget validation', () => {
  const pdbs = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
  const pdb = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { selector: { matchLabels: { app: name } }, ...spec } });
  it('refuses minAvailable together with maxUnavailable', async () => {
    const res = await t.api.post(pdbs).send(pdb('both', { minAvailable: 1, maxUnavailable: 1 })).expect(422);
    expect(res.body.details.causes).toEqual([expect.objectContaining({ field: 'spec', reason: 'FieldValueInvalid', message: expect.stringContaining('minAvailable and maxUnavailable cannot be both set') })]);
  });
  it('refuses a negative number and a percent over 100%', async () => {
    const res = await t.api.post(pdbs).send(pdb('bad', { minAvailable: '150%' })).expect(422);
    expect(res.body.message).toBe('PodDisruptionBudget.policy "bad" is invalid: spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%');
    const neg = await t.api.post(pdbs).send(pdb('neg', { maxUnavailable: -1 })).expect(422);
    expect(neg.body.message).toBe('PodDisruptionBudget.policy "neg" is invalid: spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0');
  });
  it('refuses an unknown unhealthyPodEvictionPolicy and accepts a valid budget', async () => {
    const res = await t.api.post(pdbs).send(pdb('policy', { minAvailable: '50%', unhealthyPodEvictionPolicy: 'Sometimes' })).expect(422);
    expect(res.body.details.causes[0]).toMatchObject({ field: 'spec.unhealthyPodEvictionPolicy', reason: 'FieldValueNotSupported' });
    await t.api.post(pdbs).send(pdb('good', { minAvailable: '50%', unhealthyPodEvictionPolicy: 'AlwaysAllow' })).expect(201);
  });
});
