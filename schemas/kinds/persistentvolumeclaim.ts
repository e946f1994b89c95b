/** core/v1 PersistentVolumeClaim: access modes and a storage request required; the spec fixed once created, but for growing a bound claim. */
import { defaultPersistentVolumeClaim } from '../defaults';
import { jsonEqual } from '../meta/json';
import { compareQuantity, readQuantity } from '../meta/quantity';
import { persistentVolumeClaimColumns } from '../printers';
import type { FieldError, KubeObject } from '../types';
import { STATUS, kindOf } from './kind';
import { objectStrategy } from './strategy';

interface ClaimSpec {
  accessModes?: unknown[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  storageClassName?: string | null;
  volumeName?: string;
  volumeAttributesClassName?: string | null;
  volumeMode?: string;
}

function validatePersistentVolumeClaim(pvc: KubeObject, old?: KubeObject): FieldError[] {
  const spec = (pvc.spec ?? {}) as ClaimSpec;
  const errs: FieldError[] = [];
  if (!Array.isArray(spec.accessModes) || spec.accessModes.length === 0) {
    errs.push({ type: 'FieldValueRequired', field: 'spec.accessModes', message: 'Required value: at least 1 access mode is required' });
  }
  if (spec.resources?.requests?.storage === undefined) errs.push({ type: 'FieldValueRequired', field: 'spec.resources[storage]', message: 'Required value' });
  if (old) errs.push(...validateClaimUpdate(pvc, old));
  return errs;
}

// validateClaimUpdate follows kube's ValidatePersistentVolumeClaimUpdate: the spec is immutable
// except that volumeName may be set once (binding), a missing storageClassName may be filled in
// (a default class that appeared later), volumeAttributesClassName may change, and a bound
// claim's storage request may change. With RecoverVolumeExpansionFailure (on by default since
// 1.32) a request may come back down, but never to status.capacity or below.
function validateClaimUpdate(pvc: KubeObject, old: KubeObject): FieldError[] {
  const spec = structuredClone((pvc.spec ?? {}) as ClaimSpec);
  const was = structuredClone((old.spec ?? {}) as ClaimSpec);
  const errs: FieldError[] = [];
  if (!was.volumeName) was.volumeName = spec.volumeName;
  if (was.storageClassName === undefined || was.storageClassName === null) was.storageClassName = spec.storageClassName;
  was.volumeAttributesClassName = spec.volumeAttributesClassName;
  const bound = (pvc.status as { phase?: string } | undefined)?.phase === 'Bound';
  if (bound && spec.resources?.requests && was.resources) {
    was.resources = { ...was.resources, requests: { ...(was.resources.requests ?? {}), storage: spec.resources.requests.storage } };
  }
  if (!jsonEqual(stripUndefined(spec), stripUndefined(was))) {
    errs.push({ type: 'FieldValueForbidden', field: 'spec', message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' });
  }
  const newSize = readQuantity(((pvc.spec ?? {}) as ClaimSpec).resources?.requests?.storage);
  const oldSize = readQuantity(((old.spec ?? {}) as ClaimSpec).resources?.requests?.storage);
  const statusSize = readQuantity((old.status as { capacity?: Record<string, unknown> } | undefined)?.capacity?.storage);
  if (newSize && oldSize && compareQuantity(newSize, oldSize) < 0 && (!statusSize || compareQuantity(newSize, statusSize) <= 0)) {
    errs.push({ type: 'FieldValueForbidden', field: 'spec.resources.requests.storage', message: 'Forbidden: field can not be less than status.capacity' });
  }
  return errs;
}

function stripUndefined(spec: ClaimSpec): unknown {
  return JSON.parse(JSON.stringify(spec));
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
