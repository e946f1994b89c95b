/**
 * Server-side conversions kubectl asks for: Table (meta.k8s.io/v1) with the columns each kind
 * prints, and PartialObjectMetadata(List).
 */
import { LRUCache } from 'lru-cache';
import { age, humanDuration, parseTime } from '../../schemas/printers-pod';
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

/** TableItem is one stored object for tableParts: its revision (0 when not stored) and how to decode it. */
export interface TableItem {
  revision: number;
  object: () => Readonly<KubeObject>;
}

// A rendered row by resource and revision: the row's JSON (cells and metadata-only object) as
// one buffer, preceded by a comma so rows are written back to back, and where its age cells
// sit. Ages are recomputed from creationTimestamp at every render and the buffer is rebuilt
// only when an age's text changed, so a repeated Table list mostly writes cached bytes and
// decodes nothing (a stored object never changes for a revision). A row whose other cells
// move with time ("3 (5m ago)") is not cached.
interface RenderedRow {
  /** ",{"cells":[...],"object":{...}}" */
  bytes: Buffer;
  /** the byte range of each age cell in bytes, in order */
  ages: Array<[number, number]>;
  /** the age cells' JSON texts in bytes */
  texts: string[];
  /** creationTimestamp in epoch ms, undefined when unset */
  created: number | undefined;
}
const rowCache = new LRUCache<string, RenderedRow | false>({
  max: 100_000,
  maxSize: 256 * 1024 * 1024,
  sizeCalculation: (r) => (r ? r.bytes.length : 1),
});

// Each column set gets a number for the row cache's keys: a custom resource's versions may print
// different columns from the same stored object, and a CRD's columns may change.
const columnSets = new WeakMap<readonly TableColumn[], number>();
let nextColumnSet = 0;
function columnSetId(cols: readonly TableColumn[]): number {
  let id = columnSets.get(cols);
  if (id === undefined) columnSets.set(cols, (id = nextColumnSet++));
  return id;
}
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

// renderRow renders a row (with its leading comma), noting where the cells at ageIndexes are.
function renderRow(cells: unknown[], ageIndexes: number[], meta: string, created?: number): RenderedRow {
  let text = ',{"cells":[';
  const ages: Array<[number, number]> = [];
  const texts: string[] = [];
  cells.forEach((c, i) => {
    if (i) text += ',';
    const cell = JSON.stringify(c);
    if (ageIndexes.includes(i)) {
      const start = Buffer.byteLength(text);
      ages.push([start, start + Buffer.byteLength(cell)]);
      texts.push(cell);
    }
    text += cell;
  });
  return { bytes: Buffer.from(`${text}],"object":${meta}}`), ages, texts, created };
}

// withAges returns the row's bytes with its age cells as texts, rebuilding them when a text
// changed (in a buffer of its own or a small pooled one, so a cached row keeps little else alive).
function withAges(row: RenderedRow, texts: string[]): Buffer {
  if (texts.every((t, i) => t === row.texts[i])) return row.bytes;
  let size = row.bytes.length;
  row.ages.forEach(([start, end], i) => (size += Buffer.byteLength(texts[i]) - (end - start)));
  const bytes = Buffer.allocUnsafe(size);
  let at = 0;
  let to = 0;
  row.ages.forEach(([start, end], i) => {
    to += row.bytes.copy(bytes, to, at, start);
    to += bytes.write(texts[i], to);
    at = end;
  });
  row.bytes.copy(bytes, to, at);
  // Later ranges move by what the earlier cells grew or shrank.
  let shift = 0;
  row.ages = row.ages.map(([start, end], i) => {
    const moved: [number, number] = [start + shift, start + shift + Buffer.byteLength(texts[i])];
    shift += moved[1] - moved[0] - (end - start);
    return moved;
  });
  row.texts = texts;
  row.bytes = bytes;
  return bytes;
}

// ageCells renders age cells as JSON, once per creation time within one render.
function ageCells(now: Date): (created: number | undefined) => string {
  const seen = new Map<number | undefined, string>();
  return (created) => {
    let cell = seen.get(created);
    if (cell === undefined) {
      cell = JSON.stringify(created === undefined ? '<unknown>' : humanDuration(now.getTime() - created));
      seen.set(created, cell);
    }
    return cell;
  };
}

/** TableParts is a Table as JSON pieces to send in order: head, the rows, tail. */
export interface TableParts {
  head: string;
  /** each row's JSON, the first without a leading comma, the others with one */
  rows: Buffer[];
  tail: string;
}

/** tableParts renders the same Table as toTable, as pieces that reuse rows rendered before. */
export function tableParts(def: ResourceDefinition, items: ReadonlyArray<TableItem>, options: TableOptions = {}): TableParts | undefined {
  const include = options.includeObject ?? 'Metadata';
  if (include !== 'Metadata') return undefined;
  const version = options.version ?? 'v1';
  const cols = tableColumns(def);
  const now = options.now ?? new Date();
  const ageColumns = cols.map((c, i) => (c.name === 'Age' ? i : -1)).filter((i) => i >= 0);
  const ageCell = ageCells(now);
  const rows = items.map(({ revision, object }) => {
    const key = `${def.group}/${def.plural}/${columnSetId(cols)}/${version}/${revision}`;
    let row = revision ? rowCache.get(key) : false;
    if (!row) {
      const obj = object();
      const cells = computeCells(cols, obj, now);
      const meta = JSON.stringify(partialObjectMetadata(obj, version));
      if (row === false || !revision) return renderRow(cells, [], meta).bytes;
      // Which cells move with time: compare with the same row rendered much later. Age cells
      // showing the object's age are recomputed at each render (even one too old to move in
      // the probe); a row with any other moving cell is not cached.
      const later = computeCells(cols, obj, new Date(now.getTime() + PROBE_LATER_MS));
      const created = obj.metadata?.creationTimestamp;
      const ages = ageColumns.filter((i) => cells[i] === age(created, now));
      const cacheable = cells.every((c, i) => ages.includes(i) || JSON.stringify(c) === JSON.stringify(later[i]));
      if (!cacheable) {
        rowCache.set(key, false);
        return renderRow(cells, [], meta).bytes;
      }
      row = renderRow(cells, ages, meta, parseTime(created));
      rowCache.set(key, row);
      return row.bytes;
    }
    const text = ageCell(row.created);
    return withAges(row, row.ages.map(() => text));
  });
  if (rows.length) rows[0] = rows[0].subarray(1);
  const json = JSON.stringify(toTable(def, [], options));
  return { head: json.slice(0, -2), rows, tail: ']}' };
}
