/**
 * Server-side conversions kubectl asks for: Table (meta.k8s.io/v1) with the columns each kind
 * prints, and PartialObjectMetadata(List).
 */
import { LRUCache } from 'lru-cache';
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

// The metadata-only JSON of stored objects by revision: a row's object never changes for a
// revision, so a large Table is assembled from cached text (cells are computed afresh: AGE moves).
const metadataJson = new LRUCache<string, string>({ max: 50_000 });

/** TableItem is one stored object for toTableJson: its revision (0 when not stored) and decoded form. */
export interface TableItem {
  revision: number;
  object: Readonly<KubeObject>;
}

/** toTableJson renders the same Table as toTable, as JSON text built row by row. */
export function toTableJson(def: ResourceDefinition, items: ReadonlyArray<TableItem>, options: TableOptions = {}): string {
  const include = options.includeObject ?? 'Metadata';
  if (include !== 'Metadata') return JSON.stringify(toTable(def, items.map((i) => i.object), options));
  const version = options.version ?? 'v1';
  const head = toTable(def, [], options);
  const cols = tableColumns(def);
  const now = options.now ?? new Date();
  const rows = items.map(({ revision, object }) => {
    const cells = cols.map((c) => {
      try {
        const v = c.cell(object as KubeObject, now);
        return v === undefined ? null : v;
      } catch {
        return '<unknown>';
      }
    });
    const key = `${version}/${revision}`;
    let meta = revision ? metadataJson.get(key) : undefined;
    if (meta === undefined) {
      meta = JSON.stringify(partialObjectMetadata(object, version));
      if (revision) metadataJson.set(key, meta);
    }
    return `{"cells":${JSON.stringify(cells)},"object":${meta}}`;
  });
  const json = JSON.stringify(head);
  return `${json.slice(0, -3)}[${rows.join(',')}]}`;
}
