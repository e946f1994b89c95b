/**
 * The OpenAPI definitions of every built-in Kubernetes 1.32 type, as generated into
 * schemas/generated/definitions.json by generate-definitions.ts, and the views the server needs
 * of them: a lookup by group/version/kind, a self-contained ajv schema per kind, and the
 * OpenAPI v3 form of a definition.
 *
 * The ajv schemas check types only. They accept unknown fields (field validation decides about
 * those elsewhere) and JSON null wherever a value is typed, because the Go decoder behind
 * kube-apiserver reads null as "not set".
 */
import * as fs from 'fs';
import * as path from 'path';
import type { JSONSchema } from './types';

/** DefinitionMap maps OpenAPI definition names to OpenAPI v2 schema objects. */
export type DefinitionMap = Readonly<Record<string, JSONSchema>>;

/** ObjectSchemaOptions tunes objectSchema. */
export interface ObjectSchemaOptions {
  /** required keeps the definitions' `required` lists (default true); false checks types only. */
  required?: boolean;
}

const REF_PREFIX = '#/definitions/';
const V3_REF_PREFIX = '#/components/schemas/';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const APIEXTENSIONS = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';
const JSON_SCHEMA_PROPS = `${REF_PREFIX}${APIEXTENSIONS}.JSONSchemaProps`;

// RFC 3339 as Go's time.Parse accepts it for metav1.Time and MicroTime.
const DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$';
// Standard base64 ([]byte fields such as Secret data); Go's decoder skips line breaks.
const BASE64 = '^[A-Za-z0-9+/\\r\\n]*=?=?[\\r\\n]*$';
const INT32 = { minimum: -2147483648, maximum: 2147483647 };

// The ajv form of definitions whose JSON shape is not a plain OpenAPI v2 type: wire formats
// with custom marshalling, and the JSONSchemaProps unions that OpenAPI v2 cannot express.
const AJV_OVERRIDES: Record<string, JSONSchema> = {
  [QUANTITY]: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'null' }] },
  [INT_OR_STRING]: { anyOf: [{ type: 'integer' }, { type: 'string' }, { type: 'null' }] },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string', nullable: true, pattern: DATE_TIME },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { type: 'string', nullable: true, pattern: DATE_TIME },
  [`${APIEXTENSIONS}.JSON`]: {},
  [`${APIEXTENSIONS}.JSONSchemaPropsOrArray`]: {
    anyOf: [{ $ref: JSON_SCHEMA_PROPS }, { type: 'array', items: { $ref: JSON_SCHEMA_PROPS } }, { type: 'null' }],
  },
  [`${APIEXTENSIONS}.JSONSchemaPropsOrBool`]: {
    anyOf: [{ type: 'boolean' }, { $ref: JSON_SCHEMA_PROPS }, { type: 'null' }],
  },
  [`${APIEXTENSIONS}.JSONSchemaPropsOrStringArray`]: {
    anyOf: [{ $ref: JSON_SCHEMA_PROPS }, { type: 'array', items: { type: 'string' } }, { type: 'null' }],
  },
};

let loaded: DefinitionMap | undefined;
let byGroupVersionKind: Map<string, string> | undefined;

/** load reads definitions.json once; it sits beside this file in schemas/, not in dist/. */
function load(): DefinitionMap {
  if (loaded) return loaded;
  const candidates = [
    path.join(__dirname, 'generated', 'definitions.json'),
    path.join(__dirname, '..', '..', 'schemas', 'generated', 'definitions.json'),
  ];
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new Error(`definitions.json not found (looked in ${candidates.join(', ')})`);
  loaded = Object.freeze(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, JSONSchema>);
  return loaded;
}

/**
 * definitions is the read-only map of every definition name to its OpenAPI v2 schema. It is a
 * proxy so that importing this module costs nothing until the first lookup reads the ~1 MB file.
 */
export const definitions: DefinitionMap = new Proxy({} as Record<string, JSONSchema>, {
  get: (_target, key) => (typeof key === 'string' ? load()[key] : undefined),
  has: (_target, key) => typeof key === 'string' && key in load(),
  ownKeys: () => Object.keys(load()),
  getOwnPropertyDescriptor: (_target, key) =>
    typeof key === 'string' && key in load()
      ? { value: load()[key], enumerable: true, configurable: true, writable: false }
      : undefined,
  set: () => false,
  deleteProperty: () => false,
  defineProperty: () => false,
});

/**
 * definitionNameFor returns the definition name of a built-in kind, e.g. ('apps', 'v1',
 * 'Deployment') -> io.k8s.api.apps.v1.Deployment, or undefined when no definition declares
 * that group/version/kind in x-kubernetes-group-version-kind. group is '' for core.
 */
export function definitionNameFor(group: string, version: string, kind: string): string | undefined {
  if (!byGroupVersionKind) {
    byGroupVersionKind = new Map();
    for (const [name, schema] of Object.entries(load())) {
      const gvks = (schema['x-kubernetes-group-version-kind'] ?? []) as Array<{ group: string; version: string; kind: string }>;
      for (const gvk of gvks) byGroupVersionKind.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
    }
  }
  return byGroupVersionKind.get(`${group}/${version}/${kind}`);
}

/** refName returns the definition a schema refers to, if it is a reference. */
function refName(schema: JSONSchema): string | undefined {
  const ref = schema.$ref;
  return typeof ref === 'string' && ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : undefined;
}

/** subschemas lists the schemas nested in one schema object (properties, items, values). */
function subschemas(schema: JSONSchema): JSONSchema[] {
  const out: JSONSchema[] = [];
  const properties = schema.properties as Record<string, JSONSchema> | undefined;
  if (properties) out.push(...Object.values(properties));
  for (const key of ['items', 'additionalProperties'] as const) {
    const sub = schema[key];
    if (sub && typeof sub === 'object') out.push(sub as JSONSchema);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(schema[key])) out.push(...(schema[key] as JSONSchema[]));
  }
  return out;
}

/**
 * referencedDefinitions is the transitive closure of definitions reachable from name, each as
 * transform returns it, and whether name itself is referenced from inside the closure.
 */
function referencedDefinitions(
  name: string,
  transform: (name: string) => JSONSchema,
): { closure: Map<string, JSONSchema>; recursive: boolean } {
  const closure = new Map<string, JSONSchema>();
  let recursive = false;
  const pending = [name];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (closure.has(next)) continue;
    const schema = transform(next);
    closure.set(next, schema);
    const stack = [schema];
    for (let s = stack.pop(); s !== undefined; s = stack.pop()) {
      const target = refName(s);
      if (target === name) recursive = true;
      if (target !== undefined && !closure.has(target)) pending.push(target);
      stack.push(...subschemas(s));
    }
  }
  return { closure, recursive };
}

/**
 * ajvSchema converts one OpenAPI v2 schema to the type-checking subset ajv compiles in strict
 * mode: descriptions, formats and x-kubernetes-* extensions go; null is allowed wherever a
 * type is; formats that change what JSON is accepted become patterns or ranges.
 */
function ajvSchema(schema: JSONSchema, keepRequired: boolean): JSONSchema {
  if (typeof schema.$ref === 'string') return { $ref: schema.$ref };
  const out: JSONSchema = {};
  if (typeof schema.type === 'string') {
    out.type = schema.type;
    out.nullable = true;
  }
  if (schema.format === 'byte') out.pattern = BASE64;
  if (schema.format === 'int32') Object.assign(out, INT32);
  if (keepRequired && Array.isArray(schema.required)) out.required = schema.required;
  const properties = schema.properties as Record<string, JSONSchema> | undefined;
  if (properties) {
    out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, ajvSchema(v, keepRequired)]));
  }
  if (schema.items && typeof schema.items === 'object') out.items = ajvSchema(schema.items as JSONSchema, keepRequired);
  const additional = schema.additionalProperties;
  if (additional && typeof additional === 'object') out.additionalProperties = ajvSchema(additional as JSONSchema, keepRequired);
  return out;
}

/**
 * objectSchema returns a self-contained draft-07 schema for one definition, for the default
 * export of 'ajv' with default options: the definition itself plus a `definitions` section
 * holding exactly the definitions it references, transitively. Compile it once per kind and
 * reuse the validator; compiling costs milliseconds, validating microseconds.
 * Throws for an unknown definition name.
 */
export function objectSchema(definitionName: string, options: ObjectSchemaOptions = {}): JSONSchema {
  const all = load();
  if (!(definitionName in all)) throw new Error(`unknown OpenAPI definition ${definitionName}`);
  const keepRequired = options.required ?? true;
  const { closure, recursive } = referencedDefinitions(definitionName, (name) => {
    const schema = all[name];
    if (!schema) throw new Error(`definition ${name} is referenced but missing from definitions.json`);
    return AJV_OVERRIDES[name] ?? ajvSchema(schema, keepRequired);
  });
  const root = closure.get(definitionName)!;
  // The root stays in `definitions` only if something refers back to it (JSONSchemaProps does).
  if (!recursive) closure.delete(definitionName);
  return { ...root, definitions: Object.fromEntries([...closure].sort(([a], [b]) => a.localeCompare(b))) };
}

/**
 * toOpenAPIV3 returns the OpenAPI v3 (components/schemas) form of one definition, as
 * kube-apiserver serves it under /openapi/v3: references point at #/components/schemas/, a
 * reference that carries a description is wrapped in allOf, and IntOrString and Quantity
 * declare both JSON types they accept.
 */
export function toOpenAPIV3(definitionName: string): JSONSchema {
  const schema = load()[definitionName];
  if (!schema) throw new Error(`unknown OpenAPI definition ${definitionName}`);
  if (definitionName === INT_OR_STRING || definitionName === QUANTITY) {
    const { type: _type, ...rest } = schema;
    const types = definitionName === QUANTITY ? ['string', 'number'] : ['integer', 'string'];
    return { ...rest, oneOf: types.map((type) => ({ type })) };
  }
  return convertV3(schema);
}

/** convertV3 rewrites references in one schema and its subschemas for OpenAPI v3. */
function convertV3(schema: JSONSchema): JSONSchema {
  const target = refName(schema);
  if (target !== undefined) {
    const ref = `${V3_REF_PREFIX}${target}`;
    const { $ref: _ref, ...siblings } = schema;
    return Object.keys(siblings).length > 0 ? { ...siblings, allOf: [{ $ref: ref }] } : { $ref: ref };
  }
  const out: JSONSchema = { ...schema };
  const properties = schema.properties as Record<string, JSONSchema> | undefined;
  if (properties) out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, convertV3(v)]));
  if (schema.items && typeof schema.items === 'object') out.items = convertV3(schema.items as JSONSchema);
  const additional = schema.additionalProperties;
  if (additional && typeof additional === 'object') out.additionalProperties = convertV3(additional as JSONSchema);
  return out;
}
