/**
 * The nodeless.dev/ annotations and labels the instance scheduler reads and writes.
 *
 * Written by the scheduler on a scheduled Pod (kube would show a node; nodeless shows these):
 *   nodeless.dev/instance-id      the instance running the Pod
 *   nodeless.dev/instance-size    the catalog size id, also the node.kubernetes.io/instance-type value
 *   nodeless.dev/instance-family  the catalog family of that size
 *   nodeless.dev/zone             the zone the instance runs in
 *   nodeless.dev/capacity-type    on-demand or spot
 *   nodeless.dev/price-per-hour   USD per hour for the size at that capacity type, e.g. "0.049375"
 *   nodeless.dev/provider         the provider that created the instance (simulated, process)
 *
 * Read by the simulated provider, to script what a container does. A value is either one setting
 * for every container ("30s") or a comma-separated list per container ("app=30s,sidecar=5s");
 * durations are Go durations ("1m30s", "500ms") or plain seconds ("90"):
 *   nodeless.dev/run-duration     how long a container runs before it exits; default: until deleted
 *                                 under restartPolicy Always, the provider's run time (1 s) otherwise
 *   nodeless.dev/exit-code        the exit code when it exits (default 0)
 *   nodeless.dev/crash-loop       "true" or container names: the container exits with code 1 (or its
 *                                 nonzero exit-code) after its run duration (default 1 s), every time
 *   nodeless.dev/oom-kill         "true" or container names: the container is OOMKilled (exit 137)
 *                                 after its run duration (default 1 s)
 *   nodeless.dev/readiness-delay  how long after starting a container becomes ready (default 0)
 *   nodeless.dev/instance-lost-after  the instance is reported lost this long after it started
 *
 * Selected by pods through nodeSelector or required node affinity:
 *   nodeless.dev/capacity-type (alias karpenter.sh/capacity-type)  spot | on-demand
 *   nodeless.dev/instance-family  a catalog family name
 */

/** annotation names the nodeless.dev/ annotations; see the file comment for their meaning. */
export const annotation = {
  instanceId: 'nodeless.dev/instance-id',
  instanceSize: 'nodeless.dev/instance-size',
  instanceFamily: 'nodeless.dev/instance-family',
  zone: 'nodeless.dev/zone',
  capacityType: 'nodeless.dev/capacity-type',
  pricePerHour: 'nodeless.dev/price-per-hour',
  provider: 'nodeless.dev/provider',
  runDuration: 'nodeless.dev/run-duration',
  exitCode: 'nodeless.dev/exit-code',
  crashLoop: 'nodeless.dev/crash-loop',
  oomKill: 'nodeless.dev/oom-kill',
  readinessDelay: 'nodeless.dev/readiness-delay',
  instanceLostAfter: 'nodeless.dev/instance-lost-after',
} as const;

/** label names the labels an instance carries for nodeSelector and node affinity. */
export const label = {
  instanceType: 'node.kubernetes.io/instance-type',
  instanceTypeBeta: 'beta.kubernetes.io/instance-type',
  instanceFamily: 'nodeless.dev/instance-family',
  zone: 'topology.kubernetes.io/zone',
  zoneBeta: 'failure-domain.beta.kubernetes.io/zone',
  region: 'topology.kubernetes.io/region',
  regionBeta: 'failure-domain.beta.kubernetes.io/region',
  capacityType: 'nodeless.dev/capacity-type',
  capacityTypeKarpenter: 'karpenter.sh/capacity-type',
} as const;

/** AnnotationError is an annotation value that cannot be read; the message names the annotation. */
export class AnnotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnnotationError';
  }
}

const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** parseDuration reads a Go duration ("1h2m3.5s", "250ms") or plain seconds ("90") into milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * unitMs[m[2]];
    matched = re.lastIndex;
  }
  if (s === '' || matched !== s.length) throw new AnnotationError(`invalid duration "${text}" (expected e.g. "30s", "1m30s", "500ms" or seconds)`);
  return Math.round(total);
}

/**
 * PerContainer is an annotation value resolved per container: get(name) is the container's own
 * entry, else the pod-wide one, else undefined.
 */
export interface PerContainer {
  get(container: string): string | undefined;
}

/**
 * perContainer splits an annotation value into per-container settings. For a value annotation
 * ("30s" or "app=30s,sidecar=5s") an entry without "=" applies to every container; for a flag
 * annotation ("true" or "app,sidecar") a bare entry names a container that has the flag, and
 * "true"/"false" alone apply to every container.
 */
export function perContainer(value: string | undefined, kind: 'value' | 'flag' = 'value', key = 'annotation'): PerContainer {
  if (value === undefined) return { get: () => undefined };
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  const named = new Map<string, string>();
  let all: string | undefined;
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq > 0) named.set(e.slice(0, eq).trim(), e.slice(eq + 1).trim());
    else if (kind === 'flag' && !/^(true|false)$/i.test(e)) named.set(e, 'true');
    else if (all === undefined) all = e;
    else throw new AnnotationError(`${key}: "${value}" sets a value for every container twice; use name=value entries`);
  }
  return { get: (c) => named.get(c) ?? all };
}
