/**
 * Events at core/v1 and events.k8s.io/v1: one storage (the core form), two shapes. Each version's
 * field selectors read either form.
 */
import { EVENTS_V1 } from '../conversions';
import { coreEventColumns, eventsV1Columns } from '../printers';
import type { KubeObject } from '../types';
import { validateCoreEvent, validateEventsV1 } from '../validation/events';
import { fieldGetter, fields, kindOf } from './kind';
import { objectStrategy } from './strategy';

/** coreEvent is core/v1 events. */
export const coreEvent = kindOf('', 'v1', {
  kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'],
  columns: coreEventColumns,
  strategy: objectStrategy({ status: false, validate: validateCoreEvent }),
  // Events own nothing: a DELETE never waits for the garbage collector.
  garbageCollectionPolicy: 'Unsupported',
  selectableFields: {
    ...fields('involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'type'),
    // An event recorded through events.k8s.io has no source; its reporting controller stands in.
    source: (ev) => fieldGetter('source.component')(ev) || fieldGetter('reportingComponent')(ev),
  },
});

// EVENTS_V1_FIELDS are the field selectors of events.k8s.io/v1, which names the core/v1 fields
// differently. Each getter reads either form.
const EVENTS_V1_FIELDS: Record<string, (obj: KubeObject) => string | undefined> = Object.fromEntries(
  [
    ['reason', 'reason'],
    ['type', 'type'],
    ['reportingController', 'reportingComponent'],
    ...['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => [`regarding.${f}`, `involvedObject.${f}`]),
  ].map(([v1, core]) => [v1, (obj: KubeObject) => fieldGetter(v1)(obj) ?? fieldGetter(core)(obj)]),
);

/** eventV1 is events.k8s.io/v1 events, stored as core events. */
export const eventV1 = kindOf('events.k8s.io', 'v1', {
  kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'],
  columns: eventsV1Columns,
  strategy: objectStrategy({ status: false, validate: validateEventsV1 }),
  garbageCollectionPolicy: 'Unsupported',
  selectableFields: EVENTS_V1_FIELDS,
  storage: { group: '', plural: 'events' },
  conversion: EVENTS_V1,
});
