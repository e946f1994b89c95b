/**
 * Storage admission, as kube-apiserver's storage plugins do it:
 * - DefaultStorageClass (plugin/pkg/admission/storage/storageclass/setdefault): a claim created
 *   without spec.storageClassName gets the default StorageClass, the newest one when several are
 *   marked default. An explicit "" means "no class" and is left alone.
 * - StorageObjectInUseProtection: every new claim carries kubernetes.io/pvc-protection and every
 *   new volume kubernetes.io/pv-protection, so the protection controllers decide when they go.
 * - PersistentVolumeClaimResize (plugin/pkg/admission/storage/persistentvolume/resize): a claim's
 *   storage request may grow only when it is bound and its StorageClass allows expansion; kube
 *   answers 403 Forbidden for both, and so does this.
 */
import type { KubeObject } from '../../schemas/types';
import type { AdmissionAttributes, AdmissionPlugin } from './admission';
import type { Registry } from './generic-registry';
import type { ResourceTable } from './resource-table';
import { StatusError, forbidden } from '../../schemas/meta/status-error';
import { compareQuantity, readQuantity } from '../../schemas/meta/quantity';
import { PVC_PROTECTION_FINALIZER } from '../../controllers/storage/pvc-protection';
import { PV_PROTECTION_FINALIZER } from '../../controllers/storage/pv-protection';

/** IS_DEFAULT_CLASS_ANNOTATION marks the default StorageClass. */
export const IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

interface ClaimSpec {
  storageClassName?: string | null;
  resources?: { requests?: Record<string, unknown> };
}

const isCore = (attrs: AdmissionAttributes, plural: string): boolean => attrs.resource.group === '' && attrs.resource.plural === plural && !attrs.subresource;

// claimClass is the class a claim names: the beta annotation wins over the field, as kube's helper reads it.
function claimClass(pvc: Readonly<KubeObject> | undefined): string {
  const beta = pvc?.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION];
  if (beta !== undefined) return beta;
  return ((pvc?.spec ?? {}) as ClaimSpec).storageClassName ?? '';
}

/** isDefaultClass is true for a StorageClass annotated as the default (GA or beta annotation). */
export function isDefaultClass(sc: Readonly<KubeObject>): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[IS_DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_IS_DEFAULT_CLASS_ANNOTATION] === 'true';
}

/** storageAdmission returns the three storage plugins; they read StorageClasses through the registry. */
export function storageAdmission(registry: Registry, resources: ResourceTable): AdmissionPlugin[] {
  const classes = resources.lookup('storage.k8s.io', 'v1', 'storageclasses');
  const readClass = async (name: string): Promise<Readonly<KubeObject> | undefined> => {
    if (!classes) return undefined;
    try {
      return registry.decode(await registry.get(classes, undefined, name));
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return undefined;
      throw err;
    }
  };

  const defaultStorageClass: AdmissionPlugin = {
    name: 'DefaultStorageClass',
    async admit(attrs) {
      if (attrs.operation !== 'CREATE' || !isCore(attrs, 'persistentvolumeclaims') || !classes) return;
      const pvc = attrs.object!;
      const spec = ((pvc.spec as ClaimSpec | undefined) ?? (pvc.spec = {})) as ClaimSpec;
      if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
      if (pvc.metadata?.annotations?.[BETA_STORAGE_CLASS_ANNOTATION] !== undefined) return;
      const page = await registry.list(classes, undefined);
      const defaults = page.items.map((i) => registry.decode(i)).filter(isDefaultClass);
      if (defaults.length === 0) return;
      // Several defaults: the newest wins, ties broken by name, as kube's GetDefaultClass does.
      defaults.sort((a, b) => {
        const ta = a.metadata?.creationTimestamp ?? '';
        const tb = b.metadata?.creationTimestamp ?? '';
        if (ta !== tb) return ta < tb ? 1 : -1;
        return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
      });
      spec.storageClassName = defaults[0].metadata!.name!;
    },
  };

  const protection: AdmissionPlugin = {
    name: 'StorageObjectInUseProtection',
    admit(attrs) {
      if (attrs.operation !== 'CREATE') return;
      const finalizer = isCore(attrs, 'persistentvolumeclaims') ? PVC_PROTECTION_FINALIZER : isCore(attrs, 'persistentvolumes') ? PV_PROTECTION_FINALIZER : undefined;
      if (!finalizer) return;
      const meta = (attrs.object!.metadata ??= {});
      const finalizers = (meta.finalizers ??= []);
      if (!finalizers.includes(finalizer)) finalizers.push(finalizer);
    },
  };

  const resize: AdmissionPlugin = {
    name: 'PersistentVolumeClaimResize',
    async validate(attrs) {
      if (attrs.operation !== 'UPDATE' || !isCore(attrs, 'persistentvolumeclaims')) return;
      const pvc = attrs.object!;
      const old = attrs.oldObject!;
      const newSize = readQuantity(((pvc.spec ?? {}) as ClaimSpec).resources?.requests?.storage);
      const oldSize = readQuantity(((old.spec ?? {}) as ClaimSpec).resources?.requests?.storage);
      if (!newSize || !oldSize || compareQuantity(newSize, oldSize) <= 0) return;
      const gr = { group: '', resource: 'persistentvolumeclaims' };
      if ((old.status as { phase?: string } | undefined)?.phase !== 'Bound') throw forbidden(gr, attrs.name, 'Only bound persistent volume claims can be expanded');
      const name = claimClass(pvc);
      const sc = name && name === claimClass(old) ? await readClass(name) : undefined;
      if (sc?.allowVolumeExpansion !== true) {
        throw forbidden(gr, attrs.name, 'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
      }
    },
  };

  return [defaultStorageClass, protection, resize];
}
