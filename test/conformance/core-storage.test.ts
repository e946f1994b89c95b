/**
 * Conformance mirrors for the storage and node APIs served as plain objects: CSIDriver, CSINode,
 * CSIStorageCapacity, StorageClass, PersistentVolume and PersistentVolumeClaim (with /status),
 * and RuntimeClass. The PV controller runs (it binds the PV and PVC of a lifecycle test to each
 * other, as upstream's would), so phases are checked as upstream does: Pending or Bound.
 */
import { listenURL, namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { WatchStream } from '../helpers/watch-stream';

let t: TestServer;
let base: string;
beforeAll(async () => {
  t = await startTestServer();
  base = await listenURL(t);
});
afterAll(() => t.close());

const newNamespace = namespaceMaker(() => t);

type Obj = { metadata: { name: string; namespace?: string; uid: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string } } & Record<string, any>;
type WatchEvent = { type: string; object: Obj };


const STRATEGIC = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';

// Upstream accepts either outcome of a delete: the object is gone, or it waits on finalizers.
async function expectDeleted(path: string): Promise<void> {
  const res = await t.api.get(path);
  expect(res.status === 404 || res.body.metadata?.deletionTimestamp !== undefined).toBe(true);
}

async function listItems(path: string, query: Record<string, string> = {}): Promise<Obj[]> {
  return (await t.api.get(path).query(query).expect(200)).body.items;
}

// discovered checks /apis, /apis/{group} and /apis/{group}/{version} advertise a resource.
async function expectDiscovered(group: string, version: string, resources: string[]): Promise<void> {
  const groups = (await t.api.get('/apis').expect(200)).body.groups as Array<{ name: string; versions: Array<{ version: string }> }>;
  expect(groups.find((g) => g.name === group)?.versions.map((v) => v.version)).toContain(version);
  const groupDoc = (await t.api.get(`/apis/${group}`).expect(200)).body as { versions: Array<{ version: string }> };
  expect(groupDoc.versions.map((v) => v.version)).toContain(version);
  const list = (await t.api.get(`/apis/${group}/${version}`).expect(200)).body as { resources: Array<{ name: string }> };
  for (const r of resources) expect(list.resources.map((x) => x.name)).toContain(r);
}

describe('[sig-storage] CSI objects', () => {
  it('[sig-storage] CSIInlineVolumes should run through the lifecycle of a CSIDriver [Conformance]', async () => {
    const path = '/apis/storage.k8s.io/v1/csidrivers';
    const label = { 'e2e-test': 'csiinlinevolumes-1' };
    const driver = (name: string, modes: string[]) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIDriver',
      metadata: { name, labels: label },
      spec: { volumeLifecycleModes: modes, fsGroupPolicy: 'ReadWriteOnceWithFSType' },
    });
    const d1 = (await t.api.post(path).send(driver('inline-driver-1', ['Ephemeral'])).expect(201)).body;
    const d2 = (await t.api.post(path).send(driver('inline-driver-2', ['Persistent', 'Ephemeral'])).expect(201)).body;
    expect((await t.api.post(path).send(driver('inline-driver-1', ['Ephemeral']))).status).toBe(409);
    // The API server fills in the driver's defaults.
    expect(d1.spec).toMatchObject({ attachRequired: true, podInfoOnMount: false, storageCapacity: false, requiresRepublish: false, volumeLifecycleModes: ['Ephemeral'] });

    expect((await t.api.get(`${path}/${d1.metadata.name}`).expect(200)).body.metadata.uid).toBe(d1.metadata.uid);
    expect((await t.api.get(`${path}/${d2.metadata.name}`).expect(200)).body.metadata.uid).toBe(d2.metadata.uid);

    const patched = await t.api.patch(`${path}/${d2.metadata.name}`).set('Content-Type', STRATEGIC).send(JSON.stringify({ metadata: { labels: { [d2.metadata.name]: 'patched' } } })).expect(200);
    expect(patched.body.metadata.labels[d2.metadata.name]).toContain('patched');

    const current = (await t.api.get(`${path}/${d2.metadata.name}`).expect(200)).body;
    current.metadata.labels[d2.metadata.name] = 'updated';
    const updated = await t.api.put(`${path}/${d2.metadata.name}`).send(current).expect(200);
    expect(updated.body.metadata.labels[d2.metadata.name]).toContain('updated');

    expect(await listItems(path, { labelSelector: 'e2e-test=csiinlinevolumes-1' })).toHaveLength(2);

    await t.api.delete(`${path}/${d1.metadata.name}`).expect(200);
    await expectDeleted(`${path}/${d1.metadata.name}`);

    await t.api.delete(path).query({ labelSelector: `${d2.metadata.name}=updated` }).expect(200);
    await expectDeleted(`${path}/${d2.metadata.name}`);
  });

  it('[sig-storage] CSINodes CSI Conformance should run through the lifecycle of a csinode [Conformance]', async () => {
    const path = '/apis/storage.k8s.io/v1/csinodes';
    const csiNode = (name: string) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name }, spec: { drivers: [] } });
    const first = (await t.api.post(path).send(csiNode('e2e-csinode-abcde')).expect(201)).body;
    expect(first.metadata.resourceVersion).toMatch(/^\d+$/);
    expect((await t.api.get(`${path}/${first.metadata.name}`).expect(200)).body.metadata.name).toBe(first.metadata.name);

    const patched = await t.api.patch(`${path}/${first.metadata.name}`).set('Content-Type', STRATEGIC).send(JSON.stringify({ metadata: { labels: { [first.metadata.name]: 'patched' } } })).expect(200);
    expect(patched.body.metadata.labels).toEqual({ [first.metadata.name]: 'patched' });
    expect(Number(patched.body.metadata.resourceVersion)).toBeGreaterThan(Number(first.metadata.resourceVersion));
    expect(await listItems(path, { labelSelector: `${first.metadata.name}=patched` })).toHaveLength(1);

    await t.api.delete(`${path}/${first.metadata.name}`).expect(200);
    await waitFor(async () => (await listItems(path, { labelSelector: `${first.metadata.name}=patched` })).length === 0, 'the CSINode to be gone');

    const second = (await t.api.post(path).send(csiNode('e2e-csinode-fghij')).expect(201)).body;
    const current = (await t.api.get(`${path}/${second.metadata.name}`).expect(200)).body;
    expect(current.metadata.name).toBe(second.metadata.name);
    current.metadata.labels = { [second.metadata.name]: 'updated' };
    const updated = await t.api.put(`${path}/${second.metadata.name}`).send(current).expect(200);
    expect(updated.body.metadata.labels).toEqual({ [second.metadata.name]: 'updated' });

    await t.api.delete(path).query({ labelSelector: `${second.metadata.name}=updated` }).expect(200);
    await waitFor(async () => (await listItems(path, { labelSelector: `${second.metadata.name}=updated` })).length === 0, 'the replacement CSINode to be gone');
  });

  it('[sig-storage] CSIStorageCapacity should support CSIStorageCapacities API operations [Conformance]', async () => {
    const ns = await newNamespace('csistoragecapacity');
    const path = `/apis/storage.k8s.io/v1/namespaces/${ns}/csistoragecapacities`;
    const allPath = '/apis/storage.k8s.io/v1/csistoragecapacities';
    const selector = { labelSelector: `test=${ns}` };
    const csc = (suffix: string) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIStorageCapacity', metadata: { name: `${ns}${suffix}`, labels: { test: ns } }, storageClassName: 'e2e.example.com' });

    await expectDiscovered('storage.k8s.io', 'v1', ['csistoragecapacities']);

    const created = (await t.api.post(path).send(csc('-csc1')).expect(201)).body;
    expect((await t.api.post(path).send(csc('-csc1'))).status).toBe(409);
    await t.api.post(path).send(csc('-csc2')).expect(201);

    const watch = await WatchStream.open(base, path, selector);
    const watchAll = await WatchStream.open(base, allPath, selector);
    try {
      await t.api.post(path).send(csc('-csc3')).expect(201);

      const got = (await t.api.get(`${path}/${created.metadata.name}`).expect(200)).body;
      expect(got.metadata.uid).toBe(created.metadata.uid);
      expect(got.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(await listItems(path, selector)).toHaveLength(3);
      expect(await listItems(allPath, selector)).toHaveLength(3);

      const patched = (await t.api.patch(`${path}/${created.metadata.name}`).set('Content-Type', MERGE).send('{"metadata":{"annotations":{"patched":"true"}}}').expect(200)).body;
      expect(patched.metadata.annotations).toEqual({ patched: 'true' });
      expect(Number(patched.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
      patched.metadata.annotations.updated = 'true';
      const updated = (await t.api.put(`${path}/${created.metadata.name}`).send(patched).expect(200)).body;
      expect(updated.metadata.annotations.updated).toBe('true');

      for (const w of [watch, watchAll]) {
        await w.next('csc3 ADDED', (e) => e.type === 'ADDED' && e.object.metadata.name === `${ns}-csc3`);
        await w.next('the patched annotation', (e) => e.type === 'MODIFIED' && e.object.metadata.annotations?.patched === 'true');
        await w.next('the updated annotation', (e) => e.type === 'MODIFIED' && e.object.metadata.annotations?.updated === 'true');
      }
    } finally {
      watch.close();
      watchAll.close();
    }

    await t.api.delete(`${path}/${created.metadata.name}`).expect(200);
    await expectDeleted(`${path}/${created.metadata.name}`);
    expect(await listItems(path, selector)).toHaveLength(2);

    await t.api.delete(path).query(selector).expect(200);
    expect(await listItems(path, selector)).toHaveLength(0);
  });
});

describe('[sig-storage] StorageClasses', () => {
  it('[sig-storage] StorageClasses CSI Conformance should run through the lifecycle of a StorageClass [Conformance]', async () => {
    const path = '/apis/storage.k8s.io/v1/storageclasses';
    const sc = (prefix: string) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { generateName: prefix }, provisioner: 'e2e-fake-provisioner' });
    const created = (await t.api.post(path).send(sc('e2e-')).expect(201)).body;
    expect(created.metadata.name).toMatch(/^e2e-[a-z0-9]{5}$/);
    expect(created).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });

    const retrieved = (await t.api.get(`${path}/${created.metadata.name}`).expect(200)).body;
    const patched = (await t.api.patch(`${path}/${retrieved.metadata.name}`).set('Content-Type', STRATEGIC).send(JSON.stringify({ metadata: { labels: { [retrieved.metadata.name]: 'patched' } } })).expect(200)).body;
    expect(patched.metadata.labels).toEqual({ [patched.metadata.name]: 'patched' });
    expect(Number(patched.metadata.resourceVersion)).toBeGreaterThan(Number(retrieved.metadata.resourceVersion));

    await t.api.delete(`${path}/${patched.metadata.name}`).expect(200);
    await waitFor(async () => (await listItems(path, { labelSelector: `${patched.metadata.name}=patched` })).length === 0, 'the StorageClass to be gone');

    const replacement = (await t.api.post(path).send(sc('e2e-v2-')).expect(201)).body;
    const current = (await t.api.get(`${path}/${replacement.metadata.name}`).expect(200)).body;
    current.metadata.labels = { [replacement.metadata.name]: 'updated' };
    const updated = (await t.api.put(`${path}/${replacement.metadata.name}`).send(current).expect(200)).body;
    expect(updated.metadata.labels).toEqual({ [replacement.metadata.name]: 'updated' });

    const selector = { labelSelector: `${replacement.metadata.name}=updated` };
    expect(await listItems(path, selector)).toHaveLength(1);
    await t.api.delete(path).query(selector).expect(200);
    await waitFor(async () => (await listItems(path, selector)).length === 0, 'the replacement StorageClass to be gone');
  });

  it('refuses to change the provisioner, parameters or reclaimPolicy of a StorageClass', async () => {
    const path = '/apis/storage.k8s.io/v1/storageclasses';
    await t.api.post(path).send({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fixed' }, provisioner: 'a.example.com', parameters: { type: 'ssd' } }).expect(201);
    const res = await t.api.patch(`${path}/fixed`).set('Content-Type', MERGE).send(JSON.stringify({ provisioner: 'b.example.com', parameters: { type: 'hdd' }, reclaimPolicy: 'Retain' }));
    expect(res.status).toBe(422);
    expect(res.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['parameters', 'provisioner', 'reclaimPolicy']);
    expect(res.body.message).toContain('provisioner: Forbidden: updates to provisioner are forbidden.');
  });
});

describe('[sig-storage] PersistentVolumes CSI Conformance', () => {
  // The PV and PVC e2epv.CreatePVsPVCs makes: a 2Gi RWO CSI volume in a StorageClass named after the namespace.
  async function createPVAndPVC(ns: string, driver: string, handle: string): Promise<void> {
    await t.api
      .post('/api/v1/persistentvolumes')
      .send({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { generateName: `${ns}-`, labels: { 'e2e-pv-pool': ns }, annotations: { 'pv.beta.kubernetes.io/gid': '777' } },
        spec: { capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'], csi: { driver, volumeHandle: handle }, storageClassName: ns },
      })
      .expect(201);
    await t.api
      .post(`/api/v1/namespaces/${ns}/persistentvolumeclaims`)
      .send({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { generateName: 'pvc-' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: ns },
      })
      .expect(201);
  }

  it('[sig-storage] PersistentVolumes CSI Conformance should run through the lifecycle of a PV and a PVC [Conformance]', async () => {
    const ns = await newNamespace('pv');
    const pvPath = '/api/v1/persistentvolumes';
    const pvcPath = `/api/v1/namespaces/${ns}/persistentvolumeclaims`;
    const volLabel = { labelSelector: `e2e-pv-pool=${ns}` };
    await t.api.post('/apis/storage.k8s.io/v1/csidrivers').send({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: `inline-driver-${ns}`, labels: { 'e2e-test': ns } }, spec: { volumeLifecycleModes: ['Persistent'], fsGroupPolicy: 'ReadWriteOnceWithFSType' } }).expect(201);
    await createPVAndPVC(ns, `inline-driver-${ns}`, 'e2e-conformance');

    const pvs = await listItems(pvPath, volLabel);
    expect(pvs).toHaveLength(1);
    const pvcs = await listItems(pvcPath);
    expect(pvcs).toHaveLength(1);
    const [pv] = pvs;
    const [pvc] = pvcs;
    expect(pv.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(pvc.metadata.resourceVersion).toMatch(/^\d+$/);

    const patchedPV = (await t.api.patch(`${pvPath}/${pv.metadata.name}`).set('Content-Type', STRATEGIC).send(JSON.stringify({ metadata: { labels: { [pv.metadata.name]: 'patched' } } })).expect(200)).body;
    expect(patchedPV.metadata.labels[pv.metadata.name]).toBe('patched');
    expect(Number(patchedPV.metadata.resourceVersion)).toBeGreaterThan(Number(pv.metadata.resourceVersion));
    const patchedPVC = (await t.api.patch(`${pvcPath}/${pvc.metadata.name}`).set('Content-Type', STRATEGIC).send(JSON.stringify({ metadata: { labels: { [pvc.metadata.name]: 'patched' } } })).expect(200)).body;
    expect(patchedPVC.metadata.labels[pvc.metadata.name]).toBe('patched');
    expect(Number(patchedPVC.metadata.resourceVersion)).toBeGreaterThan(Number(pvc.metadata.resourceVersion));

    expect((await t.api.get(`${pvPath}/${pv.metadata.name}`).expect(200)).body.metadata.uid).toBe(patchedPV.metadata.uid);
    expect((await t.api.get(`${pvcPath}/${pvc.metadata.name}`).expect(200)).body.metadata.uid).toBe(patchedPVC.metadata.uid);

    await t.api.delete(`${pvcPath}/${pvc.metadata.name}`).expect(200);
    await waitFor(async () => (await listItems(pvcPath)).length === 0, 'the PVC to be gone');
    await t.api.delete(`${pvPath}/${pv.metadata.name}`).expect(200);
    await waitFor(async () => (await listItems(pvPath, volLabel)).length === 0, 'the PV to be gone');

    await createPVAndPVC(ns, `inline-driver-${ns}`, 'e2e-conformance');
    const [pv2] = await listItems(pvPath, volLabel);
    const [pvc2] = await listItems(pvcPath);

    const pvNow = (await t.api.get(`${pvPath}/${pv2.metadata.name}`).expect(200)).body;
    pvNow.metadata.labels[pv2.metadata.name] = 'updated';
    const updatedPV = (await t.api.put(`${pvPath}/${pv2.metadata.name}`).send(pvNow).expect(200)).body;
    expect(updatedPV.metadata.labels[pv2.metadata.name]).toBe('updated');

    const pvcNow = (await t.api.get(`${pvcPath}/${pvc2.metadata.name}`).expect(200)).body;
    pvcNow.metadata.labels = { [pvc2.metadata.name]: 'updated' };
    const updatedPVC = (await t.api.put(`${pvcPath}/${pvc2.metadata.name}`).send(pvcNow).expect(200)).body;
    expect(updatedPVC.metadata.labels[pvc2.metadata.name]).toBe('updated');

    const pvcSelector = { labelSelector: `${pvc2.metadata.name}=updated` };
    expect(await listItems('/api/v1/persistentvolumeclaims', pvcSelector)).toHaveLength(1);
    await t.api.delete(pvcPath).query(pvcSelector).expect(200);
    await waitFor(async () => (await listItems(pvcPath, pvcSelector)).length === 0, 'the PVC collection to be gone');

    const pvSelector = { labelSelector: `${pv2.metadata.name}=updated` };
    await t.api.delete(pvPath).query(pvSelector).expect(200);
    await waitFor(async () => (await listItems(pvPath, pvSelector)).length === 0, 'the PV collection to be gone');
  });

  it('[sig-storage] PersistentVolumes CSI Conformance should apply changes to a pv/pvc status [Conformance]', async () => {
    const ns = await newNamespace('pv');
    const pvPath = '/api/v1/persistentvolumes';
    const pvcPath = `/api/v1/namespaces/${ns}/persistentvolumeclaims`;
    await createPVAndPVC(ns, `e2e-driver-${ns}`, 'e2e-status-conformance');
    const [pv] = await listItems(pvPath, { labelSelector: `e2e-pv-pool=${ns}` });
    const [pvc] = await listItems(pvcPath);
    expect(pv).toBeDefined();
    expect(pvc).toBeDefined();

    const pvcStatus = (await t.api.get(`${pvcPath}/${pvc.metadata.name}/status`).expect(200)).body;
    expect(['Pending', 'Bound']).toContain(pvcStatus.status.phase);
    const pvStatus = (await t.api.get(`${pvPath}/${pv.metadata.name}/status`).expect(200)).body;
    expect(['Available', 'Bound', 'Pending']).toContain(pvStatus.status.phase);

    const patchedPVC = (
      await t.api
        .patch(`${pvcPath}/${pvc.metadata.name}/status`)
        .set('Content-Type', MERGE)
        .send('{"status":{"conditions":[{"type":"StatusPatched","status":"True", "reason":"E2E patchedStatus", "message":"Set from e2e test"}]}}')
        .expect(200)
    ).body;
    expect(patchedPVC.status.conditions).toEqual([expect.objectContaining({ type: 'StatusPatched', reason: 'E2E patchedStatus', message: 'Set from e2e test' })]);

    const patchedPV = (await t.api.patch(`${pvPath}/${pv.metadata.name}/status`).set('Content-Type', MERGE).send('{"status":{"message": "StatusPatched", "reason": "E2E patchStatus"}}').expect(200)).body;
    expect(patchedPV.status).toMatchObject({ reason: 'E2E patchStatus', message: 'StatusPatched' });

    const pvcNow = (await t.api.get(`${pvcPath}/${pvc.metadata.name}`).expect(200)).body;
    pvcNow.status.conditions.push({ type: 'StatusUpdated', status: 'True', reason: 'E2E updateStatus', message: 'Set from e2e test' });
    const updatedPVC = (await t.api.put(`${pvcPath}/${pvc.metadata.name}/status`).send(pvcNow).expect(200)).body;
    expect(updatedPVC.status.conditions.map((c: { type: string }) => c.type)).toEqual(['StatusPatched', 'StatusUpdated']);
    expect(updatedPVC.status.conditions[1]).toMatchObject({ reason: 'E2E updateStatus', message: 'Set from e2e test' });

    const pvNow = (await t.api.get(`${pvPath}/${pv.metadata.name}`).expect(200)).body;
    pvNow.status.reason = 'E2E updateStatus';
    pvNow.status.message = 'StatusUpdated';
    const updatedPV = (await t.api.put(`${pvPath}/${pv.metadata.name}/status`).send(pvNow).expect(200)).body;
    expect(updatedPV.status).toMatchObject({ reason: 'E2E updateStatus', message: 'StatusUpdated' });
  });

  it('creates PVs and PVCs Pending with the API server defaults, and refuses them without access modes or size', async () => {
    const ns = await newNamespace('pv');
    const pv = (
      await t.api
        .post('/api/v1/persistentvolumes')
        .send({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `${ns}-defaults` }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp' } }, status: { phase: 'Bound' } })
        .expect(201)
    ).body;
    expect(pv.spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
    expect(pv.status).toEqual({ phase: 'Pending', lastPhaseTransitionTime: pv.metadata.creationTimestamp });

    const pvc = (await t.api.post(`/api/v1/namespaces/${ns}/persistentvolumeclaims`).send({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'claim' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }).expect(201)).body;
    expect(pvc.spec.volumeMode).toBe('Filesystem');
    expect(pvc.status).toEqual({ phase: 'Pending' });

    const badPVC = await t.api.post(`/api/v1/namespaces/${ns}/persistentvolumeclaims`).send({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'bad' }, spec: {} });
    expect(badPVC.status).toBe(422);
    expect(badPVC.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['spec.accessModes', 'spec.resources[storage]']);
    const badPV = await t.api.post('/api/v1/persistentvolumes').send({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `${ns}-bad` }, spec: {} });
    expect(badPV.status).toBe(422);
    expect(badPV.body.details.causes.map((c: { message: string }) => c.message)).toContain('Required value: must specify a volume type');
  });
});

describe('[sig-node] RuntimeClass', () => {
  it('[sig-node] RuntimeClass should support RuntimeClasses API operations [Conformance]', async () => {
    const path = '/apis/node.k8s.io/v1/runtimeclasses';
    const unique = 'runtimeclass-1';
    const selector = { labelSelector: `test=${unique}` };
    const rc = (suffix: string) => ({
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: `${unique}-conformance-runtime-class${suffix}`, labels: { test: unique } },
      handler: `${unique}-handler${suffix}`,
    });
    await expectDiscovered('node.k8s.io', 'v1', ['runtimeclasses']);

    const created = (await t.api.post(path).send(rc('')).expect(201)).body;
    expect((await t.api.post(path).send(rc(''))).status).toBe(409);
    await t.api.post(path).send(rc('2')).expect(201);

    const watch = await WatchStream.open(base, path, selector);
    try {
      await t.api.post(path).send(rc('3')).expect(201);
      expect((await t.api.get(`${path}/${created.metadata.name}`).expect(200)).body.metadata.uid).toBe(created.metadata.uid);
      expect(await listItems(path, selector)).toHaveLength(3);

      const patched = (await t.api.patch(`${path}/${created.metadata.name}`).set('Content-Type', MERGE).send('{"metadata":{"annotations":{"patched":"true"}}}').expect(200)).body;
      expect(patched.metadata.annotations).toEqual({ patched: 'true' });
      patched.metadata.annotations.updated = 'true';
      const updated = (await t.api.put(`${path}/${created.metadata.name}`).send(patched).expect(200)).body;
      expect(updated.metadata.annotations.updated).toBe('true');

      await watch.next('rc3 ADDED', (e) => e.type === 'ADDED' && e.object.metadata.name === `${unique}-conformance-runtime-class3`);
      await watch.next('the patched annotation', (e) => e.type === 'MODIFIED' && e.object.metadata.annotations?.patched === 'true');
      await watch.next('the updated annotation', (e) => e.type === 'MODIFIED' && e.object.metadata.annotations?.updated === 'true');
    } finally {
      watch.close();
    }

    await t.api.delete(`${path}/${created.metadata.name}`).expect(200);
    expect((await t.api.get(`${path}/${created.metadata.name}`)).status).toBe(404);
    expect(await listItems(path, selector)).toHaveLength(2);

    await t.api.delete(path).query(selector).expect(200);
    expect(await listItems(path, selector)).toHaveLength(0);
  });

  it('refuses to change the handler of a RuntimeClass', async () => {
    const path = '/apis/node.k8s.io/v1/runtimeclasses';
    await t.api.post(path).send({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'fixed-handler' }, handler: 'runc' }).expect(201);
    const res = await t.api.patch(`${path}/fixed-handler`).set('Content-Type', MERGE).send('{"handler":"kata"}');
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'handler', message: 'Invalid value: "kata": field is immutable' }]);
  });
});
