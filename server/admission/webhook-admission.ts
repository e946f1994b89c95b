/**
 * Admission webhooks: MutatingWebhookConfiguration and ValidatingWebhookConfiguration
 * (admissionregistration.k8s.io/v1) called with an admission.k8s.io/v1 AdmissionReview for the
 * requests their rules, selectors and matchConditions select, as kube-apiserver's
 * MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins do. Mutating webhooks run in
 * the admit phase (after the built-in mutating plugins), one after another, and their JSONPatch
 * answers are applied; validating webhooks run in the validate phase, all at once. The
 * configurations come from a watch-fed cache, never from storage per request.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject, ResourceDefinition, UserInfo } from '../../schemas/types';
import type { AdmissionAttributes, AdmissionPlugin } from '../registry/admission';
import type { Registry } from '../registry/generic-registry';
import { namespaceOfWrite } from '../registry/namespace-lifecycle';
import type { ResourceTable } from '../registry/resource-table';
import { StatusError, badRequest, forbidden, notFound, type Status } from '../../schemas/meta/status-error';
import { labelSelectorFromObject, matches, type LabelSelectorObject } from '../../schemas/meta/selectors';
import { applyJsonPatch } from '../patch/json-patch';
import { ConfigCache } from './config-cache';
import { matchingResource, storageKey, type RuleWithOperations } from './webhook-rules';
import { WebhookCallError, callWebhook, type ServiceResolver, type WebhookClientConfig } from './webhook-client';
import { serviceResolver } from './service-resolver';
import { PluginReinvocation } from './reinvocation';
import { celActivation } from '../../schemas/admission-cel';
import { matchConditions, type MatchCondition } from './match-conditions';

/** Webhook is one entry of a configuration's webhooks (defaults applied at storage). */
export interface Webhook {
  name: string;
  clientConfig: WebhookClientConfig;
  rules?: RuleWithOperations[];
  failurePolicy?: 'Fail' | 'Ignore';
  matchPolicy?: 'Exact' | 'Equivalent';
  namespaceSelector?: LabelSelectorObject;
  objectSelector?: LabelSelectorObject;
  sideEffects?: string;
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  reinvocationPolicy?: 'Never' | 'IfNeeded';
  matchConditions?: MatchCondition[];
}

/** AdmissionRequest is the request of an admission.k8s.io/v1 AdmissionReview. */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  requestKind: { group: string; version: string; kind: string };
  requestResource: { group: string; version: string; resource: string };
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: string;
  userInfo: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  object: KubeObject | null;
  oldObject: KubeObject | null;
  dryRun: boolean;
  options: Record<string, unknown> | null;
}

/**
 * MatchConditionEvaluator decides a webhook's matchConditions for one request: true when all
 * hold, false when one is false, else the text of the errors of those that could not be
 * evaluated (kube's "expression '<expression>' resulted in error: ...").
 */
export type MatchConditionEvaluator = (conditions: MatchCondition[], request: AdmissionRequest, namespaceObject: KubeObject | undefined) => boolean | string;

/** WebhookAdmissionOptions inject the Service resolver, the CEL evaluator and the uid source. */
export interface WebhookAdmissionOptions {
  resolve?: ServiceResolver;
  matchConditions?: MatchConditionEvaluator;
  uid?: () => string;
  log?: (record: Record<string, unknown>) => void;
}

/** SERVER_USER is who the server's own writes (the in-process controllers) are, as kube's loopback client. */
export const SERVER_USER: UserInfo = { username: 'system:apiserver', uid: 'system:apiserver', groups: ['system:authenticated', 'system:masters'] };

// Writes of admission configuration are never sent to webhooks, as in kube: a broken webhook
// could otherwise never be removed.
const EXEMPT = new Set([
  'validatingwebhookconfigurations',
  'mutatingwebhookconfigurations',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
  'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings',
]);

/** isExemptFromAdmission reports a write of admission configuration itself (admissionregistration.k8s.io). */
export function isExemptFromAdmission(def: ResourceDefinition): boolean {
  return def.group === 'admissionregistration.k8s.io' && EXEMPT.has(def.plural);
}

/** WebhookAdmission holds the configuration caches and is the admission plugin of both webhook kinds. */
export class WebhookAdmission {
  readonly mutating: ConfigCache;
  readonly validating: ConfigCache;
  private readonly resolve: ServiceResolver;
  private readonly uid: () => string;
  private readonly log: (record: Record<string, unknown>) => void;
  matchConditions?: MatchConditionEvaluator;

  constructor(
    private readonly registry: Registry,
    private readonly resources: ResourceTable,
    options: WebhookAdmissionOptions = {},
  ) {
    this.log = options.log ?? (() => undefined);
    this.mutating = new ConfigCache(registry, () => resources.lookup('admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations'), this.log);
    this.validating = new ConfigCache(registry, () => resources.lookup('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations'), this.log);
    this.resolve = options.resolve ?? serviceResolver(registry, resources);
    this.uid = options.uid ?? randomUUID;
    this.matchConditions = options.matchConditions ?? celMatchConditions;
  }

  /** start feeds the caches; stop ends them. */
  start(): void {
    this.mutating.start();
    this.validating.start();
  }

  stop(): void {
    this.mutating.stop();
    this.validating.stop();
  }

  /** waitForSync resolves once both caches hold their first list. */
  async waitForSync(): Promise<void> {
    await Promise.all([this.mutating.waitForSync(), this.validating.waitForSync()]);
  }

  /** plugin is the admission plugin: mutating webhooks in admit, validating webhooks in validate. */
  plugin(): AdmissionPlugin {
    return {
      name: 'AdmissionWebhooks',
      admit: (attrs) => this.admit(attrs),
      validate: (attrs) => this.validate(attrs),
    };
  }

  private hooksOf(cache: ConfigCache): Array<{ hook: Webhook; config: string }> {
    const out: Array<{ hook: Webhook; config: string }> = [];
    for (const cfg of cache.list()) {
      for (const hook of ((cfg as { webhooks?: Webhook[] }).webhooks ?? [])) out.push({ hook, config: cfg.metadata!.name! });
    }
    return out;
  }

  /**
   * admit calls the matching mutating webhooks in order, applying their patches to attrs.object.
   * reinvocationPolicy IfNeeded: on the chain's second run (see AdmissionChain.admit) a webhook
   * is called again when the object changed after it saw it, by a later webhook or another plugin.
   */
  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (!attrs.object || isExemptFromAdmission(attrs.resource)) return;
    const hooks = this.hooksOf(this.mutating);
    if (!hooks.length) return;
    const reinvocation = PluginReinvocation.of(attrs, 'MutatingAdmissionWebhook');
    reinvocation.begin(attrs.object);
    try {
      for (const { hook, config } of hooks) {
        const key = `${config}/${hook.name}`;
        if (reinvocation.skips(key)) continue;
        const changed = await this.callOne(hook, attrs, true);
        if (changed !== undefined) reinvocation.ran(key, changed, hook.reinvocationPolicy === 'IfNeeded');
      }
    } finally {
      reinvocation.end(attrs.object);
    }
  }

  /** validate calls the matching validating webhooks together; the first refusal (in order) wins. */
  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (isExemptFromAdmission(attrs.resource)) return;
    const hooks = this.hooksOf(this.validating);
    if (!hooks.length) return;
    const results = await Promise.allSettled(hooks.map(({ hook }) => this.callOne(hook, attrs, false)));
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  /**
   * callOne calls one webhook when it matches: undefined when it was not called, else whether
   * its patch changed the object. A denial, or a failure under failurePolicy Fail, throws.
   */
  private async callOne(hook: Webhook, attrs: AdmissionAttributes, mutating: boolean): Promise<boolean | undefined> {
    const subresource = attrs.subresource ?? '';
    const seenAs = matchingResource(hook.rules, hook.matchPolicy, attrs.resource, attrs.operation, subresource, () => this.equivalents(attrs.resource));
    if (!seenAs) return undefined;
    const ignore = hook.failurePolicy === 'Ignore';
    let namespaceObject: KubeObject | undefined;
    try {
      const nsMatch = await this.namespaceMatches(hook, attrs);
      if (!nsMatch.matches) return undefined;
      namespaceObject = nsMatch.namespace;
    } catch (err) {
      if (err instanceof StatusError) throw err;
      throw internalCallError(hook.name, (err as Error).message);
    }
    if (!objectMatches(hook, attrs)) return undefined;
    const request = await this.request(attrs, seenAs);
    if (hook.matchConditions?.length && !this.conditionsMatch(hook, request, namespaceObject, attrs)) return undefined;
    if (attrs.dryRun && hook.sideEffects !== 'None' && hook.sideEffects !== 'NoneOnDryRun') {
      throw badRequest(`admission webhook "${hook.name}" does not support dry run`);
    }
    let review: KubeObject;
    try {
      review = await callWebhook(
        { clientConfig: hook.clientConfig, timeoutSeconds: hook.timeoutSeconds ?? 10, body: { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request } },
        this.resolve,
      );
      checkReview(review, request.uid);
    } catch (err) {
      if (!(err instanceof WebhookCallError)) throw err;
      if (ignore) {
        this.log({ msg: 'admission webhook failed; failurePolicy Ignore lets the request through', webhook: hook.name, error: err.message });
        return undefined;
      }
      throw internalCallError(hook.name, `failed to call webhook: ${err.message}`);
    }
    const response = (review as { response: AdmissionResponse }).response;
    for (const w of response.warnings ?? []) if (typeof w === 'string' && w) attrs.warn?.(w);
    if (!response.allowed) throw denied(hook.name, response.status);
    if (!mutating || !response.patch) return false;
    if (response.patchType !== 'JSONPatch') {
      const err = `expected patchType JSONPatch, got ${response.patchType ?? '""'}`;
      if (ignore) return undefined;
      throw internalCallError(hook.name, err);
    }
    return this.applyPatch(hook, attrs, seenAs, request.object!, response.patch);
  }

  private async applyPatch(hook: Webhook, attrs: AdmissionAttributes, seenAs: ResourceDefinition, sent: KubeObject, patch: string): Promise<boolean> {
    let patched: unknown;
    try {
      const ops = JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as unknown;
      if (!Array.isArray(ops)) throw new Error('the patch is not a JSON array');
      patched = applyJsonPatch(sent, ops);
      if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw new Error('the patched object is not an object');
    } catch (err) {
      throw new StatusError(500, 'InternalError', `Internal error occurred: admission webhook "${hook.name}" returned a patch that cannot be applied: ${(err as Error).message}`, {
        causes: [{ message: (err as Error).message }],
      });
    }
    if (JSON.stringify(patched) === JSON.stringify(sent)) return false;
    const back = await convertObject(patched as KubeObject, seenAs, attrs.resource);
    // What a webhook added is defaulted as kube decodes the patched object (an added container
    // gets its terminationMessagePolicy).
    attrs.resource.defaults?.(back);
    const target = attrs.object as Record<string, unknown>;
    for (const k of Object.keys(target)) delete target[k];
    Object.assign(target, back);
    return true;
  }

  // equivalents are the served versions of the same storage (autoscaling/v1 and v2, a CRD's versions).
  // conditionsMatch decides hook's matchConditions: an error skips the hook under failurePolicy
  // Ignore and, under Fail, refuses the request with kube's Forbidden (the webhook is not called).
  private conditionsMatch(hook: Webhook, request: AdmissionRequest, namespaceObject: KubeObject | undefined, attrs: AdmissionAttributes): boolean {
    const result = this.matchConditions!(hook.matchConditions!, request, namespaceObject);
    if (typeof result === 'boolean') return result;
    if (hook.failurePolicy === 'Ignore') return false;
    throw forbidden({ group: attrs.resource.group, resource: attrs.resource.plural }, attrs.name, result);
  }

  private equivalents(def: ResourceDefinition): ResourceDefinition[] {
    const key = storageKey(def);
    return this.resources.all().filter((d) => storageKey(d) === key);
  }

  private async namespaceMatches(hook: Webhook, attrs: AdmissionAttributes): Promise<{ matches: boolean; namespace?: KubeObject }> {
    const nsDef = this.resources.lookup('', 'v1', 'namespaces')!;
    const selector = labelSelectorFromObject(hook.namespaceSelector ?? {});
    // A namespace is matched by its own labels; other cluster-scoped objects are not in a namespace.
    if (attrs.resource === nsDef) {
      const self = attrs.object ?? attrs.oldObject;
      return { matches: matches(selector, self?.metadata?.labels), namespace: self };
    }
    if (!attrs.resource.namespaced || !attrs.namespace) return { matches: true };
    if (selector.empty && !hook.matchConditions?.length) return { matches: true };
    const ns = await namespaceOfWrite(this.registry, nsDef, attrs);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, attrs.namespace);
    return { matches: matches(selector, ns.metadata?.labels), namespace: ns };
  }

  private request(attrs: AdmissionAttributes, seenAs: ResourceDefinition): Promise<AdmissionRequest> {
    return convertedAdmissionRequest(attrs, seenAs, this.uid());
  }
}

/**
 * convertedAdmissionRequest is admissionRequest with the objects converted to the version the
 * rule matched through a CRD's conversion webhook, when it has one (webhooks and policies alike
 * see a CRD's objects in the version they asked for).
 */
export async function convertedAdmissionRequest(attrs: AdmissionAttributes, seenAs: ResourceDefinition, uid: string): Promise<AdmissionRequest> {
  const object = attrs.object ? await convertObject(attrs.object, attrs.resource, seenAs) : null;
  const oldObject = attrs.oldObject ? await convertObject(attrs.oldObject, attrs.resource, seenAs) : null;
  return admissionRequest(attrs, seenAs, uid, { object, oldObject });
}

/**
 * admissionRequest is the AdmissionReview request of a write, with the object served as seenAs
 * (the version a rule matched); converted holds the objects already in that version.
 */
function admissionRequest(
  attrs: AdmissionAttributes,
  seenAs: ResourceDefinition,
  uid: string,
  converted: { object: KubeObject | null; oldObject: KubeObject | null },
): AdmissionRequest {
  const def = attrs.resource;
  const user = attrs.userInfo ?? SERVER_USER;
  const req: AdmissionRequest = {
    uid,
    kind: { group: seenAs.group, version: seenAs.version, kind: seenAs.kind },
    resource: { group: seenAs.group, version: seenAs.version, resource: seenAs.plural },
    requestKind: { group: def.group, version: def.version, kind: def.kind },
    requestResource: { group: def.group, version: def.version, resource: def.plural },
    name: attrs.name || undefined,
    namespace: attrs.namespace || undefined,
    operation: attrs.operation,
    userInfo: { username: user.username, uid: user.uid, groups: user.groups },
    object: converted.object,
    oldObject: converted.oldObject,
    dryRun: attrs.dryRun,
    options: attrs.options ?? null,
  };
  if (attrs.subresource) {
    req.subResource = attrs.subresource;
    req.requestSubResource = attrs.subresource;
  }
  return req;
}

/**
 * celMatchConditions evaluates matchConditions with the CEL engine through the matcher policies
 * share (kube uses one matcher for both): false when any is false, else the errors' text.
 */
export function celMatchConditions(conditions: MatchCondition[], request: AdmissionRequest): boolean | string {
  const activation = celActivation({ object: request.object, oldObject: request.oldObject, request, authorizer: null });
  return matchConditions(conditions, activation, 'webhook');
}

/** AdmissionResponse is the response of an AdmissionReview. */
interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Partial<Status>;
  patch?: string;
  patchType?: string;
  warnings?: unknown[];
  auditAnnotations?: Record<string, string>;
}

// checkReview refuses an answer that is not an AdmissionReview v1 for this request; kube
// counts that as a failed call (subject to failurePolicy).
function checkReview(review: KubeObject, uid: string): void {
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') {
    throw new WebhookCallError(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${String(review.apiVersion ?? '')}, Kind=${String(review.kind ?? '')}`);
  }
  const response = (review as { response?: AdmissionResponse }).response;
  if (!response || typeof response !== 'object') throw new WebhookCallError('webhook response was absent');
  if (response.uid !== uid) throw new WebhookCallError(`expected response.uid="${uid}", got "${String(response.uid ?? '')}"`);
}

function objectMatches(hook: Webhook, attrs: AdmissionAttributes): boolean {
  const selector = labelSelectorFromObject(hook.objectSelector ?? {});
  if (selector.empty) return true;
  return (!!attrs.object && matches(selector, attrs.object.metadata?.labels)) || (!!attrs.oldObject && matches(selector, attrs.oldObject.metadata?.labels));
}

/**
 * convert serves obj (in from's version) in to's version, through their shared storage form,
 * when both conversions are synchronous; a conversion webhook cannot be called here (use
 * convertObject), and is refused with an InternalError.
 */
function convert(obj: KubeObject, from: ResourceDefinition, to: ResourceDefinition): KubeObject {
  if (from === to) return structuredClone(obj);
  const fromConversion = from.conversion;
  const toConversion = to.conversion;
  if (fromConversion?.async || toConversion?.async) {
    throw new StatusError(500, 'InternalError', `Internal error occurred: ${from.group}/${from.version} ${from.kind} cannot be converted to ${to.version} without its conversion webhook`);
  }
  const stored = fromConversion ? fromConversion.toStorage(structuredClone(obj)) : structuredClone(obj);
  return toConversion ? toConversion.fromStorage(stored) : stored;
}

/** convertObject is convert that also calls a CRD's conversion webhook; it stays synchronous without one. */
export function convertObject(obj: KubeObject, from: ResourceDefinition, to: ResourceDefinition): KubeObject | Promise<KubeObject> {
  if (from === to || (!from.conversion?.async && !to.conversion?.async)) return convert(obj, from, to);
  return (async () => {
    const copy = structuredClone(obj);
    const stored = from.conversion ? await from.conversion.toStorage(copy) : copy;
    if (!to.conversion) return stored;
    return to.conversion.async ? (await to.conversion.fromStorage([stored]))[0] : to.conversion.fromStorage(stored);
  })();
}

// internalCallError is kube's InternalError for a webhook that could not be called (or whose
// answer could not be used) under failurePolicy Fail.
function internalCallError(name: string, why: string): StatusError {
  const message = `failed calling webhook "${name}": ${why}`;
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

// denied is kube's ToStatusErr: the webhook's Status with the denial prefixed to its message,
// a code of at least 400 and status Failure.
function denied(name: string, status: Partial<Status> | undefined): StatusError {
  const by = `admission webhook "${name}" denied the request`;
  const code = typeof status?.code === 'number' && status.code >= 400 ? status.code : 400;
  const message = status?.message ? `${by}: ${status.message}` : status?.reason ? `${by}: ${status.reason}` : `${by} without explanation`;
  const err = new StatusError(code, status?.reason ?? '', message, status?.details);
  if (!status?.reason) delete err.status.reason;
  return err;
}
