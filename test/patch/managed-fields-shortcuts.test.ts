/**
 * The shortcuts managedFields bookkeeping takes (the create walk of created-fields.ts, the
 * comparison passing over unchanged subtrees, shared field-set levels) must record exactly what
 * the plain walk records. Random objects from a fixed seed, for built-in kinds and a custom
 * resource, are recorded both ways and the entries compared.
 */
import { builtinPatchSchema, customPatchSchema, type PatchSchema } from '../../schemas/patch-metadata';
import type { KubeObject } from '../../schemas/types';
import { compareObjects, shortcuts } from '../../server/patch/field-compare';
import { FieldSet } from '../../server/patch/field-set';
import { compareStrings, itemField, setField } from '../../server/patch/field-set';
import { defaultResetFields, managedFieldsForUpdate, recordUpdate, setManagedFields, typedView, type RecordUpdateOptions } from '../../server/patch/managed-fields';
import { isPlainObject } from '../../schemas/meta/json';
import type { PatchField } from '../../schemas/patch-metadata';

/** rng is a small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const maybe = (r: Rand, p = 0.5): boolean => r() < p;

const NAMES = ['a', 'web', 'b', 'Zed', 'é', '😀x', 'x-1', '10', 'proto', '__proto__'];

function scalar(r: Rand): unknown {
  return pick(r, ['', 'v', 'value-😀', 0, 1, 2.5, 1e-7, true, false, null, 'TCP']);
}

/** odd is a value that may not fit where it is put: null, {}, [], a scalar, a map. */
function odd(r: Rand): unknown {
  return pick(r, [null, {}, [], 'x', 3, { k: 'v' }, [1, 2], undefined]);
}

function labels(r: Rand): Record<string, unknown> | null | undefined {
  if (maybe(r, 0.1)) return pick(r, [null, {}, undefined]);
  const out: Record<string, unknown> = {};
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) out[pick(r, NAMES)] = maybe(r, 0.9) ? String(scalar(r)) : odd(r);
  return out;
}

function port(r: Rand): unknown {
  if (maybe(r, 0.05)) return odd(r);
  const p: Record<string, unknown> = { containerPort: pick(r, [80, 443, 8080]) };
  if (maybe(r)) p.protocol = pick(r, ['TCP', 'UDP']);
  if (maybe(r, 0.3)) p.name = pick(r, NAMES);
  return p;
}

function container(r: Rand): unknown {
  if (maybe(r, 0.03)) return odd(r);
  const c: Record<string, unknown> = {};
  if (maybe(r, 0.95)) c.name = pick(r, ['main', 'side', 'init', 'main']);
  c.image = pick(r, ['nginx', 'busybox', '']);
  if (maybe(r)) c.ports = Array.from({ length: Math.floor(r() * 3) }, () => port(r));
  if (maybe(r)) c.env = Array.from({ length: Math.floor(r() * 3) }, () => (maybe(r, 0.95) ? { name: pick(r, NAMES), value: String(scalar(r)) } : odd(r)));
  if (maybe(r)) c.resources = maybe(r, 0.3) ? {} : { requests: { cpu: pick(r, ['100m', '1']), ...(maybe(r) ? { memory: '64Mi' } : {}) } };
  if (maybe(r, 0.3)) c.command = maybe(r) ? [] : ['sh', '-c', 'x'];
  if (maybe(r, 0.2)) c.securityContext = maybe(r) ? null : { runAsUser: 1000, capabilities: { add: ['NET_ADMIN'] } };
  return c;
}

function metadata(r: Rand): Record<string, unknown> {
  const m: Record<string, unknown> = { name: 'obj', namespace: 'default', uid: 'u', creationTimestamp: '2024-01-01T00:00:00Z' };
  if (maybe(r, 0.8)) m.labels = labels(r);
  if (maybe(r, 0.4)) m.annotations = labels(r);
  if (maybe(r, 0.3)) m.finalizers = Array.from({ length: Math.floor(r() * 3) }, () => (maybe(r, 0.9) ? pick(r, ['f.io/a', 'f.io/b', 'f.io/a']) : odd(r)));
  if (maybe(r, 0.3)) m.ownerReferences = [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: pick(r, ['u1', 'u2']), controller: maybe(r) }];
  if (maybe(r, 0.1)) m.generation = 3;
  if (maybe(r, 0.1)) m.resourceVersion = '12';
  if (maybe(r, 0.05)) m.selfLink = maybe(r) ? '/x' : { odd: true };
  return m;
}

function podSpec(r: Rand): Record<string, unknown> {
  const s: Record<string, unknown> = {};
  if (maybe(r, 0.95)) s.containers = Array.from({ length: Math.floor(r() * 3) }, () => container(r));
  if (maybe(r, 0.3)) s.initContainers = maybe(r) ? [] : [container(r)];
  if (maybe(r, 0.5)) s.restartPolicy = 'Always';
  if (maybe(r, 0.3)) s.volumes = [{ name: pick(r, ['v', 'w']), emptyDir: maybe(r) ? {} : { medium: 'Memory' } }];
  if (maybe(r, 0.3)) s.tolerations = [{ key: 'k', operator: 'Exists' }];
  if (maybe(r, 0.2)) s.nodeSelector = labels(r);
  if (maybe(r, 0.1)) s.affinity = null;
  return s;
}

function pod(r: Rand): KubeObject {
  const p: Record<string, unknown> = { apiVersion: 'v1', kind: 'Pod', metadata: metadata(r) };
  if (maybe(r, 0.95)) p.spec = podSpec(r);
  if (maybe(r, 0.4)) p.status = { phase: pick(r, ['Pending', 'Running']), conditions: maybe(r) ? [{ type: 'Ready', status: 'True' }] : [], podIP: maybe(r) ? '10.0.0.1' : undefined };
  return p as KubeObject;
}

function deployment(r: Rand): KubeObject {
  const spec: Record<string, unknown> = { selector: { matchLabels: labels(r) } };
  if (maybe(r)) spec.replicas = pick(r, [0, 1, 3]);
  if (maybe(r, 0.8)) spec.template = { metadata: maybe(r) ? { labels: labels(r) } : {}, spec: podSpec(r) };
  if (maybe(r, 0.4)) spec.strategy = maybe(r) ? {} : { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } };
  const d: Record<string, unknown> = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: metadata(r), spec };
  if (maybe(r, 0.3)) d.status = { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] };
  return d as KubeObject;
}

function configMap(r: Rand): KubeObject {
  const c: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(r) };
  if (maybe(r, 0.8)) c.data = labels(r);
  if (maybe(r, 0.2)) c.binaryData = maybe(r) ? {} : { b: 'AAA=' };
  if (maybe(r, 0.1)) c.immutable = maybe(r);
  return c as KubeObject;
}

function service(r: Rand): KubeObject {
  const spec: Record<string, unknown> = {};
  if (maybe(r, 0.9)) spec.ports = Array.from({ length: Math.floor(r() * 3) }, () => (maybe(r, 0.95) ? { port: pick(r, [80, 443]), ...(maybe(r) ? { protocol: pick(r, ['TCP', 'UDP']) } : {}), targetPort: pick(r, [8080, 'http']) } : odd(r)));
  if (maybe(r)) spec.selector = labels(r);
  if (maybe(r, 0.5)) spec.clusterIPs = ['10.0.0.1'];
  return { apiVersion: 'v1', kind: 'Service', metadata: metadata(r), spec, ...(maybe(r, 0.3) ? { status: { loadBalancer: {} } } : {}) } as KubeObject;
}

const widgetSchema = customPatchSchema({
  schema: {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          size: { type: 'integer' },
          tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
          items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
          config: { type: 'object', additionalProperties: { type: 'string' } },
          frozen: { type: 'object', 'x-kubernetes-map-type': 'atomic', additionalProperties: { type: 'string' } },
        },
      },
      status: { type: 'object', properties: { ready: { type: 'boolean' } } },
    },
  },
} as never);

function widget(r: Rand): KubeObject {
  const spec: Record<string, unknown> = {};
  if (maybe(r)) spec.size = maybe(r, 0.9) ? 3 : null;
  if (maybe(r)) spec.tags = Array.from({ length: Math.floor(r() * 3) }, () => (maybe(r, 0.95) ? pick(r, ['x', 'y', 'x']) : odd(r)));
  if (maybe(r)) spec.items = Array.from({ length: Math.floor(r() * 3) }, () => (maybe(r, 0.95) ? { name: pick(r, NAMES), v: scalar(r) } : odd(r)));
  if (maybe(r)) spec.config = labels(r);
  if (maybe(r)) spec.frozen = labels(r);
  const w: Record<string, unknown> = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: metadata(r) };
  if (maybe(r, 0.9)) w.spec = maybe(r, 0.1) ? {} : spec;
  if (maybe(r, 0.3)) w.status = { ready: maybe(r) };
  if (maybe(r, 0.1)) w.extra = odd(r);
  return w as KubeObject;
}

interface Kind {
  name: string;
  schema: PatchSchema;
  status: boolean;
  make: (r: Rand) => KubeObject;
}

const KINDS: Kind[] = [
  { name: 'Pod', schema: builtinPatchSchema('io.k8s.api.core.v1.Pod'), status: true, make: pod },
  { name: 'Deployment', schema: builtinPatchSchema('io.k8s.api.apps.v1.Deployment'), status: true, make: deployment },
  { name: 'ConfigMap', schema: builtinPatchSchema('io.k8s.api.core.v1.ConfigMap'), status: false, make: configMap },
  { name: 'Service', schema: builtinPatchSchema('io.k8s.api.core.v1.Service'), status: true, make: service },
  { name: 'Widget', schema: widgetSchema, status: true, make: widget },
];

/** both runs fn with the shortcuts on and off and answers the two results as JSON. */
function both(fn: () => unknown): [string, string] {
  const fast = JSON.stringify(fn());
  shortcuts.enabled = false;
  try {
    return [fast, JSON.stringify(fn())];
  } finally {
    shortcuts.enabled = true;
  }
}

/** mutate changes a copy of obj in one of the ways writes do: a field, a subtree, or another whole object of the kind. */
function mutate(r: Rand, obj: KubeObject, kind: Kind): KubeObject {
  const next = structuredClone(obj) as Record<string, any>;
  switch (Math.floor(r() * 6)) {
    case 0:
      (next.metadata ??= {}).labels = { ...(next.metadata.labels ?? {}), touched: 'yes' };
      break;
    case 1:
      next.status = maybe(r) ? { phase: 'Running', conditions: [{ type: 'Ready', status: pick(r, ['True', 'False']) }] } : undefined;
      break;
    case 2: {
      const other = kind.make(r) as Record<string, any>;
      next.spec = other.spec;
      break;
    }
    case 3:
      return { ...kind.make(r), metadata: next.metadata } as KubeObject;
    case 4:
      if (next.metadata) delete next.metadata.labels;
      break;
    default:
      break;
  }
  return next as KubeObject;
}

const T0 = new Date('2024-05-01T10:00:00Z');
const T1 = new Date('2024-05-01T10:05:00Z');

// Key fields whose values typedView may drop (null, [], {}) or that are not scalars: an unchanged
// subtree holding them is passed over before the typed views are built only when that cannot
// change what the comparison answers or whether it fails.
const ODD_KEYS: readonly unknown[] = [null, [], {}, { a: 1 }, [1], '', 0, 'web'];

describe('managedFields shortcuts on unchanged subtrees with odd key values', () => {
  const schema = builtinPatchSchema('io.k8s.api.core.v1.Pod');
  it('an update and a status write record what the plain walk records', () => {
    const r = rng(11);
    for (let i = 0; i < 300; i++) {
      const containers = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
        const c: Record<string, unknown> = { image: 'nginx' };
        if (maybe(r, 0.8)) c.name = pick(r, ODD_KEYS);
        if (maybe(r)) c.ports = [{ containerPort: pick(r, ODD_KEYS), ...(maybe(r) ? { protocol: pick(r, ODD_KEYS) } : {}) }];
        return c;
      });
      const old = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'a' } }, spec: { containers }, status: { conditions: [{ type: pick(r, ODD_KEYS), status: 'True' }] } } as KubeObject;
      setManagedFields(old, [{ manager: 'creator', operation: 'Update', apiVersion: 'v1', time: '2024-05-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } } }]);
      const next = structuredClone(old) as Record<string, any>;
      if (maybe(r)) next.status = { phase: 'Running', conditions: [{ type: pick(r, ODD_KEYS), status: 'False' }] };
      else next.metadata.labels.app = 'b';
      const sub = maybe(r) ? 'status' : undefined;
      const opts: RecordUpdateOptions = { resetFields: defaultResetFields(sub, true), apiVersion: 'v1' };
      const [fast, slow] = both(() => recordUpdate(managedFieldsForUpdate(old, next as KubeObject, sub), 'kubelet', old, structuredClone(next) as KubeObject, schema, T1, sub, opts));
      expect({ i, old, next, fast }).toEqual({ i, old, next, fast: slow });
    }
  });
});

describe.each(KINDS)('managedFields shortcuts on $name', (kind) => {
  const options = (sub?: string): RecordUpdateOptions => ({ resetFields: defaultResetFields(sub, kind.status), apiVersion: 'v1' });

  it('a create records what the plain walk records', () => {
    const r = rng(42);
    let owned = 0;
    for (let i = 0; i < 400; i++) {
      const obj = kind.make(r);
      const sub = maybe(r, 0.2) ? 'status' : undefined;
      const [fast, slow] = both(() => recordUpdate(managedFieldsForUpdate(undefined, obj), 'creator', undefined, structuredClone(obj), kind.schema, T0, sub, options(sub)));
      expect({ i, obj, fast }).toEqual({ i, obj, fast: slow });
      if (fast !== '[]') owned++;
    }
    // Most random objects own something; the rest cover untracked and unidentifiable ones.
    expect(owned).toBeGreaterThan(200);
  });

  it('an update and a status write record what the plain walk records', () => {
    const r = rng(7);
    for (let i = 0; i < 400; i++) {
      const old = kind.make(r);
      setManagedFields(old, recordUpdate(undefined, 'creator', undefined, structuredClone(old), kind.schema, T0, undefined, options()));
      const next = mutate(r, old, kind);
      const sub = maybe(r, 0.3) ? 'status' : undefined;
      const manager = pick(r, ['creator', 'other', 'kubelet']);
      const [fast, slow] = both(() => recordUpdate(managedFieldsForUpdate(old, next, sub), manager, old, structuredClone(next), kind.schema, T1, sub, options(sub)));
      expect({ i, old, next, fast }).toEqual({ i, old, next, fast: slow });
    }
  });

  it('a request carrying managedFields (as read, reordered, rewritten, reset, undecodable) records what the plain walk records', () => {
    const r = rng(13);
    const reorder = (v: unknown): unknown => (isPlainObject(v) ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reorder(x)])) : v);
    const variants: Array<(mf: Array<Record<string, unknown>>) => unknown> = [
      (mf) => structuredClone(mf),
      (mf) => mf.map((e) => ({ ...e, fieldsV1: reorder(e.fieldsV1) })),
      (mf) => mf.map((e) => ({ ...e, manager: 'rewritten' })),
      (mf) => mf.map((e) => ({ ...e, time: '2020-01-01T00:00:00Z' })),
      () => [],
      () => [{ operation: 'Bogus' }],
      () => undefined,
    ];
    for (let i = 0; i < 400; i++) {
      const old = kind.make(r);
      setManagedFields(old, recordUpdate(undefined, 'creator', undefined, structuredClone(old), kind.schema, T0, undefined, options()));
      // A second writer, so that some entries are decoded, kept and written back unchanged.
      const second = mutate(r, old, kind);
      setManagedFields(second, recordUpdate(managedFieldsForUpdate(old, second), 'other', old, structuredClone(second), kind.schema, T0, undefined, options()));
      const next = mutate(r, second, kind);
      const live = (second.metadata?.managedFields ?? []) as Array<Record<string, unknown>>;
      const sent = pick(r, variants)(live);
      if (next.metadata) next.metadata.managedFields = sent as Array<Record<string, unknown>> | undefined;
      const manager = pick(r, ['creator', 'other', 'third']);
      const [fast, slow] = both(() => recordUpdate(managedFieldsForUpdate(second, next), manager, second, structuredClone(next), kind.schema, T1, undefined, options()));
      expect({ i, second, next, fast }).toEqual({ i, second, next, fast: slow });
    }
  });

  it('compareObjects answers the same sets', () => {
    const r = rng(99);
    const text = (s: FieldSet): string => s.toString();
    for (let i = 0; i < 400; i++) {
      const a = kind.make(r);
      const b = maybe(r, 0.5) ? mutate(r, a, kind) : structuredClone(a);
      const [fast, slow] = both(() => {
        try {
          const c = compareObjects(a, b, kind.schema);
          return [text(c.added), text(c.removed), text(c.modified)];
        } catch (err) {
          return String(err);
        }
      });
      expect({ i, a, b, fast }).toEqual({ i, a, b, fast: slow });
    }
  });
});

/** plainTypedView is typedView as first written: a full copy, which the shared one must equal. */
function plainTypedView(value: unknown, field: PatchField): unknown {
  if (Array.isArray(value)) {
    const item = itemField(field);
    return value.map((v) => (isPlainObject(v) ? plainTypedView(v, item) : v));
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null) continue;
    const child = field.schema.field(key);
    const view = plainTypedView(v, child);
    if (Array.isArray(view) && view.length === 0) continue;
    if (isPlainObject(view) && Object.keys(view).length === 0 && !child.schema.name.startsWith('io.k8s.')) continue;
    setField(out, key, view);
  }
  return out;
}

describe('typedView', () => {
  it.each(KINDS.filter((k) => k.name !== 'Widget'))('answers what a full copy answers for $name, sharing what it keeps', (kind) => {
    const r = rng(5);
    for (let i = 0; i < 400; i++) {
      const obj = kind.make(r);
      const before = structuredClone(obj);
      const view = typedView(obj, { schema: kind.schema });
      expect({ i, view }).toEqual({ i, view: plainTypedView(obj, { schema: kind.schema }) });
      // Same key order as well as the same fields.
      expect(JSON.stringify(view)).toBe(JSON.stringify(plainTypedView(obj, { schema: kind.schema })));
      expect(obj).toEqual(before);
    }
  });
});

describe('field-set operations share levels without changing their operands', () => {
  it('union, difference and recursiveDifference leave both sets as they were', () => {
    const a = FieldSet.of(['spec', 'replicas'], ['spec', 'template', 'metadata'], ['metadata', 'labels', 'app'], ['status']);
    const b = FieldSet.of(['spec', 'replicas'], ['metadata', 'labels', 'tier'], ['kind']);
    const before = [a.toString(), b.toString()];
    expect(a.union(b).toString()).toBe(['.kind', '.status', '.metadata.labels.app', '.metadata.labels.tier', '.spec.replicas', '.spec.template.metadata'].join('\n'));
    expect(a.difference(b).toString()).toBe(['.status', '.metadata.labels.app', '.spec.template.metadata'].join('\n'));
    expect(a.recursiveDifference(FieldSet.of(['spec'])).toString()).toBe(['.status', '.metadata.labels.app'].join('\n'));
    expect(a.difference(FieldSet.of(['nothing']))).toBe(a);
    expect([a.toString(), b.toString()]).toEqual(before);
  });
});

describe('compareStrings', () => {
  it('orders by code point, as Go orders UTF-8 bytes, also where surrogates meet U+E000 and above', () => {
    const byCodePoint = (a: string, b: string): number => {
      const x = [...a].map((c) => c.codePointAt(0)!);
      const y = [...b].map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
      return Math.sign(x.length - y.length);
    };
    const r = rng(3);
    const units = ['a', 'b', 'Z', '\u00e9', '\ue000', '\uffff', '\ud83d\ude00', '\ud800', '\udc00', '\ud83d\ude01'];
    const word = (): string => Array.from({ length: Math.floor(r() * 4) }, () => pick(r, units)).join('');
    for (let i = 0; i < 5000; i++) {
      const a = word();
      const b = word();
      expect([a, b, compareStrings(a, b)]).toEqual([a, b, byCodePoint(a, b)]);
    }
    expect(compareStrings('\ue000', '\ud83d\ude00')).toBe(-1);
  });
});
