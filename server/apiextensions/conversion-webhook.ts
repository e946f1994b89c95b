/**
 * CRD conversion webhooks: the converter of a CustomResourceDefinition whose
 * spec.conversion.strategy is Webhook, following apiextensions-apiserver's webhook converter.
 * Objects not yet in the desired version are posted in one ConversionReview (the first of the
 * CRD's conversionReviewVersions this server speaks, v1 or v1beta1); the answer must carry the
 * request's uid (v1), result status Success and one object per object sent, each of the desired
 * group/version and the same kind, name, namespace and uid. Only labels and annotations are
 * taken from the webhook's metadata; the rest of metadata is restored from the original.
 * Every failure is a 500 whose message names the object's group, version and kind, as kube's.
 */
import { randomUUID } from 'node:crypto';
import { callWebhook, WebhookCallError, type ServiceResolver, type WebhookClientConfig } from '../admission/webhook-client';
import { StatusError } from '../../schemas/meta/status-error';
import { validateObjectMeta } from '../../schemas/meta/object-meta';
import { isPlainObject } from '../../schemas/meta/json';
import { specOf, type CustomResourceConverter } from '../../schemas/crd';
import type { FieldError, KubeObject } from '../../schemas/types';

/** CONVERSION_TIMEOUT_SECONDS is how long kube-apiserver waits for a conversion webhook (its webhook client's default). */
export const CONVERSION_TIMEOUT_SECONDS = 30;

/** ConversionWebhookOptions inject how Services are reached, the timeout and the review uid. */
export interface ConversionWebhookOptions {
  resolve: ServiceResolver;
  timeoutSeconds?: number;
  uid?: () => string;
}

interface WebhookConversionSpec {
  strategy?: string;
  webhook?: { clientConfig?: WebhookClientConfig; conversionReviewVersions?: string[] };
}

/**
 * conversionWebhookConverter is the converter of a CRD with strategy Webhook, or undefined when
 * its strategy is not Webhook.
 */
export function conversionWebhookConverter(crd: KubeObject, options: ConversionWebhookOptions): CustomResourceConverter | undefined {
  const conversion = specOf(crd).conversion as WebhookConversionSpec | undefined;
  if (conversion?.strategy !== 'Webhook') return undefined;
  const clientConfig = conversion.webhook?.clientConfig ?? {};
  const reviewVersion = (conversion.webhook?.conversionReviewVersions ?? []).find((v) => v === 'v1' || v === 'v1beta1');
  const timeoutSeconds = options.timeoutSeconds ?? CONVERSION_TIMEOUT_SECONDS;
  const uid = options.uid ?? randomUUID;
  return async (objects, desiredAPIVersion) => {
    const pending = objects.map((o, i) => ({ o, i })).filter(({ o }) => o.apiVersion !== desiredAPIVersion);
    if (pending.length === 0) return objects;
    const single = objects.length === 1;
    const first = pending[0].o;
    const what = gvkString(first);
    const fail = (message: string) => {
      // kube's converter returns a plain error, which the apiserver answers as a 500 without a reason.
      const err = new StatusError(500, '', message);
      delete err.status.reason;
      return err;
    };
    if (!reviewVersion) throw fail('no supported conversion review versions');
    const requestUID = uid();
    const apiVersion = `apiextensions.k8s.io/${reviewVersion}`;
    const body = {
      kind: 'ConversionReview',
      apiVersion,
      request: { uid: requestUID, desiredAPIVersion, objects: pending.map(({ o }) => o) },
      response: { uid: '', convertedObjects: null, result: { metadata: {} } },
    };
    let review: KubeObject;
    try {
      review = await callWebhook({ clientConfig, timeoutSeconds, body }, options.resolve);
    } catch (err) {
      if (!(err instanceof WebhookCallError)) throw err;
      throw fail(`conversion webhook for ${what} failed: ${err.message}`);
    }
    const answer = convertedObjectsOf(review, reviewVersion, requestUID);
    if (typeof answer === 'string') throw fail(`conversion webhook for ${what} failed: ${answer}`);
    if (answer.length !== pending.length) throw fail(`conversion webhook for ${what} returned ${answer.length} objects, expected ${pending.length}`);
    const out = [...objects];
    const desiredGV = desiredAPIVersion;
    pending.forEach(({ o, i }, index) => {
      const converted = answer[index];
      // kube numbers the object from 0 in the single-object messages, and from 1 past the one it
      // read in a list's (it counts the object before checking it).
      const at = single ? 'object at index 0' : `converted object at index ${index + 1}`;
      if (!isPlainObject(converted)) {
        throw fail(single ? `conversion webhook for ${what} failed: the converted object is not an object` : `conversion webhook for ${what} returned invalid converted object at index ${index}: the converted object is not an object`);
      }
      const got = converted as KubeObject;
      const gotGV = typeof got.apiVersion === 'string' ? got.apiVersion : '';
      if (gotGV !== desiredGV) throw fail(`conversion webhook for ${what} returned invalid ${at}: invalid groupVersion (expected ${desiredGV}, received ${gotGV})`);
      if ((got.kind ?? '') !== (o.kind ?? '')) throw fail(`conversion webhook for ${what} returned invalid ${at}: invalid kind (expected ${o.kind ?? ''}, received ${String(got.kind ?? '')})`);
      const metaProblem = changedMetadata(o, got);
      if (metaProblem) throw fail(`conversion webhook for ${what} returned invalid ${single ? 'object' : at}: ${metaProblem}`);
      const restored = restoreMetadata(o, got);
      if (typeof restored === 'string') {
        throw fail(single ? `conversion webhook for ${what} returned invalid metadata: ${restored}` : `conversion webhook for ${what} returned invalid metadata in object at index ${index + 1}: ${restored}`);
      }
      out[i] = restored;
    });
    return out;
  };
}

// gvkString prints an object's group, version and kind as Go's GroupVersionKind.String does.
function gvkString(obj: KubeObject): string {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return `${group}/${version}, Kind=${String(obj.kind ?? '')}`;
}

// convertedObjectsOf checks a ConversionReview answer and returns its converted objects, or why
// it cannot be used. A v1beta1 answer is not checked for its kind or uid, as kube does not.
function convertedObjectsOf(review: KubeObject, version: string, uid: string): unknown[] | string {
  if (version === 'v1' && (review.apiVersion !== 'apiextensions.k8s.io/v1' || review.kind !== 'ConversionReview')) {
    const got = gvkString(review);
    return `expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got ${got}`;
  }
  const response = review.response as { uid?: unknown; convertedObjects?: unknown; result?: { status?: unknown; message?: unknown } } | undefined;
  if (!isPlainObject(response)) return 'no response provided';
  if (version === 'v1' && response.uid !== uid) return `expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(typeof response.uid === 'string' ? response.uid : '')}`;
  const status = response.result?.status;
  if (status !== 'Success') {
    const message = response.result?.message;
    if (typeof message === 'string' && message) return message;
    return `response.result.status was '${typeof status === 'string' ? status : ''}', not 'Success'`;
  }
  return Array.isArray(response.convertedObjects) ? response.convertedObjects : [];
}

// changedMetadata is kube's validateConvertedObject: kind, name, namespace and uid must not change.
function changedMetadata(original: KubeObject, converted: KubeObject): string | undefined {
  const meta = (o: KubeObject) => (isPlainObject(o.metadata) ? o.metadata : {}) as Record<string, unknown>;
  const a = meta(original);
  const b = meta(converted);
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  if (text(original.kind) !== text(converted.kind)) return `must have the same kind: ${text(original.kind)} != ${text(converted.kind)}`;
  for (const [field, label] of [['name', 'name'], ['namespace', 'namespace'], ['uid', 'UID']] as const) {
    if (text(a[field]) !== text(b[field])) return `must have the same ${label}: ${text(a[field])} != ${text(b[field])}`;
  }
  return undefined;
}

// restoreMetadata is kube's restoreObjectMeta: the original's metadata with the webhook's labels
// and annotations (validated when they changed); or why they cannot be taken.
function restoreMetadata(original: KubeObject, converted: KubeObject): KubeObject | string {
  if (!('metadata' in converted)) return 'missing metadata in converted object';
  const answered = converted.metadata as unknown;
  if (!isPlainObject(answered)) return `invalid metadata of type ${goTypeName(answered)} in converted object`;
  const metadata = structuredClone(isPlainObject(original.metadata) ? original.metadata : {}) as Record<string, unknown>;
  for (const field of ['labels', 'annotations'] as const) {
    const value = (answered as Record<string, unknown>)[field];
    if (value === undefined || value === null) {
      delete metadata[field];
      continue;
    }
    if (!isPlainObject(value)) return `invalid metadata.${field} of type ${goTypeName(value)} in converted object`;
    const before = (metadata[field] ?? {}) as Record<string, unknown>;
    const entries = Object.entries(value as Record<string, unknown>);
    let changed = Object.keys(before).length !== entries.length;
    for (const [k, v] of entries) {
      if (typeof v !== 'string') return `metadata.${field}[${k}] must be a string, but is ${goTypeName(v)} in converted object`;
      if (before[k] !== v) changed = true;
    }
    if (changed) {
      const errs = metadataErrors(field, value as Record<string, string>);
      if (errs.length) return aggregate(errs);
    }
    metadata[field] = value;
  }
  return { ...converted, metadata };
}

// metadataErrors checks labels or annotations as ObjectMeta validation does; kube names the
// annotations' path metadata.annotation here.
function metadataErrors(field: 'labels' | 'annotations', values: Record<string, string>): FieldError[] {
  const errs = validateObjectMeta({ metadata: { name: 'x', [field]: values } }, 'dns-subdomain', false).filter((e) => e.field === `metadata.${field}`);
  return field === 'annotations' ? errs.map((e) => ({ ...e, field: 'metadata.annotation' })) : errs;
}

// aggregate words field errors as field.ErrorList.ToAggregate().Error().
function aggregate(errs: FieldError[]): string {
  const texts = [...new Set(errs.map((e) => `${e.field}: ${e.message}`))];
  return texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
}

// goTypeName names a JSON value's Go type as kube's %T prints a decoded one.
function goTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (v === null) return '<nil>';
  return 'map[string]interface {}';
}
