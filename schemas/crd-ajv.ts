/**
 * The ajv form of a custom resource's structural schema: OpenAPI v3 with Kubernetes' extensions
 * (x-kubernetes-int-or-string, nullable, boolean exclusive bounds) mapped to what ajv validates,
 * and the string formats kube-apiserver checks. Validators are compiled in chunks, once per distinct shape.
 */
import { isPlainObject as isRecord } from './meta/json';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { LRUCache } from 'lru-cache';
import { propertiesOf } from './crd-schema';
import { re2RegExpEngine } from './cel/re2';
import type { JSONSchema } from './types';

// Patterns compile with RE2, as Go's regexp does in kube-apiserver: RE2 syntax such as (?i)
// works, and matching is linear in the input whatever the pattern. validateSchema: false skips
// checking each schema against ajv's meta-schema: the CRD's own validation has checked its shape,
// and the check compiled the meta-schema on first use (half a second holding the event loop) and
// validated every chunk again.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, logger: false, unicodeRegExp: false, validateSchema: false, code: { regExp: re2RegExpEngine } });
const FORMATS = customResourceFormats();
for (const [name, check] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate: check });

// Compiling a large schema in one piece holds the event loop for seconds (ajv generates and
// optimizes one function per schema; a 700 KB CRD such as prometheus-operator's took over 6 s),
// so a structural schema is compiled in chunks: every subtree bigger than CHUNK_BYTES at a
// property, items or additionalProperties position becomes its own validator, which its parent
// calls through the CHUNK keyword. Each chunk compiles in tens of milliseconds, the async form
// yields between chunks, and look-alike subtrees (the many copies of a container in a
// pod-template CRD) are compiled once. Junctors (allOf, anyOf, oneOf, not) are never split, so
// a chunk's errors keep the schema paths that tell a failed branch from a failed field.
const CHUNK_BYTES = 700;
const CHUNK = 'x-nodeless-chunk';

/** ChunkError is an ajv error from inside a chunk: innerSchemaPath is its path there (ajv rewrites schemaPath to the keyword's). */
export type ChunkError = ErrorObject & { innerSchemaPath?: string };

// Chunk validators by the hash of their ajv schema (with their own chunks as references):
// descriptions, defaults and extensions do not count, so the look-alike fields of a large CRD
// (and re-validations of the same CRD) share one compiled validator.
const chunks = new LRUCache<string, ValidateFunction>({ max: 50_000 });
// Whole validators by the schema object they were compiled from, so that the CRD's validation,
// its admission-time compile and its served versions do not plan the same schema twice.
const bySchema = new WeakMap<object, ValidateFunction>();

ajv.addKeyword({
  keyword: CHUNK,
  schemaType: 'string',
  errors: true,
  compile(id: string) {
    const child = chunks.get(id);
    if (!child) throw new Error(`schema chunk ${id} was not compiled before its parent`);
    const check = (data: unknown, cxt?: object): boolean => {
      if (child(data, cxt as Parameters<ValidateFunction>[1])) return true;
      check.errors = (child.errors ?? []).map((e: ChunkError) => ({ ...e, innerSchemaPath: e.innerSchemaPath ?? e.schemaPath }));
      return false;
    };
    check.errors = undefined as ChunkError[] | undefined;
    return check;
  },
});

interface Chunk {
  id: string;
  schema: JSONSchema;
}

// planChunks splits an ajv schema into chunks, children before their parents; the last is the
// root. It is a generator that pauses every few hundred schemas, so that the async compile can
// yield while a large schema is planned.
function* planChunks(root: JSONSchema): Generator<void, Chunk[]> {
  let visited = 0;
  const out: Chunk[] = [];
  const seen = new Set<string>();
  const emit = (schema: JSONSchema): JSONSchema => {
    const json = JSON.stringify(schema);
    const id = createHash('sha1').update(json).digest('base64url');
    if (!seen.has(id)) {
      seen.add(id);
      out.push({ id, schema });
    }
    return { [CHUNK]: id };
  };
  // shrink returns the schema with its big structural children made into chunks, and its JSON size.
  function* shrink(s: JSONSchema): Generator<void, { schema: JSONSchema; size: number }> {
    if (++visited % 200 === 0) yield;
    const children: Array<{ size: number; replace: (x: JSONSchema) => void; schema: JSONSchema }> = [];
    const out: JSONSchema = { ...s };
    // The size is counted from the parts, each serialized once: a whole subtree's JSON at every
    // level would cost the depth of the tree times its size.
    const local: JSONSchema = { ...s };
    delete local.properties;
    delete local.items;
    delete local.additionalProperties;
    let size = JSON.stringify(local).length;
    if (isRecord(s.properties)) {
      const props: Record<string, JSONSchema> = { ...(s.properties as Record<string, JSONSchema>) };
      out.properties = props;
      size += 16;
      for (const k of Object.keys(props)) {
        const r = yield* shrink(props[k]);
        props[k] = r.schema;
        size += r.size + k.length + 4;
        children.push({ size: r.size, schema: r.schema, replace: (x) => (props[k] = x) });
      }
    }
    for (const k of ['items', 'additionalProperties'] as const) {
      if (!isRecord(s[k])) continue;
      const r = yield* shrink(s[k] as JSONSchema);
      out[k] = r.schema;
      size += r.size + k.length + 4;
      children.push({ size: r.size, schema: r.schema, replace: (x) => (out[k] = x) });
    }
    // The biggest children go first, until what is left is small enough to compile at once.
    children.sort((a, b) => b.size - a.size);
    for (const c of children) {
      if (size <= CHUNK_BYTES) break;
      if (c.size < 200) break;
      c.replace(emit(c.schema));
      size -= c.size - 40;
    }
    return { schema: out, size };
  }
  emit((yield* shrink(root)).schema);
  return out;
}

// runToEnd drives a pausing generator to its result without pausing.
function runToEnd<T>(gen: Generator<void, T>): T {
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

// runYielding drives a pausing generator, yielding to the event loop whenever it has held it
// for more than YIELD_AFTER_MS.
async function runYielding<T>(gen: Generator<void, T>): Promise<T> {
  let start = performance.now();
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
    if (performance.now() - start > YIELD_AFTER_MS) {
      await yieldToEventLoop();
      start = performance.now();
    }
  }
}

const YIELD_AFTER_MS = 15;

function compileChunk(c: Chunk): ValidateFunction {
  let fn = chunks.get(c.id);
  if (!fn) {
    fn = ajv.compile(c.schema);
    chunks.set(c.id, fn);
  }
  return fn;
}

/** compileCustomResourceSchema returns the ajv validator of a structural schema, compiling each chunk of it once per distinct shape. */
export function compileCustomResourceSchema(schema: JSONSchema): ValidateFunction {
  let fn = bySchema.get(schema);
  if (fn) return fn;
  const plan = runToEnd(planChunks(toAjvSchema(schema, true)));
  for (const c of plan) fn = compileChunk(c);
  bySchema.set(schema, fn!);
  return fn!;
}

/**
 * compileCustomResourceSchemaAsync compiles a structural schema as compileCustomResourceSchema
 * does, yielding to the event loop between chunks so that requests are answered meanwhile. A
 * later compileCustomResourceSchema of the same schema object (or of any schema of the same
 * shape) then finds it compiled. It rejects as the synchronous form throws.
 */
export async function compileCustomResourceSchemaAsync(schema: JSONSchema): Promise<ValidateFunction> {
  let fn = bySchema.get(schema);
  if (fn) return fn;
  const ajvSchema = await runYielding(ajvSchemaOf(schema, true));
  const plan = await runYielding(planChunks(ajvSchema));
  let spent = 0;
  for (const c of plan) {
    if (chunks.has(c.id)) {
      fn = chunks.get(c.id);
      continue;
    }
    const t = performance.now();
    fn = compileChunk(c);
    spent += performance.now() - t;
    // Yield once the loop has been held for a while: between chunks, never inside one.
    if (spent > YIELD_AFTER_MS) {
      spent = 0;
      await yieldToEventLoop();
    }
  }
  bySchema.set(schema, fn!);
  return fn!;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** toAjvSchema maps an OpenAPI v3 structural schema to the JSON schema ajv validates. */
export function toAjvSchema(s: JSONSchema, root = false): JSONSchema {
  return runToEnd(ajvSchemaOf(s, root));
}

// ajvSchemaOf is toAjvSchema as a generator that pauses every few hundred schemas.
function* ajvSchemaOf(s: JSONSchema, root = false, counter = { n: 0 }): Generator<void, JSONSchema> {
  if (++counter.n % 200 === 0) yield;
  const out: JSONSchema = {};
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case 'properties':
        if (isRecord(v)) {
          const entries = Object.entries(v as Record<string, JSONSchema>).filter(([name]) => !(root && name === 'metadata'));
          const props: Record<string, JSONSchema> = {};
          for (const [name, p] of entries) props[name] = yield* ajvSchemaOf(p, false, counter);
          out.properties = props;
        }
        break;
      case 'items':
      case 'not':
        if (isRecord(v)) out[k] = yield* ajvSchemaOf(v as JSONSchema, false, counter);
        break;
      case 'additionalProperties':
        if (isRecord(v)) out.additionalProperties = yield* ajvSchemaOf(v as JSONSchema, false, counter);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        if (Array.isArray(v)) {
          const branches: JSONSchema[] = [];
          for (const x of v) branches.push(yield* ajvSchemaOf(x as JSONSchema, false, counter));
          out[k] = branches;
        }
        break;
      case 'format':
        if (typeof v === 'string' && v in FORMATS) out.format = v;
        break;
      case 'type':
      case 'enum':
      case 'required':
      case 'pattern':
      case 'minLength':
      case 'maxLength':
      case 'minItems':
      case 'maxItems':
      case 'uniqueItems':
      case 'minProperties':
      case 'maxProperties':
      case 'multipleOf':
      case 'minimum':
      case 'maximum':
      case 'nullable':
        out[k] = v;
        break;
    }
  }
  // OpenAPI 3.0 spells exclusive bounds as booleans next to minimum and maximum.
  if (s.exclusiveMinimum === true && typeof s.minimum === 'number') {
    out.exclusiveMinimum = s.minimum;
    delete out.minimum;
  }
  if (s.exclusiveMaximum === true && typeof s.maximum === 'number') {
    out.exclusiveMaximum = s.maximum;
    delete out.maximum;
  }
  if (s['x-kubernetes-int-or-string'] === true) {
    out.type = ['integer', 'string'];
    delete out.anyOf;
  }
  if (out.nullable === true) {
    if (out.type === undefined) delete out.nullable;
    else if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  // The root's metadata is ObjectMeta, validated by the registry; only name and generateName may be restricted.
  if (root && isRecord(s.properties) && isRecord((s.properties as Record<string, unknown>).metadata)) {
    const meta = (s.properties as Record<string, JSONSchema>).metadata;
    const restricted = Object.fromEntries(
      Object.entries(propertiesOf(meta)).filter(([name]) => name === 'name' || name === 'generateName').map(([name, p]) => [name, toAjvSchema(p)]),
    );
    if (Object.keys(restricted).length) out.properties = { ...(out.properties as object), metadata: { type: 'object', properties: restricted } };
  }
  return out;
}

// customResourceFormats are the string formats kube-apiserver checks in custom resources
// (k8s.io/kube-openapi strfmt, as limited by apiextensions-apiserver's supported formats).
function customResourceFormats(): Record<string, (v: string) => boolean> {
  const re = (r: RegExp) => (v: string) => r.test(v);
  const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  const isIPv6 = (v: string) => {
    if (!/^[0-9a-fA-F:.]+$/.test(v) || !v.includes(':')) return false;
    const parts = v.split('::');
    if (parts.length > 2) return false;
    const groups = parts.flatMap((p) => (p ? p.split(':') : []));
    const last = groups[groups.length - 1] ?? '';
    const v4 = last.includes('.');
    if (v4 && !ipv4.test(last)) return false;
    const hexGroups = v4 ? groups.slice(0, -1) : groups;
    if (!hexGroups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
    const count = hexGroups.length + (v4 ? 2 : 0);
    return parts.length === 2 ? count < 8 : count === 8;
  };
  const uuid = (version?: string) =>
    re(new RegExp(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?${version ?? '[0-9a-fA-F]'}[0-9a-fA-F]{3}-?${version ? '[89abAB]' : '[0-9a-fA-F]'}[0-9a-fA-F]{3}-?[0-9a-fA-F]{12}$`));
  const hostname = (v: string) => v.length <= 255 && /^([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\.?$/.test(v);
  const dateTime = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;
  return {
    bsonobjectid: re(/^[0-9a-fA-F]{24}$/),
    uri: (v) => /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(v) && !/\s/.test(v),
    email: re(/^[^\s@]+@[^\s@]+$/),
    hostname,
    ipv4: re(ipv4),
    ipv6: isIPv6,
    cidr: (v) => {
      const [ip, bits, ...rest] = v.split('/');
      if (rest.length || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
      return ipv4.test(ip) ? Number(bits) <= 32 : isIPv6(ip) && Number(bits) <= 128;
    },
    mac: re(/^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{2}[:-]){7}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$/),
    uuid: uuid(),
    uuid3: uuid('3'),
    uuid4: uuid('4'),
    uuid5: uuid('5'),
    isbn: re(/^(\d{9}[\dXx]|\d{13})$/),
    isbn10: re(/^\d{9}[\dXx]$/),
    isbn13: re(/^\d{13}$/),
    creditcard: re(/^\d{13,19}$/),
    ssn: re(/^\d{3}[- ]?\d{2}[- ]?\d{4}$/),
    hexcolor: re(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/),
    rgbcolor: re(/^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$/),
    byte: (v) => /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0,
    password: () => true,
    date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)),
    duration: re(/^(-?(\d+(\.\d*)?|\.\d+)\s*(ns|us|µs|μs|ms|s|m|h|d|w)\s*)+$/),
    datetime: re(dateTime),
    'date-time': re(dateTime),
  };
}
