/**
 * The event recorder: core/v1 Events as kube-controller-manager writes them, repeats
 * aggregated into one Event (count, lastTimestamp), and what the real kubectl shows of them.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEPLOYMENTS, EVENTS, type Client } from '../../controllers/runtime/client';
import { EventRecorder } from '../../controllers/runtime/events';
import type { KubeObject } from '../../schemas/types';
import { listenURL, startTestServer, type TestServer } from '../helpers/api-server';
import { FakeClock } from '../helpers/fake-clock';

const run = promisify(execFile);

let server: TestServer;
let client: Client;

// The recorder writes events about Deployments that no Deployment controller must act on.
beforeAll(async () => {
  server = await startTestServer({ controllers: false });
  client = server.nodeless.client.withFieldManager('event-test');
});
afterAll(async () => {
  await server.close();
});

async function createDeployment(name: string): Promise<KubeObject> {
  return client.create(DEPLOYMENTS, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  });
}

describe('EventRecorder', () => {
  it('writes a core/v1 Event with the involved object, source and reporting controller', async () => {
    const clock = new FakeClock();
    const d = await createDeployment('ev-one');
    const recorder = new EventRecorder(client, { component: 'deployment-controller', instance: 'host-1', clock });
    await recorder.eventf(d, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set %s to %d', 'ev-one-abc', 3);
    const events = await client.list(EVENTS, 'default', { fieldSelector: 'involvedObject.name=ev-one' });
    expect(events.items).toHaveLength(1);
    const ev = events.items[0];
    expect(ev).toMatchObject({
      type: 'Normal',
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set ev-one-abc to 3',
      count: 1,
      involvedObject: { kind: 'Deployment', apiVersion: 'apps/v1', namespace: 'default', name: 'ev-one', uid: d.metadata!.uid },
      source: { component: 'deployment-controller', host: 'host-1' },
      reportingComponent: 'deployment-controller',
      reportingInstance: 'host-1',
      firstTimestamp: new Date(clock.now()).toISOString().replace('.000', ''),
    });
    expect(ev.metadata?.name).toMatch(/^ev-one\.[0-9a-f]+$/);
    expect(ev.metadata?.managedFields?.[0]?.manager).toBe('event-test');
  });

  it('aggregates repeats into one Event with a count and the last timestamp, and keeps distinct messages apart', async () => {
    const clock = new FakeClock();
    const d = await createDeployment('ev-repeat');
    const recorder = new EventRecorder(client, { component: 'deployment-controller', clock });
    const first = new Date(clock.now()).toISOString().replace('.000', '');
    await recorder.event(d, 'Warning', 'FailedCreate', 'quota exceeded');
    await clock.advance(60_000);
    // A burst of repeats, not awaited one by one, still makes one Event.
    await Promise.all([1, 2, 3].map(() => recorder.event(d, 'Warning', 'FailedCreate', 'quota exceeded')));
    await recorder.event(d, 'Warning', 'FailedCreate', 'something else');
    const events = (await client.list(EVENTS, 'default', { fieldSelector: 'involvedObject.name=ev-repeat' })).items;
    expect(events).toHaveLength(2);
    const repeated = events.find((e) => e.message === 'quota exceeded')!;
    expect(repeated).toMatchObject({ count: 4, firstTimestamp: first, lastTimestamp: new Date(clock.now()).toISOString().replace('.000', '') });
    expect(events.find((e) => e.message === 'something else')?.count).toBe(1);
  });

  it('combines ten distinct messages of one reason into one "(combined from similar events)" Event, as client-go does', async () => {
    const clock = new FakeClock();
    const d = await createDeployment('ev-similar');
    const recorder = new EventRecorder(client, { component: 'replicaset-controller', clock });
    for (let i = 0; i < 14; i++) await recorder.event(d, 'Normal', 'SuccessfulCreate', `Created pod: ev-similar-${i}`);
    const events = (await client.list(EVENTS, 'default', { fieldSelector: 'involvedObject.name=ev-similar' })).items;
    // Nine stand alone; the tenth and every later one update a single combined Event.
    expect(events).toHaveLength(10);
    const combined = events.filter((e) => String(e.message).startsWith('(combined from similar events): '));
    expect(combined).toHaveLength(1);
    expect(combined[0]).toMatchObject({ count: 5, message: '(combined from similar events): Created pod: ev-similar-13', reason: 'SuccessfulCreate' });
    // Ten minutes of quiet start a fresh group.
    await clock.advance(601_000);
    await recorder.event(d, 'Normal', 'SuccessfulCreate', 'Created pod: ev-similar-late');
    const late = (await client.list(EVENTS, 'default', { fieldSelector: 'involvedObject.name=ev-similar' })).items.find((e) => e.message === 'Created pod: ev-similar-late');
    expect(late?.count).toBe(1);
  });

  it('drops events about one object beyond a burst of 25, refilling one every five minutes', async () => {
    const clock = new FakeClock();
    const d = await createDeployment('ev-spam');
    const recorder = new EventRecorder(client, { component: 'deployment-controller', clock });
    for (let i = 0; i < 30; i++) await recorder.event(d, 'Warning', 'Unhealthy', 'probe failed');
    const count = async () => (await client.list(EVENTS, 'default', { fieldSelector: 'involvedObject.name=ev-spam' })).items[0]?.count;
    expect(await count()).toBe(25);
    await clock.advance(300_000);
    await recorder.event(d, 'Warning', 'Unhealthy', 'probe failed');
    await recorder.event(d, 'Warning', 'Unhealthy', 'probe failed');
    expect(await count()).toBe(26);
    // Another object has its own bucket.
    const other = await createDeployment('ev-spam-other');
    await recorder.event(other, 'Warning', 'Unhealthy', 'probe failed');
    expect((await client.list(EVENTS, 'default', { fieldSelector: 'involvedObject.name=ev-spam-other' })).items[0]?.count).toBe(1);
  });

  it('records in the background: event() returns with the write queued, and every Event is written, repeats folded in', async () => {
    const clock = new FakeClock();
    const d = await createDeployment('ev-queued');
    const recorder = new EventRecorder(client, { component: 'deployment-controller', clock });
    const written = Array.from({ length: 12 }, (_, i) => recorder.event(d, 'Normal', `Reason${i}`, `message ${i}`));
    // Two more of the last one, recorded while it still waits, join its write.
    void recorder.event(d, 'Normal', 'Reason11', 'message 11');
    void recorder.event(d, 'Normal', 'Reason11', 'message 11');
    expect(recorder.queuedEvents).toBeGreaterThan(0);
    await recorder.idle();
    expect(recorder.queuedEvents).toBe(0);
    await Promise.all(written);
    const events = (await client.list(EVENTS, 'default', { fieldSelector: 'involvedObject.name=ev-queued' })).items;
    expect(events.map((e) => e.reason).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `Reason${i}`).sort());
    expect(events.find((e) => e.reason === 'Reason11')?.count).toBe(3);
    // Names follow the order of recording, so a list by name reads in that order.
    const byName = [...events].sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1)).map((e) => e.reason);
    expect(byName).toEqual(Array.from({ length: 12 }, (_, i) => `Reason${i}`));
  });

  it('records a new Event when the aggregated one was deleted, and never throws into the caller', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const d = await createDeployment('ev-deleted');
    const recorder = new EventRecorder(client, { component: 'c', log: (r) => logs.push(r) });
    await recorder.event(d, 'Normal', 'R', 'm');
    const [ev] = (await client.list(EVENTS, 'default', { fieldSelector: 'involvedObject.name=ev-deleted' })).items;
    await client.delete(EVENTS, 'default', ev.metadata!.name!);
    await recorder.event(d, 'Normal', 'R', 'm');
    const after = (await client.list(EVENTS, 'default', { fieldSelector: 'involvedObject.name=ev-deleted' })).items;
    expect(after).toHaveLength(1);
    expect(after[0].count).toBe(1);
    // An object in a namespace that does not exist: the write fails, the recorder logs it.
    await expect(recorder.event({ ...d, metadata: { ...d.metadata, namespace: 'no-such-namespace' } }, 'Normal', 'R', 'm')).resolves.toBeUndefined();
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'event not recorded' }));
  });

  it('shows in kubectl describe and kubectl events, with the repeat count', async () => {
    const url = await listenURL(server);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-events-'));
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: url } }],
        users: [{ name: 'u', user: {} }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'default' } }],
        'current-context': 'c',
      }),
    );
    const kubectl = async (...args: string[]) => (await run('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 30000 })).stdout;
    try {
      const d = await createDeployment('ev-kubectl');
      const recorder = new EventRecorder(client, { component: 'deployment-controller' });
      await recorder.event(d, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set ev-kubectl-5d8f to 2');
      await recorder.event(d, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set ev-kubectl-5d8f to 2');
      const described = await kubectl('describe', 'deployment', 'ev-kubectl');
      expect(described).toMatch(/Events:\s+Type\s+Reason\s+Age\s+From\s+Message/);
      expect(described).toMatch(/Normal\s+ScalingReplicaSet\s+\S+ \(x2 over \S+\)\s+deployment-controller\s+Scaled up replica set ev-kubectl-5d8f to 2/);
      const events = await kubectl('events', '--for', 'deployment/ev-kubectl');
      expect(events).toMatch(/Normal\s+ScalingReplicaSet\s+Deployment\/ev-kubectl\s+Scaled up replica set ev-kubectl-5d8f to 2/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
