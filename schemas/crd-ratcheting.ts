/**
 * Validation ratcheting for custom resources (kube's CRDValidationRatcheting, beta and on by
 * default in 1.30): on an update, an error on a value that is unchanged from the old object is
 * not reported, so an object stored under an older, looser schema can still be updated in its
 * other fields. Schema errors are dropped silently; a failed CEL rule that does not use oldSelf
 * becomes a warning with the error's text (kube's cel validator calls warning.AddWarning).
 *
 * "Unchanged" follows apiserver's CorrelatedObject: a new value is paired with the old one by
 * object key, by the map keys of an x-kubernetes-list-type=map list, and not at all inside set or
 * atomic lists (those are compared as a whole). An error on a node that cannot be paired is
 * judged by its nearest paired ancestor.
 */
import { isPlainObject as isRecord } from './meta/json';
import { additionalOf, itemsOf, propertiesOf } from './crd-schema';
import type { FieldError, JSONSchema } from './types';

/**
 * Correlation is one node of a new value paired with the old value at the same place, with its
 * schema; equal() (cached) says whether the node is unchanged, judging children by correlation
 * where they have one.
 */
export class Correlation {
  private equalCache?: boolean;
  private oldByKey?: Map<string, unknown>;
  private readonly children = new Map<string | number, Correlation | undefined>();

  constructor(
    readonly value: unknown,
    readonly old: unknown,
    readonly schema: JSONSchema | undefined,
  ) {}

  /** key is the child at an object field present in both the new and the old value, or undefined when it has no pair (or no schema). */
  key(field: string): Correlation | undefined {
    if (this.children.has(field)) return this.children.get(field);
    let child: Correlation | undefined;
    if (this.schema && isRecord(this.value) && isRecord(this.old) && field in this.value && field in this.old) {
      const s = propertiesOf(this.schema)[field] ?? additionalOf(this.schema);
      if (s) child = new Correlation(this.value[field], this.old[field], s);
    }
    this.children.set(field, child);
    return child;
  }

  /** index is the child at a list index, paired only in a list-type=map list (by its keys). */
  index(i: number): Correlation | undefined {
    if (this.children.has(i)) return this.children.get(i);
    let child: Correlation | undefined;
    const items = itemsOf(this.schema);
    if (items && Array.isArray(this.value) && i < this.value.length && Array.isArray(this.old) && this.isMapList()) {
      const keys = this.schema!['x-kubernetes-list-map-keys'] as string[];
      this.oldByKey ??= new Map(this.old.filter(isRecord).map((o) => [mapKey(o, keys), o]));
      const item = this.value[i];
      const old = isRecord(item) ? this.oldByKey.get(mapKey(item, keys)) : undefined;
      if (old !== undefined) child = new Correlation(item, old, items);
    }
    this.children.set(i, child);
    return child;
  }

  /** equal reports whether the new value is the old one. */
  equal(): boolean {
    return (this.equalCache ??= this.compare());
  }

  private isMapList(): boolean {
    return this.schema?.['x-kubernetes-list-type'] === 'map' && Array.isArray(this.schema['x-kubernetes-list-map-keys']);
  }

  private compare(): boolean {
    const { value, old } = this;
    if (value === undefined || value === null || old === undefined || old === null) return (value ?? null) === (old ?? null);
    if (Array.isArray(value) !== Array.isArray(old) || isRecord(value) !== isRecord(old)) return false;
    if (Array.isArray(value)) {
      const oldList = old as unknown[];
      if (value.length !== oldList.length) return false;
      // Only a map list is compared item by item (so reordering it changes nothing); other lists are one value.
      if (!this.isMapList()) return deepEqual(value, oldList);
      return value.every((_, i) => this.index(i)?.equal() === true);
    }
    if (isRecord(value)) {
      const keys = Object.keys(value);
      if (keys.length !== Object.keys(old as object).length) return false;
      return keys.every((k) => this.key(k)?.equal() === true);
    }
    return value === old;
  }
}

/**
 * RatchetState is where a walk of the new object stands: the correlation of the current node
 * (undefined when it has none) and that of its nearest correlated ancestor.
 */
export interface RatchetState {
  current?: Correlation;
  parent?: Correlation;
}

/** rootRatchet starts a walk of an update (no correlation on a create). */
export function rootRatchet(schema: JSONSchema, obj: unknown, old: unknown): RatchetState {
  return old === undefined ? {} : { current: new Correlation(obj, old, schema) };
}

/** ratchetKey steps into an object field. apiVersion and kind at the root are never ratcheted (both sides are converted to one version, so a change there cannot be seen). */
export function ratchetKey(r: RatchetState, field: string, root = false): RatchetState {
  if (!r.current) return r;
  if (root && (field === 'apiVersion' || field === 'kind')) return {};
  return { current: r.current.key(field), parent: r.current };
}

/** ratchetIndex steps into a list item. */
export function ratchetIndex(r: RatchetState, i: number): RatchetState {
  if (!r.current) return r;
  return { current: r.current.index(i), parent: r.current };
}

/** shouldRatchet reports whether an error raised at this node is dropped: the node, or its nearest correlated ancestor, is unchanged. */
export function shouldRatchet(r: RatchetState): boolean {
  return (r.current ?? r.parent)?.equal() === true;
}

/**
 * ratchetSchemaProblems drops the schema errors of an update that sit on unchanged values. Each
 * error is judged at its field (a `required` error, whose field is missing, at the object that
 * lacks it), with field paths spelled as the schema validator spells them: `a.b[0].c`.
 */
export function ratchetSchemaProblems<P extends { error: FieldError }>(schema: JSONSchema, problems: P[], obj: unknown, old: unknown): P[] {
  if (!problems.length || old === undefined) return problems;
  const ratcheted = new Map<string, boolean>();
  collect(obj, schema, rootRatchet(schema, obj, old), '', ratcheted, true);
  return problems.filter((p) => {
    let field = p.error.field;
    for (;;) {
      const r = ratcheted.get(field);
      if (r !== undefined) return !r;
      const cut = Math.max(field.lastIndexOf('.'), field.lastIndexOf('['));
      if (cut < 0) return ratcheted.get('') !== true;
      field = field.slice(0, cut);
    }
  });
}

// collect records, for every node of the new object that has a schema, whether errors there are ratcheted.
function collect(value: unknown, s: JSONSchema | undefined, r: RatchetState, path: string, out: Map<string, boolean>, root = false): void {
  if (!s) return;
  out.set(path, shouldRatchet(r));
  if (Array.isArray(value)) {
    const items = itemsOf(s);
    value.forEach((v, i) => collect(v, items, ratchetIndex(r, i), `${path}[${i}]`, out));
  } else if (isRecord(value)) {
    const props = propertiesOf(s);
    const additional = additionalOf(s);
    for (const [k, v] of Object.entries(value)) {
      collect(v, props[k] ?? additional, ratchetKey(r, k, root), path ? `${path}.${k}` : k, out);
    }
  }
}

function mapKey(o: Record<string, unknown>, keys: string[]): string {
  return JSON.stringify(keys.map((k) => o[k] ?? null));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}
