/**
 * The built-in `standard` StorageClass as an EnsureExists addon: made on the first start, left
 * as the user changed it across restarts, and made again at the next start after a delete. And
 * the DefaultStorageClass admission's choice among several default classes: the newest.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PERSISTENT_VOLUME_CLAIMS, STORAGE_CLASSES } from '../../controllers/runtime/client';
import { createNodeless, type Nodeless } from '../../server/server';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-sc-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// Controllers are not needed: only the bootstrap and admission are under test.
const open = (): Promise<Nodeless> => createNodeless({ databasePath: path.join(dir, 'state.db'), controllers: false });

describe('the standard StorageClass', () => {
  it('keeps the user\'s changes across a restart and comes back after a delete at the next start', async () => {
    let n = await open();
    const sc = await n.client.get(STORAGE_CLASSES, undefined, 'standard');
    expect(sc.metadata?.labels).toEqual({ 'addonmanager.kubernetes.io/mode': 'EnsureExists' });
    await n.client.patch(STORAGE_CLASSES, undefined, 'standard', 'merge', { metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'false' } }, allowVolumeExpansion: false });
    await n.close();

    n = await open();
    const kept = await n.client.get(STORAGE_CLASSES, undefined, 'standard');
    expect(kept.metadata?.annotations).toEqual({ 'storageclass.kubernetes.io/is-default-class': 'false' });
    expect(kept.allowVolumeExpansion).toBe(false);
    // No default class: a claim without a class keeps none.
    await n.client.create(NAMESPACE, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } });
    const pvc = await n.client.create(PERSISTENT_VOLUME_CLAIMS, 'a', claim('c'));
    expect((pvc.spec as { storageClassName?: string }).storageClassName).toBeUndefined();
    await n.client.delete(STORAGE_CLASSES, undefined, 'standard');
    await n.close();

    n = await open();
    const back = await n.client.get(STORAGE_CLASSES, undefined, 'standard');
    expect(back.metadata?.annotations).toEqual({ 'storageclass.kubernetes.io/is-default-class': 'true' });
    expect(back.allowVolumeExpansion).toBe(true);
    await n.close();
  });

  it('gives a claim the newest of several default classes, the first by name when they are as new', async () => {
    let clock = new Date('2026-01-01T00:00:00Z');
    const n = await createNodeless({ controllers: false, registry: { now: () => clock } });
    const defaultClass = (name: string) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'example.com/other',
    });
    const classOf = async (name: string) => ((await n.client.create(PERSISTENT_VOLUME_CLAIMS, 'default', claim(name))).spec as { storageClassName?: string }).storageClassName;
    try {
      clock = new Date('2026-01-01T00:01:00Z');
      await n.client.create(STORAGE_CLASSES, undefined, defaultClass('zz-newer'));
      expect(await classOf('first')).toBe('zz-newer');
      await n.client.create(STORAGE_CLASSES, undefined, defaultClass('aa-as-new'));
      expect(await classOf('second')).toBe('aa-as-new');
    } finally {
      await n.close();
    }
  });
});

const NAMESPACE = { group: '', version: 'v1', resource: 'namespaces', namespaced: false, kind: 'Namespace' } as const;

function claim(name: string) {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
}
