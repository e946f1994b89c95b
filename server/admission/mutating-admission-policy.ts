/**
 * MutatingAdmissionPolicy admission (admissionregistration.k8s.io/v1alpha1, kube 1.32 alpha,
 * behind the MutatingAdmissionPolicy feature gate): every binding whose policy and match
 * resources select a write evaluates the policy's mutations in the admit phase, before the
 * mutating webhooks, as kube's plugin order has it. A mutation is a CEL expression yielding either
 * an apply configuration (`Object{...}`, merged into the object with server-side apply's merge
 * rules: list-map items by key, atomic lists replaced) or a list of `JSONPatch{op, path, value}`
 * operations. Matching, params, variables and matchConditions work as for
 * ValidatingAdmissionPolicy; failurePolicy Fail refuses the write when a mutation cannot be made.
 * reinvocationPolicy IfNeeded runs a policy once more when a later policy changed the object.
 */
import type { KubeObject } from '../../schemas/types';
import type { AdmissionAttributes, AdmissionPlugin } from '../registry/admission';
import type { Registry } from '../registry/generic-registry';
import type { ResourceTable } from '../registry/resource-table';
import { StatusError } from '../../schemas/meta/status-error';
import { celActivation, evaluateAdmissionCel } from '../../schemas/admission-cel';
import { apply } from '../patch/server-side-apply';
import { applyJsonPatch } from '../patch/json-patch';
import { ConfigCache } from './config-cache';
import { convertObject, convertedAdmissionRequest, isExemptFromAdmission } from './webhook-admission';
import { ParamError, fromCel, type BindingSpec, type PolicySpec, type ValidatingAdmissionPolicyAdmission } from './validating-admission-policy';

type Obj = Record<string, unknown>;

interface Mutation {
  patchType?: 'ApplyConfiguration' | 'JSONPatch';
  applyConfiguration?: { expression?: string };
  jsonPatch?: { expression?: string };
}

interface MutatingPolicySpec extends Omit<PolicySpec, 'validations' | 'auditAnnotations'> {
  mutations?: Mutation[];
  reinvocationPolicy?: 'Never' | 'IfNeeded';
}

/** MUTATING_POLICY_VERSION is the group version the mutating policies are served at. */
export const MUTATING_POLICY_VERSION = 'v1alpha1';

// The manager name the merge of an apply configuration is done under; its managedFields entry is
// dropped again, since a policy's mutation is the request's own change, not a new owner.
const MERGE_MANAGER = 'mutating-admission-policy';

class MutationError extends Error {}

/** MutatingAdmissionPolicyAdmission holds the mutating policy and binding caches and is their admission plugin. */
export class MutatingAdmissionPolicyAdmission {
  readonly policies: ConfigCache;
  readonly bindings: ConfigCache;
  private readonly now: () => Date;

  constructor(
    private readonly registry: Registry,
    resources: ResourceTable,
    /** matcher is the validating policies' plugin, whose matching and params rules these policies share. */
    private readonly matcher: ValidatingAdmissionPolicyAdmission,
    options: { log?: (record: Record<string, unknown>) => void; now?: () => Date } = {},
  ) {
    const log = options.log ?? (() => undefined);
    this.now = options.now ?? (() => new Date());
    this.policies = new ConfigCache(registry, () => resources.lookup('admissionregistration.k8s.io', MUTATING_POLICY_VERSION, 'mutatingadmissionpolicies'), log);
    this.bindings = new ConfigCache(registry, () => resources.lookup('admissionregistration.k8s.io', MUTATING_POLICY_VERSION, 'mutatingadmissionpolicybindings'), log);
  }

  start(): void {
    this.policies.start();
    this.bindings.start();
  }

  stop(): void {
    this.policies.stop();
    this.bindings.stop();
  }

  async waitForSync(): Promise<void> {
    await Promise.all([this.policies.waitForSync(), this.bindings.waitForSync()]);
  }

  /** plugin is the admission plugin (admit phase only). */
  plugin(): AdmissionPlugin {
    return { name: 'MutatingAdmissionPolicy', admit: (attrs) => this.admit(attrs) };
  }

  /** admit applies the mutations of every matching binding to attrs.object, in binding order. */
  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (!attrs.object || attrs.operation === 'DELETE' || isExemptFromAdmission(attrs.resource)) return;
    const bindings = this.bindings.list();
    if (!bindings.length) return;
    // IfNeeded policies are run once more when a later one changed the object after they saw it.
    const ranIfNeeded: KubeObject[] = [];
    const reinvoke = new Set<KubeObject>();
    for (const binding of bindings) {
      const changed = await this.runBinding(binding, attrs);
      if (changed === undefined) continue;
      if (changed) for (const earlier of ranIfNeeded) if (earlier !== binding) reinvoke.add(earlier);
      if (this.policyOf(binding)?.spec?.reinvocationPolicy === 'IfNeeded') ranIfNeeded.push(binding);
    }
    for (const binding of bindings) if (reinvoke.has(binding)) await this.runBinding(binding, attrs);
  }

  private policyOf(binding: KubeObject): (KubeObject & { spec?: MutatingPolicySpec }) | undefined {
    return this.policies.get(((binding.spec ?? {}) as BindingSpec).policyName ?? '') as (KubeObject & { spec?: MutatingPolicySpec }) | undefined;
  }

  // runBinding runs one binding's policy when it matches: undefined when it does not, else whether it changed the object.
  private async runBinding(binding: KubeObject, attrs: AdmissionAttributes): Promise<boolean | undefined> {
    const bspec = (binding.spec ?? {}) as BindingSpec;
    const policy = this.policyOf(binding);
    if (!policy) return undefined;
    const spec = policy.spec ?? {};
    const namespace = await this.matcher.namespaceOf(attrs);
    const seenAs = this.matcher.matches(spec.matchConstraints, attrs, namespace);
    if (!seenAs) return undefined;
    if (bspec.matchResources) {
      const m = bspec.matchResources;
      const narrowed = m.resourceRules?.length ? m : { ...m, resourceRules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'] }] };
      if (!this.matcher.matches(narrowed, attrs, namespace)) return undefined;
    }
    const names = { policy: policy.metadata!.name!, binding: binding.metadata!.name! };
    const ignore = spec.failurePolicy === 'Ignore';
    let paramsList: Array<KubeObject | null>;
    try {
      paramsList = await this.matcher.paramsOf(spec, bspec, attrs);
    } catch (err) {
      if (!(err instanceof ParamError)) throw err;
      if (ignore) return undefined;
      throw refusal(names, err.message);
    }
    let changed = false;
    for (const params of paramsList) {
      try {
        changed = (await this.mutate(spec, attrs, seenAs, params, namespace)) || changed;
      } catch (err) {
        if (!(err instanceof MutationError)) throw err;
        if (!ignore) throw refusal(names, err.message);
      }
    }
    return changed;
  }

  // mutate evaluates one policy for one param on the object as the policy sees it (its matched
  // version, through a CRD's conversion webhook when it has one), applies each mutation in turn
  // and writes the result back into attrs.object in the request's version.
  private async mutate(spec: MutatingPolicySpec, attrs: AdmissionAttributes, seenAs: NonNullable<ReturnType<ValidatingAdmissionPolicyAdmission['matches']>>, params: KubeObject | null, namespaceObject: KubeObject | null): Promise<boolean> {
    const request = await convertedAdmissionRequest(attrs, seenAs, '');
    const { uid: _uid, ...celRequest } = request;
    let object = request.object as KubeObject;
    const variables: Obj = {};
    const activation = () => celActivation({ object, oldObject: request.oldObject, request: celRequest, params, namespaceObject, variables, authorizer: null });
    for (const c of spec.matchConditions ?? []) {
      let result: unknown;
      try {
        result = evaluateAdmissionCel(c.expression, 'policy', activation());
      } catch (err) {
        throw new MutationError(`failed to evaluate match condition '${c.name}': ${(err as Error).message}`);
      }
      if (result === false) return false;
    }
    const sent = JSON.stringify(object);
    for (const m of spec.mutations ?? []) {
      // Variables are evaluated for each mutation, so later ones see the object as changed so far.
      for (const key of Object.keys(variables)) delete variables[key];
      for (const v of spec.variables ?? []) {
        try {
          variables[v.name] = fromCel(evaluateAdmissionCel(v.expression, 'policy', activation()));
        } catch {
          // A variable that fails is left out: only an expression using it fails.
        }
      }
      object = this.applyMutation(m, object, activation(), seenAs);
    }
    if (JSON.stringify(object) === sent) return false;
    const back = await convertObject(object, seenAs, attrs.resource);
    attrs.resource.defaults?.(back);
    const target = attrs.object as Obj;
    for (const k of Object.keys(target)) delete target[k];
    Object.assign(target, back);
    return true;
  }

  private applyMutation(m: Mutation, object: KubeObject, activation: Record<string, unknown>, seenAs: Parameters<Registry['patchSchema']>[0]): KubeObject {
    const expression = (m.patchType === 'JSONPatch' ? m.jsonPatch?.expression : m.applyConfiguration?.expression) ?? '';
    let result: unknown;
    try {
      result = fromCel(evaluateAdmissionCel(expression, 'mutation', activation));
    } catch (err) {
      throw new MutationError(`expression '${expression}' resulted in error: ${(err as Error).message}`);
    }
    if (m.patchType === 'JSONPatch') {
      if (!Array.isArray(result)) throw new MutationError(`expression '${expression}' must evaluate to a list of JSONPatch`);
      try {
        const patched = applyJsonPatch(object, result);
        if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw new Error('the patched object is not an object');
        return patched as KubeObject;
      } catch (err) {
        throw new MutationError(`JSON Patch: ${(err as Error).message}`);
      }
    }
    if (result === null || typeof result !== 'object' || Array.isArray(result)) throw new MutationError(`expression '${expression}' must evaluate to an Object`);
    const applied = { ...(result as Obj), apiVersion: object.apiVersion, kind: object.kind } as KubeObject;
    try {
      const merged = apply(object, applied, MERGE_MANAGER, true, this.registry.patchSchema(seenAs), object.metadata?.managedFields ?? [], this.now()).object;
      // The merge is the request's own change: keep the object's managedFields as they were.
      const meta = (merged.metadata ??= {});
      if (object.metadata?.managedFields !== undefined) meta.managedFields = object.metadata.managedFields;
      else delete meta.managedFields;
      return merged;
    } catch (err) {
      throw new MutationError(`apply configuration: ${(err as Error).message}`);
    }
  }
}

// refusal is a mutation that could not be made under failurePolicy Fail.
function refusal(names: { policy: string; binding: string }, message: string): StatusError {
  const text = `policy '${names.policy}' with binding '${names.binding}' denied request: ${message}`;
  return new StatusError(422, 'Invalid', text, { causes: [{ message: text }] });
}
