/**
 * Schema validation with ajv, compiled once per ResourceDefinition (and so once per CRD version),
 * never per request. Built-in kinds fail wrong types the way kube-apiserver's decoder does
 * (400 BadRequest); custom resources fail them as 422 Invalid field errors worded like
 * kube-openapi's validator.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { compileCustomResourceSchema, type ChunkError } from './crd-ajv';
import { re2RegExpEngine } from './cel/re2';
import type { FieldError, KubeObject, ResourceDefinition } from './types';
import { invalidValue, renderValue } from './meta/object-meta';

/** BUILTIN_AJV_OPTIONS are the options of the validator that collects every error of a built-in kind. */
export const BUILTIN_AJV_OPTIONS = { strict: false, allErrors: true, validateFormats: false, logger: false, code: { regExp: re2RegExpEngine } } as const;
/** QUICK_AJV_OPTIONS are those of the validator that stops at the first error. */
export const QUICK_AJV_OPTIONS = { strict: false, allErrors: false, validateFormats: false, logger: false, code: { regExp: re2RegExpEngine } } as const;

/**
 * PRECOMPILED_DIR holds the built-in kinds' validators as standalone modules, written by
 * `npm run build` (compile-validators.ts): loading one costs tens of milliseconds where
 * compiling a large kind's schema holds the event loop for hundreds. Without them (tests run
 * from the TypeScript sources) validators are compiled on first use.
 */
export const PRECOMPILED_DIR = path.join(__dirname, 'generated-validators');

/** precompiledFile names the module of one built-in validator ('full' collects every error, 'quick' stops at the first). */
export function precompiledFile(definitionName: string, kind: 'full' | 'quick'): string {
  return path.join(PRECOMPILED_DIR, `${definitionName}.${kind}.js`);
}

function loadPrecompiled(definitionName: string, kind: 'full' | 'quick'): ValidateFunction | undefined {
  const file = precompiledFile(definitionName, kind);
  if (!fs.existsSync(file)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as ValidateFunction;
}

const ajv = new Ajv(BUILTIN_AJV_OPTIONS);
// Valid objects are the common case: a validator that stops at the first error answers them
// faster; the one that collects every error runs only for an invalid object.
const firstErrorAjv = new Ajv(QUICK_AJV_OPTIONS);
const compiled = new WeakMap<ResourceDefinition, ValidateFunction>();
// Built-in schemas depend only on their definition name, so every server shares them.
const builtinCompiled = new Map<string, ValidateFunction>();
const builtinQuick = new Map<string, ValidateFunction>();

/** compileSchema returns the cached validator of a resource, compiling it on first use. */
export function compileSchema(def: ResourceDefinition): ValidateFunction {
  if (def.definitionName) {
    let fn = builtinCompiled.get(def.definitionName);
    if (!fn) builtinCompiled.set(def.definitionName, (fn = loadPrecompiled(def.definitionName, 'full') ?? ajv.compile(def.schema)));
    return fn;
  }
  let fn = compiled.get(def);
  if (!fn) {
    // A run-time kind (a CRD version) carries an OpenAPI v3 structural schema with Kubernetes'
    // extensions (int-or-string, nullable, formats), which needs its own translation for ajv.
    fn = compileCustomResourceSchema(def.schema);
    compiled.set(def, fn);
  }
  return fn;
}

function quickValidator(def: ResourceDefinition): ValidateFunction {
  const name = def.definitionName ?? '';
  let fn = builtinQuick.get(name);
  if (!fn) builtinQuick.set(name, (fn = loadPrecompiled(name, 'quick') ?? firstErrorAjv.compile(def.schema)));
  return fn;
}

function quickCheck(def: ResourceDefinition, obj: KubeObject): boolean {
  if (!def.definitionName) return false;
  return quickValidator(def)(obj);
}

/** schemaErrors validates obj against the resource's schema and returns field errors. */
export function schemaErrors(def: ResourceDefinition, obj: KubeObject): SchemaProblem[] {
  if (quickCheck(def, obj)) return [];
  const fn = compileSchema(def);
  if (fn(obj)) return [];
  if (!def.definitionName) return customResourceProblems(fn.errors ?? [], obj, '');
  return (fn.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf' && e.keyword !== 'oneOf').map(toProblem(obj));
}

/**
 * customResourceSchemaErrors validates a value with a compiled custom-resource schema (a CRD's
 * default values, for instance); field paths start at base.
 */
export function customResourceSchemaErrors(fn: ValidateFunction, value: unknown, base: string): FieldError[] {
  if (fn(value)) return [];
  return customResourceProblems(fn.errors ?? [], value, base).map((p) => p.error);
}

// BRANCH matches a schema path inside an anyOf, oneOf or not (not a property of that name):
// failures there only decide the branch.
const BRANCH = /(?<!\/properties)\/(anyOf|oneOf)\/\d+\/|(?<!\/properties)\/not\//;

// customResourceProblems words ajv's errors as kube-openapi's validator and
// kubeOpenAPIResultToFieldErrors do for custom resources.
function customResourceProblems(errors: ErrorObject[], root: unknown, base: string): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  for (const e of errors) {
    // An error from a schema chunk carries its path inside the chunk, where any branch it failed in is.
    if (BRANCH.test((e as ChunkError).innerSchemaPath ?? e.schemaPath) || e.keyword === 'if') continue;
    const { field: rel, value } = locate(e.instancePath, root);
    const field = base && rel ? `${base}.${rel}` : base || rel;
    const name = rel;
    const p = e.params as Record<string, unknown>;
    const problem = (type: string, message: string, keyword = e.keyword): SchemaProblem => ({ field, keyword, found: jsonType(value), error: { type, field, message } });
    switch (e.keyword) {
      case 'required': {
        const missing = String(p.missingProperty);
        const f = field ? `${field}.${missing}` : missing;
        out.push({ field: f, keyword: 'required', found: 'undefined', error: { type: 'FieldValueRequired', field: f, message: 'Required value' } });
        break;
      }
      case 'type': {
        const found = kubeType(value);
        out.push({ ...problem('FieldValueTypeInvalid', `Invalid value: ${JSON.stringify(found)}: ${name} in body must be of type ${String(p.type)}: ${JSON.stringify(found)}`), expected: String(p.type) });
        break;
      }
      case 'format':
        out.push(problem('FieldValueTypeInvalid', `Invalid value: ${renderValue(value)}: ${name} in body must be of type ${String(p.format)}: ${JSON.stringify(value)}`));
        break;
      case 'enum': {
        const allowed = ((p.allowedValues as unknown[]) ?? []).map((v) => JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
        out.push(problem('FieldValueNotSupported', `Unsupported value: ${renderValue(value)}: supported values: ${allowed}`));
        break;
      }
      case 'maxLength':
        out.push(problem('FieldValueTooLong', `Too long: may not be more than ${String(p.limit)} bytes`));
        break;
      case 'maxItems':
        out.push(problem('FieldValueTooMany', `Too many: ${Array.isArray(value) ? value.length : 0}: must have at most ${String(p.limit)} items`));
        break;
      case 'maxProperties':
        out.push(problem('FieldValueTooMany', `Too many: ${value && typeof value === 'object' ? Object.keys(value).length : 0}: must have at most ${String(p.limit)} items`));
        break;
      case 'anyOf':
        out.push({ field: '', keyword: e.keyword, found: jsonType(value), error: { type: 'FieldValueInvalid', field: '', message: `Invalid value: "": ${JSON.stringify(field)} must validate at least one schema (anyOf)` } });
        break;
      case 'oneOf': {
        const passing = p.passingSchemas;
        const detail = Array.isArray(passing) ? `Found ${passing.length} valid alternatives` : 'Found none valid';
        out.push({ field: '', keyword: e.keyword, found: jsonType(value), error: { type: 'FieldValueInvalid', field: '', message: `Invalid value: "": ${JSON.stringify(field)} must validate one and only one schema (oneOf). ${detail}` } });
        break;
      }
      case 'not':
        out.push({ field: '', keyword: e.keyword, found: jsonType(value), error: { type: 'FieldValueInvalid', field: '', message: `Invalid value: "": ${JSON.stringify(field)} must not validate the schema (not)` } });
        break;
      default: {
        const why = `${name} in body ${kubeOpenAPIMessage(e, value)}`;
        const shown = e.keyword === 'minItems' && Array.isArray(value) ? value.length : e.keyword === 'minProperties' && value && typeof value === 'object' ? Object.keys(value).length : value;
        out.push(problem('FieldValueInvalid', `Invalid value: ${renderValue(shown)}: ${why}`));
      }
    }
  }
  return out;
}

// kubeOpenAPIMessage is the text after "<field> in body" that kube-openapi uses for a failed rule.
function kubeOpenAPIMessage(e: ErrorObject, value: unknown): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'pattern':
      return `should match '${String(p.pattern)}'`;
    case 'minLength':
      return `should be at least ${String(p.limit)} chars long`;
    case 'minimum':
      return `should be greater than or equal to ${String(p.limit)}`;
    case 'exclusiveMinimum':
      return `should be greater than ${String(p.limit)}`;
    case 'maximum':
      return `should be less than or equal to ${String(p.limit)}`;
    case 'exclusiveMaximum':
      return `should be less than ${String(p.limit)}`;
    case 'multipleOf':
      return `should be a multiple of ${String(p.multipleOf)}`;
    case 'minItems':
      return `should have at least ${String(p.limit)} items`;
    case 'uniqueItems':
      return "shouldn't contain duplicates";
    case 'minProperties':
      return `should have at least ${String(p.limit)} properties`;
    default:
      return e.message ?? `is invalid: ${JSON.stringify(value)}`;
  }
}

// locate turns an ajv instance path into a field path (spec.ports[0].name) and the value there.
function locate(instancePath: string, root: unknown): { field: string; value: unknown } {
  let field = '';
  let value: unknown = root;
  for (const raw of instancePath.split('/').slice(1)) {
    const s = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    value = value == null ? undefined : (value as Record<string, unknown>)[s];
    field += /^\d+$/.test(s) ? `[${s}]` : field ? `.${s}` : s;
  }
  return { field, value };
}

// kubeType names a JSON value's type as kube-openapi does: whole numbers are integers.
function kubeType(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return jsonType(v);
}

/** SchemaProblem is one failed schema rule: its field path, the JSON type found and the rule. */
export interface SchemaProblem {
  field: string;
  keyword: string;
  /** the JSON type that was found, for type errors */
  found: string;
  expected?: string;
  error: FieldError;
}

function toProblem(obj: KubeObject) {
  return (e: ErrorObject): SchemaProblem => {
    const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let field = '';
    let value: unknown = obj;
    for (const s of segments) {
      value = value == null ? undefined : (value as Record<string, unknown>)[s];
      field += /^\d+$/.test(s) ? `[${s}]` : field ? `.${s}` : s;
    }
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const f = field ? `${field}.${missing}` : missing;
      return { field: f, keyword: e.keyword, found: 'undefined', error: { type: 'FieldValueRequired', field: f, message: 'Required value' } };
    }
    const found = jsonType(value);
    if (e.keyword === 'type') {
      const expected = String((e.params as { type: string | string[] }).type);
      return {
        field,
        keyword: e.keyword,
        found,
        expected,
        error: { type: 'FieldValueTypeInvalid', field, message: `Invalid value: ${JSON.stringify(typeof value === 'object' ? found : value)}: ${field} in body must be of type ${expected}: ${JSON.stringify(found)}` },
      };
    }
    if (e.keyword === 'enum') {
      const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ');
      return { field, keyword: e.keyword, found, error: { type: 'FieldValueNotSupported', field, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed}` } };
    }
    return { field, keyword: e.keyword, found, error: invalidValue(field, value, `${field} in body ${e.message ?? 'is invalid'}`) };
  };
}

/** jsonType names the JSON type of a value: string, number, boolean, null, array, object. */
export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
