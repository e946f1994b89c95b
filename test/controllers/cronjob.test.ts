/**
 * The CronJob controller on an injected clock, conformance-style (the [sig-apps] CronJob rows of
 * CONFORMANCE.md): every test gets its own in-process server and a manager running only the
 * CronJob controller on a FakeClock that starts at the wall-clock time, so a schedule fires when
 * the test moves the clock past it. Jobs stay active (no Job controller runs); a test that needs
 * a finished Job writes its Complete or Failed condition through jobs/status.
 */
import { CRON_JOBS, EVENTS, JOBS, type Client } from '../../controllers/runtime/client';
import { ControllerManager } from '../../controllers/runtime/manager';
import { CronJobController, mostRecentScheduleTime, parseSchedule, rfc3339InZone, type Schedule } from '../../controllers/workloads/cronjob';
import type { KubeObject } from '../../schemas/types';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeClock } from '../helpers/fake-clock';

let t: TestServer;
let client: Client;
let manager: ControllerManager;
let clock: FakeClock;
const ns = 'default';

beforeEach(async () => {
  clock = new FakeClock();
  await clock.advance(Date.now() - clock.now());
  t = await startTestServer({ controllers: false });
  client = t.nodeless.client.withFieldManager('cronjob-test');
  manager = new ControllerManager(t.nodeless.client, { clock });
  manager.add(new CronJobController());
  await manager.start();
});
afterEach(async () => {
  manager.stop();
  await t.close();
});

function cronJob(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: { metadata: { labels: { app: name } }, spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
  };
}

async function jobsOf(name: string): Promise<KubeObject[]> {
  return (await client.list(JOBS, ns, { labelSelector: `app=${name}` })).items.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
}

interface CronJobStatus {
  active?: Array<{ name: string; uid: string; kind: string; apiVersion: string; namespace: string }>;
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

async function statusOf(name: string): Promise<CronJobStatus> {
  return ((await client.get(CRON_JOBS, ns, name)).status ?? {}) as CronJobStatus;
}

async function eventsOf(name: string): Promise<Array<{ reason: string; message: string }>> {
  return (await client.list(EVENTS, ns, { fieldSelector: `involvedObject.name=${name}` })).items as never;
}

// fire moves the clock just past the next whole minute after the CronJob's creation or now.
async function fire(cj: KubeObject): Promise<number> {
  const from = Math.max(clock.now(), Date.parse(cj.metadata!.creationTimestamp!));
  const scheduled = (Math.floor(from / 60_000) + 1) * 60_000;
  await clock.advance(scheduled + 1000 - clock.now());
  return scheduled;
}

// until waits for a condition while ticking the fake clock, so retries it holds still run.
async function until<T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> {
  return waitFor(async () => {
    await clock.advance(10);
    return check();
  }, what, 20000);
}

async function finish(job: KubeObject, type: 'Complete' | 'Failed'): Promise<void> {
  const now = new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const current = await client.get(JOBS, ns, job.metadata!.name!);
  const conditions = [{ type: type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget', status: 'True', lastTransitionTime: now }, { type, status: 'True', lastTransitionTime: now }];
  await client.updateStatus(JOBS, { ...current, status: { startTime: now, ...(type === 'Complete' ? { completionTime: now, succeeded: 1 } : { failed: 1 }), conditions } });
}

describe('[sig-apps] CronJob', () => {
  it('should create a Job at its scheduled time, named for the minute, and track it in status.active', async () => {
    const cj = await client.create(CRON_JOBS, ns, cronJob('tick'));
    await clock.advance(0);
    expect(await jobsOf('tick')).toHaveLength(0);
    const scheduled = await fire(cj);
    const [job] = await until(async () => {
      const j = await jobsOf('tick');
      return j.length === 1 && j;
    }, 'the first Job');
    expect(job.metadata!.name).toBe(`tick-${scheduled / 60_000}`);
    expect(job.metadata!.annotations).toEqual({ 'batch.kubernetes.io/cronjob-scheduled-timestamp': new Date(scheduled).toISOString().replace('.000Z', 'Z') });
    expect(job.metadata!.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    const status = await until(async () => {
      const s = await statusOf('tick');
      return s.active?.length === 1 && s;
    }, 'status.active');
    expect(status.active![0]).toMatchObject({ kind: 'Job', apiVersion: 'batch/v1', namespace: ns, name: job.metadata!.name, uid: job.metadata!.uid });
    expect(Date.parse(status.lastScheduleTime!)).toBe(scheduled);
    await until(async () => (await eventsOf('tick')).some((e) => e.reason === 'SuccessfulCreate' && e.message === `Created job ${job.metadata!.name}`), 'the SuccessfulCreate event');
  });

  it('should schedule multiple jobs concurrently (Allow)', async () => {
    const cj = await client.create(CRON_JOBS, ns, cronJob('allow'));
    await fire(cj);
    await until(async () => (await jobsOf('allow')).length === 1, 'one Job');
    await fire(cj);
    await until(async () => (await jobsOf('allow')).length === 2, 'two Jobs');
    await until(async () => (await statusOf('allow')).active?.length === 2, 'two active Jobs');
  });

  it('should not schedule new jobs when ForbidConcurrent', async () => {
    const cj = await client.create(CRON_JOBS, ns, cronJob('forbid', { concurrencyPolicy: 'Forbid' }));
    await fire(cj);
    const [first] = await until(async () => {
      const j = await jobsOf('forbid');
      return j.length === 1 && (await statusOf('forbid')).active?.length === 1 && j;
    }, 'one active Job');
    await fire(cj);
    await until(async () => (await eventsOf('forbid')).some((e) => e.reason === 'JobAlreadyActive'), 'the JobAlreadyActive event');
    await fire(cj);
    expect((await jobsOf('forbid')).map((j) => j.metadata!.uid)).toEqual([first.metadata!.uid]);
    // Once the running Job finishes, the most recent time that was skipped runs at once (as in
    // kube, a skipped time leaves lastScheduleTime behind).
    const skipped = Math.floor(clock.now() / 60_000) * 60_000;
    await finish(first, 'Complete');
    const next = await until(async () => {
      const s = await statusOf('forbid');
      return s.active?.length === 1 && s.active[0].uid !== first.metadata!.uid && s;
    }, 'the next Job, alone in status.active');
    expect(next.active![0].name).toBe(`forbid-${skipped / 60_000}`);
    expect(await jobsOf('forbid')).toHaveLength(2);
  });

  it('should replace jobs when ReplaceConcurrent', async () => {
    const cj = await client.create(CRON_JOBS, ns, cronJob('replace', { concurrencyPolicy: 'Replace' }));
    await fire(cj);
    const [first] = await until(async () => {
      const j = await jobsOf('replace');
      return j.length === 1 && (await statusOf('replace')).active?.length === 1 && j;
    }, 'one active Job');
    await fire(cj);
    const [second] = await until(async () => {
      const j = await jobsOf('replace');
      return j.length === 1 && j[0].metadata!.uid !== first.metadata!.uid && j;
    }, 'the Job to be replaced');
    const status = await until(async () => {
      const s = await statusOf('replace');
      return s.active?.length === 1 && s.active[0].uid === second.metadata!.uid && s;
    }, 'status.active naming the new Job');
    expect(status.active).toHaveLength(1);
    await until(async () => (await eventsOf('replace')).some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted job ${first.metadata!.name}`), 'the SuccessfulDelete event');
  });

  it('should not schedule jobs when suspended', async () => {
    const cj = await client.create(CRON_JOBS, ns, cronJob('suspended', { suspend: true }));
    for (let i = 0; i < 3; i++) await fire(cj);
    await clock.advance(10);
    expect(await jobsOf('suspended')).toHaveLength(0);
    expect((await statusOf('suspended')).active).toBeUndefined();
  });

  it('should delete finished jobs beyond the history limits, oldest first, and record lastSuccessfulTime', async () => {
    const cj = await client.create(CRON_JOBS, ns, cronJob('history', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }));
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      await fire(cj);
      const jobs = await until(async () => {
        const j = await jobsOf('history');
        return j.some((x) => !names.includes(x.metadata!.name!)) && j;
      }, `Job ${i + 1}`);
      const job = jobs.find((x) => !names.includes(x.metadata!.name!))!;
      names.push(job.metadata!.name!);
      await finish(job, i === 1 ? 'Failed' : 'Complete');
      await until(async () => !(await statusOf('history')).active, 'the finished Job out of status.active');
    }
    // Kept: the newest succeeded Job and the one failed Job.
    await until(async () => (await jobsOf('history')).length === 2, 'the oldest succeeded Job deleted');
    expect((await jobsOf('history')).map((j) => j.metadata!.name)).toEqual([names[1], names[2]]);
    expect((await statusOf('history')).lastSuccessfulTime).toBeDefined();
    const events = await eventsOf('history');
    expect(events.filter((e) => e.reason === 'SawCompletedJob').map((e) => e.message)).toEqual(
      expect.arrayContaining([`Saw completed job: ${names[0]}, status: Complete`, `Saw completed job: ${names[1]}, status: Failed`]),
    );
  });

  it('should fire in its timeZone and stamp the scheduled time in that zone', async () => {
    // 09:00 in Tokyo (UTC+9, no daylight saving) is 00:00 UTC.
    const cj = await client.create(CRON_JOBS, ns, cronJob('tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }));
    const midnight = (Math.floor(clock.now() / 86_400_000) + 1) * 86_400_000;
    await clock.advance(midnight - 60_000 - clock.now());
    await clock.advance(10);
    expect(await jobsOf('tokyo')).toHaveLength(0);
    await clock.advance(61_000);
    const [job] = await until(async () => {
      const j = await jobsOf('tokyo');
      return j.length === 1 && j;
    }, 'the Job at 09:00 Tokyo');
    expect(job.metadata!.name).toBe(`tokyo-${midnight / 60_000}`);
    const date = new Date(midnight).toISOString().slice(0, 10);
    expect(job.metadata!.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(`${date}T09:00:00+09:00`);
  });

  it('should run the most recent missed time, unless it is older than startingDeadlineSeconds', async () => {
    const late = await client.create(CRON_JOBS, ns, cronJob('late', { suspend: true }));
    const strict = await client.create(CRON_JOBS, ns, cronJob('strict', { suspend: true, startingDeadlineSeconds: 10 }));
    // Three minutes pass while both are suspended; then both are resumed 30 s after a minute.
    const from = Math.max(clock.now(), Date.parse(late.metadata!.creationTimestamp!), Date.parse(strict.metadata!.creationTimestamp!));
    await clock.advance((Math.floor(from / 60_000) + 3) * 60_000 + 30_000 - clock.now());
    await client.patch(CRON_JOBS, ns, 'late', 'merge', { spec: { suspend: false } });
    await client.patch(CRON_JOBS, ns, 'strict', 'merge', { spec: { suspend: false } });
    const [job] = await until(async () => {
      const j = await jobsOf('late');
      return j.length === 1 && j;
    }, 'the missed time to run');
    expect(job.metadata!.name).toBe(`late-${Math.floor(clock.now() / 60_000)}`);
    expect(await jobsOf('strict')).toHaveLength(0);
  });
  it('should drop an active Job that went missing, and survive an odd status', async () => {
    const cj = await client.create(CRON_JOBS, ns, cronJob('ghosts'));
    await client.updateStatus(CRON_JOBS, { ...cj, status: { active: [{ kind: 'Job', apiVersion: 'batch/v1', namespace: ns, name: 'ghost', uid: '00000000-0000-0000-0000-00000000dead' }, { kind: 'Job' }] } });
    await until(async () => !(await statusOf('ghosts')).active, 'the missing Jobs out of status.active');
    await until(async () => (await eventsOf('ghosts')).some((e) => e.reason === 'MissingJob' && e.message === 'Active job went missing: ghost'), 'the MissingJob event');
    // And it still runs on schedule.
    await fire(cj);
    await until(async () => (await jobsOf('ghosts')).length === 1, 'the next Job');
  });
  it('should look again at a far schedule at least daily, never with a timer node cannot hold', async () => {
    await client.create(CRON_JOBS, ns, cronJob('yearly', { schedule: '@yearly' }));
    await until(async () => clock.pending().length > 0, 'the CronJob to be queued for later');
    // Node's timers take at most 2^31-1 ms; a yearly schedule is requeued within a day instead.
    expect(Math.max(...clock.pending())).toBeLessThanOrEqual(24 * 3_600_000);
  });
});

describe('mostRecentScheduleTime', () => {
  const everyMinute = parseSchedule('* * * * *', undefined) as Schedule;
  const created = Date.parse('2026-01-01T00:00:00Z');
  const cj = (status: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): KubeObject => ({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z' }, spec, status });

  it('answers no time before the first one, the first one, then the latest of several', () => {
    expect(mostRecentScheduleTime(cj(), created + 30_000, everyMinute, true).mostRecent).toBeUndefined();
    expect(mostRecentScheduleTime(cj(), created + 90_000, everyMinute, true)).toMatchObject({ mostRecent: created + 60_000, missed: 0 });
    expect(mostRecentScheduleTime(cj(), created + 5 * 60_000 + 5000, everyMinute, true)).toMatchObject({ mostRecent: created + 5 * 60_000, missed: 5 });
  });

  it('counts more than 100 missed times (kube warns of clock skew) and still finds the latest', () => {
    const r = mostRecentScheduleTime(cj(), created + 200 * 60_000 + 1000, everyMinute, true);
    expect(r.missed).toBeGreaterThan(100);
    expect(r.mostRecent).toBe(created + 200 * 60_000);
  });

  it('starts from lastScheduleTime, and no earlier than startingDeadlineSeconds', () => {
    expect(mostRecentScheduleTime(cj({ lastScheduleTime: '2026-01-01T00:05:00Z' }), created + 5 * 60_000 + 30_000, everyMinute, true).mostRecent).toBeUndefined();
    expect(mostRecentScheduleTime(cj({}, { startingDeadlineSeconds: 10 }), created + 5 * 60_000 + 30_000, everyMinute, true).mostRecent).toBeUndefined();
  });

  it('reads @hourly, @daily and @every', () => {
    const hourly = parseSchedule('@hourly', undefined) as Schedule;
    expect(hourly.next(created + 1)).toBe(created + 3_600_000);
    const daily = parseSchedule('@daily', 'America/New_York') as Schedule;
    expect(new Date(daily.next(created)!).toISOString()).toBe('2026-01-01T05:00:00.000Z');
    const every = parseSchedule('@every 1h30m', undefined) as Schedule;
    expect(every.next(created)).toBe(created + 90 * 60_000);
    expect(parseSchedule('61 * * * *', undefined)).toBe('end of range (61) above maximum (59): 61');
  });

  it('renders the scheduled timestamp in a zone as Go does', () => {
    expect(rfc3339InZone(created, 'UTC')).toBe('2026-01-01T00:00:00Z');
    expect(rfc3339InZone(created, 'America/New_York')).toBe('2025-12-31T19:00:00-05:00');
    expect(rfc3339InZone(created, 'Asia/Kolkata')).toBe('2026-01-01T05:30:00+05:30');
  });
});
