/**
 * core/v1 Pod: created Pending with its QoS class (computed after mutating admission, which may
 * fill in requests); its spec validated as kube's pod validation does (validation/pod.ts);
 * deleted gracefully as kube's CheckGracefulDelete says; spec.ephemeralContainers written only
 * through pods/ephemeralcontainers, which may add containers but never change or remove one.
 * The binding and eviction subresources are served by server/registry/pod-subresources.ts, log by
 * server/http/handlers/pod-log.ts.
 */
import { defaultPod } from '../defaults';
import { jsonEqual } from '../meta/json';
import { podColumns } from '../printers-pod';
import type { DeleteStrategy, FieldError, KubeObject, Strategy } from '../types';
import { validatePod, validatePodSpec } from '../validation/pod';
import { fields, kindOf } from './kind';
import { objectStrategy } from './strategy';
import { podSpecAt } from './disabled-pod-fields';

/**
 * qosClass follows the API server's rule: Guaranteed when every container's cpu and memory
 * requests equal limits, BestEffort when nothing is set, Burstable otherwise.
 */
export function qosClass(pod: KubeObject): string {
  const spec = (pod.spec ?? {}) as { containers?: Array<{ resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }>; initContainers?: typeof spec.containers };
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || String(req[r]) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

type Obj = Record<string, unknown>;

/** MIRROR_POD_ANNOTATION marks the API mirror of a kubelet's static pod. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/**
 * INSTANCE_ID_ANNOTATION names the instance the nodeless instance scheduler runs a pod on: such a
 * pod is bound as a pod with spec.nodeName is, and something (the scheduler) must stop it.
 */
export const INSTANCE_ID_ANNOTATION = 'nodeless.dev/instance-id';

/**
 * podDeleteStrategy is kube's pod CheckGracefulDelete: the grace period asked for, else the
 * pod's terminationGracePeriodSeconds (defaulted to 30), else 0; but 0 for a pod never bound to
 * a node or an instance (nothing runs it) or already Succeeded or Failed; a negative period is 1.
 */
export const podDeleteStrategy: DeleteStrategy = {
  gracePeriod(p, requested) {
    const spec = (p.spec ?? {}) as Obj;
    const phase = ((p.status ?? {}) as Obj).phase;
    let period = requested ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 0);
    if (!spec.nodeName && !p.metadata?.annotations?.[INSTANCE_ID_ANNOTATION]) period = 0;
    if (phase === 'Failed' || phase === 'Succeeded') period = 0;
    return period < 0 ? 1 : period;
  },
};

function ephemeralContainersOf(p: Readonly<KubeObject> | undefined): Obj[] {
  const list = ((p?.spec ?? {}) as Obj).ephemeralContainers;
  return Array.isArray(list) ? (list as Obj[]) : [];
}

// changedFields lists, one line each, the fields of an ephemeral container that an update changed.
function changedFields(old: Obj, next: Obj): string {
  const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])].sort();
  const lines: string[] = [];
  for (const k of keys) {
    if (jsonEqual(old[k], next[k])) continue;
    if (old[k] !== undefined) lines.push(`-   ${k}: ${JSON.stringify(old[k])},`);
    if (next[k] !== undefined) lines.push(`+   ${k}: ${JSON.stringify(next[k])},`);
  }
  return `  core.EphemeralContainer{\n${lines.join('\n')}\n  }\n`;
}

/**
 * validateEphemeralContainersUpdate is kube's ValidatePodEphemeralContainersUpdate: the new
 * pod's spec is valid, a static pod takes none, and every ephemeral container already there is
 * still there, unchanged (by name: a patch does not keep their order).
 */
export function validateEphemeralContainersUpdate(p: KubeObject, old?: KubeObject): FieldError[] {
  if (!old) return [];
  if (old.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
    return [{ type: 'FieldValueForbidden', field: '', message: 'Forbidden: static pods do not support ephemeral containers' }];
  }
  if (jsonEqual(p.spec, old.spec)) return [];
  const errs = validatePodSpec(p.spec, 'spec', { isPod: true });
  const byName = new Map(ephemeralContainersOf(p).map((c) => [String(c.name), c]));
  for (const was of ephemeralContainersOf(old)) {
    const name = String(was.name);
    const now = byName.get(name);
    if (!now) {
      errs.push({ type: 'FieldValueForbidden', field: 'spec.ephemeralContainers', message: `Forbidden: existing ephemeral containers ${JSON.stringify(name)} may not be removed\n` });
    } else if (!jsonEqual(was, now)) {
      errs.push({
        type: 'FieldValueForbidden',
        field: `spec.ephemeralContainers[${name}]`,
        message: `Forbidden: existing ephemeral containers ${JSON.stringify(name)} may not be changed\n${changedFields(was, now)}`,
      });
    }
  }
  return errs;
}

/**
 * ephemeralContainersStrategy writes pods/ephemeralcontainers as kube's does: the stored pod with
 * the client's spec.ephemeralContainers; labels, annotations, finalizers, ownerReferences and
 * status stay as stored (ResetObjectMetaForStatus).
 */
export const ephemeralContainersStrategy: Strategy = {
  prepareForCreate() {
    // The subresource is never created.
  },
  prepareForUpdate(obj, old) {
    const next = structuredClone(old) as KubeObject;
    const meta = { ...obj.metadata };
    for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences', 'deletionTimestamp', 'generation'] as const) {
      const stored = old.metadata?.[k];
      if (stored === undefined) delete meta[k];
      else meta[k] = structuredClone(stored) as never;
    }
    next.metadata = meta;
    const spec = { ...((next.spec ?? {}) as Obj) };
    const wanted = ((obj.spec ?? {}) as Obj).ephemeralContainers;
    if (wanted === undefined) delete spec.ephemeralContainers;
    else spec.ephemeralContainers = wanted;
    next.spec = spec;
    return next;
  },
  validate: validateEphemeralContainersUpdate,
};

/** pod is core/v1 pods. */
export const pod = kindOf('', 'v1', {
  kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'],
  subresources: { status: true, binding: true, eviction: true, ephemeralContainers: true, log: true },
  deleteStrategy: podDeleteStrategy,
  ephemeralContainersStrategy,
  columns: podColumns,
  defaults: defaultPod,
  returnDeletedObject: true,
  selectableFields: fields('spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'),
  strategy: objectStrategy({
    podSpec: podSpecAt(['spec']),
    status: true,
    prepareForCreate: (p) => {
      p.status = { phase: 'Pending', qosClass: qosClass(p) };
    },
    validate: validatePod,
  }),
});
