/**
 * createNodeless wires one nodeless API server: store, resource table, registry with its
 * admission chain, the built-in controllers and the express app. Tests use it in-process;
 * main.ts uses it behind the CLI.
 */
import { isIPv6, type AddressInfo } from 'node:net';
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
import { limitRanger } from './registry/limit-ranger';
import { namespaceLifecycle } from './registry/namespace-lifecycle';
import { resourceQuotaAdmission } from './registry/resource-quota-admission';
import { runtimeClassAdmission } from './registry/runtime-class';
import { serviceAccountAdmission } from './registry/service-account-admission';
import { ResourceTable } from './registry/resource-table';
import { WebhookAdmission } from './admission/webhook-admission';
import { ValidatingAdmissionPolicyAdmission } from './admission/validating-admission-policy';
import { StatusError } from '../schemas/meta/status-error';
import type { KubeObject, ResourceDefinition } from '../schemas/types';
import type express from 'express';

/** NodelessOptions configure one server. */
export interface NodelessOptions {
  /** SQLite database path (':memory:' for tests); ignored when store is given */
  databasePath?: string;
  store?: Store;
  /** bearer tokens accepted; none means no authentication (in-process tests only) */
  tokens?: string[];
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
  /** webhooks is the admission webhook plugin (its configuration caches) */
  webhooks: WebhookAdmission;
  /** policies is the ValidatingAdmissionPolicy plugin (its policy and binding caches, its audit record) */
  policies: ValidatingAdmissionPolicyAdmission;
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
  for (const [group, version] of builtinPreferredVersions()) resources.setPreferredVersion(group, version);
  const registry = new Registry(store, options.registry);
  registry.admission.use(namespaceLifecycle(registry, resources));
  registry.admission.use(runtimeClassAdmission(registry, resources));
  registry.admission.use(limitRanger(registry, resources));
  registry.admission.use(serviceAccountAdmission(registry, resources));
  // Webhooks follow the built-in plugins and precede quota, as kube's plugin order has them.
  // Policies validate before the validating webhooks (they have no admit step).
  const policies = new ValidatingAdmissionPolicyAdmission(registry, resources, { log: options.log });
  registry.admission.use(policies.plugin());
  const webhooks = new WebhookAdmission(registry, resources, { log: options.log });
  registry.admission.use(webhooks.plugin());
  // Quota charges what every other plugin accepted, so it comes last.
  registry.admission.use(resourceQuotaAdmission(registry, resources));
  await bootstrap(registry, resources);
  webhooks.start();
  policies.start();
  await Promise.all([webhooks.waitForSync(), policies.waitForSync()]);
  const client = new InProcessClient(registry, resources, 'nodeless');
  let controllers: ControllerManager | undefined;
  const podLogs = new PodLogRegistry();
  const billing = new BillingRegistry();
  if (options.controllers ?? true) {
    controllers = new ControllerManager(client, { log: options.log });
    const scheduler = options.scheduler ?? true;
    const schedulerOptions = scheduler === false ? false : { ...(scheduler === true ? {} : scheduler), logs: podLogs, bills: billing };
    const disabled = new Set(options.disabledControllers ?? []);
    const enabled = builtinControllers({ rootCACert: options.caCert ?? createAuthority().caCert, scheduler: schedulerOptions, terminatedPodGCThreshold: options.terminatedPodGCThreshold });
    controllers.add(...enabled.filter((c) => !disabled.has(c.name)));
    await controllers.start();
  }
  const crds = new CustomResourceDefinitionController(registry, resources, { log: options.log });
  await crds.start();
  let server: http.Server | undefined;
  const app = createApp({
    registry,
    resources,
    authenticator: options.tokens?.length ? new TokenAuthenticator(options.tokens) : undefined,
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
    webhooks,
    policies,
    listen(port, host, tls) {
      return new Promise<http.Server>((resolve, reject) => {
        server = tls ? https.createServer({ ...tls, keepAliveTimeout: 60_000 }, app) : http.createServer({ keepAliveTimeout: 60_000 }, app);
        server.on('clientError', answerClientError);
        server.once('error', reject);
        server.listen(port, host, () => resolve(server!));
      }).then(async (listening) => {
        await reconcileApiServerEndpoints(registry, resources, listeningEndpoint(listening.address() as AddressInfo));
        return listening;
      });
    },
    async close() {
      controllers?.stop();
      webhooks.stop();
      policies.stop();
      crds.stop();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      await store.close();
    },
  };
}

// bootstrap creates what kube-apiserver and its controllers have in place on a fresh cluster:
// the first namespaces, their `default` ServiceAccount, and the default/kubernetes Service with
// the Endpoints and EndpointSlice pointing at this server. Objects that exist are left alone.
async function bootstrap(registry: Registry, resources: ResourceTable): Promise<void> {
  const nsDef = resources.lookup('', 'v1', 'namespaces')!;
  const saDef = resources.lookup('', 'v1', 'serviceaccounts')!;
  for (const name of NAMESPACES_AT_START) {
    await createIfAbsent(registry, nsDef, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await createIfAbsent(registry, saDef, name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  }
  const endpoint = DEFAULT_API_SERVER_ENDPOINT;
  await createIfAbsent(registry, resources.lookup('', 'v1', 'services')!, 'default', kubernetesService(endpoint));
  await createIfAbsent(registry, resources.lookup('', 'v1', 'endpoints')!, 'default', kubernetesEndpoints(endpoint));
  await createIfAbsent(registry, resources.lookup('discovery.k8s.io', 'v1', 'endpointslices')!, 'default', kubernetesEndpointSlice(endpoint));
}

async function createIfAbsent(registry: Registry, def: ResourceDefinition, namespace: string | undefined, obj: KubeObject): Promise<void> {
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

/** KUBERNETES_SERVICE_IP is the cluster IP of default/kubernetes, the first of 10.96.0.0/12. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

// Until the server listens it advertises the loopback and the default secure port, as /api does.
const DEFAULT_API_SERVER_ENDPOINT: ApiServerEndpoint = { ip: '127.0.0.1', port: 6443 };

// listeningEndpoint is the address a listening server is reached at; an unspecified address
// (all interfaces) is advertised as the loopback.
function listeningEndpoint(address: AddressInfo): ApiServerEndpoint {
  const unspecified = address.address === '0.0.0.0' || address.address === '::';
  return { ip: unspecified ? '127.0.0.1' : address.address, port: address.port };
}

function kubernetesService(endpoint: ApiServerEndpoint): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: KUBERNETES_SERVICE_IP,
      clusterIPs: [KUBERNETES_SERVICE_IP],
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
async function reconcileApiServerEndpoints(registry: Registry, resources: ResourceTable, endpoint: ApiServerEndpoint): Promise<void> {
  const service = kubernetesService(endpoint);
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
