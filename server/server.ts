/**
 * createNodeless wires one nodeless API server: store, resource table, registry with its
 * admission chain, the built-in controllers and the express app. Tests use it in-process;
 * main.ts uses it behind the CLI.
 */
import { stopYamlThread } from './http/yaml-thread';
import fs from 'node:fs';
import { isIPv6, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import https from 'node:https';
import { CustomResourceDefinitionController } from './apiextensions/crd-controller';
import { builtinControllers, type BuiltinControllerOptions } from '../controllers/builtin-controllers';
import { ControllerManager } from '../controllers/runtime/manager';
import { BillingRegistry } from '../controllers/runtime/billing';
import { PodLogRegistry } from '../controllers/runtime/pod-logs';
import { InProcessClient } from './in-process-client';
import { builtinGroupOrder, builtinPreferredVersions, builtinResources } from '../schemas/builtin';
import { openSqliteStore, type Store } from '../store';
import { createAuthority } from './auth/tls';
import { TokenAuthenticator } from './auth/token';
import { answerClientError, createApp } from './http/app';
import { ApiMetrics } from './http/metrics';
import { MAX_BODY_BYTES } from './http/codec';
import { OpenAPI } from './http/openapi';
import { Registry, type RegistryOptions } from './registry/generic-registry';
import { defaultIngressClassAdmission } from './registry/default-ingress-class';
import { limitRanger } from './registry/limit-ranger';
import { namespaceLifecycle } from './registry/namespace-lifecycle';
import { ledgerProtection } from './registry/ledger-protection';
import type { Authorizer } from './auth/authorizer';
import { budgetAdmission } from './registry/budget-admission';
import { resourceQuotaAdmission } from './registry/resource-quota-admission';
import { runtimeClassAdmission } from './registry/runtime-class';
import { serviceAccountAdmission } from './registry/service-account-admission';
import { IS_DEFAULT_CLASS_ANNOTATION, storageAdmission } from './registry/storage-admission';
import { LOCAL_PROVISIONER } from '../controllers/storage/local-provisioner';
import { ResourceTable } from './registry/resource-table';
import { repairServiceIPs, serviceAllocation } from './registry/service-allocation';
import { ServiceIPRange } from './registry/service-ip-range';
import { DEFAULT_INGRESS_CLASS, INGRESS_CONTROLLER } from '../controllers/networking/load-balancer-pool';
import { WebhookAdmission } from './admission/webhook-admission';
import { ValidatingAdmissionPolicyAdmission } from './admission/validating-admission-policy';
import { MutatingAdmissionPolicyAdmission } from './admission/mutating-admission-policy';
import { mutatingAdmissionPolicyResources } from '../schemas/builtin';
import { StatusError } from '../schemas/meta/status-error';
import { useResourcesForTypeChecking } from '../schemas/cel/policy-kinds';
import type { KubeObject, ResourceDefinition } from '../schemas/types';
import type express from 'express';

/** NodelessOptions configure one server. */
export interface NodelessOptions {
  /** SQLite database path (':memory:' for tests); ignored when store is given */
  databasePath?: string;
  store?: Store;
  /** bearer tokens accepted; none means no authentication (in-process tests only) */
  tokens?: string[];
  /** authorizer decides every API request and answers access reviews (default: every authenticated user may do everything) */
  authorizer?: Authorizer;
  registry?: RegistryOptions;
  /** compaction interval of the store (ms) */
  compactIntervalMs?: number;
  bookmarkIntervalMs?: number;
  log?: (record: Record<string, unknown>) => void;
  /** caCert is the PEM of the CA clients verify this server with, published in every namespace's
   * kube-root-ca.crt ConfigMap; without it (in-process servers without TLS) a placeholder CA is made */
  caCert?: string;
  /** processMetrics adds prom-client's process and Node.js metrics (heap, RSS, event loop lag) to /metrics */
  processMetrics?: boolean;
  /** controllers runs the built-in controllers in process (default true); false leaves them to
   * a `nodeless controllers` process */
  controllers?: boolean;
  /** scheduler runs the instance scheduler with the built-in controllers (default true): pods are
   * placed on (simulated) instances and run; false leaves them Pending for someone else. Options
   * tune it (provider, catalog, capacity, pod CIDR). */
  scheduler?: boolean | Exclude<BuiltinControllerOptions['scheduler'], false | undefined>;
  /** disabledControllers names built-in controllers not to run (kube-controller-manager's --controllers=-name), e.g. for tests that play one themselves */
  disabledControllers?: string[];
  /** terminatedPodGCThreshold is kube-controller-manager's --terminated-pod-gc-threshold for the in-process controllers */
  terminatedPodGCThreshold?: number;
  /** volumesDir is where the built-in provisioner makes the directories of the PersistentVolumes it
   * creates (`nodeless serve`: <data-dir>/volumes); without it a temporary directory is made and
   * removed again by close() */
  volumesDir?: string;
  /** serviceClusterIPRange is kube-apiserver's --service-cluster-ip-range (default 10.96.0.0/12, IPv4 only); a bad one throws ServiceIPRangeError */
  serviceClusterIPRange?: string;
  /** mutatingAdmissionPolicy is kube's MutatingAdmissionPolicy feature gate (alpha, default off): on, admissionregistration.k8s.io/v1alpha1 mutatingadmissionpolicies and their bindings are served and mutate writes */
  mutatingAdmissionPolicy?: boolean;
  /** loadBalancerIPPool is where the in-process controllers take LoadBalancer and Ingress addresses from (default 198.18.0.0/15) */
  loadBalancerIPPool?: string;
  /** conversionWebhookTimeoutSeconds bounds each CRD conversion webhook call (default 30, kube-apiserver's) */
  conversionWebhookTimeoutSeconds?: number;
}

/** Nodeless is a wired server; listen() serves it, close() stops everything. */
export interface Nodeless {
  app: express.Express;
  store: Store;
  registry: Registry;
  resources: ResourceTable;
  /** client is an in-process Client (field manager nodeless) for tools and tests */
  client: InProcessClient;
  /** controllers is the manager of the in-process controllers, when they run */
  controllers?: ControllerManager;
  /** podLogs is where an in-process instance scheduler serves pods/log from */
  podLogs: PodLogRegistry;
  /** serviceIPs is the service cluster IP range and what of it Services hold */
  serviceIPs: ServiceIPRange;
  /** webhooks is the admission webhook plugin (its configuration caches) */
  webhooks: WebhookAdmission;
  /** policies is the ValidatingAdmissionPolicy plugin (its policy and binding caches, its audit record) */
  policies: ValidatingAdmissionPolicyAdmission;
  /** mutatingPolicies is the MutatingAdmissionPolicy plugin, when its feature gate is on */
  mutatingPolicies?: MutatingAdmissionPolicyAdmission;
  /** listen serves on host:port, over TLS when tls is given. */
  listen(port: number, host: string, tls?: { cert: string; key: string }): Promise<http.Server>;
  close(): Promise<void>;
}

/** NAMESPACES_AT_START are created on the first start, as kube-apiserver does. */
export const NAMESPACES_AT_START = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** createNodeless builds and bootstraps a server. */
export async function createNodeless(options: NodelessOptions = {}): Promise<Nodeless> {
  const store =
    options.store ??
    openSqliteStore({ path: options.databasePath ?? ':memory:', compactIntervalMs: options.compactIntervalMs ?? 5 * 60_000, compactMinRetain: 1000, log: options.log });
  const resources = new ResourceTable([...builtinGroupOrder]);
  for (const def of builtinResources()) resources.add(def);
  if (options.mutatingAdmissionPolicy) for (const def of mutatingAdmissionPolicyResources()) resources.add(def);
  for (const [group, version] of builtinPreferredVersions()) resources.setPreferredVersion(group, version);
  // ValidatingAdmissionPolicy type checking resolves the kinds it matches, custom resources too, here.
  const stopTypeCheckingResources = useResourcesForTypeChecking(resources);
  const registry = new Registry(store, options.registry);
  registry.admission.use(namespaceLifecycle(registry, resources));
  registry.admission.use(ledgerProtection());
  registry.admission.use(runtimeClassAdmission(registry, resources));
  registry.admission.use(limitRanger(registry, resources));
  registry.admission.use(serviceAccountAdmission(registry, resources));
  const tuned = typeof options.scheduler === 'object' ? options.scheduler : {};
  registry.admission.use(budgetAdmission(registry, resources, { catalog: tuned.catalog, sizing: tuned.sizing, minimumSeconds: tuned.billing?.minimumSeconds }));
  for (const plugin of storageAdmission(registry, resources)) registry.admission.use(plugin);
  registry.admission.use(defaultIngressClassAdmission(registry, resources));
  // Webhooks follow the built-in plugins and precede quota, as kube's plugin order has them.
  // Policies validate before the validating webhooks (they have no admit step).
  // Mutating policies run before the mutating webhooks (kube: MutatingAdmissionPolicy, then MutatingAdmissionWebhook).
  const policies = new ValidatingAdmissionPolicyAdmission(registry, resources, { log: options.log });
  const mutatingPolicies = options.mutatingAdmissionPolicy ? new MutatingAdmissionPolicyAdmission(registry, resources, policies, { log: options.log }) : undefined;
  if (mutatingPolicies) registry.admission.use(mutatingPolicies.plugin());
  registry.admission.use(policies.plugin());
  const webhooks = new WebhookAdmission(registry, resources, { log: options.log });
  registry.admission.use(webhooks.plugin());
  // Quota charges what every other plugin accepted, so it comes last.
  registry.admission.use(resourceQuotaAdmission(registry, resources));
  const serviceIPs = new ServiceIPRange(options.serviceClusterIPRange);
  registry.writeHooks.use(serviceAllocation(serviceIPs));
  // The addresses stored Services hold are taken before any write can ask for one.
  const repaired = await repairServiceIPs(registry, resources.lookup('', 'v1', 'services')!, serviceIPs);
  if (repaired.outOfRange.length || repaired.duplicates.length) {
    options.log?.({ level: 'warning', msg: 'stored Services hold cluster IPs outside the range or twice', range: serviceIPs.cidr, outOfRange: repaired.outOfRange.slice(0, 20), duplicates: repaired.duplicates.slice(0, 20) });
  }
  await bootstrap(registry, resources, serviceIPs.first);
  webhooks.start();
  policies.start();
  mutatingPolicies?.start();
  await Promise.all([webhooks.waitForSync(), policies.waitForSync(), mutatingPolicies?.waitForSync()]);
  const client = new InProcessClient(registry, resources, 'nodeless');
  let controllers: ControllerManager | undefined;
  let temporaryVolumesDir: string | undefined;
  const podLogs = new PodLogRegistry();
  const billing = new BillingRegistry();
  if (options.controllers ?? true) {
    controllers = new ControllerManager(client, { log: options.log });
    const scheduler = options.scheduler ?? true;
    const schedulerOptions = scheduler === false ? false : { ...(scheduler === true ? {} : scheduler), logs: podLogs, bills: billing };
    const disabled = new Set(options.disabledControllers ?? []);
    if (!options.volumesDir) temporaryVolumesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-volumes-'));
    const volumesDir = options.volumesDir ?? temporaryVolumesDir!;
    const enabled = builtinControllers({ rootCACert: options.caCert ?? createAuthority().caCert, scheduler: schedulerOptions, terminatedPodGCThreshold: options.terminatedPodGCThreshold, volumesDir, loadBalancerIPPool: options.loadBalancerIPPool });
    controllers.add(...enabled.filter((c) => !disabled.has(c.name)));
    await controllers.start();
  }
  const crds = new CustomResourceDefinitionController(registry, resources, { log: options.log, conversionTimeoutSeconds: options.conversionWebhookTimeoutSeconds });
  await crds.start();
  let server: http.Server | undefined;
  const app = createApp({
    registry,
    resources,
    authenticator: options.tokens?.length ? new TokenAuthenticator(options.tokens) : undefined,
    authorizer: options.authorizer,
    openapi: new OpenAPI(resources),
    serverAddress: () => {
      const a = server?.address() as AddressInfo | null | undefined;
      return a ? `${a.address}:${a.port}` : '127.0.0.1:6443';
    },
    bookmarkIntervalMs: options.bookmarkIntervalMs,
    log: options.log,
    podLogs,
    storageHealth: () => store.health?.() ?? { ok: true },
    metrics: new ApiMetrics(
      {
        store: () => store.memory?.(),
        decoded: () => ({ bytes: registry.decoded.bytes, entries: registry.decoded.size, maxBytes: registry.decoded.maxBytes, maxEntries: registry.decoded.maxEntries }),
        maxBodyBytes: MAX_BODY_BYTES,
        billing: () => billing.bill(),
      },
      { processMetrics: options.processMetrics },
    ),
  });
  return {
    app,
    store,
    registry,
    resources,
    client,
    controllers,
    podLogs,
    serviceIPs,
    webhooks,
    policies,
    mutatingPolicies,
    listen(port, host, tls) {
      return new Promise<http.Server>((resolve, reject) => {
        server = tls ? https.createServer({ ...tls, keepAliveTimeout: 60_000 }, app) : http.createServer({ keepAliveTimeout: 60_000 }, app);
        server.on('clientError', answerClientError);
        server.once('error', reject);
        server.listen(port, host, () => resolve(server!));
      }).then(async (listening) => {
        await reconcileApiServerEndpoints(registry, resources, listeningEndpoint(listening.address() as AddressInfo), serviceIPs.first);
        return listening;
      });
    },
    async close() {
      controllers?.stop();
      webhooks.stop();
      policies.stop();
      mutatingPolicies?.stop();
      crds.stop();
      stopTypeCheckingResources();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      await stopYamlThread();
      await store.close();
      if (temporaryVolumesDir) fs.rmSync(temporaryVolumesDir, { recursive: true, force: true });
    },
  };
}

// bootstrap creates what kube-apiserver and its controllers have in place on a fresh cluster:
// the first namespaces, their `default` ServiceAccount, the default/kubernetes Service (at the
// first address of the service range) with the Endpoints and EndpointSlice pointing at this
// server, and the default IngressClass of the built-in ingress controller, as a managed
// cluster ships one. Objects that exist are left alone.
async function bootstrap(registry: Registry, resources: ResourceTable, kubernetesIP: string): Promise<void> {
  const nsDef = resources.lookup('', 'v1', 'namespaces')!;
  const saDef = resources.lookup('', 'v1', 'serviceaccounts')!;
  for (const name of NAMESPACES_AT_START) {
    await createIfAbsent(registry, nsDef, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await createIfAbsent(registry, saDef, name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  }
  const endpoint = DEFAULT_API_SERVER_ENDPOINT;
  await createIfAbsent(registry, resources.lookup('', 'v1', 'services')!, 'default', kubernetesService(endpoint, kubernetesIP));
  await createIfAbsent(registry, resources.lookup('', 'v1', 'endpoints')!, 'default', kubernetesEndpoints(endpoint));
  await createIfAbsent(registry, resources.lookup('discovery.k8s.io', 'v1', 'endpointslices')!, 'default', kubernetesEndpointSlice(endpoint));
  await createIfAbsent(registry, resources.lookup('storage.k8s.io', 'v1', 'storageclasses')!, undefined, standardStorageClass());
  await createIfAbsent(registry, resources.lookup('networking.k8s.io', 'v1', 'ingressclasses')!, undefined, defaultIngressClass());
}

/** DEFAULT_STORAGE_CLASS names the StorageClass present from the first start. */
export const DEFAULT_STORAGE_CLASS = 'standard';



// standardStorageClass is the default class, an addon in the sense of kube's addon manager with
// mode EnsureExists (as minikube's `standard` class is): it is created at start when no class of
// that name exists, and otherwise left exactly as it is, so a user's edits (another reclaim
// policy, the default annotation taken away) are kept. A class the user deleted comes back at the
// next start, as the addon manager would bring it back on its next pass.
function standardStorageClass(): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { [IS_DEFAULT_CLASS_ANNOTATION]: 'true' }, labels: { 'addonmanager.kubernetes.io/mode': 'EnsureExists' } },
    provisioner: LOCAL_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: true,
  };
}

// defaultIngressClass is the class the built-in ingress controller serves, marked default so
// Ingresses that name no class are served too.
function defaultIngressClass(): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: DEFAULT_INGRESS_CLASS, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
    spec: { controller: INGRESS_CONTROLLER },
  };
}

async function createIfAbsent(registry: Registry, def: ResourceDefinition, namespace: string | undefined, obj: KubeObject): Promise<void> {
  // Looked up first: a create of the kubernetes Service that exists would be refused for its
  // cluster IP (allocation comes before the store's AlreadyExists) rather than with a 409.
  const exists = await registry.get(def, namespace, obj.metadata!.name!).then(
    () => true,
    (err) => {
      if (err instanceof StatusError && err.code === 404) return false;
      throw err;
    },
  );
  if (exists) return;
  try {
    await registry.create(def, namespace, obj);
  } catch (err) {
    if (!(err instanceof StatusError && err.code === 409)) throw err;
  }
}

/** ApiServerEndpoint is where clients reach this API server: one IP and the secure port. */
export interface ApiServerEndpoint {
  ip: string;
  port: number;
}

/** KUBERNETES_SERVICE_IP is the cluster IP of default/kubernetes under the default range: the first of 10.96.0.0/12. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

// Until the server listens it advertises the loopback and the default secure port, as /api does.
const DEFAULT_API_SERVER_ENDPOINT: ApiServerEndpoint = { ip: '127.0.0.1', port: 6443 };

// listeningEndpoint is the address a listening server is reached at; an unspecified address
// (all interfaces) is advertised as the loopback.
function listeningEndpoint(address: AddressInfo): ApiServerEndpoint {
  const unspecified = address.address === '0.0.0.0' || address.address === '::';
  return { ip: unspecified ? '127.0.0.1' : address.address, port: address.port };
}

function kubernetesService(endpoint: ApiServerEndpoint, ip = KUBERNETES_SERVICE_IP): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: ip,
      clusterIPs: [ip],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: endpoint.port }],
      sessionAffinity: 'None',
    },
  };
}

function kubernetesEndpoints(endpoint: ApiServerEndpoint): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    // The EndpointSlice is written here too, so the mirroring controller must leave it alone.
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: endpoint.ip }], ports: [{ name: 'https', port: endpoint.port, protocol: 'TCP' }] }],
  };
}

function kubernetesEndpointSlice(endpoint: ApiServerEndpoint): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: isIPv6(endpoint.ip) ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [endpoint.ip], conditions: { ready: true } }],
    ports: [{ name: 'https', port: endpoint.port, protocol: 'TCP' }],
  };
}

// reconcileApiServerEndpoints points default/kubernetes at the address the server listens on,
// recreating the Endpoints or EndpointSlice if someone deleted them. Only the fields that follow
// the listener are rewritten; the rest of each object is left as it is.
async function reconcileApiServerEndpoints(registry: Registry, resources: ResourceTable, endpoint: ApiServerEndpoint, kubernetesIP: string): Promise<void> {
  const service = kubernetesService(endpoint, kubernetesIP);
  const endpoints = kubernetesEndpoints(endpoint);
  const slice = kubernetesEndpointSlice(endpoint);
  const desired: Array<[ResourceDefinition, KubeObject, (current: KubeObject) => KubeObject]> = [
    [resources.lookup('', 'v1', 'services')!, service, (cur) => ({ ...cur, spec: { ...(cur.spec as object), ports: (service.spec as { ports: unknown }).ports } })],
    [resources.lookup('', 'v1', 'endpoints')!, endpoints, (cur) => ({ ...cur, subsets: endpoints.subsets })],
    [
      resources.lookup('discovery.k8s.io', 'v1', 'endpointslices')!,
      slice,
      (cur) => ({ ...cur, addressType: slice.addressType, endpoints: slice.endpoints, ports: slice.ports }),
    ],
  ];
  for (const [def, want, reconcile] of desired) {
    try {
      await registry.guaranteedUpdate(def, 'default', 'kubernetes', reconcile);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
      await createIfAbsent(registry, def, 'default', want);
    }
  }
}
