/**
 * storage.k8s.io/v1: StorageClass (provisioning parameters fixed at creation), CSIDriver,
 * CSINode, CSIStorageCapacity and VolumeAttachment.
 */
import { defaultCSIDriver, defaultStorageClass } from '../defaults';
import { jsonEqual } from '../meta/json';
import { csiDriverColumns, csiNodeColumns, csiStorageCapacityColumns, storageClassColumns, volumeAttachmentColumns } from '../printers';
import type { FieldError, KubeObject } from '../types';
import { STATUS, kindOf } from './kind';
import { immutableFields, objectStrategy } from './strategy';

const GROUP = 'storage.k8s.io';

// validateStorageClass: a StorageClass's provisioning parameters never change after creation.
function validateStorageClass(sc: KubeObject, old?: KubeObject): FieldError[] {
  if (!old) return [];
  const errs: FieldError[] = [];
  for (const f of ['parameters', 'provisioner', 'reclaimPolicy']) {
    if (!jsonEqual(sc[f] ?? null, old[f] ?? null)) {
      errs.push({ type: 'FieldValueForbidden', field: f, message: `Forbidden: updates to ${f} are forbidden.` });
    }
  }
  return [...errs, ...immutableFields('volumeBindingMode')(sc, old)];
}

/** csiDriver is storage.k8s.io/v1 csidrivers. */
export const csiDriver = kindOf(GROUP, 'v1', { kind: 'CSIDriver', plural: 'csidrivers', namespaced: false, columns: csiDriverColumns, defaults: defaultCSIDriver });

/** csiNode is storage.k8s.io/v1 csinodes. */
export const csiNode = kindOf(GROUP, 'v1', { kind: 'CSINode', plural: 'csinodes', namespaced: false, columns: csiNodeColumns });

/** csiStorageCapacity is storage.k8s.io/v1 csistoragecapacities. */
export const csiStorageCapacity = kindOf(GROUP, 'v1', { kind: 'CSIStorageCapacity', plural: 'csistoragecapacities', namespaced: true, columns: csiStorageCapacityColumns });

/** storageClass is storage.k8s.io/v1 storageclasses. */
export const storageClass = kindOf(GROUP, 'v1', {
  kind: 'StorageClass', plural: 'storageclasses', namespaced: false, shortNames: ['sc'],
  columns: storageClassColumns,
  defaults: defaultStorageClass,
  strategy: objectStrategy({ status: false, validate: validateStorageClass }),
});

/** volumeAttachment is storage.k8s.io/v1 volumeattachments (real discovery also lists volumeattachments/status). */
export const volumeAttachment = kindOf(GROUP, 'v1', { kind: 'VolumeAttachment', plural: 'volumeattachments', namespaced: false, subresources: STATUS, columns: volumeAttachmentColumns });
