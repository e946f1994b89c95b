/**
 * core/v1 Event validation, as kube's legacyValidateEvent applies it to every Event written
 * through core/v1: an event about a namespaced object lives in that object's namespace; an event
 * that carries an eventTime (the newer shape) must also name its reporting controller and
 * instance, an action and a reason, within kube's length limits. Written through events.k8s.io/v1,
 * an Event also meets the strict rules of that API (validateEventsV1).
 */
import { EVENTS_V1 } from '../conversions';
import { jsonEqual } from '../meta/json';
import type { FieldError, KubeObject } from '../types';
import { nameErrors } from '../meta/object-meta';
import { invalidValue, isObj, objAt, qualifiedName, required, str } from './field-errors';

const LIMITS: Array<[string, number]> = [['reportingInstance', 128], ['action', 128], ['reason', 128]];

/** validateCoreEvent is legacyValidateEvent on a core/v1 Event. */
export function validateCoreEvent(ev: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const namespace = ev.metadata?.namespace ?? '';
  const involvedNamespace = str(objAt(ev, 'involvedObject'), 'namespace');
  const mismatch = () => errs.push(invalidValue('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'));
  if (!str(ev, 'eventTime')) {
    // An event about a cluster-scoped object may sit in "default", for old clients.
    if (involvedNamespace ? namespace !== involvedNamespace : namespace !== '' && namespace !== 'default') mismatch();
  } else {
    if (!involvedNamespace && namespace !== 'default' && namespace !== 'kube-system') mismatch();
    // reportingController is the core/v1 reportingComponent; kube names the internal field.
    const controller = str(ev, 'reportingComponent');
    if (!controller) errs.push(required('reportingController'));
    errs.push(...qualifiedName(controller, 'reportingController'));
    for (const [field, limit] of LIMITS) {
      const value = str(ev, field);
      if (!value) errs.push(required(field));
      if (value.length > limit) errs.push(invalidValue(field, '', `can have at most ${limit} characters`));
    }
    if (str(ev, 'message').length > 1024) errs.push(invalidValue('message', '', 'can have at most 1024 characters'));
  }
  for (const why of nameErrors(namespace, 'dns-subdomain')) errs.push(invalidValue('namespace', namespace, why));
  return errs;
}

/**
 * validateEventsV1 is ValidateEventCreate and ValidateEventUpdate for a request through
 * events.k8s.io/v1: the legacy rules, then on create an eventTime, a type of Normal or Warning, a
 * sane series and none of the deprecated fields; on update the series rules when it changed and
 * every identifying field unchanged. Errors name the core fields (involvedObject, firstTimestamp,
 * source, ...), as kube validates the internal type.
 */
export function validateEventsV1(v1: KubeObject, oldV1?: KubeObject): FieldError[] {
  const ev = EVENTS_V1.toStorage(v1);
  const errs = validateCoreEvent(ev);
  if (!oldV1) {
    errs.push(...seriesErrors(ev));
    if (!str(ev, 'eventTime')) errs.push(required('eventTime'));
    const type = str(ev, 'type');
    if (type !== 'Normal' && type !== 'Warning') errs.push(invalidValue('type', '', `has invalid value: ${type}`));
    for (const field of ['firstTimestamp', 'lastTimestamp']) if (str(ev, field)) errs.push(invalidValue(field, '', 'needs to be unset'));
    if (typeof ev.count === 'number' && ev.count !== 0) errs.push(invalidValue('count', '', 'needs to be unset'));
    const source = objAt(ev, 'source');
    if (str(source, 'component') || str(source, 'host')) errs.push(invalidValue('source', '', 'needs to be unset'));
    return errs;
  }
  const old = EVENTS_V1.toStorage(oldV1);
  if (!jsonEqual(ev.series ?? null, old.series ?? null)) errs.push(...seriesErrors(ev));
  for (const [field, render] of IMMUTABLE_EVENT_FIELDS) {
    if (!jsonEqual(render(ev[field]), render(old[field]))) errs.push({ type: 'FieldValueInvalid', field, message: `Invalid value: ${render(ev[field])}: field is immutable` });
  }
  return errs;
}

function seriesErrors(ev: KubeObject): FieldError[] {
  const series = objAt(ev, 'series');
  if (!series) return [];
  const errs: FieldError[] = [];
  if (typeof series.count !== 'number' || series.count < 2) errs.push(invalidValue('series.count', '', 'should be at least 2'));
  if (!str(series, 'lastObservedTime')) errs.push(required('series.lastObservedTime'));
  return errs;
}

// The identifying fields of an Event with how field.Invalid prints each value (Go's %q for
// strings, %v for numbers, time.Time's String for times, %#v for structs); comparing the
// renderings compares the values as Go sees them (a missing string is "").
const quoted = (v: unknown) => JSON.stringify(typeof v === 'string' ? v : '');
const count = (v: unknown) => String(typeof v === 'number' ? v : 0);
const REFERENCE_FIELDS: Array<[string, string]> = [['Kind', 'kind'], ['Namespace', 'namespace'], ['Name', 'name'], ['UID', 'uid'], ['APIVersion', 'apiVersion'], ['ResourceVersion', 'resourceVersion'], ['FieldPath', 'fieldPath']];
const reference = (v: unknown) => `core.ObjectReference{${REFERENCE_FIELDS.map(([go, json]) => `${go}:${quoted(isObj(v) ? v[json] : undefined)}`).join(', ')}}`;
const source = (v: unknown) => `core.EventSource{Component:${quoted(isObj(v) ? v.component : undefined)}, Host:${quoted(isObj(v) ? v.host : undefined)}}`;
const IMMUTABLE_EVENT_FIELDS: Array<[string, (v: unknown) => string]> = [
  ['involvedObject', reference],
  ['reason', quoted],
  // kube's source lists message too, but its conformance test "[sig-instrumentation] Events API
  // should ensure that an event can be fetched, patched, deleted, and listed" patches the note
  // through events.k8s.io/v1 and must pass: the note stays writable.
  ['source', source],
  ['firstTimestamp', goTime],
  ['lastTimestamp', goTime],
  ['count', count],
  ['type', quoted],
  ['eventTime', goTime],
  ['action', quoted],
  ['related', (v) => (isObj(v) ? reference(v) : 'null')],
  ['reportingComponent', quoted],
  ['reportingInstance', quoted],
];

/** goTime prints an RFC 3339 time as Go's time.Time String does in UTC ("2026-12-03 16:00:00.5 +0000 UTC"). */
export function goTime(v: unknown): string {
  const m = typeof v === 'string' ? /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(v) : null;
  if (!m) return '0001-01-01 00:00:00 +0000 UTC';
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]} ${m[2]}${fraction === '.' ? '' : fraction} +0000 UTC`;
}
