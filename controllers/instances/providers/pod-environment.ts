/**
 * The per-pod environment the process provider runs each container in, as a kubelet prepares it
 * before starting a container: the environment variables (pod-env.ts), the volumes under the
 * pod's scratch directory (pod-volumes.ts), a hosts file, and the argv that puts each volume at
 * its mountPath (pod-mounts.ts).
 *
 * Call preparePod before each container (re)start, as a kubelet rebuilds a container's options
 * every time: ConfigMap and Secret changes then reach the new process, emptyDir contents survive.
 *
 * Layout of the scratch directory: volumes/<volume>/ (configMap, secret, downwardAPI and projected
 * in the atomic-writer layout), etc-hosts, containers/<container>/mounts.sh (the namespace script)
 * and rootfs/ (the fallback's mount points). The scratch directory is also the default working
 * directory under a mount namespace.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '../../runtime/client';
import { CONFIG_MAPS, PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES, SECRETS, SERVICES, isNotFound } from '../../runtime/client';
import type { KubeObject } from '../../../schemas/types';
import type { Container, Pod } from '../pod';
import { ContainerConfigFailure, commandLine, containerVariables, podHostname, serviceEnvironment, type Allocatable, type PodFacts } from './pod-env';
import { namespacesAvailable, nsenterPath, planMounts, type Isolation } from './pod-mounts';
import { MountFailure, materialiseVolumes, type MaterialisedVolume } from './pod-volumes';

/** EnvironmentSource is the read-only lookups preparePod needs (implemented over the controllers' Client). */
export interface EnvironmentSource {
  configMap(namespace: string, name: string): Promise<KubeObject | undefined>;
  secret(namespace: string, name: string): Promise<KubeObject | undefined>;
  services(namespace: string): Promise<KubeObject[]>;
  persistentVolumeClaim(namespace: string, name: string): Promise<KubeObject | undefined>;
  persistentVolume(name: string): Promise<KubeObject | undefined>;
}

// getOrUndefined answers undefined for a 404 and rethrows anything else.
async function getOrUndefined(read: () => Promise<KubeObject>): Promise<KubeObject | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** clientEnvironmentSource reads ConfigMaps, Secrets, Services, claims and volumes through a Client; a 404 is undefined. */
export function clientEnvironmentSource(client: Client): EnvironmentSource {
  return {
    configMap: (ns, name) => getOrUndefined(() => client.get(CONFIG_MAPS, ns, name)),
    secret: (ns, name) => getOrUndefined(() => client.get(SECRETS, ns, name)),
    services: async (ns) => (await client.list(SERVICES, ns)).items,
    persistentVolumeClaim: (ns, name) => getOrUndefined(() => client.get(PERSISTENT_VOLUME_CLAIMS, ns, name)),
    persistentVolume: (name) => getOrUndefined(() => client.get(PERSISTENT_VOLUMES, undefined, name)),
  };
}

/**
 * PreparedContainer is how to start one container: spawn argv in cwd with exactly env (nothing
 * inherited). workingDir is the directory the process sees as its own (under a mount namespace
 * the script changes to it after mounting, so cwd, the spawn directory, may differ).
 */
export interface PreparedContainer {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  workingDir: string;
  /** isolation says whether the mounts are real (namespace) or mapped under the scratch dir (fallback). */
  isolation: Isolation;
}

/**
 * ContainerConfigError is a container that cannot start, with the waiting reason and message a
 * kubelet shows: CreateContainerConfigError (missing ConfigMap, Secret or key; a volumeMount naming
 * no volume), CreateContainerError (no command), RunContainerError (command not found, working
 * directory unusable), or ContainerCreating while the pod's volumes cannot be set up (see mountError).
 */
export interface ContainerConfigError {
  error: { reason: string; message: string };
}

/** PreparedPod holds each init and app container by name, prepared or with the reason it cannot start. */
export interface PreparedPod {
  containers: Map<string, PreparedContainer | ContainerConfigError>;
  /**
   * mountError is set when a volume cannot be set up (a missing ConfigMap, an unbound claim): every
   * container then waits in ContainerCreating, and a kubelet records a FailedMount Event with this
   * message and retries, as the provider should.
   */
  mountError?: { reason: 'FailedMount'; message: string };
}

/** PrepareOptions are the runtime facts beside the Pod. */
export interface PrepareOptions {
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  hostIPs?: string[];
  nodeName?: string;
  /**
   * allocatable is what an unset limit reads as in resourceFieldRef (kube: the node's allocatable).
   * Pass the instance size (placement.size milliCPU/memoryBytes); the default is this machine's
   * CPUs and memory, and the scratch directory's filesystem size for ephemeral-storage.
   */
  allocatable?: Partial<Allocatable>;
  /** clusterDomain is the DNS domain in the hosts file for a pod with a subdomain (default cluster.local). */
  clusterDomain?: string;
  /** baseEnv stands in for the image's environment, under everything else (default PATH and HOME of this process). */
  baseEnv?: Record<string, string>;
  /** isolation forces namespace or fallback mounting; the default uses namespaces where they work. */
  isolation?: Isolation;
  /** serviceAccountToken mints tokens for projected serviceAccountToken sources; without it the token file is left out. */
  serviceAccountToken?: (audience: string | undefined, expirationSeconds: number) => Promise<string | undefined>;
}

/** isContainerConfigError tells a failed container from a prepared one. */
export function isContainerConfigError(c: PreparedContainer | ContainerConfigError): c is ContainerConfigError {
  return 'error' in c;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function defaultAllocatable(scratchDir: string, given: Partial<Allocatable> | undefined): Allocatable {
  let disk = 0;
  try {
    const s = fs.statfsSync(scratchDir);
    disk = s.blocks * s.bsize;
  } catch {
    disk = 0;
  }
  return {
    milliCPU: given?.milliCPU ?? os.cpus().length * 1000,
    memoryBytes: given?.memoryBytes ?? os.totalmem(),
    ephemeralStorageBytes: given?.ephemeralStorageBytes ?? disk,
  };
}

/** hostsFileContent is the kubelet's managed hosts file: localhost entries, the pod's IPs with its name, then hostAliases. */
export function hostsFileContent(podIPs: string[], hostname: string, domain: string, hostAliases: HostAlias[] | undefined): string {
  let s = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';
  for (const ip of podIPs) s += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return s + hostAliasEntries(hostAliases);
}

/** HostAlias is a spec.hostAliases entry. */
export interface HostAlias {
  ip?: string;
  hostnames?: string[];
}

function hostAliasEntries(hostAliases: HostAlias[] | undefined): string {
  if (!hostAliases || hostAliases.length === 0) return '';
  return `\n# Entries added by HostAliases.\n${hostAliases.map((a) => `${a.ip ?? ''}\t${(a.hostnames ?? []).join('\t')}\n`).join('')}`;
}

function failure(err: unknown): ContainerConfigError {
  if (err instanceof ContainerConfigFailure) return { error: { reason: err.reason, message: err.message } };
  // Anything else (an unreadable directory, an API error) still leaves the container waiting with
  // a reason rather than crashing the provider.
  return { error: { reason: 'CreateContainerConfigError', message: err instanceof Error ? err.message : String(err) } };
}

/**
 * preparePod builds every container's start: env, argv, cwd, volumes and mounts. It never throws
 * for bad pod data: each problem becomes the container's ContainerConfigError (or the pod's
 * mountError); only a failing EnvironmentSource for Services rejects, as the kubelet's
 * "failed to list services" does, so the caller retries.
 */
export async function preparePod(pod: Pod, scratchDir: string, source: EnvironmentSource, opts: PrepareOptions = {}): Promise<PreparedPod> {
  const ns = pod.metadata.namespace ?? 'default';
  fs.mkdirSync(scratchDir, { recursive: true });
  const memo = new Map<string, Promise<KubeObject | undefined>>();
  const once = (key: string, read: () => Promise<KubeObject | undefined>) => {
    if (!memo.has(key)) memo.set(key, read());
    return memo.get(key)!;
  };
  const lookups = {
    configMap: (name: string) => once(`cm/${name}`, () => source.configMap(ns, name)),
    secret: (name: string) => once(`secret/${name}`, () => source.secret(ns, name)),
    persistentVolumeClaim: (name: string) => once(`pvc/${name}`, () => source.persistentVolumeClaim(ns, name)),
    persistentVolume: (name: string) => once(`pv/${name}`, () => source.persistentVolume(name)),
    serviceAccountToken: opts.serviceAccountToken,
  };
  const podIP = opts.podIP ?? pod.status?.podIP ?? '';
  const podIPs = opts.podIPs ?? (opts.podIP ? [opts.podIP] : (pod.status?.podIPs?.map((p) => p.ip) ?? (podIP ? [podIP] : [])));
  const hostIP = opts.hostIP ?? pod.status?.hostIP ?? '';
  const facts: PodFacts = {
    podIP: podIPs[0] ?? podIP,
    podIPs,
    hostIP,
    hostIPs: opts.hostIPs ?? (opts.hostIP ? [opts.hostIP] : (pod.status?.hostIPs?.map((p) => p.ip) ?? (hostIP ? [hostIP] : []))),
    nodeName: opts.nodeName ?? (pod.spec.nodeName as string | undefined) ?? '',
    allocatable: defaultAllocatable(scratchDir, opts.allocatable),
  };
  const containers: Container[] = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])];
  const prepared: PreparedPod = { containers: new Map() };

  let volumes: Map<string, MaterialisedVolume>;
  try {
    volumes = await materialiseVolumes(pod, scratchDir, lookups, facts);
  } catch (err) {
    const message = err instanceof MountFailure ? err.message : `MountVolume.SetUp failed: ${err instanceof Error ? err.message : String(err)}`;
    prepared.mountError = { reason: 'FailedMount', message };
    for (const c of containers) prepared.containers.set(c.name, { error: { reason: 'ContainerCreating', message } });
    return prepared;
  }

  const enableServiceLinks = pod.spec.enableServiceLinks !== false;
  const [inNamespace, inDefault] = await Promise.all([enableServiceLinks ? source.services(ns) : Promise.resolve([]), ns === 'default' && enableServiceLinks ? Promise.resolve(undefined) : source.services('default')]);
  const services = serviceEnvironment(ns, enableServiceLinks, inNamespace, inDefault ?? inNamespace);

  const clusterDomain = opts.clusterDomain ?? 'cluster.local';
  const { hostname, domain } = podHostname(pod, clusterDomain);
  const hostNetwork = pod.spec.hostNetwork === true;
  let hostsFile: string | undefined;
  if (podIPs.length > 0 || hostNetwork) {
    hostsFile = path.join(scratchDir, 'etc-hosts');
    const aliases = pod.spec.hostAliases as HostAlias[] | undefined;
    let content: string;
    if (hostNetwork) {
      let node = '';
      try {
        node = fs.readFileSync('/etc/hosts', 'utf8');
      } catch {
        node = '';
      }
      content = `# Kubernetes-managed hosts file (host network).\n${node}${hostAliasEntries(aliases)}`;
    } else {
      content = hostsFileContent(podIPs, hostname, domain, aliases);
    }
    fs.writeFileSync(hostsFile, content, { mode: 0o644 });
  }

  const isolation: Isolation = opts.isolation ?? (namespacesAvailable() ? 'namespace' : 'fallback');
  const baseEnv = opts.baseEnv ?? { PATH: process.env.PATH || DEFAULT_PATH, HOME: process.env.HOME || '/root' };
  for (const c of containers) {
    try {
      const variables = await containerVariables(pod, c, services, lookups, facts);
      const argv = commandLine(c, variables);
      if (((c.command as string[] | undefined) ?? []).length === 0 || argv.length === 0 || argv[0] === '') {
        throw new ContainerConfigFailure(
          'CreateContainerError',
          `failed to generate container "${c.name}" spec: no command specified: the process provider has no images and runs spec.containers[].command (with args), so container "${c.name}" needs a command`,
        );
      }
      // The runtime's HOSTNAME and the image's variables sit under the kubelet's, as in containerd.
      const env = { HOSTNAME: hostname, ...baseEnv, ...variables };
      const plan = planMounts({ container: c, volumes, scratchDir, env, argv, hostsFile, hostname }, isolation);
      prepared.containers.set(c.name, { ...plan, env, isolation });
    } catch (err) {
      prepared.containers.set(c.name, failure(err));
    }
  }
  return prepared;
}

/**
 * prepareHook adapts preparePod to a provider hook that wants only the containers map (the shape
 * the process provider's ProcessProviderOptions.prepare takes); a mountError shows as every
 * container's ContainerCreating error.
 */
export function prepareHook(source: EnvironmentSource, opts: PrepareOptions = {}): (pod: Pod, scratchDir: string) => Promise<Map<string, PreparedContainer | ContainerConfigError>> {
  return async (pod, scratchDir) => (await preparePod(pod, scratchDir, source, opts)).containers;
}

/**
 * execArgv is the argv that runs command inside a running container, as an exec probe or
 * `kubectl exec` must: under namespace isolation nsenter(1) joins the process's mount and UTS
 * namespaces, root and working directory; in the fallback the command runs as it is (spawn it in
 * the container's cwd with its env).
 */
export function execArgv(prepared: PreparedContainer, pid: number, command: string[]): string[] {
  if (prepared.isolation !== 'namespace') return [...command];
  return [nsenterPath(), `--target=${pid}`, '--mount', '--uts', '--root', '--wd', '--', ...command];
}
