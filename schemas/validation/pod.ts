/**
 * Pod, PodSpec and pod template validation with kube-apiserver's messages (ValidatePodSpec,
 * validateContainers, ValidateVolumes, ValidatePodUpdate in pkg/apis/core/validation). Workload
 * kinds (ReplicationController, Deployment, Job, ...) validate their template through
 * validatePodTemplateSpec. Errors come in the order kube reports them, since clients print
 * the first cause.
 */
import type { FieldError, KubeObject } from '../types';
import { affinityErrors, osErrors, securityProfileErrors, topologySpreadErrors } from './pod-scheduling';
import { compareQuantity, milliValue } from '../meta/quantity';
import { jsonEqual } from '../meta/json';
import { nameErrors, qualifiedNameErrors } from '../meta/object-meta';
import {
  type Obj, dnsLabel, dnsSubdomain, duplicate, forbiddenField, invalidValue, isObj, isSet, labelErrors, listAt, nonNegative, notFound,
  localDescendingPath, notSupported, num, objAt, pathSegmentsErrors, portNameErrors, portNumErrors, portNumOrName, required, str,
} from './field-errors';
import { podAnnotationErrors, securityAnnotationMatchErrors } from './pod-annotations';

/** PodSpecOptions says where a spec sits: in a Pod (isPod) or in a template. */
export interface PodSpecOptions {
  /** isPod is set for a Pod's own spec; templates are looser (a hostPort may stay 0). */
  isPod?: boolean;
}

const MAX_INT32 = 2147483647;
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
const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
// The field labels the v1 downward API converts (ConvertDownwardAPIFieldLabel).
const DOWNWARD_LABELS = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.restartPolicy',
  'spec.serviceAccountName', 'spec.schedulerName', 'status.phase', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
]);
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

// --- paths and names ---------------------------------------------------------------------

// ValidateLocalNonReservedPath: a descending path that does not start with "..".
function localNonReservedPath(p: string, field: string): FieldError[] {
  const errs = localDescendingPath(p, field);
  if (p.startsWith('..')) errs.push(invalidValue(field, p, "must not start with '..'"));
  return errs;
}

/** configMapKeyErrors is IsConfigMapKey's message list. */
export function configMapKeyErrors(key: string): string[] {
  const out: string[] = [];
  if (key.length > 253) out.push('must be no more than 253 characters');
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
    out.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
  }
  if (key === '.') out.push("must not be '.'");
  else if (key === '..') out.push("must not be '..'");
  else if (key.startsWith('..')) out.push("must not start with '..'");
  return out;
}

// envVarNameErrors is IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation is on in 1.32).
function envVarNameErrors(name: string): string[] {
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c < 32 || c > 126 || ch === '=') return ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
  }
  return [];
}

function qualifiedName(value: string, field: string): FieldError[] {
  return qualifiedNameErrors(value).map((why) => invalidValue(field, value, why));
}

// --- volumes -----------------------------------------------------------------------------

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

function objectFieldSelector(fs: Obj, expressions: readonly string[], field: string): FieldError[] {
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

function resourceFieldSelector(fs: Obj, field: string, volume: boolean): FieldError[] {
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

// --- containers --------------------------------------------------------------------------

function containerPorts(ports: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const at = `${field}[${i}]`;
    const name = str(p, 'name');
    if (name) {
      const msgs = portNameErrors(name);
      if (msgs.length) errs.push(...msgs.map((m) => invalidValue(`${at}.name`, name, m)));
      else if (names.has(name)) errs.push(duplicate(`${at}.name`, name));
      else names.add(name);
    }
    const cp = num(p, 'containerPort');
    if (cp === 0) errs.push(required(`${at}.containerPort`));
    else errs.push(...portNumErrors(cp).map((m) => invalidValue(`${at}.containerPort`, cp, m)));
    const hp = num(p, 'hostPort');
    if (hp !== 0) errs.push(...portNumErrors(hp).map((m) => invalidValue(`${at}.hostPort`, hp, m)));
    const proto = str(p, 'protocol');
    if (!proto) errs.push(required(`${at}.protocol`));
    else if (!PROTOCOLS.includes(proto)) errs.push(notSupported(`${at}.protocol`, proto, PROTOCOLS));
  });
  return errs;
}

function keySelector(s: Obj, field: string): FieldError[] {
  const errs = nameErrors(str(s, 'name'), 'dns-subdomain').map((why) => invalidValue(`${field}.name`, str(s, 'name'), why));
  const key = str(s, 'key');
  if (!key) errs.push(required(`${field}.key`));
  else errs.push(...configMapKeyErrors(key).map((m) => invalidValue(`${field}.key`, key, m)));
  return errs;
}

function envErrors(env: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  env.forEach((ev, i) => {
    const at = `${field}[${i}]`;
    const name = str(ev, 'name');
    if (!name) errs.push(required(`${at}.name`));
    else errs.push(...envVarNameErrors(name).map((m) => invalidValue(`${at}.name`, name, m)));
    const from = objAt(ev, 'valueFrom');
    if (!from) return;
    const vf = `${at}.valueFrom`;
    let sources = 0;
    const fieldRef = objAt(from, 'fieldRef');
    if (fieldRef) sources++, errs.push(...objectFieldSelector(fieldRef, ENV_FIELD_PATHS, `${vf}.fieldRef`));
    const resourceRef = objAt(from, 'resourceFieldRef');
    if (resourceRef) sources++, errs.push(...resourceFieldSelector(resourceRef, `${vf}.resourceFieldRef`, false));
    const cmRef = objAt(from, 'configMapKeyRef');
    if (cmRef) sources++, errs.push(...keySelector(cmRef, `${vf}.configMapKeyRef`));
    const secretRef = objAt(from, 'secretKeyRef');
    if (secretRef) sources++, errs.push(...keySelector(secretRef, `${vf}.secretKeyRef`));
    if (sources === 0) errs.push(invalidValue(vf, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (str(ev, 'value')) errs.push(invalidValue(vf, '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) errs.push(invalidValue(vf, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function envFromErrors(envFrom: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  envFrom.forEach((ev, i) => {
    const at = `${field}[${i}]`;
    const prefix = str(ev, 'prefix');
    if (prefix) errs.push(...envVarNameErrors(prefix).map((m) => invalidValue(`${at}.prefix`, prefix, m)));
    let sources = 0;
    for (const k of ['configMapRef', 'secretRef']) {
      const ref = objAt(ev, k);
      if (!ref) continue;
      sources++;
      const name = str(ref, 'name');
      if (!name) errs.push(required(`${at}.${k}.name`));
      else errs.push(...nameErrors(name, 'dns-subdomain', true).map((why) => invalidValue(`${at}.${k}.name`, name, why)));
    }
    // kube reports these two on the list, not the entry.
    if (sources === 0) errs.push(invalidValue(field, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(invalidValue(field, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function volumeMountErrors(mounts: unknown[], devices: unknown[], volumes: Map<string, Obj>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  const deviceNames = new Set(devices.map((d) => str(d, 'name')));
  const devicePaths = new Set(devices.map((d) => str(d, 'devicePath')));
  mounts.forEach((m, i) => {
    const at = `${field}[${i}]`;
    const name = str(m, 'name');
    const mountPath = str(m, 'mountPath');
    if (!name) errs.push(required(`${at}.name`));
    if (!volumes.has(name)) errs.push(notFound(`${at}.name`, name));
    if (!mountPath) errs.push(required(`${at}.mountPath`));
    if (paths.has(mountPath)) errs.push(invalidValue(`${at}.mountPath`, mountPath, 'must be unique'));
    paths.add(mountPath);
    if (deviceNames.has(name)) errs.push(invalidValue(`${at}.name`, name, 'must not already exist in volumeDevices'));
    if (devicePaths.has(mountPath)) errs.push(invalidValue(`${at}.mountPath`, mountPath, 'must not already exist as a path in volumeDevices'));
    const subPath = str(m, 'subPath');
    const subPathExpr = str(m, 'subPathExpr');
    // kube names these two by the list's path, not the entry's.
    if (subPath) errs.push(...localDescendingPath(subPath, `${field}.subPath`));
    if (subPathExpr) {
      if (subPath) errs.push(invalidValue(`${at}.subPathExpr`, subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...localDescendingPath(subPathExpr, `${field}.subPathExpr`));
    }
    if (isSet(m, 'mountPropagation')) {
      const mp = str(m, 'mountPropagation');
      const supported = ['Bidirectional', 'HostToContainer', 'None'];
      if (!supported.includes(mp)) errs.push(notSupported(`${field}.mountPropagation`, mp, supported));
    }
  });
  return errs;
}

function volumeDeviceErrors(devices: unknown[], mounts: unknown[], volumes: Map<string, Obj>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  const paths = new Set<string>();
  devices.forEach((d, i) => {
    const at = `${field}[${i}]`;
    const name = str(d, 'name');
    const devicePath = str(d, 'devicePath');
    const vol = volumes.get(name);
    if (!name) errs.push(required(`${at}.name`));
    if (names.has(name)) errs.push(invalidValue(`${at}.name`, name, 'must be unique'));
    if (vol && !isSet(vol, 'persistentVolumeClaim') && !isSet(vol, 'ephemeral')) {
      errs.push(invalidValue(`${at}.name`, name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    }
    if (!vol) errs.push(notFound(`${at}.name`, name));
    if (!devicePath) errs.push(required(`${at}.devicePath`));
    if (paths.has(devicePath)) errs.push(invalidValue(`${at}.devicePath`, devicePath, 'must be unique'));
    if (devicePath && devicePath.split('/').includes('..')) errs.push(invalidValue(`${at}.devicePath`, devicePath, "can not contain backsteps ('..')"));
    else paths.add(devicePath);
    if (mounts.some((m) => str(m, 'name') === name)) errs.push(invalidValue(`${at}.name`, name, 'must not already exist in volumeMounts'));
    if (mounts.some((m) => str(m, 'mountPath') === devicePath)) errs.push(invalidValue(`${at}.devicePath`, devicePath, 'must not already exist as a path in volumeMounts'));
    if (name) names.add(name);
  });
  return errs;
}

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const isHugePages = (name: string) => name.startsWith('hugepages-');
const isNative = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');
const overcommitAllowed = (name: string) => isNative(name) && !isHugePages(name);
const isExtended = (name: string) => !isNative(name) && !name.startsWith('requests.') && qualifiedNameErrors(`requests.${name}`).length === 0;

/** resourceQuantityErrors is ValidateResourceQuantityValue: not negative, whole for integer resources. */
export function resourceQuantityErrors(resource: string, value: unknown, field: string): FieldError[] {
  const q = String(value);
  try {
    if (compareQuantity(q, '0') < 0) return [invalidValue(field, q, 'must be greater than or equal to 0')];
    if (isExtended(resource) && milliValue(q) % 1000 !== 0) return [invalidValue(field, q, 'must be an integer')];
  } catch {
    // An unparsable quantity is reported by the registry's quantity check.
  }
  return [];
}

function containerResourceName(name: string, field: string): FieldError[] {
  const errs = qualifiedName(name, field);
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) errs.push(invalidValue(field, name, 'must be a standard resource for containers'));
  } else if (!isNative(name) && !isExtended(name)) {
    errs.push(invalidValue(field, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

function safeCompare(a: unknown, b: unknown): number {
  try {
    return compareQuantity(String(a), String(b));
  } catch {
    return 0;
  }
}

/** validateResourceRequirements is ValidateContainerResourceRequirements ("must be less than or equal to cpu limit of 1"). */
export function validateResourceRequirements(resources: unknown, field: string): FieldError[] {
  const limits = objAt(resources, 'limits') ?? {};
  const requests = objAt(resources, 'requests') ?? {};
  const limPath = `${field}.limits`;
  const reqPath = `${field}.requests`;
  const errs: FieldError[] = [];
  for (const [name, q] of Object.entries(limits)) {
    errs.push(...containerResourceName(name, `${limPath}[${name}]`), ...resourceQuantityErrors(name, q, `${limPath}[${name}]`));
  }
  for (const [name, q] of Object.entries(requests)) {
    errs.push(...containerResourceName(name, `${reqPath}[${name}]`), ...resourceQuantityErrors(name, q, `${reqPath}[${name}]`));
    if (name in limits) {
      const cmp = safeCompare(q, limits[name]);
      if (cmp !== 0 && !overcommitAllowed(name)) errs.push(invalidValue(reqPath, String(q), `must be equal to ${name} limit of ${String(limits[name])}`));
      else if (cmp > 0) errs.push(invalidValue(reqPath, String(q), `must be less than or equal to ${name} limit of ${String(limits[name])}`));
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

function handlerErrors(handler: Obj, kinds: readonly string[], gracePeriod: number | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const k of kinds) {
    const h = objAt(handler, k);
    if (!h) continue;
    if (count > 0) {
      errs.push(forbiddenField(`${field}.${k}`, 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    const at = `${field}.${k}`;
    if (k === 'exec') {
      if (listAt(h, 'command').length === 0) errs.push(required(`${at}.command`));
    } else if (k === 'httpGet') {
      if (!str(h, 'path')) errs.push(required(`${at}.path`));
      errs.push(...portNumOrName(h.port, `${at}.port`));
      const scheme = str(h, 'scheme');
      if (scheme !== 'HTTP' && scheme !== 'HTTPS') errs.push(notSupported(`${at}.scheme`, scheme, ['HTTP', 'HTTPS']));
      for (const hdr of listAt(h, 'httpHeaders')) {
        const n = str(hdr, 'name');
        if (!/^[-A-Za-z0-9]+$/.test(n)) {
          errs.push(invalidValue(`${at}.httpHeaders`, n, "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')"));
        }
      }
    } else if (k === 'tcpSocket') {
      errs.push(...portNumOrName(h.port, `${at}.port`));
    } else if (k === 'grpc') {
      errs.push(...portNumOrName(num(h, 'port'), `${at}.port`));
    } else if (k === 'sleep') {
      const s = num(h, 'seconds');
      if (gracePeriod !== undefined && (s <= 0 || s > gracePeriod)) {
        errs.push(invalidValue(`${at}.seconds`, s, `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`));
      }
    }
  }
  if (count === 0) errs.push(required(field, 'must specify a handler type'));
  return errs;
}

function probeErrors(probe: unknown, kind: 'liveness' | 'readiness' | 'startup', gracePeriod: number | undefined, field: string): FieldError[] {
  if (!isObj(probe)) return [];
  const errs = handlerErrors(probe, ['exec', 'httpGet', 'tcpSocket', 'grpc'], gracePeriod, field);
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) errs.push(...nonNegative(probe[k], `${field}.${k}`));
  const tgps = probe.terminationGracePeriodSeconds;
  if (typeof tgps === 'number' && tgps <= 0) errs.push(invalidValue(`${field}.terminationGracePeriodSeconds`, tgps, 'must be greater than 0'));
  if (kind !== 'readiness' && num(probe, 'successThreshold') !== 1) errs.push(invalidValue(`${field}.successThreshold`, num(probe, 'successThreshold'), 'must be 1'));
  if (kind === 'readiness' && isSet(probe, 'terminationGracePeriodSeconds')) {
    errs.push(invalidValue(`${field}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
  return errs;
}

function lifecycleErrors(lifecycle: Obj, gracePeriod: number | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['postStart', 'preStop']) {
    const h = objAt(lifecycle, k);
    if (h) errs.push(...handlerErrors(h, ['exec', 'httpGet', 'tcpSocket', 'sleep'], gracePeriod, `${field}.${k}`));
  }
  return errs;
}

function idErrors(value: unknown, field: string): FieldError[] {
  return typeof value === 'number' && (value < 0 || value > MAX_INT32) ? [invalidValue(field, value, `must be between 0 and ${MAX_INT32}, inclusive`)] : [];
}

function containerCommon(c: unknown, volumes: Map<string, Obj>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c, 'name');
  if (!name) errs.push(required(`${field}.name`));
  else errs.push(...dnsLabel(name, `${field}.name`));
  if (!str(c, 'image')) errs.push(required(`${field}.image`));
  const tmp = str(c, 'terminationMessagePolicy');
  if (!tmp) errs.push(required(`${field}.terminationMessagePolicy`));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') errs.push(notSupported(`${field}.terminationMessagePolicy`, tmp, ['File', 'FallbackToLogsOnError']));
  errs.push(...containerPorts(listAt(c, 'ports'), `${field}.ports`));
  errs.push(...envErrors(listAt(c, 'env'), `${field}.env`));
  errs.push(...envFromErrors(listAt(c, 'envFrom'), `${field}.envFrom`));
  errs.push(...volumeMountErrors(listAt(c, 'volumeMounts'), listAt(c, 'volumeDevices'), volumes, `${field}.volumeMounts`));
  errs.push(...volumeDeviceErrors(listAt(c, 'volumeDevices'), listAt(c, 'volumeMounts'), volumes, `${field}.volumeDevices`));
  const pull = str(c, 'imagePullPolicy');
  if (!pull) errs.push(required(`${field}.imagePullPolicy`));
  else if (!['Always', 'IfNotPresent', 'Never'].includes(pull)) errs.push(notSupported(`${field}.imagePullPolicy`, pull, ['Always', 'IfNotPresent', 'Never']));
  errs.push(...validateResourceRequirements(c && (c as Obj).resources, `${field}.resources`));
  const sc = objAt(c, 'securityContext');
  if (sc) {
    errs.push(...idErrors(sc.runAsUser, `${field}.securityContext.runAsUser`), ...idErrors(sc.runAsGroup, `${field}.securityContext.runAsGroup`));
    if (sc.privileged === true && sc.allowPrivilegeEscalation === false) {
      errs.push(invalidValue(`${field}.securityContext`, 'false', 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    }
    errs.push(...securityProfileErrors(sc, `${field}.securityContext`));
  }
  return errs;
}

function hostPortConflicts(containers: unknown[], field: string): FieldError[] {
  const seen = new Set<string>();
  const errs: FieldError[] = [];
  containers.forEach((c, ci) => {
    listAt(c, 'ports').forEach((p, pi) => {
      const hp = num(p, 'hostPort');
      if (hp === 0) return;
      const key = `${str(p, 'protocol')}/${str(p, 'hostIP')}/${hp}`;
      if (seen.has(key)) errs.push(duplicate(`${field}[${ci}].ports[${pi}].hostPort`, key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateContainers(containers: unknown[], volumes: Map<string, Obj>, gracePeriod: number | undefined, field: string): FieldError[] {
  if (containers.length === 0) return [required(field)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const at = `${field}[${i}]`;
    errs.push(...containerCommon(c, volumes, at));
    const name = str(c, 'name');
    if (names.has(name)) errs.push(duplicate(`${at}.name`, name));
    else names.add(name);
    const lifecycle = objAt(c, 'lifecycle');
    if (lifecycle) errs.push(...lifecycleErrors(lifecycle, gracePeriod, `${at}.lifecycle`));
    errs.push(...probeErrors((c as Obj)?.livenessProbe, 'liveness', gracePeriod, `${at}.livenessProbe`));
    errs.push(...probeErrors((c as Obj)?.readinessProbe, 'readiness', gracePeriod, `${at}.readinessProbe`));
    errs.push(...probeErrors((c as Obj)?.startupProbe, 'startup', gracePeriod, `${at}.startupProbe`));
    if (isSet(c, 'restartPolicy')) errs.push(forbiddenField(`${at}.restartPolicy`, 'may not be set for non-init containers'));
  });
  return [...errs, ...hostPortConflicts(containers, field)];
}

function validateInitContainers(inits: unknown[], regular: unknown[], volumes: Map<string, Obj>, gracePeriod: number | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(regular.map((c) => str(c, 'name')));
  inits.forEach((c, i) => {
    const at = `${field}[${i}]`;
    errs.push(...containerCommon(c, volumes, at));
    let restartAlways = false;
    if (isSet(c, 'restartPolicy')) {
      const rp = str(c, 'restartPolicy');
      if (rp !== 'Always') errs.push(notSupported(`${at}.restartPolicy`, (c as Obj).restartPolicy, ['Always']));
      restartAlways = rp === 'Always';
    }
    const name = str(c, 'name');
    if (names.has(name)) errs.push(duplicate(`${at}.name`, name));
    else if (name) names.add(name);
    errs.push(...hostPortConflicts([c], field));
    const o = c as Obj;
    if (restartAlways) {
      if (isObj(o.lifecycle)) errs.push(...lifecycleErrors(o.lifecycle, gracePeriod, `${at}.lifecycle`));
      errs.push(...probeErrors(o.livenessProbe, 'liveness', gracePeriod, `${at}.livenessProbe`));
      errs.push(...probeErrors(o.readinessProbe, 'readiness', gracePeriod, `${at}.readinessProbe`));
      errs.push(...probeErrors(o.startupProbe, 'startup', gracePeriod, `${at}.startupProbe`));
    } else {
      for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (isSet(c, k)) errs.push(forbiddenField(`${at}.${k}`, 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

function validateEphemeralContainers(ephemeral: unknown[], containers: unknown[], inits: unknown[], volumes: Map<string, Obj>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const others = new Set([...containers, ...inits].map((c) => str(c, 'name')));
  const all = new Set(others);
  ephemeral.forEach((c, i) => {
    const at = `${field}[${i}]`;
    errs.push(...containerCommon(c, volumes, at));
    const name = str(c, 'name');
    if (all.has(name)) errs.push(duplicate(`${at}.name`, name));
    else all.add(name);
    const target = str(c, 'targetContainerName');
    if (target && !others.has(target)) errs.push(notFound(`${at}.targetContainerName`, target));
    for (const k of ['ports', 'resources', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle']) {
      const v = (c as Obj)?.[k];
      const empty = v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
      if (!empty) errs.push(forbiddenField(`${at}.${k}`, 'cannot be set for an Ephemeral Container'));
    }
  });
  return errs;
}

function tolerationErrors(tolerations: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  tolerations.forEach((t, i) => {
    const at = `${field}[${i}]`;
    const key = str(t, 'key');
    const op = str(t, 'operator');
    const value = str(t, 'value');
    const effect = str(t, 'effect');
    if (key) errs.push(...qualifiedName(key, `${at}.key`));
    if (!key && op !== 'Exists') errs.push(invalidValue(`${at}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (isSet(t, 'tolerationSeconds') && effect !== 'NoExecute') errs.push(invalidValue(`${at}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    if (op === 'Equal' || op === '') {
      const whys = labelErrors({ v: value }, `${at}.operator`).map((e) => e.message.replace(/^Invalid value: "[^"]*": /, ''));
      if (whys.length) errs.push(invalidValue(`${at}.operator`, value, whys.join(';')));
    } else if (op === 'Exists') {
      if (value) errs.push(invalidValue(`${at}.operator`, value, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(notSupported(`${at}.operator`, op, ['Equal', 'Exists']));
    }
    if (effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(effect)) errs.push(notSupported(`${at}.effect`, effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
  });
  return errs;
}

function podSecurityContextErrors(sc: Obj, field: string): FieldError[] {
  const errs = [...idErrors(sc.fsGroup, `${field}.fsGroup`), ...idErrors(sc.runAsUser, `${field}.runAsUser`), ...idErrors(sc.runAsGroup, `${field}.runAsGroup`)];
  listAt(sc, 'supplementalGroups').forEach((g, i) => errs.push(...idErrors(g, `${field}.supplementalGroups[${i}]`)));
  errs.push(...sysctlErrors(listAt(sc, 'sysctls'), `${field}.sysctls`));
  if (isSet(sc, 'fsGroupChangePolicy') && !['Always', 'OnRootMismatch'].includes(str(sc, 'fsGroupChangePolicy'))) {
    errs.push(notSupported(`${field}.fsGroupChangePolicy`, sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  }
  errs.push(...securityProfileErrors(sc, field));
  return errs;
}

// Sysctl names as pod validation accepts them: dot- or slash-separated segments.
const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const SYSCTL_RE = new RegExp(`^(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}$`);

function sysctlErrors(sysctls: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  sysctls.forEach((s, i) => {
    const at = `${field}[${i}].name`;
    const name = str(s, 'name');
    if (!name) errs.push(required(at));
    else if (name.length > 253 || !SYSCTL_RE.test(name)) errs.push(invalidValue(at, name, `must have at most 253 characters and match regex ${SYSCTL_RE.source}`));
    else if (seen.has(name)) errs.push(duplicate(at, name));
    seen.add(name);
  });
  return errs;
}

/** validatePodSpec is ValidatePodSpec: a spec at path (spec, spec.template.spec, ...). */
export function validatePodSpec(spec: unknown, path: string, opts: PodSpecOptions = {}): FieldError[] {
  const s: Obj = isObj(spec) ? spec : {};
  const errs: FieldError[] = [];
  if (!isSet(s, 'terminationGracePeriodSeconds')) errs.push(required(`${path}.terminationGracePeriodSeconds`));
  const gracePeriod = typeof s.terminationGracePeriodSeconds === 'number' ? s.terminationGracePeriodSeconds : undefined;
  const { names: volumes, errs: volumeErrs } = validateVolumes(listAt(s, 'volumes'), `${path}.volumes`);
  errs.push(...volumeErrs);
  const containers = listAt(s, 'containers');
  const inits = listAt(s, 'initContainers');
  errs.push(...validateContainers(containers, volumes, gracePeriod, `${path}.containers`));
  errs.push(...validateInitContainers(inits, containers, volumes, gracePeriod, `${path}.initContainers`));
  errs.push(...validateEphemeralContainers(listAt(s, 'ephemeralContainers'), containers, inits, volumes, `${path}.ephemeralContainers`));
  if (s.hostNetwork === true) {
    containers.forEach((c, i) => listAt(c, 'ports').forEach((p, j) => {
      const hp = num(p, 'hostPort');
      if ((opts.isPod || hp !== 0) && hp !== num(p, 'containerPort')) {
        errs.push(invalidValue(`${path}.containers[${i}].ports[${j}].hostPort`, hp, 'must match `containerPort` when `hostNetwork` is true'));
      }
    }));
  }
  const restartPolicy = str(s, 'restartPolicy');
  if (!restartPolicy) errs.push(required(`${path}.restartPolicy`));
  else if (!['Always', 'OnFailure', 'Never'].includes(restartPolicy)) errs.push(notSupported(`${path}.restartPolicy`, restartPolicy, ['Always', 'OnFailure', 'Never']));
  const dnsPolicy = str(s, 'dnsPolicy');
  const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (!dnsPolicy) errs.push(required(`${path}.dnsPolicy`));
  else if (!dnsPolicies.includes(dnsPolicy)) errs.push(notSupported(`${path}.dnsPolicy`, dnsPolicy, dnsPolicies));
  errs.push(...labelErrors(s.nodeSelector, `${path}.nodeSelector`));
  const sc = objAt(s, 'securityContext');
  if (sc) errs.push(...podSecurityContextErrors(sc, `${path}.securityContext`));
  const affinity = objAt(s, 'affinity');
  if (affinity) errs.push(...affinityErrors(affinity, `${path}.affinity`));
  errs.push(...dnsConfigErrors(objAt(s, 'dnsConfig'), dnsPolicy, `${path}.dnsConfig`));
  listAt(s, 'readinessGates').forEach((g, i) => errs.push(...qualifiedName(str(g, 'conditionType'), `${path}.readinessGates[${i}].conditionType`)));
  const gates = new Set<string>();
  listAt(s, 'schedulingGates').forEach((g, i) => {
    const n = str(g, 'name');
    errs.push(...qualifiedName(n, `${path}.schedulingGates[${i}]`));
    if (gates.has(n)) errs.push(duplicate(`${path}.schedulingGates[${i}]`, n));
    gates.add(n);
  });
  errs.push(...topologySpreadErrors(listAt(s, 'topologySpreadConstraints'), `${path}.topologySpreadConstraints`));
  for (const k of ['serviceAccountName', 'nodeName']) {
    const v = str(s, k);
    if (v) errs.push(...dnsSubdomain(v, `${path}.${k}`));
  }
  if (isSet(s, 'activeDeadlineSeconds')) {
    const v = num(s, 'activeDeadlineSeconds');
    if (v < 1 || v > MAX_INT32) errs.push(invalidValue(`${path}.activeDeadlineSeconds`, v, `must be between 1 and ${MAX_INT32}, inclusive`));
  }
  for (const k of ['hostname', 'subdomain']) {
    const v = str(s, k);
    if (v) errs.push(...dnsLabel(v, `${path}.${k}`));
  }
  errs.push(...tolerationErrors(listAt(s, 'tolerations'), `${path}.tolerations`));
  listAt(s, 'hostAliases').forEach((a, i) => listAt(a, 'hostnames').forEach((h, j) => errs.push(...dnsSubdomain(String(h), `${path}.hostAliases[${i}].hostnames[${j}]`))));
  if (str(s, 'priorityClassName')) errs.push(...dnsSubdomain(str(s, 'priorityClassName'), `${path}.priorityClassName`));
  if (isSet(s, 'runtimeClassName')) errs.push(...dnsSubdomain(str(s, 'runtimeClassName'), `${path}.runtimeClassName`));
  if (isSet(s, 'preemptionPolicy')) {
    const p = str(s, 'preemptionPolicy');
    if (!p) errs.push(required(`${path}.preemptionPolicy`));
    else if (p !== 'PreemptLowerPriority' && p !== 'Never') errs.push(notSupported(`${path}.preemptionPolicy`, p, ['PreemptLowerPriority', 'Never']));
  }
  if (isSet(s, 'os')) {
    const os = str(objAt(s, 'os'), 'name');
    if (!os) errs.push(required(`${path}.os.name`));
    else if (os !== 'linux' && os !== 'windows') errs.push(notSupported(`${path}.os.name`, os, ['linux', 'windows']));
    errs.push(...osErrors(s, path));
  }
  return errs;
}

function dnsConfigErrors(cfg: Obj | undefined, dnsPolicy: string, field: string): FieldError[] {
  if (dnsPolicy === 'None') {
    if (!cfg) return [required(field, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (listAt(cfg, 'nameservers').length === 0) return [required(`${field}.nameservers`, 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!cfg) return [];
  const errs: FieldError[] = [];
  const ns = listAt(cfg, 'nameservers');
  if (ns.length > 3) errs.push({ type: 'FieldValueInvalid', field: `${field}.nameservers`, message: `Invalid value: []string{${ns.map((n) => JSON.stringify(n)).join(', ')}}: must not have more than 3 nameservers` });
  listAt(cfg, 'options').forEach((o, i) => {
    if (!str(o, 'name')) errs.push(required(`${field}.options[${i}]`, 'must not be empty'));
  });
  return errs;
}

/** validatePodTemplateSpec is ValidatePodTemplateSpec: labels, annotations and the spec of a template at path. */
export function validatePodTemplateSpec(template: unknown, path: string): FieldError[] {
  const meta = objAt(template, 'metadata');
  // kube names template labels without "metadata" (the ObjectMeta is embedded in Go).
  const errs = labelErrors(meta?.labels, `${path}.labels`);
  const spec = objAt(template, 'spec');
  errs.push(...podAnnotationErrors(meta, spec, `${path}.annotations`), ...validatePodSpec(spec, `${path}.spec`), ...securityAnnotationMatchErrors(meta, spec, `${path}.spec`));
  if (listAt(spec, 'ephemeralContainers').length > 0) errs.push(forbiddenField(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  return errs;
}

function podOnlyImageErrors(spec: unknown): FieldError[] {
  const errs: FieldError[] = [];
  for (const list of ['containers', 'initContainers']) {
    listAt(spec, list).forEach((c, i) => {
      const image = str(c, 'image');
      if (image.trim() !== image) errs.push(invalidValue(`spec.${list}[${i}].image`, image, 'must not have leading or trailing whitespace'));
    });
  }
  return errs;
}

const UPDATABLE_POD_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

// goFieldName turns a JSON field into the Go struct field cmp.Diff prints.
const goFieldName = (k: string) => k.charAt(0).toUpperCase() + k.slice(1);

// specDiff is a short rendering of cmp.Diff(old, new) over the top-level PodSpec fields.
function specDiff(old: Obj, next: Obj): string {
  const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])];
  const lines = ['  core.PodSpec{'];
  let same = 0;
  const flush = () => {
    if (same) lines.push(`  \t... // ${same} identical field${same === 1 ? '' : 's'}`);
    same = 0;
  };
  for (const k of keys) {
    if (jsonEqual(old[k], next[k])) {
      same++;
      continue;
    }
    flush();
    if (old[k] !== undefined) lines.push(`- \t${goFieldName(k)}: ${JSON.stringify(old[k])},`);
    if (next[k] !== undefined) lines.push(`+ \t${goFieldName(k)}: ${JSON.stringify(next[k])},`);
  }
  flush();
  lines.push('  }');
  return lines.join('\n') + '\n';
}

function tolerationsOnlyAdded(next: unknown[], old: unknown[], field: string): FieldError[] {
  for (const o of old) {
    const found = next.some((n) => isObj(o) && isObj(n) && jsonEqual({ ...o, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) return [forbiddenField(field, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return [];
}

/** validatePodUpdate is the spec part of ValidatePodUpdate: only images, activeDeadlineSeconds and added tolerations change. */
export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const spec = objAt(pod, 'spec') ?? {};
  const oldSpec = objAt(old, 'spec') ?? {};
  const errs: FieldError[] = [];
  for (const list of ['containers', 'initContainers']) {
    const cs = listAt(spec, list);
    if (cs.length !== listAt(oldSpec, list).length) return [...errs, forbiddenField(`spec.${list}`, 'pod updates may not add or remove containers')];
    cs.forEach((c, i) => {
      if (!str(c, 'image')) errs.push(required(`spec.${list}[${i}].image`));
    });
  }
  if (isSet(spec, 'activeDeadlineSeconds')) {
    const v = num(spec, 'activeDeadlineSeconds');
    if (v < 0 || v > MAX_INT32) return [...errs, invalidValue('spec.activeDeadlineSeconds', v, `must be between 0 and ${MAX_INT32}, inclusive`)];
    if (isSet(oldSpec, 'activeDeadlineSeconds') && num(oldSpec, 'activeDeadlineSeconds') < v) {
      return [...errs, invalidValue('spec.activeDeadlineSeconds', v, 'must be less than or equal to previous value')];
    }
  } else if (isSet(oldSpec, 'activeDeadlineSeconds')) {
    errs.push(invalidValue('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...tolerationsOnlyAdded(listAt(spec, 'tolerations'), listAt(oldSpec, 'tolerations'), 'spec.tolerations'));
  if (jsonEqual(spec, oldSpec)) return errs;
  const munged: Obj = structuredClone(spec);
  for (const list of ['containers', 'initContainers']) {
    const oldList = listAt(oldSpec, list);
    if (Array.isArray(munged[list])) munged[list] = (munged[list] as unknown[]).map((c, i) => (isObj(c) ? { ...c, image: (oldList[i] as Obj)?.image } : c));
  }
  const restore = (k: string) => {
    if (oldSpec[k] === undefined) delete munged[k];
    else munged[k] = oldSpec[k];
  };
  restore('activeDeadlineSeconds');
  restore('schedulingGates');
  restore('tolerations');
  if (num(oldSpec, 'terminationGracePeriodSeconds') < 0 && munged.terminationGracePeriodSeconds === 1) restore('terminationGracePeriodSeconds');
  if (!jsonEqual(munged, oldSpec)) {
    errs.push(forbiddenField('spec', `pod updates may not change fields other than ${UPDATABLE_POD_FIELDS.join(',')}\n${specDiff(oldSpec, munged)}`));
  }
  return errs;
}

/**
 * validatePod checks a Pod on create (old undefined) or update. An update that leaves the spec
 * as stored validates only the update rules, so that a pod stored before a rule existed can
 * still have its status and metadata written.
 */
export function validatePod(pod: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objAt(pod, 'spec');
  if (old && jsonEqual(spec, objAt(old, 'spec'))) return [];
  const errs = [...validatePodSpec(spec, 'spec', { isPod: true }), ...podOnlyImageErrors(spec)];
  if (!old) {
    const meta = objAt(pod, 'metadata');
    errs.push(...podAnnotationErrors(meta, spec, 'metadata.annotations'), ...securityAnnotationMatchErrors(meta, spec, 'spec'));
    if (listAt(spec, 'ephemeralContainers').length > 0) errs.push(forbiddenField('spec.ephemeralContainers', 'cannot be set on create'));
    if (str(spec, 'nodeName') && listAt(spec, 'schedulingGates').length > 0) errs.push(forbiddenField('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
    return errs;
  }
  return [...errs, ...validatePodUpdate(pod, old)];
}

/** validatePodTemplate checks a PodTemplate object (its template at "template"). */
export function validatePodTemplate(pt: KubeObject, old?: KubeObject): FieldError[] {
  if (old && jsonEqual(pt.template, old.template)) return [];
  return validatePodTemplateSpec(pt.template, 'template');
}
