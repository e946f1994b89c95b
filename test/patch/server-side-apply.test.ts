/**
 * Server-side apply: merging an applied configuration into the live object, removing what an
 * applier stopped applying, and conflicts with other managers answered as kube-apiserver
 * answers them (409, reason Conflict, one FieldManagerConflict cause per field and manager).
 */
import { builtinPatchSchema, customPatchSchema } from '../../schemas/patch-metadata';
import type { KubeObject } from '../../schemas/types';
import { FieldSet } from '../../server/patch/field-set';
import { defaultResetFields, managedFieldsForUpdate, recordUpdate, setManagedFields, type ManagedFieldsEntry } from '../../server/patch/managed-fields';
import { ApplyConflictError, LAST_APPLIED_ANNOTATION, apply, type ApplyOptions } from '../../server/patch/server-side-apply';
import { StatusError } from '../../schemas/meta/status-error';

const schema = builtinPatchSchema('io.k8s.api.apps.v1.Deployment');
const endpoint: ApplyOptions = { apiVersion: 'apps/v1', kind: 'Deployment', resetFields: defaultResetFields(undefined, true) };
const T0 = new Date('2024-05-01T10:00:00Z');
const T1 = new Date('2024-05-01T10:05:00Z');
const T2 = new Date('2024-05-01T10:09:00Z');
const T3 = new Date('2024-05-01T10:12:00Z');

type Container = { name: string; image?: string; env?: Array<{ name: string; value?: string }>; args?: string[]; command?: string[] };

/** config is a Deployment apply configuration. */
function config(opts: { replicas?: number; labels?: Record<string, string>; containers?: Container[]; finalizers?: string[] } = {}): KubeObject {
  const metadata: Record<string, unknown> = { name: 'web', namespace: 'default' };
  if (opts.labels) metadata.labels = opts.labels;
  if (opts.finalizers) metadata.finalizers = opts.finalizers;
  const spec: Record<string, unknown> = {};
  if (opts.replicas !== undefined) spec.replicas = opts.replicas;
  spec.selector = { matchLabels: { app: 'web' } };
  spec.template = { metadata: { labels: { app: 'web' } }, spec: { containers: opts.containers ?? [{ name: 'web', image: 'nginx:1.27' }] } };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec };
}

/** applyAs runs one apply and returns the stored object (managedFields inside). */
function applyAs(live: KubeObject | undefined, applied: KubeObject, manager: string, at: Date, force = false): KubeObject {
  return apply(live, applied, manager, force, schema, undefined, at, endpoint).object;
}

/** updateAs runs one Update operation (a patch or an update) by manager. */
function updateAs(live: KubeObject, manager: string, at: Date, mutate: (o: KubeObject) => void, subresource?: string): KubeObject {
  const next = structuredClone(live);
  mutate(next);
  const options = { resetFields: defaultResetFields(subresource, true) };
  setManagedFields(next, recordUpdate(managedFieldsForUpdate(live, next, subresource), manager, live, next, schema, at, subresource, options));
  return next;
}

function entries(obj: KubeObject): ManagedFieldsEntry[] {
  return (obj.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
}

function entry(obj: KubeObject, manager: string, operation: 'Apply' | 'Update' = 'Apply'): ManagedFieldsEntry | undefined {
  return entries(obj).find((e) => e.manager === manager && e.operation === operation);
}

function owned(obj: KubeObject, manager: string, operation: 'Apply' | 'Update' = 'Apply'): string[] {
  const e = entry(obj, manager, operation);
  return e ? FieldSet.fromFieldsV1(e.fieldsV1).toString().split('\n') : [];
}

function spec(obj: KubeObject): { replicas?: number; template: { spec: { containers: Container[] } } } {
  return obj.spec as never;
}

/** conflictOf runs fn and returns the ApplyConflictError it throws. */
function conflictOf(fn: () => unknown): ApplyConflictError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApplyConflictError) return err;
    throw err;
  }
  throw new Error('expected an apply conflict');
}

describe('apply creates', () => {
  const result = apply(undefined, config({ replicas: 2, labels: { app: 'web' } }), 'kubectl', false, schema, undefined, T0, endpoint);

  it('stores the configuration as given', () => {
    const { managedFields, ...metadata } = result.object.metadata!;
    expect({ ...result.object, metadata }).toEqual(config({ replicas: 2, labels: { app: 'web' } }));
    expect(managedFields).toEqual(result.managedFields);
    expect(result.changed).toBe(true);
  });

  it('records one Apply entry owning exactly the configuration', () => {
    expect(JSON.stringify(result.managedFields)).toBe(JSON.stringify([{
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
          },
        },
      },
    }]));
  });

  it('does not change its inputs', () => {
    const applied = config({ replicas: 2 });
    const copy = structuredClone(applied);
    apply(undefined, applied, 'kubectl', false, schema, undefined, T0, endpoint);
    expect(applied).toEqual(copy);
  });
});

describe('re-applying', () => {
  const first = applyAs(undefined, config({ replicas: 2, labels: { app: 'web', tier: 'front' }, containers: [{ name: 'web', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] }), 'kubectl', T0);

  it('deletes the fields the applier no longer applies', () => {
    const second = applyAs(first, config({ replicas: 2, labels: { app: 'web' }, containers: [{ name: 'web', image: 'nginx:1.28', env: [{ name: 'A', value: '1' }] }] }), 'kubectl', T1);
    expect(second.metadata!.labels).toEqual({ app: 'web' });
    expect(spec(second).template.spec.containers).toEqual([{ name: 'web', image: 'nginx:1.28', env: [{ name: 'A', value: '1' }] }]);
    expect(owned(second, 'kubectl')).not.toContain('.metadata.labels.tier');
    expect(entry(second, 'kubectl')!.time).toBe('2024-05-01T10:05:00Z');
  });

  it('keeps a field another applier also owns', () => {
    const shared = applyAs(first, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { tier: 'front' } } }, 'team-b', T1);
    expect(owned(shared, 'team-b')).toEqual(['.metadata.labels.tier']);
    const second = applyAs(shared, config({ replicas: 2, labels: { app: 'web' } }), 'kubectl', T2);
    expect(second.metadata!.labels).toEqual({ app: 'web', tier: 'front' });
    expect(owned(second, 'team-b')).toEqual(['.metadata.labels.tier']);
    expect(owned(second, 'kubectl')).not.toContain('.metadata.labels.tier');
  });

  it('keeps what an Update manager added to an item the applier still applies', () => {
    const edited = updateAs(first, 'kubectl-edit', T1, (o) => {
      spec(o).template.spec.containers[0].env!.push({ name: 'C', value: '3' });
    });
    const second = applyAs(edited, config({ replicas: 2, labels: { app: 'web', tier: 'front' }, containers: [{ name: 'web', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }] }] }), 'kubectl', T2);
    expect(spec(second).template.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'C', value: '3' }]);
  });

  it('removes an item it stopped applying even when an Update manager edited a field inside it', () => {
    const edited = updateAs(first, 'kubectl-edit', T1, (o) => {
      spec(o).template.spec.containers[0].env![1].value = 'edited';
    });
    expect(owned(edited, 'kubectl-edit', 'Update')).toEqual(['.spec.template.spec.containers[name="web"].env[name="B"].value']);
    const second = applyAs(edited, config({ replicas: 2, labels: { app: 'web', tier: 'front' }, containers: [{ name: 'web', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }] }] }), 'kubectl', T2);
    // The applier owned the item env[B] itself and nobody else does: the item goes, edit included.
    expect(spec(second).template.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }]);
  });

  it('does not bump its time when nothing changes', () => {
    const again = apply(first, config({ replicas: 2, labels: { app: 'web', tier: 'front' }, containers: [{ name: 'web', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] }), 'kubectl', false, schema, undefined, T1, endpoint);
    expect(again.changed).toBe(false);
    expect(again.managedFields).toEqual(entries(first));
  });

  it('removes a field applied last time and left out now even if it was defaulted meanwhile', () => {
    const second = applyAs(first, config({ labels: { app: 'web', tier: 'front' }, containers: [{ name: 'web', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] }), 'kubectl', T1);
    expect(spec(second).replicas).toBeUndefined();
  });
});

describe('conflicts', () => {
  const applied = applyAs(undefined, config({ replicas: 2 }), 'kubectl', T0);
  const scaled = updateAs(applied, 'kubectl', T1, (o) => { spec(o).replicas = 5; }, 'scale');

  it('records kubectl scale as an Update through the scale subresource', () => {
    expect(JSON.stringify(entry(scaled, 'kubectl', 'Update'))).toBe(JSON.stringify({
      manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: '2024-05-01T10:05:00Z',
      fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale',
    }));
    expect(owned(scaled, 'kubectl')).not.toContain('.spec.replicas');
  });

  it('answers 409 with one cause per conflicting field and manager, worded as kube-apiserver words it', () => {
    const err = conflictOf(() => applyAs(scaled, config({ replicas: 3 }), 'kubectl', T2));
    expect(err).toBeInstanceOf(StatusError);
    expect(err.code).toBe(409);
    expect(err.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
      reason: 'Conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl" with subresource "scale" using apps/v1', field: '.spec.replicas' }] },
      code: 409,
    });
  });

  it('conflicts with a client-side apply (an Update manager) the same way', () => {
    const csa = updateAs(applyAs(undefined, config({ replicas: 2 }), 'ci', T0), 'kubectl-client-side-apply', T1, (o) => { spec(o).replicas = 4; });
    const err = conflictOf(() => applyAs(csa, config({ replicas: 3 }), 'ci', T2));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    expect(err.status.details!.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);
  });

  it('lists several conflicts grouped by manager', () => {
    const both = applyAs(scaled, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { owner: 'b' } } }, 'team-b', T2);
    const err = conflictOf(() => applyAs(both, { ...config({ replicas: 3 }), metadata: { name: 'web', labels: { owner: 'a' } } }, 'kubectl', T3));
    expect(err.message).toBe([
      'Apply failed with 2 conflicts: conflicts with "kubectl" with subresource "scale" using apps/v1:',
      '- .spec.replicas',
      'conflicts with "team-b":',
      '- .metadata.labels.owner',
    ].join('\n'));
    expect(err.status.details!.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl" with subresource "scale" using apps/v1', field: '.spec.replicas' },
      { reason: 'FieldManagerConflict', message: 'conflict with "team-b"', field: '.metadata.labels.owner' },
    ]);
  });

  it('does not conflict when the applied value is the live one, and shares the field', () => {
    const same = applyAs(scaled, config({ replicas: 5 }), 'kubectl', T2);
    expect(owned(same, 'kubectl')).toContain('.spec.replicas');
    expect(owned(same, 'kubectl', 'Update')).toEqual(['.spec.replicas']);
  });

  it('makes a second applier of the same value a co-owner, without touching the object or its time', () => {
    const first = applyAs(undefined, config({ replicas: 2 }), 'team-a', T0);
    const second = apply(first, config({ replicas: 2 }), 'team-b', false, schema, undefined, T1, endpoint);
    expect(second.changed).toBe(false);
    expect(owned(second.object, 'team-a')).toContain('.spec.replicas');
    expect(owned(second.object, 'team-b')).toEqual(owned(second.object, 'team-a'));
    expect(entry(second.object, 'team-a')!.time).toBe('2024-05-01T10:00:00Z');
    // structured-merge-diff stamps a manager's time only when its apply changed the object.
    expect(entry(second.object, 'team-b')!.time).toBeUndefined();
  });

  it('conflicts when a second applier applies a different value, and takes it over with force', () => {
    const first = applyAs(undefined, config({ replicas: 2 }), 'team-a', T0);
    const err = conflictOf(() => applyAs(first, config({ replicas: 3 }), 'team-b', T1));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "team-a": .spec.replicas');
    const forced = applyAs(first, config({ replicas: 3 }), 'team-b', T1, true);
    expect(owned(forced, 'team-b')).toContain('.spec.replicas');
    expect(owned(forced, 'team-a')).not.toContain('.spec.replicas');
    expect(owned(forced, 'team-a')).toContain('.spec.selector');
  });

  it('takes the field over with force', () => {
    const forced = applyAs(scaled, config({ replicas: 3 }), 'kubectl', T2, true);
    expect(spec(forced).replicas).toBe(3);
    expect(owned(forced, 'kubectl')).toContain('.spec.replicas');
    expect(entry(forced, 'kubectl', 'Update')).toBeUndefined();
  });

  it('conflicts after kubectl set image, and re-applying the new value shares it', () => {
    const live = applyAs(undefined, config({ containers: [{ name: 'web', image: 'nginx:1.27' }] }), 'kubectl', T0);
    const setImage = updateAs(live, 'kubectl-set', T1, (o) => { spec(o).template.spec.containers[0].image = 'nginx:1.28'; });
    expect(owned(setImage, 'kubectl')).not.toContain('.spec.template.spec.containers[name="web"].image');
    const err = conflictOf(() => applyAs(setImage, config({ containers: [{ name: 'web', image: 'nginx:1.27' }] }), 'kubectl', T2));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-set" using apps/v1: .spec.template.spec.containers[name="web"].image');
    const shared = applyAs(setImage, config({ containers: [{ name: 'web', image: 'nginx:1.28' }] }), 'kubectl', T2);
    expect(owned(shared, 'kubectl')).toContain('.spec.template.spec.containers[name="web"].image');
    expect(owned(shared, 'kubectl-set', 'Update')).toEqual(['.spec.template.spec.containers[name="web"].image']);
  });

  it('does not conflict on fields nobody else owns', () => {
    const next = applyAs(scaled, config({ containers: [{ name: 'web', image: 'nginx:1.28' }] }), 'kubectl', T2);
    expect(spec(next).template.spec.containers[0].image).toBe('nginx:1.28');
    expect(spec(next).replicas).toBe(5);
  });
});

describe('merging lists', () => {
  it('merges containers by name, keeping items others added where they were', () => {
    const live = applyAs(undefined, config({ containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }] }), 'kubectl', T0);
    const withSidecar = applyAs(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'mesh', image: 'proxy' }] } } } }, 'injector', T1);
    expect(spec(withSidecar).template.spec.containers.map((c) => c.name)).toEqual(['a', 'b', 'mesh']);
    const next = applyAs(withSidecar, config({ containers: [{ name: 'b', image: '2' }, { name: 'c', image: '1' }] }), 'kubectl', T2);
    // Items only live holds keep their place; new applied items come after the shared ones.
    expect(spec(next).template.spec.containers).toEqual([{ name: 'b', image: '2' }, { name: 'mesh', image: 'proxy' }, { name: 'c', image: '1' }]);
    expect(owned(next, 'injector')).toEqual([
      '.spec.template.spec.containers[name="mesh"]',
      '.spec.template.spec.containers[name="mesh"].image',
      '.spec.template.spec.containers[name="mesh"].name',
    ]);
  });

  it('merges finalizers as a set', () => {
    const live = applyAs(undefined, config({ finalizers: ['a', 'b'] }), 'kubectl', T0);
    const other = applyAs(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', finalizers: ['c'] } }, 'controller', T1);
    expect(other.metadata!.finalizers).toEqual(['a', 'b', 'c']);
    const next = applyAs(other, config({ finalizers: ['b', 'd'] }), 'kubectl', T2);
    expect(next.metadata!.finalizers).toEqual(['b', 'c', 'd']);
  });

  it.each([
    ['appends', ['a', 'b', 'c'], ['d', 'e', 'f'], ['a', 'b', 'c', 'd', 'e', 'f']],
    ['keeps shared values in applied order', ['c', 'a', 'g', 'f'], ['c', 'f', 'a', 'g'], ['c', 'f', 'a', 'g']],
    ['slots new values among live ones', ['a', 'b', 'c', 'g', 'f'], ['c', 'd', 'e', 'f'], ['a', 'b', 'c', 'g', 'd', 'e', 'f']],
    ['moves shared values after live-only ones', ['a', 'b', 'c', 'd'], ['d', 'e', 'f', 'a'], ['b', 'c', 'd', 'e', 'f', 'a']],
    ['keeps everything when nothing is applied', ['a', 'b'], [], ['a', 'b']],
  ])('orders a set merge as structured-merge-diff does: %s', (_name, liveSet, appliedSet, merged) => {
    const live = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', finalizers: liveSet } };
    const result = apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', finalizers: appliedSet } }, 'm', true, schema, undefined, T0, endpoint);
    expect(result.object.metadata!.finalizers).toEqual(merged);
  });

  it('replaces atomic lists whole', () => {
    const live = applyAs(undefined, config({ containers: [{ name: 'web', image: '1', args: ['a', 'b'], command: ['run'] }] }), 'kubectl', T0);
    const next = applyAs(live, config({ containers: [{ name: 'web', image: '1', args: ['c'] }] }), 'kubectl', T1);
    expect(spec(next).template.spec.containers).toEqual([{ name: 'web', image: '1', args: ['c'] }]);
  });

  it('replaces an atomic struct whole', () => {
    const live = applyAs(undefined, config(), 'kubectl', T0);
    const next = applyAs(live, { ...config(), spec: { ...(config().spec as object), selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } } }, 'kubectl', T1);
    expect((next.spec as { selector: unknown }).selector).toEqual({ matchExpressions: [{ key: 'app', operator: 'Exists' }] });
  });
});

describe('objects without managedFields', () => {
  it('gives what they held to before-first-apply, so the first apply conflicts with it', () => {
    const legacy: KubeObject = { ...config({ replicas: 4 }), metadata: { name: 'web', namespace: 'default', uid: 'u' } };
    const err = conflictOf(() => applyAs(legacy, config({ replicas: 1 }), 'ci', T1));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
    const same = applyAs(legacy, config({ replicas: 4 }), 'ci', T1);
    expect(entries(same).map((e) => `${e.operation} ${e.manager}`)).toEqual(['Apply ci', 'Update before-first-apply']);
  });
});

describe('kubectl upgrading from client-side apply', () => {
  const lastApplied = config({ replicas: 2 });
  function clientSideApplied(): KubeObject {
    const obj = structuredClone(lastApplied);
    obj.metadata!.annotations = { [LAST_APPLIED_ANNOTATION]: `${JSON.stringify(lastApplied)}\n` };
    const next = structuredClone(obj);
    setManagedFields(next, recordUpdate([], 'kubectl-client-side-apply', undefined, obj, schema, T0, undefined, endpoint));
    return next;
  }

  it('takes over fields that still hold their last-applied value', () => {
    const upgraded = applyAs(clientSideApplied(), config({ replicas: 3 }), 'kubectl', T1);
    expect(spec(upgraded).replicas).toBe(3);
    expect(owned(upgraded, 'kubectl-client-side-apply', 'Update')).not.toContain('.spec.replicas');
  });

  it('keeps the annotation in step with the applied configuration', () => {
    const upgraded = applyAs(clientSideApplied(), config({ replicas: 3 }), 'kubectl', T1);
    const annotation = upgraded.metadata!.annotations![LAST_APPLIED_ANNOTATION];
    expect(annotation.endsWith('\n')).toBe(true);
    expect(JSON.parse(annotation)).toEqual(config({ replicas: 3 }));
    expect(annotation.startsWith('{"apiVersion":"apps/v1","kind":"Deployment","metadata":')).toBe(true);
  });

  it('still conflicts on fields changed since by someone else', () => {
    const scaled = updateAs(clientSideApplied(), 'kubectl', T1, (o) => { spec(o).replicas = 7; }, 'scale');
    const err = conflictOf(() => applyAs(scaled, config({ replicas: 3 }), 'kubectl', T2));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas');
  });

  it('is kubectl\'s alone: another manager conflicts', () => {
    const err = conflictOf(() => applyAs(clientSideApplied(), config({ replicas: 3 }), 'ci', T1));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  });
});

describe('bad apply requests', () => {
  it.each([
    ['an object of another kind', { ...config(), kind: 'StatefulSet' }, 'invalid object type: apps/v1, Kind=StatefulSet'],
    ['an object carrying managedFields', { ...config(), metadata: { name: 'web', managedFields: [] } }, 'metadata.managedFields must be nil'],
    ['a container without a name', config({ containers: [{ name: undefined as unknown as string, image: 'x' }] }),
      'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: element 0: associative list with keys has an element that omits all key fields ["name"] (and doesn\'t have default values for any key fields)'],
    ['two containers with one name', config({ containers: [{ name: 'a' }, { name: 'a' }] }),
      'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="a"]'],
  ])('answers 400 to %s', (_name, applied, message) => {
    let caught: unknown;
    try {
      apply(undefined, JSON.parse(JSON.stringify(applied)), 'kubectl', false, schema, undefined, T0, endpoint);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StatusError);
    expect((caught as StatusError).code).toBe(400);
    expect((caught as StatusError).message).toBe(message);
  });
});

describe('nulls, status and custom resources', () => {
  it('owns a field applied as null and stores it absent', () => {
    const live = applyAs(undefined, config({ replicas: 2 }), 'kubectl', T0);
    const next = applyAs(live, { ...config(), spec: { ...(config().spec as object), replicas: null } }, 'kubectl', T1);
    expect(spec(next).replicas).toBeUndefined();
    expect(owned(next, 'kubectl')).toContain('.spec.replicas');
  });

  it('does not record status applied to the main resource', () => {
    const result = apply(undefined, { ...config(), status: { replicas: 9 } }, 'kubectl', false, schema, undefined, T0, endpoint);
    expect(owned(result.object, 'kubectl').some((p) => p.startsWith('.status'))).toBe(false);
  });

  it('applies custom resources with their structural schema', () => {
    const crSchema = customPatchSchema({
      schema: {
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            properties: {
              hosts: { type: 'array', items: { type: 'string' } },
              routes: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['path'], items: { type: 'object' } },
            },
          },
        },
      },
    });
    const cr = { apiVersion: 'example.com/v1', kind: 'Site', metadata: { name: 's' }, spec: { hosts: ['a'], routes: [{ path: '/', to: 'x' }] } };
    const live = apply(undefined, cr, 'kubectl', false, crSchema, undefined, T0, { apiVersion: 'example.com/v1', kind: 'Site' }).object;
    const other = apply(live, { ...cr, spec: { routes: [{ path: '/api', to: 'y' }] } }, 'team', false, crSchema, undefined, T1, { apiVersion: 'example.com/v1', kind: 'Site' }).object;
    expect(other.spec).toEqual({ hosts: ['a'], routes: [{ path: '/', to: 'x' }, { path: '/api', to: 'y' }] });
    const replaced = apply(other, { ...cr, spec: { hosts: ['b'], routes: [{ path: '/', to: 'x' }] } }, 'kubectl', false, crSchema, undefined, T2, { apiVersion: 'example.com/v1', kind: 'Site' }).object;
    expect(replaced.spec).toEqual({ hosts: ['b'], routes: [{ path: '/', to: 'x' }, { path: '/api', to: 'y' }] });
  });
});
