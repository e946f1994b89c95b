/**
 * Conversions between versions that share one storage: events.k8s.io/v1 Events are stored as
 * core/v1 Events, and autoscaling/v1 HorizontalPodAutoscalers as autoscaling/v2 ones. What the
 * older form cannot express travels in annotations, the way kube-apiserver round-trips it.
 */
import type { KubeObject } from './types';

type Obj = Record<string, unknown>;

/** Conversion turns the stored form into one served version and back. */
export interface Conversion {
  fromStorage(obj: KubeObject): KubeObject;
  toStorage(obj: KubeObject): KubeObject;
}

function rename(src: Obj, map: Array<[string, string]>): Obj {
  const out: Obj = {};
  const renamed = new Set(map.map(([from]) => from));
  for (const [k, v] of Object.entries(src)) if (!renamed.has(k)) out[k] = v;
  for (const [from, to] of map) if (src[from] !== undefined) out[to] = src[from];
  return out;
}

// core/v1 field -> events.k8s.io/v1 field
const EVENT_FIELDS: Array<[string, string]> = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

/** EVENTS_V1 serves core/v1 Events as events.k8s.io/v1 Events. */
export const EVENTS_V1: Conversion = {
  fromStorage(obj) {
    const out = rename(obj as Obj, EVENT_FIELDS) as KubeObject;
    out.apiVersion = 'events.k8s.io/v1';
    out.kind = 'Event';
    return out;
  },
  toStorage(obj) {
    const out = rename(obj as Obj, EVENT_FIELDS.map(([a, b]) => [b, a])) as KubeObject;
    out.apiVersion = 'v1';
    out.kind = 'Event';
    return out;
  },
};

const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';

interface Metric {
  type?: string;
  resource?: { name?: string; target?: { type?: string; averageUtilization?: number }; current?: { averageUtilization?: number } };
}

const isCpuUtilization = (m: Metric) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target?.type === 'Utilization';

function withAnnotations(obj: KubeObject, set: Record<string, unknown>, drop: string[]): Record<string, string> | undefined {
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  for (const k of drop) delete annotations[k];
  for (const [k, v] of Object.entries(set)) if (v !== undefined) annotations[k] = JSON.stringify(v);
  return Object.keys(annotations).length ? annotations : undefined;
}

/** HPA_V1 serves autoscaling/v2 HorizontalPodAutoscalers as autoscaling/v1 ones. */
export const HPA_V1: Conversion = {
  fromStorage(obj) {
    const spec = (obj.spec ?? {}) as Obj & { metrics?: Metric[]; behavior?: unknown };
    const status = obj.status as (Obj & { currentMetrics?: Metric[]; conditions?: unknown[] }) | undefined;
    const metrics = spec.metrics ?? [];
    const cpu = metrics.find(isCpuUtilization);
    const others = metrics.filter((m) => m !== cpu);
    const { metrics: _m, behavior, ...restSpec } = spec;
    const v1Spec: Obj = { ...restSpec };
    if (cpu?.resource?.target?.averageUtilization !== undefined) v1Spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
    let v1Status: Obj | undefined;
    let currentOthers: Metric[] | undefined;
    if (status) {
      const { currentMetrics, conditions: _c, ...restStatus } = status;
      v1Status = { ...restStatus };
      const currentCpu = (currentMetrics ?? []).find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
      if (currentCpu?.resource?.current?.averageUtilization !== undefined) v1Status.currentCPUUtilizationPercentage = currentCpu.resource.current.averageUtilization;
      currentOthers = (currentMetrics ?? []).filter((m) => m !== currentCpu);
    }
    const annotations = withAnnotations(
      obj,
      {
        [METRICS_ANNOTATION]: others.length ? others : undefined,
        [CURRENT_METRICS_ANNOTATION]: currentOthers?.length ? currentOthers : undefined,
        [CONDITIONS_ANNOTATION]: status?.conditions?.length ? status.conditions : undefined,
        [BEHAVIOR_ANNOTATION]: behavior,
      },
      [],
    );
    const out: KubeObject = { ...obj, apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', spec: v1Spec };
    out.metadata = { ...obj.metadata, annotations };
    if (!annotations) delete out.metadata.annotations;
    if (v1Status) out.status = v1Status;
    return out;
  },
  toStorage(obj) {
    const spec = (obj.spec ?? {}) as Obj & { targetCPUUtilizationPercentage?: number };
    const annotations = obj.metadata?.annotations ?? {};
    const parse = <T>(k: string): T | undefined => {
      try {
        return annotations[k] ? (JSON.parse(annotations[k]) as T) : undefined;
      } catch {
        return undefined;
      }
    };
    const { targetCPUUtilizationPercentage, ...restSpec } = spec;
    const metrics: Metric[] = [];
    if (targetCPUUtilizationPercentage !== undefined) {
      metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: targetCPUUtilizationPercentage } } });
    }
    metrics.push(...(parse<Metric[]>(METRICS_ANNOTATION) ?? []));
    const v2Spec: Obj = { ...restSpec };
    if (metrics.length) v2Spec.metrics = metrics;
    const behavior = parse<unknown>(BEHAVIOR_ANNOTATION);
    if (behavior !== undefined) v2Spec.behavior = behavior;
    const out: KubeObject = { ...obj, apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', spec: v2Spec };
    const rest = withAnnotations(obj, {}, [METRICS_ANNOTATION, CURRENT_METRICS_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION]);
    out.metadata = { ...obj.metadata, annotations: rest };
    if (!rest) delete out.metadata.annotations;
    if (obj.status) {
      const { currentCPUUtilizationPercentage, ...restStatus } = obj.status as Obj & { currentCPUUtilizationPercentage?: number };
      const current: Metric[] = [];
      if (currentCPUUtilizationPercentage !== undefined) current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: currentCPUUtilizationPercentage } } });
      current.push(...(parse<Metric[]>(CURRENT_METRICS_ANNOTATION) ?? []));
      const v2Status: Obj = { ...restStatus };
      if (current.length) v2Status.currentMetrics = current;
      const conditions = parse<unknown[]>(CONDITIONS_ANNOTATION);
      if (conditions) v2Status.conditions = conditions;
      out.status = v2Status;
    }
    return out;
  },
};
