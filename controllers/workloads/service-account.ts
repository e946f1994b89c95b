/**
 * The service-account controller: every Active namespace holds a `default` ServiceAccount and
 * the `kube-root-ca.crt` ConfigMap with the cluster CA under `ca.crt`, as kube-controller-manager's
 * serviceaccount controller and root-CA publisher keep them. Either is recreated when deleted,
 * and the ConfigMap is restored when edited. Level-triggered: a pass reads the namespace and
 * its two objects from the informers and is safe to repeat.
 */
import type { KubeObject } from '../../schemas/types';
import { jsonEqual } from '../../schemas/meta/json';
import { CONFIG_MAPS, NAMESPACES, SERVICE_ACCOUNTS, hasCause, isAlreadyExists, isConflict, isNotFound, type Client, type ResourceDescriptor } from '../runtime/client';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue } from '../runtime/work-queue';

/** DEFAULT_SERVICE_ACCOUNT_NAME is the ServiceAccount every namespace gets. */
export const DEFAULT_SERVICE_ACCOUNT_NAME = 'default';
/** ROOT_CA_CONFIG_MAP is the ConfigMap the root-CA publisher keeps in every namespace. */
export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';
/** ROOT_CA_DESCRIPTION_ANNOTATION says what the root-CA ConfigMap is for. */
export const ROOT_CA_DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
/** ROOT_CA_DESCRIPTION is the publisher's description, word for word. */
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

/** ServiceAccountControllerOptions carry the CA to publish. */
export interface ServiceAccountControllerOptions {
  /** rootCACert is the PEM bundle clients verify the API server with */
  rootCACert: string;
  workers?: number;
}

/** ServiceAccountController keeps each namespace's default ServiceAccount and root-CA ConfigMap. */
export class ServiceAccountController implements Controller {
  readonly name = 'service-account-controller';
  private client!: Client;
  private queue!: WorkQueue;
  private namespaces!: Informer;
  private serviceAccounts!: Informer;
  private configMaps!: Informer;

  constructor(private readonly options: ServiceAccountControllerOptions) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.queue = new WorkQueue((ns) => this.reconcile(ns), { failure: 'service account sync failed', workers: this.options.workers ?? 3, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.namespaces = ctx.informers.informerFor(NAMESPACES);
    this.serviceAccounts = ctx.informers.informerFor(SERVICE_ACCOUNTS, { fieldSelector: `metadata.name=${DEFAULT_SERVICE_ACCOUNT_NAME}` });
    this.configMaps = ctx.informers.informerFor(CONFIG_MAPS, { fieldSelector: `metadata.name=${ROOT_CA_CONFIG_MAP}` });
    // A namespace that appears or changes (Active again, say) is checked; the other two only say
    // in which namespace something was deleted or edited.
    const byName = (o: Readonly<KubeObject>) => this.queue.add(o.metadata!.name!);
    const byNamespace = (o: Readonly<KubeObject>) => o.metadata?.namespace && this.queue.add(o.metadata.namespace);
    this.namespaces.addEventHandler({ onAdd: byName, onUpdate: (_o, n) => byName(n) });
    this.serviceAccounts.addEventHandler({ onDelete: byNamespace });
    this.configMaps.addEventHandler({ onUpdate: (_o, n) => byNamespace(n), onDelete: byNamespace });
  }

  /** run resolves once every namespace known at start was brought in line (or is being retried). */
  async run(): Promise<void> {
    this.queue.start();
    await this.queue.idle();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** reconcile brings one namespace's default ServiceAccount and root-CA ConfigMap in line. */
  async reconcile(namespace: string): Promise<void> {
    const ns = this.namespaces.getByName(undefined, namespace);
    // A terminating namespace is being emptied: nothing is put back into it.
    if (!ns || ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase !== 'Active') return;
    if (!this.serviceAccounts.getByName(namespace, DEFAULT_SERVICE_ACCOUNT_NAME)) {
      await this.createIgnoringRaces(SERVICE_ACCOUNTS, namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT_NAME } });
    }
    await this.ensureRootCA(namespace);
  }

  private async ensureRootCA(namespace: string): Promise<void> {
    const data = { 'ca.crt': this.options.rootCACert };
    let current: Readonly<KubeObject> | undefined = this.configMaps.getByName(namespace, ROOT_CA_CONFIG_MAP);
    if (!current) {
      await this.createIgnoringRaces(CONFIG_MAPS, namespace, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIG_MAP, annotations: { [ROOT_CA_DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } },
        data,
      });
      return;
    }
    // The cache may be behind: a conflict reads the newest and tries again.
    for (let attempt = 0; ; attempt++) {
      if (jsonEqual(current.data, data) && current.metadata?.annotations?.[ROOT_CA_DESCRIPTION_ANNOTATION]) return;
      try {
        // Only data and the description are the publisher's; labels and other annotations stay.
        const next: KubeObject = structuredClone(current) as KubeObject;
        next.metadata = { ...next.metadata, annotations: { ...next.metadata?.annotations, [ROOT_CA_DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } };
        next.data = data;
        await this.client.update(CONFIG_MAPS, next);
        return;
      } catch (err) {
        // Deleted meanwhile: its delete event brings this namespace back.
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 5) throw err;
        current = await this.client.get(CONFIG_MAPS, namespace, ROOT_CA_CONFIG_MAP);
      }
    }
  }

  // createIgnoringRaces creates obj; someone else creating it first, the namespace going away or
  // starting to terminate meanwhile are not failures.
  private async createIgnoringRaces(res: ResourceDescriptor, namespace: string, obj: KubeObject): Promise<void> {
    try {
      await this.client.create(res, namespace, obj);
    } catch (err) {
      if (isAlreadyExists(err) || isNotFound(err) || hasCause(err, 'NamespaceTerminating')) return;
      throw err;
    }
  }
}
