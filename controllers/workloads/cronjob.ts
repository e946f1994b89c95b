/**
 * The CronJob controller, as kube's pkg/controller/cronjob (controller v2, 1.32): at each
 * scheduled time it creates a Job named `<cronjob>-<scheduled time in minutes since the epoch>`
 * (the name is the lock that keeps a time from running twice) from spec.jobTemplate, with the
 * batch.kubernetes.io/cronjob-scheduled-timestamp annotation, and tracks it in status.active
 * until it finishes. concurrencyPolicy Forbid skips a time while a Job runs, Replace deletes the
 * running ones first; a time missed by more than startingDeadlineSeconds is not run; finished
 * Jobs beyond the history limits are deleted, oldest first. Instead of polling, a CronJob is
 * queued again (addAfter, on the injected clock) for just after its next scheduled time.
 */
import type { KubeObject } from '../../schemas/types';
import { nextScheduleTime, scheduleError, validTimeZone } from '../../schemas/validation/cron-schedule';
import { CRON_JOBS, JOBS, hasCause, isAlreadyExists, isNotFound, objectKey, type Client } from '../runtime/client';
import { controllerRefOf, newControllerRef } from '../runtime/controller-ref';
import type { EventRecorder } from '../runtime/events';
import type { Informer } from '../runtime/informer';
import type { Controller, ControllerContext } from '../runtime/manager';
import { WorkQueue, type Clock, type ReconcileResult } from '../runtime/work-queue';
import { capDelay, finishedCondition, isJobFinished, isJobSucceeded, rfc3339, statusOf } from './job-policies';

/** CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION records on a Job the time it was scheduled for. */
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
// NEXT_SCHEDULE_DELTA_MS: the CronJob is looked at this long after its time, so the time has passed.
const NEXT_SCHEDULE_DELTA_MS = 100;
// MANY_MISSED is kube's limit of missed start times before it warns of clock skew.
const MANY_MISSED = 100;

interface CronJobSpec {
  schedule?: string;
  timeZone?: string;
  startingDeadlineSeconds?: number;
  concurrencyPolicy?: string;
  suspend?: boolean;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}

interface ObjectRef {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
}

interface CronJobStatus {
  active?: ObjectRef[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

/** Schedule answers the first time a schedule fires strictly after t (ms), undefined when never. */
export interface Schedule {
  next(t: number): number | undefined;
}

const GO_DURATION_PART = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h)/g;
const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * parseSchedule reads a CronJob's schedule as kube's controller does: robfig's standard syntax
 * (checked by the same rules as the API server), @every durations, and the time zone of
 * spec.timeZone or of a TZ=/CRON_TZ= prefix. It answers the parse error text when it fails.
 */
export function parseSchedule(schedule: string, timeZone: string | undefined): Schedule | string {
  const error = scheduleError(schedule);
  if (error) return error;
  const spec = schedule.replace(/^(CRON_TZ|TZ)=\S+\s+/, '').trim();
  if (spec.startsWith('@every ')) {
    let ms = 0;
    for (const [, n, unit] of spec.slice('@every '.length).matchAll(GO_DURATION_PART)) ms += Number(n || 0) * GO_UNITS[unit];
    // robfig rounds the delay down to whole seconds, at least one.
    const delay = Math.max(1000, Math.floor(ms / 1000) * 1000);
    return { next: (t) => Math.floor(t / 1000) * 1000 + delay };
  }
  return {
    next: (t) => {
      // cron-parser steps from the start of the second, as robfig does.
      const d = nextScheduleTime(schedule, new Date(t), timeZone ?? 'UTC');
      return d ? d.getTime() : undefined;
    },
  };
}

/**
 * mostRecentScheduleTime is kube's mostRecentScheduleTime: the latest scheduled time not after
 * now since the last one run (or the CronJob's creation, or now less startingDeadlineSeconds),
 * and roughly how many were missed.
 */
export function mostRecentScheduleTime(cj: Readonly<KubeObject>, now: number, schedule: Schedule, withDeadline: boolean): { earliest: number; mostRecent?: number; missed: number; error?: string } {
  const spec = (cj.spec ?? {}) as CronJobSpec;
  const status = (cj.status ?? {}) as CronJobStatus;
  let earliest = Date.parse(status.lastScheduleTime ?? '');
  if (!Number.isFinite(earliest)) earliest = Date.parse(cj.metadata?.creationTimestamp ?? '') || now;
  if (withDeadline && typeof spec.startingDeadlineSeconds === 'number') {
    const deadline = now - spec.startingDeadlineSeconds * 1000;
    if (deadline > earliest) earliest = deadline;
  }
  const t1 = schedule.next(earliest);
  if (t1 === undefined || now < t1) return { earliest, missed: 0 };
  const t2 = schedule.next(t1);
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, missed: 0 };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) return { earliest, missed: 0, error: 'time difference between two schedules is less than 1 second' };
  const elapsed = Math.floor((now - t1) / 1000);
  const missed = Math.floor(elapsed / between) + 1;
  let mostRecent: number | undefined;
  // Jump close to now, then let the schedule find the exact last time (schedules are not always regular).
  for (let t = schedule.next(t1 + (missed - 2) * between * 1000); t !== undefined && t <= now; t = schedule.next(t)) mostRecent = t;
  return { earliest, mostRecent, missed };
}

/** CronJobControllerOptions tune the controller. */
export interface CronJobControllerOptions {
  workers?: number;
}

/** CronJobController reconciles batch/v1 CronJobs. */
export class CronJobController implements Controller {
  readonly name = 'cronjob-controller';
  private client!: Client;
  private recorder!: EventRecorder;
  private clock!: Clock;
  private queue!: WorkQueue;
  private cronJobs!: Informer;
  private jobs!: Informer;

  constructor(private readonly options: CronJobControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.clock = ctx.clock;
    // kube-controller-manager runs five CronJob workers (--concurrent-cron-job-syncs).
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'cronjob sync failed', workers: this.options.workers ?? 5, autoStart: false, clock: ctx.clock, log: ctx.log });
    this.cronJobs = ctx.informers.informerFor(CRON_JOBS);
    this.jobs = ctx.informers.informerFor(JOBS);
    this.cronJobs.addEventHandler({
      onAdd: (cj) => this.queue.add(objectKey(cj)),
      onUpdate: (old, cj) => this.cronJobUpdated(old, cj),
      onDelete: (cj) => this.queue.add(objectKey(cj)),
    });
    const owner = (job: Readonly<KubeObject>) => {
      const key = this.ownerKey(job);
      if (key) this.queue.add(key);
    };
    this.jobs.addEventHandler({
      onAdd: owner,
      onUpdate: (old, job) => {
        if (old.metadata?.resourceVersion === job.metadata?.resourceVersion) return;
        const oldKey = this.ownerKey(old);
        const key = this.ownerKey(job);
        if (oldKey && oldKey !== key) this.queue.add(oldKey);
        if (key) this.queue.add(key);
      },
      onDelete: owner,
    });
  }

  run(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue?.stop();
  }

  private ownerKey(job: Readonly<KubeObject>): string | undefined {
    const ref = controllerRefOf(job);
    if (!ref || ref.kind !== 'CronJob') return undefined;
    const cj = this.cronJobs.getByName(job.metadata?.namespace, ref.name);
    return cj && cj.metadata?.uid === ref.uid ? objectKey(cj) : undefined;
  }

  // A new schedule or time zone: look again at its next time (sooner than a pending one wins).
  private cronJobUpdated(old: Readonly<KubeObject>, cj: Readonly<KubeObject>): void {
    const spec = (cj.spec ?? {}) as CronJobSpec;
    const oldSpec = (old.spec ?? {}) as CronJobSpec;
    const key = objectKey(cj);
    if (oldSpec.schedule === spec.schedule && oldSpec.timeZone === spec.timeZone) return this.queue.add(key);
    const schedule = parseSchedule(String(spec.schedule ?? ''), spec.timeZone);
    if (typeof schedule === 'string') {
      void this.recorder.event(cj, 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${spec.schedule}`);
      return;
    }
    this.queue.addAfter(key, capDelay(nextScheduleDelay(cj, this.clock.now(), schedule)));
  }

  /** reconcile runs one sync of a CronJob: history cleanup, then at most one new Job. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.cronJobs.get(key);
    if (!cached) return;
    const uid = cached.metadata?.uid;
    const jobs = this.jobs.byOwner(uid ?? '').filter((j) => controllerRefOf(j)?.uid === uid && j.metadata?.namespace === cached.metadata?.namespace);
    const cj = structuredClone(cached) as KubeObject;
    if (!cj.status || typeof cj.status !== 'object') cj.status = {};
    const cleaned = await this.cleanupFinishedJobs(cj, jobs);
    let synced: { requeueAfter?: number; update: boolean };
    let syncError: unknown;
    try {
      synced = await this.syncCronJob(cj, jobs);
    } catch (err) {
      syncError = err;
      synced = { update: (err as { update?: boolean }).update ?? false };
    }
    if (cleaned || synced.update) {
      const status = cj.status as CronJobStatus;
      if (Array.isArray(status.active) && status.active.length === 0) delete status.active;
      await this.client.updateStatus(CRON_JOBS, cj);
    }
    if (syncError) throw syncError;
    if (synced.requeueAfter !== undefined) return { requeueAfter: capDelay(Math.max(1, synced.requeueAfter)) };
  }

  private async syncCronJob(cj: KubeObject, jobs: readonly Readonly<KubeObject>[]): Promise<{ requeueAfter?: number; update: boolean }> {
    const now = this.clock.now();
    const spec = (cj.spec ?? {}) as CronJobSpec;
    const status = cj.status as CronJobStatus;
    let update = false;
    const children = new Set<string>();
    for (const job of jobs) {
      const jobUid = job.metadata?.uid ?? '';
      children.add(jobUid);
      const found = inActive(status, jobUid);
      if (!found && !isJobFinished(job)) {
        // Perhaps our own status write is not in the cache yet: read the CronJob to be sure.
        const fresh = await this.client.get(CRON_JOBS, cj.metadata!.namespace, cj.metadata!.name!);
        if (inActive((fresh.status ?? {}) as CronJobStatus, jobUid)) {
          Object.assign(cj, { metadata: fresh.metadata, status: fresh.status ?? {} });
          return this.syncCronJob(cj, jobs);
        }
        void this.recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.metadata?.name}`);
      } else if (found && isJobFinished(job)) {
        removeActive(status, jobUid);
        void this.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata?.name}, status: ${finishedCondition(job)?.type}`);
        update = true;
      }
      if (isJobSucceeded(job)) {
        // A Job need not be active to count: any that succeeded later than the last one moves the time.
        const completed = statusOf(job).completionTime;
        if (completed && (!status.lastSuccessfulTime || Date.parse(completed) > Date.parse(status.lastSuccessfulTime))) {
          status.lastSuccessfulTime = completed;
          update = true;
        }
      }
    }
    // A Job in status.active that no longer exists is dropped, so the CronJob does not look busy forever.
    for (const ref of [...(status.active ?? [])]) {
      // A reference that names no Job (written by hand) can only be dropped.
      if (!ref || typeof ref.name !== 'string' || ref.name === '') {
        status.active = (status.active ?? []).filter((r) => r && typeof r.name === 'string' && r.name !== '');
        update = true;
        continue;
      }
      if (children.has(ref.uid ?? '')) continue;
      try {
        await this.client.get(JOBS, ref.namespace ?? cj.metadata!.namespace, ref.name ?? '');
      } catch (err) {
        if (!isNotFound(err)) throw Object.assign(err as object, { update });
        void this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        removeActive(status, ref.uid ?? '');
        update = true;
      }
    }
    if (cj.metadata?.deletionTimestamp) return { update };
    if (spec.timeZone != null && !validTimeZone(String(spec.timeZone))) {
      void this.recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(String(spec.timeZone))}: unknown time zone ${spec.timeZone}`);
      return { update };
    }
    if (spec.suspend) return { update };
    const scheduleText = String(spec.schedule ?? '');
    if (scheduleText.includes('TZ')) {
      void this.recorder.event(cj, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule ${JSON.stringify(scheduleText)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
    }
    const schedule = parseSchedule(scheduleText, scheduleText.includes('TZ') ? undefined : spec.timeZone);
    if (typeof schedule === 'string') {
      void this.recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(scheduleText)} : ${schedule}`);
      return { update };
    }
    const recent = mostRecentScheduleTime(cj, now, schedule, true);
    if (recent.error) {
      void this.recorder.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${scheduleText} : ${recent.error}`);
      return { update };
    }
    const next = () => nextScheduleDelay(cj, now, schedule);
    const scheduled = recent.mostRecent;
    if (scheduled === undefined || scheduled > now) return { requeueAfter: next(), update };
    if (recent.missed > MANY_MISSED) {
      void this.recorder.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    if (typeof spec.startingDeadlineSeconds === 'number' && scheduled + spec.startingDeadlineSeconds * 1000 < now) {
      void this.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return { requeueAfter: next(), update };
    }
    const name = jobName(cj, scheduled);
    if ((status.active ?? []).some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === scheduled)) {
      return { requeueAfter: next(), update };
    }
    if (spec.concurrencyPolicy === 'Forbid' && (status.active ?? []).length > 0) {
      void this.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return { requeueAfter: next(), update };
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const ref of [...(status.active ?? [])]) {
        let job: KubeObject;
        try {
          job = await this.client.get(JOBS, ref.namespace ?? cj.metadata!.namespace, ref.name ?? '');
        } catch (err) {
          void this.recorder.event(cj, 'Warning', 'FailedGet', `Get job: ${message(err)}`);
          throw Object.assign(err as object, { update });
        }
        if (!(await this.deleteJob(cj, job))) throw Object.assign(new Error(`could not replace job ${job.metadata?.namespace}/${job.metadata?.name}`), { update });
        update = true;
      }
    }
    const request = jobFromTemplate(cj, scheduled);
    let created: KubeObject;
    try {
      created = await this.client.create(JOBS, cj.metadata!.namespace, request);
      void this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata?.name}`);
    } catch (err) {
      if (hasCause(err, 'NamespaceTerminating')) throw Object.assign(err as object, { update });
      if (!isAlreadyExists(err)) {
        void this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${message(err)}`);
        throw Object.assign(err as object, { update });
      }
      // Made earlier by us with the status write lost, or by someone else: only ours goes into active.
      created = await this.client.get(JOBS, cj.metadata!.namespace, name);
      if (controllerRefOf(created)?.uid !== cj.metadata?.uid || inActive(status, created.metadata?.uid ?? '')) return { update };
    }
    status.active = [...(status.active ?? []), { kind: 'Job', namespace: created.metadata?.namespace, name: created.metadata?.name, uid: created.metadata?.uid, apiVersion: 'batch/v1', resourceVersion: created.metadata?.resourceVersion }];
    status.lastScheduleTime = rfc3339(scheduled);
    return { requeueAfter: nextScheduleDelay(cj, now, schedule), update: true };
  }

  // cleanupFinishedJobs deletes the oldest finished Jobs beyond the history limits.
  private async cleanupFinishedJobs(cj: KubeObject, jobs: readonly Readonly<KubeObject>[]): Promise<boolean> {
    const spec = (cj.spec ?? {}) as CronJobSpec;
    const successful = jobs.filter((j) => finishedCondition(j)?.type === 'Complete');
    const failed = jobs.filter((j) => finishedCondition(j)?.type === 'Failed');
    let update = false;
    for (const [list, limit] of [[successful, spec.successfulJobsHistoryLimit], [failed, spec.failedJobsHistoryLimit]] as const) {
      if (typeof limit !== 'number' || list.length <= limit) continue;
      const oldest = [...list].sort(byStartTime).slice(0, list.length - limit);
      for (const job of oldest) if (await this.deleteJob(cj, job)) update = true;
    }
    return update;
  }

  private async deleteJob(cj: KubeObject, job: Readonly<KubeObject>): Promise<boolean> {
    try {
      await this.client.delete(JOBS, job.metadata!.namespace, job.metadata!.name!, { propagationPolicy: 'Background' });
    } catch (err) {
      if (!isNotFound(err)) {
        void this.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${message(err)}`);
        return false;
      }
    }
    removeActive(cj.status as CronJobStatus, job.metadata?.uid ?? '');
    void this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata?.name}`);
    return true;
  }
}

/** nextScheduleDelay is how long until just after the CronJob's next scheduled time (kube's nextScheduleTimeDuration). */
export function nextScheduleDelay(cj: Readonly<KubeObject>, now: number, schedule: Schedule): number {
  const recent = mostRecentScheduleTime(cj, now, schedule, false);
  let from: number;
  if (recent.error) from = now;
  else if (recent.mostRecent === undefined) from = recent.missed === 0 ? recent.earliest : now;
  else from = recent.mostRecent;
  const next = schedule.next(from);
  // A schedule that never fires again (Feb 30th) is looked at again in a day.
  return next === undefined ? 24 * 3_600_000 : next + NEXT_SCHEDULE_DELTA_MS - now;
}

/** jobName is `<cronjob>-<scheduled time in minutes since the epoch>`. */
export function jobName(cj: Readonly<KubeObject>, scheduled: number): string {
  return `${cj.metadata?.name}-${Math.floor(scheduled / 60_000)}`;
}

/** jobFromTemplate is the Job a CronJob creates for a scheduled time. */
export function jobFromTemplate(cj: Readonly<KubeObject>, scheduled: number): KubeObject {
  const spec = (cj.spec ?? {}) as CronJobSpec;
  const template = spec.jobTemplate ?? {};
  const zone = spec.timeZone && validTimeZone(spec.timeZone) ? spec.timeZone : 'UTC';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(cj, scheduled),
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: { ...(template.metadata?.annotations ?? {}), [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339InZone(scheduled, zone) },
      ownerReferences: [{ ...newControllerRef(cj) }],
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

/** rfc3339InZone renders a time in an IANA zone as Go's RFC3339 layout does ("Z" for offset 0). */
export function rfc3339InZone(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  const offset = Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${zone}`;
}

// rfc1123z is Go's time.RFC1123Z layout in UTC: "Mon, 02 Jan 2006 15:04:05 +0000".
function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

function inActive(status: CronJobStatus, uid: string): boolean {
  return (Array.isArray(status.active) ? status.active : []).some((r) => r?.uid === uid);
}

function removeActive(status: CronJobStatus, uid: string): void {
  status.active = (Array.isArray(status.active) ? status.active : []).filter((r) => r?.uid !== uid);
}

// byStartTime orders Jobs by status.startTime (unstarted last), then by name.
function byStartTime(a: Readonly<KubeObject>, b: Readonly<KubeObject>): number {
  const sa = Date.parse(statusOf(a).startTime ?? '');
  const sb = Date.parse(statusOf(b).startTime ?? '');
  if (Number.isNaN(sa) !== Number.isNaN(sb)) return Number.isNaN(sa) ? 1 : -1;
  if (!Number.isNaN(sa) && sa !== sb) return sa - sb;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}


