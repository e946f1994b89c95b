import { builtinResources } from '../../schemas/builtin';
import type { KubeObject, ResourceDefinition } from '../../schemas/types';
import { tableParts, toTable } from '../../server/http/table';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const START = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(START.getTime() + ms);

/** rendered joins tableParts' pieces and parses them back. */
function rendered(def: ResourceDefinition, objects: KubeObject[], revisionBase: number, now: Date): unknown {
  const items = objects.map((o, i) => ({ revision: revisionBase + i, object: () => o }));
  const parts = tableParts(def, items, { now, resourceVersion: '9' })!;
  return JSON.parse(Buffer.concat([Buffer.from(parts.head), ...parts.rows, Buffer.from(parts.tail)]).toString());
}

const configMap = (name: string, created: Date): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', resourceVersion: '5', creationTimestamp: created.toISOString().replace(/\.000Z$/, 'Z') },
  data: { a: '1', b: '2' },
});

describe('Table rows rendered from cache', () => {
  const configmaps = builtinResources().find((d) => d.group === '' && d.plural === 'configmaps')!;

  it('equal a freshly computed Table as the ages grow from seconds to minutes and hours', () => {
    const objects = [configMap('young', START), configMap('older', at(-90 * S)), configMap('oldest', at(-26 * H))];
    for (const later of [0, 0, 1 * S, 1 * S, 45 * S, 3 * M + 5 * S, 3 * M + 5 * S, 11 * M, 5 * H]) {
      expect(rendered(configmaps, objects, 100, at(later))).toEqual(toTable(configmaps, objects, { now: at(later), resourceVersion: '9' }));
    }
  });

  it('print ages that move on with the clock, not the ages of the first render', () => {
    const objects = [configMap('young', START), configMap('older', at(-90 * S)), configMap('oldest', at(-26 * H))];
    const ages = (later: number) => (rendered(configmaps, objects, 300, at(later)) as { rows: Array<{ cells: unknown[] }> }).rows.map((r) => r.cells[2]);
    // The same stored revisions rendered at growing times: a cache that kept its first text fails here.
    expect(ages(0)).toEqual(['0s', '90s', '26h']);
    expect(ages(45 * S)).toEqual(['45s', '2m15s', '26h']);
    expect(ages(3 * M + 5 * S)).toEqual(['3m5s', '4m35s', '26h']);
    expect(ages(5 * H)).toEqual(['5h', '5h1m', '31h']);
    expect(ages(3 * 24 * H)).toEqual(['3d', '3d', '4d2h']);
  });

  it('moves every age cell of a row when an earlier one changes length', () => {
    // A definition with two age columns around a fixed one: the second's place moves with the first's text.
    const twoAges: ResourceDefinition = {
      ...configmaps,
      plural: 'twoages',
      columns: [
        configmaps.columns[0],
        { ...configmaps.columns[2], name: 'Age' },
        { name: 'Fixed', type: 'string', description: '', priority: 0, cell: () => 'x' },
        { ...configmaps.columns[2], name: 'Age' },
      ],
    };
    const objects = [configMap('a', START), configMap('b', at(-5 * S))];
    for (const later of [0, 9 * S, 10 * S, 125 * S, 3 * H, 2 * S]) {
      expect(rendered(twoAges, objects, 200, at(later))).toEqual(toTable(twoAges, objects, { now: at(later), resourceVersion: '9' }));
    }
  });

  it('keeps rows of the same stored object apart when two versions print different columns', () => {
    const v1: ResourceDefinition = { ...configmaps, plural: 'widgets', version: 'v1', columns: [configmaps.columns[0], { name: 'Size', type: 'string', description: '', priority: 0, cell: () => 'small' }] };
    const v2: ResourceDefinition = { ...configmaps, plural: 'widgets', version: 'v2', columns: [configmaps.columns[0], { name: 'Weight', type: 'string', description: '', priority: 0, cell: () => 'heavy' }] };
    const objects = [configMap('w', START)];
    const cells = (def: ResourceDefinition) => (rendered(def, objects, 400, START) as { rows: Array<{ cells: unknown[] }> }).rows[0].cells;
    expect(cells(v1)).toEqual(['w', 'small']);
    expect(cells(v2)).toEqual(['w', 'heavy']);
    expect(cells(v1)).toEqual(['w', 'small']);
  });

  it('recomputes the age of an object too old for its age to move within weeks', () => {
    const ancient = [configMap('old', at(-9 * 365 * 24 * H))];
    for (const later of [0, 400 * 24 * H]) {
      expect(rendered(configmaps, ancient, 500, at(later))).toEqual(toTable(configmaps, ancient, { now: at(later), resourceVersion: '9' }));
    }
  });

  it('computes a row whose other cells move with time afresh every time', () => {
    const pods = builtinResources().find((d) => d.group === '' && d.plural === 'pods')!;
    const restarted: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', creationTimestamp: '2025-12-31T23:00:00Z' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
      status: {
        phase: 'Running',
        containerStatuses: [{ name: 'c', ready: true, restartCount: 2, image: 'i', imageID: '', lastState: { terminated: { exitCode: 1, finishedAt: '2025-12-31T23:30:00Z' } }, state: { running: {} } }],
      },
    };
    for (const later of [0, 5 * M, 2 * H]) {
      const table = rendered(pods, [restarted], 300, at(later)) as { rows: Array<{ cells: unknown[] }> };
      expect(table).toEqual(toTable(pods, [restarted], { now: at(later), resourceVersion: '9' }));
      expect(table.rows[0].cells[3]).toMatch(/^2 \(\d+[mh]\d*[m]? ago\)$/);
    }
  });
});
