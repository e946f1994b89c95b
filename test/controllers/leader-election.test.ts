/**
 * Leader election on a Lease: one candidate leads and renews; another takes over only once the
 * Lease has gone unrenewed for its duration on the candidate's own clock, or at once after a
 * clean release; a leader that cannot renew within the renew deadline stops its controllers.
 */
import type { Client } from '../../controllers/runtime/client';
import { LEASES, LeaseElector } from '../../controllers/runtime/leader-election';
import { ControllerManager, type Controller } from '../../controllers/runtime/manager';
import type { KubeObject } from '../../schemas/types';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeClock } from '../helpers/fake-clock';

let t: TestServer;
let client: Client;
let leaseCount = 0;

beforeAll(async () => {
  t = await startTestServer({ controllers: false });
  client = t.nodeless.client.withFieldManager('leader-election-test');
});
afterAll(() => t.close());

const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

function electors(): { name: string; make: (identity: string, clock: FakeClock) => LeaseElector } {
  const name = `lease-${++leaseCount}`;
  return { name, make: (identity, clock) => new LeaseElector(client, { name, identity, clock, ...timing }) };
}

async function lease(name: string): Promise<Record<string, any>> {
  return ((await client.get<KubeObject>(LEASES, 'kube-system', name)).spec ?? {}) as Record<string, any>;
}

// advanceUntil moves a fake clock in small steps until check holds (or the deadline passes).
async function advanceUntil(clock: FakeClock, check: () => boolean, stepMs = 500, maxMs = 60_000): Promise<number> {
  let moved = 0;
  while (!check()) {
    if (moved > maxMs) throw new Error('condition never held');
    await clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 2));
    moved += stepMs;
  }
  return moved;
}

describe('LeaseElector', () => {
  it('leads with a Lease in kube-system and keeps a second candidate waiting while it renews', async () => {
    const { name, make } = electors();
    const clock = new FakeClock();
    const a = make('a', clock);
    const b = make('b', clock);
    await a.acquire(() => undefined);
    expect(await lease(name)).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    let bLeads = false;
    b.acquire(() => undefined).then(() => (bLeads = true), () => undefined);
    const firstRenew = (await lease(name)).renewTime;
    await advanceUntil(clock, () => false, 1_000, 40_000).catch(() => undefined);
    expect(bLeads).toBe(false);
    const renewed = await lease(name);
    expect(renewed.holderIdentity).toBe('a');
    expect(renewed.renewTime).not.toBe(firstRenew);
    await a.releaseLease();
    await b.releaseLease();
  });

  it('is taken over once the holder stops renewing for the lease duration, and the old holder learns it lost', async () => {
    const { name, make } = electors();
    const clockA = new FakeClock();
    const clockB = new FakeClock();
    const a = make('a', clockA);
    const b = make('b', clockB);
    let lost = false;
    await a.acquire(() => (lost = true));
    let bLeads = false;
    b.acquire(() => undefined).then(() => (bLeads = true), () => undefined);
    // A is frozen (its clock never moves, so it never renews); B waits out the lease on its own clock.
    const waited = await advanceUntil(clockB, () => bLeads);
    expect(waited).toBeGreaterThanOrEqual(15_000);
    expect(await lease(name)).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    // A wakes up, fails to renew a Lease B now holds, and gives up after the renew deadline.
    await advanceUntil(clockA, () => lost);
    expect(a.isLeader).toBe(false);
    expect((await lease(name)).holderIdentity).toBe('b');
    await b.releaseLease();
  });

  it('hands the Lease over at once when the leader releases it', async () => {
    const { name, make } = electors();
    const clock = new FakeClock();
    const a = make('a', clock);
    const b = make('b', clock);
    await a.acquire(() => undefined);
    let bLeads = false;
    b.acquire(() => undefined).then(() => (bLeads = true), () => undefined);
    await clock.advance(2_500);
    await a.releaseLease();
    expect(await lease(name)).toMatchObject({ leaseDurationSeconds: 1 });
    expect((await lease(name)).holderIdentity).toBeUndefined();
    const waited = await advanceUntil(clock, () => bLeads);
    expect(waited).toBeLessThan(15_000);
    expect(await lease(name)).toMatchObject({ holderIdentity: 'b', leaseTransitions: 0 });
    await b.releaseLease();
  });

  it('refuses timings where the lease would expire before the leader gives up renewing', () => {
    expect(() => new LeaseElector(client, { leaseDurationMs: 5_000, renewDeadlineMs: 10_000 })).toThrow(/lease duration > renew deadline/);
  });
});

describe('ControllerManager with a LeaseElector', () => {
  it('runs its controllers only while it leads, and stops them when leadership is lost', async () => {
    const { make } = electors();
    const clockA = new FakeClock();
    const clockB = new FakeClock();
    const runs: string[] = [];
    const controller = (who: string): Controller => ({
      name: `test-${who}`,
      setup: () => undefined,
      run: () => void runs.push(`${who} run`),
      stop: () => void runs.push(`${who} stop`),
    });
    const a = new ControllerManager(client, { clock: clockA, elector: make('a', clockA) }).add(controller('a'));
    const b = new ControllerManager(client, { clock: clockB, elector: make('b', clockB) }).add(controller('b'));
    await a.start();
    const bStarted = b.start();
    expect(runs).toEqual(['a run']);
    await advanceUntil(clockB, () => runs.includes('b run'));
    await bStarted;
    await advanceUntil(clockA, () => runs.includes('a stop'));
    expect(runs).toEqual(['a run', 'b run', 'a stop']);
    b.stop();
    a.stop();
  });
});
