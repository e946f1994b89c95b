/**
 * Status writes of the workload kinds are validated as kube validates them on /status: no
 * negative count, no count above status.replicas, availability not above readiness, and
 * collisionCount never decremented. Impossible statuses are refused with 422 and kube's causes;
 * possible ones are stored.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
const ns = 'status-validation';
beforeAll(async () => {
  t = await startTestServer({ controllers: false });
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).expect(201);
});
afterAll(() => t.close());

type Obj = Record<string, any>;
const labels = { app: 'w' };
const template = { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
const cause = (field: string, message: string) => ({ field, reason: 'FieldValueInvalid', message });

const kinds: Record<string, { path: string; body: (name: string) => Obj }> = {
  ReplicaSet: { path: `/apis/apps/v1/namespaces/${ns}/replicasets`, body: (name) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name }, spec: { selector: { matchLabels: labels }, template } }) },
  ReplicationController: { path: `/api/v1/namespaces/${ns}/replicationcontrollers`, body: (name) => ({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name }, spec: { selector: labels, template } }) },
  Deployment: { path: `/apis/apps/v1/namespaces/${ns}/deployments`, body: (name) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec: { selector: { matchLabels: labels }, template } }) },
  StatefulSet: { path: `/apis/apps/v1/namespaces/${ns}/statefulsets`, body: (name) => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name }, spec: { selector: { matchLabels: labels }, serviceName: 'w', template } }) },
  DaemonSet: { path: `/apis/apps/v1/namespaces/${ns}/daemonsets`, body: (name) => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name }, spec: { selector: { matchLabels: labels }, template } }) },
};

let count = 0;
async function writeStatus(kind: string, status: Obj, before?: Obj) {
  const k = kinds[kind];
  const name = `w-${++count}`;
  await t.api.post(k.path).send(k.body(name)).expect(201);
  if (before) await t.api.patch(`${k.path}/${name}/status`).set('Content-Type', 'application/merge-patch+json').send({ status: before }).expect(200);
  return t.api.patch(`${k.path}/${name}/status`).set('Content-Type', 'application/merge-patch+json').send({ status });
}

describe('workload status validation', () => {
  it('ReplicaSet and ReplicationController: counts not negative, none above replicas, available not above ready', async () => {
    for (const kind of ['ReplicaSet', 'ReplicationController']) {
      const res = await writeStatus(kind, { replicas: 2, fullyLabeledReplicas: 3, readyReplicas: 1, availableReplicas: 2, observedGeneration: -1 });
      expect(res.status).toBe(422);
      expect(res.body.details.causes).toEqual([
        cause('status.observedGeneration', 'Invalid value: -1: must be greater than or equal to 0'),
        cause('status.fullyLabeledReplicas', 'Invalid value: 3: cannot be greater than status.replicas'),
        cause('status.availableReplicas', 'Invalid value: 2: cannot be greater than readyReplicas'),
      ]);
      const ok = await writeStatus(kind, { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 1 });
      expect(ok.status).toBe(200);
      expect(ok.body.status).toMatchObject({ replicas: 2, availableReplicas: 1 });
    }
  });

  it('Deployment: updatedReplicas above replicas and a decremented collisionCount are refused', async () => {
    const res = await writeStatus('Deployment', { replicas: 1, updatedReplicas: 2, unavailableReplicas: -1, collisionCount: 1 }, { collisionCount: 3 });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([
      cause('status.unavailableReplicas', 'Invalid value: -1: must be greater than or equal to 0'),
      cause('status.updatedReplicas', 'Invalid value: 2: cannot be greater than status.replicas'),
      cause('status.collisionCount', 'Invalid value: 1: cannot be decremented'),
    ]);
    expect(res.body.message).toMatch(/^Deployment\.apps "w-\d+" is invalid: \[status\.unavailableReplicas: Invalid value: -1/);
    expect((await writeStatus('Deployment', { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2, collisionCount: 4 }, { collisionCount: 3 })).status).toBe(200);
  });

  it('StatefulSet: current and updated replicas within replicas, available within ready', async () => {
    const res = await writeStatus('StatefulSet', { replicas: 1, currentReplicas: 2, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([cause('status.currentReplicas', 'Invalid value: 2: cannot be greater than status.replicas')]);
    const ready = await writeStatus('StatefulSet', { replicas: 2, readyReplicas: 1, availableReplicas: 2 });
    expect(ready.body.details.causes).toEqual([cause('status.availableReplicas', 'Invalid value: 2: cannot be greater than status.readyReplicas')]);
  });

  it('DaemonSet: counts not negative, collisionCount not decremented; a status missing counts is read as zeros', async () => {
    const res = await writeStatus('DaemonSet', { desiredNumberScheduled: -1, collisionCount: 0 }, { collisionCount: 1 });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([
      cause('status.desiredNumberScheduled', 'Invalid value: -1: must be greater than or equal to 0'),
      cause('status.collisionCount', 'Invalid value: 0: cannot be decremented'),
    ]);
    const ok = await writeStatus('DaemonSet', { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, observedGeneration: 1 });
    expect(ok.status).toBe(200);
  });
});
