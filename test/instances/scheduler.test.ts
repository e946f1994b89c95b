/**
 * The instance scheduler on the in-process server, with the simulated provider on an injected
 * fake clock: Pods are placed on instances and their lifecycle is reported through pods/status as
 * a kubelet would, with kubelet's events; unschedulable Pods and Pods beyond the account capacity
 * wait with FailedScheduling; graceful deletions finish; a restarted scheduler adopts what runs;
 * a failing provider is retried with backoff.
 */
import { annotation } from '../../controllers/instances/annotations';
import type { Pod } from '../../controllers/instances/pod';
import type { Instance, Provider } from '../../controllers/instances/providers/provider';
import { SimulatedProvider, type SimulatedProviderOptions } from '../../controllers/instances/providers/simulated';
import { InstanceScheduler, instanceClock, type InstanceSchedulerOptions } from '../../controllers/instances/scheduler';
import type { Placement } from '../../controllers/instances/sizing';
import type { InstanceRun } from '../../controllers/instances/ledger';
import { INSTANCE_RUNS } from '../../controllers/instances/run-store';
import { EVENTS, PODS, type Client } from '../../controllers/runtime/client';
import { ControllerManager } from '../../controllers/runtime/manager';
import type { KubeObject } from '../../schemas/types';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeClock } from '../helpers/fake-clock';

let t: TestServer;
let client: Client;
let clock: FakeClock;
let provider: SimulatedProvider;
let managers: ControllerManager[];

beforeEach(async () => {
  t = await startTestServer({ scheduler: false });
  client = t.nodeless.client.withFieldManager('scheduler-test');
  clock = new FakeClock();
  managers = [];
  provider = undefined as unknown as SimulatedProvider;
});
afterEach(async () => {
  for (const m of managers) m.stop();
  await provider?.close();
  await t.close();
});

/** start runs a scheduler (on its own manager) with a simulated provider on the fake clock. */
async function start(options: InstanceSchedulerOptions = {}, sim: SimulatedProviderOptions = {}): Promise<InstanceScheduler> {
  provider ??= new SimulatedProvider({ clock: instanceClock(clock), startLatencyMs: 1_000, ...sim });
  const scheduler = new InstanceScheduler({ provider, logs: t.nodeless.podLogs, ...options });
  const manager = new ControllerManager(t.nodeless.client, { clock });
  managers.push(manager);
  manager.add(scheduler);
  await manager.start();
  return scheduler;
}

function bare(name: string, spec: Record<string, unknown> = {}, annotations: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }], ...spec } };
}

async function get(name: string): Promise<Pod> {
  return (await client.get(PODS, 'default', name)) as unknown as Pod;
}

async function until(name: string, check: (p: Pod) => boolean, what: string): Promise<Pod> {
  return waitFor(async () => {
    const p = await get(name);
    return check(p) && p;
  }, `${name}: ${what}`, 20_000);
}

const condition = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);

async function events(name: string): Promise<Array<{ reason: string; message: string; type: string; count: number; source: { component: string } }>> {
  const list = await client.list(EVENTS, 'default', { fieldSelector: `involvedObject.name=${name}` });
  return list.items as never;
}

async function eventReasons(name: string): Promise<string[]> {
  return (await events(name)).map((e) => e.reason);
}

describe('instance scheduler', () => {
  it('runs a pod on its own instance and reports Running with every condition, IPs, statuses, annotations and events', async () => {
    await start();
    await client.create(PODS, 'default', bare('web'));
    const pending = await until('web', (p) => !!p.metadata.annotations?.[annotation.instanceId] && condition(p, 'PodScheduled')?.status === 'True', 'scheduled');
    expect(pending.status?.phase).toBe('Pending');
    expect(pending.status?.containerStatuses?.[0].state.waiting?.reason).toBe('ContainerCreating');
    expect(condition(pending, 'Ready')?.status).toBe('False');

    await clock.advance(1_000);
    const running = await until('web', (p) => p.status?.phase === 'Running', 'Running');
    for (const type of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready', 'PodScheduled']) {
      expect(condition(running, type)).toMatchObject({ status: 'True', lastTransitionTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    }
    const s = running.status!;
    expect(s.podIP).toMatch(/^10\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d+\.\d+$/);
    expect(s.podIPs).toEqual([{ ip: s.podIP }]);
    expect(s.hostIP).toMatch(/^172\.\d+\.\d+\.\d+$/);
    expect(s.hostIPs).toEqual([{ ip: s.hostIP }]);
    expect(s.startTime).toBeDefined();
    expect(s.qosClass).toBe('BestEffort');
    expect(s.containerStatuses).toEqual([
      expect.objectContaining({
        name: 'app',
        ready: true,
        started: true,
        restartCount: 0,
        image: 'docker.io/library/nginx:1.25',
        imageID: expect.stringMatching(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/),
        containerID: expect.stringMatching(/^simulated:\/\/[0-9a-f]{64}$/),
        state: { running: { startedAt: expect.any(String) } },
      }),
    ]);
    const a = running.metadata.annotations!;
    expect(a[annotation.instanceId]).toMatch(/^i-[0-9a-f]{16}$/);
    expect(a[annotation.instanceSize]).toBeDefined();
    expect(Number(a[annotation.pricePerHour])).toBeGreaterThan(0);
    expect(a[annotation.provider]).toBe('simulated');
    expect(running.spec.nodeName).toBeUndefined();

    await waitFor(async () => (await eventReasons('web')).includes('Started'), 'the Started event');
    const evs = await events('web');
    expect(evs.map((e) => e.reason)).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
    expect(evs[0]).toMatchObject({ type: 'Normal', message: `Successfully assigned default/web to ${a[annotation.instanceId]}`, source: { component: 'instance-scheduler' } });
    expect(evs[1]).toMatchObject({ message: 'Pulling image "nginx:1.25"', source: { component: 'kubelet' } });
    expect(evs[3].message).toBe('Created container app');
    expect(evs[4].message).toBe('Started container app');
  });

  it('with no start latency, places a pod and reports it Running in one pods/status write that carries the instance annotations', async () => {
    await start({}, { startLatencyMs: 0 });
    const stream = await client.watch(PODS, 'default', { resourceVersion: (await client.list(PODS, 'default')).metadata.resourceVersion, fieldSelector: 'metadata.name=once' });
    await client.create(PODS, 'default', bare('once'));
    const writes: Pod[] = [];
    for await (const ev of stream) {
      if (ev.type !== 'MODIFIED') continue;
      writes.push(ev.object as unknown as Pod);
      if ((ev.object as unknown as Pod).status?.phase === 'Running') break;
    }
    stream.close();
    expect(writes).toHaveLength(1);
    expect(writes[0].metadata.annotations?.[annotation.instanceId]).toMatch(/^i-[0-9a-f]{16}$/);
    expect(writes[0].status?.containerStatuses?.[0].state.running).toBeDefined();
    // Its events still come, off the path to Running.
    await waitFor(async () => (await eventReasons('once')).includes('Started'), 'the Started event');
    expect(await eventReasons('once')).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
  });

  it('gives pods running at once distinct pod IPs', async () => {
    await start({}, { startLatencyMs: 0 });
    for (const n of ['a', 'b', 'c']) await client.create(PODS, 'default', bare(n));
    await clock.advance(1);
    const ips = await Promise.all(['a', 'b', 'c'].map(async (n) => (await until(n, (p) => p.status?.phase === 'Running', 'Running')).status!.podIP));
    expect(new Set(ips).size).toBe(3);
  });

  it('completes Job-style pods: restartPolicy Never succeeds, or fails with the exit code', async () => {
    await start();
    await client.create(PODS, 'default', bare('ok', { restartPolicy: 'Never' }));
    await client.create(PODS, 'default', bare('bad', { restartPolicy: 'Never' }, { [annotation.exitCode]: '3' }));
    await until('ok', (p) => !!p.metadata.annotations?.[annotation.instanceId], 'scheduled');
    await until('bad', (p) => !!p.metadata.annotations?.[annotation.instanceId], 'scheduled');
    await clock.advance(1_000);
    await until('ok', (p) => p.status?.phase === 'Running', 'Running');
    await clock.advance(1_000);
    const ok = await until('ok', (p) => p.status?.phase === 'Succeeded', 'Succeeded');
    expect(ok.status?.containerStatuses?.[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(condition(ok, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(condition(ok, 'PodReadyToStartContainers')?.status).toBe('False');
    const bad = await until('bad', (p) => p.status?.phase === 'Failed', 'Failed');
    expect(bad.status?.containerStatuses?.[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(condition(bad, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    // The instances stopped; their logs stay readable until the pods are deleted.
    expect(provider.status(ok.metadata.annotations![annotation.instanceId])?.phase).toBe('Terminated');
  });

  it("crash-loops with kube's backoff: restartCount, lastState, CrashLoopBackOff and BackOff events", async () => {
    await start({}, { startLatencyMs: 0 });
    await client.create(PODS, 'default', bare('crash', {}, { [annotation.crashLoop]: 'true' }));
    await until('crash', (p) => !!p.metadata.annotations?.[annotation.instanceId], 'scheduled');
    await clock.advance(0);
    await until('crash', (p) => p.status?.phase === 'Running', 'Running');
    // Exits after 1 s; the first restart is immediate, the second waits 10 s.
    await clock.advance(1_000);
    await clock.advance(1_000);
    const backingOff = await until('crash', (p) => p.status?.containerStatuses?.[0].state.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff');
    const cs = backingOff.status!.containerStatuses![0];
    expect(cs.restartCount).toBe(1);
    expect(cs.state.waiting?.message).toBe(`back-off 10s restarting failed container=app pod=crash_default(${backingOff.metadata.uid})`);
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(condition(backingOff, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
    await waitFor(async () => (await events('crash')).find((e) => e.reason === 'BackOff'), 'a BackOff event');
    const backoff = (await events('crash')).find((e) => e.reason === 'BackOff')!;
    expect(backoff).toMatchObject({ type: 'Warning', message: `Back-off restarting failed container app in pod crash_default(${backingOff.metadata.uid})` });

    await clock.advance(9_999);
    expect((await get('crash')).status?.containerStatuses?.[0].restartCount).toBe(1);
    await clock.advance(1);
    await until('crash', (p) => p.status?.containerStatuses?.[0].restartCount === 2 && !!p.status.containerStatuses[0].state.running, 'restarted after 10 s');
    await clock.advance(1_000);
    const again = await until('crash', (p) => p.status?.containerStatuses?.[0].state.waiting?.reason === 'CrashLoopBackOff', 'backing off again');
    expect(again.status!.containerStatuses![0].state.waiting?.message).toMatch(/^back-off 20s /);
    // Each start after the first finds the image on the machine.
    const pulled = (await events('crash')).filter((e) => e.reason === 'Pulled').map((e) => e.message);
    expect(pulled).toContain('Container image "nginx:1.25" already present on machine');
  });

  it('leaves an unschedulable pod Pending with PodScheduled=False Unschedulable and a FailedScheduling event', async () => {
    await start();
    await client.create(PODS, 'default', bare('huge', { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '64', memory: '1Ti' } } }] }));
    const p = await until('huge', (x) => condition(x, 'PodScheduled')?.status === 'False', 'Unschedulable');
    expect(p.status?.phase).toBe('Pending');
    const c = condition(p, 'PodScheduled')!;
    expect(c.reason).toBe('Unschedulable');
    expect(c.message).toMatch(/^0\/\d+ instance sizes are available: .*Insufficient cpu/);
    await waitFor(async () => (await eventReasons('huge')).includes('FailedScheduling'), 'FailedScheduling');
    const ev = (await events('huge')).find((e) => e.reason === 'FailedScheduling')!;
    expect(ev).toMatchObject({ type: 'Warning', message: c.message, count: 1 });
    expect(p.metadata.annotations?.[annotation.instanceId]).toBeUndefined();
    expect(provider.instances()).toHaveLength(0);
  });

  it('waits for account capacity and then starts the oldest waiting pod first', async () => {
    await start({ capacity: { instances: 1 } }, { startLatencyMs: 0 });
    await client.create(PODS, 'default', bare('a'));
    await until('a', (p) => !!p.metadata.annotations?.[annotation.instanceId], 'scheduled');
    await client.create(PODS, 'default', bare('b'));
    await client.create(PODS, 'default', bare('c'));
    for (const n of ['b', 'c']) {
      const p = await until(n, (x) => condition(x, 'PodScheduled')?.status === 'False', 'waiting for capacity');
      expect(condition(p, 'PodScheduled')).toMatchObject({ reason: 'Unschedulable', message: expect.stringContaining('account capacity is exhausted: 1/1 instances in use') });
      await waitFor(async () => (await eventReasons(n)).includes('FailedScheduling'), `${n} FailedScheduling`);
    }
    await client.delete(PODS, 'default', 'a');
    await waitFor(async () => {
      try {
        await get('a');
        return false;
      } catch {
        return true;
      }
    }, 'a deleted');
    const b = await until('b', (p) => !!p.metadata.annotations?.[annotation.instanceId], 'b scheduled');
    expect(condition(b, 'PodScheduled')?.status).toBe('True');
    const c = await get('c');
    expect(c.metadata.annotations?.[annotation.instanceId]).toBeUndefined();
    expect(condition(c, 'PodScheduled')?.status).toBe('False');
    expect(provider.instances()).toHaveLength(1);
  });

  it('finishes a graceful deletion: the instance is stopped (Killing) and the pod removed', async () => {
    await start({}, { startLatencyMs: 0 });
    await client.create(PODS, 'default', bare('gone'));
    await clock.advance(0);
    const running = await until('gone', (p) => p.status?.phase === 'Running', 'Running');
    const id = running.metadata.annotations![annotation.instanceId];
    const answered = await client.delete(PODS, 'default', 'gone');
    // Bound to an instance, the pod is deleted gracefully: it is answered with its deletionTimestamp.
    expect(answered?.metadata?.deletionTimestamp).toBeDefined();
    await waitFor(async () => {
      try {
        await get('gone');
        return false;
      } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    }, 'the pod removed');
    expect(provider.status(id)).toBeUndefined();
    await waitFor(async () => (await eventReasons('gone')).includes('Killing'), 'Killing');
    expect((await events('gone')).find((e) => e.reason === 'Killing')).toMatchObject({ message: 'Stopping container app', source: { component: 'kubelet' } });
  });

  it('rebuilds after a restart from annotations, status and the provider, without provisioning twice', async () => {
    const first = await start({}, { startLatencyMs: 0 });
    await client.create(PODS, 'default', bare('keep'));
    await clock.advance(0);
    const before = await until('keep', (p) => p.status?.phase === 'Running', 'Running');
    await waitFor(async () => (await eventReasons('keep')).includes('Started'), 'Started');
    await first.idle();
    managers.shift()!.stop();

    const second = await start({}, { startLatencyMs: 0 });
    await clock.advance(0);
    await second.idle();
    await client.create(PODS, 'default', bare('next'));
    await clock.advance(0);
    const next = await until('next', (p) => p.status?.phase === 'Running', 'Running');
    const after = await get('keep');
    expect(after.metadata.annotations![annotation.instanceId]).toBe(before.metadata.annotations![annotation.instanceId]);
    expect(after.status?.podIP).toBe(before.status?.podIP);
    expect(next.status?.podIP).not.toBe(before.status?.podIP);
    expect(provider.instances().map((s) => s.podKey).sort()).toEqual(['default/keep', 'default/next']);
    const reasons = await eventReasons('keep');
    expect(reasons.filter((r) => r === 'Scheduled')).toHaveLength(1);
    expect((await events('keep')).every((e) => e.count === 1)).toBe(true);
  });

  it('marks the pod when the provider fails to create an instance and retries with backoff', async () => {
    let failures = 2;
    const inner = new SimulatedProvider({ clock: instanceClock(clock), startLatencyMs: 0 });
    provider = inner;
    const flaky: Provider = {
      name: inner.name,
      async create(pod: Pod, placement: Placement): Promise<Instance> {
        if (failures-- > 0) throw new Error('quota service unavailable');
        return inner.create(pod, placement);
      },
      delete: (id, grace) => inner.delete(id, grace),
      status: (id) => inner.status(id),
      instances: () => inner.instances(),
      onStatus: (l) => inner.onStatus(l),
      logs: (id, o) => inner.logs(id, o),
      close: () => inner.close(),
    };
    await start({ provider: flaky });
    await client.create(PODS, 'default', bare('retry'));
    const failed = await until('retry', (p) => condition(p, 'PodScheduled')?.status === 'False', 'marked');
    expect(failed.status?.phase).toBe('Pending');
    expect(condition(failed, 'PodScheduled')).toMatchObject({ reason: 'SchedulerError', message: 'the simulated provider could not create an instance (retrying in 1s): quota service unavailable' });
    await waitFor(async () => (await eventReasons('retry')).includes('FailedScheduling'), 'FailedScheduling');
    await clock.advance(1_000);
    await until('retry', (p) => condition(p, 'PodScheduled')?.message?.includes('retrying in 2s') ?? false, 'the second failure');
    expect(inner.instances()).toHaveLength(0);
    await clock.advance(2_000);
    await until('retry', (p) => !!p.metadata.annotations?.[annotation.instanceId], 'scheduled on the third try');
    await clock.advance(0);
    const running = await until('retry', (p) => p.status?.phase === 'Running', 'Running');
    expect(condition(running, 'PodScheduled')?.status).toBe('True');
    expect(inner.instances()).toHaveLength(1);
  });

  it('serves pods/log from the provider: previous, tailLines, limitBytes, timestamps, sinceTime, and kube\'s errors', async () => {
    await start({}, { startLatencyMs: 0 });
    await client.create(PODS, 'default', bare('logs', {}, { [annotation.crashLoop]: 'true' }));
    await until('logs', (p) => !!p.metadata.annotations?.[annotation.instanceId], 'scheduled');
    await clock.advance(0);
    await clock.advance(1_000);
    await until('logs', (p) => p.status?.containerStatuses?.[0].restartCount === 1, 'restarted');
    const path = '/api/v1/namespaces/default/pods/logs/log';
    const current = await t.api.get(path).expect(200).expect('Content-Type', /^text\/plain/);
    expect(current.text).toBe('[simulated] started container app (image docker.io/library/nginx:1.25, attempt 2)\n');
    const previous = await t.api.get(`${path}?previous=true`).expect(200);
    expect(previous.text).toBe('[simulated] started container app (image docker.io/library/nginx:1.25, attempt 1)\n[simulated] container app exited with code 1 (Error)\n');
    expect((await t.api.get(`${path}?previous=true&tailLines=1`).expect(200)).text).toBe('[simulated] container app exited with code 1 (Error)\n');
    expect((await t.api.get(`${path}?previous=true&limitBytes=11`).expect(200)).text).toBe('[simulated]');
    expect((await t.api.get(`${path}?timestamps=true`).expect(200)).text).toBe(`${new Date(clock.now()).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z')} [simulated] started container app (image docker.io/library/nginx:1.25, attempt 2)\n`);
    expect((await t.api.get(`${path}?sinceTime=2999-01-01T00:00:00Z`).expect(200)).text).toBe('');
    const both = await t.api.get(`${path}?sinceTime=2999-01-01T00:00:00Z&sinceSeconds=5`).expect(422);
    expect(both.body).toMatchObject({ kind: 'Status', reason: 'Invalid', message: expect.stringContaining('at most one of `sinceTime` or `sinceSeconds` may be specified') });
    expect((await t.api.get(`${path}?container=other`).expect(400)).body.message).toBe('container other is not valid for pod logs');
    expect((await t.api.get('/api/v1/namespaces/default/pods/missing/log').expect(404)).body.message).toBe('pods "missing" not found');

    // With no scheduler in this process, an instance's logs cannot be reached, as an unreachable kubelet's.
    managers.shift()!.stop();
    const away = await t.api.get(path).expect(500);
    expect(away.body.message).toMatch(/^Get "https:\/\/[\d.]+:10250\/containerLogs\/default\/logs\/app": no instance scheduler runs in this API server/);
  });

  it('reports a pod whose instance the provider lost as Failed, as kube fails the pods of a lost node', async () => {
    await start({}, { startLatencyMs: 0 });
    await client.create(PODS, 'default', bare('lost'));
    await clock.advance(0);
    const running = await until('lost', (p) => p.status?.phase === 'Running', 'Running');
    provider.injectLoss(running.metadata.annotations![annotation.instanceId]);
    const failed = await until('lost', (p) => p.status?.phase === 'Failed', 'Failed');
    expect(failed.status?.reason).toBe('InstanceLost');
    expect(failed.status?.message).toMatch(/^Instance i-[0-9a-f]{16} which was running pod lost was lost: /);
    expect(condition(failed, 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'InstanceLost' });
    expect(failed.status?.containerStatuses?.[0].state.terminated).toMatchObject({ reason: 'ContainerStatusUnknown', exitCode: 137 });
    await waitFor(async () => (await eventReasons('lost')).includes('InstanceLost'), 'the InstanceLost event');
  });

  it('records each instance run in the durable ledger: opened when the instance starts, closed with its cost', async () => {
    const scheduler = await start({}, { startLatencyMs: 0 });
    await client.create(PODS, 'default', bare('billed'));
    await clock.advance(0);
    const running = await until('billed', (p) => p.status?.phase === 'Running', 'Running');
    const id = running.metadata.annotations![annotation.instanceId];
    const stored = async () => (await client.list(INSTANCE_RUNS, 'default')).items as Array<KubeObject & { spec: InstanceRun }>;
    const open = await waitFor(async () => (await stored()).find((r) => r.spec.instanceId === id), 'the open run', 20_000);
    expect(open.metadata?.name).toBe(`${id}-${running.metadata.uid}`);
    expect(open.spec).toMatchObject({ podName: 'billed', podUID: running.metadata.uid, namespace: 'default', workload: { kind: 'Pod', name: 'billed' }, size: running.metadata.annotations![annotation.instanceSize], start: new Date(clock.now()).toISOString() });
    expect(open.spec.stop).toBeUndefined();

    await clock.advance(90_000);
    await client.delete(PODS, 'default', 'billed');
    const closed = await waitFor(async () => (await stored()).find((r) => r.spec.instanceId === id && r.spec.stop), 'the closed run', 20_000);
    expect(closed.spec.stopReason).toBe('Deleted');
    expect(Date.parse(closed.spec.stop!) - Date.parse(closed.spec.start)).toBe(90_000);
    expect(closed.spec.cost).toBeCloseTo(closed.spec.pricePerSecond * 90, 12);
    expect(closed.spec.pricePerSecond * 3600).toBeCloseTo(Number(running.metadata.annotations![annotation.pricePerHour]), 5);
    expect(scheduler.ledger!.index.get(id)?.cost).toBe(closed.spec.cost);
    expect(scheduler.ledger!.unsaved).toBe(0);
  });

  it('places a pod again, keeping its IP, when a restarted provider no longer has its instance', async () => {
    await start({}, { startLatencyMs: 0 });
    await client.create(PODS, 'default', bare('again'));
    await clock.advance(0);
    const before = await until('again', (p) => p.status?.phase === 'Running', 'Running');
    await waitFor(async () => (await eventReasons('again')).includes('Started'), 'Started');
    managers.shift()!.stop();
    await provider.close();

    // A new provider knows nothing of the old instances, as after a restart of the server.
    provider = new SimulatedProvider({ clock: instanceClock(clock), startLatencyMs: 0, seed: 99 });
    await start();
    await clock.advance(0);
    const oldId = before.metadata.annotations![annotation.instanceId];
    const after = await until('again', (p) => p.metadata.annotations![annotation.instanceId] !== oldId && p.status?.phase === 'Running', 'Running on a new instance');
    expect(after.status?.podIP).toBe(before.status?.podIP);
    expect(after.status?.containerStatuses?.[0].containerID).not.toBe(before.status?.containerStatuses?.[0].containerID);
    expect(provider.instances().map((s) => s.instanceId)).toEqual([after.metadata.annotations![annotation.instanceId]]);
    await waitFor(async () => (await eventReasons('again')).filter((r) => r === 'Started').length === 2, 'Started again');
    const lost = (await events('again')).find((e) => e.reason === 'InstanceLost')!;
    expect(lost).toMatchObject({ type: 'Warning', message: `Instance ${oldId} is gone: the simulated provider no longer has it; the pod is placed on a new instance` });
  });
});
