/** core/v1 PersistentVolume: exactly one volume source, access modes and capacity required. */
import { defaultPersistentVolume } from '../defaults';
import { persistentVolumeColumns } from '../printers';
import type { FieldError, KubeObject } from '../types';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';

// PV_SOURCES are the volume types a PersistentVolume may name; exactly one must be set.
const PV_SOURCES = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'csi', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk',
  'glusterfs', 'hostPath', 'iscsi', 'local', 'nfs', 'photonPersistentDisk', 'portworxVolume', 'quobyte', 'rbd', 'scaleIO', 'storageos', 'vsphereVolume',
];

function validatePersistentVolume(pv: KubeObject): FieldError[] {
  const spec = (pv.spec ?? {}) as Record<string, unknown>;
  const errs: FieldError[] = [];
  if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0) errs.push({ type: 'FieldValueRequired', field: 'spec.accessModes', message: 'Required value' });
  const capacity = spec.capacity as Record<string, unknown> | undefined;
  if (!capacity || Object.keys(capacity).length === 0) errs.push({ type: 'FieldValueRequired', field: 'spec.capacity', message: 'Required value' });
  const sources = PV_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) errs.push({ type: 'FieldValueRequired', field: 'spec', message: 'Required value: must specify a volume type' });
  else if (sources.length > 1) errs.push({ type: 'FieldValueForbidden', field: `spec.${sources[1]}`, message: 'Forbidden: may not specify more than 1 volume type' });
  return errs;
}

/** persistentVolume is core/v1 persistentvolumes; a new volume waits for the PV controller. */
export const persistentVolume = kindOf('', 'v1', {
  kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false, shortNames: ['pv'], subresources: STATUS,
  columns: persistentVolumeColumns,
  defaults: defaultPersistentVolume,
  strategy: objectStrategy({
    status: true,
    // The time a new volume entered its phase is its creation time.
    prepareForCreate: (pv) => {
      pv.status = { phase: 'Pending', lastPhaseTransitionTime: pv.metadata?.creationTimestamp };
    },
    validate: validatePersistentVolume,
  }),
});
