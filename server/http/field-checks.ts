/**
 * fieldChecks applies fieldValidation to a decoded request body: unknown fields are pruned
 * (and refused under Strict), duplicate keys of the raw body likewise; Warn returns warnings.
 */
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import {
  duplicateFields,
  fieldWarnings,
  parseFieldValidation,
  pruneUnknownFields,
  strictDecodingError,
} from '../registry/field-validation';

/** fieldChecks prunes unknown fields of obj and returns the warnings to send. */
export function fieldChecks(def: ResourceDefinition, query: URLSearchParams, obj: KubeObject, rawBody?: Buffer): string[] {
  const mode = parseFieldValidation(query.get('fieldValidation'));
  const unknown = pruneUnknownFields(def, obj);
  if (mode === 'Ignore') return [];
  const duplicate = rawBody ? duplicateFields(rawBody.toString('utf8')) : [];
  const problems = { unknown, duplicate };
  if (!unknown.length && !duplicate.length) return [];
  if (mode === 'Strict') throw strictDecodingError(def, problems);
  return fieldWarnings(problems);
}
