/**
 * ValidatingAdmissionPolicy admission (admissionregistration.k8s.io/v1): every binding whose
 * policy and match resources select a write evaluates the policy's CEL validations against the
 * object (with params, variables, namespaceObject and request), in the validate phase before
 * the validating webhooks, as kube's plugin order has it. A failed validation is acted on by the
 * binding's validationActions: Deny refuses with kube's message, Warn sends a Warning header,
 * Audit records an audit annotation. nodeless has no audit log yet, so audit annotations (and
 * the policy's auditAnnotations) are kept in a bounded in-memory record and logged.
 */
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import type { AdmissionAttributes, AdmissionPlugin } from '../registry/admission';
import type { Registry } from '../registry/generic-registry';
import { namespaceOfWrite } from '../registry/namespace-lifecycle';
import type { ResourceTable } from '../registry/resource-table';
import { StatusError, notFound } from '../../schemas/meta/status-error';
import { labelSelectorFromObject, labelSelectorToString, matches, type LabelSelectorObject } from '../../schemas/meta/selectors';
import { celActivation, evaluateAdmissionCel } from '../../schemas/admission-cel';
import { matchConditions } from './match-conditions';
import { ConfigCache } from './config-cache';
import { matchingResource, rulesMatch, storageKey, targetOf, type RuleWithOperations } from './webhook-rules';
import { convertedAdmissionRequest, isExemptFromAdmission, type AdmissionRequest } from './webhook-admission';

type Obj = Record<string, unknown>;

interface NamedRule extends RuleWithOperations {
  resourceNames?: string[];
}

/** MatchResources is a policy's matchConstraints or a binding's matchResources. */
export interface MatchResources {
  namespaceSelector?: LabelSelectorObject;
  objectSelector?: LabelSelectorObject;
  resourceRules?: NamedRule[];
  excludeResourceRules?: NamedRule[];
  matchPolicy?: 'Exact' | 'Equivalent';
}

/** PolicySpec is the part of a policy spec that matching and params read. */
export interface PolicySpec {
  failurePolicy?: 'Fail' | 'Ignore';
  paramKind?: { apiVersion?: string; kind?: string };
  matchConstraints?: MatchResources;
  validations?: Array<{ expression: string; message?: string; messageExpression?: string; reason?: string }>;
  auditAnnotations?: Array<{ key: string; valueExpression: string }>;
  matchConditions?: Array<{ name: string; expression: string }>;
  variables?: Array<{ name: string; expression: string }>;
}

/** BindingSpec is the part of a binding spec that matching and params read. */
export interface BindingSpec {
  policyName?: string;
  paramRef?: { name?: string; namespace?: string; selector?: LabelSelectorObject; parameterNotFoundAction?: 'Allow' | 'Deny' };
  matchResources?: MatchResources;
  validationActions?: Array<'Deny' | 'Warn' | 'Audit'>;
}

/** AuditRecord is one audit annotation a policy produced for a request. */
export interface AuditRecord {
  key: string;
  value: string;
  resource: string;
  namespace?: string;
  name: string;
}

// Reasons a validation may give, and the HTTP codes kube answers them with.
const REASON_CODES: Record<string, number> = { Unauthorized: 401, Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413 };

/** AUDIT_RECORDS bounds the in-memory audit annotations (there is no audit log to write them to). */
const AUDIT_RECORDS = 1000;

interface Decision {
  action: 'Deny' | 'Warn' | 'Audit';
  policy: string;
  /** binding is absent for an error of the policy itself (its matched version could not be had) */
  binding?: string;
  message: string;
  reason: string;
}

/** ValidatingAdmissionPolicyAdmission holds the policy and binding caches and is their admission plugin. */
export class ValidatingAdmissionPolicyAdmission {
  readonly policies: ConfigCache;
  readonly bindings: ConfigCache;
  /** audit lists the latest audit annotations (Audit actions and auditAnnotations), oldest first. */
  readonly audit: AuditRecord[] = [];
  private readonly log: (record: Record<string, unknown>) => void;

  constructor(
    private readonly registry: Registry,
    private readonly resources: ResourceTable,
    options: { log?: (record: Record<string, unknown>) => void } = {},
  ) {
    this.log = options.log ?? (() => undefined);
    this.policies = new ConfigCache(registry, () => resources.lookup('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicies'), this.log);
    this.bindings = new ConfigCache(registry, () => resources.lookup('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicybindings'), this.log);
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

  /** plugin is the admission plugin (validate phase only: policies never mutate). */
  plugin(): AdmissionPlugin {
    return { name: 'ValidatingAdmissionPolicy', validate: (attrs) => this.validate(attrs) };
  }

  /** validate evaluates every matching binding; the first Deny decision refuses the write. */
  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (isExemptFromAdmission(attrs.resource)) return;
    const bindings = this.bindings.list();
    if (!bindings.length) return;
    const decisions: Decision[] = [];
    let namespace: KubeObject | null | undefined;
    const namespaceObject = async () => (namespace ??= await this.namespaceOf(attrs));
    for (const binding of bindings) {
      const bspec = (binding.spec ?? {}) as BindingSpec;
      const policy = this.policies.get(bspec.policyName ?? '');
      if (!policy) continue;
      const spec = (policy.spec ?? {}) as PolicySpec;
      const seenAs = this.matches(spec.matchConstraints, attrs, await namespaceObject());
      if (!seenAs) continue;
      // A binding's matchResources narrow what the policy matches; without resourceRules they
      // keep every resource the policy selects.
      if (bspec.matchResources) {
        const m = bspec.matchResources;
        const narrowed = m.resourceRules?.length ? m : { ...m, resourceRules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'] }] };
        if (!this.matches(narrowed, attrs, await namespaceObject())) continue;
      }
      const names = { policy: policy.metadata!.name!, binding: binding.metadata!.name! };
      const actions = bspec.validationActions ?? [];
      const fail = (message: string, reason = 'Invalid') => {
        for (const action of actions) decisions.push({ action, ...names, message, reason });
      };
      // A policy or binding that cannot be evaluated denies under failurePolicy Fail, whatever
      // the binding's validationActions (kube's addConfigError).
      const configError = (message: string, binding?: string) => {
        if (spec.failurePolicy !== 'Ignore') decisions.push({ action: 'Deny', policy: names.policy, binding, message, reason: 'Invalid' });
      };
      let paramsList: Array<KubeObject | null>;
      try {
        paramsList = await this.paramsOf(spec, bspec, attrs);
      } catch (err) {
        if (!(err instanceof ParamError)) throw err;
        configError(err.message, err.of === 'binding' ? names.binding : undefined);
        continue;
      }
      let request: AdmissionRequest;
      try {
        request = await convertedAdmissionRequest(attrs, seenAs, '');
      } catch (err) {
        if (!(err instanceof StatusError)) throw err;
        configError(`failed to configure policy: failed to convert object version: ${err.status.message}`);
        continue;
      }
      for (const params of paramsList) {
        const failures = this.evaluate(spec, request, params, await namespaceObject(), names.policy, attrs);
        for (const f of failures) fail(f.message, f.reason);
      }
    }
    for (const d of decisions) {
      if (d.action === 'Warn') attrs.warn?.(`Validation failed for ValidatingAdmissionPolicy '${d.policy}' with binding '${d.binding}': ${d.message}`);
      if (d.action === 'Audit') {
        const value = JSON.stringify([{ message: d.message, policy: d.policy, binding: d.binding, expressionIndex: 0, validationActions: ['Audit'] }]);
        this.record(attrs, 'validation.policy.admission.k8s.io/validation_failure', value);
      }
    }
    const denied = decisions.find((d) => d.action === 'Deny');
    if (denied) throw denial(attrs, denied);
  }

  // evaluate runs one policy for one param: its matchConditions, variables, validations and
  // audit annotations; it answers the failed validations (an evaluation error under
  // failurePolicy Fail is a failure too).
  private evaluate(spec: PolicySpec, request: AdmissionRequest, params: KubeObject | null, namespaceObject: KubeObject | null, policyName: string, attrs: AdmissionAttributes): Array<{ message: string; reason: string }> {
    const ignore = spec.failurePolicy === 'Ignore';
    const { uid: _uid, ...celRequest } = request;
    const base = { object: request.object, oldObject: request.oldObject, request: celRequest, params, namespaceObject, authorizer: null };
    const variables: Obj = {};
    const activation = () => celActivation({ ...base, variables });
    const out: Array<{ message: string; reason: string }> = [];
    // matchConditions: any false skips the policy; an error fails by failurePolicy.
    const condition = matchConditions(spec.matchConditions ?? [], activation());
    if (condition === false) return [];
    if (condition !== true) return ignore ? [] : [{ message: condition, reason: 'Invalid' }];
    // Variables are evaluated in order, each seeing the earlier ones; one that fails is left out,
    // so only an expression that uses it fails.
    for (const v of spec.variables ?? []) {
      try {
        variables[v.name] = fromCel(evaluateAdmissionCel(v.expression, 'policy', activation()));
      } catch {
        // left out on purpose (see above)
      }
    }
    const act = activation();
    for (const v of spec.validations ?? []) {
      let result: unknown;
      try {
        result = evaluateAdmissionCel(v.expression, 'policy', act);
      } catch (err) {
        if (!ignore) out.push({ message: `expression '${v.expression}' resulted in error: ${(err as Error).message}`, reason: 'Invalid' });
        continue;
      }
      if (result === true) continue;
      if (result !== false) {
        if (!ignore) out.push({ message: `expression '${v.expression}' resulted in error: expected a bool result`, reason: 'Invalid' });
        continue;
      }
      out.push({ message: this.messageOf(v, act), reason: v.reason ?? 'Invalid' });
    }
    for (const a of spec.auditAnnotations ?? []) {
      try {
        const value = evaluateAdmissionCel(a.valueExpression, 'policy', act);
        if (typeof value === 'string' && value !== '') this.record(attrs, `${policyName}/${a.key}`, value);
      } catch (err) {
        this.log({ msg: 'auditAnnotation failed', policy: policyName, key: a.key, error: (err as Error).message });
      }
    }
    return out;
  }

  // messageOf is the messageExpression's string when it gives one, else message, else kube's
  // "failed expression: <expression>".
  private messageOf(v: NonNullable<PolicySpec['validations']>[number], act: Record<string, unknown>): string {
    if (v.messageExpression) {
      try {
        const m = evaluateAdmissionCel(v.messageExpression, 'policy', act);
        if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) return m;
      } catch {
        // falls back to message, as kube does
      }
    }
    return v.message || `failed expression: ${v.expression}`;
  }

  private record(attrs: AdmissionAttributes, key: string, value: string): void {
    const rec = { key, value, resource: attrs.resource.plural, namespace: attrs.namespace, name: attrs.name };
    this.audit.push(rec);
    if (this.audit.length > AUDIT_RECORDS) this.audit.shift();
    this.log({ msg: 'audit annotation (no audit log: recorded in memory)', ...rec });
  }

  /**
   * matches applies match resources (rules with resourceNames, exclusions, selectors); it answers
   * the resource the request is seen as (matchPolicy Equivalent), or undefined. The mutating
   * policies match the same way.
   */
  matches(m: MatchResources | undefined, attrs: AdmissionAttributes, namespace: KubeObject | null): ResourceDefinition | undefined {
    if (!m) return undefined;
    const sub = attrs.subresource ?? '';
    const named = (rules: NamedRule[] | undefined) => (rules ?? []).filter((r) => !r.resourceNames?.length || r.resourceNames.includes(attrs.name));
    const seenAs = matchingResource(named(m.resourceRules), m.matchPolicy, attrs.resource, attrs.operation, sub, () => this.equivalents(attrs.resource));
    if (!seenAs) return undefined;
    if (rulesMatch(named(m.excludeResourceRules), targetOf(attrs.resource, attrs.operation, sub))) return undefined;
    const nsSelector = labelSelectorFromObject(m.namespaceSelector ?? {});
    const nsDef = this.resources.lookup('', 'v1', 'namespaces');
    if (attrs.resource === nsDef) {
      if (!matches(nsSelector, (attrs.object ?? attrs.oldObject)?.metadata?.labels)) return undefined;
    } else if (attrs.resource.namespaced && !nsSelector.empty && !matches(nsSelector, namespace?.metadata?.labels)) {
      return undefined;
    }
    const objSelector = labelSelectorFromObject(m.objectSelector ?? {});
    if (!objSelector.empty && !((attrs.object && matches(objSelector, attrs.object.metadata?.labels)) || (attrs.oldObject && matches(objSelector, attrs.oldObject.metadata?.labels)))) return undefined;
    return seenAs;
  }

  private equivalents(def: ResourceDefinition): ResourceDefinition[] {
    const key = storageKey(def);
    return this.resources.all().filter((d) => storageKey(d) === key);
  }

  /** namespaceOf is the namespace object of a namespaced write (null for a cluster-scoped one). */
  async namespaceOf(attrs: AdmissionAttributes): Promise<KubeObject | null> {
    if (!attrs.resource.namespaced || !attrs.namespace) return null;
    const ns = await namespaceOfWrite(this.registry, this.resources.lookup('', 'v1', 'namespaces')!, attrs);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, attrs.namespace);
    return ns;
  }

  /**
   * paramsOf resolves the binding's paramRef: [null] without a paramKind or a paramRef; the
   * named object or every object the selector picks; [] when none is found and the binding
   * allows that. It throws ParamError when the params cannot be had.
   */
  async paramsOf(spec: PolicySpec, binding: BindingSpec, attrs: AdmissionAttributes): Promise<Array<KubeObject | null>> {
    if (!spec.paramKind) return [null];
    const [group, version] = (spec.paramKind.apiVersion ?? '').includes('/') ? spec.paramKind.apiVersion!.split('/') : ['', spec.paramKind.apiVersion ?? ''];
    const def = this.resources.byKind(group, version, spec.paramKind.kind ?? '');
    if (!def) throw new ParamError('policy', `failed to find resource referenced by paramKind: '${spec.paramKind.apiVersion}, Kind=${spec.paramKind.kind}'`);
    const ref = binding.paramRef;
    // A binding without paramRef evaluates the policy with null params, as kube's CollectParams.
    if (!ref) return [null];
    let namespace: string | undefined;
    if (def.namespaced) {
      namespace = ref.namespace || attrs.namespace;
      if (!namespace) throw new ParamError('binding', 'cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    } else if (ref.namespace) {
      throw new ParamError('binding', 'paramRef.namespace must not be provided for a cluster-scoped `paramKind`');
    }
    let found: KubeObject[] = [];
    if (ref.name) {
      try {
        found = [this.registry.decode(await this.registry.get(def, namespace, ref.name)) as KubeObject];
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) throw err;
      }
    } else {
      const selector = labelSelectorToString(labelSelectorFromObject(ref.selector ?? {}));
      const page = await this.registry.list(def, namespace, { labelSelector: selector || undefined });
      found = page.items.map((i) => this.registry.decode(i) as KubeObject);
    }
    if (found.length) return found;
    if (ref.parameterNotFoundAction === 'Allow') return [];
    throw new ParamError('binding', 'no params found for policy binding with `Deny` parameterNotFoundAction');
  }
}

/**
 * ParamError is a policy or binding whose params cannot be resolved (acted on by the policy's
 * failurePolicy); of says which is misconfigured, as kube's "failed to configure ..." prefix.
 */
export class ParamError extends Error {
  constructor(
    readonly of: 'policy' | 'binding',
    readonly why: string,
  ) {
    super(`failed to configure ${of}: ${why}`);
  }
}

/**
 * fromCel turns a CEL value back into JSON data (ints become numbers; they are ints again when
 * celActivation converts a variables map back in).
 */
export function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(fromCel);
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), fromCel(x)]));
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromCel(x)]));
  return v;
}

// denial is kube's refusal by a policy: admission.NewForbidden's message and details, with the
// validation's reason (Invalid by default) and its code, and the message as a cause.
function denial(attrs: AdmissionAttributes, d: Decision): StatusError {
  const by = d.binding === undefined ? `ValidatingAdmissionPolicy '${d.policy}'` : `ValidatingAdmissionPolicy '${d.policy}' with binding '${d.binding}'`;
  const message = `${by} denied request: ${d.message}`;
  const gr = attrs.resource.group ? `${attrs.resource.plural}.${attrs.resource.group}` : attrs.resource.plural;
  const subject = attrs.name ? `${gr} "${attrs.name}"` : gr;
  return new StatusError(REASON_CODES[d.reason] ?? 422, d.reason, `${subject} is forbidden: ${message}`, {
    name: attrs.name || undefined,
    group: attrs.resource.group || undefined,
    kind: attrs.resource.plural,
    causes: [{ message }],
  });
}
