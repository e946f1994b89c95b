/**
 * core/v1 Pod: created Pending with its QoS class (computed after mutating admission, which may
 * fill in requests), sysctl names checked.
 */
import { defaultPod } from '../defaults';
import { podColumns } from '../printers-pod';
import type { FieldError, KubeObject } from '../types';
import { STATUS, fields, kindOf } from './kind';
import { objectStrategy } from './strategy';

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

// Sysctl names as pod validation accepts them: dot- or slash-separated segments.
const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const SYSCTL_RE = new RegExp(`^(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}$`);
const SYSCTL_MAX_LENGTH = 253;

// validateSysctls checks what the schema cannot: sysctl names in the pod security context.
function validateSysctls(pod: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const sysctls = ((pod.spec as { securityContext?: { sysctls?: unknown } } | undefined)?.securityContext?.sysctls ?? []) as Array<{ name?: string }>;
  if (!Array.isArray(sysctls)) return errs;
  const seen = new Set<string>();
  sysctls.forEach((s, i) => {
    const field = `spec.securityContext.sysctls[${i}].name`;
    const name = s?.name ?? '';
    if (!name) errs.push({ type: 'FieldValueRequired', field, message: 'Required value' });
    else if (name.length > SYSCTL_MAX_LENGTH || !SYSCTL_RE.test(name)) {
      errs.push({ type: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(name)}: must have at most ${SYSCTL_MAX_LENGTH} characters and match regex ${SYSCTL_RE.source}` });
    } else if (seen.has(name)) errs.push({ type: 'FieldValueDuplicate', field, message: `Duplicate value: ${JSON.stringify(name)}` });
    seen.add(name);
  });
  return errs;
}

/** validatePod returns the errors of a pod, or of a pod update when old is given. */
export function validatePod(pod: KubeObject): FieldError[] {
  return validateSysctls(pod);
}

/** pod is core/v1 pods. */
export const pod = kindOf('', 'v1', {
  kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: STATUS,
  columns: podColumns,
  defaults: defaultPod,
  returnDeletedObject: true,
  selectableFields: fields('spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'),
  strategy: objectStrategy({
    status: true,
    prepareForCreate: (p) => {
      p.status = { phase: 'Pending', qosClass: qosClass(p) };
    },
    validate: validatePod,
  }),
});
