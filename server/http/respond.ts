/**
 * respond*: write registry results in the form the client negotiated (JSON, YAML, Table,
 * PartialObjectMetadata), reusing stored bytes where the object is not converted.
 */
import type { ServerResponse } from 'node:http';
import type { ResourceDefinition } from '../../schemas/types';
import type { ListPage, StoredObject } from '../registry/generic-registry';
import { groupVersion } from '../registry/resource-table';
import { bodyFormat, send, sendBytes, sendJoined, sendJoinedBytes, sendPieces, sendObject } from './codec';
import type { RequestContext } from './request-context';
import { partialObjectMetadata, tableParts, toTable } from './table';

/** respondObject sends one object (201 on create, 200 otherwise), with warnings as Warning headers. */
export function respondObject(ctx: RequestContext, code: number, obj: StoredObject, warnings: string[] = []): void {
  addWarnings(ctx.res, warnings);
  const { output } = ctx;
  const format = bodyFormat(output);
  if (output.as === 'Table') {
    const decoded = obj.revision ? ctx.registry.decode(obj) : JSON.parse(obj.raw);
    const table = toTable(ctx.def, [decoded], { includeObject: ctx.query.get('includeObject') ?? undefined, version: output.asVersion, resourceVersion: decoded.metadata?.resourceVersion });
    return send(ctx.res, code, JSON.stringify(table), format);
  }
  if (output.as === 'PartialObjectMetadata') {
    const decoded = obj.revision ? ctx.registry.decode(obj) : JSON.parse(obj.raw);
    return send(ctx.res, code, JSON.stringify(partialObjectMetadata(decoded, output.asVersion)), format);
  }
  if (obj.bytes && format === 'json') return sendBytes(ctx.res, code, obj.bytes);
  send(ctx.res, code, obj.raw, format);
}

/** respondList sends a list page, assembled from the stored bytes of its items. */
export function respondList(ctx: RequestContext, page: ListPage): void {
  const { output, def } = ctx;
  const format = bodyFormat(output);
  if (output.as === 'Table') {
    const items = page.items.map((i) => ({ revision: i.converted ? 0 : i.revision, object: () => ctx.registry.decode(i) }));
    const options = {
      includeObject: ctx.query.get('includeObject') ?? undefined,
      version: output.asVersion,
      resourceVersion: page.resourceVersion,
      continue: page.continue,
      remainingItemCount: page.remainingItemCount,
    };
    const parts = format === 'json' ? tableParts(def, items, options) : undefined;
    if (parts) return sendPieces(ctx.res, 200, [parts.head, ...parts.rows, parts.tail]);
    return sendObject(ctx.res, 200, toTable(def, items.map((i) => i.object()), options), format);
  }
  const meta: Record<string, unknown> = { resourceVersion: page.resourceVersion };
  if (page.continue) meta.continue = page.continue;
  if (page.remainingItemCount !== undefined) meta.remainingItemCount = page.remainingItemCount;
  if (output.as === 'PartialObjectMetadata') {
    const items = page.items.map((i) => partialObjectMetadata(ctx.registry.decode(i), output.asVersion));
    return sendObject(ctx.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${output.asVersion}`, metadata: meta, items }, format);
  }
  const head = `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(groupVersion(def.group, def.version))},"metadata":${JSON.stringify(meta)},"items":[`;
  if (format === 'json' && page.items.every((i) => i.bytes)) {
    return sendJoinedBytes(ctx.res, 200, head, page.items.map((i) => i.bytes!), ']}');
  }
  sendJoined(ctx.res, 200, head, page.items.map((i) => i.raw), ']}', format);
}

/** successStatus is the Status kube-apiserver answers for an immediate delete of most kinds. */
export function successStatus(def: ResourceDefinition, name: string, uid?: string): Record<string, unknown> {
  const details: Record<string, unknown> = { name, kind: def.plural };
  if (def.group) details.group = def.group;
  if (uid) details.uid = uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** WARNING_HEADER_RUNES is the total size of Warning headers past which kube-apiserver truncates them (4 Ki runes). */
export const WARNING_HEADER_RUNES = 4 * 1024;
/** WARNING_ITEM_RUNES is what each warning is cut to once truncating (256 runes). */
export const WARNING_ITEM_RUNES = 256;

/** warningHeader renders one warning as kube-apiserver does: 299 - "text". */
export function warningHeader(warning: string): string {
  return `299 - ${JSON.stringify(warning)}`;
}

/**
 * warningHeaderLines renders warnings as kube-apiserver's warning recorder does: duplicates
 * once; when all of them would pass 4 Ki runes, every warning is cut to 256 runes and those
 * that still do not fit are dropped. One header line per warning.
 */
export function warningHeaderLines(warnings: readonly string[]): string[] {
  const unique = [...new Set(warnings.filter((w) => w.length > 0))];
  const runes = (s: string) => [...s].length;
  const lines = unique.map(warningHeader);
  if (lines.reduce((n, v) => n + runes(v), 0) <= WARNING_HEADER_RUNES) return lines;
  const out: string[] = [];
  let total = 0;
  for (const w of unique) {
    const chars = [...w];
    const line = warningHeader(chars.length > WARNING_ITEM_RUNES ? chars.slice(0, WARNING_ITEM_RUNES).join('') : w);
    if (total + runes(line) > WARNING_HEADER_RUNES) break;
    total += runes(line);
    out.push(line);
  }
  return out;
}

/** warningHeaders is warningHeaderLines as one header value (HTTP reads a comma-joined value as the same list). */
export function warningHeaders(warnings: readonly string[]): Record<string, string> {
  const lines = warningHeaderLines(warnings);
  return lines.length ? { Warning: lines.join(', ') } : {};
}

// The warnings added to each response so far, so that truncation sees all of them.
const responseWarnings = new WeakMap<ServerResponse, string[]>();

/**
 * addWarnings adds warnings to a response whose headers are not yet sent, after those already
 * there and without repeating one, so that every later writeHead, success or error, carries them.
 */
export function addWarnings(res: ServerResponse, warnings: readonly string[]): void {
  if (!warnings.length || res.headersSent) return;
  const all = responseWarnings.get(res) ?? [];
  for (const w of warnings) if (!all.includes(w)) all.push(w);
  responseWarnings.set(res, all);
  res.setHeader('Warning', warningHeaderLines(all));
}
