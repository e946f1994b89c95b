/**
 * Server-side conversions kubectl asks for: Table (meta.k8s.io/v1) with the columns each kind
 * prints, and PartialObjectMetadata(List).
 */
import { LRUCache } from 'lru-cache';
import { age } from '../../schemas/printers-pod';
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
    const row: Record<string, unknown> = { cells: computeCells(cols, obj, now) };
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

// The metadata-only JSON of stored objects by revision, as bytes: a row's object never changes
// for a revision, so a large Table is sent from cached bytes (cells are computed afresh: AGE moves).
const metadataJson = new LRUCache<string, Buffer>({ maxSize: 256 * 1024 * 1024, sizeCalculation: (b) => b.length || 1 });

/** TableItem is one stored object for tableParts: its revision (0 when not stored) and how to decode it. */
export interface TableItem {
  revision: number;
  object: () => Readonly<KubeObject>;
}

// A computed row by resource and revision: the cells that do not depend on the time, and which
// cells are ages (recomputed from creationTimestamp at every render). A row whose other cells
// move with time ("3 (5m ago)") is not cached. Cached rows spare decoding the object at all.
interface CachedRow {
  cells: unknown[];
  ages: number[];
  created: unknown;
  meta: Buffer;
}
const rowCache = new LRUCache<string, CachedRow | false>({ max: 100_000 });
const PROBE_LATER_MS = 37 * 24 * 3600 * 1000;

function computeCells(cols: TableColumn[], obj: Readonly<KubeObject>, now: Date): unknown[] {
  return cols.map((c) => {
    try {
      const v = c.cell(obj as KubeObject, now);
      return v === undefined ? null : v;
    } catch {
      // A malformed stored object must not break the whole listing.
      return '<unknown>';
    }
  });
}

function metadataBytes(key: string, revision: number, obj: Readonly<KubeObject>, version: string): Buffer {
  let meta = revision ? metadataJson.get(key) : undefined;
  if (meta === undefined) {
    meta = Buffer.from(JSON.stringify(partialObjectMetadata(obj, version)));
    if (revision) metadataJson.set(key, meta);
  }
  return meta;
}

/** TableParts is a Table as JSON pieces to send in order: head, then rows joined by commas, then tail. */
export interface TableParts {
  head: string;
  /** each row as its pieces (text and cached bytes), written back to back */
  rows: Array<Array<string | Buffer>>;
  tail: string;
}

/** tableParts renders the same Table as toTable, as pieces that reuse cached rows and row metadata. */
export function tableParts(def: ResourceDefinition, items: ReadonlyArray<TableItem>, options: TableOptions = {}): TableParts | undefined {
  const include = options.includeObject ?? 'Metadata';
  if (include !== 'Metadata') return undefined;
  const version = options.version ?? 'v1';
  const cols = tableColumns(def);
  const now = options.now ?? new Date();
  const ageColumns = cols.map((c, i) => (c.name === 'Age' ? i : -1)).filter((i) => i >= 0);
  const rows = items.map(({ revision, object }) => {
    const key = `${def.group}/${def.plural}/${version}/${revision}`;
    const cached = revision ? rowCache.get(key) : false;
    let cells: unknown[];
    let meta: Buffer;
    if (cached) {
      cells = cached.cells.slice();
      for (const i of cached.ages) cells[i] = age(cached.created, now);
      meta = cached.meta;
    } else {
      const obj = object();
      cells = computeCells(cols, obj, now);
      meta = metadataBytes(`${version}/${revision}`, revision, obj, version);
      if (revision && cached === undefined) {
        // Which cells move with time: compare with the same row rendered much later.
        const later = computeCells(cols, obj, new Date(now.getTime() + PROBE_LATER_MS));
        const moving = cells.map((c, i) => (JSON.stringify(c) === JSON.stringify(later[i]) ? -1 : i)).filter((i) => i >= 0);
        const created = obj.metadata?.creationTimestamp;
        const onlyAges = moving.every((i) => ageColumns.includes(i) && cells[i] === age(created, now));
        rowCache.set(key, onlyAges ? { cells, ages: moving, created, meta } : false);
      }
    }
    return [`{"cells":${JSON.stringify(cells)},"object":`, meta, '}'];
  });
  const json = JSON.stringify(toTable(def, [], options));
  return { head: json.slice(0, -2), rows, tail: ']}' };
}
