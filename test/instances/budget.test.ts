/**
 * Spend budgets: the annotation values and periods; the Usage writer's spend of the current day
 * and month with the 80 % and 100 % Warning Events (on the simulated provider and a fake clock);
 * and the admission that refuses a Pod whose minimum charge would take the spend past a budget.
 */
import { budgetLevel, budgetValueError, dollars, periodKey, periodStart, spendIn } from '../../controllers/instances/budget';
import { annotation } from '../../controllers/instances/annotations';
import { SimulatedProvider } from '../../controllers/instances/providers/simulated';
import { InstanceScheduler, instanceClock } from '../../controllers/instances/scheduler';
import { USAGES, usagesCRD } from '../../controllers/instances/run-store';
import { EVENTS, NAMESPACES, PODS, type Client } from '../../controllers/runtime/client';
import { ControllerManager } from '../../controllers/runtime/manager';
import type { KubeObject } from '../../schemas/types';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeClock } from '../helpers/fake-clock';

const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', namespaced: false, kind: 'CustomResourceDefinition' } as const;

const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });

describe('budget values and periods', () => {
  it('accepts dollar amounts and refuses anything else', () => {
    for (const ok of ['0', '25', '7.5', '7.50', '0.000001']) expect(budgetValueError(ok)).toBeUndefined();
    for (const bad of ['', '-1', '1e3', '$5', '01', '1.', '0.0000001', 'ten']) expect(budgetValueError(bad)).toMatch(/amount of US dollars/);
  });

  it('names UTC days and months and starts them at midnight', () => {
    const t = Date.parse('2026-12-31T23:59:59.999Z');
    expect(periodKey('daily', t)).toBe('2026-12-31');
    expect(periodKey('monthly', t)).toBe('2026-12');
    expect(periodStart('daily', t)).toBe(Date.parse('2026-12-31T00:00:00Z'));
    expect(periodStart('monthly', t)).toBe(Date.parse('2026-12-01T00:00:00Z'));
    // Spend recorded for yesterday counts nothing today.
    expect(spendIn({ period: '2026-12-31', cost: 3 }, 'daily', t)).toBe(3);
    expect(spendIn({ period: '2026-12-31', cost: 3 }, 'daily', t + 1)).toBe(0);
    expect(spendIn({ period: '2026-12', cost: 3 }, 'monthly', t + 1)).toBe(0);
  });

  it('grades spend and prints amounts', () => {
    expect(budgetLevel(7.99, 10)).toBe('ok');
    expect(budgetLevel(8, 10)).toBe('warning');
    expect(budgetLevel(10, 10)).toBe('exceeded');
    expect(dollars(7.5)).toBe('$7.50');
    expect(dollars(0.0006)).toBe('$0.0006');
    expect(dollars(0.99999)).toBe('$0.99999');
    expect(dollars(12)).toBe('$12.00');
  });
});

describe('budget admission', () => {
  let t: TestServer;
  let client: Client;
  beforeAll(async () => {
    t = await startTestServer({ scheduler: false });
    client = t.nodeless.client.withFieldManager('budget-test');
    await client.create(CRDS, undefined, usagesCRD());
    await waitFor(async () => {
      try {
        await client.list(USAGES, undefined);
        return true;
      } catch {
        return false;
      }
    }, 'the Usage kind to be served', 20_000);
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a budget annotation that is not an amount, with 422', async () => {
    const res = await t.api.post('/api/v1/namespaces').send({ metadata: { name: 'bad-budget', annotations: { 'budget.nodeless.dev/daily': 'ten dollars' } } });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('Namespace "bad-budget" is invalid: metadata.annotations[budget.nodeless.dev/daily]: Invalid value: "ten dollars": must be an amount of US dollars, such as "25" or "7.50"');
  });

  it('refuses the pod whose minimum charge would go past the day\'s budget, and admits it once the day has room', async () => {
    await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', annotations: { 'budget.nodeless.dev/daily': '1.00' } } });
    const now = Date.now();
    const spent = async (cost: number, period = periodKey('daily', now)) => {
      await client.apply(USAGES, { apiVersion: 'usage.nodeless.dev/v1', kind: 'Usage', metadata: { name: 'usage', namespace: 'team' }, bill: { cost, today: { period, cost }, month: { period: periodKey('monthly', now), cost } } } as never, { force: true });
    };
    await spent(0.5);
    await client.create(PODS, 'team', pod('fits'));

    await spent(0.99999);
    const res = await t.api.post('/api/v1/namespaces/team/pods').send(pod('over'));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403, details: { name: 'over', kind: 'pods' } });
    expect(res.body.message).toMatch(/^pods "over" is forbidden: exceeded budget: namespace team has spent \$0\.99999 of its daily budget of \$1\.00 \(budget\.nodeless\.dev\/daily\), and this pod's minimum charge of \$0\.\d+ would go past it$/);

    // Yesterday's spend does not count against today.
    await spent(0.99999, '2000-01-01');
    await client.create(PODS, 'team', pod('tomorrow'));
  });

  it('leaves namespaces without a budget alone', async () => {
    await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'free' } });
    await client.create(PODS, 'free', pod('anything'));
  });
});

describe('budget warnings from the Usage writer', () => {
  let t: TestServer;
  let manager: ControllerManager;
  let provider: SimulatedProvider;
  afterEach(async () => {
    manager?.stop();
    await provider?.close();
    await t?.close();
  });

  it('keeps the spend of the day and month in Usage and warns at 80 % and at 100 %, once each', async () => {
    t = await startTestServer({ scheduler: false });
    const client = t.nodeless.client.withFieldManager('budget-test');
    const clock = new FakeClock();
    provider = new SimulatedProvider({ clock: instanceClock(clock), startLatencyMs: 0 });
    manager = new ControllerManager(t.nodeless.client, { clock });
    manager.add(new InstanceScheduler({ provider }));
    await manager.start();

    await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await client.create(PODS, 'team', pod('web'));
    await clock.advance(0);
    const running = await waitFor(async () => {
      const p = (await client.get(PODS, 'team', 'web')) as KubeObject & { status?: { phase?: string } };
      return p.status?.phase === 'Running' && p;
    }, 'web to run', 20_000);
    const perSecond = Number(running.metadata!.annotations![annotation.pricePerHour]) / 3600;
    // A budget of 200 seconds of this pod: 80 % after 160 s, all of it after 200 s.
    const limit = Number((perSecond * 200).toFixed(6));
    await client.patch(NAMESPACES, undefined, 'team', 'merge', { metadata: { annotations: { 'budget.nodeless.dev/daily': String(limit) } } });

    const usage = async () => (await client.get(USAGES, 'team', 'usage').catch(() => undefined)) as (KubeObject & { bill: Record<string, any> }) | undefined;
    const budgetEvents = async () => ((await client.list(EVENTS, 'team', { fieldSelector: 'involvedObject.kind=Usage' })).items as Array<KubeObject & { reason: string; message: string; type: string }>).map((e) => [e.type, e.reason, e.message]);
    const advanceUntil = async (check: (bill: Record<string, any>) => boolean, what: string) =>
      waitFor(async () => {
        await clock.advance(10_000);
        const u = await usage();
        return !!u && check(u.bill) && u.bill;
      }, what, 30_000);

    const early = await advanceUntil((b) => b.today?.cost > 0 && b.budgets?.length === 1, 'a first Usage with the budget');
    expect(early.today.period).toBe(periodKey('daily', clock.now()));
    expect(early.month).toEqual({ period: periodKey('monthly', clock.now()), cost: early.today.cost });
    expect(early.budgets[0]).toMatchObject({ period: 'daily', limit, level: 'ok' });
    expect(await budgetEvents()).toEqual([]);

    await advanceUntil((b) => b.budgets[0].level === 'warning', 'spend past 80 %');
    const warned = await waitFor(async () => {
      const evs = await budgetEvents();
      return evs.length === 1 && evs;
    }, 'the 80 % event', 20_000);
    expect(warned[0]).toEqual(['Warning', 'BudgetThreshold', expect.stringMatching(/^namespace team has spent \$0\.\d+ \(8\d%\) of its daily budget of \$0\.\d+$/)]);

    await advanceUntil((b) => b.budgets[0].level === 'exceeded', 'spend past the budget');
    const exceeded = await waitFor(async () => {
      const evs = await budgetEvents();
      return evs.length === 2 && evs;
    }, 'the 100 % event', 20_000);
    expect(exceeded.map((e) => e[1]).sort()).toEqual(['BudgetExceeded', 'BudgetThreshold']);
    expect(exceeded.find((e) => e[1] === 'BudgetExceeded')![2]).toMatch(/: new pods are refused until the day ends \(UTC\)$/);

    // Further rounds in the same day report nothing again, even from a restarted scheduler.
    manager.stop();
    manager = new ControllerManager(t.nodeless.client, { clock });
    manager.add(new InstanceScheduler({ provider }));
    await manager.start();
    for (let i = 0; i < 3; i++) await clock.advance(10_000);
    await waitFor(async () => Date.parse((await usage())!.bill.updated) >= clock.now() - 10_000, 'the restarted writer to write', 20_000);
    expect((await budgetEvents()).length).toBe(2);
  });
});
