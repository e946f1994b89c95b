/**
 * RequestContext: everything a verb handler needs for one resource request, plus the parsing
 * of the query parameters every verb shares, as apimachinery converts them into ListOptions,
 * CreateOptions, UpdateOptions and PatchOptions and validates them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FieldError, KubeObject, ResourceDefinition, UserInfo } from '../../schemas/types';
import { addWarnings } from './respond';
import type { ListQuery, Registry } from '../registry/generic-registry';
import type { ResourceTable } from '../registry/resource-table';
import { SelectorError, parseFieldSelector, parseLabelSelector } from '../../schemas/meta/selectors';
import { duplicateFields, parseFieldValidation, type FieldValidation } from '../registry/field-validation';
import { badRequest, invalid } from '../../schemas/meta/status-error';
import { validateFieldManager } from '../patch/managed-fields';
import { knownDuplicates, type Output } from './codec';
import type { RequestInfo } from './request-info';

/** RequestContext is one API request resolved to its resource. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  info: RequestInfo;
  def: ResourceDefinition;
  query: URLSearchParams;
  output: Output;
  registry: Registry;
  resources: ResourceTable;
  /** the namespace of the request (undefined for cluster-scoped resources and all-namespace lists) */
  namespace?: string;
}

/** subresourceOf names the write subresource of a request (status, finalize, approval, ephemeralcontainers), if any. */
export function subresourceOf(ctx: RequestContext): 'status' | 'finalize' | 'approval' | 'ephemeralcontainers' | undefined {
  const s = ctx.info.subresource;
  return s === 'status' || s === 'finalize' || s === 'approval' || s === 'ephemeralcontainers' ? s : undefined;
}

/**
 * writeOptions reads dryRun and fieldManager, and the User-Agent that names a manager by default;
 * it carries the request's user to admission and sends admission's warnings as Warning headers.
 */
export function writeOptions(ctx: RequestContext): { dryRun: boolean; fieldManager?: string; userAgent?: string; user?: UserInfo; addWarning: (w: string) => void } {
  const fieldManager = ctx.query.get('fieldManager') ?? undefined;
  return {
    dryRun: ctx.query.getAll('dryRun').length > 0,
    fieldManager,
    userAgent: ctx.req.headers['user-agent'],
    user: (ctx.req as IncomingMessage & { user?: UserInfo }).user,
    addWarning: (w) => addWarnings(ctx.res, [w]),
  };
}

/** BodyFieldOptions are the field-validation options of a write whose body a decoder read. */
export interface BodyFieldOptions {
  fieldValidation: FieldValidation;
  duplicateFields: string[];
  warn: (warning: string) => void;
}

/**
 * bodyFieldOptions reads fieldValidation and finds the duplicate keys of the raw body (only the
 * decoder can see them; the registry prunes and checks the unknown fields), collecting the
 * write's warnings into warnings.
 */
export function bodyFieldOptions(ctx: RequestContext, raw: Buffer, warnings: string[]): BodyFieldOptions {
  const fieldValidation = parseFieldValidation(ctx.query.get('fieldValidation'));
  return {
    fieldValidation,
    duplicateFields: fieldValidation === 'Ignore' ? [] : (knownDuplicates(raw) ?? duplicateFields(raw.toString('utf8'))),
    warn: (w) => warnings.push(w),
  };
}

/**
 * checkWriteOptions validates CreateOptions, UpdateOptions or PatchOptions from the query as
 * kube-apiserver does before it reads the body: fieldManager, dryRun and fieldValidation, all
 * errors in one 422 Invalid for `<kind>.meta.k8s.io ""`. leading are the kind's own checks
 * (PatchOptions: force, the apply fieldManager and its validation), which then replace the
 * plain fieldManager check.
 */
export function checkWriteOptions(ctx: RequestContext, kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions', leading?: FieldError[]): void {
  const q = ctx.query;
  const errs = [
    ...(leading ?? validateFieldManager(q.get('fieldManager') ?? '')),
    ...dryRunErrors(q.getAll('dryRun')),
    ...fieldValidationErrors(q.get('fieldValidation') ?? ''),
  ];
  if (errs.length) throw invalid(kind, 'meta.k8s.io', '', errs);
}

/** dryRunErrors is ValidateDryRun: every value must be "All" (the Go value is printed as a []string). */
export function dryRunErrors(values: readonly unknown[]): FieldError[] {
  if (values.every((v) => v === 'All')) return [];
  const shown = `[]string{${values.map((v) => goQuote(String(v))).join(', ')}}`;
  return [{ type: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: ${shown}: supported values: "All"` }];
}

/** fieldValidationErrors is ValidateFieldValidation: "", Ignore, Warn or Strict. */
export function fieldValidationErrors(value: string): FieldError[] {
  if (value === '' || value === 'Ignore' || value === 'Warn' || value === 'Strict') return [];
  return [notSupported('fieldValidation', value, ['', 'Ignore', 'Strict', 'Warn'])];
}

/**
 * boolParam reads a boolean query parameter as apimachinery's query conversion does
 * (Convert_Slice_string_To_bool): absent is undefined; the first value "0" or "false" in any
 * case is false; anything else, the empty string and "yes" included, is true. It never fails.
 */
export function boolParam(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  return !(v === '0' || v.toLowerCase() === 'false');
}

const INT64_MAX = BigInt('9223372036854775807');
const INT64_MIN = BigInt('-9223372036854775808');

/**
 * intParam reads an int64 query parameter from its first value with strconv.ParseInt's rules
 * (an optional sign and decimal digits; the empty string is not a number); a bad value is 400
 * with ParseInt's own message, as kube-apiserver answers.
 */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?[0-9]+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing ${goQuote(v)}: invalid syntax`);
  const n = BigInt(v);
  if (n > INT64_MAX || n < INT64_MIN) throw badRequest(`strconv.ParseInt: parsing ${goQuote(v)}: value out of range`);
  return Number(n);
}

// goParseBool is strconv.ParseBool: undefined for anything it refuses.
function goParseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/**
 * prettyPrint says whether JSON is indented: a non-empty pretty parameter decides with
 * strconv.ParseBool (unparseable is false); otherwise curl, Wget and browsers get it indented,
 * as kube-apiserver's isPrettyPrint does.
 */
export function prettyPrint(query: URLSearchParams, userAgent: string | undefined): boolean {
  const pretty = query.get('pretty');
  if (pretty) return goParseBool(pretty) ?? false;
  return !!userAgent && (userAgent.startsWith('curl') || userAgent.startsWith('Wget') || userAgent.startsWith('Mozilla/5.0'));
}

/** goQuote renders a string the way Go's %q and strconv.Quote do, for messages. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** notSupported is field.NotSupported for a string value. */
export function notSupported(field: string, value: string, supported: string[]): FieldError {
  return { type: 'FieldValueNotSupported', field, message: `Unsupported value: ${goQuote(value)}: supported values: ${supported.map(goQuote).join(', ')}` };
}

function forbiddenField(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
}

/**
 * listOptionErrors is ValidateListOptions with the WatchList feature on, after
 * SetListOptionsDefaults (a watch from "" or "0" asks for initial events, NotOlderThan).
 */
export function listOptionErrors(query: URLSearchParams, watch: boolean): FieldError[] {
  const rv = query.get('resourceVersion') ?? '';
  const cont = query.get('continue') ?? '';
  let match = query.get('resourceVersionMatch') ?? '';
  let sendInitialEvents = boolParam(query, 'sendInitialEvents');
  if (watch && sendInitialEvents === undefined && match === '' && (rv === '' || rv === '0')) {
    sendInitialEvents = true;
    match = 'NotOlderThan';
  }
  const errs: FieldError[] = [];
  if (watch) {
    if (sendInitialEvents !== undefined && match !== 'NotOlderThan') {
      errs.push(forbiddenField('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    }
    if (match) {
      if (sendInitialEvents === undefined) errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (cont) errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    return errs;
  }
  if (match) {
    if (!rv) errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (cont) errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && rv === '0') errs.push(forbiddenField('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (sendInitialEvents !== undefined) errs.push(forbiddenField('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return errs;
}

/**
 * listQuery builds the registry's list query from ListOptions in the query, in kube-apiserver's
 * order: the parameters decoded (a bad number or selector is 400), then validated (422 Invalid
 * ListOptions.meta.k8s.io), then the field selector's labels checked against the kind (400).
 */
export function listQuery(ctx: RequestContext, watch = false): ListQuery {
  const q = ctx.query;
  intParam(q, 'timeoutSeconds');
  const limit = intParam(q, 'limit');
  // A selector that does not parse is refused (400) before the options are validated (422).
  const selectors = { labelSelector: q.get('labelSelector') ?? '', fieldSelector: q.get('fieldSelector') ?? '' };
  try {
    parseLabelSelector(selectors.labelSelector);
    parseFieldSelector(selectors.fieldSelector);
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
  const errs = listOptionErrors(q, watch);
  if (errs.length) throw invalid('ListOptions', 'meta.k8s.io', '', errs);
  // The selectors go to the registry as data; it compiles them and refuses unknown field labels.
  return {
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') || undefined,
    // A limit of 0 or below is no limit: the storage pages only when limit > 0.
    limit: limit !== undefined && limit > 0 ? limit : undefined,
    continue: q.get('continue') || undefined,
    labelSelector: q.get('labelSelector') || undefined,
    fieldSelector: q.get('fieldSelector') || undefined,
  };
}
