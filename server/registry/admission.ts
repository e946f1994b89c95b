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

  /** admit runs every mutating step. */
  async admit(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.admit) await p.admit(attrs);
  }

  /** validate runs every validating step. */
  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.validate) await p.validate(attrs);
  }
}
