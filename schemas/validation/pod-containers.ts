/**
 * Container validation with kube-apiserver's messages (validateContainers,
 * validateInitContainers, validateEphemeralContainers and what they share in
 * pkg/apis/core/validation): ports, volume mounts and devices, probes, lifecycle handlers.
 * Env vars (pod-env.ts), resources (pod-resources.ts) and security contexts
 * (pod-security-context.ts) have files of their own.
 */
import type { FieldError } from '../types';
import {
  type Obj, dnsLabel, duplicate, forbiddenField, invalidValue, isObj, isSet, listAt, localDescendingPath, nonNegative, notFound, notSupported,
  num, objAt, portNameErrors, portNumErrors, portNumOrName, required, str,
} from './field-errors';
import { envErrors, envFromErrors } from './pod-env';
import { validateResourceRequirements } from './pod-resources';
import { containerSecurityContextErrors } from './pod-security-context';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

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
  if (sc) errs.push(...containerSecurityContextErrors(sc, `${field}.securityContext`));
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

/** validateContainers is validateContainers: a pod's regular containers at field (at least one), names unique. */
export function validateContainers(containers: unknown[], volumes: Map<string, Obj>, gracePeriod: number | undefined, field: string): FieldError[] {
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

/** validateInitContainers is validateInitContainers: names unique among all containers, probes only for restartable ones. */
export function validateInitContainers(inits: unknown[], regular: unknown[], volumes: Map<string, Obj>, gracePeriod: number | undefined, field: string): FieldError[] {
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

/** validateEphemeralContainers is validateEphemeralContainers: no ports, resources, probes or lifecycle; targets exist. */
export function validateEphemeralContainers(ephemeral: unknown[], containers: unknown[], inits: unknown[], volumes: Map<string, Obj>, field: string): FieldError[] {
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
