/**
 * Field validation (fieldValidation=Strict|Warn|Ignore): unknown fields found by walking an
 * object against its OpenAPI schema, and duplicate fields found by re-reading the request body
 * with a parser that keeps them. Strict refuses them; Warn reports them as Warning headers.
 */
import YAML from 'yaml';
import { pruneCustomResource } from '../../schemas/crd-schema';
import { definitions } from '../../schemas/openapi-definitions';
import type { JSONSchema, KubeObject, ResourceDefinition } from '../../schemas/types';
import { badRequest } from '../../schemas/meta/status-error';
import { duplicateYamlPaths } from '../http/yaml-decode';

/** FieldValidation is the fieldValidation query parameter. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** parseFieldValidation reads the parameter; kube-apiserver's default is Warn. */
export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(value)}: supported values: "Ignore", "Strict", "Warn"`);
}

const REF = '#/definitions/';

function resolve(schema: JSONSchema | undefined): JSONSchema | undefined {
  let s = schema;
  for (let i = 0; s && typeof s.$ref === 'string' && i < 64; i++) s = definitions[(s.$ref as string).slice(REF.length)];
  return s;
}

/**
 * unknownFields lists the paths of fields the kind's schema does not declare and removes them
 * from obj, as the decoder of kube-apiserver drops them.
 */
export function pruneUnknownFields(def: ResourceDefinition, obj: KubeObject): string[] {
  // A run-time kind (a CRD version) is pruned by the structural-schema rules of
  // apiextensions-apiserver, its ObjectMeta (and that of embedded resources) like any kind's.
  if (!def.definitionName) return pruneCustomResource(def.schema, obj, pruneObjectMeta);
  const out: string[] = [];
  walk(obj, definitions[def.definitionName], '', out);
  return out;
}

const OBJECT_META: JSONSchema = { $ref: `${REF}io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta` };

function pruneObjectMeta(value: unknown, path: string, out: string[]): void {
  walk(value, OBJECT_META, path, out);
}

function walk(value: unknown, schemaIn: JSONSchema | undefined, path: string, out: string[]): void {
  // Pruning happens on the object being decoded, so deleting while walking is safe.
  const schema = resolve(schemaIn);
  if (!schema || value === null || typeof value !== 'object') return;
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && !schema.properties) return;
  if (Array.isArray(value)) {
    const items = schema.items as JSONSchema | undefined;
    if (items) value.forEach((v, i) => walk(v, items, `${path}[${i}]`, out));
    return;
  }
  const props = schema.properties as Record<string, JSONSchema> | undefined;
  const additional = schema.additionalProperties;
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k;
    if (props && k in props) walk(v, props[k], p, out);
    else if (additional && typeof additional === 'object') walk(v, additional as JSONSchema, p, out);
    else if (props && additional !== true && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
      out.push(p);
      delete (value as Record<string, unknown>)[k];
    }
  }
}

/** duplicateFields lists the paths of keys repeated in a JSON or YAML body. */
export function duplicateFields(body: string): string[] {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const json = duplicateJsonFields(trimmed);
    if (json) return json;
  }
  return duplicateYamlFields(body);
}

/**
 * duplicateJsonFields scans JSON text once, keeping the keys seen per object, and lists the
 * paths of repeated keys; undefined when the text is not well-formed JSON (the YAML reader,
 * which also reads JSON, then decides). Much cheaper than building a YAML document.
 */
export function duplicateJsonFields(text: string): string[] | undefined {
  const out: string[] = [];
  type Frame = { keys?: Set<string>; path: string; index: number; key?: string };
  const stack: Frame[] = [];
  let i = 0;
  const n = text.length;
  const readString = (): string | undefined => {
    // i is at the opening quote
    let j = i + 1;
    let simple = true;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 34) break; // "
      if (c === 92) {
        simple = false;
        j += 2;
        continue;
      }
      j++;
    }
    if (j >= n) return undefined;
    const raw = text.slice(i + 1, j);
    i = j + 1;
    if (simple) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return undefined;
    }
  };
  const childPath = (f: Frame): string => (f.keys ? (f.path ? `${f.path}.${f.key}` : f.key!) : `${f.path}[${f.index}]`);
  while (i < n) {
    const c = text[i];
    if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      const path = parent ? childPath(parent) : '';
      stack.push(c === '{' ? { keys: new Set(), path, index: 0 } : { path, index: 0 });
      i++;
      continue;
    }
    if (c === '}' || c === ']') {
      stack.pop();
      i++;
      continue;
    }
    if (c === ',') {
      const top = stack[stack.length - 1];
      if (top && !top.keys) top.index++;
      i++;
      continue;
    }
    if (c === '"') {
      const top = stack[stack.length - 1];
      const str = readString();
      if (str === undefined) return undefined;
      // A string directly followed by ':' is a key of the innermost object.
      let k = i;
      while (k < n && /\s/.test(text[k])) k++;
      if (top?.keys && text[k] === ':') {
        if (top.keys.has(str)) out.push(top.path ? `${top.path}.${str}` : str);
        top.keys.add(str);
        top.key = str;
        i = k + 1;
      }
      continue;
    }
    i++;
  }
  return stack.length === 0 ? out : undefined;
}

function duplicateYamlFields(body: string): string[] {
  try {
    return duplicateYamlPaths(YAML.parseDocument(body, { uniqueKeys: false }).contents);
  } catch {
    return [];
  }
}

/** FieldProblems are the unknown and duplicate fields of one request. */
export interface FieldProblems {
  unknown: string[];
  duplicate: string[];
}

/** strictDecodingError is the 400 kube-apiserver answers under Strict. */
export function strictDecodingError(def: ResourceDefinition, problems: FieldProblems) {
  const parts = [...problems.unknown.map((f) => `unknown field "${f}"`), ...problems.duplicate.map((f) => `duplicate field "${f}"`)];
  return badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${parts.join(', ')}`);
}

/** fieldWarnings are the Warning texts kube-apiserver sends under Warn. */
export function fieldWarnings(problems: FieldProblems): string[] {
  return [...problems.unknown.map((f) => `unknown field "${f}"`), ...problems.duplicate.map((f) => `duplicate field "${f}"`)];
}
