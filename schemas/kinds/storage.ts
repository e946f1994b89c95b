/**
 * storage.k8s.io/v1: StorageClass (provisioning parameters fixed at creation), CSIDriver,
 * CSINode, CSIStorageCapacity and VolumeAttachment (spec read-only once created).
 */
import { defaultCSIDriver, defaultStorageClass } from '../defaults';
import { csiDriverColumns, csiNodeColumns, csiStorageCapacityColumns, storageClassColumns, volumeAttachmentColumns } from '../printers';
import { validateCSIDriver, validateStorageClass, validateVolumeAttachment } from '../validation/storage';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';

const GROUP = 'storage.k8s.io';

/** csiDriver is storage.k8s.io/v1 csidrivers. */
export const csiDriver = kindOf(GROUP, 'v1', {
  kind: 'CSIDriver', plural: 'csidrivers', namespaced: false, columns: csiDriverColumns, defaults: defaultCSIDriver,
  strategy: objectStrategy({ status: false, validate: validateCSIDriver }),
});

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
export const volumeAttachment = kindOf(GROUP, 'v1', {
  kind: 'VolumeAttachment', plural: 'volumeattachments', namespaced: false, subresources: STATUS, columns: volumeAttachmentColumns,
  strategy: objectStrategy({ status: true, validate: validateVolumeAttachment }),
});
