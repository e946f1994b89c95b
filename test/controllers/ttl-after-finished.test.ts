/**
 * The TTL-after-finished controller: on a FakeClock it deletes a finished Job exactly when
 * ttlSecondsAfterFinished has passed since its Complete/Failed condition, honours a TTL changed
 * meanwhile, and leaves unfinished Jobs and Jobs without a TTL alone; with the built-in
 * controllers a Job with ttlSecondsAfterFinished 0 is deleted as soon as it completes.
 */
import { JOBS, type Client } from '../../controllers/runtime/client';
import { ControllerManager } from '../../controllers/runtime/manager';
import { TTLAfterFinishedController } from '../../controllers/workloads/ttl-after-finished';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeClock } from '../helpers/fake-clock';
import { FakeKubelet } from '../helpers/fake-kubelet';

function job(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec } };
}

async function exists(client: Client, ns: string, name: string): Promise<boolean> {
  try {
    await client.get(JOBS, ns, name);
    return true;
  } catch {
    return false;
  }
}

describe('TTL-after-finished controller on an injected clock', () => {
  let t: TestServer;
  let client: Client;
  let manager: ControllerManager;
  const clock = new FakeClock();
  const ns = 'default';

  beforeAll(async () => {
    await clock.advance(Date.now() - clock.now());
    t = await startTestServer({ controllers: false });
    client = t.nodeless.client.withFieldManager('ttl-test');
    manager = new ControllerManager(t.nodeless.client, { clock });
    manager.add(new TTLAfterFinishedController());
    await manager.start();
  });
  afterAll(async () => {
    manager.stop();
    await t.close();
  });

  async function finish(name: string, type: 'Complete' | 'Failed', lastTransitionTime: string | null = new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z')): Promise<void> {
    const current = await client.get(JOBS, ns, name);
    await client.updateStatus(JOBS, { ...current, status: { conditions: [{ type, status: 'True', ...(lastTransitionTime ? { lastTransitionTime } : {}) }] } });
  }

  async function tick(ms: number): Promise<void> {
    await clock.advance(ms);
    // Let the delete the timer started reach the server.
    await new Promise((r) => setTimeout(r, 50));
    await clock.advance(0);
  }

  it('deletes a finished Job once ttlSecondsAfterFinished has passed, and not before', async () => {
    await client.create(JOBS, ns, job('short', { ttlSecondsAfterFinished: 60 }));
    await client.create(JOBS, ns, job('failed', { ttlSecondsAfterFinished: 30 }));
    await client.create(JOBS, ns, job('forever'));
    await client.create(JOBS, ns, job('running', { ttlSecondsAfterFinished: 1 }));
    await finish('short', 'Complete');
    await finish('failed', 'Failed');
    await finish('forever', 'Complete');
    await tick(29_000);
    expect(await exists(client, ns, 'failed')).toBe(true);
    await tick(2000);
    await waitFor(async () => !(await exists(client, ns, 'failed')), 'the failed Job to be deleted');
    expect(await exists(client, ns, 'short')).toBe(true);
    await tick(30_000);
    await waitFor(async () => !(await exists(client, ns, 'short')), 'the complete Job to be deleted');
    await tick(3_600_000);
    expect(await exists(client, ns, 'forever')).toBe(true);
    expect(await exists(client, ns, 'running')).toBe(true);
  });

  it('honours a TTL raised before it ran out, and survives a finished Job without a finish time', async () => {
    await client.create(JOBS, ns, job('raised', { ttlSecondsAfterFinished: 10 }));
    await client.create(JOBS, ns, job('untimed', { ttlSecondsAfterFinished: 0 }));
    await finish('raised', 'Complete');
    await finish('untimed', 'Complete', null);
    await client.patch(JOBS, ns, 'raised', 'merge', { spec: { ttlSecondsAfterFinished: 100 } });
    await tick(20_000);
    expect(await exists(client, ns, 'raised')).toBe(true);
    await tick(81_000);
    await waitFor(async () => !(await exists(client, ns, 'raised')), 'the Job to be deleted at its new TTL');
    // Without a lastTransitionTime there is no finish time to count from: the Job stays.
    expect(await exists(client, ns, 'untimed')).toBe(true);
  });
});

describe('[sig-apps] Job with ttlSecondsAfterFinished (built-in controllers)', () => {
  let t: TestServer;
  let kubelet: FakeKubelet;
  const newNamespace = namespaceMaker(() => t);

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    kubelet?.stop();
    await t.close();
  });

  it('should delete a job that completed, ttlSecondsAfterFinished 0 after', async () => {
    const client = t.nodeless.client.withFieldManager('ttl-test');
    const ns = await newNamespace('ttl');
    kubelet = await new FakeKubelet(client, { namespace: ns, decide: () => ({ phase: 'Succeeded' }) }).start();
    const seen: string[] = [];
    const stream = await client.watch(JOBS, ns, { resourceVersion: '0' });
    const watching = (async () => {
      for await (const ev of stream) {
        if (ev.type === 'ERROR') continue;
        const conditions = ((ev.object as KubeObject).status as { conditions?: Array<{ type: string }> } | undefined)?.conditions ?? [];
        seen.push(`${ev.type}:${conditions.map((c) => c.type).join(',')}`);
      }
    })();
    await client.create(JOBS, ns, job('once', { ttlSecondsAfterFinished: 0 }));
    await waitFor(async () => seen.some((s) => s.startsWith('DELETED')), 'the Job to be deleted', 30000);
    stream.close();
    await watching;
    // It was deleted only after it had completed.
    expect(seen.some((s) => s.startsWith('MODIFIED') && s.includes('Complete'))).toBe(true);
  });
});
