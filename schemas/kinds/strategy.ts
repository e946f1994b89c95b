/**
 * The generic strategies every kind is built from, as kube-apiserver's per-kind strategy.go files
 * are built from the same few rules: the main resource never writes status when the kind has a
 * status subresource, the status subresource writes nothing but status, and generation moves
 * with the spec.
 */
import { jsonEqual, valueAt } from '../meta/json';
import { structuredCopy } from '../meta/structured-copy';
import type { FieldError, KubeObject, Strategy } from '../types';
import { dropDisabledPodSpecFields } from './disabled-pod-fields';

/** ObjectStrategyOptions say how a kind's main resource is written. */
export interface ObjectStrategyOptions {
  /** status: the kind has a status subresource, so the main resource keeps the stored status. */
  status: boolean;
  /** generation: metadata.generation starts at 1 and is bumped when specChanged says so. */
  generation?: boolean;
  /** specChanged decides a generation bump (default: any top-level field but metadata and status changed). */
  specChanged?: (obj: KubeObject, old: Readonly<KubeObject>) => boolean;
  /** prepareForCreate runs after the generic resets, for what the kind itself sets on create. */
  prepareForCreate?: (obj: KubeObject) => void;
  /** prepareForUpdate runs after status is carried over and before the generation check. */
  prepareForUpdate?: (obj: KubeObject, old: Readonly<KubeObject>) => void;
  /** validate answers the errors of a write; warn receives its warnings (custom resources: ratcheted CEL rule failures). */
  validate?: (obj: KubeObject, old?: KubeObject, warn?: (warning: string) => void) => FieldError[];
  /** podSpec finds the pod spec a Pod or workload carries, whose disabled-feature fields are dropped on write. */
  podSpec?: (obj: Readonly<KubeObject> | undefined) => Record<string, unknown> | undefined;
}

const TYPE_AND_META = ['apiVersion', 'kind', 'metadata'];

/** specChangedExceptStatus is the default generation rule: a change anywhere but metadata and status. */
export function specChangedExceptStatus(obj: KubeObject, old: Readonly<KubeObject>): boolean {
  const skip = new Set([...TYPE_AND_META, 'status']);
  const fields = new Set([...Object.keys(obj), ...Object.keys(old)]);
  for (const f of fields) if (!skip.has(f) && !jsonEqual(obj[f], old[f])) return true;
  return false;
}

/** objectStrategy is the strategy of a kind's main resource. */
export function objectStrategy(options: ObjectStrategyOptions): Strategy {
  const specChanged = options.specChanged ?? specChangedExceptStatus;
  return {
    prepareForCreate(obj) {
      if (options.status) delete obj.status;
      const meta = (obj.metadata ??= {});
      if (options.generation) meta.generation = 1;
      else delete meta.generation;
      if (options.podSpec) dropDisabledPodSpecFields(options.podSpec(obj), undefined);
      options.prepareForCreate?.(obj);
    },
    prepareForUpdate(obj, old) {
      if (options.status) {
        if (old.status === undefined) delete obj.status;
        else obj.status = structuredClone(old.status);
      }
      if (options.podSpec) dropDisabledPodSpecFields(options.podSpec(obj), options.podSpec(old));
      options.prepareForUpdate?.(obj, old);
      const meta = (obj.metadata ??= {});
      if (options.generation && specChanged(obj, old)) meta.generation = (old.metadata?.generation ?? 0) + 1;
      return obj;
    },
    validate: options.validate ?? (() => []),
  };
}

/** StatusStrategyOptions say how a kind's status subresource is written. */
export interface StatusStrategyOptions {
  /**
   * metadata: 'client' takes the client's metadata (built-in kinds, whose status strategies reset
   * only the spec, so a status patch may also change an annotation); 'stored' keeps the stored
   * metadata (custom resources take nothing but status).
   */
  metadata: 'client' | 'stored';
  /** keepLabels: labels come from the stored object even when metadata is the client's. */
  keepLabels?: boolean;
  /** prepareForUpdate runs last, for what else the kind resets on a status write. */
  prepareForUpdate?: (obj: KubeObject, old: Readonly<KubeObject>) => void;
  /** validate answers the errors of a write; warn receives its warnings (custom resources: ratcheted CEL rule failures). */
  validate?: (obj: KubeObject, old?: KubeObject, warn?: (warning: string) => void) => FieldError[];
}

/** statusStrategy is the strategy of a status subresource: the stored object with the client's status. */
export function statusStrategy(options: StatusStrategyOptions): Strategy {
  return {
    prepareForCreate() {
      // A status subresource is never created.
    },
    prepareForUpdate(obj, old) {
      const next = storedExceptClientParts(old, obj, options.metadata === 'client');
      if (options.metadata === 'client') {
        next.metadata = obj.metadata;
        if (options.keepLabels) {
          if (old.metadata?.labels === undefined) delete next.metadata!.labels;
          else next.metadata!.labels = structuredCopy(old.metadata.labels);
        }
      }
      if (obj.status === undefined) delete next.status;
      else next.status = obj.status;
      options.prepareForUpdate?.(next, old);
      return next;
    },
    validate: options.validate ?? (() => []),
  };
}

/**
 * storedExceptClientParts is structuredClone(old) (by structuredCopy) with the fields a status write takes from the
 * client (status, and metadata when clientMetadata) set to the client's values instead of copies
 * of the stored ones, which would only be replaced: the same object, keys in the same order,
 * without copying the stored metadata (managedFields are most of it) and status.
 */
function storedExceptClientParts(old: Readonly<KubeObject>, obj: KubeObject, clientMetadata: boolean): KubeObject {
  const next: KubeObject = {};
  for (const [k, v] of Object.entries(old)) {
    next[k] = k === 'status' ? obj.status : k === 'metadata' && clientMetadata ? obj.metadata : structuredCopy(v);
  }
  return next;
}

/** immutableFields refuses an update that changes any of the given dotted fields, with kube's message. */
export function immutableFields(...paths: string[]) {
  return (obj: KubeObject, old?: KubeObject): FieldError[] => {
    if (!old) return [];
    return paths
      .filter((p) => !jsonEqual(valueAt(obj, p), valueAt(old, p)))
      .map((p) => ({ type: 'FieldValueInvalid', field: p, message: `Invalid value: ${JSON.stringify(valueAt(obj, p) ?? null)}: field is immutable` }));
  };
}
