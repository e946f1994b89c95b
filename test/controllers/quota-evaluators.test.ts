/**
 * The quota evaluators and resource-list arithmetic shared by quota admission and the
 * resourcequota controller, checked against what kube's pkg/quota/v1/evaluator/core computes:
 * object count names, a pod's requests and limits (init containers, sidecars, overhead),
 * terminal and expired-deletion pods, hugepages and extended resources, service node ports,
 * claim storage, scopes, and how sums print.
 */
import {
  calculateUsage,
  evaluatorFor,
  isBestEffort,
  matchesScopes,
  objectCountName,
  parseObjectCountName,
  podResources,
  type ResourceQuotaObject,
} from '../../controllers/quota/evaluators';
import { add, lessThanOrEqual, parseResourceList, prettyPrint, serializeResourceList, subtractNonNegative } from '../../controllers/quota/resource-list';
import type { KubeObject } from '../../schemas/types';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const pods = evaluatorFor({ group: '', resource: 'pods' });
const services = evaluatorFor({ group: '', resource: 'services' });
const claims = evaluatorFor({ group: '', resource: 'persistentvolumeclaims' });

function printed(list: Record<string, { toString(): string }>): Record<string, string> {
  return Object.fromEntries(Object.entries(list).map(([k, v]) => [k, v.toString()]));
}

function container(name: string, requests: Record<string, string> = {}, limits: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return { name, image: 'nginx', resources: { requests, limits }, ...extra };
}

function pod(spec: Record<string, unknown>, status: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', ...metadata }, spec, status };
}

describe('object count names', () => {
  it('names count/<resource> in the core group and count/<resource>.<group> elsewhere, and parses them back', () => {
    expect(objectCountName({ group: '', resource: 'pods' })).toBe('count/pods');
    expect(objectCountName({ group: 'apps', resource: 'deployments' })).toBe('count/deployments.apps');
    expect(parseObjectCountName('count/widgets.example.com')).toEqual({ group: 'example.com', resource: 'widgets' });
    expect(parseObjectCountName('count/secrets')).toEqual({ group: '', resource: 'secrets' });
    expect(parseObjectCountName('requests.cpu')).toBeUndefined();
    expect(parseObjectCountName('count/')).toBeUndefined();
  });

  it('counts configmaps under both names, and a kind without an evaluator of its own under its count name only', () => {
    expect(printed(evaluatorFor({ group: '', resource: 'configmaps' }).usage({ apiVersion: 'v1', kind: 'ConfigMap' }, NOW))).toEqual({ 'count/configmaps': '1', configmaps: '1' });
    expect(printed(evaluatorFor({ group: 'batch', resource: 'jobs' }).usage({ apiVersion: 'batch/v1', kind: 'Job' }, NOW))).toEqual({ 'count/jobs.batch': '1' });
    expect(evaluatorFor({ group: 'batch', resource: 'jobs' }).handles('UPDATE')).toBe(false);
  });
});

describe('pod usage', () => {
  it('takes the larger of the largest init container and the containers with their sidecars, plus overhead', () => {
    const p = pod({
      initContainers: [container('init', { cpu: '2', memory: '100Mi' }, { cpu: '2' }), container('sidecar', { cpu: '500m', memory: '200Mi' }, { cpu: '500m' }, { restartPolicy: 'Always' })],
      containers: [container('a', { cpu: '500m', memory: '200Mi' }, { cpu: '1', memory: '1Gi' }), container('b', { cpu: '500m', memory: '200Mi' }, { cpu: '1' })],
      overhead: { cpu: '250m', memory: '64Mi' },
    });
    expect(printed(podResources(p, 'requests'))).toEqual({ cpu: '2250m', memory: '664Mi' });
    // Overhead joins a limit only where the pod sets one: memory is limited in one container only, and so the pod is.
    expect(printed(podResources(p, 'limits'))).toEqual({ cpu: '2750m', memory: '1088Mi' });
    expect(printed(pods.usage(p, NOW))).toEqual({
      'count/pods': '1',
      pods: '1',
      cpu: '2250m',
      'requests.cpu': '2250m',
      memory: '664Mi',
      'requests.memory': '664Mi',
      'limits.cpu': '2750m',
      'limits.memory': '1088Mi',
    });
  });

  it('an init container that runs after a sidecar needs the sidecar beside it', () => {
    const p = pod({
      initContainers: [container('sidecar', { cpu: '1' }, {}, { restartPolicy: 'Always' }), container('migrate', { cpu: '1500m' })],
      containers: [container('app', { cpu: '500m' })],
    });
    // sidecar + migrate = 2.5 > sidecar + app = 1.5
    expect(podResources(p, 'requests').cpu.toString()).toBe('2500m');
  });

  it('charges hugepages as themselves and as requests, extended resources as requests only', () => {
    const p = pod({ containers: [container('a', { 'hugepages-2Mi': '4Mi', 'nvidia.com/gpu': '2', 'ephemeral-storage': '1Gi' }, { 'hugepages-2Mi': '4Mi', 'nvidia.com/gpu': '2' })] });
    expect(printed(pods.usage(p, NOW))).toEqual({
      'count/pods': '1',
      pods: '1',
      'hugepages-2Mi': '4Mi',
      'requests.hugepages-2Mi': '4Mi',
      'requests.nvidia.com/gpu': '2',
      'ephemeral-storage': '1Gi',
      'requests.ephemeral-storage': '1Gi',
    });
    expect(pods.matchingResources(['requests.nvidia.com/gpu', 'nvidia.com/gpu', 'limits.cpu', 'requests.storage', 'hugepages-2Mi'])).toEqual(['requests.nvidia.com/gpu', 'limits.cpu', 'hugepages-2Mi']);
  });

  it('stops charging compute once a pod is terminal or its deletion grace period has run out', () => {
    const spec = { containers: [container('a', { cpu: '1' })] };
    expect(printed(pods.usage(pod(spec, { phase: 'Succeeded' }), NOW))).toEqual({ 'count/pods': '1' });
    expect(printed(pods.usage(pod(spec, { phase: 'Failed' }), NOW))).toEqual({ 'count/pods': '1' });
    const deleting = (seconds: number) => pod(spec, { phase: 'Running' }, { deletionTimestamp: '2026-06-01T11:59:00Z', deletionGracePeriodSeconds: seconds });
    expect(pods.usage(deleting(120), NOW).pods?.toString()).toBe('1');
    expect(printed(pods.usage(deleting(30), NOW))).toEqual({ 'count/pods': '1' });
  });

  it('names every container missing a required cpu or memory value, and ignores other resources', () => {
    const p = pod({ containers: [container('a', { cpu: '1' }), container('b', {}, { memory: '1Gi' })], initContainers: [container('init')] });
    expect(pods.constraints(['requests.cpu', 'limits.memory', 'requests.storage', 'requests.nvidia.com/gpu'], p)).toBe('must specify limits.memory for: a,init; requests.cpu for: b,init');
    expect(pods.constraints(['pods', 'requests.ephemeral-storage'], p)).toBeUndefined();
  });
});

describe('scopes', () => {
  const quota = (scopes: string[], matchExpressions: unknown[] = []): ResourceQuotaObject => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: '10' }, scopes, scopeSelector: { matchExpressions: matchExpressions as never } } });

  it('judges BestEffort by cpu and memory only', () => {
    expect(isBestEffort(pod({ containers: [container('a', { 'ephemeral-storage': '1Gi' })] }))).toBe(true);
    expect(isBestEffort(pod({ containers: [container('a', {}, { memory: '1Gi' })] }))).toBe(false);
    expect(isBestEffort(pod({ containers: [container('a')], initContainers: [container('i', { cpu: '100m' })] }))).toBe(false);
    expect(isBestEffort(pod({ containers: [container('a', { cpu: '0' })] }))).toBe(true);
  });

  it('matches Terminating by activeDeadlineSeconds and CrossNamespacePodAffinity by namespaces or a namespaceSelector', () => {
    const terminating = pod({ activeDeadlineSeconds: 0, containers: [container('a')] });
    expect(matchesScopes(pods, quota(['Terminating', 'BestEffort']), terminating)).toBe(true);
    expect(matchesScopes(pods, quota(['NotTerminating']), terminating)).toBe(false);
    const affinity = pod({
      containers: [container('a')],
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'zone', namespaceSelector: {} } }] } },
    });
    expect(matchesScopes(pods, quota(['CrossNamespacePodAffinity']), affinity)).toBe(true);
    expect(matchesScopes(pods, quota(['CrossNamespacePodAffinity']), terminating)).toBe(false);
  });

  it('counts nothing but pods in a scoped quota', () => {
    const q = { ...quota(['NotBestEffort']), spec: { hard: { configmaps: '5', pods: '5' }, scopes: ['NotBestEffort'] } };
    const objects: Record<string, KubeObject[]> = {
      configmaps: [{ apiVersion: 'v1', kind: 'ConfigMap' }],
      pods: [pod({ containers: [container('a', { cpu: '1' })] }), pod({ containers: [container('b')] })],
    };
    expect(printed(calculateUsage(q, (gr) => objects[gr.resource] ?? [], NOW))).toEqual({ configmaps: '0', pods: '1' });
  });
});

describe('services and claims', () => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', spec });

  it('counts node ports for NodePort and LoadBalancer services, only the explicit ones when allocation is off', () => {
    const ports = [{ port: 80 }, { port: 443, nodePort: 30443 }];
    expect(printed(services.usage(svc({ type: 'ClusterIP', ports }), NOW))).toMatchObject({ services: '1', 'services.nodeports': '0', 'services.loadbalancers': '0' });
    expect(printed(services.usage(svc({ type: 'NodePort', ports }), NOW))).toMatchObject({ 'services.nodeports': '2', 'services.loadbalancers': '0' });
    expect(printed(services.usage(svc({ type: 'LoadBalancer', ports }), NOW))).toMatchObject({ 'services.nodeports': '2', 'services.loadbalancers': '1' });
    expect(printed(services.usage(svc({ type: 'LoadBalancer', ports, allocateLoadBalancerNodePorts: false }), NOW))).toMatchObject({ 'services.nodeports': '1', 'services.loadbalancers': '1' });
    expect(services.handles('UPDATE')).toBe(true);
    expect(services.handles('UPDATE', 'status')).toBe(false);
  });

  it('charges a claim the larger of its request and its allocation, by storage class too', () => {
    const claim: KubeObject = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { storageClassName: 'gold', resources: { requests: { storage: '1Gi' } } }, status: { allocatedResources: { storage: '2Gi' } } };
    expect(printed(claims.usage(claim, NOW))).toEqual({
      'count/persistentvolumeclaims': '1',
      persistentvolumeclaims: '1',
      'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
      'requests.storage': '2Gi',
      'gold.storageclass.storage.k8s.io/requests.storage': '2Gi',
    });
  });
});

describe('resource lists', () => {
  it('adds exactly, printing in the first operand format unless it is zero', () => {
    const sum = add(parseResourceList({ cpu: '500m', memory: '0' }), parseResourceList({ cpu: '500m', memory: '500Mi' }));
    expect(serializeResourceList(sum)).toEqual({ cpu: '1', memory: '500Mi' });
    expect(serializeResourceList(add(parseResourceList({ cpu: '100m' }), parseResourceList({ cpu: '0.2' })))).toEqual({ cpu: '300m' });
    expect(serializeResourceList(add(parseResourceList({ memory: '1Gi' }), parseResourceList({ memory: '512Mi' })))).toEqual({ memory: '1536Mi' });
  });

  it('subtracts without going below zero, and compares against hard limits by name', () => {
    expect(serializeResourceList(subtractNonNegative(parseResourceList({ a: '1', b: '5' }), parseResourceList({ a: '3', b: '2' })))).toEqual({ a: '0', b: '3' });
    expect(lessThanOrEqual(parseResourceList({ pods: '3', cpu: '2' }), parseResourceList({ pods: '2', cpu: '2', memory: '1' }))).toEqual({ allowed: false, exceeded: ['pods'] });
    expect(prettyPrint(parseResourceList({ pods: '1', 'limits.cpu': '1500m', cpu: '2' }))).toBe('cpu=2,limits.cpu=1500m,pods=1');
  });
});
