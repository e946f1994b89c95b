/**
 * core/v1 Events are validated as kube's legacyValidateEvent: the involved object's namespace
 * must be the event's, and an event with an eventTime names its reporting controller, instance,
 * action and reason within kube's limits. What the controllers' EventRecorder writes passes.
 */
import { EVENTS } from '../../controllers/runtime/client';
import { EventRecorder } from '../../controllers/runtime/events';
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ controllers: false });
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ev' } }).expect(201);
});
afterAll(() => t.close());

const cause = (field: string, reason: string, message: string) => ({ field, reason, message });
let n = 0;
const event = (ns: string, extra: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: `e${++n}`, namespace: ns }, reason: 'Test', message: 'm', ...extra });

describe('core/v1 Event validation', () => {
  it('refuses an event about an object of another namespace, and accepts one about a cluster-scoped object in default', async () => {
    const res = await t.api.post('/api/v1/namespaces/ev/events').send(event('ev', { involvedObject: { kind: 'Pod', namespace: 'other', name: 'p' } })).expect(422);
    expect(res.body.details.causes).toEqual([cause('involvedObject.namespace', 'FieldValueInvalid', 'Invalid value: "other": does not match event.namespace')]);
    await t.api.post('/api/v1/namespaces/ev/events').send(event('ev', { involvedObject: { kind: 'Node', name: 'n' } })).expect(422);
    await t.api.post('/api/v1/namespaces/default/events').send(event('default', { involvedObject: { kind: 'Node', name: 'n' } })).expect(201);
    await t.api.post('/api/v1/namespaces/ev/events').send(event('ev', { involvedObject: { kind: 'Pod', namespace: 'ev', name: 'p' } })).expect(201);
  });

  it('requires the reporting fields of an event that has an eventTime, within their limits', async () => {
    const res = await t.api
      .post('/api/v1/namespaces/ev/events')
      .send(event('ev', { involvedObject: { kind: 'Pod', namespace: 'ev', name: 'p' }, eventTime: '2026-01-01T00:00:00.000000Z', reason: 'r'.repeat(129), message: 'x'.repeat(1025) }))
      .expect(422);
    expect(res.body.details.causes).toEqual([
      cause('reportingController', 'FieldValueRequired', 'Required value'),
      // IsQualifiedName gives two reasons for an empty name, as kube-apiserver reports them.
      cause('reportingController', 'FieldValueInvalid', 'Invalid value: "": name part must be non-empty'),
      expect.objectContaining({ field: 'reportingController', reason: 'FieldValueInvalid', message: expect.stringContaining('name part must consist of') }),
      cause('reportingInstance', 'FieldValueRequired', 'Required value'),
      cause('action', 'FieldValueRequired', 'Required value'),
      cause('reason', 'FieldValueInvalid', 'Invalid value: "": can have at most 128 characters'),
      cause('message', 'FieldValueInvalid', 'Invalid value: "": can have at most 1024 characters'),
    ]);
  });

  it('accepts what the EventRecorder writes, with an eventTime and every reporting field', async () => {
    const client = t.nodeless.client.withFieldManager('event-validation-test');
    const recorder = new EventRecorder(client, { component: 'deployment-controller', instance: 'host-1' });
    await recorder.event({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ev', uid: 'u-1' } }, 'Normal', 'Tested', 'recorded');
    const items = (await client.list(EVENTS, 'ev', { fieldSelector: 'reason=Tested' })).items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ reportingComponent: 'deployment-controller', reportingInstance: 'host-1', action: 'Tested' });
  });
});

describe('events.k8s.io/v1 Event validation', () => {
  const v1 = (extra: Record<string, unknown>) => ({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `v${++n}`, namespace: 'ev' },
    eventTime: '2026-12-03T10:00:00.123456Z',
    reportingController: 'example.com/controller',
    reportingInstance: 'host-1',
    action: 'Testing',
    reason: 'Tested',
    type: 'Normal',
    regarding: { kind: 'Pod', namespace: 'ev', name: 'p' },
    note: 'first',
    ...extra,
  });
  const post = (body: object) => t.api.post('/apis/events.k8s.io/v1/namespaces/ev/events').send(body);

  it('accepts a well-formed event and refuses one without eventTime, with a bad type, deprecated fields or a bad series', async () => {
    await post(v1({})).expect(201);
    const res = await post(
      v1({
        eventTime: undefined,
        type: 'Info',
        deprecatedFirstTimestamp: '2026-12-03T09:00:00Z',
        deprecatedCount: 3,
        deprecatedSource: { component: 'kubelet' },
        series: { count: 1 },
      }),
    ).expect(422);
    expect(res.body.details.causes).toEqual([
      // Without an eventTime the legacy rules read it as an old event, whose namespace matches.
      cause('series.count', 'FieldValueInvalid', 'Invalid value: "": should be at least 2'),
      cause('series.lastObservedTime', 'FieldValueRequired', 'Required value'),
      cause('eventTime', 'FieldValueRequired', 'Required value'),
      cause('type', 'FieldValueInvalid', 'Invalid value: "": has invalid value: Info'),
      cause('firstTimestamp', 'FieldValueInvalid', 'Invalid value: "": needs to be unset'),
      cause('count', 'FieldValueInvalid', 'Invalid value: "": needs to be unset'),
      cause('source', 'FieldValueInvalid', 'Invalid value: "": needs to be unset'),
    ]);
    // core/v1 keeps its loose rules for the same fields.
    await t.api.post('/api/v1/namespaces/ev/events').send(event('ev', { involvedObject: { kind: 'Pod', namespace: 'ev', name: 'p' }, count: 3, type: 'Info' })).expect(201);
  });

  it('refuses changing what identifies an event, printing the values as kube does, and accepts a new note and series', async () => {
    const created = (await post(v1({})).expect(201)).body;
    const put = (change: Record<string, unknown>) => t.api.put(`/apis/events.k8s.io/v1/namespaces/ev/events/${created.metadata.name}`).send({ ...created, ...change });
    const res = await put({ note: 'second', regarding: { kind: 'Pod', namespace: 'ev', name: 'q' }, eventTime: '2026-12-03T11:00:00.5Z', reason: 'Other' }).expect(422);
    expect(res.body.details.causes).toEqual([
      cause('involvedObject', 'FieldValueInvalid', 'Invalid value: core.ObjectReference{Kind:"Pod", Namespace:"ev", Name:"q", UID:"", APIVersion:"", ResourceVersion:"", FieldPath:""}: field is immutable'),
      cause('reason', 'FieldValueInvalid', 'Invalid value: "Other": field is immutable'),
      cause('eventTime', 'FieldValueInvalid', 'Invalid value: 2026-12-03 11:00:00.5 +0000 UTC: field is immutable'),
    ]);
    await put({ series: { count: 1, lastObservedTime: '2026-12-03T10:05:00.000000Z' } }).expect(422);
    const updated = (await put({ series: { count: 2, lastObservedTime: '2026-12-03T10:05:00.000000Z' } }).expect(200)).body;
    expect(updated.series.count).toBe(2);
  });
});

