/**
 * Admission: plugins that see every write in the registry's path, after defaulting and before
 * storage, the way kube-apiserver's admission chain does. Mutating plugins run first and may
 * change the object; validating plugins run after validation and may only refuse.
 */
import type { KubeObject, ResourceDefinition, UserInfo } from '../../schemas/types';

/** AdmissionAttributes describes one write to the plugins. */
export interface AdmissionAttributes {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  resource: ResourceDefinition;
  subresource?: string;
  namespace?: string;
  name: string;
  /** the object as it will be stored (mutable in admit, read-only in validate); undefined for DELETE */
  object?: KubeObject;
  /** the stored object before an UPDATE or DELETE */
  oldObject?: KubeObject;
  dryRun: boolean;
  /** userInfo is the user making the request; undefined for the server's own writes */
  userInfo?: UserInfo;
  /** options are the write's CreateOptions, UpdateOptions or DeleteOptions as an AdmissionReview carries them */
  options?: Record<string, unknown>;
  /** warn passes an admission warning (a webhook's or a policy's) to the client as a Warning header */
  warn?: (warning: string) => void;
  /** reinvocation is the write's reinvocation context, set by AdmissionChain.admit */
  reinvocation?: ReinvocationContext;
}

/**
 * ReinvocationContext is kube's admission.ReinvocationContext: whether the mutating plugins are
 * running a second time, whether one of them asked for that, and each plugin's own record of
 * what it did (kept across both runs).
 */
export class ReinvocationContext {
  /** isReinvoke is true during the second run */
  isReinvoke = false;
  /** shouldReinvoke is set by a plugin that changed the object (a webhook's patch, a policy's mutation) */
  shouldReinvoke = false;
  private readonly values = new Map<string, unknown>();

  /** value is a plugin's record, made on first use. */
  value<T>(key: string, make: () => T): T {
    if (!this.values.has(key)) this.values.set(key, make());
    return this.values.get(key) as T;
  }
}

/** AdmissionPlugin is one step of the chain; it throws a StatusError to refuse. */
export interface AdmissionPlugin {
  name: string;
  /** admit may mutate attrs.object. */
  admit?(attrs: AdmissionAttributes): void | Promise<void>;
  /** validate may only refuse. */
  validate?(attrs: AdmissionAttributes): void | Promise<void>;
}

/** AdmissionChain runs plugins in registration order. */
export class AdmissionChain {
  private readonly plugins: AdmissionPlugin[] = [];

  /** use appends a plugin. */
  use(plugin: AdmissionPlugin): this {
    this.plugins.push(plugin);
    return this;
  }

  /**
   * admit runs every mutating step, and all of them once more when one asked for it (kube's
   * reinvoker): the built-in steps are idempotent and see what the webhooks and policies
   * changed; those webhooks and policies with reinvocationPolicy IfNeeded that saw the object
   * before a later change run again.
   */
  async admit(attrs: AdmissionAttributes): Promise<void> {
    const reinvocation = (attrs.reinvocation = new ReinvocationContext());
    await this.admitOnce(attrs);
    if (!reinvocation.shouldReinvoke) return;
    reinvocation.isReinvoke = true;
    await this.admitOnce(attrs);
  }

  private async admitOnce(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.admit) await p.admit(attrs);
  }

  /** validate runs every validating step. */
  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.validate) await p.validate(attrs);
  }
}
