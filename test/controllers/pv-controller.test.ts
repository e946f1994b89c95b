/**
 * Storage on the in-process controllers: the default StorageClass, the DefaultStorageClass and
 * protection admission, the PV controller binding claims (provisioned, pre-created and
 * pre-bound volumes), WaitForFirstConsumer, reclaim policies, volume expansion and the
 * protection finalizers, against kube's names, annotations, events and phases.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EVENTS, PERSISTENT_VOLUMES, PERSISTENT_VOLUME_CLAIMS, PODS, STORAGE_CLASSES, ApiError, type Client } from '../../controllers/runtime/client';
import { LOCAL_PROVISIONER } from '../../controllers/storage/local-provisioner';
import { externalProvisioningMessage, WAIT_FOR_FIRST_CONSUMER_MESSAGE } from '../../controllers/storage/pv-controller';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
let client: Client;
let volumesDir: string;
const newNamespace = namespaceMaker(() => t);
const LONG = 30_000;

beforeAll(async () => {
  volumesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-pv-test-'));
  t = await startTestServer({ volumesDir });
  client = t.nodeless.client.withFieldManager('pv-test');
});
afterAll(async () => {
  await t.close();
  fs.rmSync(volumesDir, { recursive: true, force: true });
});

type Obj = KubeObject & { spec: Record<string, any>; status: Record<string, any> };

function claim(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } };
}

function volume(name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/${name}` }, storageClassName: 'manual', ...spec },
  };
}

function pod(name: string, claimName: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] } };
}

async function getClaim(ns: string, name: string): Promise<Obj> {
  return (await client.get(PERSISTENT_VOLUME_CLAIMS, ns, name)) as Obj;
}

async function boundClaim(ns: string, name: string): Promise<Obj> {
  return waitFor(async () => {
    const c = await getClaim(ns, name);
    return c.status?.phase === 'Bound' && c;
  }, `claim ${ns}/${name} to be Bound`, LONG);
}

async function gone(res: typeof PERSISTENT_VOLUMES, ns: string | undefined, name: string): Promise<void> {
  await waitFor(async () => {
    try {
      await client.get(res, ns, name);
      return false;
    } catch (err) {
      return err instanceof ApiError && err.code === 404;
    }
  }, `${res.resource} ${name} to be gone`, LONG);
}

async function eventsOf(ns: string, name: string): Promise<Array<{ reason: string; message: string; type: string; source?: { component?: string } }>> {
  return (await client.list(EVENTS, ns, { fieldSelector: `involvedObject.name=${name}` })).items as never;
}

async function storageClass(name: string, extra: Record<string, unknown>): Promise<void> {
  await client.create(STORAGE_CLASSES, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: LOCAL_PROVISIONER, ...extra });
}

describe('the default StorageClass and storage admission', () => {
  it('serves `standard` as the default class from the first start', async () => {
    const sc = await client.get(STORAGE_CLASSES, undefined, 'standard');
    expect(sc.metadata?.annotations).toEqual({ 'storageclass.kubernetes.io/is-default-class': 'true' });
    expect(sc).toMatchObject({ provisioner: 'nodeless.dev/local', reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate', allowVolumeExpansion: true });
  });

  it('gives a claim without a class the default class, leaves "" alone, and puts the protection finalizers on claims and volumes', async () => {
    const ns = await newNamespace('sc');
    const a = await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('a'));
    expect((a.spec as Obj['spec']).storageClassName).toBe('standard');
    expect(a.metadata?.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    const none = await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('none', { storageClassName: '' }));
    expect((none.spec as Obj['spec']).storageClassName).toBe('');
    const pv = await client.create(PERSISTENT_VOLUMES, undefined, volume(`${ns}-pv`, { storageClassName: 'nothing-claims-this' }));
    expect(pv.metadata?.finalizers).toEqual(['kubernetes.io/pv-protection']);
    await waitFor(async () => ((await client.get(PERSISTENT_VOLUMES, undefined, `${ns}-pv`)) as Obj).status?.phase === 'Available', 'the unclaimed volume to be Available', LONG);
    await waitFor(async () => (await eventsOf(ns, 'none')).some((e) => e.reason === 'FailedBinding' && e.message === 'no persistent volumes available for this claim and no storage class is set'), 'FailedBinding', LONG);
    await client.delete(PERSISTENT_VOLUMES, undefined, `${ns}-pv`);
  });
});

describe('provisioning and binding', () => {
  it('provisions pvc-<uid> with a hostPath directory for a claim of the default class and binds the two', async () => {
    const ns = await newNamespace('prov');
    const created = await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data', { resources: { requests: { storage: '2Gi' } }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] }));
    const bound = await boundClaim(ns, 'data');
    const pvName = `pvc-${created.metadata!.uid}`;
    expect(bound.spec.volumeName).toBe(pvName);
    expect(bound.metadata?.annotations).toMatchObject({
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.kubernetes.io/storage-provisioner': 'nodeless.dev/local',
      'volume.beta.kubernetes.io/storage-provisioner': 'nodeless.dev/local',
    });
    expect(bound.status).toMatchObject({ phase: 'Bound', capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] });
    const pv = (await client.get(PERSISTENT_VOLUMES, undefined, pvName)) as Obj;
    expect(pv.metadata?.annotations).toEqual({ 'pv.kubernetes.io/provisioned-by': 'nodeless.dev/local' });
    expect(pv.spec).toMatchObject({
      capacity: { storage: '2Gi' },
      accessModes: ['ReadWriteOnce', 'ReadOnlyMany'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'standard',
      volumeMode: 'Filesystem',
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: ns, name: 'data', uid: created.metadata!.uid },
      hostPath: { path: path.join(volumesDir, pvName) },
    });
    expect(pv.metadata?.finalizers).toEqual(['external-provisioner.volume.kubernetes.io/finalizer', 'kubernetes.io/pv-protection']);
    expect(pv.status.phase).toBe('Bound');
    expect(typeof pv.status.lastPhaseTransitionTime).toBe('string');
    expect(fs.statSync(path.join(volumesDir, pvName)).isDirectory()).toBe(true);
    const events = await waitFor(async () => {
      const e = await eventsOf(ns, 'data');
      return e.some((x) => x.reason === 'ProvisioningSucceeded') && e;
    }, 'ProvisioningSucceeded', LONG);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Normal', reason: 'ExternalProvisioning', message: externalProvisioningMessage('nodeless.dev/local'), source: expect.objectContaining({ component: 'persistentvolume-controller' }) }),
        expect.objectContaining({ type: 'Normal', reason: 'Provisioning', message: `External provisioner is provisioning volume for claim "${ns}/data"` }),
        expect.objectContaining({ type: 'Normal', reason: 'ProvisioningSucceeded', message: `Successfully provisioned volume ${pvName}` }),
      ]),
    );
  });

  it('deletes the volume and its directory when the claim goes under reclaimPolicy Delete', async () => {
    const ns = await newNamespace('del');
    const created = await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data'));
    const pvName = `pvc-${created.metadata!.uid}`;
    await boundClaim(ns, 'data');
    expect(fs.existsSync(path.join(volumesDir, pvName))).toBe(true);
    await client.delete(PERSISTENT_VOLUME_CLAIMS, ns, 'data');
    await gone(PERSISTENT_VOLUME_CLAIMS, ns, 'data');
    await gone(PERSISTENT_VOLUMES, undefined, pvName);
    expect(fs.existsSync(path.join(volumesDir, pvName))).toBe(false);
  });

  it('frees the directory of a volume deleted while bound, once its claim goes', async () => {
    const ns = await newNamespace('delpv');
    const created = await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data'));
    const pvName = `pvc-${created.metadata!.uid}`;
    await boundClaim(ns, 'data');
    await client.delete(PERSISTENT_VOLUMES, undefined, pvName);
    const held = (await client.get(PERSISTENT_VOLUMES, undefined, pvName)) as Obj;
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    expect(held.status.phase).toBe('Bound');
    expect(fs.existsSync(path.join(volumesDir, pvName))).toBe(true);
    await client.delete(PERSISTENT_VOLUME_CLAIMS, ns, 'data');
    await gone(PERSISTENT_VOLUMES, undefined, pvName);
    expect(fs.existsSync(path.join(volumesDir, pvName))).toBe(false);
  });

  it('keeps a Released volume and its data under reclaimPolicy Retain', async () => {
    const ns = await newNamespace('retain');
    await storageClass(`${ns}-retain`, { reclaimPolicy: 'Retain' });
    const created = await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data', { storageClassName: `${ns}-retain` }));
    const pvName = `pvc-${created.metadata!.uid}`;
    await boundClaim(ns, 'data');
    fs.writeFileSync(path.join(volumesDir, pvName, 'file'), 'kept');
    await client.delete(PERSISTENT_VOLUME_CLAIMS, ns, 'data');
    await gone(PERSISTENT_VOLUME_CLAIMS, ns, 'data');
    const pv = await waitFor(async () => {
      const v = (await client.get(PERSISTENT_VOLUMES, undefined, pvName)) as Obj;
      return v.status?.phase === 'Released' && v;
    }, 'the volume to be Released', LONG);
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(fs.readFileSync(path.join(volumesDir, pvName, 'file'), 'utf8')).toBe('kept');
    // A Released volume is not Bound, so deleting it is not held by pv-protection.
    await client.delete(PERSISTENT_VOLUMES, undefined, pvName);
    await gone(PERSISTENT_VOLUMES, undefined, pvName);
  });

  it('binds a claim to the smallest matching pre-created volume (class, size, access modes, selector) without provisioning', async () => {
    const ns = await newNamespace('match');
    const cls = `${ns}-manual`;
    await client.create(PERSISTENT_VOLUMES, undefined, volume(`${ns}-small`, { storageClassName: cls, capacity: { storage: '500Mi' } }, { pool: ns }));
    await client.create(PERSISTENT_VOLUMES, undefined, volume(`${ns}-big`, { storageClassName: cls, capacity: { storage: '10Gi' } }, { pool: ns }));
    await client.create(PERSISTENT_VOLUMES, undefined, volume(`${ns}-fit`, { storageClassName: cls, capacity: { storage: '2Gi' } }, { pool: ns }));
    await client.create(PERSISTENT_VOLUMES, undefined, volume(`${ns}-rwx`, { storageClassName: cls, capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany'] }, { pool: ns }));
    await client.create(PERSISTENT_VOLUMES, undefined, volume(`${ns}-other`, { storageClassName: cls, capacity: { storage: '1Gi' } }, { pool: 'elsewhere' }));
    await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data', { storageClassName: cls, selector: { matchLabels: { pool: ns } } }));
    const bound = await boundClaim(ns, 'data');
    expect(bound.spec.volumeName).toBe(`${ns}-fit`);
    expect(bound.status.capacity).toEqual({ storage: '2Gi' });
    const pv = (await client.get(PERSISTENT_VOLUMES, undefined, `${ns}-fit`)) as Obj;
    expect(pv.metadata?.annotations).toEqual({ 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(pv.status.phase).toBe('Bound');
    expect(bound.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner']).toBeUndefined();
    // The volume was not provisioned: it keeps its own policy, and goes Released when the claim goes.
    await client.delete(PERSISTENT_VOLUME_CLAIMS, ns, 'data');
    await waitFor(async () => ((await client.get(PERSISTENT_VOLUMES, undefined, `${ns}-fit`)) as Obj).status?.phase === 'Released', 'Released', LONG);
    for (const n of ['small', 'big', 'fit', 'rwx', 'other']) await client.delete(PERSISTENT_VOLUMES, undefined, `${ns}-${n}`);
  });

  it('binds a volume pre-bound to a claim through claimRef, and a claim pre-bound to a volume through volumeName', async () => {
    const ns = await newNamespace('prebound');
    await client.create(PERSISTENT_VOLUMES, undefined, volume(`${ns}-a`, { storageClassName: '', claimRef: { namespace: ns, name: 'a' } }));
    await client.create(PERSISTENT_VOLUMES, undefined, volume(`${ns}-decoy`, { storageClassName: '' }));
    await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('a', { storageClassName: '' }));
    const a = await boundClaim(ns, 'a');
    expect(a.spec.volumeName).toBe(`${ns}-a`);
    const pvA = (await client.get(PERSISTENT_VOLUMES, undefined, `${ns}-a`)) as Obj;
    expect(pvA.spec.claimRef).toMatchObject({ name: 'a', uid: a.metadata!.uid });
    // The user named the claim, so the volume's side is not marked as the controller's.
    expect(pvA.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller']).toBeUndefined();

    await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('b', { storageClassName: '', volumeName: `${ns}-decoy` }));
    const b = await boundClaim(ns, 'b');
    expect(b.spec.volumeName).toBe(`${ns}-decoy`);
    expect(b.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller']).toBeUndefined();
    expect(((await client.get(PERSISTENT_VOLUMES, undefined, `${ns}-decoy`)) as Obj).metadata?.annotations?.['pv.kubernetes.io/bound-by-controller']).toBe('yes');
    for (const n of ['a', 'b']) await client.delete(PERSISTENT_VOLUME_CLAIMS, ns, n);
    for (const n of ['a', 'decoy']) await client.delete(PERSISTENT_VOLUMES, undefined, `${ns}-${n}`);
  });

  it('marks a bound claim Lost when its volume is forced away', async () => {
    const ns = await newNamespace('lost');
    await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data'));
    const bound = await boundClaim(ns, 'data');
    const pvName = bound.spec.volumeName as string;
    await client.delete(PERSISTENT_VOLUMES, undefined, pvName);
    // pv-protection holds a Bound volume; taking the finalizer away by hand lets it go.
    await client.patch(PERSISTENT_VOLUMES, undefined, pvName, 'merge', { metadata: { finalizers: null } });
    await gone(PERSISTENT_VOLUMES, undefined, pvName);
    await waitFor(async () => (await getClaim(ns, 'data')).status.phase === 'Lost', 'the claim to be Lost', LONG);
    expect(await eventsOf(ns, 'data')).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Warning', reason: 'ClaimLost', message: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!' })]));
  });

  it('refuses a storage request change on a claim that is not bound yet (422)', async () => {
    const ns = await newNamespace('unbound');
    await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data', { storageClassName: '' }));
    const res = await t.api
      .patch(`/api/v1/namespaces/${ns}/persistentvolumeclaims/data`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { resources: { requests: { storage: '2Gi' } } } });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([{ reason: 'FieldValueForbidden', field: 'spec', message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' }]);
  });

  it('never removes a directory outside the volumes directory, even for a volume that claims to be its own', async () => {
    const ns = await newNamespace('outside');
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-outside-'));
    try {
      const name = `${ns}-forged`;
      await client.create(PERSISTENT_VOLUMES, undefined, {
        ...volume(name, { storageClassName: 'standard', persistentVolumeReclaimPolicy: 'Delete', hostPath: { path: outside }, claimRef: { namespace: ns, name: 'gone', uid: '00000000-0000-0000-0000-000000000000' } }),
        metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': LOCAL_PROVISIONER } },
      });
      await waitFor(async () => (await client.list(EVENTS, 'default', { fieldSelector: `involvedObject.name=${name}` })).items.some((e) => (e as { reason?: string }).reason === 'VolumeFailedDelete'), 'VolumeFailedDelete', LONG);
      expect(((await client.get(PERSISTENT_VOLUMES, undefined, name)) as Obj).status.phase).toBe('Released');
      expect(fs.existsSync(outside)).toBe(true);
      await client.delete(PERSISTENT_VOLUMES, undefined, name);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('reports a class that does not exist', async () => {
    const ns = await newNamespace('nosc');
    await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data', { storageClassName: `${ns}-missing` }));
    await waitFor(async () => (await eventsOf(ns, 'data')).some((e) => e.type === 'Warning' && e.reason === 'ProvisioningFailed' && e.message === `storageclass.storage.k8s.io "${ns}-missing" not found`), 'ProvisioningFailed', LONG);
    expect((await getClaim(ns, 'data')).status.phase).toBe('Pending');
  });
});

describe('WaitForFirstConsumer', () => {
  it('keeps the claim Pending until a pod uses it, then provisions', async () => {
    const ns = await newNamespace('wffc');
    await storageClass(`${ns}-late`, { volumeBindingMode: 'WaitForFirstConsumer' });
    await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data', { storageClassName: `${ns}-late` }));
    await waitFor(async () => (await eventsOf(ns, 'data')).some((e) => e.type === 'Normal' && e.reason === 'WaitForFirstConsumer' && e.message === WAIT_FOR_FIRST_CONSUMER_MESSAGE), 'WaitForFirstConsumer', LONG);
    const waiting = await getClaim(ns, 'data');
    expect(waiting.status.phase).toBe('Pending');
    expect(waiting.spec.volumeName).toBeUndefined();
    expect(waiting.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner']).toBeUndefined();
    await client.create(PODS, ns, pod('user', 'data'));
    const bound = await boundClaim(ns, 'data');
    expect(bound.spec.volumeName).toBe(`pvc-${bound.metadata!.uid}`);
  });
});

describe('volume expansion', () => {
  it('grows a bound claim of a class that allows it: the volume and the claim get the new capacity', async () => {
    const ns = await newNamespace('grow');
    await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data'));
    const bound = await boundClaim(ns, 'data');
    await client.patch(PERSISTENT_VOLUME_CLAIMS, ns, 'data', 'merge', { spec: { resources: { requests: { storage: '3Gi' } } } });
    const grown = await waitFor(async () => {
      const c = await getClaim(ns, 'data');
      return c.status.capacity?.storage === '3Gi' && c;
    }, 'the claim capacity to be 3Gi', LONG);
    expect(grown.status.allocatedResources).toEqual({ storage: '3Gi' });
    expect(grown.status.conditions).toBeUndefined();
    expect(grown.status.allocatedResourceStatuses).toBeUndefined();
    expect(((await client.get(PERSISTENT_VOLUMES, undefined, bound.spec.volumeName)) as Obj).spec.capacity).toEqual({ storage: '3Gi' });
    await waitFor(async () => (await eventsOf(ns, 'data')).some((e) => e.reason === 'VolumeResizeSuccessful' && e.message === 'Resize volume succeeded'), 'VolumeResizeSuccessful', LONG);
    // Shrinking to the capacity or below it is refused by validation.
    const shrink = await t.api
      .patch(`/api/v1/namespaces/${ns}/persistentvolumeclaims/data`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { resources: { requests: { storage: '1Gi' } } } });
    expect(shrink.status).toBe(422);
    expect(shrink.body.details.causes).toEqual([{ reason: 'FieldValueForbidden', field: 'spec.resources.requests.storage', message: 'Forbidden: field can not be less than status.capacity' }]);
  });

  it('refuses growing a claim whose class does not allow expansion (403), and changing a claim spec otherwise (422)', async () => {
    const ns = await newNamespace('fixed');
    await storageClass(`${ns}-fixed`, { allowVolumeExpansion: false });
    await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data', { storageClassName: `${ns}-fixed` }));
    await boundClaim(ns, 'data');
    const grow = await t.api
      .patch(`/api/v1/namespaces/${ns}/persistentvolumeclaims/data`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { resources: { requests: { storage: '5Gi' } } } });
    expect(grow.status).toBe(403);
    expect(grow.body).toMatchObject({
      reason: 'Forbidden',
      message: 'persistentvolumeclaims "data" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
    });
    const modes = await t.api
      .patch(`/api/v1/namespaces/${ns}/persistentvolumeclaims/data`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { accessModes: ['ReadWriteMany'] } });
    expect(modes.status).toBe(422);
    expect(modes.body.message).toBe('PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
  });
});

describe('protection', () => {
  it('keeps a deleted claim Terminating while a pod uses it, and lets it go with the pod', async () => {
    const ns = await newNamespace('pvcprot');
    await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data'));
    const bound = await boundClaim(ns, 'data');
    await client.create(PODS, ns, pod('user', 'data'));
    await client.delete(PERSISTENT_VOLUME_CLAIMS, ns, 'data');
    const terminating = await getClaim(ns, 'data');
    expect(terminating.metadata?.deletionTimestamp).toBeDefined();
    expect(terminating.metadata?.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    // The volume stays Bound and protected while the claim waits.
    await client.delete(PERSISTENT_VOLUMES, undefined, bound.spec.volumeName);
    const pv = (await client.get(PERSISTENT_VOLUMES, undefined, bound.spec.volumeName)) as Obj;
    expect(pv.metadata?.deletionTimestamp).toBeDefined();
    expect(pv.metadata?.finalizers).toContain('kubernetes.io/pv-protection');
    await client.delete(PODS, ns, 'user', { gracePeriodSeconds: 0 });
    await gone(PERSISTENT_VOLUME_CLAIMS, ns, 'data');
    await gone(PERSISTENT_VOLUMES, undefined, bound.spec.volumeName);
  });

  it('lets a claim go at once when only terminated pods reference it', async () => {
    const ns = await newNamespace('pvcdone');
    await client.create(PERSISTENT_VOLUME_CLAIMS, ns, claim('data'));
    await boundClaim(ns, 'data');
    const p = await client.create(PODS, ns, pod('done', 'data'));
    await client.updateStatus(PODS, { ...p, status: { phase: 'Succeeded' } });
    await waitFor(async () => ((await client.get(PODS, ns, 'done')) as Obj).status?.phase === 'Succeeded', 'the pod to be Succeeded', LONG);
    await client.delete(PERSISTENT_VOLUME_CLAIMS, ns, 'data');
    await gone(PERSISTENT_VOLUME_CLAIMS, ns, 'data');
  });
});
