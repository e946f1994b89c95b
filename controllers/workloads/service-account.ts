/**
 * The service-account controller: every Active namespace holds a `default` ServiceAccount and
 * the `kube-root-ca.crt` ConfigMap with the cluster CA under `ca.crt`, as kube-controller-manager's
 * serviceaccount controller and root-CA publisher keep them. Either is recreated when deleted,
 * and the ConfigMap is restored when edited. Level-triggered: a pass re-reads the namespace and
 * its two objects and is safe to repeat.
 */
import { WorkQueue } from '../runtime/work-queue';
import type { Registry } from '../../server/registry/generic-registry';
import type { ResourceTable } from '../../server/registry/resource-table';
import { DEFAULT_SERVICE_ACCOUNT_NAME, ROOT_CA_CONFIG_MAP } from '../../server/registry/service-account-admission';
import { StatusError } from '../../schemas/meta/status-error';
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';

/** ROOT_CA_DESCRIPTION_ANNOTATION says what the root-CA ConfigMap is for. */
export const ROOT_CA_DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
/** ROOT_CA_DESCRIPTION is the publisher's description, word for word. */
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

/** ServiceAccountControllerOptions carry the CA to publish and tune the retry delay. */
export interface ServiceAccountControllerOptions {
  /** rootCACert is the PEM bundle clients verify this API server with */
  rootCACert: string;
  retryMs?: number;
  log?: (record: Record<string, unknown>) => void;
}

/** ServiceAccountController keeps each namespace's default ServiceAccount and root-CA ConfigMap. */
export class ServiceAccountController {
  private readonly abort = new AbortController();
  private readonly queue: WorkQueue;
  private readonly rootCACert: string;
  private readonly log: (record: Record<string, unknown>) => void;

  constructor(private readonly registry: Registry, private readonly resources: ResourceTable, options: ServiceAccountControllerOptions) {
    this.rootCACert = options.rootCACert;
    this.log = options.log ?? (() => undefined);
    const sync = async (namespace: string) => {
      await this.reconcile(namespace);
      return false;
    };
    this.queue = new WorkQueue(sync, { failure: 'service account sync failed', retryMs: options.retryMs, log: this.log });
  }

  /**
   * start brings every namespace in line once, so the objects exist when it resolves, then
   * watches namespaces, ServiceAccounts named default and root-CA ConfigMaps until stop.
   */
  async start(): Promise<void> {
    const defs = this.defs();
    if (!defs) return;
    const page = await this.registry.list(defs.namespaces, undefined);
    for (const item of page.items) {
      const name = this.registry.decode(item).metadata?.name;
      if (!name) continue;
      await this.reconcile(name).catch((err) => {
        this.log({ level: 'error', msg: 'service account sync failed', namespace: name, error: String(err) });
        this.queue.addLater(name);
      });
    }
    const from = page.resourceVersion;
    // A namespace that appears or changes (Active again, say) is checked; the other two watches
    // only say in which namespace something was deleted or edited.
    this.watchLoop(defs.namespaces, undefined, from, (obj) => obj.metadata?.name);
    this.watchLoop(defs.serviceaccounts, DEFAULT_SERVICE_ACCOUNT_NAME, from, (obj) => obj.metadata?.namespace);
    this.watchLoop(defs.configmaps, ROOT_CA_CONFIG_MAP, from, (obj) => obj.metadata?.namespace);
  }

  /** stop ends the watches and pending retries. */
  stop(): void {
    this.queue.stop();
    this.abort.abort();
  }

  private defs(): { namespaces: ResourceDefinition; serviceaccounts: ResourceDefinition; configmaps: ResourceDefinition } | undefined {
    const namespaces = this.resources.lookup('', 'v1', 'namespaces');
    const serviceaccounts = this.resources.lookup('', 'v1', 'serviceaccounts');
    const configmaps = this.resources.lookup('', 'v1', 'configmaps');
    return namespaces && serviceaccounts && configmaps ? { namespaces, serviceaccounts, configmaps } : undefined;
  }

  // watchLoop watches def (objects called name, when given) from a revision, enqueueing the
  // namespace keyOf names for every event; after a failure it watches again from the current
  // state, whose ADDED events enqueue everything once more.
  private watchLoop(def: ResourceDefinition, name: string | undefined, from: string, keyOf: (obj: KubeObject) => string | undefined): void {
    void (async () => {
      let resourceVersion: string | undefined = from;
      while (!this.queue.stopped) {
        try {
          const events = await this.registry.watch(def, undefined, { resourceVersion, fieldSelector: name === undefined ? undefined : `metadata.name=${name}` }, this.abort.signal);
          for await (const ev of events) {
            if (ev.type === 'BOOKMARK') continue;
            if (ev.type === 'ERROR') break;
            const key = keyOf(JSON.parse(ev.raw) as KubeObject);
            if (key) this.queue.add(key);
          }
        } catch (err) {
          if (!this.queue.stopped) this.log({ level: 'error', msg: 'service account controller watch failed', resource: def.plural, error: String(err) });
        }
        resourceVersion = undefined;
        await this.queue.pause();
      }
    })();
  }

  /** reconcile brings one namespace's default ServiceAccount and root-CA ConfigMap in line. */
  async reconcile(namespace: string): Promise<void> {
    const defs = this.defs();
    if (!defs) return;
    let ns: KubeObject;
    try {
      ns = this.registry.decode(await this.registry.get(defs.namespaces, undefined, namespace));
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return;
      throw err;
    }
    // A terminating namespace is being emptied: nothing is put back into it.
    if (ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase !== 'Active') return;
    await this.ensureServiceAccount(defs.serviceaccounts, namespace);
    await this.ensureRootCA(defs.configmaps, namespace);
  }

  private async ensureServiceAccount(def: ResourceDefinition, namespace: string): Promise<void> {
    if (await this.exists(def, namespace, DEFAULT_SERVICE_ACCOUNT_NAME)) return;
    await this.createIgnoringRaces(def, namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT_NAME } });
  }

  private async ensureRootCA(def: ResourceDefinition, namespace: string): Promise<void> {
    const data = { 'ca.crt': this.rootCACert };
    let current: Readonly<KubeObject> | undefined;
    try {
      current = this.registry.decode(await this.registry.get(def, namespace, ROOT_CA_CONFIG_MAP));
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
    if (!current) {
      await this.createIgnoringRaces(def, namespace, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIG_MAP, annotations: { [ROOT_CA_DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } },
        data,
      });
      return;
    }
    if (jsonEqual(current.data, data) && current.metadata?.annotations?.[ROOT_CA_DESCRIPTION_ANNOTATION]) return;
    try {
      // Only data and the description are the publisher's; labels and other annotations stay.
      await this.registry.guaranteedUpdate(def, namespace, ROOT_CA_CONFIG_MAP, (cm) => ({
        ...cm,
        metadata: { ...cm.metadata, annotations: { ...cm.metadata?.annotations, [ROOT_CA_DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } },
        data,
      }));
    } catch (err) {
      // Deleted meanwhile: its DELETED event brings this namespace back.
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }

  private async exists(def: ResourceDefinition, namespace: string, name: string): Promise<boolean> {
    try {
      await this.registry.get(def, namespace, name);
      return true;
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return false;
      throw err;
    }
  }

  // createIgnoringRaces creates obj; someone else creating it first, the namespace going away or
  // starting to terminate meanwhile are not failures.
  private async createIgnoringRaces(def: ResourceDefinition, namespace: string, obj: KubeObject): Promise<void> {
    try {
      await this.registry.create(def, namespace, obj);
    } catch (err) {
      if (!(err instanceof StatusError)) throw err;
      if (err.code === 409 || err.code === 404) return;
      if (err.code === 403 && err.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return;
      throw err;
    }
  }
}
