/**
 * Write hooks: side effects a kind's writes must make in step with the store, as kube's generic
 * store offers BeginCreate, BeginUpdate and AfterDelete to the service storage (which allocates
 * cluster IPs there). A begin hook runs inside the write, after the kind's preparation and
 * before validation; it may change the object and refuse the write with a StatusError; what it
 * returns is told at the end whether the object was stored, so it can keep or undo what it took.
 */
import type { KubeObject, ResourceDefinition } from '../../schemas/types';

/** FinishWrite is told whether the write it began was stored (false: refused, failed, a dry run or a no-op). */
export type FinishWrite = (stored: boolean) => void;

/** WriteHook is one kind's transactional side effects; each method sees every kind and picks its own. */
export interface WriteHook {
  name: string;
  /** beginCreate may change obj and throw to refuse; nothing is stored when dryRun. */
  beginCreate?(def: ResourceDefinition, obj: KubeObject, dryRun: boolean): FinishWrite | void;
  /** beginUpdate sees an update of the main resource (not of a subresource). */
  beginUpdate?(def: ResourceDefinition, obj: KubeObject, old: KubeObject, dryRun: boolean): FinishWrite | void;
  /** afterDelete sees an object once it is removed from the store. */
  afterDelete?(def: ResourceDefinition, obj: KubeObject): void;
}

/** WriteHooks runs hooks in registration order; a refusal undoes the hooks that ran before it. */
export class WriteHooks {
  private readonly hooks: WriteHook[] = [];

  /** use appends a hook. */
  use(hook: WriteHook): this {
    this.hooks.push(hook);
    return this;
  }

  /** beginCreate runs every hook's beginCreate and returns one finish for all of them. */
  beginCreate(def: ResourceDefinition, obj: KubeObject, dryRun: boolean): FinishWrite {
    return this.begin((h) => h.beginCreate?.(def, obj, dryRun));
  }

  /** beginUpdate runs every hook's beginUpdate and returns one finish for all of them. */
  beginUpdate(def: ResourceDefinition, obj: KubeObject, old: KubeObject, dryRun: boolean): FinishWrite {
    return this.begin((h) => h.beginUpdate?.(def, obj, old, dryRun));
  }

  /** afterDelete tells every hook an object is gone. */
  afterDelete(def: ResourceDefinition, obj: KubeObject): void {
    for (const h of this.hooks) h.afterDelete?.(def, obj);
  }

  private begin(run: (h: WriteHook) => FinishWrite | void): FinishWrite {
    if (this.hooks.length === 0) return NOTHING;
    const finishes: FinishWrite[] = [];
    try {
      for (const h of this.hooks) {
        const f = run(h);
        if (f) finishes.push(f);
      }
    } catch (err) {
      for (const f of finishes) f(false);
      throw err;
    }
    let done = false;
    return (stored) => {
      // A write finishes once, whichever path (stored, refused, retried) gets there first.
      if (done) return;
      done = true;
      for (const f of finishes) f(stored);
    };
  }
}

const NOTHING: FinishWrite = () => undefined;
