/**
 * The diff kube-apiserver appends to a refused pod update ("pod updates may not change fields
 * other than ..."): ValidatePodUpdate prints cmp.Diff(oldSpec, mungedSpec) from go-cmp. This
 * renders the same shape from the JSON specs: the Go type and field names, `-`/`+` lines for
 * changed values, nested blocks for changed structs, lists and maps, two unchanged records of
 * context either side of a change and `... // N identical fields` for the rest, and keys padded
 * so that the values of neighbouring one-line records line up.
 *
 * go-cmp picks at random between a normal and a non-breaking space after the marker, so that
 * nobody depends on its exact text; this always writes a normal space. Values print as go-cmp
 * prints Go values where the JSON says enough (strings quoted, pointers as &v, absent lists,
 * maps and pointers as nil, zero fields left out of a one-line struct); a resource quantity
 * prints as its string.
 */
import { jsonEqual } from '../meta/json';
import { type Obj, isObj } from './field-errors';

/** The Go shape of a field: what go-cmp needs to know to print it. */
type Kind =
  | 'string' | 'int' | 'bool' | 'any'
  | { ptr: 'int' | 'bool' | 'string' }
  | { ptr: Layout }
  | { struct: Layout }
  | { slice: Kind; type: string }
  | { map: string };

/** Layout is a Go struct: its type name and fields in declaration order (JSON name, Go name, shape). */
interface Layout {
  type: string;
  fields: Array<[string, string, Kind]>;
}

const OBJ: Kind = 'any';
const slice = (elem: Kind, type: string): Kind => ({ slice: elem, type });
const generic = (type: string, ...fields: Array<[string, string]>): Layout => ({ type, fields: fields.map(([j, g]) => [j, g, OBJ]) });

const RESOURCE_REQUIREMENTS: Layout = {
  type: 'core.ResourceRequirements',
  fields: [['limits', 'Limits', { map: 'core.ResourceList' }], ['requests', 'Requests', { map: 'core.ResourceList' }], ['claims', 'Claims', slice(OBJ, '[]core.ResourceClaim')]],
};

const CONTAINER_PORT: Layout = {
  type: 'core.ContainerPort',
  fields: [['name', 'Name', 'string'], ['hostPort', 'HostPort', 'int'], ['containerPort', 'ContainerPort', 'int'], ['protocol', 'Protocol', 'string'], ['hostIP', 'HostIP', 'string']],
};

const ENV_VAR: Layout = { type: 'core.EnvVar', fields: [['name', 'Name', 'string'], ['value', 'Value', 'string'], ['valueFrom', 'ValueFrom', { ptr: generic('core.EnvVarSource') }]] };

const VOLUME_MOUNT: Layout = {
  type: 'core.VolumeMount',
  fields: [
    ['name', 'Name', 'string'], ['readOnly', 'ReadOnly', 'bool'], ['recursiveReadOnly', 'RecursiveReadOnly', { ptr: 'string' }], ['mountPath', 'MountPath', 'string'],
    ['subPath', 'SubPath', 'string'], ['mountPropagation', 'MountPropagation', { ptr: 'string' }], ['subPathExpr', 'SubPathExpr', 'string'],
  ],
};

const CONTAINER: Layout = {
  type: 'core.Container',
  fields: [
    ['name', 'Name', 'string'], ['image', 'Image', 'string'], ['command', 'Command', slice('string', '[]string')], ['args', 'Args', slice('string', '[]string')],
    ['workingDir', 'WorkingDir', 'string'], ['ports', 'Ports', slice({ struct: CONTAINER_PORT }, '[]core.ContainerPort')],
    ['envFrom', 'EnvFrom', slice(OBJ, '[]core.EnvFromSource')], ['env', 'Env', slice({ struct: ENV_VAR }, '[]core.EnvVar')],
    ['resources', 'Resources', { struct: RESOURCE_REQUIREMENTS }], ['resizePolicy', 'ResizePolicy', slice(OBJ, '[]core.ContainerResizePolicy')],
    ['restartPolicy', 'RestartPolicy', { ptr: 'string' }], ['volumeMounts', 'VolumeMounts', slice({ struct: VOLUME_MOUNT }, '[]core.VolumeMount')],
    ['volumeDevices', 'VolumeDevices', slice(OBJ, '[]core.VolumeDevice')], ['livenessProbe', 'LivenessProbe', { ptr: generic('core.Probe') }],
    ['readinessProbe', 'ReadinessProbe', { ptr: generic('core.Probe') }], ['startupProbe', 'StartupProbe', { ptr: generic('core.Probe') }],
    ['lifecycle', 'Lifecycle', { ptr: generic('core.Lifecycle') }], ['terminationMessagePath', 'TerminationMessagePath', 'string'],
    ['terminationMessagePolicy', 'TerminationMessagePolicy', 'string'], ['imagePullPolicy', 'ImagePullPolicy', 'string'],
    ['securityContext', 'SecurityContext', { ptr: generic('core.SecurityContext') }], ['stdin', 'Stdin', 'bool'], ['stdinOnce', 'StdinOnce', 'bool'], ['tty', 'TTY', 'bool'],
  ],
};

const VOLUME: Layout = generic('core.Volume', ['name', 'Name']);

// POD_SPEC is the internal core.PodSpec that ValidatePodUpdate diffs (not v1.PodSpec: the host
// namespace switches sit in its SecurityContext, so they are listed last here).
const POD_SPEC: Layout = {
  type: 'core.PodSpec',
  fields: [
    ['volumes', 'Volumes', slice({ struct: VOLUME }, '[]core.Volume')], ['initContainers', 'InitContainers', slice({ struct: CONTAINER }, '[]core.Container')],
    ['containers', 'Containers', slice({ struct: CONTAINER }, '[]core.Container')], ['ephemeralContainers', 'EphemeralContainers', slice(OBJ, '[]core.EphemeralContainer')],
    ['restartPolicy', 'RestartPolicy', 'string'], ['terminationGracePeriodSeconds', 'TerminationGracePeriodSeconds', { ptr: 'int' }],
    ['activeDeadlineSeconds', 'ActiveDeadlineSeconds', { ptr: 'int' }], ['dnsPolicy', 'DNSPolicy', 'string'], ['nodeSelector', 'NodeSelector', { map: 'map[string]string' }],
    ['serviceAccountName', 'ServiceAccountName', 'string'], ['automountServiceAccountToken', 'AutomountServiceAccountToken', { ptr: 'bool' }],
    ['nodeName', 'NodeName', 'string'], ['securityContext', 'SecurityContext', { ptr: generic('core.PodSecurityContext') }],
    ['imagePullSecrets', 'ImagePullSecrets', slice(OBJ, '[]core.LocalObjectReference')], ['hostname', 'Hostname', 'string'], ['subdomain', 'Subdomain', 'string'],
    ['setHostnameAsFQDN', 'SetHostnameAsFQDN', { ptr: 'bool' }], ['affinity', 'Affinity', { ptr: generic('core.Affinity') }], ['schedulerName', 'SchedulerName', 'string'],
    ['tolerations', 'Tolerations', slice(OBJ, '[]core.Toleration')], ['hostAliases', 'HostAliases', slice(OBJ, '[]core.HostAlias')],
    ['priorityClassName', 'PriorityClassName', 'string'], ['priority', 'Priority', { ptr: 'int' }], ['preemptionPolicy', 'PreemptionPolicy', { ptr: 'string' }],
    ['dnsConfig', 'DNSConfig', { ptr: generic('core.PodDNSConfig') }], ['readinessGates', 'ReadinessGates', slice(OBJ, '[]core.PodReadinessGate')],
    ['runtimeClassName', 'RuntimeClassName', { ptr: 'string' }], ['overhead', 'Overhead', { map: 'core.ResourceList' }],
    ['enableServiceLinks', 'EnableServiceLinks', { ptr: 'bool' }], ['topologySpreadConstraints', 'TopologySpreadConstraints', slice(OBJ, '[]core.TopologySpreadConstraint')],
    ['os', 'OS', { ptr: generic('core.PodOS') }], ['schedulingGates', 'SchedulingGates', slice(OBJ, '[]core.PodSchedulingGate')],
    ['resourceClaims', 'ResourceClaims', slice(OBJ, '[]core.PodResourceClaim')], ['resources', 'Resources', { ptr: RESOURCE_REQUIREMENTS }],
    ['hostNetwork', 'HostNetwork', 'bool'], ['hostPID', 'HostPID', 'bool'], ['hostIPC', 'HostIPC', 'bool'], ['shareProcessNamespace', 'ShareProcessNamespace', { ptr: 'bool' }],
    ['hostUsers', 'HostUsers', { ptr: 'bool' }],
  ],
};

/** A record is one entry of a struct, list or map in the report: a one-line value, a nested block, or an elision. */
type Rec =
  | { mark: ' ' | '-' | '+'; key: string; value: string }
  | { mark: ' '; key: string; open: string; children: Rec[] }
  | { ellipsis: string };

const CONTEXT = 2;
const absent = (v: unknown) => v === undefined || v === null;
const goName = (k: string) => k.charAt(0).toUpperCase() + k.slice(1);

// fieldsOf lists a layout's fields, then any JSON member the layout does not name (in the
// order the values give them), so that no change goes unreported.
function fieldsOf(layout: Layout, a: unknown, b: unknown): Array<[string, string, Kind]> {
  const known = new Set(layout.fields.map(([j]) => j));
  const extra = [...new Set([...Object.keys(isObj(a) ? a : {}), ...Object.keys(isObj(b) ? b : {})])].filter((k) => !known.has(k));
  return [...layout.fields, ...extra.map((k): [string, string, Kind] => [k, goName(k), OBJ])];
}

function isZero(v: unknown, kind: Kind): boolean {
  if (absent(v)) return true;
  if (kind === 'string') return v === '';
  if (kind === 'int') return v === 0;
  if (kind === 'bool') return v === false;
  return false;
}

// compact prints a value on one line as go-cmp does outside a diff; withType names the
// composite type at the top (a changed value does, an unchanged one and anything nested not).
function compact(v: unknown, kind: Kind, withType = false): string {
  if (typeof kind === 'string') {
    if (absent(v)) return kind === 'string' ? '""' : kind === 'int' ? '0' : kind === 'bool' ? 'false' : 'nil';
    return generic1(v);
  }
  if ('ptr' in kind) {
    if (absent(v)) return 'nil';
    if (typeof kind.ptr === 'string') return `&${generic1(v)}`;
    return `&${withType ? kind.ptr.type : ''}${structBody(v, kind.ptr)}`;
  }
  if ('struct' in kind) return `${withType ? kind.struct.type : ''}${structBody(v, kind.struct)}`;
  if (absent(v)) return 'nil';
  if ('slice' in kind) {
    const items = Array.isArray(v) ? v.map((x) => compact(x, kind.slice)) : [generic1(v)];
    return `${withType ? kind.type : ''}{${items.join(', ')}}`;
  }
  const m = isObj(v) ? v : {};
  return `${withType ? kind.map : ''}{${Object.keys(m).sort().map((k) => `${JSON.stringify(k)}: ${generic1(m[k])}`).join(', ')}}`;
}

function structBody(v: unknown, layout: Layout): string {
  const o = isObj(v) ? v : {};
  const parts = fieldsOf(layout, o, o).filter(([j, , k]) => !isZero(o[j], k)).map(([j, g, k]) => `${g}: ${compact(o[j], k)}`);
  return `{${parts.join(', ')}}`;
}

// generic1 prints a JSON value with no layout: objects as structs with Go-cased names.
function generic1(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `{${v.map(generic1).join(', ')}}`;
  if (isObj(v)) return `{${Object.keys(v).filter((k) => !absent(v[k])).map((k) => `${goName(k)}: ${generic1(v[k])}`).join(', ')}}`;
  return absent(v) ? 'nil' : String(v);
}

// nested says how go-cmp descends into a changed value both sides have: the block's opening
// text and the records inside, or undefined for a leaf it prints as a -/+ pair.
function nested(a: unknown, b: unknown, kind: Kind): { open: string; children: Rec[] } | undefined {
  if (typeof kind === 'string' || absent(a) || absent(b)) return undefined;
  if ('ptr' in kind) return typeof kind.ptr === 'string' ? undefined : { open: `&${kind.ptr.type}{`, children: structRecords(a, b, kind.ptr) };
  if ('struct' in kind) return { open: `${kind.struct.type}{`, children: structRecords(a, b, kind.struct) };
  if ('slice' in kind) return Array.isArray(a) && Array.isArray(b) ? { open: `${kind.type}{`, children: sliceRecords(a, b, kind.slice) } : undefined;
  return isObj(a) && isObj(b) ? { open: `${kind.map}{`, children: mapRecords(a, b) } : undefined;
}

interface Entry {
  key: string;
  equal: boolean;
  records(): Rec[];
}

function entry(key: string, a: unknown, b: unknown, kind: Kind, elemOfList = false): Entry {
  const equal = jsonEqual(absent(a) ? undefined : a, absent(b) ? undefined : b);
  return {
    key,
    equal,
    records() {
      if (equal) return [{ mark: ' ', key, value: compact(a, kind) }];
      // A list element that is a struct opens as a bare "{", its type given by the list.
      const inner = elemOfList && typeof kind !== 'string' && 'struct' in kind && isObj(a) && isObj(b)
        ? { open: '{', children: structRecords(a, b, kind.struct) }
        : nested(a, b, kind);
      if (inner) return [{ mark: ' ', key, ...inner }];
      const out: Rec[] = [];
      if (!elemOfList || a !== undefined) out.push({ mark: '-', key, value: compact(a, kind, !elemOfList) });
      if (!elemOfList || b !== undefined) out.push({ mark: '+', key, value: compact(b, kind, !elemOfList) });
      return out;
    },
  };
}

// elide keeps two unchanged records either side of each change and folds the rest into one
// "... // N identical <name>s" line, as go-cmp's formatDiffList does.
function elide(entries: Entry[], name: string): Rec[] {
  const groups: Entry[][] = [];
  for (const e of entries) {
    const last = groups[groups.length - 1];
    if (last && last[0].equal === e.equal && e.equal) last.push(e);
    else groups.push([e]);
  }
  const out: Rec[] = [];
  groups.forEach((g, i) => {
    if (!g[0].equal) {
      out.push(...g[0].records());
      return;
    }
    let lo = i === 0 ? 0 : Math.min(CONTEXT, g.length);
    let hi = i === groups.length - 1 ? 0 : Math.min(CONTEXT, g.length - lo);
    if (g.length - lo - hi === 1) hi++;
    if (lo + hi > g.length) lo = g.length - hi;
    for (const e of g.slice(0, lo)) out.push(...e.records());
    const folded = g.length - lo - hi;
    if (folded > 0) out.push({ ellipsis: `... // ${folded} identical ${folded === 1 ? name : `${name}s`}` });
    for (const e of g.slice(g.length - hi)) out.push(...e.records());
  });
  return out;
}

function structRecords(a: unknown, b: unknown, layout: Layout): Rec[] {
  const oa: Obj = isObj(a) ? a : {};
  const ob: Obj = isObj(b) ? b : {};
  return elide(fieldsOf(layout, oa, ob).map(([j, g, k]) => entry(g, oa[j], ob[j], k)), 'field');
}

// sliceRecords compares a list element by element; a longer list's extra elements are removed
// or inserted ones (go-cmp aligns lists by an edit script; for appends and truncations, the
// common case, the two agree).
function sliceRecords(a: unknown[], b: unknown[], elem: Kind): Rec[] {
  const n = Math.max(a.length, b.length);
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) entries.push(entry('', a[i], b[i], elem, true));
  return elide(entries, 'element');
}

function mapRecords(a: Obj, b: Obj): Rec[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return elide(keys.map((k) => entry(JSON.stringify(k), a[k], b[k], OBJ, true)), 'entry');
}

// print writes records at an indent depth, padding the keys of each run of one-line keyed
// records to one width (a block, an elision or a keyless record ends a run).
function print(recs: Rec[], depth: number, out: string[]): void {
  const widths = new Array<number>(recs.length).fill(0);
  let start = 0;
  const close = (end: number) => {
    const w = Math.max(0, ...recs.slice(start, end).map((r) => ('key' in r ? r.key.length : 0)));
    for (let j = start; j < end; j++) widths[j] = w;
  };
  recs.forEach((r, i) => {
    if (!('value' in r) || !r.key) {
      close(i);
      start = i + 1;
    }
  });
  close(recs.length);
  const tabs = '\t'.repeat(depth);
  recs.forEach((r, i) => {
    if ('ellipsis' in r) {
      out.push(`  ${tabs}${r.ellipsis}`);
    } else if ('open' in r) {
      out.push(`  ${tabs}${r.key ? `${r.key}: ` : ''}${r.open}`);
      print(r.children, depth + 1, out);
      out.push(`  ${tabs}},`);
    } else {
      const key = r.key ? `${r.key}:${' '.repeat(widths[i] - r.key.length)} ` : '';
      out.push(`${r.mark} ${tabs}${key}${r.value},`);
    }
  });
}

/** podSpecDiff renders cmp.Diff(old, next) of two pod specs as go-cmp reports it, ending with a newline. */
export function podSpecDiff(old: Obj, next: Obj): string {
  const out = [`  ${POD_SPEC.type}{`];
  print(structRecords(old, next, POD_SPEC), 1, out);
  out.push('  }');
  return out.join('\n') + '\n';
}
