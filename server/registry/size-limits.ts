/**
 * Limits of what can be stored. Size limits of stored objects, checked on the write path before an object is serialised and
 * stored, with the answers kube-apiserver gives:
 *
 * - ConfigMap data + binaryData and Secret data over 1 MiB (core.MaxSecretSize) are 422 Invalid,
 *   from ValidateConfigMap / ValidateSecret in pkg/apis/core/validation:
 *   `ConfigMap "x" is invalid: []: Too long: may not be more than 1048576 bytes` (the field is
 *   the empty path, which apimachinery prints as "[]") and
 *   `Secret "x" is invalid: data: Too long: may not be more than 1048576 bytes`.
 * - Any object over etcd's default request limit (--max-request-bytes, 1.5 MiB) is refused by
 *   etcd with "etcdserver: request is too large". kube-apiserver passes that text on as a 500
 *   (kubernetes/kubernetes#74600, #112152, still open); nodeless answers the same message as 413
 *   RequestEntityTooLarge, the code that issue asks for, since a client's oversized object is not
 *   a server failure.
 */
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import { InvalidKeyError } from '../../store/errors';
import { StatusError, badRequest, invalid } from '../../schemas/meta/status-error';

/** MAX_STORED_OBJECT_BYTES is etcd's default request limit (1.5 MiB), applied to an object's JSON. */
export const MAX_STORED_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** MAX_DATA_BYTES is kube's core.MaxSecretSize (1 MiB): the most a ConfigMap's or Secret's data may hold. */
export const MAX_DATA_BYTES = 1024 * 1024;

/** MAX_STORED_DEPTH is how deeply a stored object may nest; request bodies are held to the same. */
export const MAX_STORED_DEPTH = 1000;

const TOO_LONG = `Too long: may not be more than ${MAX_DATA_BYTES} bytes`;

/**
 * checkSizeLimits refuses an object that kube-apiserver would not store: data limits always (they
 * are validation, so dry runs see them too), the stored-size limit only when stored is true (a
 * dry run never reaches etcd). The size is measured without serialising the object.
 */
export function checkSizeLimits(def: ResourceDefinition, obj: KubeObject, stored: boolean): void {
  if (def.group === '' && (def.kind === 'ConfigMap' || def.kind === 'Secret')) checkDataSize(def.kind, obj);
  if (!stored) return;
  const extent = storedExtent(obj);
  if (extent.tooDeep) {
    throw new StatusError(422, 'Invalid', `${def.kind} "${obj.metadata?.name ?? ''}" is invalid: the object is nested deeper than ${MAX_STORED_DEPTH} levels`);
  }
  if (extent.tooLarge) throw new StatusError(413, 'RequestEntityTooLarge', 'etcdserver: request is too large');
}

/**
 * storedExtent answers what jsonExtent answers for the stored-size limits, walking in its order
 * and counting the same bytes, only faster on the many short strings of a large map: their UTF-8
 * size is their length when they are ASCII, which a scan tells cheaper than Buffer.byteLength's
 * call (a 50,000-key ConfigMap with its managedFields has 150,000 of them).
 */
export function storedExtent(obj: unknown): { tooDeep: boolean; tooLarge: boolean } {
  const values: unknown[] = [obj];
  const depths: number[] = [0];
  let bytes = 0;
  while (values.length) {
    const v = values.pop();
    const d = depths.pop()!;
    if (typeof v === 'string') bytes += utf8Bytes(v) + 2;
    else if (typeof v === 'number') bytes += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'boolean') bytes += v ? 4 : 5;
    else if (v === null || typeof v !== 'object') bytes += 4;
    else {
      const depth = d + 1;
      if (depth > MAX_STORED_DEPTH) return { tooDeep: true, tooLarge: false };
      bytes += 2;
      if (Array.isArray(v)) {
        bytes += Math.max(0, v.length - 1);
        for (let i = v.length - 1; i >= 0; i--) {
          values.push(v[i]);
          depths.push(depth);
        }
      } else {
        const keys = Object.keys(v);
        bytes += Math.max(0, keys.length - 1);
        for (const k of keys) {
          bytes += utf8Bytes(k) + 3;
          values.push((v as Record<string, unknown>)[k]);
          depths.push(depth);
        }
      }
    }
    if (bytes > MAX_STORED_OBJECT_BYTES) return { tooDeep: false, tooLarge: true };
  }
  return { tooDeep: false, tooLarge: false };
}

// SHORT_STRING is the length up to which utf8Bytes scans a string for ASCII itself.
const SHORT_STRING = 64;

/** utf8Bytes is Buffer.byteLength(text), answered without the call for short ASCII text. */
function utf8Bytes(text: string): number {
  if (text.length <= SHORT_STRING) {
    let i = 0;
    while (i < text.length && text.charCodeAt(i) < 0x80) i++;
    if (i === text.length) return i;
  }
  return Buffer.byteLength(text);
}

function checkDataSize(kind: 'ConfigMap' | 'Secret', obj: KubeObject): void {
  const o = obj as Record<string, unknown>;
  let total = 0;
  if (kind === 'ConfigMap') {
    total += sumValues(o.data, (v) => Buffer.byteLength(v));
    total += sumValues(o.binaryData, base64Length);
    if (total > MAX_DATA_BYTES) throw invalid(kind, '', obj.metadata?.name ?? '', [{ type: 'FieldValueTooLong', field: '[]', message: TOO_LONG }]);
    return;
  }
  // stringData is merged into data before validation; counted here in case it is still apart.
  total += sumValues(o.data, base64Length);
  total += sumValues(o.stringData, (v) => Buffer.byteLength(v));
  if (total > MAX_DATA_BYTES) throw invalid(kind, '', obj.metadata?.name ?? '', [{ type: 'FieldValueTooLong', field: 'data', message: TOO_LONG }]);
}

// sumValues is the summed size of a map's string values, or, when that is surely small, their
// summed length: a UTF-16 unit is at most 3 UTF-8 bytes (and base64 decodes shorter), so when
// three times the length is within the limit, no value needs measuring and two such sums stay
// under it too (measuring 50,000 short values one by one cost 200 ms).
function sumValues(map: unknown, size: (v: string) => number): number {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return 0;
  const values = Object.values(map);
  let length = 0;
  for (const v of values) if (typeof v === 'string') length += v.length;
  if (length * 3 <= MAX_DATA_BYTES) return length;
  let total = 0;
  for (const v of values) if (typeof v === 'string') total += size(v);
  return total;
}

// base64Length is the decoded length of base64 text, without decoding it.
function base64Length(text: string): number {
  let end = text.length;
  while (end > 0 && text[end - 1] === '=') end--;
  return Math.floor((end * 3) / 4);
}

/**
 * fromKeyError runs a store-key builder for a request's namespace or name, turning a segment that
 * cannot be part of a key (whitespace, NUL, "%", over 1024 characters in all) into 400 BadRequest,
 * as kube-apiserver refuses path segments it cannot store ("Name parameter invalid").
 */
export function fromKeyError<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof InvalidKeyError) throw badRequest(`the namespace or name in the request path cannot name a stored object: ${err.message}`);
    throw err;
  }
}
