/**
 * The durable billing ledger: every instance run is an InstanceRun object (group
 * usage.nodeless.dev, a CustomResourceDefinition the scheduler installs) written through the
 * Client, so the store keeps it across restarts and kill -9. A run is written when its instance
 * starts and again when it stops, with its cost. Writes that fail are kept and retried; nothing
 * recorded is dropped. At start the stored runs are read back: a run still open whose instance
 * the provider no longer holds ended with the process that ran it, and is closed then.
 */
import type { KubeObject } from '../../schemas/types';
import { isAlreadyExists, isNotFound, type Client, type ResourceDescriptor } from '../runtime/client';
import { type BillingOptions, type InstanceRun, Ledger, stopRun } from './ledger';

/** INSTANCE_RUNS is usage.nodeless.dev/v1 instanceruns, one object per instance run. */
export const INSTANCE_RUNS: ResourceDescriptor = { group: 'usage.nodeless.dev', version: 'v1', resource: 'instanceruns', namespaced: true, kind: 'InstanceRun' };

const CRDS: ResourceDescriptor = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', namespaced: false, kind: 'CustomResourceDefinition' };

/** instanceRunsCRD is the definition of InstanceRun, with printer columns for `kubectl get instanceruns -A`. */
export function instanceRunsCRD(): KubeObject {
  const col = (name: string, type: string, jsonPath: string, priority = 0) => ({ name, type, jsonPath, ...(priority ? { priority } : {}) });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'instanceruns.usage.nodeless.dev' },
    spec: {
      group: 'usage.nodeless.dev',
      scope: 'Namespaced',
      names: { plural: 'instanceruns', singular: 'instancerun', kind: 'InstanceRun', listKind: 'InstanceRunList', shortNames: ['run', 'runs'], categories: ['nodeless'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
          additionalPrinterColumns: [
            col('Pod', 'string', '.spec.podName'),
            col('Instance', 'string', '.spec.instanceId'),
            col('Size', 'string', '.spec.size'),
            col('Start', 'date', '.spec.start'),
            col('Stop', 'date', '.spec.stop'),
            col('Cost', 'number', '.spec.cost'),
            col('Reason', 'string', '.spec.stopReason', 1),
            col('Workload', 'string', '.spec.workload.name', 1),
          ],
        },
      ],
    },
  };
}

/** USAGES is usage.nodeless.dev/v1 usages: one object per namespace with what its runs cost so far. */
export const USAGES: ResourceDescriptor = { group: 'usage.nodeless.dev', version: 'v1', resource: 'usages', namespaced: true, kind: 'Usage' };

/** usagesCRD is the definition of Usage, with printer columns for `kubectl get usage -A`. */
export function usagesCRD(): KubeObject {
  const col = (name: string, type: string, jsonPath: string) => ({ name, type, jsonPath });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'usages.usage.nodeless.dev' },
    spec: {
      group: 'usage.nodeless.dev',
      scope: 'Namespaced',
      names: { plural: 'usages', singular: 'usage', kind: 'Usage', listKind: 'UsageList', categories: ['nodeless'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { bill: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
          additionalPrinterColumns: [
            col('Runs', 'integer', '.bill.runs'),
            col('Running', 'integer', '.bill.running'),
            col('Cost', 'number', '.bill.cost'),
            col('Updated', 'date', '.bill.updated'),
          ],
        },
      ],
    },
  };
}

/** runName is the object name of a run: unique per instance and Pod, whatever a provider's ids repeat after a restart. */
export function runName(run: Pick<InstanceRun, 'instanceId' | 'podUID'>): string {
  return `${run.instanceId}-${run.podUID}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-').slice(0, 253);
}

/** RunStoreOptions tune the store. */
export interface RunStoreOptions {
  billing?: BillingOptions;
  now: () => number;
  log: (record: Record<string, unknown>) => void;
  /** retryMs is how long a failed write waits before it is tried again (default 1000). */
  retryMs?: number;
}

/** RunStore keeps the ledger index in memory and every run in the store. */
export class RunStore {
  /** index answers usage queries over every run known. */
  readonly index: Ledger;
  private readonly pending = new Map<string, InstanceRun>();
  private readonly written = new Map<string, string>();
  private opened = false;
  private flushing?: Promise<void>;
  private retry?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly options: RunStoreOptions,
  ) {
    this.index = new Ledger(options.billing);
  }

  /** ready is true once the stored runs were read back and writes go to the store. */
  get ready(): boolean {
    return this.opened;
  }

  /** unsaved is how many runs wait to be written. */
  get unsaved(): number {
    return this.pending.size;
  }

  /**
   * open installs the InstanceRun definition, waits until it is served and reads the stored runs
   * back; open runs whose instance is not live (isLive false) are closed now. It never throws:
   * a store that cannot be reached is logged and retried.
   */
  async open(isLive: (run: InstanceRun) => boolean): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await this.install();
        const list = await this.client.list<KubeObject & { spec?: InstanceRun }>(INSTANCE_RUNS, undefined);
        for (const obj of list.items) {
          const run = obj.spec;
          if (!run?.instanceId) continue;
          this.written.set(runName(run), JSON.stringify(run));
          // A run recorded meanwhile (pending) is newer than the stored one.
          if (!this.pending.has(runName(run))) this.index.put(run);
        }
        this.opened = true;
        for (const run of this.index.runs()) {
          if (run.stop === undefined && !isLive(run)) this.record(stopRun(run, this.options.now(), 'InstanceLost', this.options.billing));
        }
        void this.flush();
        return;
      } catch (err) {
        this.options.log({ level: attempt === 0 ? 'warning' : 'error', msg: 'instance ledger not ready, retrying', error: String(err instanceof Error ? err.message : err) });
        await new Promise<void>((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5_000)).unref?.());
      }
    }
  }

  /** record adds or replaces a run and writes it to the store (now, or once the store is open). */
  record(run: InstanceRun): void {
    this.index.put(run);
    const name = runName(run);
    if (this.written.get(name) === JSON.stringify(run)) return;
    this.pending.set(name, run);
    if (this.opened) void this.flush();
  }

  /** flush writes the pending runs; it resolves when they are written or have failed (and will be retried). */
  flush(): Promise<void> {
    if (!this.opened || this.closed) return Promise.resolve();
    if (this.flushing) return this.flushing.then(() => (this.pending.size ? this.flush() : undefined));
    this.flushing = this.writeAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
  }

  private async writeAll(): Promise<void> {
    let failed = false;
    while (this.pending.size && !this.closed) {
      const [name, run] = this.pending.entries().next().value as [string, InstanceRun];
      this.pending.delete(name);
      try {
        await this.write(name, run);
        this.written.set(name, JSON.stringify(run));
      } catch (err) {
        // Kept for the next attempt, unless a newer version of the run was recorded meanwhile.
        if (!this.pending.has(name)) this.pending.set(name, run);
        this.options.log({ level: 'error', msg: 'instance run not written, retrying', run: name, error: String(err instanceof Error ? err.message : err) });
        failed = true;
        break;
      }
    }
    if (failed && !this.retry && !this.closed) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        void this.flush();
      }, this.options.retryMs ?? 1_000);
      this.retry.unref?.();
    }
  }

  private async write(name: string, run: InstanceRun): Promise<void> {
    const obj: KubeObject = {
      apiVersion: 'usage.nodeless.dev/v1',
      kind: 'InstanceRun',
      metadata: { name, namespace: run.namespace, labels: { 'nodeless.dev/pod-uid': run.podUID.slice(0, 63), 'nodeless.dev/instance-id': run.instanceId.slice(0, 63) } },
      spec: run as unknown as Record<string, unknown>,
    };
    if (!this.written.has(name)) {
      try {
        await this.client.create(INSTANCE_RUNS, run.namespace, obj);
        return;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    try {
      await this.client.patch(INSTANCE_RUNS, run.namespace, name, 'merge', { spec: run });
    } catch (err) {
      // Deleted by someone: written anew, as the ledger must not lose it.
      if (!isNotFound(err)) throw err;
      await this.client.create(INSTANCE_RUNS, run.namespace, obj);
    }
  }

  private async install(): Promise<void> {
    for (const crd of [instanceRunsCRD(), usagesCRD()]) {
      try {
        await this.client.create(CRDS, undefined, crd);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    // The definition is served once its names are accepted; a list answers 404 until then.
    for (let i = 0; ; i++) {
      try {
        await this.client.list(INSTANCE_RUNS, undefined, { limit: 1 });
        await this.client.list(USAGES, undefined, { limit: 1 });
        return;
      } catch (err) {
        if (!isNotFound(err) || i >= 100) throw err;
        await new Promise<void>((r) => setTimeout(r, 50).unref?.());
      }
    }
  }
}
