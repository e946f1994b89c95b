/**
 * storage.k8s.io/v1 validation as kube's pkg/apis/storage/validation does it for StorageClasses,
 * CSIDrivers and VolumeAttachments (metadata is checked by the registry).
 *
 * | kind | kube rule | covered |
 * |---|---|---|
 * | StorageClass | provisioner required, a qualified name (checked lower-cased) | yes |
 * | StorageClass | parameters: at most 512, keys non-empty, 256 kB in all | yes |
 * | StorageClass | reclaimPolicy Delete/Retain; volumeBindingMode Immediate/WaitForFirstConsumer | yes |
 * | StorageClass | allowedTopologies: values required and unique, keys label names and unique, terms unique | yes |
 * | StorageClass | update: parameters, provisioner, reclaimPolicy forbidden to change; volumeBindingMode immutable | yes |
 * | CSIDriver | fsGroupPolicy File/None/ReadWriteOnceWithFSType; volumeLifecycleModes Persistent/Ephemeral | yes |
 * | CSIDriver | tokenRequests: audiences unique, expirationSeconds at least 600 and at most 2^32 | yes |
 * | CSIDriver | update: attachRequired (reported at kube's spec.attachedRequired) and volumeLifecycleModes immutable | yes |
 * | VolumeAttachment | attacher required, a CSI driver name (63 characters, a subdomain) | yes |
 * | VolumeAttachment | source: exactly one of persistentVolumeName (non-empty, a subdomain) and inlineVolumeSpec | yes (an inline spec is not validated as a PersistentVolume spec) |
 * | VolumeAttachment | nodeName a DNS subdomain | yes |
 * | VolumeAttachment | status: attachmentMetadata 256 kB, error messages 1024 bytes, errorCode not negative | yes |
 * | VolumeAttachment | update: spec immutable | yes (the spec is printed as JSON, kube prints a Go struct) |
 */
import { nameErrors } from '../meta/object-meta';
import type { FieldError, KubeObject } from '../types';
import {
  dnsSubdomain, duplicate, forbiddenField, invalid, invalidGo, invalidValue, isObj, isSet, listAt, notSupported, objAt, qualifiedName, required,
  str, tooLong,
} from './field-errors';
import { semanticEqual } from './workload-fields';

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
const FS_GROUP_POLICIES = ['File', 'None', 'ReadWriteOnceWithFSType'];
const LIFECYCLE_MODES = ['Persistent', 'Ephemeral'];
const MAX_PARAMETERS = 512;
const MAX_PARAMETERS_SIZE = 256 * 1024;

function parametersErrors(params: unknown): FieldError[] {
  if (!isObj(params)) return [];
  const entries = Object.entries(params);
  if (entries.length > MAX_PARAMETERS) return [tooLong('parameters', MAX_PARAMETERS)];
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of entries) {
    if (k === '') errs.push(invalidValue('parameters', k, 'field can not be empty.'));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v ?? ''));
  }
  if (size > MAX_PARAMETERS_SIZE) errs.push(tooLong('parameters', MAX_PARAMETERS_SIZE));
  return errs;
}

// topologyErrors is ValidateTopologySelectorTerm for each term, and the duplicate-term check.
function topologyErrors(terms: unknown[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen: string[] = [];
  terms.forEach((term, i) => {
    const at = `allowedTopologies[${i}].matchLabelExpressions`;
    const byKey = new Map<string, string[]>();
    listAt(term, 'matchLabelExpressions').forEach((e, j) => {
      const key = str(e, 'key');
      const values = listAt(e, 'values').map(String);
      if (values.length === 0) errs.push(required(`${at}[${j}].values`));
      values.forEach((v, k) => {
        if (values.indexOf(v) < k) errs.push(duplicate(`${at}[${j}].values[${k}]`, v));
      });
      errs.push(...qualifiedName(key, `${at}[${j}].key`));
      if (byKey.has(key)) errs.push(duplicate(`${at}[${j}].key`, key));
      byKey.set(key, [...new Set(values)].sort());
    });
    const canonical = JSON.stringify([...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    if (seen.includes(canonical)) errs.push(duplicate(at, ''));
    seen.push(canonical);
  });
  return errs;
}

/** validateStorageClass is ValidateStorageClass and, with old, ValidateStorageClassUpdate as well (as kube's strategy runs both). */
export function validateStorageClass(sc: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = str(sc, 'provisioner');
  if (provisioner === '') errs.push(required('provisioner'));
  else errs.push(...qualifiedName(provisioner.toLowerCase(), 'provisioner'));
  errs.push(...parametersErrors(sc.parameters));
  const reclaim = str(sc, 'reclaimPolicy');
  if (reclaim !== '' && !RECLAIM_POLICIES.includes(reclaim)) errs.push(notSupported('reclaimPolicy', reclaim, RECLAIM_POLICIES));
  if (!isSet(sc, 'volumeBindingMode')) errs.push(required('volumeBindingMode'));
  else if (!BINDING_MODES.includes(String(sc.volumeBindingMode))) errs.push(notSupported('volumeBindingMode', sc.volumeBindingMode, BINDING_MODES));
  errs.push(...topologyErrors(listAt(sc, 'allowedTopologies')));
  if (!old) return errs;
  for (const f of ['parameters', 'provisioner', 'reclaimPolicy']) {
    if (!semanticEqual(sc[f], old[f])) errs.push(forbiddenField(f, `updates to ${f} are forbidden.`));
  }
  if (sc.volumeBindingMode !== old.volumeBindingMode) errs.push(invalidValue('volumeBindingMode', sc.volumeBindingMode, 'field is immutable'));
  return errs;
}

function tokenRequestErrors(requests: unknown[]): FieldError[] {
  const errs: FieldError[] = [];
  const audiences = new Set<string>();
  requests.forEach((r, i) => {
    const at = `spec.tokenRequests[${i}]`;
    const audience = str(r, 'audience');
    if (audiences.has(audience)) return void errs.push(duplicate(`${at}.audience`, audience));
    audiences.add(audience);
    const seconds = isObj(r) ? r.expirationSeconds : undefined;
    if (typeof seconds !== 'number') return;
    if (seconds < 600) errs.push(invalidValue(`${at}.expirationSeconds`, seconds, 'may not specify a duration less than 10 minutes'));
    if (seconds > 2 ** 32) errs.push(invalidValue(`${at}.expirationSeconds`, seconds, 'may not specify a duration larger than 2^32 seconds'));
  });
  return errs;
}

const goLifecycleModes = (v: unknown) => `[]storage.VolumeLifecycleMode{${(Array.isArray(v) ? v : []).map((m) => JSON.stringify(String(m))).join(', ')}}`;

/** validateCSIDriver is ValidateCSIDriver and, with old, ValidateCSIDriverUpdate's immutable fields. */
export function validateCSIDriver(driver: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objAt(driver, 'spec') ?? {};
  const errs: FieldError[] = [];
  if (isSet(spec, 'fsGroupPolicy') && !FS_GROUP_POLICIES.includes(String(spec.fsGroupPolicy))) errs.push(notSupported('spec.fsGroupPolicy', spec.fsGroupPolicy, FS_GROUP_POLICIES));
  errs.push(...tokenRequestErrors(listAt(spec, 'tokenRequests')));
  for (const mode of listAt(spec, 'volumeLifecycleModes')) {
    if (!LIFECYCLE_MODES.includes(String(mode))) errs.push(notSupported('spec.volumeLifecycleModes', mode, LIFECYCLE_MODES));
  }
  if (!old) return errs;
  const oldSpec = objAt(old, 'spec') ?? {};
  if (spec.attachRequired !== oldSpec.attachRequired) errs.push(invalidValue('spec.attachedRequired', spec.attachRequired, 'field is immutable'));
  if (!semanticEqual(spec.volumeLifecycleModes, oldSpec.volumeLifecycleModes)) {
    errs.push(invalid('spec.volumeLifecycleModes', goLifecycleModes(spec.volumeLifecycleModes), 'field is immutable'));
  }
  return errs;
}

/** csiDriverNameErrors is core's ValidateCSIDriverName: required, at most 63 characters, a subdomain once lower-cased. */
export function csiDriverNameErrors(name: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (name === '') errs.push(required(field));
  if (name.length > 63) errs.push(tooLong(field, 63));
  errs.push(...nameErrors(name.toLowerCase(), 'dns-subdomain').map((m) => invalidValue(field, name, m)));
  return errs;
}

function volumeErrorErrors(e: unknown, field: string): FieldError[] {
  if (!isObj(e)) return [];
  const errs: FieldError[] = [];
  if (Buffer.byteLength(str(e, 'message')) > 1024) errs.push(tooLong(`${field}.message`, MAX_PARAMETERS_SIZE));
  if (typeof e.errorCode === 'number' && e.errorCode < 0) errs.push(invalidValue(`${field}.errorCode`, e.errorCode, 'must be between 0 and 2147483647, inclusive'));
  return errs;
}

/** validateVolumeAttachment is ValidateVolumeAttachment with ValidateVolumeAttachmentV1 and, with old, the read-only spec. */
export function validateVolumeAttachment(va: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objAt(va, 'spec') ?? {};
  const attacher = str(spec, 'attacher');
  const errs: FieldError[] = attacher === '' ? [required('spec.attacher')] : [];
  const source = objAt(spec, 'source') ?? {};
  const hasPV = isSet(source, 'persistentVolumeName');
  const hasInline = isSet(source, 'inlineVolumeSpec');
  const why = 'must specify exactly one of inlineVolumeSpec and persistentVolumeName';
  if (!hasPV && !hasInline) errs.push(required('spec.source', why));
  else if (hasPV && hasInline) errs.push(forbiddenField('spec.source', why));
  else if (hasPV && str(source, 'persistentVolumeName') === '') errs.push(required('spec.source.persistentVolumeName', 'must specify non empty persistentVolumeName'));
  errs.push(...dnsSubdomain(str(spec, 'nodeName'), 'spec.nodeName'));
  const status = objAt(va, 'status') ?? {};
  const metadata = objAt(status, 'attachmentMetadata') ?? {};
  const metadataSize = Object.entries(metadata).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v ?? '')), 0);
  if (metadataSize > MAX_PARAMETERS_SIZE) errs.push(tooLong('status.attachmentMetadata', MAX_PARAMETERS_SIZE));
  errs.push(...volumeErrorErrors(status.attachError, 'status.attachError'), ...volumeErrorErrors(status.detachError, 'status.detachError'));
  if (old && !semanticEqual(spec, objAt(old, 'spec'))) errs.push(invalidGo('spec', spec, 'field is immutable'));
  errs.push(...csiDriverNameErrors(attacher, 'spec.attacher'));
  if (hasPV) errs.push(...dnsSubdomain(str(source, 'persistentVolumeName'), 'spec.source.persistentVolumeName'));
  return errs;
}
