/**
 * Conformance mirrors for the Pod API alone: what the API server sets and refuses on create,
 * and plain create/get/list/patch/delete. No test here waits for a pod to run. Also the
 * Node Lifecycle row, which nodeless deliberately answers with 403 Forbidden.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

let namespaces = 0;
async function newNamespace(base: string): Promise<string> {
  const name = `${base}-${++namespaces}`;
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).expect(201);
  return name;
}

const BUSYBOX = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.53';

function pod(name: string, spec: Record<string, unknown>, labels?: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: labels ? { name, labels } : { name }, spec };
}

describe('[sig-node] Pods', () => {
  it('[sig-node] Pods Extended Pods Set QOS Class should be set on Pods with matching resource requests and limits for memory and cpu [Conformance]', async () => {
    const ns = await newNamespace('pods');
    const name = 'pod-qos-class';
    const resources = { limits: { cpu: '100m', memory: '100Mi' }, requests: { cpu: '100m', memory: '100Mi' } };
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod(name, { containers: [{ name: 'agnhost', image: AGNHOST, args: ['pause'], resources }] }, { name })).expect(201);
    const got = await t.api.get(`/api/v1/namespaces/${ns}/pods/${name}`).expect(200);
    expect(got.body.status.qosClass).toBe('Guaranteed');
  });

  it('sets qosClass BestEffort without requests or limits and Burstable when they differ', async () => {
    const ns = await newNamespace('pods');
    const best = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('best', { containers: [{ name: 'c', image: BUSYBOX }] })).expect(201);
    expect(best.body.status.qosClass).toBe('BestEffort');
    const burst = await t.api
      .post(`/api/v1/namespaces/${ns}/pods`)
      .send(pod('burst', { containers: [{ name: 'c', image: BUSYBOX, resources: { requests: { cpu: '100m' }, limits: { cpu: '200m' } } }] }))
      .expect(201);
    expect(burst.body.status.qosClass).toBe('Burstable');
  });

  it('[sig-node] Sysctls [LinuxOnly] [NodeConformance] should reject invalid sysctls [MinimumKubeletVersion:1.21] [Conformance]', async () => {
    const ns = await newNamespace('sysctl');
    const sysctls = [
      { name: 'foo-', value: 'bar' },
      { name: 'kernel.shmmax', value: '100000000' },
      { name: 'safe-and-unsafe', value: '100000000' },
      { name: 'bar..', value: '42' },
    ];
    const res = await t.api
      .post(`/api/v1/namespaces/${ns}/pods`)
      .send(pod('sysctl-pod', { securityContext: { sysctls }, restartPolicy: 'Never', containers: [{ name: 'test-container', image: BUSYBOX, command: ['/bin/sysctl', 'kernel.shm_rmid_forced'] }] }));
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    const message: string = res.body.message;
    expect(message).toContain('Invalid value: "foo-"');
    expect(message).toContain('Invalid value: "bar.."');
    expect(message).not.toContain('safe-and-unsafe');
    expect(message).not.toContain('kernel.shmmax');
    expect(res.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['spec.securityContext.sysctls[0].name', 'spec.securityContext.sysctls[3].name']);
  });

  it('accepts sysctl names separated by slashes and refuses a repeated name', async () => {
    const ns = await newNamespace('sysctl');
    const containers = [{ name: 'c', image: BUSYBOX }];
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('slashes', { securityContext: { sysctls: [{ name: 'kernel/shm_rmid_forced', value: '1' }] }, containers })).expect(201);
    const dup = await t.api
      .post(`/api/v1/namespaces/${ns}/pods`)
      .send(pod('dup', { securityContext: { sysctls: [{ name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'kernel.shm_rmid_forced', value: '0' }] }, containers }));
    expect(dup.status).toBe(422);
    expect(dup.body.details.causes).toEqual([{ reason: 'FieldValueDuplicate', field: 'spec.securityContext.sysctls[1].name', message: 'Duplicate value: "kernel.shm_rmid_forced"' }]);
  });

  it('[sig-node] Kubelet when scheduling a busybox command that always fails in a pod should be possible to delete [NodeConformance] [Conformance]', async () => {
    const ns = await newNamespace('kubelet-test');
    const name = 'bin-false';
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod(name, { restartPolicy: 'Never', containers: [{ name, image: BUSYBOX, command: ['/bin/false'] }] })).expect(201);
    const deleted = await t.api.delete(`/api/v1/namespaces/${ns}/pods/${name}`).expect(200);
    expect(deleted.body.metadata.name).toBe(name);
  });

  it('[sig-storage] CSIInlineVolumes should support CSIVolumeSource in Pod API [Conformance]', async () => {
    const ns = await newNamespace('csiinlinevolumes');
    const path = `/api/v1/namespaces/${ns}/pods`;
    const name = 'pod-csi-inline-volumes';
    const body = pod(name, {
      volumes: [
        { name: 'csi-inline-vol1', csi: { driver: 'e2e.example.com' } },
        { name: 'csi-inline-vol2', csi: { driver: 'e2e.example.com', fsType: 'ext4', readOnly: true } },
      ],
      containers: [
        {
          name,
          image: BUSYBOX,
          command: ['sh', '-c', 'ls /mnt/*'],
          volumeMounts: [
            { name: 'csi-inline-vol1', mountPath: '/mnt/vol1' },
            { name: 'csi-inline-vol2', mountPath: '/mnt/vol2' },
          ],
        },
      ],
    });
    const created = (await t.api.post(path).send(body).expect(201)).body;
    // The ServiceAccount admission plugin adds the kube-api-access-* token volume after the Pod's own.
    expect(created.spec.volumes.filter((v: { name: string }) => !v.name.startsWith('kube-api-access-'))).toEqual(body.spec.volumes);
    const again = await t.api.post(path).send(body);
    expect(again.status).toBe(409);
    expect(again.body.reason).toBe('AlreadyExists');

    expect((await t.api.get(`${path}/${name}`).expect(200)).body.metadata.uid).toBe(created.metadata.uid);
    expect((await t.api.get(path).expect(200)).body.items).toHaveLength(1);

    const patched = await t.api.patch(`${path}/${name}`).set('Content-Type', 'application/merge-patch+json').send('{"metadata":{"annotations":{"patched":"true"}}}').expect(200);
    expect(patched.body.metadata.annotations).toEqual({ patched: 'true' });

    await t.api.delete(`${path}/${name}`).expect(200);
    const after = await t.api.get(`${path}/${name}`);
    // Gone, or at least marked for deletion, as upstream accepts either.
    expect(after.status === 404 || after.body.metadata?.deletionTimestamp !== undefined).toBe(true);
  });
});

describe('[sig-node] Node Lifecycle (deliberately unsupported: nodeless has no nodes)', () => {
  // Upstream "[sig-node] Node Lifecycle should run through the lifecycle of a node [Conformance]"
  // creates a fake Node; nodeless refuses every Node on purpose, so the refusal is what is checked.
  it('refuses to create a Node with 403 Forbidden and keeps the node list empty', async () => {
    const res = await t.api.post('/api/v1/nodes').send({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'e2e-fake-node-abcde', labels: { 'e2e-fake-node': 'true' } },
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'E2E', message: 'Set from e2e test' }] },
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403 });
    expect(res.body.message).toMatch(/nodes are not supported by nodeless/);
    expect((await t.api.get('/api/v1/nodes').expect(200)).body.items).toEqual([]);
    await t.api.get('/api/v1/nodes/e2e-fake-node-abcde').expect(404);
  });
});

describe('[sig-node] RuntimeClass', () => {
  let r: TestServer;
  beforeAll(async () => {
    r = await startTestServer();
  });
  afterAll(() => r.close());
  const pod = (name: string, runtimeClassName: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { runtimeClassName, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
  });

  it('[sig-node] RuntimeClass should reject a Pod requesting a non-existent RuntimeClass [NodeConformance] [Conformance]', async () => {
    const res = await r.api.post('/api/v1/namespaces/default/pods').send(pod('rc-missing', 'does-not-exist'));
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/RuntimeClass "does-not-exist" not found/);
  });

  it('[sig-node] RuntimeClass should reject a Pod requesting a deleted RuntimeClass [NodeConformance] [Conformance]', async () => {
    await r.api.post('/apis/node.k8s.io/v1/runtimeclasses').send({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'doomed' }, handler: 'runc', overhead: { podFixed: { cpu: '10m' } } }).expect(201);
    const ok = await r.api.post('/api/v1/namespaces/default/pods').send(pod('rc-present', 'doomed')).expect(201);
    expect(ok.body.spec.overhead).toEqual({ cpu: '10m' });
    await r.api.delete('/apis/node.k8s.io/v1/runtimeclasses/doomed').expect(200);
    const res = await r.api.post('/api/v1/namespaces/default/pods').send(pod('rc-deleted', 'doomed'));
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/RuntimeClass "doomed" not found/);
  });
});
