/**
 * Pod volume validation with kube-apiserver's messages (ValidateVolumes, validateVolumeSource,
 * the projected and downward API sources in pkg/apis/core/validation). The downward API field
 * selectors are shared with container env vars (pod-env.ts).
 */
import type { FieldError } from '../types';
import {
  type Obj, dnsLabel, duplicate, forbiddenField, invalidValue, isObj, isSet, listAt, localDescendingPath, notSupported, num, objAt,
  pathSegmentsErrors, qualifiedName, required, str,
} from './field-errors';

const FILE_MODE_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';

// VOLUME_SOURCES lists VolumeSource's members in the order validateVolumeSource checks them,
// with the name its "more than 1 volume type" error uses (kube spells two of them oddly).
const VOLUME_SOURCES: Array<[string, string]> = [
  ['emptyDir', 'emptyDir'], ['hostPath', 'hostPath'], ['gitRepo', 'gitRepo'], ['gcePersistentDisk', 'gcePersistentDisk'],
  ['awsElasticBlockStore', 'awsElasticBlockStore'], ['secret', 'secret'], ['nfs', 'nfs'], ['iscsi', 'iscsi'], ['glusterfs', 'glusterfs'],
  ['flocker', 'flocker'], ['persistentVolumeClaim', 'persistentVolumeClaim'], ['rbd', 'rbd'], ['cinder', 'cinder'], ['cephfs', 'cephFS'],
  ['quobyte', 'quobyte'], ['downwardAPI', 'downwarAPI'], ['fc', 'fc'], ['flexVolume', 'flexVolume'], ['configMap', 'configMap'],
  ['azureFile', 'azureFile'], ['vsphereVolume', 'vsphereVolume'], ['photonPersistentDisk', 'photonPersistentDisk'],
  ['portworxVolume', 'portworxVolume'], ['azureDisk', 'azureDisk'], ['storageos', 'storageos'], ['projected', 'projected'],
  ['scaleIO', 'scaleIO'], ['csi', 'csi'], ['ephemeral', 'ephemeral'], ['image', 'image'],
];

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
// The field labels the v1 downward API converts (ConvertDownwardAPIFieldLabel).
const DOWNWARD_LABELS = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.restartPolicy',
  'spec.serviceAccountName', 'spec.schedulerName', 'status.phase', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
]);
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];

// ValidateLocalNonReservedPath: a descending path that does not start with "..".
function localNonReservedPath(p: string, field: string): FieldError[] {
  const errs = localDescendingPath(p, field);
  if (p.startsWith('..')) errs.push(invalidValue(field, p, "must not start with '..'"));
  return errs;
}

function keyToPath(item: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(item, 'key')) errs.push(required(`${field}.key`));
  const p = str(item, 'path');
  if (!p) errs.push(required(`${field}.path`));
  errs.push(...localNonReservedPath(p, `${field}.path`));
  errs.push(...fileMode(item, 'mode', `${field}.mode`));
  return errs;
}

function fileMode(o: unknown, key: string, field: string): FieldError[] {
  if (!isSet(o, key)) return [];
  const mode = num(o, key);
  return mode > 0o777 || mode < 0 ? [invalidValue(field, mode, FILE_MODE_MSG)] : [];
}

/** objectFieldSelector is validateObjectFieldSelector: a downward API fieldRef (volume files and env vars) against the paths allowed there. */
export function objectFieldSelector(fs: Obj, expressions: readonly string[], field: string): FieldError[] {
  const apiVersion = str(fs, 'apiVersion');
  const fieldPath = str(fs, 'fieldPath');
  if (!apiVersion) return [required(`${field}.apiVersion`)];
  if (!fieldPath) return [required(`${field}.fieldPath`)];
  if (apiVersion !== 'v1') return [invalidValue(`${field}.fieldPath`, fieldPath, `error converting fieldPath: unsupported pod version: ${apiVersion}`)];
  const m = /^(metadata\.(?:annotations|labels))\['(.*)'\]$/.exec(fieldPath) ?? /^([^[]+)\[(.*)\]$/.exec(fieldPath);
  const base = m ? m[1] : fieldPath;
  if (!DOWNWARD_LABELS.has(base)) return [invalidValue(`${field}.fieldPath`, fieldPath, `error converting fieldPath: field label not supported: ${fieldPath}`)];
  if (m) {
    if (base === 'metadata.annotations') return qualifiedName(m[2].toLowerCase(), field);
    if (base === 'metadata.labels') return qualifiedName(m[2], field);
    return [invalidValue(field, base, 'does not support subscript')];
  }
  return expressions.includes(fieldPath) ? [] : [notSupported(`${field}.fieldPath`, fieldPath, expressions)];
}

/** resourceFieldSelector is validateContainerResourceFieldSelector; a volume file must also name its container. */
export function resourceFieldSelector(fs: Obj, field: string, volume: boolean): FieldError[] {
  const resource = str(fs, 'resource');
  if (volume && !str(fs, 'containerName')) return [required(`${field}.containerName`)];
  if (!resource) return [required(`${field}.resource`)];
  if (!RESOURCE_FIELD_PATHS.includes(resource) && !/^(requests|limits)\.hugepages-/.test(resource)) return [notSupported(`${field}.resource`, resource, RESOURCE_FIELD_PATHS)];
  return [];
}

function downwardAPIFile(item: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const p = str(item, 'path');
  if (!p) errs.push(required(`${field}.path`));
  errs.push(...localNonReservedPath(p, `${field}.path`));
  errs.push(...fileMode(item, 'mode', `${field}.mode`));
  const fieldRef = objAt(item, 'fieldRef');
  const resourceRef = objAt(item, 'resourceFieldRef');
  if (fieldRef) {
    errs.push(...objectFieldSelector(fieldRef, VOLUME_FIELD_PATHS, `${field}.fieldRef`));
    if (resourceRef) errs.push(invalidValue(field, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (resourceRef) {
    errs.push(...resourceFieldSelector(resourceRef, `${field}.resourceFieldRef`, true));
  } else {
    errs.push(required(field, 'one of fieldRef and resourceFieldRef is required'));
  }
  return errs;
}

function volumeSourceErrors(key: string, src: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (key) {
    case 'hostPath': {
      const p = str(src, 'path');
      if (!p) return [required(`${field}.path`)];
      errs.push(...pathSegmentsErrors(p, `${field}.path`));
      if (isSet(src, 'type') && !HOST_PATH_TYPES.includes(str(src, 'type'))) errs.push(notSupported(`${field}.type`, src.type, HOST_PATH_TYPES));
      return errs;
    }
    case 'secret':
      if (!str(src, 'secretName')) errs.push(required(`${field}.secretName`));
      errs.push(...fileMode(src, 'defaultMode', `${field}.defaultMode`));
      listAt(src, 'items').forEach((it, i) => errs.push(...keyToPath(it, `${field}.items[${i}]`)));
      return errs;
    case 'configMap':
      if (!str(src, 'name')) errs.push(required(`${field}.name`));
      errs.push(...fileMode(src, 'defaultMode', `${field}.defaultMode`));
      listAt(src, 'items').forEach((it, i) => errs.push(...keyToPath(it, `${field}.items[${i}]`)));
      return errs;
    case 'persistentVolumeClaim':
      return str(src, 'claimName') ? [] : [required(`${field}.claimName`)];
    case 'nfs':
      if (!str(src, 'server')) errs.push(required(`${field}.server`));
      if (!str(src, 'path')) errs.push(required(`${field}.path`));
      else if (!str(src, 'path').startsWith('/')) errs.push(invalidValue(`${field}.path`, src.path, 'must be an absolute path'));
      return errs;
    case 'downwardAPI':
      errs.push(...fileMode(src, 'defaultMode', `${field}.defaultMode`));
      listAt(src, 'items').forEach((it, i) => errs.push(...downwardAPIFile(it, `${field}.items[${i}]`)));
      return errs;
    case 'csi':
      return str(src, 'driver') ? [] : [required(`${field}.driver`)];
    case 'ephemeral':
      return isObj(src.volumeClaimTemplate) ? [] : [required(`${field}.volumeClaimTemplate`)];
    case 'gitRepo':
      if (!str(src, 'repository')) errs.push(required(`${field}.repository`));
      return [...errs, ...localDescendingPath(str(src, 'directory'), `${field}.directory`)];
    case 'projected':
      return projectedErrors(src, field);
    default:
      return errs;
  }
}

function projectedErrors(src: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  listAt(src, 'sources').forEach((s, i) => {
    const at = `${field}.sources[${i}]`;
    const kinds = ['secret', 'configMap', 'downwardAPI', 'serviceAccountToken', 'clusterTrustBundle'].filter((k) => isSet(s, k));
    if (kinds.length !== 1) {
      errs.push(forbiddenField(at, 'may not specify more than 1 volume type per source'));
      return;
    }
    const k = kinds[0];
    const p = objAt(s, k)!;
    const sub = `${at}.${k}`;
    if (k === 'secret' || k === 'configMap') {
      if (!str(p, 'name')) errs.push(required(`${sub}.name`));
      listAt(p, 'items').forEach((it, j) => {
        errs.push(...keyToPath(it, `${sub}.items[${j}]`));
        const ip = str(it, 'path');
        if (paths.has(ip)) errs.push(invalidValue(`${sub}.items[${j}].path`, ip, 'conflicting duplicate paths'));
        paths.add(ip);
      });
    } else if (k === 'downwardAPI') {
      listAt(p, 'items').forEach((it, j) => errs.push(...downwardAPIFile(it, `${sub}.items[${j}]`)));
    } else if (k === 'serviceAccountToken') {
      const exp = p.expirationSeconds;
      if (typeof exp === 'number' && exp < 600) errs.push(invalidValue(`${sub}.expirationSeconds`, exp, 'may not specify a duration less than 10 minutes'));
      if (typeof exp === 'number' && exp > 2 ** 32) errs.push(invalidValue(`${sub}.expirationSeconds`, exp, 'may not specify a duration larger than 2^32 seconds'));
      if (!str(p, 'path')) errs.push(required(`${sub}.path`));
    }
  });
  return [...errs, ...fileMode(src, 'defaultMode', `${field}.defaultMode`)];
}

/** validateVolumes is ValidateVolumes: it returns the volumes that are valid, by name, with the errors. */
export function validateVolumes(volumes: unknown[], field: string): { names: Map<string, Obj>; errs: FieldError[] } {
  const names = new Map<string, Obj>();
  const errs: FieldError[] = [];
  volumes.forEach((vol, i) => {
    const at = `${field}[${i}]`;
    const el: FieldError[] = [];
    let count = 0;
    for (const [key, label] of VOLUME_SOURCES) {
      if (!isSet(vol, key)) continue;
      if (count > 0) {
        el.push(forbiddenField(`${at}.${label}`, 'may not specify more than 1 volume type'));
        continue;
      }
      count++;
      const src = objAt(vol, key) ?? {};
      el.push(...volumeSourceErrors(key, src, `${at}.${key}`));
    }
    if (count === 0) el.push(required(at, 'must specify a volume type'));
    const name = str(vol, 'name');
    if (!name) el.push(required(`${at}.name`));
    else el.push(...dnsLabel(name, `${at}.name`));
    if (names.has(name)) el.push(duplicate(`${at}.name`, name));
    if (el.length === 0) names.set(name, vol as Obj);
    else errs.push(...el);
  });
  return { names, errs };
}
