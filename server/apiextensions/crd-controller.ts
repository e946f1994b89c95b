/**
 * The CRD controller: what apiextensions-apiserver's naming, establishing, finalizer and
 * discovery controllers do, in one level-triggered reconciler. For each CustomResourceDefinition
 * it accepts names that no other CRD of the group holds (NamesAccepted, status.acceptedNames),
 * serves every served version by registering a ResourceDefinition in the resource table, then
 * reports Established; it re-registers when the spec changes and unregisters when versions stop
 * being served. A deleted CRD is held (Terminating) until the controller has deleted all its
 * custom resources; then it removes the cleanup finalizer and the CRD goes, and so do its paths.
 */
import { WorkQueue } from '../../controllers/runtime/work-queue';
import type { Registry } from '../registry/generic-registry';
import type { ResourceTable } from '../registry/resource-table';
import { StatusError } from '../../schemas/meta/status-error';
import {
  CUSTOM_RESOURCE_CLEANUP_FINALIZER,
  conditionOf,
  customResourceVersions,
  setCondition,
  specOf,
  statusOf,
  type CRDCondition,
  type CRDNames,
  type CustomResourceVersion,
} from '../../schemas/crd';
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import { terminatingCreateGuard } from './terminating-guard';
import { schemaCompileStep } from './schema-compile';
import { compileCustomResourceSchemaAsync } from '../../schemas/crd-ajv';
import { serviceResolver } from '../admission/service-resolver';
import type { ServiceResolver } from '../admission/webhook-client';
import { conversionWebhookConverter, type ConversionWebhookOptions } from './conversion-webhook';

/** CRDControllerOptions tune retries and inject the clock. */
export interface CRDControllerOptions {
  retryMs?: number;
  now?: () => Date;
  log?: (record: Record<string, unknown>) => void;
  /** resolve finds where a conversion webhook's Service is served (default: its EndpointSlices or Endpoints) */
  resolve?: ServiceResolver;
  /** conversionTimeoutSeconds bounds each conversion webhook call (default 30, as kube-apiserver) */
  conversionTimeoutSeconds?: number;
}

// Served is what the controller registered for one CRD.
interface Served {
  group: string;
  plural: string;
  versions: string[];
  /** the spec and accepted names the definitions were built from */
  source: string;
}

/** CustomResourceDefinitionController serves custom resources for the CRDs in the registry. */
export class CustomResourceDefinitionController {
  private readonly abort = new AbortController();
  private readonly served = new Map<string, Served>();
  private readonly terminating = new Set<string>();
  /** groupOf remembers each CRD's group, so that its deletion frees names for the others. */
  private readonly groupOf = new Map<string, string>();
  private readonly queue: WorkQueue;
  private readonly now: () => Date;
  private readonly log: (record: Record<string, unknown>) => void;
  private readonly conversion: ConversionWebhookOptions;

  constructor(private readonly registry: Registry, private readonly resources: ResourceTable, options: CRDControllerOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    this.conversion = { resolve: options.resolve ?? serviceResolver(registry, resources), timeoutSeconds: options.conversionTimeoutSeconds };
    this.queue = new WorkQueue((name) => this.reconcile(name), { failure: 'CRD reconcile failed', retryMs: options.retryMs, log: this.log });
    // Creating custom resources of a CRD being deleted is refused, as kube-apiserver does.
    registry.admission.use(terminatingCreateGuard((crdName) => this.terminating.has(crdName)));
    registry.admission.use(schemaCompileStep());
  }

  private get crdDef(): ResourceDefinition | undefined {
    return this.resources.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
  }

  /**
   * start serves the CRDs that exist (so their paths answer as soon as start resolves), then
   * watches for changes until stop is called.
   */
  async start(): Promise<void> {
    const def = this.crdDef;
    if (!def) return;
    const page = await this.registry.list(def, undefined);
    for (const item of page.items) {
      const name = this.registry.decode(item).metadata?.name;
      if (!name) continue;
      try {
        if (await this.reconcile(name)) this.queue.addLater(name);
      } catch (err) {
        this.log({ level: 'error', msg: 'CRD reconcile failed', crd: name, error: String(err) });
        this.queue.addLater(name);
      }
    }
    void this.watchLoop(def, page.resourceVersion);
  }

  private async watchLoop(def: ResourceDefinition, fromVersion: string): Promise<void> {
    let resourceVersion: string | undefined = fromVersion;
    while (!this.queue.stopped) {
      try {
        const events = await this.registry.watch(def, undefined, { resourceVersion }, this.abort.signal);
        for await (const ev of events) {
          if (ev.type === 'ERROR') {
            resourceVersion = undefined;
            break;
          }
          if (ev.type === 'BOOKMARK') continue;
          const crd = JSON.parse(ev.raw) as KubeObject;
          if (crd.metadata?.resourceVersion) resourceVersion = crd.metadata.resourceVersion;
          if (crd.metadata?.name) this.queue.add(crd.metadata.name);
        }
      } catch (err) {
        if (!this.queue.stopped) this.log({ level: 'error', msg: 'CRD watch failed', error: String(err) });
        resourceVersion = undefined;
      }
      await this.queue.pause();
    }
  }

  /** stop ends the watch and pending retries; served resources stay registered. */
  stop(): void {
    this.queue.stop();
    this.abort.abort();
  }

  /** reconcile drives one CRD towards being served (or cleaned up); it resolves true to be retried. */
  async reconcile(name: string): Promise<boolean> {
    const def = this.crdDef;
    if (!def) return false;
    let crd: KubeObject;
    try {
      crd = structuredClone(this.registry.decode(await this.registry.get(def, undefined, name))) as KubeObject;
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
      const group = this.groupOf.get(name);
      this.unserve(name);
      this.terminating.delete(name);
      this.groupOf.delete(name);
      if (group) await this.requeueGroup(group, name);
      return false;
    }
    this.groupOf.set(name, specOf(crd).group ?? '');
    if (crd.metadata?.deletionTimestamp) {
      this.terminating.add(name);
      return this.cleanup(def, crd);
    }
    this.terminating.delete(name);
    const { acceptedNames, namesAccepted } = await this.acceptNames(def, crd);
    const accepted = namesAccepted.status === 'True';
    const wasEstablished = conditionOf(crd, 'Established')?.status === 'True';
    if (accepted || wasEstablished) await this.serve(crd, acceptedNames);
    const established: CRDCondition = accepted || wasEstablished
      ? { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }
      : { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' };
    const namesChanged = JSON.stringify(statusOf(crd).acceptedNames ?? {}) !== JSON.stringify(acceptedNames);
    if (namesChanged || !sameCondition(conditionOf(crd, 'NamesAccepted'), namesAccepted) || !sameCondition(conditionOf(crd, 'Established'), established)) {
      await this.updateStatus(def, name, (current) => {
        (current.status as Record<string, unknown>).acceptedNames = acceptedNames;
        setCondition(current, namesAccepted, this.now());
        setCondition(current, established, this.now());
      });
      if (namesChanged) await this.requeueGroup(specOf(crd).group ?? '', name);
    }
    return false;
  }

  // acceptNames follows the naming controller: a requested name is accepted when it is already
  // this CRD's or no other CRD of the group has accepted it.
  private async acceptNames(def: ResourceDefinition, crd: KubeObject): Promise<{ acceptedNames: CRDNames; namesAccepted: CRDCondition }> {
    const spec = specOf(crd);
    const requested = spec.names ?? {};
    const current = statusOf(crd).acceptedNames ?? {};
    const resourcesInUse = new Set<string>();
    const kindsInUse = new Set<string>();
    const page = await this.registry.list(def, undefined);
    for (const item of page.items) {
      // Every CRD is decoded here, and big ones (prometheus-operator's are over 1 MB with their
      // managedFields) take tens of milliseconds each: requests are answered between them.
      await yieldToEventLoop();
      const other = this.registry.decode(item) as KubeObject;
      if (other.metadata?.name === crd.metadata?.name || specOf(other).group !== spec.group) continue;
      const names = statusOf(other).acceptedNames ?? {};
      for (const n of [names.plural, names.singular, ...(names.shortNames ?? [])]) if (n) resourcesInUse.add(n);
      for (const n of [names.kind, names.listKind]) if (n) kindsInUse.add(n);
    }
    const out: CRDNames = { ...current };
    let condition: CRDCondition = { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' };
    const conflict = (reason: string, n: string) => (condition = { type: 'NamesAccepted', status: 'False', reason, message: `"${n}" is already in use` });
    const fresh = (want: string | undefined, have: string | undefined, used: Set<string>) => want === have || !want || !used.has(want);
    if (fresh(requested.plural, current.plural, resourcesInUse)) out.plural = requested.plural;
    else conflict('PluralConflict', requested.plural!);
    if (fresh(requested.singular, current.singular, resourcesInUse)) out.singular = requested.singular;
    else conflict('SingularConflict', requested.singular!);
    const shortConflicts = (requested.shortNames ?? []).filter((s) => !(current.shortNames ?? []).includes(s) && resourcesInUse.has(s));
    if (shortConflicts.length) {
      condition = { type: 'NamesAccepted', status: 'False', reason: 'ShortNamesConflict', message: shortConflicts.map((s) => `"${s}" is already in use`).join(', ') };
    } else if (requested.shortNames) out.shortNames = requested.shortNames;
    else delete out.shortNames;
    if (fresh(requested.kind, current.kind, kindsInUse)) out.kind = requested.kind;
    else conflict('KindConflict', requested.kind!);
    if (fresh(requested.listKind, current.listKind, kindsInUse)) out.listKind = requested.listKind;
    else conflict('ListKindConflict', requested.listKind!);
    if (requested.categories) out.categories = requested.categories;
    else delete out.categories;
    // Field order and the always-present plural and kind follow the v1 JSON of CustomResourceDefinitionNames.
    const acceptedNames: CRDNames = { plural: out.plural ?? '' };
    if (out.singular) acceptedNames.singular = out.singular;
    if (out.shortNames?.length) acceptedNames.shortNames = out.shortNames;
    acceptedNames.kind = out.kind ?? '';
    if (out.listKind) acceptedNames.listKind = out.listKind;
    if (out.categories?.length) acceptedNames.categories = out.categories;
    return { acceptedNames, namesAccepted: condition };
  }

  // serve registers a ResourceDefinition for each served version and drops versions no longer served.
  // The validators are compiled (yielding between pieces) before the versions are served and
  // the CRD reported Established, so the first custom resource does not compile them at once.
  private async serve(crd: KubeObject, names: CRDNames): Promise<void> {
    const name = crd.metadata!.name!;
    const spec = specOf(crd);
    const source = JSON.stringify({ spec, names, storedVersions: statusOf(crd).storedVersions, generation: crd.metadata?.generation });
    const before = this.served.get(name);
    if (before?.source === source) return;
    const defs = customResourceVersions(crd, names, conversionWebhookConverter(crd, this.conversion)).filter((d) => {
      // Built-in resources always win over a CRD naming the same group and resource.
      const existing = this.resources.lookup(d.group, d.version, d.plural);
      return !existing?.definitionName;
    });
    for (const d of defs) {
      try {
        await compileCustomResourceSchemaAsync(d.schema);
      } catch (err) {
        // Served anyway: each write then reports the schema's error, as it would have before.
        this.log({ level: 'error', msg: 'custom resource schema does not compile', crd: name, version: d.version, error: String(err) });
      }
    }
    // A newer reconcile of this CRD may have served it while this one compiled.
    if (this.served.get(name)?.source === source) return;
    for (const d of defs) this.resources.add(d);
    const versions = defs.map((d) => d.version);
    for (const v of before?.versions ?? []) if (!versions.includes(v)) this.resources.remove(before!.group, v, before!.plural);
    this.served.set(name, { group: spec.group ?? '', plural: spec.names?.plural ?? '', versions, source });
    this.log({ level: 'info', msg: 'serving custom resources', crd: name, versions });
  }

  private unserve(name: string): void {
    const s = this.served.get(name);
    if (!s) return;
    for (const v of s.versions) {
      const d = this.resources.lookup(s.group, v, s.plural) as CustomResourceVersion | undefined;
      if (d && !d.definitionName && d.crdName === name) this.resources.remove(s.group, v, s.plural);
    }
    this.served.delete(name);
    this.log({ level: 'info', msg: 'stopped serving custom resources', crd: name });
  }

  // requeueGroup lets the other CRDs of a group retry names that may have become free.
  private async requeueGroup(group: string, except: string): Promise<void> {
    const def = this.crdDef;
    if (!def) return;
    const page = await this.registry.list(def, undefined);
    for (const item of page.items) {
      await yieldToEventLoop();
      const other = this.registry.decode(item) as KubeObject;
      const n = other.metadata?.name;
      if (n && n !== except && specOf(other).group === group && conditionOf(other, 'NamesAccepted')?.status !== 'True') this.queue.add(n);
    }
  }

  /**
   * cleanup deletes every custom resource of a CRD being deleted, then lets the CRD go: Terminating
   * becomes False and the cleanup finalizer is removed. It resolves true while custom resources remain.
   */
  private async cleanup(crdDef: ResourceDefinition, crd: KubeObject): Promise<boolean> {
    const name = crd.metadata!.name!;
    const storage = this.storageDefinition(crd);
    let done: CRDCondition;
    if (!storage) {
      done = { type: 'Terminating', status: 'False', reason: 'OverlappingBuiltInResource', message: 'instances overlap with built-in resources in storage' };
    } else if (conditionOf(crd, 'Established')?.status !== 'True') {
      done = { type: 'Terminating', status: 'False', reason: 'NeverEstablished', message: 'resource was never established' };
    } else {
      // Each write wakes this reconciler again, so a condition is only written when it changes.
      const reason = conditionOf(crd, 'Terminating')?.reason;
      if (reason !== 'InstanceDeletionInProgress' && reason !== 'InstanceDeletionCheck') {
        await this.updateStatus(crdDef, name, (current) =>
          setCondition(current, { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }, this.now()),
        );
      }
      await this.registry.deleteCollection(storage, undefined, {}, { propagationPolicy: 'Background' });
      const left = await this.registry.list(storage, undefined, { limit: 1 });
      if (left.items.length > 0) {
        if (conditionOf(crd, 'Terminating')?.reason === 'InstanceDeletionCheck') return true;
        await this.updateStatus(crdDef, name, (current) =>
          setCondition(current, { type: 'Terminating', status: 'True', reason: 'InstanceDeletionCheck', message: 'could not confirm zero CustomResources remaining: custom resources are held by finalizers' }, this.now()),
        );
        return true;
      }
      done = { type: 'Terminating', status: 'False', reason: 'InstanceDeletionCompleted', message: 'removed all instances' };
    }
    // One status write removes the finalizer and clears Terminating, as kube's finalizer controller does.
    const stored = await this.updateStatus(crdDef, name, (current) => {
      setCondition(current, done, this.now());
      const finalizers = (current.metadata?.finalizers ?? []).filter((f) => f !== CUSTOM_RESOURCE_CLEANUP_FINALIZER);
      if (current.metadata) current.metadata.finalizers = finalizers.length ? finalizers : undefined;
    });
    if (stored?.metadata?.finalizers?.includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)) {
      // A registry that keeps metadata out of status writes: drop the finalizer through the main resource.
      await this.registry.guaranteedUpdate(crdDef, undefined, name, (current) => {
        const finalizers = (current.metadata?.finalizers ?? []).filter((f) => f !== CUSTOM_RESOURCE_CLEANUP_FINALIZER);
        if (current.metadata) current.metadata.finalizers = finalizers.length ? finalizers : undefined;
        return current;
      });
    }
    this.unserve(name);
    return false;
  }

  // storageDefinition is a ResourceDefinition reaching the CRD's storage (any version will do: they share it).
  private storageDefinition(crd: KubeObject): CustomResourceVersion | undefined {
    const all = customResourceVersions(
      { ...crd, spec: { ...specOf(crd), versions: (specOf(crd).versions ?? []).map((v) => ({ ...v, served: true })) } },
      statusOf(crd).acceptedNames,
      conversionWebhookConverter(crd, this.conversion),
    );
    const def = all.find((d) => d.version === d.storageVersion) ?? all[0];
    if (!def) return undefined;
    const existing = this.resources.lookup(def.group, def.version, def.plural);
    return existing?.definitionName ? undefined : def;
  }

  // updateStatus writes a CRD's status through the status subresource, re-reading on conflict.
  private async updateStatus(def: ResourceDefinition, name: string, change: (crd: KubeObject) => void): Promise<KubeObject | undefined> {
    try {
      const stored = await this.registry.guaranteedUpdate(
        def,
        undefined,
        name,
        (current) => {
          if (!current.status || typeof current.status !== 'object') current.status = {};
          change(current);
          return current;
        },
        { subresource: 'status' },
      );
      return JSON.parse(stored.raw) as KubeObject;
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return undefined;
      throw err;
    }
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function sameCondition(a: CRDCondition | undefined, b: CRDCondition): boolean {
  return !!a && a.status === b.status && a.reason === b.reason && a.message === b.message;
}
