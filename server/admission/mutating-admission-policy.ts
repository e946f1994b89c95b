/**
 * MutatingAdmissionPolicy admission (admissionregistration.k8s.io/v1alpha1, kube 1.32 alpha,
 * behind the MutatingAdmissionPolicy feature gate): every binding whose policy and match
 * resources select a write evaluates the policy's mutations in the admit phase, before the
 * mutating webhooks, as kube's plugin order has it. A mutation is a CEL expression yielding either
 * an apply configuration (`Object{...}`, merged into the object with server-side apply's merge
 * rules: list-map items by key, atomic lists replaced) or a list of `JSONPatch{op, path, value}`
 * operations. Matching, params, variables and matchConditions work as for
 * ValidatingAdmissionPolicy. What goes wrong is collected as kube's policy dispatcher does it
 * (configuration errors, then failed matchConditions and mutations; a failed mutation does not
 * stop the next one) and, unless the policy's failurePolicy is Ignore, refuses the write with
 * kube's 403 and wording. reinvocationPolicy IfNeeded runs a policy once more when the object
 * changed after it saw it (see AdmissionChain.admit and reinvocation.ts).
 */
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import type { AdmissionAttributes, AdmissionPlugin } from '../registry/admission';
import type { Registry } from '../registry/generic-registry';
import type { ResourceTable } from '../registry/resource-table';
import { StatusError } from '../../schemas/meta/status-error';
import { isPlainObject, jsonEqual } from '../../schemas/meta/json';
import { NO_PATCH_METADATA, type PatchSchema } from '../../schemas/patch-metadata';
import { celActivation, evaluateAdmissionCel } from '../../schemas/admission-cel';
import { apply } from '../patch/server-side-apply';
import { applyJsonPatch } from '../patch/json-patch';
import { pruneUnknownFields } from '../registry/field-validation';
import { ConfigCache } from './config-cache';
import { PluginReinvocation } from './reinvocation';
import { convertObject, convertedAdmissionRequest, isExemptFromAdmission, type AdmissionRequest } from './webhook-admission';
import { matchConditions } from './match-conditions';
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
    const errors = new PolicyErrors();
    const invocations: Invocation[] = [];
    for (const binding of bindings) invocations.push(...(await this.invocationsOf(binding, attrs, errors)));
    // IfNeeded policies run again on the chain's second run when the object changed after they
    // saw it, by a later policy or another plugin (a mutating webhook), as kube reinvokes them.
    const reinvocation = PluginReinvocation.of(attrs, 'MutatingAdmissionPolicy');
    reinvocation.begin(attrs.object);
    try {
      for (const inv of invocations) {
        if (reinvocation.skips(inv.key)) continue;
        const changed = await this.invoke(inv, attrs, errors);
        if (changed !== undefined) reinvocation.ran(inv.key, changed, inv.spec.reinvocationPolicy === 'IfNeeded');
      }
    } finally {
      reinvocation.end(attrs.object);
    }
    errors.throwIfAny(attrs);
  }

  private policyOf(binding: KubeObject): (KubeObject & { spec?: MutatingPolicySpec }) | undefined {
    return this.policies.get(((binding.spec ?? {}) as BindingSpec).policyName ?? '') as (KubeObject & { spec?: MutatingPolicySpec }) | undefined;
  }

  // invocationsOf is what a binding asks for this write: one invocation per param when its
  // policy and match resources select the write. Params that cannot be had are a configuration
  // error (kube's generic policy dispatcher), judged by the policy's failurePolicy.
  private async invocationsOf(binding: KubeObject, attrs: AdmissionAttributes, errors: PolicyErrors): Promise<Invocation[]> {
    const bspec = (binding.spec ?? {}) as BindingSpec;
    const policy = this.policyOf(binding);
    if (!policy) return [];
    const spec = policy.spec ?? {};
    const namespace = await this.matcher.namespaceOf(attrs);
    const seenAs = this.matcher.matches(spec.matchConstraints, attrs, namespace);
    if (!seenAs) return [];
    if (bspec.matchResources) {
      const m = bspec.matchResources;
      const narrowed = m.resourceRules?.length ? m : { ...m, resourceRules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'] }] };
      if (!this.matcher.matches(narrowed, attrs, namespace)) return [];
    }
    const names = { policy: policy.metadata!.name!, binding: binding.metadata!.name! };
    let paramsList: Array<KubeObject | null>;
    try {
      paramsList = await this.matcher.paramsOf(spec, bspec, attrs);
    } catch (err) {
      if (!(err instanceof ParamError)) throw err;
      errors.config(spec, names.policy, err.of === 'binding' ? names.binding : undefined, err.message);
      return [];
    }
    return paramsList.map((params) => ({
      key: JSON.stringify([names.policy, names.binding, params?.metadata?.namespace ?? '', params?.metadata?.name ?? '']),
      names, spec, seenAs, params, namespace,
    }));
  }

  // invoke runs one invocation: undefined when its matchConditions skip it (or it failed), else
  // whether it changed the object. A failing mutation is recorded and the next one still runs,
  // as kube's mutating dispatcher does.
  private async invoke(inv: Invocation, attrs: AdmissionAttributes, errors: PolicyErrors): Promise<boolean | undefined> {
    let request: AdmissionRequest;
    try {
      request = await convertedAdmissionRequest(attrs, inv.seenAs, '');
    } catch (err) {
      if (!(err instanceof StatusError)) throw err;
      errors.config(inv.spec, inv.names.policy, undefined, `failed to configure policy: ${err.status.message}`);
      return undefined;
    }
    const { uid: _uid, ...celRequest } = request;
    let object = request.object as KubeObject;
    const variables: Obj = {};
    const activation = () => celActivation({ object, oldObject: request.oldObject, request: celRequest, params: inv.params, namespaceObject: inv.namespace, variables, authorizer: null });
    const condition = matchConditions(inv.spec.matchConditions ?? [], activation());
    if (condition !== true) {
      if (condition !== false) errors.dispatch(inv, condition);
      return undefined;
    }
    const sent = object;
    for (const m of inv.spec.mutations ?? []) {
      // Variables are evaluated for each mutation, so later ones see the object as changed so far.
      for (const key of Object.keys(variables)) delete variables[key];
      for (const v of inv.spec.variables ?? []) {
        try {
          variables[v.name] = fromCel(evaluateAdmissionCel(v.expression, 'policy', activation()));
        } catch {
          // A variable that fails is left out: only an expression using it fails.
        }
      }
      try {
        object = this.applyMutation(m, object, activation(), inv.seenAs);
      } catch (err) {
        if (!(err instanceof MutationError)) throw err;
        errors.dispatch(inv, err.message);
      }
    }
    if (jsonEqual(object, sent)) return false;
    let back: KubeObject;
    try {
      back = await convertObject(object, inv.seenAs, attrs.resource);
    } catch (err) {
      if (!(err instanceof StatusError)) throw err;
      throw new StatusError(500, 'InternalError', `Internal error occurred: failed to convert object: ${err.status.message}`);
    }
    attrs.resource.defaults?.(back);
    const target = attrs.object as Obj;
    for (const k of Object.keys(target)) delete target[k];
    Object.assign(target, back);
    return true;
  }

  // applyMutation evaluates one mutation and applies it, with kube's error texts (its JSON patch
  // errors carry kube's "JSONPath" prefix).
  private applyMutation(m: Mutation, object: KubeObject, activation: Record<string, unknown>, seenAs: Parameters<Registry['patchSchema']>[0]): KubeObject {
    const expression = (m.patchType === 'JSONPatch' ? m.jsonPatch?.expression : m.applyConfiguration?.expression) ?? '';
    let result: unknown;
    try {
      result = fromCel(evaluateAdmissionCel(expression, 'mutation', activation));
    } catch (err) {
      throw new MutationError(`expression '${expression}' resulted in error: ${(err as Error).message}`);
    }
    if (m.patchType === 'JSONPatch') return strictlyDecoded(patched(object, result), seenAs);
    if (result === null || typeof result !== 'object' || Array.isArray(result)) throw new MutationError(`unsupported return type from ApplyConfiguration expression: ${Array.isArray(result) ? 'list' : typeof result}`);
    // Fields the schema does not declare cannot be typed, as structured-merge-diff refuses them.
    const undeclared = pruneUnknownFields(seenAs, structuredClone({ ...(result as Obj), apiVersion: object.apiVersion, kind: object.kind }) as KubeObject);
    if (undeclared.length) throw new MutationError(`error applying patch: failed to convert patch object to typed object: ${typedErrors(undeclared)}`);
    const schema = this.registry.patchSchema(seenAs);
    const atomics = atomicPaths(result, schema, '', !seenAs.definitionName);
    if (atomics.length) throw new MutationError(`error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: ${atomics.join(', ')}`);
    const applied = { ...(result as Obj), apiVersion: object.apiVersion, kind: object.kind } as KubeObject;
    try {
      const merged = apply(object, applied, MERGE_MANAGER, true, schema, object.metadata?.managedFields ?? [], this.now()).object;
      // The merge is the request's own change: keep the object's managedFields as they were.
      const meta = (merged.metadata ??= {});
      if (object.metadata?.managedFields !== undefined) meta.managedFields = object.metadata.managedFields;
      else delete meta.managedFields;
      return merged;
    } catch (err) {
      throw new MutationError(`error applying patch: failed to merge patch: ${(err as Error).message}`);
    }
  }
}

/** Invocation is one policy, binding and param for one write (kube's PolicyInvocation). */
interface Invocation {
  /** key identifies the invocation across reinvocations: policy, binding and param */
  key: string;
  names: { policy: string; binding: string };
  spec: MutatingPolicySpec;
  seenAs: ResourceDefinition;
  params: KubeObject | null;
  namespace: KubeObject | null;
}

// patched applies a JSONPatch mutation. A failed test operation leaves the object as it was
// (kube applies none of such a patch); any other failure is an error.
function patched(object: KubeObject, ops: unknown): KubeObject {
  if (!Array.isArray(ops)) throw new MutationError('type mismatch: JSONPatchType.expression should evaluate to array');
  let out: unknown;
  try {
    out = applyJsonPatch(object, ops);
  } catch (err) {
    const message = (err as Error).message;
    // evanphx/json-patch wraps ErrTestFailed as "testing value <path> failed: test failed".
    if (/^testing value .* failed: test failed$/.test(message)) return object;
    throw new MutationError(`JSONPath: ${message}`);
  }
  if (out === null || typeof out !== 'object' || Array.isArray(out)) throw new MutationError('JSONPath: the patched object is not an object');
  return out as KubeObject;
}

// strictlyDecoded refuses a JSON-patched built-in object with fields its kind does not declare,
// as kube decodes the patched object strictly (an InternalError, not a policy failure); a custom
// resource is decoded as it is, and pruned later.
function strictlyDecoded(object: KubeObject, def: ResourceDefinition): KubeObject {
  if (!def.definitionName) return object;
  const unknown = pruneUnknownFields(def, structuredClone(object));
  if (unknown.length) throw new StatusError(500, 'InternalError', `Internal error occurred: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  return object;
}

// typedErrors words undeclared fields as structured-merge-diff's ValidationErrors.
function typedErrors(fields: string[]): string {
  const errs = fields.map((f) => `.${f}: field not declared in schema`);
  return errs.length === 1 ? errs[0] : ['errors:', ...errs.map((e) => `  ${e}`)].join('\n');
}

// ATOMIC_STRUCTS are built-in types marked +structType=atomic, which the patch table records
// per field only where a field says so itself.
const ATOMIC_STRUCTS = new Set([
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
  'io.k8s.api.core.v1.NodeSelector',
  'io.k8s.api.core.v1.ObjectReference',
  'io.k8s.api.core.v1.LocalObjectReference',
  'io.k8s.api.core.v1.ConfigMapKeySelector',
  'io.k8s.api.core.v1.SecretKeySelector',
  'io.k8s.api.core.v1.ObjectFieldSelector',
  'io.k8s.api.core.v1.ResourceFieldSelector',
]);

/**
 * atomicPaths lists the atomic lists, maps and structs an apply configuration sets, in kube's
 * field path spelling (".spec.x[0].y"): a policy may not mutate them, since the merge would
 * replace them whole. In a custom resource's schema a list without x-kubernetes-list-type is
 * atomic, as structured-merge-diff reads it (listsAtomicByDefault).
 */
function atomicPaths(value: unknown, schema: PatchSchema, path: string, listsAtomicByDefault: boolean): string[] {
  if (!isPlainObject(value)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const field = schema.field(k);
    const at = `${path}.${k}`;
    if (Array.isArray(v)) {
      const declared = field.schema !== NO_PATCH_METADATA;
      if (field.meta?.listType === 'atomic' || (listsAtomicByDefault && declared && !field.meta?.listType)) out.push(at);
      v.forEach((item, i) => out.push(...atomicPaths(item, field.schema, `${at}[${i}]`, listsAtomicByDefault)));
    } else if (isPlainObject(v)) {
      if (field.meta?.mapType === 'atomic' || ATOMIC_STRUCTS.has(field.schema.name)) out.push(at);
      out.push(...atomicPaths(v, field.schema, at, listsAtomicByDefault));
    }
  }
  return out;
}

/**
 * PolicyErrors collects what went wrong for one write, as kube's policy dispatcher does: the
 * configuration errors (params, conversion) first, then the errors of the invocations; those of
 * policies with failurePolicy Ignore are dropped.
 */
class PolicyErrors {
  private readonly configErrors: PolicyError[] = [];
  private readonly dispatchErrors: PolicyError[] = [];

  /** config records a policy or binding that could not be set up (binding undefined: the policy itself). */
  config(spec: MutatingPolicySpec, policy: string, binding: string | undefined, message: string): void {
    if (spec.failurePolicy !== 'Ignore') this.configErrors.push({ message: policyErrorText(policy, binding, message) });
  }

  /** dispatch records a failed matchCondition or mutation of an invocation (reason Invalid). */
  dispatch(inv: Invocation, message: string): void {
    if (inv.spec.failurePolicy !== 'Ignore') this.dispatchErrors.push({ message: policyErrorText(inv.names.policy, inv.names.binding, message), reason: 'Invalid' });
  }

  /**
   * throwIfAny refuses the write as kube does: admission.NewForbidden's 403 and details, its
   * message replaced by the first error's, that error's reason, and every error as a cause.
   */
  throwIfAny(attrs: AdmissionAttributes): void {
    const all = [...this.configErrors, ...this.dispatchErrors];
    if (!all.length) return;
    throw new StatusError(403, all[0].reason ?? 'Forbidden', all[0].message, {
      name: attrs.name || undefined,
      group: attrs.resource.group || undefined,
      kind: attrs.resource.plural,
      causes: all.map((e) => ({ message: e.message })),
    });
  }
}

interface PolicyError {
  message: string;
  reason?: string;
}

// policyErrorText is kube's PolicyError text.
function policyErrorText(policy: string, binding: string | undefined, message: string): string {
  return binding === undefined ? `policy ${JSON.stringify(policy)} denied request: ${message}` : `policy '${policy}' with binding '${binding}' denied request: ${message}`;
}
