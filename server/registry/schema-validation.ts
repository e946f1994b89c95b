/**
 * Schema validation with ajv, compiled once per ResourceDefinition (and so once per CRD version),
 * never per request. Built-in kinds fail wrong types the way kube-apiserver's decoder does
 * (400 BadRequest); custom resources fail them as 422 Invalid field errors.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { FieldError, KubeObject, ResourceDefinition } from '../../schemas/types';
import { invalidValue } from './object-meta';

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false });
const compiled = new WeakMap<ResourceDefinition, ValidateFunction>();

/** compileSchema returns the cached validator of a resource, compiling it on first use. */
export function compileSchema(def: ResourceDefinition): ValidateFunction {
  let fn = compiled.get(def);
  if (!fn) {
    fn = ajv.compile(def.schema);
    compiled.set(def, fn);
  }
  return fn;
}

/** schemaErrors validates obj against the resource's schema and returns field errors. */
export function schemaErrors(def: ResourceDefinition, obj: KubeObject): SchemaProblem[] {
  const fn = compileSchema(def);
  if (fn(obj)) return [];
  return (fn.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'anyOf' && e.keyword !== 'oneOf').map(toProblem(obj));
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
