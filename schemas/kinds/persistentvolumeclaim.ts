/** core/v1 PersistentVolumeClaim: access modes and a storage request required. */
import { defaultPersistentVolumeClaim } from '../defaults';
import { persistentVolumeClaimColumns } from '../printers';
import type { FieldError, KubeObject } from '../types';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';

function validatePersistentVolumeClaim(pvc: KubeObject): FieldError[] {
  const spec = (pvc.spec ?? {}) as { accessModes?: unknown[]; resources?: { requests?: Record<string, unknown> } };
  const errs: FieldError[] = [];
  if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0) {
    errs.push({ type: 'FieldValueRequired', field: 'spec.accessModes', message: 'Required value: at least 1 access mode is required' });
  }
  if (spec.resources?.requests?.storage === undefined) errs.push({ type: 'FieldValueRequired', field: 'spec.resources[storage]', message: 'Required value' });
  return errs;
}

/** persistentVolumeClaim is core/v1 persistentvolumeclaims. */
export const persistentVolumeClaim = kindOf('', 'v1', {
  kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'], subresources: STATUS,
  columns: persistentVolumeClaimColumns,
  defaults: defaultPersistentVolumeClaim,
  strategy: objectStrategy({
    status: true,
    prepareForCreate: (pvc) => {
      pvc.status = { phase: 'Pending' };
    },
    validate: validatePersistentVolumeClaim,
  }),
});
