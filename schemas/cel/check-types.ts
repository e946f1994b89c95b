/**
 * The types of the static CEL type pass (static-check.ts), as cel-go's checker sees the
 * declarations kube builds for admission policies: scalars, lists, maps, objects with declared
 * fields, opaque library types, and `dyn` for everything the schema leaves open. `error` marks a
 * sub-expression that already produced an error, so that it raises no further ones (cel-go
 * treats its error type as assignable to anything).
 *
 * An object may carry a `name`: the fixed names of kube's hand-built types
 * (kubernetes.AdmissionRequest, kubernetes.Namespace, ...). Objects built from an OpenAPI schema
 * have no name here because kube names them after the kind plus the nanosecond clock
 * ("Deployment123456789.spec"); a no-matching-overload message that would have to spell such a
 * type is not reported, so that no warning ever differs from kube's text.
 */
export type CheckType =
  | { kind: 'dyn' | 'error' | 'int' | 'uint' | 'double' | 'bool' | 'string' | 'bytes' | 'null' | 'timestamp' | 'duration' | 'type' }
  | { kind: 'list'; elem: CheckType }
  | { kind: 'map'; key: CheckType; value: CheckType }
  | { kind: 'object'; name?: string; fields: Record<string, CheckType>; open?: boolean }
  | { kind: 'opaque'; name: string; params?: CheckType[] };

/** Scalar kinds: the CheckType kinds that carry no parameters. */
export type ScalarKind = 'dyn' | 'error' | 'int' | 'uint' | 'double' | 'bool' | 'string' | 'bytes' | 'null' | 'timestamp' | 'duration' | 'type';

const scalars = new Map<ScalarKind, CheckType>();

/** scalar is the shared CheckType of a scalar kind. */
export function scalar(kind: ScalarKind): CheckType {
  let t = scalars.get(kind);
  if (!t) scalars.set(kind, (t = { kind }));
  return t;
}

/** DYN is the dynamic type: anything, checked at run time. */
export const DYN = scalar('dyn');
/** ERROR is the type of a sub-expression that was already reported. */
export const ERROR = scalar('error');

/** listOf is list(elem). */
export function listOf(elem: CheckType): CheckType {
  return { kind: 'list', elem };
}

/** mapOf is map(key, value). */
export function mapOf(key: CheckType, value: CheckType): CheckType {
  return { kind: 'map', key, value };
}

/** isDynOrError tells the wildcard types, which every operand position accepts. */
export function isDynOrError(t: CheckType): boolean {
  return t.kind === 'dyn' || t.kind === 'error';
}

const DISPLAY: Partial<Record<CheckType['kind'], string>> = {
  null: 'null_type',
  timestamp: 'google.protobuf.Timestamp',
  duration: 'google.protobuf.Duration',
  error: '*error*',
};

/**
 * formatType spells t as cel-go's FormatCELType does ("list(string)", "map(string, int)"), or
 * returns undefined when t holds a schema object, whose kube name cannot be reproduced.
 */
export function formatType(t: CheckType): string | undefined {
  switch (t.kind) {
    case 'list': {
      const e = formatType(t.elem);
      return e === undefined ? undefined : `list(${e})`;
    }
    case 'map': {
      const k = formatType(t.key);
      const v = formatType(t.value);
      return k === undefined || v === undefined ? undefined : `map(${k}, ${v})`;
    }
    case 'object':
      return t.name;
    case 'opaque': {
      if (!t.params?.length) return t.name;
      const ps = t.params.map(formatType);
      return ps.some((p) => p === undefined) ? undefined : `${t.name}(${ps.join(', ')})`;
    }
    default:
      return DISPLAY[t.kind] ?? t.kind;
  }
}

/** assignable is cel-go's isAssignable for two types bound to one type parameter (dyn and error fit anything). */
export function assignable(a: CheckType, b: CheckType): boolean {
  if (isDynOrError(a) || isDynOrError(b)) return true;
  if (a.kind === 'null') return nullable(b);
  if (b.kind === 'null') return nullable(a);
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'list':
      return assignable(a.elem, (b as typeof a).elem);
    case 'map':
      return assignable(a.key, (b as typeof a).key) && assignable(a.value, (b as typeof a).value);
    case 'object':
      // Schema objects are unnamed here; two of them may be one kube type, so they are not told apart.
      return a.name === undefined || (b as typeof a).name === undefined || a.name === (b as typeof a).name;
    case 'opaque':
      return a.name === (b as typeof a).name;
    default:
      return true;
  }
}

// nullable are the types cel-go's checker lets null stand for (its legacy nullness rules).
function nullable(t: CheckType): boolean {
  return t.kind === 'null' || t.kind === 'object' || t.kind === 'opaque' || t.kind === 'timestamp' || t.kind === 'duration';
}

/** joinTypes is the element type of an aggregate literal: the common type, or dyn when they differ. */
export function joinTypes(types: CheckType[]): CheckType {
  const first = types[0];
  if (!first || types.some((t) => isDynOrError(t) || !assignable(first, t))) return DYN;
  return first;
}

// The kube declarations every admission expression sees (plugin/cel compile.go), with their names.
const STRING = scalar('string');
const obj = (name: string, fields: Record<string, CheckType>): CheckType => ({ kind: 'object', name, fields });
const GVK = obj('kubernetes.GroupVersionKind', { group: STRING, version: STRING, kind: STRING });
const GVR = obj('kubernetes.GroupVersionResource', { group: STRING, version: STRING, resource: STRING });

/** REQUEST_TYPE is the type of `request` (kube's BuildRequestType; uid, object and oldObject are not part of it). */
export const REQUEST_TYPE = obj('kubernetes.AdmissionRequest', {
  kind: GVK,
  resource: GVR,
  subResource: STRING,
  requestKind: GVK,
  requestResource: GVR,
  requestSubResource: STRING,
  name: STRING,
  namespace: STRING,
  operation: STRING,
  userInfo: obj('kubernetes.UserInfo', { username: STRING, uid: STRING, groups: listOf(STRING), extra: mapOf(STRING, listOf(STRING)) }),
  dryRun: scalar('bool'),
  options: DYN,
});

/** NAMESPACE_TYPE is the type of `namespaceObject` (kube's BuildNamespaceType). */
export const NAMESPACE_TYPE = obj('kubernetes.Namespace', {
  metadata: obj('kubernetes.NamespaceMetadata', {
    name: STRING,
    generateName: STRING,
    namespace: STRING,
    labels: mapOf(STRING, STRING),
    annotations: mapOf(STRING, STRING),
    UID: STRING,
    creationTimestamp: scalar('timestamp'),
    deletionGracePeriodSeconds: scalar('int'),
    deletionTimestamp: scalar('timestamp'),
    generation: scalar('int'),
    resourceVersion: STRING,
    finalizers: listOf(STRING),
  }),
  spec: obj('kubernetes.NamespaceSpec', { finalizers: listOf(STRING) }),
  status: obj('kubernetes.NamespaceStatus', {
    conditions: listOf(
      obj('kubernetes.NamespaceCondition', { status: STRING, type: STRING, lastTransitionTime: scalar('timestamp'), message: STRING, reason: STRING }),
    ),
    phase: STRING,
  }),
});
