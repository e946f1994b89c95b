/**
 * managedFields for Update operations (create, update, non-apply patches): what each write
 * takes ownership of, how entries merge, sort and cap, the manager name rules, and the
 * request validation kube-apiserver applies to fieldManager and managedFields.
 */
import { builtinPatchSchema } from '../../schemas/patch-metadata';
import type { KubeObject } from '../../schemas/types';
import { FieldSet } from '../../server/patch/field-set';
import {
  decodeManagedFields,
  defaultResetFields,
  encodeManagedFields,
  fieldManagerName,
  managedFieldsForUpdate,
  managerIdentifier,
  recordUpdate,
  setManagedFields,
  validateFieldManager,
  validateManagedFields,
  validatePatchOptions,
  type ManagedFieldsEntry,
} from '../../server/patch/managed-fields';

const schema = builtinPatchSchema('io.k8s.api.apps.v1.Deployment');
const mainResource = { resetFields: defaultResetFields(undefined, true) };
const T0 = new Date('2024-05-01T10:00:00.250Z');
const T1 = new Date('2024-05-01T10:05:00Z');
const T2 = new Date('2024-05-01T10:09:00Z');

/** created is a Deployment as stored after `kubectl create deployment web --image=nginx`, defaults applied. */
function created(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u-1', generation: 1, creationTimestamp: '2024-05-01T10:00:00Z', labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{
            name: 'nginx',
            image: 'nginx',
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            resources: {},
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
            imagePullPolicy: 'Always',
          }],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          securityContext: {},
          schedulerName: 'default-scheduler',
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: { replicas: 1 },
  };
}

/** CREATE_FIELDS is what kube-apiserver records for the creator of created(). */
const CREATE_FIELDS = {
  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
  'f:spec': {
    'f:progressDeadlineSeconds': {},
    'f:replicas': {},
    'f:revisionHistoryLimit': {},
    'f:selector': {},
    'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} },
    'f:template': {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"nginx"}': {
            '.': {},
            'f:image': {},
            'f:imagePullPolicy': {},
            'f:name': {},
            'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } },
            'f:resources': {},
            'f:terminationMessagePath': {},
            'f:terminationMessagePolicy': {},
          },
        },
        'f:dnsPolicy': {},
        'f:restartPolicy': {},
        'f:schedulerName': {},
        'f:securityContext': {},
        'f:terminationGracePeriodSeconds': {},
      },
    },
  },
};

function createEntries(): ManagedFieldsEntry[] {
  return recordUpdate([], 'kubectl-create', undefined, created(), schema, T0, undefined, mainResource);
}

/** stored is obj with its managedFields set. */
function stored(obj: KubeObject, entries: ManagedFieldsEntry[]): KubeObject {
  const copy = structuredClone(obj);
  setManagedFields(copy, entries);
  return copy;
}

/** owners lists "manager operation subresource: paths" per entry, for compact expectations. */
function owners(entries: ManagedFieldsEntry[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of entries) {
    const name = [e.manager, e.operation, e.subresource].filter(Boolean).join(' ');
    out[name] = FieldSet.fromFieldsV1(e.fieldsV1).toString().split('\n');
  }
  return out;
}

describe('recordUpdate on create', () => {
  it('gives the creator every field it set, defaults included, as kube-apiserver writes them', () => {
    const entries = createEntries();
    expect(entries).toHaveLength(1);
    expect(JSON.stringify(entries[0])).toBe(JSON.stringify({
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: CREATE_FIELDS,
    }));
  });

  it('never records type meta, system metadata or status on the main resource', () => {
    const fields = createEntries()[0].fieldsV1 as Record<string, Record<string, unknown>>;
    expect(Object.keys(fields)).toEqual(['f:metadata', 'f:spec']);
    expect(Object.keys(fields['f:metadata'])).toEqual(['f:labels']);
  });

  it('records "unknown" when no manager name is known', () => {
    const entries = recordUpdate([], '', undefined, created(), schema, T0, undefined, mainResource);
    expect(entries[0].manager).toBe('unknown');
  });
});

describe('recordUpdate on update', () => {
  it('takes changed fields from their owner and leaves the rest (kubectl scale through /scale)', () => {
    const before = stored(created(), createEntries());
    const after = structuredClone(before);
    (after.spec as { replicas: number }).replicas = 5;
    const entries = recordUpdate(managedFieldsForUpdate(before, after, 'scale'), 'kubectl', before, after, schema, T1, 'scale');
    expect(entries.map((e) => [e.manager, e.operation, e.apiVersion, e.time, e.subresource])).toEqual([
      ['kubectl-create', 'Update', 'apps/v1', '2024-05-01T10:00:00Z', undefined],
      ['kubectl', 'Update', 'apps/v1', '2024-05-01T10:05:00Z', 'scale'],
    ]);
    expect(JSON.stringify(entries[1])).toBe(JSON.stringify({
      manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: '2024-05-01T10:05:00Z',
      fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale',
    }));
    expect(owners(entries)['kubectl-create Update']).not.toContain('.spec.replicas');
    expect(owners(entries)['kubectl-create Update']).toContain('.spec.revisionHistoryLimit');
  });

  it('leaves every entry, times included, as they were when nothing changed', () => {
    const entries = createEntries();
    const before = stored(created(), entries);
    const again = recordUpdate(managedFieldsForUpdate(before, before), 'kubectl-edit', before, structuredClone(before), schema, T1, undefined, mainResource);
    expect(again).toEqual(entries);
  });

  it('merges a manager\'s writes into one entry and bumps its time', () => {
    let obj = stored(created(), createEntries());
    const edit = (mutate: (o: KubeObject) => void, at: Date): void => {
      const next = structuredClone(obj);
      mutate(next);
      setManagedFields(next, recordUpdate(managedFieldsForUpdate(obj, next), 'kubectl-label', obj, next, schema, at, undefined, mainResource));
      obj = next;
    };
    edit((o) => { o.metadata!.labels!.tier = 'front'; }, T1);
    edit((o) => { o.metadata!.labels!.team = 'a'; }, T2);
    const entries = obj.metadata!.managedFields as ManagedFieldsEntry[];
    expect(entries.map((e) => e.manager)).toEqual(['kubectl-create', 'kubectl-label']);
    expect(entries[1].time).toBe('2024-05-01T10:09:00Z');
    expect(owners(entries)['kubectl-label Update']).toEqual(['.metadata.labels.team', '.metadata.labels.tier']);
  });

  it('removes a deleted field from every manager and drops entries left empty', () => {
    const before = stored(created(), createEntries());
    const labelled = structuredClone(before);
    labelled.metadata!.annotations = { note: 'x' };
    setManagedFields(labelled, recordUpdate(managedFieldsForUpdate(before, labelled), 'kubectl-annotate', before, labelled, schema, T1, undefined, mainResource));
    const cleared = structuredClone(labelled);
    delete cleared.metadata!.annotations;
    const entries = recordUpdate(managedFieldsForUpdate(labelled, cleared), 'kubectl-edit', labelled, cleared, schema, T2, undefined, mainResource);
    expect(entries.map((e) => e.manager)).toEqual(['kubectl-create']);
  });

  it('separates entries by apiVersion and subresource', () => {
    const ids = [
      managerIdentifier({ manager: 'm', operation: 'Update', apiVersion: 'apps/v1' }),
      managerIdentifier({ manager: 'm', operation: 'Update', apiVersion: 'apps/v1', subresource: 'status' }),
      managerIdentifier({ manager: 'm', operation: 'Apply', apiVersion: 'apps/v1' }),
    ];
    expect(ids).toEqual([
      '{"manager":"m","operation":"Update","apiVersion":"apps/v1"}',
      '{"manager":"m","operation":"Update","apiVersion":"apps/v1","subresource":"status"}',
      '{"manager":"m","operation":"Apply"}',
    ]);
  });

  it('records a status write under the status subresource, owning only status', () => {
    const before = stored(created(), createEntries());
    const after = structuredClone(before);
    after.status = { replicas: 1, readyReplicas: 1, conditions: [{ type: 'Available', status: 'True' }] };
    after.spec = { ...(after.spec as object), replicas: 9 };
    const entries = recordUpdate(managedFieldsForUpdate(before, after, 'status'), 'nodeless-controller', before, after, schema, T1, 'status', { resetFields: defaultResetFields('status', true) });
    expect(owners(entries)['nodeless-controller Update status']).toEqual([
      '.status.conditions',
      '.status.readyReplicas',
      '.status.conditions[type="Available"]',
      '.status.conditions[type="Available"].status',
      '.status.conditions[type="Available"].type',
    ]);
  });

  it('does not start tracking an object that has no managedFields', () => {
    const before = created();
    const after = structuredClone(before);
    after.metadata!.labels!.x = 'y';
    expect(recordUpdate([], 'kubectl-label', before, after, schema, T1)).toEqual([]);
  });

  it('keeps the entries it had when the new object does not fit its schema', () => {
    const entries = createEntries();
    const before = stored(created(), entries);
    const broken = structuredClone(before);
    (broken.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers = [{ image: 'no-name' }];
    expect(recordUpdate(entries, 'kubectl-edit', before, broken, schema, T1)).toBe(entries);
  });

  it('folds the oldest of more than ten Update entries into ancient-changes', () => {
    let obj = stored(created(), createEntries());
    for (let i = 0; i < 11; i++) {
      const next = structuredClone(obj);
      next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), [`n${i}`]: 'v' };
      setManagedFields(next, recordUpdate(managedFieldsForUpdate(obj, next), `m${i}`, obj, next, schema, new Date(T1.getTime() + i * 1000), undefined, mainResource));
      obj = next;
    }
    const entries = obj.metadata!.managedFields as ManagedFieldsEntry[];
    expect(entries).toHaveLength(10);
    expect(entries[0].manager).toBe('ancient-changes');
    expect(owners(entries)['ancient-changes Update']).toContain('.metadata.annotations.n0');
    expect(owners(entries)['ancient-changes Update']).toContain('.spec.replicas');
  });
});

describe('managedFieldsForUpdate', () => {
  const live = stored(created(), createEntries());
  const liveFields = live.metadata!.managedFields;
  const other: ManagedFieldsEntry[] = [{ manager: 'x', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
  const withFields = (fields: unknown): KubeObject => ({ ...created(), metadata: { ...created().metadata, managedFields: fields as Array<Record<string, unknown>> } });
  it.each([
    ['keeps the live entries when the request has none', created(), undefined, liveFields],
    ['lets a request rewrite them', withFields(other), undefined, other],
    ['resets them on []', withFields([]), undefined, []],
    ['resets them on [{}]', withFields([{}]), undefined, []],
    ['ignores a request with undecodable entries', withFields([{ manager: 'x', operation: 'Nope' }]), undefined, liveFields],
    ['always uses the live entries on a subresource', withFields(other), 'status', liveFields],
  ])('%s', (_name, next, subresource, expected) => {
    expect(managedFieldsForUpdate(live, next as KubeObject, subresource as string | undefined)).toEqual(expected);
  });
});

describe('decode and encode', () => {
  it('sorts Apply before Update, then by time, manager, apiVersion and subresource', () => {
    const entry = (manager: string, operation: 'Apply' | 'Update', time?: string, subresource?: string): ManagedFieldsEntry => ({
      manager, operation, apiVersion: 'apps/v1', ...(time ? { time } : {}), fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:x': {} } }, ...(subresource ? { subresource } : {}),
    });
    const entries = [
      entry('b', 'Update', '2024-01-01T00:00:02Z'),
      entry('a', 'Update', '2024-01-01T00:00:02Z', 'status'),
      entry('a', 'Update', '2024-01-01T00:00:02Z'),
      entry('z', 'Update', '2024-01-01T00:00:01Z'),
      entry('c', 'Apply', '2024-01-01T00:00:09Z'),
      entry('d', 'Apply'),
    ];
    expect(encodeManagedFields(decodeManagedFields(entries)).map((e) => `${e.operation} ${e.manager} ${e.subresource ?? ''}`.trim())).toEqual([
      'Apply d', 'Apply c', 'Update z', 'Update a', 'Update a status', 'Update b',
    ]);
  });

  it.each([
    ['an unknown operation', [{ manager: 'a', operation: 'Patch', apiVersion: 'v1', fieldsType: 'FieldsV1' }], 'operation must be `Apply` or `Update`'],
    ['an empty apiVersion', [{ manager: 'a', operation: 'Update', fieldsType: 'FieldsV1' }], 'apiVersion must not be empty'],
    ['a missing fieldsType', [{ manager: 'a', operation: 'Update', apiVersion: 'v1' }], 'missing fieldsType in managed fields entry 0'],
    ['another fieldsType', [{ manager: 'a', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV2' }], 'invalid fieldsType "FieldsV2" in managed fields entry 0'],
  ])('refuses %s', (_name, entries, message) => {
    expect(() => decodeManagedFields(entries)).toThrow(message);
  });
});

describe('manager names', () => {
  it.each([
    ['the fieldManager parameter', 'kubectl-client-side-apply', 'kubectl/v1.32.0 (linux/amd64) kubernetes/abc', 'kubectl-client-side-apply'],
    ['the User-Agent before its first /', undefined, 'kubectl/v1.32.0 (linux/amd64) kubernetes/abc', 'kubectl'],
    ['a User-Agent without /', '', 'curl', 'curl'],
    ['a User-Agent without its unprintable characters', undefined, 'my\u0007tool/1.0', 'mytool'],
    ['nothing', undefined, undefined, ''],
  ])('uses %s', (_name, fieldManager, userAgent, expected) => {
    expect(fieldManagerName(fieldManager, userAgent)).toBe(expected);
  });

  it('cuts a long User-Agent at 128 bytes', () => {
    expect(fieldManagerName(undefined, 'x'.repeat(300))).toHaveLength(128);
  });

  it('validates fieldManager as kube does', () => {
    expect(validateFieldManager('kubectl')).toEqual([]);
    expect(validateFieldManager('x'.repeat(129))).toEqual([{ type: 'FieldValueTooLong', field: 'fieldManager', message: 'Too long: may not be more than 128 bytes' }]);
    expect(validateFieldManager('a\tb')).toEqual([{ type: 'FieldValueInvalid', field: 'fieldManager', message: 'Invalid value: "a\\tb": invalid character U+0009 (at position 1)' }]);
  });

  it('requires a fieldManager for apply and forbids force elsewhere', () => {
    expect(validatePatchOptions({ apply: true })).toEqual([{ type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
    expect(validatePatchOptions({ apply: true, fieldManager: 'kubectl', force: 'true' })).toEqual([]);
    expect(validatePatchOptions({ apply: false, force: 'true' })).toEqual([{ type: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' }]);
  });

  it('validates managedFields written by a client', () => {
    expect(validateManagedFields([{ manager: 'a', operation: 'Patch', fieldsType: 'FieldsV2' }])).toEqual([
      { type: 'FieldValueInvalid', field: 'metadata.managedFields[0].operation', message: 'Invalid value: "Patch": must be `Apply` or `Update`' },
      { type: 'FieldValueInvalid', field: 'metadata.managedFields[0].fieldsType', message: 'Invalid value: "FieldsV2": must be `FieldsV1`' },
    ]);
    expect(validateManagedFields(createEntries())).toEqual([]);
  });
});
