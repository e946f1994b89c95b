/**
 * createNodeless wires one nodeless API server: store, resource table, registry with its
 * admission chain, the built-in controllers and the express app. Tests use it in-process;
 * main.ts uses it behind the CLI.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import https from 'node:https';
import { NamespaceController } from '../controllers/workloads/namespace';
import { builtinGroupOrder, builtinPreferredVersions, builtinResources } from '../schemas/builtin';
import { openSqliteStore, type Store } from '../store';
import { TokenAuthenticator } from './auth/token';
import { createApp } from './http/app';
import { OpenAPI } from './http/openapi';
import { Registry, type RegistryOptions } from './registry/generic-registry';
import { namespaceLifecycle } from './registry/namespace-lifecycle';
import { ResourceTable } from './registry/resource-table';
import { StatusError } from './registry/status-error';
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
}

/** Nodeless is a wired server; listen() serves it, close() stops everything. */
export interface Nodeless {
  app: express.Express;
  store: Store;
  registry: Registry;
  resources: ResourceTable;
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
    openSqliteStore({ path: options.databasePath ?? ':memory:', compactIntervalMs: options.compactIntervalMs ?? 5 * 60_000, compactMinRetain: 1000 });
  const resources = new ResourceTable([...builtinGroupOrder]);
  for (const def of builtinResources()) resources.add(def);
  for (const [group, version] of builtinPreferredVersions()) resources.setPreferredVersion(group, version);
  const registry = new Registry(store, options.registry);
  registry.admission.use(namespaceLifecycle(registry, resources));
  await bootstrap(registry, resources);
  const namespaces = new NamespaceController(registry, resources, { log: options.log });
  await namespaces.start();
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
  });
  return {
    app,
    store,
    registry,
    resources,
    listen(port, host, tls) {
      return new Promise((resolve, reject) => {
        server = tls ? https.createServer({ ...tls, keepAliveTimeout: 60_000 }, app) : http.createServer({ keepAliveTimeout: 60_000 }, app);
        server.once('error', reject);
        server.listen(port, host, () => resolve(server!));
      });
    },
    async close() {
      namespaces.stop();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      await store.close();
    },
  };
}

async function bootstrap(registry: Registry, resources: ResourceTable): Promise<void> {
  const nsDef = resources.lookup('', 'v1', 'namespaces')!;
  for (const name of NAMESPACES_AT_START) {
    try {
      await registry.create(nsDef, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) throw err;
    }
  }
}
