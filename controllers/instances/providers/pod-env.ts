/**
 * A container's environment as a kubelet builds it (kube's makeEnvironmentVariables and
 * envvars.FromServices): envFrom first, then env in order with $(VAR) expansion of what came
 * before, valueFrom from ConfigMaps, Secrets, the downward API and resources; the service
 * variables underneath; and command/args expanded against the result.
 */
import type { KubeObject } from '../../../schemas/types';
import { milliValue, parseQuantity, value, type Quantity } from '../../../schemas/meta/quantity';
import type { Container, Pod } from '../pod';

/**
 * ContainerConfigFailure is a container that cannot be configured, with the waiting reason a
 * kubelet would show (CreateContainerConfigError, CreateContainerError, RunContainerError) and its
 * message.
 */
export class ContainerConfigFailure extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = 'ContainerConfigFailure';
  }
}

/** configFailure is a CreateContainerConfigError: what a kubelet reports when the env cannot be built. */
function configFailure(message: string): ContainerConfigFailure {
  return new ContainerConfigFailure('CreateContainerConfigError', message);
}

/** Lookups is the part of EnvironmentSource the environment needs, memoised per pod by the caller. */
export interface Lookups {
  configMap(name: string): Promise<KubeObject | undefined>;
  secret(name: string): Promise<KubeObject | undefined>;
}

/** Allocatable is what an unset limit defaults to in the downward API (kube uses the node's allocatable). */
export interface Allocatable {
  milliCPU: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
}

/** PodFacts are the runtime values the downward API reads beside the Pod object. */
export interface PodFacts {
  podIP: string;
  podIPs: string[];
  hostIP: string;
  hostIPs: string[];
  nodeName: string;
  allocatable: Allocatable;
}

// ---------------------------------------------------------------------------
// $(VAR) expansion, as kube's third_party/forked/golang/expansion.

/**
 * expand replaces $(NAME) by lookup(NAME), leaving an unknown reference as written; `$$` is a
 * literal `$`; a `$` before anything else, or an unterminated `$(`, stays as it is.
 */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 2;
      } else {
        const name = input.slice(i + 2, close);
        out += lookup(name) ?? `$(${name})`;
        i = close + 1;
      }
    } else {
      out += '$' + next;
      i += 2;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Service environment variables.

interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
}

// envName turns a Service or port name into an environment variable name, as a kubelet does.
function envName(s: string): string {
  const n = s.replace(/[.-]/g, '_').toUpperCase();
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

function clusterIPOf(svc: KubeObject): string {
  return ((svc.spec as { clusterIP?: string } | undefined)?.clusterIP ?? '').trim();
}

/** isServiceIPSet is false for a headless Service (clusterIP None) or one without an address. */
export function isServiceIPSet(svc: KubeObject): boolean {
  const ip = clusterIPOf(svc);
  return ip !== '' && ip !== 'None';
}

/** serviceVariables are the variables one Service gives every container (FOO_SERVICE_HOST, FOO_PORT_80_TCP_ADDR, ...). */
export function serviceVariables(svc: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const ports = ((svc.spec as { ports?: ServicePort[] } | undefined)?.ports ?? []).filter((p) => typeof p?.port === 'number');
  if (!isServiceIPSet(svc) || ports.length === 0) return out;
  const ip = clusterIPOf(svc);
  const prefix = envName(svc.metadata?.name ?? '');
  out[`${prefix}_SERVICE_HOST`] = ip;
  out[`${prefix}_SERVICE_PORT`] = String(ports[0].port);
  for (const p of ports) if (p.name) out[`${prefix}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
  ports.forEach((p, i) => {
    const proto = (p.protocol || 'TCP').toLowerCase();
    const url = `${proto}://${ip}:${p.port}`;
    if (i === 0) out[`${prefix}_PORT`] = url;
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out[pp] = url;
    out[`${pp}_PROTO`] = proto;
    out[`${pp}_PORT`] = String(p.port);
    out[`${pp}_ADDR`] = ip;
  });
  return out;
}

/**
 * serviceEnvironment is getServiceEnvVarMap: default/kubernetes always, and with enableServiceLinks
 * every Service of the pod's namespace that has a cluster IP.
 */
export function serviceEnvironment(namespace: string, enableServiceLinks: boolean, namespaceServices: KubeObject[], defaultServices: KubeObject[]): Record<string, string> {
  const chosen = new Map<string, KubeObject>();
  for (const svc of defaultServices) {
    if (svc.metadata?.name === 'kubernetes' && isServiceIPSet(svc)) chosen.set('kubernetes', svc);
  }
  if (enableServiceLinks) {
    for (const svc of namespaceServices) {
      const name = svc.metadata?.name ?? '';
      if (!isServiceIPSet(svc)) continue;
      // The master service from the default namespace keeps its place, as in the kubelet.
      if (name === 'kubernetes' && chosen.has(name) && namespace !== 'default') continue;
      chosen.set(name, svc);
    }
  }
  const out: Record<string, string> = {};
  for (const svc of chosen.values()) Object.assign(out, serviceVariables(svc));
  return out;
}

// ---------------------------------------------------------------------------
// The downward API.

// formatMap prints labels or annotations as the downward API does: key="value" lines, sorted.
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/**
 * fieldRefValue is a fieldRef's value (podFieldSelectorRuntimeValue plus fieldpath's accessors).
 * Labels and annotations as a whole are only valid in volumes; env validation refuses them.
 */
export function fieldRefValue(fieldPath: string, pod: Pod, facts: PodFacts): string {
  const meta = pod.metadata;
  const subscript = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (subscript) {
    const m = subscript[1] === 'labels' ? meta.labels : meta.annotations;
    return m?.[subscript[2]] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name;
    case 'metadata.namespace':
      return meta.namespace ?? 'default';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'spec.nodeName':
      return facts.nodeName;
    case 'spec.serviceAccountName':
      return (pod.spec.serviceAccountName as string | undefined) ?? '';
    case 'status.hostIP':
      return facts.hostIP;
    case 'status.hostIPs':
      return facts.hostIPs.join(',');
    case 'status.podIP':
      return facts.podIP;
    case 'status.podIPs':
      return facts.podIPs.join(',');
  }
  throw configFailure(`unsupported fieldPath: ${fieldPath}`);
}

interface ResourceFieldSelector {
  containerName?: string;
  resource: string;
  divisor?: string | number;
}

function quantityOrZero(v: unknown): Quantity {
  if (v === undefined || v === null || v === '') return parseQuantity(0);
  try {
    return parseQuantity(v as string | number);
  } catch {
    throw configFailure(`invalid quantity ${JSON.stringify(v)}`);
  }
}

/**
 * resourceFieldValue is a resourceFieldRef's value: ceil(quantity / divisor), cpu in millicores
 * against the divisor's millicores, the rest in units. An unset limit is the allocatable of the
 * instance the pod runs on, as a kubelet uses the node's allocatable.
 */
export function resourceFieldValue(sel: ResourceFieldSelector, pod: Pod, own: Container | undefined, facts: PodFacts): string {
  let container = own;
  if (sel.containerName) {
    container = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])].find((c) => c.name === sel.containerName);
    if (!container) throw configFailure(`container ${sel.containerName} not found`);
  }
  if (!container) throw configFailure(`resourceFieldRef ${sel.resource} needs a containerName`);
  const divisor = sel.divisor === undefined || sel.divisor === '' || quantityOrZero(sel.divisor).sign === 0 ? parseQuantity(1) : quantityOrZero(sel.divisor);
  const dot = sel.resource.indexOf('.');
  const kind = sel.resource.slice(0, dot);
  const name = sel.resource.slice(dot + 1);
  if ((kind !== 'limits' && kind !== 'requests') || !(name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-'))) {
    throw configFailure(`unsupported container resource : ${sel.resource}`);
  }
  const list = (kind === 'limits' ? container.resources?.limits : container.resources?.requests) ?? {};
  let q = list[name];
  if (kind === 'limits' && (q === undefined || q === '')) {
    const a = facts.allocatable;
    if (name === 'cpu') q = `${a.milliCPU}m`;
    else if (name === 'memory') q = a.memoryBytes;
    else if (name === 'ephemeral-storage') q = a.ephemeralStorageBytes;
  }
  const quantity = quantityOrZero(q);
  if (name === 'cpu') return String(Math.ceil(milliValue(quantity) / milliValue(divisor)));
  return String(Math.ceil(value(quantity) / value(divisor)));
}

// ---------------------------------------------------------------------------
// The container's variables.

interface KeyRef {
  name?: string;
  key: string;
  optional?: boolean;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: ResourceFieldSelector;
    configMapKeyRef?: KeyRef;
    secretKeyRef?: KeyRef;
  };
}
interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

/** decodeSecretValue turns a Secret's base64 data value into text. */
export function decodeSecretValue(v: unknown): string {
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '';
}

function configMapData(cm: KubeObject): Record<string, string> {
  return (cm.data as Record<string, string> | undefined) ?? {};
}
function secretData(s: KubeObject): Record<string, string> {
  return (s.data as Record<string, string> | undefined) ?? {};
}

/**
 * containerVariables are the variables a kubelet gives the container (makeEnvironmentVariables):
 * envFrom, then env in order (each value expanded against the variables before it and the service
 * variables), over the service variables. Throws ContainerConfigFailure with kube's messages.
 */
export async function containerVariables(pod: Pod, container: Container, services: Record<string, string>, lookups: Lookups, facts: PodFacts): Promise<Record<string, string>> {
  const ns = pod.metadata.namespace ?? 'default';
  const own: Record<string, string> = {};
  const getConfigMap = async (name: string, optional: boolean): Promise<KubeObject | undefined> => {
    const cm = await lookups.configMap(name);
    if (!cm && !optional) throw configFailure(`configmap "${name}" not found`);
    return cm;
  };
  const getSecret = async (name: string, optional: boolean): Promise<KubeObject | undefined> => {
    const s = await lookups.secret(name);
    if (!s && !optional) throw configFailure(`secret "${name}" not found`);
    return s;
  };

  for (const from of (container.envFrom as EnvFromSource[] | undefined) ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = await getConfigMap(from.configMapRef.name ?? '', from.configMapRef.optional === true);
      if (cm) for (const [k, v] of Object.entries(configMapData(cm))) setVariable(own, prefix + k, v);
    } else if (from.secretRef) {
      const s = await getSecret(from.secretRef.name ?? '', from.secretRef.optional === true);
      if (s) for (const [k, v] of Object.entries(secretData(s))) setVariable(own, prefix + k, decodeSecretValue(v));
    }
  }

  const lookup = (name: string): string | undefined => (Object.hasOwn(own, name) ? own[name] : Object.hasOwn(services, name) ? services[name] : undefined);
  for (const ev of (container.env as EnvVar[] | undefined) ?? []) {
    let v = ev.value ?? '';
    if (v !== '') {
      v = expand(v, lookup);
    } else if (ev.valueFrom) {
      const from = ev.valueFrom;
      if (from.fieldRef) {
        v = fieldRefValue(from.fieldRef.fieldPath, pod, facts);
      } else if (from.resourceFieldRef) {
        v = resourceFieldValue(from.resourceFieldRef, pod, container, facts);
      } else if (from.configMapKeyRef) {
        const ref = from.configMapKeyRef;
        const cm = await getConfigMap(ref.name ?? '', ref.optional === true);
        if (!cm) continue;
        const data = configMapData(cm);
        if (!Object.hasOwn(data, ref.key)) {
          if (ref.optional) continue;
          throw configFailure(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name ?? ''}`);
        }
        v = data[ref.key];
      } else if (from.secretKeyRef) {
        const ref = from.secretKeyRef;
        const s = await getSecret(ref.name ?? '', ref.optional === true);
        if (!s) continue;
        const data = secretData(s);
        if (!Object.hasOwn(data, ref.key)) {
          if (ref.optional) continue;
          throw configFailure(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name ?? ''}`);
        }
        v = decodeSecretValue(data[ref.key]);
      }
    }
    setVariable(own, ev.name, v);
  }
  return { ...services, ...own };
}

// setVariable skips a name no process environment can hold (one with '=' or a NUL).
function setVariable(env: Record<string, string>, name: string, v: string): void {
  if (name === '' || name.includes('=') || name.includes('\0')) return;
  env[name] = v.replace(/\0/g, '');
}

/** commandLine is command + args with $(VAR) expanded against the container's variables (ExpandContainerCommandAndArgs). */
export function commandLine(container: Container, variables: Record<string, string>): string[] {
  const lookup = (name: string): string | undefined => (Object.hasOwn(variables, name) ? variables[name] : undefined);
  const command = (container.command as string[] | undefined) ?? [];
  const args = (container.args as string[] | undefined) ?? [];
  return [...command, ...args].map((s) => expand(String(s), lookup));
}

/**
 * podHostname is the pod's hostname and domain as GeneratePodHostNameAndDomain: spec.hostname or
 * the pod name, cut to 63 characters; with spec.subdomain the domain <subdomain>.<ns>.svc.<cluster domain>.
 */
export function podHostname(pod: Pod, clusterDomain: string): { hostname: string; domain: string } {
  let hostname = (pod.spec.hostname as string | undefined) || pod.metadata.name;
  if (hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  const sub = pod.spec.subdomain as string | undefined;
  const domain = sub ? `${sub}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}
