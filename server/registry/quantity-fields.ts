/**
 * Quantity fields of built-in kinds (resources.requests.cpu, storage requests, ...) are parsed
 * and stored in the canonical form Kubernetes writes back ("1000m" -> "1", "0.5" -> "500m");
 * a value that is not a quantity is a field error.
 */
import { definitions } from '../../schemas/openapi-definitions';
import type { FieldError, JSONSchema, KubeObject, ResourceDefinition } from '../../schemas/types';
import { QuantityError, canonicalQuantity } from '../../schemas/meta/quantity';

const REF = '#/definitions/';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

// Which definitions can hold a Quantity somewhere below them, so the walk skips the rest.
const holdsQuantity = new Map<string, boolean>();

function refName(schema: JSONSchema | undefined): string | undefined {
  const ref = schema?.$ref;
  return typeof ref === 'string' && ref.startsWith(REF) ? ref.slice(REF.length) : undefined;
}

function reaches(name: string, seen = new Set<string>()): boolean {
  const known = holdsQuantity.get(name);
  if (known !== undefined) return known;
  if (name === QUANTITY) return true;
  if (seen.has(name)) return false;
  seen.add(name);
  const schema = definitions[name];
  let found = false;
  const visit = (s: JSONSchema | undefined): void => {
    if (!s || found) return;
    const r = refName(s);
    if (r) found = reaches(r, seen);
    for (const p of Object.values((s.properties as Record<string, JSONSchema>) ?? {})) visit(p);
    if (s.items && typeof s.items === 'object') visit(s.items as JSONSchema);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') visit(s.additionalProperties as JSONSchema);
  };
  visit(schema);
  holdsQuantity.set(name, found);
  return found;
}

// reachesSchema says whether walking a value under schema can meet a Quantity: through a $ref
// that reaches one, or through inline properties, items or additionalProperties that do. The walk
// skips the rest without building their paths (most leaves of a Pod are plain strings).
const schemaReaches = new WeakMap<JSONSchema, boolean>();

function reachesSchema(schema: JSONSchema): boolean {
  const known = schemaReaches.get(schema);
  if (known !== undefined) return known;
  const name = refName(schema);
  let found: boolean;
  if (name) found = name === QUANTITY || reaches(name);
  else {
    const child = (s: unknown): boolean => !!s && typeof s === 'object' && reachesSchema(s as JSONSchema);
    found =
      Object.values((schema.properties as Record<string, JSONSchema>) ?? {}).some(child) || child(schema.items) || child(schema.additionalProperties);
  }
  schemaReaches.set(schema, found);
  return found;
}

// isQuantity says whether schema is a Quantity, directly or through a chain of $refs.
function isQuantity(schema: JSONSchema | undefined): boolean {
  for (let i = 0; schema && i < 32; i++) {
    const name = refName(schema);
    if (!name) return false;
    if (name === QUANTITY) return true;
    schema = definitions[name];
  }
  return false;
}

/** canonicalizeQuantities rewrites every Quantity of a built-in object canonically and returns errors for invalid ones. */
export function canonicalizeQuantities(def: ResourceDefinition, obj: KubeObject): FieldError[] {
  if (!def.definitionName || !reaches(def.definitionName)) return [];
  const errors: FieldError[] = [];
  const walk = (value: unknown, schema: JSONSchema | undefined, path: string, set: (v: string) => void): void => {
    if (value === null || value === undefined || !schema) return;
    const name = refName(schema);
    if (name === QUANTITY) {
      if (typeof value !== 'string' && typeof value !== 'number') return;
      try {
        set(canonicalQuantity(value));
      } catch (err) {
        if (!(err instanceof QuantityError)) throw err;
        errors.push({ type: 'FieldValueInvalid', field: path, message: `Invalid value: ${JSON.stringify(value)}: ${err.message}` });
      }
      return;
    }
    if (name) {
      if (!reaches(name)) return;
      return walk(value, definitions[name], path, set);
    }
    if (Array.isArray(value)) {
      const items = schema.items as JSONSchema | undefined;
      if (!items || !reachesSchema(items)) return;
      value.forEach((v, i) => walk(v, items, `${path}[${i}]`, (nv) => (value[i] = nv)));
      return;
    }
    if (typeof value !== 'object') return;
    const o = value as Record<string, unknown>;
    const props = schema.properties as Record<string, JSONSchema> | undefined;
    const additional = schema.additionalProperties as JSONSchema | undefined;
    for (const k of Object.keys(o)) {
      const child = props?.[k] ?? (typeof additional === 'object' ? additional : undefined);
      // Only a Quantity or a container can hold one: a scalar under any other schema is left at once.
      const v = o[k];
      if (!child || v === null || v === undefined || !reachesSchema(child)) continue;
      if (typeof v !== 'object' && !isQuantity(child)) continue;
      walk(v, child, path ? `${path}.${k}` : k, (nv) => (o[k] = nv));
    }
  };
  walk(obj, definitions[def.definitionName], '', () => undefined);
  return errors;
}
