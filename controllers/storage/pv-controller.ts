/**
 * The PersistentVolume controller, as kube's pkg/controller/volume/persistentvolume binder: it
 * binds each claim to a volume (a pre-bound one, the smallest matching available one, or one a
 * provisioner makes for the claim's StorageClass), keeps both sides of a binding consistent,
 * marks a volume Released when its claim goes and reclaims it by its policy.
 *
 * Provisioning itself is a provisioner's work (controllers/storage/local-provisioner.ts for our
 * own classes): this controller only asks for it by writing the provisioner's name into the
 * claim's volume.kubernetes.io/storage-provisioner annotation, as kube does for CSI drivers.
 *
 * WaitForFirstConsumer: kube waits until its scheduler picks a node for a pod that uses the claim
 * and records it in volume.kubernetes.io/selected-node. nodeless has no nodes and no such
 * scheduler, so a claim of such a class waits until a pod that uses it exists and has not
 * terminated; then it is bound or provisioned as an Immediate one would be.
 */
import type { KubeObject } from '../../schemas/types';
import { PERSISTENT_VOLUMES, PERSISTENT_VOLUME_CLAIMS, PODS, STORAGE_CLASSES, isConflict, isNotFound, objectKey, type Client } from '../runtime/client';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type Clock } from '../runtime/work-queue';
import { compareQuantity, readQuantity } from '../../schemas/meta/quantity';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_PROVISIONED_BY,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  claimClass,
  claimNamesOf,
  claimRefTo,
  claimSpec,
  claimStatus,
  findMatchingVolume,
  isVolumeBoundToClaim,
  podsUsingClaim,
  volumeClass,
  volumePhase,
  volumeSpec,
} from './volumes';

/** WAIT_FOR_FIRST_CONSUMER_MESSAGE is kube's event message for a claim waiting for its pod. */
export const WAIT_FOR_FIRST_CONSUMER_MESSAGE = 'waiting for first consumer to be created before binding';

/** externalProvisioningMessage is kube's ExternalProvisioning event message. */
export function externalProvisioningMessage(provisioner: string): string {
  return `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`;
}

/** PersistentVolumeController binds claims to volumes and reclaims released volumes. */
export class PersistentVolumeController implements Controller {
  // kube's binder reports its events as persistentvolume-controller.
  readonly name = 'persistentvolume-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private clock!: Clock;
  private claimQueue!: WorkQueue;
  private volumeQueue!: WorkQueue;
  private claims!: Informer;
  private volumes!: Informer;
  private classes!: Informer;
  private pods!: Informer;

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    this.claimQueue = new WorkQueue((key) => this.syncClaim(key), { failure: 'PersistentVolumeClaim sync failed', autoStart: false, clock: ctx.clock, log: ctx.log });
    this.volumeQueue = new WorkQueue((key) => this.syncVolume(key), { failure: 'PersistentVolume sync failed', autoStart: false, clock: ctx.clock, log: ctx.log });
    this.claims = ctx.informers.informerFor(PERSISTENT_VOLUME_CLAIMS);
    this.volumes = ctx.informers.informerFor(PERSISTENT_VOLUMES);
    this.classes = ctx.informers.informerFor(STORAGE_CLASSES);
    this.pods = ctx.informers.informerFor(PODS);
    this.claims.addEventHandler({
      onAdd: (pvc) => this.claimQueue.add(objectKey(pvc)),
      onUpdate: (_old, pvc) => this.claimQueue.add(objectKey(pvc)),
      onDelete: (pvc) => this.claimDeleted(pvc),
    });
    this.volumes.addEventHandler({
      onAdd: (pv) => this.volumeChanged(pv),
      onUpdate: (_old, pv) => this.volumeChanged(pv),
      onDelete: (pv) => this.queueClaimOf(pv),
    });
    // A class made after its claims lets them go on.
    this.classes.addEventHandler({
      onAdd: (sc) => this.queueClaimsOfClass(sc.metadata?.name ?? ''),
      onUpdate: (_old, sc) => this.queueClaimsOfClass(sc.metadata?.name ?? ''),
    });
    // The first consumer of a WaitForFirstConsumer claim.
    this.pods.addEventHandler({
      onAdd: (pod) => {
        for (const name of claimNamesOf(pod)) this.claimQueue.add(`${pod.metadata?.namespace}/${name}`);
      },
    });
  }

  run(): void {
    this.claimQueue.start();
    this.volumeQueue.start();
  }

  stop(): void {
    this.claimQueue?.stop();
    this.volumeQueue?.stop();
  }

  private volumeChanged(pv: Readonly<KubeObject>): void {
    this.volumeQueue.add(objectKey(pv));
    this.queueClaimOf(pv);
  }

  private queueClaimOf(pv: Readonly<KubeObject>): void {
    const ref = volumeSpec(pv).claimRef;
    if (ref?.namespace && ref.name) this.claimQueue.add(`${ref.namespace}/${ref.name}`);
  }

  private claimDeleted(pvc: Readonly<KubeObject>): void {
    const volumeName = claimSpec(pvc).volumeName;
    if (volumeName) this.volumeQueue.add(volumeName);
    for (const pv of this.volumes.list()) if (isVolumeBoundToClaim(pv, pvc)) this.volumeQueue.add(objectKey(pv));
  }

  private queueClaimsOfClass(name: string): void {
    for (const pvc of this.claims.list()) if (!claimSpec(pvc).volumeName && claimClass(pvc) === name) this.claimQueue.add(objectKey(pvc));
  }

  // ---- claims -------------------------------------------------------------------------------

  /** syncClaim binds one claim, or checks the binding it has. */
  async syncClaim(key: string): Promise<void> {
    const pvc = this.claims.get(key);
    if (!pvc) return;
    try {
      if (pvc.metadata?.annotations?.[ANN_BIND_COMPLETED] === undefined) await this.syncUnboundClaim(pvc);
      else await this.syncBoundClaim(pvc);
    } catch (err) {
      // Someone else wrote first, or the object went: the next event brings the current state.
      if (isConflict(err) || isNotFound(err)) return this.claimQueue.addRateLimited(key);
      throw err;
    }
  }

  private async syncUnboundClaim(pvc: Readonly<KubeObject>): Promise<void> {
    const spec = claimSpec(pvc);
    if (spec.volumeName) return this.syncPreBoundClaim(pvc, spec.volumeName);
    const className = claimClass(pvc);
    const sc = className ? this.classes.getByName(undefined, className) : undefined;
    const delayed = sc?.volumeBindingMode === 'WaitForFirstConsumer';
    if (delayed && !pvc.metadata?.annotations?.[ANN_SELECTED_NODE] && podsUsingClaim(this.pods, pvc.metadata!.namespace!, pvc.metadata!.name!).length === 0) {
      void this.recorder.event(pvc, 'Normal', 'WaitForFirstConsumer', WAIT_FOR_FIRST_CONSUMER_MESSAGE);
      return this.setClaimPhase(pvc, 'Pending');
    }
    const pv = findMatchingVolume(pvc, this.volumes.list());
    if (pv) return this.bind(pv, pvc);
    if (!className) {
      void this.recorder.event(pvc, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return this.setClaimPhase(pvc, 'Pending');
    }
    if (!sc) {
      void this.recorder.event(pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      return this.setClaimPhase(pvc, 'Pending');
    }
    const provisioner = String(sc.provisioner ?? '');
    const annotations = pvc.metadata?.annotations ?? {};
    if (annotations[ANN_STORAGE_PROVISIONER] !== provisioner || annotations[ANN_BETA_STORAGE_PROVISIONER] !== provisioner) {
      const next = structuredClone(pvc) as KubeObject;
      next.metadata!.annotations = { ...annotations, [ANN_STORAGE_PROVISIONER]: provisioner, [ANN_BETA_STORAGE_PROVISIONER]: provisioner };
      await this.client.update(PERSISTENT_VOLUME_CLAIMS, next);
      void this.recorder.event(pvc, 'Normal', 'ExternalProvisioning', externalProvisioningMessage(provisioner));
    }
  }

  // syncPreBoundClaim handles a claim whose spec.volumeName the user set.
  private async syncPreBoundClaim(pvc: Readonly<KubeObject>, volumeName: string): Promise<void> {
    const pv = this.volumes.getByName(undefined, volumeName);
    // The volume may still come; its add event brings the claim back.
    if (!pv) return this.setClaimPhase(pvc, 'Pending');
    if (volumeSpec(pv).claimRef && !isVolumeBoundToClaim(pv, pvc)) {
      void this.recorder.event(pvc, 'Warning', 'FailedBinding', `volume "${volumeName}" already bound to a different claim.`);
      return this.setClaimPhase(pvc, 'Pending');
    }
    if (!volumeSpec(pv).claimRef) {
      const mismatch = volumeMismatch(pv, pvc);
      if (mismatch) {
        void this.recorder.event(pvc, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${volumeName}": ${mismatch}`);
        return this.setClaimPhase(pvc, 'Pending');
      }
    }
    return this.bind(pv, pvc);
  }

  private async syncBoundClaim(pvc: Readonly<KubeObject>): Promise<void> {
    const volumeName = claimSpec(pvc).volumeName;
    if (!volumeName) {
      void this.recorder.event(pvc, 'Warning', 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
      return this.setClaimPhase(pvc, 'Lost');
    }
    // The cache may be behind a volume that was just made: ask the API before calling it lost.
    const pv = this.volumes.getByName(undefined, volumeName) ?? (await this.liveVolume(volumeName));
    if (!pv) {
      void this.recorder.event(pvc, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      return this.setClaimPhase(pvc, 'Lost');
    }
    if (!volumeSpec(pv).claimRef || isVolumeBoundToClaim(pv, pvc)) return this.bind(pv, pvc);
    void this.recorder.event(pvc, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
    return this.setClaimPhase(pvc, 'Lost');
  }

  private async liveVolume(name: string): Promise<KubeObject | undefined> {
    try {
      return await this.client.get(PERSISTENT_VOLUMES, undefined, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * bind writes both sides of a binding, each step only when it is not there yet, in kube's
   * order: the volume's claimRef, the volume's phase, the claim's volumeName and annotations,
   * the claim's phase with the volume's access modes and capacity. A pass cut short by a
   * conflict or a crash is finished by the next one.
   */
  private async bind(cachedPV: Readonly<KubeObject>, cachedPVC: Readonly<KubeObject>): Promise<void> {
    let pv = cachedPV;
    const ref = volumeSpec(pv).claimRef;
    if (!ref || ref.uid !== cachedPVC.metadata?.uid || ref.kind !== 'PersistentVolumeClaim') {
      const next = structuredClone(pv) as KubeObject;
      (next.spec as Record<string, unknown>).claimRef = claimRefTo(cachedPVC);
      if (!ref) next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' };
      pv = await this.client.update(PERSISTENT_VOLUMES, next);
    }
    if (volumePhase(pv) !== 'Bound') pv = await this.setVolumePhase(pv, 'Bound');

    let pvc = cachedPVC;
    const annotations = pvc.metadata?.annotations ?? {};
    if (claimSpec(pvc).volumeName !== pv.metadata!.name || annotations[ANN_BIND_COMPLETED] === undefined) {
      const next = structuredClone(pvc) as KubeObject;
      const spec = next.spec as Record<string, unknown>;
      const byController = !spec.volumeName;
      spec.volumeName = pv.metadata!.name;
      next.metadata!.annotations = { ...annotations, [ANN_BIND_COMPLETED]: 'yes', ...(byController ? { [ANN_BOUND_BY_CONTROLLER]: 'yes' } : {}) };
      pvc = await this.client.update(PERSISTENT_VOLUME_CLAIMS, next);
    }
    const status = claimStatus(pvc);
    if (status.phase !== 'Bound' || !status.capacity || !status.accessModes) {
      const next = structuredClone(pvc) as KubeObject;
      const vs = volumeSpec(pv);
      // The capacity is the volume's at binding; after that the resizer moves it.
      next.status = { ...status, phase: 'Bound', accessModes: status.accessModes ?? vs.accessModes, capacity: status.capacity ?? vs.capacity };
      await this.client.updateStatus(PERSISTENT_VOLUME_CLAIMS, next);
    }
  }

  private async setClaimPhase(pvc: Readonly<KubeObject>, phase: 'Pending' | 'Lost'): Promise<void> {
    if (claimStatus(pvc).phase === phase) return;
    const next = structuredClone(pvc) as KubeObject;
    next.status = { ...claimStatus(pvc), phase };
    await this.client.updateStatus(PERSISTENT_VOLUME_CLAIMS, next);
  }

  // ---- volumes ------------------------------------------------------------------------------

  /** syncVolume keeps a volume's phase in line with its claim and reclaims it once released. */
  async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.get(name);
    if (!pv) return;
    try {
      await this.reconcileVolume(pv);
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return this.volumeQueue.addRateLimited(name);
      throw err;
    }
  }

  private async reconcileVolume(pv: Readonly<KubeObject>): Promise<void> {
    const ref = volumeSpec(pv).claimRef;
    if (!ref) {
      if (volumePhase(pv) !== 'Available') await this.setVolumePhase(pv, 'Available');
      return;
    }
    if (!ref.uid) {
      // Pre-bound by its author to a claim that is not bound yet: the claim's sync binds it.
      if (volumePhase(pv) !== 'Available') await this.setVolumePhase(pv, 'Available');
      if (ref.namespace && ref.name) this.claimQueue.add(`${ref.namespace}/${ref.name}`);
      return;
    }
    let claim = this.claims.getByName(ref.namespace, ref.name ?? '');
    if (claim && claim.metadata?.uid !== ref.uid) claim = undefined;
    if (!claim) claim = await this.liveClaim(ref.namespace ?? '', ref.name ?? '', ref.uid);
    if (!claim) {
      let released = pv;
      if (volumePhase(pv) !== 'Released' && volumePhase(pv) !== 'Failed') released = await this.setVolumePhase(pv, 'Released');
      return this.reclaim(released);
    }
    const boundTo = claimSpec(claim).volumeName;
    if (!boundTo) {
      // Bound on the volume's side only: the claim's sync finishes the binding.
      this.claimQueue.add(objectKey(claim));
      return;
    }
    if (boundTo === pv.metadata!.name) {
      if (volumePhase(pv) !== 'Bound') await this.setVolumePhase(pv, 'Bound');
      return;
    }
    // The claim went to another volume. One provisioned for it and set to Delete is not needed.
    if (pv.metadata?.annotations?.[ANN_PROVISIONED_BY] && volumeSpec(pv).persistentVolumeReclaimPolicy === 'Delete') {
      let released = pv;
      if (volumePhase(pv) !== 'Released') released = await this.setVolumePhase(pv, 'Released');
      return this.reclaim(released);
    }
    const next = structuredClone(pv) as KubeObject;
    const spec = next.spec as Record<string, unknown>;
    // A binding the controller made is undone; one the author made keeps its name but not the uid.
    if (pv.metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER]) {
      delete spec.claimRef;
      delete next.metadata!.annotations![ANN_BOUND_BY_CONTROLLER];
    } else {
      spec.claimRef = { ...ref, uid: '' };
    }
    const unbound = await this.client.update(PERSISTENT_VOLUMES, next);
    await this.setVolumePhase(unbound, 'Available');
  }

  private async liveClaim(namespace: string, name: string, uid: string): Promise<KubeObject | undefined> {
    // A hand-written claimRef without a namespace or name names no claim.
    if (!namespace || !name) return undefined;
    try {
      const claim = await this.client.get(PERSISTENT_VOLUME_CLAIMS, namespace, name);
      return claim.metadata?.uid === uid ? claim : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  // reclaim applies a released volume's reclaim policy.
  private async reclaim(pv: Readonly<KubeObject>): Promise<void> {
    const policy = volumeSpec(pv).persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain' || volumePhase(pv) === 'Failed') return;
    if (policy === 'Recycle') {
      void this.recorder.event(pv, 'Warning', 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
      await this.setVolumePhase(pv, 'Failed', 'No recycler plugin found for the volume!');
      return;
    }
    // A provisioned volume is deleted by its provisioner, which knows how to free what backs it.
    if (pv.metadata?.annotations?.[ANN_PROVISIONED_BY]) return;
    const message = `error getting deleter volume plugin for volume "${pv.metadata!.name}": no deletable volume plugin matched`;
    void this.recorder.event(pv, 'Warning', 'VolumeFailedDelete', message);
    await this.setVolumePhase(pv, 'Failed', message);
  }

  private async setVolumePhase(pv: Readonly<KubeObject>, phase: string, message?: string): Promise<KubeObject> {
    const next = structuredClone(pv) as KubeObject;
    const status: Record<string, unknown> = { ...((pv.status ?? {}) as Record<string, unknown>), phase, lastPhaseTransitionTime: new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z') };
    if (message) status.message = message;
    else delete status.message;
    next.status = status;
    return this.client.updateStatus(PERSISTENT_VOLUMES, next);
  }
}

// volumeMismatch says why a volume named by a claim cannot serve it, or undefined when it can.
function volumeMismatch(pv: Readonly<KubeObject>, pvc: Readonly<KubeObject>): string | undefined {
  const requested = readQuantity(claimSpec(pvc).resources?.requests?.storage);
  const size = readQuantity(volumeSpec(pv).capacity?.storage);
  if (!requested || !size || compareQuantity(size, requested) < 0) return 'requested PV is too small';
  if (volumeClass(pv) !== claimClass(pvc)) return 'storageClassName does not match';
  if ((volumeSpec(pv).volumeMode ?? 'Filesystem') !== (claimSpec(pvc).volumeMode ?? 'Filesystem')) return 'incompatible volumeMode';
  const modes = new Set(volumeSpec(pv).accessModes ?? []);
  if (!(claimSpec(pvc).accessModes ?? []).every((m) => modes.has(m))) return 'incompatible accessMode';
  return undefined;
}

