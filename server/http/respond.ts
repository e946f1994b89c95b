/**
 * respond*: write registry results in the form the client negotiated (JSON, YAML, Table,
 * PartialObjectMetadata), reusing stored bytes where the object is not converted.
 */
import type { ServerResponse } from 'node:http';
import type { ResourceDefinition } from '../../schemas/types';
import type { ListPage, StoredObject } from '../registry/generic-registry';
import { groupVersion } from '../registry/resource-table';
import { send, sendBytes, sendJoined, sendJoinedBytes, sendPieces, sendObject } from './codec';
import type { RequestContext } from './request-context';
import { partialObjectMetadata, tableParts, toTable } from './table';

/** respondObject sends one object (201 on create, 200 otherwise), with warnings as Warning headers. */
export function respondObject(ctx: RequestContext, code: number, obj: StoredObject, warnings: string[] = []): void {
  addWarnings(ctx.res, warnings);
  const { output } = ctx;
  if (output.as === 'Table') {
    const decoded = obj.revision ? ctx.registry.decode(obj) : JSON.parse(obj.raw);
    const table = toTable(ctx.def, [decoded], { includeObject: ctx.query.get('includeObject') ?? undefined, version: output.asVersion, resourceVersion: decoded.metadata?.resourceVersion });
    return send(ctx.res, code, JSON.stringify(table), output.format);
  }
  if (output.as === 'PartialObjectMetadata') {
    const decoded = obj.revision ? ctx.registry.decode(obj) : JSON.parse(obj.raw);
    return send(ctx.res, code, JSON.stringify(partialObjectMetadata(decoded, output.asVersion)), output.format);
  }
  if (obj.bytes && output.format === 'json') return sendBytes(ctx.res, code, obj.bytes);
  send(ctx.res, code, obj.raw, output.format);
}

/** respondList sends a list page, assembled from the stored bytes of its items. */
export function respondList(ctx: RequestContext, page: ListPage): void {
  const { output, def } = ctx;
  if (output.as === 'Table') {
    const items = page.items.map((i) => ({ revision: i.converted ? 0 : i.revision, object: () => ctx.registry.decode(i) }));
    const options = {
      includeObject: ctx.query.get('includeObject') ?? undefined,
      version: output.asVersion,
      resourceVersion: page.resourceVersion,
      continue: page.continue,
      remainingItemCount: page.remainingItemCount,
    };
    const parts = output.format === 'json' ? tableParts(def, items, options) : undefined;
    if (parts) return sendPieces(ctx.res, 200, [parts.head, ...parts.rows, parts.tail]);
    return sendObject(ctx.res, 200, toTable(def, items.map((i) => i.object()), options), output.format);
  }
  const meta: Record<string, unknown> = { resourceVersion: page.resourceVersion };
  if (page.continue) meta.continue = page.continue;
  if (page.remainingItemCount !== undefined) meta.remainingItemCount = page.remainingItemCount;
  if (output.as === 'PartialObjectMetadata') {
    const items = page.items.map((i) => partialObjectMetadata(ctx.registry.decode(i), output.asVersion));
    return sendObject(ctx.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${output.asVersion}`, metadata: meta, items }, output.format);
  }
  const head = `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(groupVersion(def.group, def.version))},"metadata":${JSON.stringify(meta)},"items":[`;
  if (output.format === 'json' && page.items.every((i) => i.bytes)) {
    return sendJoinedBytes(ctx.res, 200, head, page.items.map((i) => i.bytes!), ']}');
  }
  sendJoined(ctx.res, 200, head, page.items.map((i) => i.raw), ']}', output.format);
}

/** successStatus is the Status kube-apiserver answers for an immediate delete of most kinds. */
export function successStatus(def: ResourceDefinition, name: string, uid?: string): Record<string, unknown> {
  const details: Record<string, unknown> = { name, kind: def.plural };
  if (def.group) details.group = def.group;
  if (uid) details.uid = uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** warningHeader renders one warning as kube-apiserver does: 299 - "text". */
export function warningHeader(warning: string): string {
  return `299 - ${JSON.stringify(warning)}`;
}

/**
 * addWarnings adds one Warning header line per warning to a response whose headers are not yet
 * sent, after those already there and without repeating one (kube's warning recorder dedups),
 * so that every later writeHead, success or error, carries them.
 */
export function addWarnings(res: ServerResponse, warnings: readonly string[]): void {
  if (!warnings.length || res.headersSent) return;
  const existing = res.getHeader('Warning');
  const lines = existing === undefined ? [] : Array.isArray(existing) ? [...existing] : [String(existing)];
  for (const w of warnings) {
    const line = warningHeader(w);
    if (!lines.includes(line)) lines.push(line);
  }
  res.setHeader('Warning', lines);
}
