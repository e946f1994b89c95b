/**
 * Compare (structured-merge-diff's): which field paths going from one object to another added,
 * removed or modified, as server-side apply and managedFields bookkeeping need them. Leaves are
 * compared by value; maps and lists by their fields and items, with the list shapes and path
 * elements of field-set.ts.
 */
import { isPlainObject } from '../../schemas/meta/json';
import type { PatchField, PatchSchema } from '../../schemas/patch-metadata';
import {
  DEFAULT_KEY_DEFAULTS,
  FieldSet,
  deepEqual,
  isAtomicMap,
  itemElement,
  itemField,
  listShape,
  serializePathElement,
  type FieldSetOptions,
  type ListShape,
  type PathElement,
} from './field-set';

/** Comparison is what changed from one object to another, as three disjoint sets. */
export interface Comparison {
  added: FieldSet;
  removed: FieldSet;
  modified: FieldSet;
}

/** CompareOptions tunes compareObjects. */
export interface CompareOptions extends FieldSetOptions {
  /**
   * alwaysPresent tells which fields of a built-in definition exist in every object of the Go
   * type (non-pointer structs, and lists without omitempty): an absent one compares as {} or
   * null, so its own path is never reported as added or removed, only what it holds.
   */
  alwaysPresent?: (definition: string, field: string) => boolean;
}

/**
 * compareObjects reports the paths that going from lhs to rhs added, removed or modified
 * (structured-merge-diff's Compare). Leaves are compared by value; a map or list reports its
 * own path only when it appears or disappears as a whole.
 */
export function compareObjects(lhs: unknown, rhs: unknown, schema: PatchSchema, options: CompareOptions = {}): Comparison {
  const out: Comparison = { added: new FieldSet(), removed: new FieldSet(), modified: new FieldSet() };
  // Built field by field: spreading the caller's options (often a larger object of another shape) costs more than a small comparison.
  const walk: CompareOptions = { keyDefaults: options.keyDefaults, rejectDuplicates: options.rejectDuplicates, alwaysPresent: options.alwaysPresent ?? builtinAlwaysPresent };
  compareNode(lhs, rhs, { schema }, [], out, walk);
  return out;
}

/**
 * shortcuts switches off (enabled = false) the ways compareObjects and managedFields
 * bookkeeping skip work, so that tests can check they answer what the plain walk answers.
 */
export const shortcuts = { enabled: true };

/**
 * sameTree tells, cheaply, that compareNode would find no change between l and r and meet no
 * item it cannot identify: equal values, no undefined field, and every item of a set or map
 * list identifiable. false only means "compare them". It answers the same for values before
 * and after typedView (managed-fields.ts), which only drops what both equal sides drop alike
 * and never makes an item identifiable that was not (see identifiable), so callers may ask it
 * before building the typed views.
 */
export function sameTree(l: unknown, r: unknown, field: PatchField, options: CompareOptions): boolean {
  if (l === r && (typeof l !== 'object' || l === null)) return l !== undefined;
  if (Array.isArray(l)) {
    if (!Array.isArray(r) || l.length !== r.length) return false;
    const shape = listShape(field.meta);
    if (shape.type === 'atomic' || l.length === 0) return deepEqual(l, r);
    const item = itemField(field);
    for (let i = 0; i < l.length; i++) {
      if (!identifiable(l[i], shape, options) || !sameTree(l[i], r[i], item, options)) return false;
    }
    return true;
  }
  if (!isPlainObject(l) || !isPlainObject(r)) return false;
  if (isAtomicMap(field)) return deepEqual(l, r);
  let n = 0;
  for (const key in l) {
    if (!Object.prototype.hasOwnProperty.call(l, key)) continue;
    n++;
    const lv = l[key];
    if (lv === undefined || !Object.prototype.hasOwnProperty.call(r, key)) return false;
    const rv = r[key];
    if (lv === rv && typeof lv !== 'object') continue;
    if (!sameTree(lv, rv, field.schema.field(key), options)) return false;
  }
  for (const key in r) if (Object.prototype.hasOwnProperty.call(r, key)) n--;
  return n === 0;
}

/**
 * identifiable tells whether itemElement would answer for item rather than throw, both for the
 * item and for its typed view: a key field counts only with a scalar value (typedView drops a
 * null one, and may drop an empty list or map), and an item with a key field of any other value
 * is not vouched for.
 */
function identifiable(item: unknown, shape: ListShape, options: FieldSetOptions): boolean {
  if (shape.type === 'map') {
    if (!isPlainObject(item)) return false;
    const defaults = options.keyDefaults ?? DEFAULT_KEY_DEFAULTS;
    let found = false;
    for (const key of shape.keys) {
      const v = Object.prototype.hasOwnProperty.call(item, key) ? item[key] : undefined;
      if (v !== undefined && v !== null && typeof v === 'object') return false;
      if ((v !== undefined && v !== null) || Object.prototype.hasOwnProperty.call(defaults, key)) found = true;
    }
    return found;
  }
  return item !== null && item !== undefined && !isPlainObject(item) && !Array.isArray(item);
}

type Kind = 'map' | 'list' | 'scalar' | 'mismatch';

/** kindOf deduces what a node is from its values: null takes the other side's kind. */
function kindOf(l: unknown, r: unknown): Kind {
  const k = (v: unknown): Kind | undefined => (v === undefined || v === null ? undefined : isPlainObject(v) ? 'map' : Array.isArray(v) ? 'list' : 'scalar');
  const kl = k(l);
  const kr = k(r);
  if (kl && kr && kl !== kr) return 'mismatch';
  return kl ?? kr ?? 'scalar';
}

/** zeroLike is how a Go zero value shows next to value: {} for a struct, null for a list. */
function zeroLike(value: unknown): unknown {
  if (isPlainObject(value)) return {};
  if (Array.isArray(value)) return null;
  return undefined;
}

function compareLeaf(l: unknown, r: unknown, path: PathElement[], out: Comparison): void {
  if (l === undefined) out.added.insert(path);
  else if (r === undefined) out.removed.insert(path);
  else if (!deepEqual(l, r)) out.modified.insert(path);
}

function compareNode(l: unknown, r: unknown, field: PatchField, path: PathElement[], out: Comparison, options: CompareOptions): void {
  if (l === undefined && path.length > 0) {
    // All of r is new: every path in it is added, built level by level.
    const parent = path.slice(0, -1);
    return addNew(r, field, out.added.at(parent), path[path.length - 1], parent, options);
  }
  const kind = kindOf(l, r);
  if (kind === 'map') {
    const lm = isPlainObject(l) ? l : {};
    const rm = isPlainObject(r) ? r : {};
    const bothEmpty = Object.keys(lm).length === 0 && Object.keys(rm).length === 0;
    if (isAtomicMap(field) || bothEmpty) return compareLeaf(l, r, path, out);
    const keys = new Set([...Object.keys(lm), ...Object.keys(rm)]);
    for (const key of keys) {
      let lv = lm[key];
      let rv = rm[key];
      // A field held by value exists wherever its parent does (not inside a new list item).
      if (options.alwaysPresent?.(field.schema.name, key)) {
        if (lv === undefined && l !== undefined) lv = zeroLike(rv);
        if (rv === undefined && r !== undefined) rv = zeroLike(lv);
      }
      // Unchanged fields, the most of an update, are passed over without building paths.
      const child = field.schema.field(key);
      if (shortcuts.enabled && lv !== undefined && (lv === rv ? typeof lv !== 'object' : typeof lv === 'object' && lv !== null && typeof rv === 'object' && rv !== null && sameTree(lv, rv, child, options))) continue;
      compareNode(lv, rv, child, [...path, key], out, options);
    }
  } else if (kind === 'list') {
    const ll = Array.isArray(l) ? l : [];
    const rl = Array.isArray(r) ? r : [];
    const shape = listShape(field.meta);
    if (shape.type === 'atomic' || (ll.length === 0 && rl.length === 0)) return compareLeaf(l, r, path, out);
    compareItems(ll, rl, field, shape, path, out, options);
  } else {
    return compareLeaf(l, r, path, out);
  }
  if (path.length > 0) {
    if (l === undefined) out.added.insert(path);
    else if (r === undefined) out.removed.insert(path);
  }
}

/**
 * addNew records pe and every path below it in value as members of the set under the parent
 * path: what compareNode answers when the left side is absent (each map, each non-atomic list
 * and each of their items is a member; an atomic or empty one is a leaf).
 */
function addNew(value: unknown, field: PatchField, level: FieldSet, pe: PathElement, parentPath: PathElement[], options: CompareOptions): void {
  level.addMember(pe);
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0 || isAtomicMap(field)) return;
    const below = level.at([pe]);
    const path = [...parentPath, pe];
    for (const key of keys) addNew(value[key], field.schema.field(key), below, key, path, options);
  } else if (Array.isArray(value)) {
    const shape = listShape(field.meta);
    if (value.length === 0 || shape.type === 'atomic') return;
    const below = level.at([pe]);
    const path = [...parentPath, pe];
    const item = itemField(field);
    const counts = new Map<string, { pe: PathElement; value: unknown; n: number }>();
    value.forEach((v, i) => {
      const itemPe = itemElement(v, shape, path, i, options);
      const key = serializePathElement(itemPe);
      const seen = counts.get(key);
      if (seen) seen.n++;
      else counts.set(key, { pe: itemPe, value: v, n: 1 });
    });
    // Duplicated items count as the item alone, without what is below them.
    for (const c of counts.values()) {
      if (c.n === 1) addNew(c.value, item, below, c.pe, path, options);
      else below.addMember(c.pe);
    }
  }
}

/** compareItems pairs the items of two set or map lists by their path element. */
function compareItems(ll: unknown[], rl: unknown[], field: PatchField, shape: ListShape, path: PathElement[], out: Comparison, options: CompareOptions): void {
  const groups = new Map<string, { pe: PathElement; l: unknown[]; r: unknown[] }>();
  const gather = (list: unknown[], side: 'l' | 'r'): void => {
    list.forEach((item, i) => {
      const pe = itemElement(item, shape, path, i, options);
      const key = serializePathElement(pe);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { pe, l: [], r: [] }));
      g[side].push(item);
    });
  };
  gather(ll, 'l');
  gather(rl, 'r');
  const item = itemField(field);
  for (const g of groups.values()) {
    const itemPath = [...path, g.pe];
    if (g.l.length <= 1 && g.r.length <= 1) {
      compareNode(g.l[0], g.r[0], item, itemPath, out, options);
    } else if (g.l.length >= 2 && g.r.length >= 2) {
      if (!deepEqual(g.l, g.r)) out.modified.insert(itemPath);
    } else if (g.l.length >= 2) {
      if (g.r.length) compareNode(undefined, g.r[0], item, itemPath, out, options);
      out.removed.insert(itemPath);
    } else {
      if (g.l.length) compareNode(g.l[0], undefined, item, itemPath, out, options);
      out.added.insert(itemPath);
    }
  }
}

// Fields of built-in types that kube-apiserver's typed objects always hold: structs held by
// value (as {} when empty) and lists without omitempty (as null), so their appearance is never
// a change of their own. Keyed like schemas/patch-metadata.ts (definition name without
// io.k8s.api.); metadata, spec and status are held by value wherever they occur.
const VALUE_STRUCTS: Readonly<Record<string, readonly string[]>> = {
  'apiextensions.v1.CustomResourceDefinitionSpec': ['names'],
  'apiextensions.v1.CustomResourceDefinitionStatus': ['acceptedNames'],
  'apps.v1.DaemonSetSpec': ['template', 'updateStrategy'],
  'apps.v1.DeploymentSpec': ['strategy', 'template'],
  'apps.v1.ReplicaSetSpec': ['template'],
  'apps.v1.StatefulSetSpec': ['template', 'updateStrategy'],
  'autoscaling.v1.HorizontalPodAutoscalerSpec': ['scaleTargetRef'],
  'autoscaling.v2.HorizontalPodAutoscalerSpec': ['scaleTargetRef'],
  'batch.v1.CronJobSpec': ['jobTemplate'],
  'batch.v1.JobSpec': ['template'],
  'batch.v1.JobTemplateSpec': ['metadata', 'spec'],
  'core.v1.Container': ['resources'],
  'core.v1.EphemeralContainer': ['resources'],
  'core.v1.Event': ['involvedObject', 'source'],
  'core.v1.NodeStatus': ['daemonEndpoints', 'nodeInfo'],
  'core.v1.PersistentVolumeClaimSpec': ['resources'],
  'core.v1.PodSpec': ['containers'],
  'core.v1.PodTemplate': ['template'],
  'core.v1.PodTemplateSpec': ['metadata', 'spec'],
  'core.v1.ServiceStatus': ['loadBalancer'],
  'networking.v1.IngressStatus': ['loadBalancer'],
  'networking.v1.NetworkPolicySpec': ['podSelector'],
  'rbac.v1.ClusterRoleBinding': ['roleRef'],
  'rbac.v1.RoleBinding': ['roleRef'],
  'storage.v1.VolumeAttachmentSpec': ['source'],
};

const ROOT_VALUE_STRUCTS: readonly string[] = ['metadata', 'spec', 'status'];

/**
 * builtinAlwaysPresent answers CompareOptions.alwaysPresent for the built-in definitions:
 * VALUE_STRUCTS, plus metadata, spec and status, which every built-in type holds by value.
 */
export function builtinAlwaysPresent(definition: string, field: string): boolean {
  let fields = VALUE_STRUCT_FIELDS.get(definition);
  if (!fields) {
    const key = definition.replace(/^io\.k8s\.api\./, '').replace(/^io\.k8s\.apiextensions-apiserver\.pkg\.apis\./, '');
    fields = definition.startsWith('io.k8s.') ? new Set([...ROOT_VALUE_STRUCTS, ...(VALUE_STRUCTS[key] ?? [])]) : new Set();
    VALUE_STRUCT_FIELDS.set(definition, fields);
  }
  return fields.has(field);
}

// VALUE_STRUCT_FIELDS caches builtinAlwaysPresent's answer per definition: it is asked for every
// field of every object compared.
const VALUE_STRUCT_FIELDS = new Map<string, Set<string>>();
