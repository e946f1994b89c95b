/**
 * Server-side conversions kubectl asks for: Table (meta.k8s.io/v1) with the columns each kind
 * prints, and PartialObjectMetadata(List).
 */
import type { KubeObject, ResourceDefinition, TableColumn } from '../../schemas/types';

/** partialObjectMetadata is the metadata-only form of an object. */
export function partialObjectMetadata(obj: Readonly<KubeObject>, version = 'v1'): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata ?? {} };
}

/** tableColumns returns a resource's columns, NAME first. */
export function tableColumns(def: ResourceDefinition): TableColumn[] {
  return def.columns;
}

/** TableOptions tune a Table: headers off for watch events after the first, and what each row carries. */
export interface TableOptions {
  noHeaders?: boolean;
  /** None, Metadata (the default) or Object */
  includeObject?: string;
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  version?: string;
  now?: Date;
}

/** toTable renders objects as a Table. */
export function toTable(def: ResourceDefinition, objects: ReadonlyArray<Readonly<KubeObject>>, options: TableOptions = {}): Record<string, unknown> {
  const cols = tableColumns(def);
  const now = options.now ?? new Date();
  const include = options.includeObject ?? 'Metadata';
  const rows = objects.map((obj) => {
    const cells = cols.map((c) => {
      try {
        const v = c.cell(obj as KubeObject, now);
        return v === undefined ? null : v;
      } catch {
        // A malformed stored object must not break the whole listing.
        return '<unknown>';
      }
    });
    const row: Record<string, unknown> = { cells };
    if (include === 'Object') row.object = obj;
    else if (include !== 'None') row.object = partialObjectMetadata(obj, options.version);
    return row;
  });
  const metadata: Record<string, unknown> = {};
  if (options.resourceVersion) metadata.resourceVersion = options.resourceVersion;
  if (options.continue) metadata.continue = options.continue;
  if (options.remainingItemCount !== undefined) metadata.remainingItemCount = options.remainingItemCount;
  const table: Record<string, unknown> = { kind: 'Table', apiVersion: `meta.k8s.io/${options.version ?? 'v1'}`, metadata };
  table.columnDefinitions = options.noHeaders
    ? null
    : cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority }));
  table.rows = rows;
  return table;
}
