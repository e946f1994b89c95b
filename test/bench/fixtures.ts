/** Benchmark fixtures: pod-shaped objects of about 2 KB, and small statistics helpers. */

/** podObject returns a realistic Pod of roughly 2 KB. */
export function podObject(name: string, namespace = 'bench', labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: '6a1f3c2e-9d0b-4c55-8f1e-' + name.padStart(12, '0').slice(-12),
      creationTimestamp: '2026-11-25T10:00:00Z',
      labels: { app: 'web', tier: 'frontend', 'pod-template-hash': '7d4b9c8f6d', ...labels },
      annotations: { 'kubernetes.io/psp': 'restricted', 'nodeless.dev/instance-size': 'c1m2' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9c8f6d', uid: 'f0e1d2c3-b4a5-4697-8877-665544332211', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.example.com/team/web-frontend:1.24.3',
          ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'UPSTREAM_URL', value: 'http://api.default.svc.cluster.local:8080' },
            { name: 'FEATURE_FLAGS', value: 'checkout-v2,search-suggest,dark-mode' },
          ],
          resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5, timeoutSeconds: 1 },
          livenessProbe: { httpGet: { path: '/livez', port: 8080 }, initialDelaySeconds: 10, periodSeconds: 10 },
          volumeMounts: [
            { name: 'config', mountPath: '/etc/web' },
            { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
          ],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: 'web-config', defaultMode: 420 } },
        { name: 'kube-api-access', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] } },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
    },
    status: {
      phase: 'Running',
      qosClass: 'Burstable',
      podIP: '10.42.0.17',
      startTime: '2026-11-25T10:00:02Z',
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: '2026-11-25T10:00:02Z' },
        { type: 'Ready', status: 'True', lastTransitionTime: '2026-11-25T10:00:09Z' },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: '2026-11-25T10:00:09Z' },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-11-25T10:00:01Z' },
      ],
      containerStatuses: [
        { name: 'web', ready: true, restartCount: 0, started: true, image: 'registry.example.com/team/web-frontend:1.24.3', imageID: '', containerID: 'nodeless://4b1e6f', state: { running: { startedAt: '2026-11-25T10:00:05Z' } } },
      ],
    },
  };
}

/** percentile returns the p-th percentile (0..100) of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Figure is one printed benchmark line: what was measured, its baseline and the target. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baselineName?: string;
  baseline?: number;
  /** higher: bigger is better; lower: smaller is better */
  better: 'higher' | 'lower';
  target?: string;
  met?: boolean;
}

/** formatFigure renders a Figure as one aligned line with the ratio to its baseline. */
export function formatFigure(f: Figure): string {
  const v = `${round(f.value)} ${f.unit}`;
  let line = `  ${f.name.padEnd(58)} ${v.padStart(16)}`;
  if (f.baseline !== undefined) {
    line += `   baseline ${f.baselineName ?? ''}: ${round(f.baseline)} ${f.unit}   ratio ${(f.value / f.baseline).toFixed(2)}`;
  }
  if (f.target) line += `   target ${f.target}: ${f.met ? 'met' : 'NOT met'}`;
  return line;
}

function round(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(2);
}
