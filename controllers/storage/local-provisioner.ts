/**
 * The local volume provisioner: the built-in provisioner `nodeless.dev/local`, playing the parts
 * of a CSI driver's external-provisioner and external-resizer. For each claim the PV controller
 * handed to it (volume.kubernetes.io/storage-provisioner names it) it makes a directory under
 * volumesDir and a PersistentVolume `pvc-<claim uid>` whose hostPath is that directory,
 * pre-bound to the claim; the PV controller then binds the two. A released volume of its own
 * under reclaimPolicy Delete loses its directory and then the PersistentVolume object; its
 * finalizer makes sure a volume someone deleted directly loses its directory too. A bound
 * claim whose storage request grew (the API allows it only when the class allows expansion) has
 * its volume's and its own capacity raised; a directory has no size, so growing always succeeds.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { KubeObject } from '../../schemas/types';
import { compareQuantity, readQuantity } from '../../schemas/meta/quantity';
import { PERSISTENT_VOLUMES, PERSISTENT_VOLUME_CLAIMS, STORAGE_CLASSES, isAlreadyExists, isConflict, isNotFound, objectKey, type Client } from '../runtime/client';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type Clock } from '../runtime/work-queue';
import { ANN_PROVISIONED_BY, ANN_STORAGE_PROVISIONER, ANN_BETA_STORAGE_PROVISIONER, claimClass, claimRefTo, claimSpec, claimStatus, volumePhase, volumeSpec, type ClaimStatus } from './volumes';

/** LOCAL_PROVISIONER is the provisioner name of nodeless's own StorageClasses. */
export const LOCAL_PROVISIONER = 'nodeless.dev/local';

/** PROVISIONER_FINALIZER is external-provisioner's finalizer: a deleted volume keeps it until its storage is freed. */
export const PROVISIONER_FINALIZER = 'external-provisioner.volume.kubernetes.io/finalizer';

/** LocalVolumeProvisionerOptions say where volumes live. */
export interface LocalVolumeProvisionerOptions {
  /** volumesDir holds one directory per provisioned volume; it is made when missing */
  volumesDir: string;
}

type ClaimCondition = NonNullable<ClaimStatus['conditions']>[number];

/** LocalVolumeProvisioner provisions, deletes and expands the volumes of LOCAL_PROVISIONER classes. */
export class LocalVolumeProvisioner implements Controller {
  readonly name = 'local-volume-provisioner';
  private client!: Client;
  private recorder!: EventRecorder;
  private clock!: Clock;
  private claimQueue!: WorkQueue;
  private volumeQueue!: WorkQueue;
  private claims!: Informer;
  private volumes!: Informer;
  private classes!: Informer;
  private readonly volumesDir: string;

  constructor(options: LocalVolumeProvisionerOptions) {
    this.volumesDir = path.resolve(options.volumesDir);
  }

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    this.claimQueue = new WorkQueue((key) => this.syncClaim(key), { failure: 'local volume provisioning failed', autoStart: false, clock: ctx.clock, log: ctx.log });
    this.volumeQueue = new WorkQueue((key) => this.syncVolume(key), { failure: 'local volume deletion failed', autoStart: false, clock: ctx.clock, log: ctx.log });
    this.claims = ctx.informers.informerFor(PERSISTENT_VOLUME_CLAIMS);
    this.volumes = ctx.informers.informerFor(PERSISTENT_VOLUMES);
    this.classes = ctx.informers.informerFor(STORAGE_CLASSES);
    this.claims.addEventHandler({
      onAdd: (pvc) => this.claimQueue.add(objectKey(pvc)),
      onUpdate: (_old, pvc) => this.claimQueue.add(objectKey(pvc)),
    });
    this.volumes.addEventHandler({
      onAdd: (pv) => this.volumeQueue.add(objectKey(pv)),
      onUpdate: (_old, pv) => this.volumeQueue.add(objectKey(pv)),
    });
  }

  run(): void {
    // volumesDir itself is made with the first volume, so a controllers process that never
    // provisions leaves no directory behind where it was started.
    this.claimQueue.start();
    this.volumeQueue.start();
  }

  stop(): void {
    this.claimQueue?.stop();
    this.volumeQueue?.stop();
  }

  /** volumePath is where the volume of that name keeps its data. */
  volumePath(volumeName: string): string {
    return path.join(this.volumesDir, volumeName);
  }

  // ---- claims: provisioning and expansion -------------------------------------------------

  /** syncClaim provisions a volume for a claim handed to this provisioner, or grows a bound one. */
  async syncClaim(key: string): Promise<void> {
    const pvc = this.claims.get(key);
    if (!pvc || pvc.metadata?.deletionTimestamp) return;
    try {
      if (!claimSpec(pvc).volumeName) await this.provision(pvc);
      else if (claimStatus(pvc).phase === 'Bound') await this.expand(pvc);
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return this.claimQueue.addRateLimited(key);
      throw err;
    }
  }

  private async provision(pvc: Readonly<KubeObject>): Promise<void> {
    const annotations = pvc.metadata?.annotations ?? {};
    if ((annotations[ANN_STORAGE_PROVISIONER] ?? annotations[ANN_BETA_STORAGE_PROVISIONER]) !== LOCAL_PROVISIONER) return;
    const className = claimClass(pvc);
    const sc = this.classes.getByName(undefined, className);
    if (!sc) {
      void this.recorder.event(pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      return;
    }
    if (sc.provisioner !== LOCAL_PROVISIONER) return;
    const name = `pvc-${pvc.metadata!.uid}`;
    // Made already (the PV controller binds it), or made and then released: never a second time.
    if (this.volumes.getByName(undefined, name)) return;
    const spec = claimSpec(pvc);
    const storage = spec.resources?.requests?.storage;
    if (!storage || !readQuantity(storage)) {
      void this.recorder.event(pvc, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${className}": claim has no valid storage request`);
      return;
    }
    void this.recorder.event(pvc, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${pvc.metadata!.namespace}/${pvc.metadata!.name}"`);
    const dir = this.volumePath(name);
    const reclaimPolicy = (sc.reclaimPolicy as string | undefined) ?? 'Delete';
    const pv: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { [ANN_PROVISIONED_BY]: LOCAL_PROVISIONER }, ...(reclaimPolicy === 'Delete' ? { finalizers: [PROVISIONER_FINALIZER] } : {}) },
      spec: {
        capacity: { storage: String(storage) },
        accessModes: [...(spec.accessModes ?? [])],
        persistentVolumeReclaimPolicy: reclaimPolicy,
        storageClassName: className,
        volumeMode: spec.volumeMode ?? 'Filesystem',
        claimRef: claimRefTo(pvc),
        hostPath: { path: dir, type: 'DirectoryOrCreate' },
        ...(Array.isArray(sc.mountOptions) ? { mountOptions: [...(sc.mountOptions as string[])] } : {}),
      },
    };
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o777 });
      await this.client.create(PERSISTENT_VOLUMES, undefined, pv);
    } catch (err) {
      // An earlier pass made it; the cache had not caught up.
      if (isAlreadyExists(err)) return;
      void this.recorder.event(pvc, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${className}": ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    void this.recorder.event(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
  }

  // expand grows a bound claim's volume to its request, as external-resizer does for a volume
  // that needs no expansion on a node: Resizing, the volume's capacity, then the claim's.
  private async expand(cached: Readonly<KubeObject>): Promise<void> {
    const pv = this.volumes.getByName(undefined, claimSpec(cached).volumeName!);
    if (!pv || pv.metadata?.annotations?.[ANN_PROVISIONED_BY] !== LOCAL_PROVISIONER) return;
    const requested = claimSpec(cached).resources?.requests?.storage;
    const capacity = claimStatus(cached).capacity?.storage;
    if (!requested || !capacity || !readQuantity(requested) || !readQuantity(capacity) || compareQuantity(requested, capacity) <= 0) return;
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    let pvc = cached;
    const status = claimStatus(pvc);
    if (!status.conditions?.some((c) => c.type === 'Resizing')) {
      const next = structuredClone(pvc) as KubeObject;
      const resizing: ClaimCondition = { type: 'Resizing', status: 'True', lastProbeTime: null, lastTransitionTime: now };
      next.status = {
        ...status,
        conditions: [...(status.conditions ?? []), resizing],
        allocatedResources: { ...(status.allocatedResources ?? {}), storage: String(requested) },
        allocatedResourceStatuses: { ...(status.allocatedResourceStatuses ?? {}), storage: 'ControllerResizeInProgress' },
      };
      pvc = await this.client.updateStatus(PERSISTENT_VOLUME_CLAIMS, next);
      void this.recorder.event(pvc, 'Normal', 'Resizing', `External resizer is resizing volume ${pv.metadata!.name}`);
    }
    const pvCapacity = volumeSpec(pv).capacity?.storage;
    if (!pvCapacity || !readQuantity(pvCapacity) || compareQuantity(pvCapacity, requested) < 0) {
      const next = structuredClone(pv) as KubeObject;
      (next.spec as Record<string, unknown>).capacity = { ...(volumeSpec(pv).capacity ?? {}), storage: String(requested) };
      await this.client.update(PERSISTENT_VOLUMES, next);
    }
    const grown = structuredClone(pvc) as KubeObject;
    const before = claimStatus(pvc);
    const statuses = { ...(before.allocatedResourceStatuses ?? {}) };
    delete statuses.storage;
    const rest: ClaimStatus = { ...before, capacity: { ...(before.capacity ?? {}), storage: String(requested) }, allocatedResources: { ...(before.allocatedResources ?? {}), storage: String(requested) } };
    rest.conditions = (before.conditions ?? []).filter((c) => c.type !== 'Resizing' && c.type !== 'FileSystemResizePending');
    if (rest.conditions.length === 0) delete rest.conditions;
    if (Object.keys(statuses).length === 0) delete rest.allocatedResourceStatuses;
    else rest.allocatedResourceStatuses = statuses;
    grown.status = rest;
    await this.client.updateStatus(PERSISTENT_VOLUME_CLAIMS, grown);
    void this.recorder.event(pvc, 'Normal', 'VolumeResizeSuccessful', 'Resize volume succeeded');
  }

  // ---- volumes: deletion -----------------------------------------------------------------

  /**
   * syncVolume frees a volume of this provisioner whose policy is Delete once it is no longer
   * bound: released by its claim, or deleted by someone while unbound. The directory goes first,
   * then the PersistentVolume object, then the provisioner's finalizer, which (as
   * external-provisioner's does under HonorPVReclaimPolicy) keeps a deleted volume until its
   * directory is gone. A volume whose policy became Retain only loses the finalizer.
   */
  async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.get(name);
    if (!pv || pv.metadata?.annotations?.[ANN_PROVISIONED_BY] !== LOCAL_PROVISIONER) return;
    const deleting = !!pv.metadata?.deletionTimestamp;
    const phase = volumePhase(pv);
    const hasFinalizer = (pv.metadata?.finalizers ?? []).includes(PROVISIONER_FINALIZER);
    try {
      if (volumeSpec(pv).persistentVolumeReclaimPolicy !== 'Delete') {
        if (hasFinalizer) await this.dropFinalizer(name);
        return;
      }
      if (phase !== 'Released' && !(deleting && phase !== 'Bound')) return;
      if (!(await this.removeDirectory(pv))) return;
      if (!deleting) await this.client.delete(PERSISTENT_VOLUMES, undefined, name, { preconditions: { uid: pv.metadata!.uid } });
      if (hasFinalizer) await this.dropFinalizer(name);
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) return this.volumeQueue.addRateLimited(name);
      throw err;
    }
  }

  // removeDirectory removes a volume's directory; it answers false when it refused to.
  private async removeDirectory(pv: Readonly<KubeObject>): Promise<boolean> {
    const dir = volumeSpec(pv).hostPath?.path;
    if (!dir) return true;
    // Only what this provisioner made is removed: a path outside volumesDir (another data
    // directory, or a hand-edited volume) is refused and the volume stays for someone to look at.
    const resolved = path.resolve(dir);
    if (!resolved.startsWith(this.volumesDir + path.sep)) {
      void this.recorder.event(pv, 'Warning', 'VolumeFailedDelete', `refusing to remove ${JSON.stringify(dir)}: it is not under the volumes directory ${JSON.stringify(this.volumesDir)}`);
      return false;
    }
    try {
      await fs.rm(resolved, { recursive: true, force: true });
    } catch (err) {
      void this.recorder.event(pv, 'Warning', 'VolumeFailedDelete', `failed to remove ${JSON.stringify(dir)}: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    return true;
  }

  private async dropFinalizer(name: string): Promise<void> {
    const live = await this.client.get(PERSISTENT_VOLUMES, undefined, name);
    const finalizers = live.metadata?.finalizers ?? [];
    if (!finalizers.includes(PROVISIONER_FINALIZER)) return;
    live.metadata!.finalizers = finalizers.filter((f) => f !== PROVISIONER_FINALIZER);
    await this.client.update(PERSISTENT_VOLUMES, live);
  }
}
