/**
 * RequestContext: everything a verb handler needs for one resource request, plus the parsing
 * of the query parameters every verb shares (selectors, dryRun, resourceVersion, limits).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import type { ListQuery, Registry } from '../registry/generic-registry';
import type { ResourceTable } from '../registry/resource-table';
import {
  SelectorError,
  exactFieldValue,
  fieldSelectorFields,
  fieldSelectorMatches,
  matches,
  parseFieldSelector,
  parseLabelSelector,
  unsupportedFieldLabelMessage,
} from '../../schemas/meta/selectors';
import { badRequest, invalid } from '../../schemas/meta/status-error';
import { validateFieldManager } from '../patch/managed-fields';
import type { Output } from './codec';
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

/** subresourceOf names the write subresource of a request (status, finalize, approval), if any. */
export function subresourceOf(ctx: RequestContext): 'status' | 'finalize' | 'approval' | undefined {
  const s = ctx.info.subresource;
  return s === 'status' || s === 'finalize' || s === 'approval' ? s : undefined;
}

/** writeOptions reads dryRun and fieldManager, and the User-Agent that names a manager by default. */
export function writeOptions(ctx: RequestContext): { dryRun: boolean; fieldManager?: string; userAgent?: string } {
  const fieldManager = ctx.query.get('fieldManager') ?? undefined;
  if (fieldManager !== undefined) {
    const errs = validateFieldManager(fieldManager);
    if (errs.length) throw invalid('PatchOptions', 'meta.k8s.io', '', errs);
  }
  return { dryRun: dryRunParam(ctx.query), fieldManager, userAgent: ctx.req.headers['user-agent'] };
}

/** boolParam reads a boolean query parameter the way Go's strconv.ParseBool does; bad values are 400. */
export function boolParam(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False', ''].includes(v)) return false;
  throw badRequest(`invalid value for ${name}: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/** intParam reads an integer query parameter; bad values are 400. */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d{1,15}$/.test(v)) throw badRequest(`invalid value for ${name}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** dryRunParam reads dryRun: only "All" is supported, as in kube-apiserver. */
export function dryRunParam(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw badRequest(`dryRun: Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
  }
  return values.length > 0;
}

/** fieldValue reads a selectable field of an object: metadata.name, metadata.namespace, or the kind's own. */
export function fieldValue(def: ResourceDefinition, obj: Readonly<KubeObject>, field: string): string | undefined {
  if (field === 'metadata.name') return obj.metadata?.name;
  if (field === 'metadata.namespace') return obj.metadata?.namespace ?? '';
  return def.selectableFields?.[field]?.(obj as KubeObject);
}

/** listQuery builds the registry's list query from the request parameters. */
export function listQuery(ctx: RequestContext): ListQuery {
  const q = ctx.query;
  let labelSel;
  let fieldSel;
  try {
    labelSel = parseLabelSelector(q.get('labelSelector') ?? '');
    fieldSel = parseFieldSelector(q.get('fieldSelector') ?? '');
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
  for (const f of fieldSelectorFields(fieldSel)) {
    if (f !== 'metadata.name' && f !== 'metadata.namespace' && !ctx.def.selectableFields?.[f]) {
      throw badRequest(unsupportedFieldLabelMessage(f));
    }
  }
  const filters: Array<(o: Readonly<KubeObject>) => boolean> = [];
  if (!labelSel.empty) filters.push((o) => matches(labelSel, o.metadata?.labels));
  if (!fieldSel.empty) filters.push((o) => fieldSelectorMatches(fieldSel, (f) => fieldValue(ctx.def, o, f)));
  const limit = intParam(q, 'limit');
  if (limit !== undefined && limit < 0) throw badRequest(`limit: Invalid value: ${limit}: must be greater than or equal to 0`);
  return {
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') || undefined,
    limit,
    continue: q.get('continue') || undefined,
    filter: filters.length === 0 ? undefined : filters.length === 1 ? filters[0] : (o) => filters.every((f) => f(o)),
    name: exactFieldValue(fieldSel, 'metadata.name'),
  };
}
