import { FakeClock } from '../../controllers/instances/clock';
import { defaultCatalog } from '../../controllers/instances/catalog';
import type { ContainerStatus, Pod, PodStatus } from '../../controllers/instances/pod';
import { kubeletPodStatus, podPhase, unschedulablePodStatus } from '../../controllers/instances/pod-status';
import type { InstanceStatus } from '../../controllers/instances/providers/provider';
import { SimulatedProvider } from '../../controllers/instances/providers/simulated';
import { decideSize } from '../../controllers/instances/sizing';
import { annotation } from '../../controllers/instances/annotations';
import { container, pod } from './fixtures';

const t0 = Date.UTC(2024, 0, 1);
const running = (name: string, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({ name, state: { running: { startedAt: '2024-01-01T00:00:01Z' } }, lastState: {}, ready: true, restartCount: 0, image: 'docker.io/library/nginx:1.25', imageID: 'x', started: true, ...extra });
const terminated = (name: string, exitCode: number, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({ name, state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', finishedAt: '2024-01-01T00:00:02Z' } }, lastState: {}, ready: false, restartCount: 0, image: 'nginx', imageID: 'x', started: false, ...extra });
const instance = (phase: InstanceStatus['phase'], containers: ContainerStatus[], initContainers: ContainerStatus[] = []): InstanceStatus => ({ instanceId: 'i-1', podUID: 'uid-p', podKey: 'default/p', phase, hostIP: '172.16.0.2', createdAt: '2024-01-01T00:00:00.000Z', initContainers, containers });
const cond = (s: PodStatus, type: string) => s.conditions!.find((c) => c.type === type)!;

describe('pod phase (kubelet getPhase)', () => {
  const never = pod('p', { restartPolicy: 'Never', containers: [container('a'), container('b')] });
  it('is Failed under Never when every container stopped and one failed, Succeeded when all succeeded', () => {
    expect(podPhase(never, [], [terminated('a', 0), terminated('b', 1)], false)).toBe('Failed');
    expect(podPhase(never, [], [terminated('a', 0), terminated('b', 0)], false)).toBe('Succeeded');
    expect(podPhase(never, [], [terminated('a', 0), running('b')], false)).toBe('Running');
  });
  it('is Running under Always while containers restart, Pending while one has not started', () => {
    const always = pod('p', { containers: [container('a')] });
    expect(podPhase(always, [], [terminated('a', 1)], false)).toBe('Running');
    expect(podPhase(always, [], [{ ...terminated('a', 1), state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: terminated('a', 1).state }], false)).toBe('Running');
    expect(podPhase(always, [], [{ ...running('a'), state: { waiting: { reason: 'ContainerCreating' } } }], false)).toBe('Pending');
  });
  it('is Pending while init containers run and Failed under Never when one failed', () => {
    const p = pod('p', { restartPolicy: 'Never', initContainers: [container('init')] });
    expect(podPhase(p, [running('init', { ready: false })], [], false)).toBe('Pending');
    expect(podPhase(p, [terminated('init', 2)], [], false)).toBe('Failed');
    expect(podPhase({ ...p, spec: { ...p.spec, restartPolicy: 'OnFailure' } }, [terminated('init', 2)], [], false)).toBe('Pending');
  });
  it('is terminal for a deleted pod once its containers stopped, whatever the restart policy', () => {
    const always = pod('p', { containers: [container('a')] });
    expect(podPhase(always, [], [terminated('a', 0)], true)).toBe('Succeeded');
    expect(podPhase(always, [], [terminated('a', 137)], true)).toBe('Failed');
  });
});

describe('kubelet pod status', () => {
  const p = pod('p', { containers: [container('web', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' }), container('app')] });

  it('shows a pod whose instance is starting as Pending with ContainerCreating', () => {
    const s = kubeletPodStatus(p, { instance: instance('Pending', []), now: t0 });
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses!.map((c) => [c.name, c.state.waiting?.reason])).toEqual([['app', 'ContainerCreating'], ['web', 'ContainerCreating']]);
    expect(s.conditions!.map((c) => [c.type, c.status])).toEqual([['PodReadyToStartContainers', 'False'], ['Initialized', 'True'], ['Ready', 'False'], ['ContainersReady', 'False'], ['PodScheduled', 'True']]);
    expect(cond(s, 'ContainersReady')).toMatchObject({ reason: 'ContainersNotReady', message: 'containers with unready status: [web app]' });
    expect(s.startTime).toBe('2024-01-01T00:00:00Z');
    expect(s.podIP).toBeUndefined();
    expect(s.qosClass).toBe('Burstable');
  });

  it('shows a running pod Ready with IPs, keeping lastTransitionTime while a condition holds', () => {
    const first = kubeletPodStatus(p, { instance: instance('Pending', []), now: t0 });
    const s = kubeletPodStatus({ ...p, status: first }, { instance: instance('Running', [running('web'), running('app')]), podIP: '10.64.0.2', now: t0 + 5_000 });
    expect(s.phase).toBe('Running');
    expect(s).toMatchObject({ podIP: '10.64.0.2', podIPs: [{ ip: '10.64.0.2' }], hostIP: '172.16.0.2', hostIPs: [{ ip: '172.16.0.2' }], startTime: '2024-01-01T00:00:00Z' });
    expect(s.conditions!.every((c) => c.status === 'True')).toBe(true);
    expect(cond(s, 'Ready').lastTransitionTime).toBe('2024-01-01T00:00:05Z');
    expect(cond(s, 'PodScheduled').lastTransitionTime).toBe('2024-01-01T00:00:00Z');
    expect(cond(s, 'Initialized').lastTransitionTime).toBe('2024-01-01T00:00:00Z');
    expect(cond(s, 'Ready').lastProbeTime).toBeNull();
    const later = kubeletPodStatus({ ...p, status: s }, { instance: instance('Running', [running('web'), running('app', { ready: false })]), podIP: '10.64.0.2', now: t0 + 9_000 });
    expect(cond(later, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]', lastTransitionTime: '2024-01-01T00:00:09Z' });
  });

  it('reports init containers in spec order and app containers by name, with PodInitializing', () => {
    const q = pod('q', { initContainers: [container('zeta'), container('alpha')], containers: [container('b'), container('a')] });
    const s = kubeletPodStatus(q, { instance: instance('Running', [], [terminated('zeta', 0, { ready: true }), running('alpha', { ready: false })]), now: t0 });
    expect(s.phase).toBe('Pending');
    expect(s.initContainerStatuses!.map((c) => c.name)).toEqual(['zeta', 'alpha']);
    expect(s.containerStatuses!.map((c) => [c.name, c.state.waiting?.reason])).toEqual([['a', 'PodInitializing'], ['b', 'PodInitializing']]);
    expect(cond(s, 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [alpha]' });
  });

  it('completes a job pod: Succeeded with PodCompleted, and the phase never reverts', () => {
    const job = pod('j', { restartPolicy: 'Never', containers: [container('a')] });
    const s = kubeletPodStatus(job, { instance: instance('Terminated', [terminated('a', 0)]), now: t0 });
    expect(s.phase).toBe('Succeeded');
    expect(cond(s, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(cond(s, 'PodReadyToStartContainers').status).toBe('False');
    const again = kubeletPodStatus({ ...job, status: s }, { instance: instance('Running', [running('a')]), now: t0 + 1_000 });
    expect(again.phase).toBe('Succeeded');
  });

  it('fails the pod of a lost instance with the reason and a DisruptionTarget condition', () => {
    const s = kubeletPodStatus(p, { instance: { ...instance('Lost', [terminated('web', 137), terminated('app', 137)]), lost: { reason: 'SpotInterruption', message: 'spot instance i-1 was reclaimed' } }, now: t0 });
    expect(s).toMatchObject({ phase: 'Failed', reason: 'SpotInterruption', message: 'Instance i-1 which was running pod p was lost: spot instance i-1 was reclaimed' });
    expect(cond(s, 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'SpotInterruption' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
  });

  it('keeps conditions it does not own and holds Ready for readiness gates', () => {
    const gated: Pod = { ...p, spec: { ...p.spec, readinessGates: [{ conditionType: 'example.com/lb' }] } };
    const inst = instance('Running', [running('web'), running('app')]);
    const s = kubeletPodStatus(gated, { instance: inst, now: t0 });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady', message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist.' });
    const withGate = { ...gated, status: { ...s, conditions: [{ type: 'example.com/lb', status: 'True' as const, lastTransitionTime: '2024-01-01T00:00:00Z' }, ...s.conditions!] } };
    const ready = kubeletPodStatus(withGate, { instance: inst, now: t0 + 1_000 });
    expect(ready.conditions![0].type).toBe('example.com/lb');
    expect(cond(ready, 'Ready').status).toBe('True');
  });

  it('marks an unschedulable pod as kube-scheduler does', () => {
    const s = unschedulablePodStatus(p, '0/78 instance sizes are available: 74 Insufficient cpu.', t0);
    expect(s.phase).toBe('Pending');
    expect(s.conditions).toEqual([{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'Unschedulable', message: '0/78 instance sizes are available: 74 Insufficient cpu.' }]);
    const again = unschedulablePodStatus({ ...p, status: s }, 'still no', t0 + 60_000);
    expect(again.conditions![0]).toMatchObject({ lastTransitionTime: '2024-01-01T00:00:00Z', message: 'still no' });
  });

  it('follows a simulated crash loop: Running phase, not Ready, CrashLoopBackOff with the last state', async () => {
    const clock = new FakeClock(t0);
    const provider = new SimulatedProvider({ clock, startLatencyMs: 1_000 });
    const crash = pod('crash', {}, { annotations: { [annotation.crashLoop]: 'true' } });
    const d = decideSize(crash, defaultCatalog());
    if (!d.schedulable) throw new Error(d.message);
    const inst = await provider.create(crash, d.placement);
    let current: Pod = crash;
    provider.onStatus((st) => (current = { ...current, status: kubeletPodStatus(current, { instance: st, podIP: '10.64.0.9', now: clock.now() }) }));
    clock.advance(3_500);
    const s = current.status!;
    expect(s.phase).toBe('Running');
    expect(s.containerStatuses![0]).toMatchObject({ restartCount: 1, ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } });
    expect(cond(s, 'Ready').status).toBe('False');
    expect(s.podIP).toBe('10.64.0.9');
    await provider.close();
    void inst;
  });
});
