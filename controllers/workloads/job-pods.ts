/**
 * The pods of a Job as its controller sees them: the template every pod is made from, which
 * pods to delete first, and the small predicates over pods and Jobs the sync uses.
 */
import type { KubeObject } from '../../schemas/types';
import { labelSelectorFromObject, type LabelSelector } from '../../schemas/meta/selectors';
import { COMPLETION_INDEX_ANNOTATION, COMPLETION_INDEX_ENV, completionIndex } from './job-indexes';
import { JOB_TRACKING_FINALIZER, podStatusOf, specOf, type JobSpec } from './job-policies';
import { podsToDelete } from './replicaset';

/** JOB_CONTROLLER_NAME is the managedBy value of Jobs this controller runs. */
export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

/** PodTemplate is what every pod of a Job is made from. */
export interface PodTemplate {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  finalizers: string[];
  spec: Record<string, unknown>;
}

/** podTemplate is the Job's template with the tracking finalizer and, for Indexed Jobs, JOB_COMPLETION_INDEX. */
export function podTemplate(spec: JobSpec, indexed: boolean): PodTemplate {
  const t = spec.template ?? {};
  const podSpec = structuredClone((t.spec ?? {}) as Record<string, unknown>);
  if (indexed) {
    for (const field of ['initContainers', 'containers']) {
      const containers = podSpec[field];
      if (!Array.isArray(containers)) continue;
      for (const c of containers as Array<{ env?: Array<{ name?: string }> }>) {
        if (!c || typeof c !== 'object') continue;
        const env = Array.isArray(c.env) ? c.env : (c.env = []);
        if (env.some((e) => e?.name === COMPLETION_INDEX_ENV)) continue;
        env.push({ name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX_ANNOTATION}']` } } } as { name: string });
      }
    }
  }
  const finalizers = Array.isArray(t.metadata?.finalizers) ? [...t.metadata!.finalizers] : [];
  if (!finalizers.includes(JOB_TRACKING_FINALIZER)) finalizers.push(JOB_TRACKING_FINALIZER);
  return { labels: { ...(t.metadata?.labels ?? {}) }, annotations: { ...(t.metadata?.annotations ?? {}) }, finalizers, spec: podSpec };
}

/** activePodsForRemoval picks pods to delete: bad or duplicate indexes first, then the least advanced. */
export function activePodsForRemoval(spec: JobSpec, pods: readonly Readonly<KubeObject>[], atLeast: number, now: number): Readonly<KubeObject>[] {
  const rm: Readonly<KubeObject>[] = [];
  let left: Readonly<KubeObject>[] = [...pods];
  if (spec.completionMode === 'Indexed') {
    const completions = num(spec.completions);
    const byIndex = new Map<number, Readonly<KubeObject>[]>();
    left = [];
    for (const p of pods) {
      const ix = completionIndex(p);
      if (ix < 0 || ix >= completions) rm.push(p);
      else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
    }
    for (const group of byIndex.values()) {
      if (group.length === 1) left.push(group[0]);
      else {
        // Keep the most advanced pod of the index; the others go.
        const ordered = podsToDelete(group, group.length, now);
        rm.push(...ordered.slice(0, -1));
        left.push(ordered[ordered.length - 1]);
      }
    }
  }
  if (rm.length < atLeast) rm.push(...podsToDelete(left, atLeast - rm.length, now));
  return rm;
}

/** hasTrackingFinalizer is true for a pod the Job controller has not yet counted. */
export function hasTrackingFinalizer(pod: Readonly<KubeObject>): boolean {
  return Array.isArray(pod.metadata?.finalizers) && pod.metadata!.finalizers!.includes(JOB_TRACKING_FINALIZER);
}

/** isActivePod: neither finished nor being deleted. */
export function isActivePod(pod: Readonly<KubeObject>): boolean {
  const phase = podStatusOf(pod).phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

/** isTerminating: being deleted and not finished. */
export function isTerminating(pod: Readonly<KubeObject>): boolean {
  const phase = podStatusOf(pod).phase;
  return !!pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** managedElsewhere: spec.managedBy names another controller. */
export function managedElsewhere(job: Readonly<KubeObject>): boolean {
  const by = specOf(job).managedBy;
  return typeof by === 'string' && by !== JOB_CONTROLLER_NAME;
}

/** selectorOf parses the Job's selector, undefined when it does not parse. */
export function selectorOf(job: Readonly<KubeObject>): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(specOf(job).selector as never);
  } catch {
    return undefined;
  }
}

/** num reads a finite number, 0 otherwise. */
export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** strings keeps the strings of a list. */
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/** message is an error's text. */
export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
