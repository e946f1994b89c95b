/**
 * ServiceAccount admission, as kube-apiserver's ServiceAccount plugin does it for Pods at create:
 * the Pod runs as a ServiceAccount that must exist ("default" unless it names one), takes the
 * account's imagePullSecrets when it names none, and, unless the Pod or else the account opts
 * out with automountServiceAccountToken: false, gets the projected kube-api-access-xxxxx volume
 * (a bound token, the cluster CA and its namespace) mounted in every container.
 */
import type { KubeObject } from '../../schemas/types';
import type { AdmissionAttributes, AdmissionPlugin } from './admission';
import type { Registry } from './generic-registry';
import type { ResourceTable } from './resource-table';
import { StatusError, forbidden } from '../../schemas/meta/status-error';

/** DEFAULT_SERVICE_ACCOUNT_NAME is the account a Pod runs as when it names none. */
export const DEFAULT_SERVICE_ACCOUNT_NAME = 'default';
/** SERVICE_ACCOUNT_VOLUME_PREFIX starts the name of the projected token volume. */
export const SERVICE_ACCOUNT_VOLUME_PREFIX = 'kube-api-access-';
/** DEFAULT_API_TOKEN_MOUNT_PATH is where every container finds the token, CA and namespace. */
export const DEFAULT_API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** ROOT_CA_CONFIG_MAP is the ConfigMap every namespace holds the cluster CA in (key ca.crt). */
export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';
/** ENFORCE_MOUNTABLE_SECRETS_ANNOTATION on an account limits its Pods to the secrets it lists. */
export const ENFORCE_MOUNTABLE_SECRETS_ANNOTATION = 'kubernetes.io/enforce-mountable-secrets';
// serviceaccount.WarnOnlyBoundTokenExpirationSeconds: one hour and seven seconds.
const TOKEN_EXPIRATION_SECONDS = 3607;
// names.SimpleNameGenerator's alphabet: no vowels, no look-alike digits.
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** ServiceAccountAdmissionOptions inject randomness and the wait between lookups. */
export interface ServiceAccountAdmissionOptions {
  random?: () => number;
  /** sleep waits before looking the default account up again; it may still be on its way */
  sleep?: (ms: number) => Promise<void>;
}

type Obj = Record<string, unknown>;

interface Container {
  name?: string;
  env?: Array<{ name?: string; valueFrom?: { secretKeyRef?: { name?: string } } }>;
  envFrom?: Array<{ secretRef?: { name?: string } }>;
  volumeMounts?: Array<{ name?: string; mountPath?: string; readOnly?: boolean }>;
}

interface PodSpec {
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: Array<{ name?: string }>;
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name?: string; secret?: { secretName?: string } } & Obj>;
}

interface ServiceAccount extends KubeObject {
  automountServiceAccountToken?: boolean;
  secrets?: Array<{ name?: string }>;
  imagePullSecrets?: Array<{ name?: string }>;
}

/** serviceAccountAdmission returns the plugin; it reads ServiceAccounts through the registry. */
export function serviceAccountAdmission(registry: Registry, resources: ResourceTable, options: ServiceAccountAdmissionOptions = {}): AdmissionPlugin {
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  // lookup reads the account; undefined when it does not exist. The default account is created
  // by a controller just after its namespace, so it is asked for a few more times.
  const lookup = async (namespace: string, name: string): Promise<ServiceAccount | undefined> => {
    const saDef = resources.lookup('', 'v1', 'serviceaccounts')!;
    const attempts = name === DEFAULT_SERVICE_ACCOUNT_NAME ? 10 : 1;
    const retryMs = 100 + Math.floor(random() * 100);
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await sleep(retryMs);
      try {
        return registry.decode(await registry.get(saDef, namespace, name)) as ServiceAccount;
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) throw err;
        // A Pod in a namespace that is missing or going away is NamespaceLifecycle's to refuse.
        if (!(await namespaceActive(namespace))) return undefined;
      }
    }
    return undefined;
  };

  const namespaceActive = async (namespace: string): Promise<boolean> => {
    const nsDef = resources.lookup('', 'v1', 'namespaces')!;
    try {
      const ns = registry.decode(await registry.get(nsDef, undefined, namespace));
      return !ns.metadata?.deletionTimestamp && (ns.status as { phase?: string } | undefined)?.phase !== 'Terminating';
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return false;
      throw err;
    }
  };

  const notFound = async (attrs: AdmissionAttributes, name: string): Promise<StatusError | undefined> => {
    if (!(await namespaceActive(attrs.namespace!))) return undefined;
    return forbidden({ group: '', resource: 'pods' }, attrs.name, `error looking up service account ${attrs.namespace}/${name}: serviceaccount "${name}" not found`);
  };

  return {
    name: 'ServiceAccount',
    async admit(attrs) {
      if (!handles(attrs)) return;
      const spec = podSpec(attrs.object!);
      if (!spec.serviceAccountName) spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT_NAME;
      if (!spec.serviceAccount) spec.serviceAccount = spec.serviceAccountName;
      const sa = await lookup(attrs.namespace!, spec.serviceAccountName);
      if (!sa) {
        const err = await notFound(attrs, spec.serviceAccountName);
        if (err) throw err;
        return;
      }
      if (shouldAutomount(sa, spec)) mountServiceAccountToken(spec, random);
      if (!spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) {
        spec.imagePullSecrets = sa.imagePullSecrets.map((s) => ({ name: s?.name }));
      }
    },
    async validate(attrs) {
      if (!handles(attrs)) return;
      const spec = podSpec(attrs.object!);
      if (!spec.serviceAccountName) {
        throw forbidden({ group: '', resource: 'pods' }, attrs.name, `no service account specified for pod ${attrs.namespace}/${attrs.name}`);
      }
      const sa = await lookup(attrs.namespace!, spec.serviceAccountName);
      if (!sa) {
        const err = await notFound(attrs, spec.serviceAccountName);
        if (err) throw err;
        return;
      }
      // strconv.ParseBool's spellings of true.
      if (!['1', 't', 'T', 'true', 'TRUE', 'True'].includes(sa.metadata?.annotations?.[ENFORCE_MOUNTABLE_SECRETS_ANNOTATION] ?? '')) return;
      const refused = secretReferenceRefusal(sa, spec);
      if (refused) throw forbidden({ group: '', resource: 'pods' }, attrs.name, refused);
    },
  };
}

// handles: Pods at create, not their subresources.
function handles(attrs: AdmissionAttributes): boolean {
  return attrs.operation === 'CREATE' && attrs.resource.group === '' && attrs.resource.plural === 'pods' && !attrs.subresource && !!attrs.object && !!attrs.namespace;
}

function podSpec(pod: KubeObject): PodSpec {
  if (!pod.spec || typeof pod.spec !== 'object') pod.spec = {};
  return pod.spec as PodSpec;
}

// shouldAutomount: the Pod's choice wins, then the account's; the default is to mount.
function shouldAutomount(sa: ServiceAccount, spec: PodSpec): boolean {
  if (typeof spec.automountServiceAccountToken === 'boolean') return spec.automountServiceAccountToken;
  if (typeof sa.automountServiceAccountToken === 'boolean') return sa.automountServiceAccountToken;
  return true;
}

// mountServiceAccountToken mounts the token volume (an existing kube-api-access-* volume, or a
// new one) in every container and init container that has nothing at the token path yet.
function mountServiceAccountToken(spec: PodSpec, random: () => number): void {
  const existing = (spec.volumes ?? []).find((v) => typeof v?.name === 'string' && v.name.startsWith(SERVICE_ACCOUNT_VOLUME_PREFIX));
  const volumeName = existing?.name ?? generateName(SERVICE_ACCOUNT_VOLUME_PREFIX, random);
  let needed = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if (!c || typeof c !== 'object') continue;
    if ((c.volumeMounts ?? []).some((m) => m?.mountPath === DEFAULT_API_TOKEN_MOUNT_PATH)) continue;
    c.volumeMounts = [...(c.volumeMounts ?? []), { name: volumeName, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH }];
    needed = true;
  }
  if (!existing && needed) spec.volumes = [...(spec.volumes ?? []), { name: volumeName, projected: tokenVolumeSource() }];
}

// tokenVolumeSource is the projected source of the kube-api-access volume, as Kubernetes writes it.
function tokenVolumeSource(): Obj {
  return {
    // Written out although it is the default (kubernetes#104464).
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
      { configMap: { name: ROOT_CA_CONFIG_MAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

function generateName(prefix: string, random: () => number): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[Math.floor(random() * NAME_ALPHABET.length)];
  return prefix + suffix;
}

// secretReferenceRefusal is why a Pod may not use a secret its account does not list, when the
// account enforces mountable secrets; undefined when every reference is listed.
function secretReferenceRefusal(sa: ServiceAccount, spec: PodSpec): string | undefined {
  const account = sa.metadata?.name;
  const mountable = new Set((sa.secrets ?? []).map((s) => s?.name));
  for (const v of spec.volumes ?? []) {
    const name = v?.secret?.secretName;
    if (v?.secret && !mountable.has(name)) {
      return `volume with secret.secretName="${name ?? ''}" is not allowed because service account ${account} does not reference that secret`;
    }
  }
  const containers: Array<[string, Container[] | undefined]> = [
    ['init container', spec.initContainers],
    ['container', spec.containers],
  ];
  for (const [what, list] of containers) {
    for (const c of list ?? []) {
      for (const env of c?.env ?? []) {
        const ref = env?.valueFrom?.secretKeyRef;
        if (ref && !mountable.has(ref.name)) {
          return `${what} ${c.name} with envVar ${env.name} referencing secret.secretName="${ref.name ?? ''}" is not allowed because service account ${account} does not reference that secret`;
        }
      }
      for (const from of c?.envFrom ?? []) {
        const ref = from?.secretRef;
        if (ref && !mountable.has(ref.name)) {
          return `${what} ${c.name} with envFrom referencing secret.secretName="${ref.name ?? ''}" is not allowed because service account ${account} does not reference that secret`;
        }
      }
    }
  }
  const pullSecrets = new Set((sa.imagePullSecrets ?? []).map((s) => s?.name));
  const refs = spec.imagePullSecrets ?? [];
  for (let i = 0; i < refs.length; i++) {
    if (!pullSecrets.has(refs[i]?.name)) {
      return `imagePullSecrets[${i}].name="${refs[i]?.name ?? ''}" is not allowed because service account ${account} does not reference that imagePullSecret`;
    }
  }
  return undefined;
}
