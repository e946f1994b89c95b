import { ALL_VERBS, API_GROUP_ORDER, BUILTIN_KINDS, preferredVersion } from '../../schemas/builtin-kinds';
import { defaultColumns, humanDuration } from '../../schemas/printers';
import type { KubeObject, TableColumn } from '../../schemas/types';

/** kindColumns finds the columns a built-in kind declares (at any version), if it is one. */
const kindColumns = (group: string, resource: string) => BUILTIN_KINDS.find((k) => k.group === group && k.plural === resource)?.columns;
/** columnsFor is what the server prints for a resource: its kind's columns, or the default table. */
const columnsFor = (group: string, resource: string): TableColumn[] => (kindColumns(group, resource) ?? defaultColumns)();
/** hasDedicatedPrinter says a kind declares columns of its own rather than kube's default table. */
const hasDedicatedPrinter = (group: string, resource: string) => (kindColumns(group, resource) ?? defaultColumns) !== defaultColumns;

const NOW = new Date('2025-01-01T12:00:00Z');
/** ago returns the RFC3339 time ms milliseconds before NOW. */
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString().replace(/\.000Z$/, 'Z');
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** row renders one object through columnsFor and keys the cells by column name. */
function row(group: string, resource: string, obj: KubeObject): Record<string, unknown> {
  return Object.fromEntries(columnsFor(group, resource).map((c) => [c.name, c.cell(obj, NOW)]));
}

const header = (group: string, resource: string, priority = 0) =>
  columnsFor(group, resource).filter((c) => c.priority <= priority).map((c) => c.name.toUpperCase());

describe('humanDuration prints like apimachinery duration.HumanDuration', () => {
  it.each([
    [-2500, '<invalid>'],
    [-1999, '0s'],
    [0, '0s'],
    [5 * S, '5s'],
    [119 * S + 999, '119s'],
    [2 * M, '2m'],
    [2 * M + 30 * S, '2m30s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M, '10m'],
    [10 * M + 59 * S, '10m'],
    [25 * M, '25m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M, '3h5m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [48 * H, '2d'],
    [50 * H, '2d2h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [731 * D, '2y1d'],
    [8 * 365 * D + 40 * D, '8y'],
  ])('%d ms -> %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

const container = (name: string) => ({ name, image: `${name}:1` });
const running = (name: string, extra: Record<string, unknown> = {}) => ({
  name, ready: true, restartCount: 0, state: { running: { startedAt: ago(10 * M) } }, ...extra,
});
const waiting = (name: string, reason: string, extra: Record<string, unknown> = {}) => ({
  name, ready: false, restartCount: 0, state: { waiting: { reason } }, ...extra,
});
const terminated = (name: string, t: Record<string, unknown>) => ({ name, ready: false, restartCount: 0, state: { terminated: t } });

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(1 * H), ...meta },
    spec: { containers: [container('app')], ...spec },
    status,
  };
}

describe('pod STATUS, READY and RESTARTS', () => {
  const cases: Array<[string, KubeObject, string, string, string]> = [
    ['pending, nothing reported yet', pod({}, { phase: 'Pending' }), '0/1', 'Pending', '0'],
    ['container being created', pod({}, { phase: 'Pending', containerStatuses: [waiting('app', 'ContainerCreating')] }), '0/1', 'ContainerCreating', '0'],
    ['running and ready', pod({}, { phase: 'Running', containerStatuses: [running('app')] }), '1/1', 'Running', '0'],
    [
      'crash looping with restarts',
      pod({}, {
        phase: 'Running',
        containerStatuses: [waiting('app', 'CrashLoopBackOff', { restartCount: 3, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * M) } } })],
      }),
      '0/1', 'CrashLoopBackOff', '3 (5m ago)',
    ],
    ['restarts without a known finish time', pod({}, { phase: 'Running', containerStatuses: [running('app', { restartCount: 2 })] }), '1/1', 'Running', '2'],
    [
      'completed',
      pod({ restartPolicy: 'Never' }, { phase: 'Succeeded', containerStatuses: [terminated('app', { exitCode: 0, reason: 'Completed' })] }),
      '0/1', 'Completed', '0',
    ],
    ['exit code without reason', pod({}, { phase: 'Failed', containerStatuses: [terminated('app', { exitCode: 137 })] }), '0/1', 'ExitCode:137', '0'],
    ['signal without reason', pod({}, { phase: 'Failed', containerStatuses: [terminated('app', { exitCode: 0, signal: 9 })] }), '0/1', 'Signal:9', '0'],
    [
      'terminating',
      pod({}, { phase: 'Running', containerStatuses: [running('app')] }, { deletionTimestamp: ago(10 * S) }),
      '1/1', 'Terminating', '0',
    ],
    [
      'deleted after completion keeps Completed',
      pod({}, { phase: 'Succeeded', containerStatuses: [terminated('app', { exitCode: 0, reason: 'Completed' })] }, { deletionTimestamp: ago(10 * S) }),
      '0/1', 'Completed', '0',
    ],
    ['lost node while deleting', pod({}, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: ago(S) }), '0/1', 'Unknown', '0'],
    [
      'scheduling gated',
      pod({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
      '0/1', 'SchedulingGated', '0',
    ],
    [
      'first init container running',
      pod({ initContainers: [container('init')] }, { phase: 'Pending', initContainerStatuses: [running('init', { ready: false })], containerStatuses: [waiting('app', 'PodInitializing')] }),
      '0/1', 'Init:0/1', '0',
    ],
    [
      'second of two init containers pending',
      pod(
        { initContainers: [container('a'), container('b')] },
        { phase: 'Pending', initContainerStatuses: [terminated('a', { exitCode: 0, reason: 'Completed' }), waiting('b', 'PodInitializing')] },
      ),
      '0/1', 'Init:1/2', '0',
    ],
    [
      'init container crash looping',
      pod(
        { initContainers: [container('init')] },
        { phase: 'Pending', initContainerStatuses: [waiting('init', 'CrashLoopBackOff', { restartCount: 4, lastState: { terminated: { exitCode: 1, finishedAt: ago(30 * S) } } })] },
      ),
      '0/1', 'Init:CrashLoopBackOff', '4 (30s ago)',
    ],
    [
      'init container failed',
      pod({ initContainers: [container('init')] }, { phase: 'Failed', initContainerStatuses: [terminated('init', { exitCode: 1, reason: 'Error' })] }),
      '0/1', 'Init:Error', '0',
    ],
    [
      'init container failed without reason',
      pod({ initContainers: [container('init')] }, { phase: 'Pending', initContainerStatuses: [terminated('init', { exitCode: 2 })] }),
      '0/1', 'Init:ExitCode:2', '0',
    ],
    [
      'init done, main container initializing',
      pod(
        { initContainers: [container('init')] },
        { phase: 'Pending', initContainerStatuses: [terminated('init', { exitCode: 0, reason: 'Completed' })], containerStatuses: [waiting('app', 'PodInitializing')] },
      ),
      '0/1', 'PodInitializing', '0',
    ],
    [
      'sidecar counts as a container and its restarts count',
      pod(
        { initContainers: [{ ...container('proxy'), restartPolicy: 'Always' }] },
        {
          phase: 'Running',
          initContainerStatuses: [running('proxy', { started: true, restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * H) } } })],
          containerStatuses: [running('app')],
        },
      ),
      '2/2', 'Running', '1 (120m ago)',
    ],
    [
      'the first container in spec order decides the reason',
      pod(
        { containers: [container('a'), container('b')] },
        { phase: 'Running', containerStatuses: [waiting('a', 'ImagePullBackOff'), waiting('b', 'CrashLoopBackOff')] },
      ),
      '0/2', 'ImagePullBackOff', '0',
    ],
    [
      'a completed container next to a running one is NotReady without the Ready condition',
      pod(
        { containers: [container('a'), container('b')] },
        { phase: 'Running', containerStatuses: [terminated('a', { exitCode: 0, reason: 'Completed' }), running('b')] },
      ),
      '1/2', 'NotReady', '0',
    ],
    [
      '... and Running with it',
      pod(
        { containers: [container('a'), container('b')] },
        { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [terminated('a', { exitCode: 0, reason: 'Completed' }), running('b')] },
      ),
      '1/2', 'Running', '0',
    ],
  ];
  it.each(cases)('%s', (_name, obj, ready, status, restarts) => {
    const r = row('', 'pods', obj);
    expect([r.Ready, r.Status, r.Restarts, r.Age]).toEqual([ready, status, restarts, '60m']);
  });

  it('prints the wide columns, <none> when unset', () => {
    const obj = pod({ nodeName: 'i-123', readinessGates: [{ conditionType: 'example.com/lb' }] }, {
      phase: 'Running', podIPs: [{ ip: '10.0.0.7' }], conditions: [{ type: 'example.com/lb', status: 'True' }],
    });
    const r = row('', 'pods', obj);
    expect([r.IP, r.Node, r['Nominated Node'], r['Readiness Gates']]).toEqual(['10.0.0.7', 'i-123', '<none>', '1/1']);
    expect(row('', 'pods', pod({}, {})).IP).toBe('<none>');
  });

  it('has kubectl\'s headers, wide ones at priority 1', () => {
    expect(header('', 'pods')).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(header('', 'pods', 1)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
  });
});

describe('workload printers', () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [container('web'), container('log')] } };

  it('deployment READY is ready/desired, wide shows containers, images and the selector string', () => {
    const d: KubeObject = {
      metadata: { name: 'web', creationTimestamp: ago(3 * D) },
      spec: {
        replicas: 3, template,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }, { key: 'canary', operator: 'DoesNotExist' }] },
      },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    expect(row('apps', 'deployments', d)).toEqual({
      Name: 'web', Ready: '2/3', 'Up-to-date': 3, Available: 2, Age: '3d',
      Containers: 'web,log', Images: 'web:1,log:1', Selector: 'app=web,!canary,tier in (a,b)',
    });
    expect(header('apps', 'deployments')).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  });

  it('replicaset and statefulset columns', () => {
    const rs: KubeObject = { metadata: { name: 'rs' }, spec: { replicas: 2, template, selector: {} }, status: { replicas: 2, readyReplicas: 1 } };
    expect(row('apps', 'replicasets', rs)).toMatchObject({ Desired: 2, Current: 2, Ready: 1, Age: '<unknown>', Selector: '<none>' });
    const sts: KubeObject = { metadata: { name: 'db' }, spec: { template }, status: { readyReplicas: 1 } };
    expect(row('apps', 'statefulsets', sts)).toMatchObject({ Ready: '1/1' });
  });

  const job = (spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject => ({
    metadata: { name: 'j', creationTimestamp: ago(10 * M), ...meta }, spec: { template, ...spec }, status,
  });
  it.each<[string, KubeObject, string, string, string]>([
    ['running with completions', job({ completions: 3, parallelism: 1 }, { startTime: ago(3 * M), succeeded: 1, active: 1 }), 'Running', '1/3', '3m'],
    ['parallel without completions', job({ parallelism: 2 }, { startTime: ago(90 * S) }), 'Running', '0/1 of 2', '90s'],
    [
      'complete, duration from start to completion',
      job({ completions: 1 }, { startTime: ago(9 * M), completionTime: ago(7 * M), succeeded: 1, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] }),
      'Complete', '1/1', '2m',
    ],
    ['failed', job({ completions: 1 }, { startTime: ago(M), conditions: [{ type: 'Failed', status: 'True' }] }), 'Failed', '0/1', '60s'],
    ['suspended, never started', job({ completions: 1, suspend: true }, { conditions: [{ type: 'Suspended', status: 'True' }] }), 'Suspended', '0/1', ''],
    ['failure target', job({ completions: 1 }, { startTime: ago(M), conditions: [{ type: 'FailureTarget', status: 'True' }] }), 'FailureTarget', '0/1', '60s'],
    ['terminating', job({ completions: 1 }, {}, { deletionTimestamp: ago(S) }), 'Terminating', '0/1', ''],
  ])('job %s', (_name, obj, status, completions, duration) => {
    expect(row('batch', 'jobs', obj)).toMatchObject({ Status: status, Completions: completions, Duration: duration, Age: '10m' });
  });

  it('job and cronjob headers', () => {
    expect(header('batch', 'jobs')).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(header('batch', 'cronjobs')).toEqual(['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
  });

  it('cronjob cells', () => {
    const cj: KubeObject = {
      metadata: { name: 'c', creationTimestamp: ago(2 * H) },
      spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template } } },
      status: { active: [{ name: 'c-1' }], lastScheduleTime: ago(4 * M) },
    };
    expect(row('batch', 'cronjobs', cj)).toMatchObject({ Schedule: '*/5 * * * *', Timezone: '<none>', Suspend: 'False', Active: 1, 'Last Schedule': '4m', Selector: '<none>' });
  });
});

describe('service printer', () => {
  const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject => ({ metadata: { name: 's', creationTimestamp: ago(5 * S) }, spec, status });
  it.each<[string, KubeObject, Record<string, unknown>]>([
    [
      'node ports after the port',
      svc({ type: 'NodePort', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }, { port: 443, nodePort: 30443, protocol: 'TCP' }], selector: { app: 'web' } }),
      { Type: 'NodePort', 'Cluster-IP': '10.96.0.10', 'External-IP': '<none>', 'Port(s)': '80/TCP,443:30443/TCP', Age: '5s', Selector: 'app=web' },
    ],
    ['headless without ports', svc({ type: 'ClusterIP', clusterIPs: ['None'] }), { 'Cluster-IP': 'None', 'Port(s)': '<none>', Selector: '<none>' }],
    ['pending load balancer', svc({ type: 'LoadBalancer', clusterIPs: ['10.96.0.11'], ports: [{ port: 53, nodePort: 31000, protocol: 'UDP' }] }), { 'External-IP': '<pending>', 'Port(s)': '53:31000/UDP' }],
    [
      'load balancer addresses are sorted and never clipped',
      svc({ type: 'LoadBalancer', ports: [] }, { loadBalancer: { ingress: [{ hostname: 'zz.example.elb.amazonaws.com' }, { ip: '203.0.113.9' }] } }),
      { 'External-IP': '203.0.113.9,zz.example.elb.amazonaws.com', 'Cluster-IP': '<none>' },
    ],
    ['external name', svc({ type: 'ExternalName', externalName: 'db.example.com' }), { 'External-IP': 'db.example.com' }],
  ])('%s', (_name, obj, want) => {
    expect(row('', 'services', obj)).toMatchObject(want);
  });
});

describe('other core printers', () => {
  it('configmaps, secrets, serviceaccounts and namespaces', () => {
    const meta = { name: 'x', creationTimestamp: ago(25 * M) };
    expect(row('', 'configmaps', { metadata: meta, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })).toEqual({ Name: 'x', Data: 3, Age: '25m' });
    expect(row('', 'secrets', { metadata: meta, type: 'Opaque', data: { a: 'MQ==' } })).toEqual({ Name: 'x', Type: 'Opaque', Data: 1, Age: '25m' });
    expect(row('', 'serviceaccounts', { metadata: meta })).toEqual({ Name: 'x', Secrets: 0, Age: '25m' });
    expect(row('', 'namespaces', { metadata: meta, status: { phase: 'Active' } })).toEqual({ Name: 'x', Status: 'Active', Age: '25m' });
  });

  it('endpoints list at most three addresses', () => {
    const ep: KubeObject = {
      metadata: { name: 'e' },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }],
    };
    expect(row('', 'endpoints', ep).Endpoints).toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...');
    expect(row('', 'endpoints', { metadata: { name: 'e' } }).Endpoints).toBe('<none>');
  });

  it('resourcequotas print AGE before REQUEST and LIMIT in 1.32', () => {
    expect(header('', 'resourcequotas')).toEqual(['NAME', 'AGE', 'REQUEST', 'LIMIT']);
    const q: KubeObject = {
      metadata: { name: 'q', creationTimestamp: ago(D) },
      status: { hard: { 'requests.cpu': '2', pods: '10', 'limits.memory': '4Gi' }, used: { 'requests.cpu': '500m', 'limits.memory': '1Gi' } },
    };
    expect(row('', 'resourcequotas', q)).toEqual({ Name: 'q', Age: '24h', Request: 'pods: 0/10, requests.cpu: 500m/2', Limit: 'limits.memory: 1Gi/4Gi' });
  });

  it('core events put NAME last and wide', () => {
    expect(header('', 'events')).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    const ev: KubeObject = {
      metadata: { name: 'p.1', creationTimestamp: ago(H) },
      involvedObject: { kind: 'Pod', name: 'p', fieldPath: 'spec.containers{app}' },
      reason: 'BackOff', type: 'Warning', message: ' Back-off restarting \n', count: 7,
      firstTimestamp: ago(H), lastTimestamp: ago(2 * M), source: { component: 'kubelet', host: 'i-1' },
    };
    expect(row('', 'events', ev)).toEqual({
      'Last Seen': '2m', Type: 'Warning', Reason: 'BackOff', Object: 'pod/p', Subobject: 'spec.containers{app}',
      Source: 'kubelet, i-1', Message: 'Back-off restarting', 'First Seen': '60m', Count: 7, Name: 'p.1',
    });
  });

  it('events.k8s.io events print through the same columns', () => {
    const ev: KubeObject = {
      apiVersion: 'events.k8s.io/v1', metadata: { name: 'e.1' },
      regarding: { kind: 'Deployment', name: 'web' }, reason: 'ScalingReplicaSet', type: 'Normal', note: 'Scaled up',
      eventTime: '2025-01-01T11:59:30.000000Z', reportingController: 'deployment-controller', reportingInstance: '',
    };
    expect(row('events.k8s.io', 'events', ev)).toMatchObject({
      'Last Seen': '30s', Object: 'deployment/web', Message: 'Scaled up', Source: 'deployment-controller', Count: 1, 'First Seen': '30s',
    });
  });
});

describe('non-core printers', () => {
  const meta = { name: 'x', creationTimestamp: ago(2 * H), annotations: {} as Record<string, string> };
  it.each<[string, string, KubeObject, Record<string, unknown>]>([
    [
      'autoscaling', 'horizontalpodautoscalers (v2 metrics, two shown)',
      {
        metadata: meta,
        spec: {
          scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 5,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
            { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
            { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Gi' } } },
          ],
        },
        status: { currentReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 41 } } }] },
      },
      { Reference: 'Deployment/web', Targets: 'cpu: 41%/80%, <unknown>/10 + 1 more...', MinPods: '2', MaxPods: 5, Replicas: 3 },
    ],
    [
      'autoscaling', 'horizontalpodautoscalers (v1 CPU fields)',
      { metadata: meta, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 4, targetCPUUtilizationPercentage: 50 }, status: { currentReplicas: 1 } },
      { Targets: 'cpu: <unknown>/50%', MinPods: '<unset>' },
    ],
    ['policy', 'poddisruptionbudgets', { metadata: meta, spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } }, { 'Min Available': '50%', 'Max Unavailable': 'N/A', 'Allowed Disruptions': 1 }],
    [
      'networking.k8s.io', 'ingresses',
      { metadata: meta, spec: { rules: [{}, { host: 'a' }, { host: 'b' }, { host: 'c' }, { host: 'd' }], tls: [{}] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } },
      { Class: '<none>', Hosts: 'a,b,c + 2 more...', Address: '1.2.3.4', Ports: '80, 443' },
    ],
    ['networking.k8s.io', 'networkpolicies', { metadata: meta, spec: { podSelector: {} } }, { 'Pod-Selector': '<none>' }],
    [
      'storage.k8s.io', 'storageclasses',
      { metadata: { ...meta, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'nodeless.io/local' },
      { Name: 'x (default)', Provisioner: 'nodeless.io/local', ReclaimPolicy: 'Delete', VolumeBindingMode: 'Immediate', AllowVolumeExpansion: false },
    ],
    [
      'rbac.authorization.k8s.io', 'rolebindings',
      {
        metadata: meta, roleRef: { kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'User', name: 'ann' }, { kind: 'ServiceAccount', namespace: 'ci', name: 'bot' }, { kind: 'Group', name: 'devs' }, { kind: 'User', name: 'bob' }],
      },
      { Role: 'ClusterRole/view', Age: '120m', Users: 'ann, bob', Groups: 'devs', ServiceAccounts: 'ci/bot' },
    ],
    [
      'certificates.k8s.io', 'certificatesigningrequests',
      { metadata: meta, spec: { signerName: 'kubernetes.io/kube-apiserver-client', username: 'ann', expirationSeconds: 86400 }, status: { conditions: [{ type: 'Approved' }], certificate: 'LS0t' } },
      { SignerName: 'kubernetes.io/kube-apiserver-client', Requestor: 'ann', RequestedDuration: '24h', Condition: 'Approved,Issued' },
    ],
    [
      'apps', 'controllerrevisions',
      { metadata: { ...meta, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', controller: true }] }, revision: 3 },
      { Controller: 'statefulset.apps/db', Revision: 3 },
    ],
    [
      '', 'persistentvolumeclaims',
      { metadata: meta, spec: { volumeName: 'pv-1', storageClassName: 'fast' }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'] } },
      { Status: 'Bound', Volume: 'pv-1', Capacity: '1Gi', 'Access Modes': 'RWO,RWX', StorageClass: 'fast', VolumeAttributesClass: '<unset>', VolumeMode: '<unset>' },
    ],
    [
      '', 'persistentvolumes',
      { metadata: { ...meta, deletionTimestamp: ago(S) }, spec: { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'ns', name: 'c' } }, status: { phase: 'Bound' } },
      { Capacity: '5Gi', 'Access Modes': 'RWO', 'Reclaim Policy': 'Retain', Status: 'Terminating', Claim: 'ns/c', Reason: '' },
    ],
    [
      '', 'nodes',
      { metadata: { ...meta, labels: { 'node-role.kubernetes.io/control-plane': '' } }, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }], nodeInfo: { kubeletVersion: 'v1.32.0' } } },
      { Status: 'NotReady,SchedulingDisabled', Roles: 'control-plane', Version: 'v1.32.0', 'Internal-IP': '<none>', 'OS-Image': '<unknown>' },
    ],
    [
      'discovery.k8s.io', 'endpointslices',
      { metadata: meta, addressType: 'IPv4', ports: [{ port: 80 }, { name: 'dns' }], endpoints: [{ addresses: ['10.0.0.1'] }] },
      { AddressType: 'IPv4', Ports: '80,dns', Endpoints: '10.0.0.1' },
    ],
  ])('%s %s', (group, label, obj, want) => {
    expect(row(group, label.split(' ')[0], obj)).toMatchObject(want);
  });
});

describe('default table convertor', () => {
  it('prints NAME and CREATED AT as an RFC3339 date', () => {
    const cols = defaultColumns();
    expect(cols.map((c) => [c.name, c.type])).toEqual([['Name', 'string'], ['Created At', 'date']]);
    expect(cols[1].cell({ metadata: { name: 'r', creationTimestamp: '2024-03-04T05:06:07Z' } }, NOW)).toBe('2024-03-04T05:06:07Z');
    expect(cols[1].cell({ metadata: { name: 'r' } }, NOW)).toBe('0001-01-01T00:00:00Z');
  });

  it.each([
    ['rbac.authorization.k8s.io', 'roles'],
    ['rbac.authorization.k8s.io', 'clusterroles'],
    ['', 'limitranges'],
    ['apiextensions.k8s.io', 'customresourcedefinitions'],
    ['example.com', 'widgets'],
  ])('%s/%s uses it', (group, resource) => {
    expect(hasDedicatedPrinter(group, resource)).toBe(false);
    expect(header(group, resource, 1)).toEqual(['NAME', 'CREATED AT']);
  });
});

describe('every built-in kind has columns', () => {
  it.each(BUILTIN_KINDS.map((k) => [`${k.group || 'core'}/${k.version}/${k.plural}`, k] as const))('%s', (_id, k) => {
    const cols = columnsFor(k.group, k.plural);
    expect(cols.some((c) => c.name === 'Name' && c.format === 'name')).toBe(true);
    for (const c of cols) {
      expect(c.description.length).toBeGreaterThan(0);
      expect(['string', 'integer', 'number', 'boolean', 'date']).toContain(c.type);
      expect([0, 1]).toContain(c.priority);
      // An empty object never makes a cell throw.
      expect(() => c.cell({}, NOW)).not.toThrow();
    }
  });
});

describe('BUILTIN_KINDS discovery facts', () => {
  const find = (group: string, plural: string) => BUILTIN_KINDS.find((k) => k.group === group && k.plural === plural)!;

  it('carries `all` on exactly the kinds the 1.32 server puts in it', () => {
    const all = BUILTIN_KINDS.filter((k) => k.categories.includes('all')).map((k) => `${k.group}/${k.version}/${k.plural}`);
    expect(all.sort()).toEqual([
      '/v1/pods', '/v1/replicationcontrollers', '/v1/services',
      'apps/v1/daemonsets', 'apps/v1/deployments', 'apps/v1/replicasets', 'apps/v1/statefulsets',
      'autoscaling/v1/horizontalpodautoscalers', 'autoscaling/v2/horizontalpodautoscalers',
      'batch/v1/cronjobs', 'batch/v1/jobs',
    ]);
  });

  it('namespaces lack deletecollection; reviews only take create; everything else has the full verb set', () => {
    expect(find('', 'namespaces').verbs).toEqual(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
    const reviews = BUILTIN_KINDS.filter((x) => x.group === 'authentication.k8s.io' || x.group === 'authorization.k8s.io');
    expect(reviews.map((k) => k.plural).sort()).toEqual(['localsubjectaccessreviews', 'selfsubjectaccessreviews', 'selfsubjectreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews', 'tokenreviews']);
    for (const k of reviews) expect(k.verbs).toEqual(['create']);
    for (const k of BUILTIN_KINDS.filter((x) => x.plural !== 'namespaces' && !reviews.includes(x))) expect(k.verbs).toEqual(ALL_VERBS);
  });

  it('names subresources, short names and OpenAPI definitions', () => {
    expect(find('apps', 'deployments').subresources.scale).toEqual({ specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' });
    expect(find('', 'namespaces').subresources).toEqual({ status: true, finalize: true });
    expect(find('certificates.k8s.io', 'certificatesigningrequests').subresources).toEqual({ status: true, approval: true });
    expect(find('apiextensions.k8s.io', 'customresourcedefinitions')).toMatchObject({
      shortNames: ['crd', 'crds'], categories: ['api-extensions'], definitionName: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
    });
    expect(find('events.k8s.io', 'events').definitionName).toBe('io.k8s.api.events.v1.Event');
    expect(find('rbac.authorization.k8s.io', 'roles').definitionName).toBe('io.k8s.api.rbac.v1.Role');
    expect(find('', 'endpoints').singular).toBe('endpoints');
  });

  it('prefers autoscaling/v2 and orders groups like /apis', () => {
    expect(preferredVersion('autoscaling')).toBe('v2');
    expect(preferredVersion('')).toBe('v1');
    expect(preferredVersion('flowcontrol.apiserver.k8s.io')).toBeUndefined();
    for (const k of BUILTIN_KINDS) if (k.group !== '') expect(API_GROUP_ORDER).toContain(k.group);
    expect(API_GROUP_ORDER.slice(0, 3)).toEqual(['apiregistration.k8s.io', 'apps', 'events.k8s.io']);
  });
});
