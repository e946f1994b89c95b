/**
 * core/v1 Pod: created Pending with its QoS class (computed after mutating admission, which may
 * fill in requests); its spec validated as kube's pod validation does (validation/pod.ts).
 */
import { defaultPod } from '../defaults';
import { podColumns } from '../printers-pod';
import type { KubeObject } from '../types';
import { validatePod } from '../validation/pod';
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
