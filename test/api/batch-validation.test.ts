/**
 * batch/v1 Jobs and CronJobs, and autoscaling HorizontalPodAutoscalers, as kube-apiserver 1.32
 * stores and refuses them: SetDefaults_* values, the generated Job selector, the update rules of
 * the Job strategy, CronJob schedules and time zones, and the HPA defaults seen through v1 and v2.
 */
import type { Response } from 'supertest';
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  // Validation only: no Job or CronJob controller may write to the objects between a test's reads and writes.
  t = await startTestServer({ controllers: false });
});
afterAll(() => t.close());

const JOBS = '/apis/batch/v1/namespaces/default/jobs';
const CRONJOBS = '/apis/batch/v1/namespaces/default/cronjobs';
type Cause = { reason: string; field: string; message: string };

function expectInvalid(res: Response, ...causes: Cause[]): void {
  expect(res.status).toBe(422);
  expect(res.body.reason).toBe('Invalid');
  for (const c of causes) expect(res.body.details.causes).toContainEqual(c);
}

const podSpec = (extra: Record<string, unknown> = {}) => ({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }], ...extra });
function job(name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { metadata: labels ? { labels } : {}, spec: podSpec() }, ...spec } };
}
function cronJob(name: string, spec: Record<string, unknown> = {}, jobSpec: Record<string, unknown> = {}) {
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: podSpec() }, ...jobSpec } }, ...spec } };
}

describe('Jobs', () => {
  it('should store SetDefaults_Job values and the generated selector and labels', async () => {
    const res = await t.api.post(JOBS).send(job('defaults', {}, { app: 'batch' })).expect(201);
    const uid = res.body.metadata.uid;
    expect(res.body.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed' });
    expect(res.body.spec.manualSelector).toBeUndefined();
    expect(res.body.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    const generated = { 'controller-uid': uid, 'batch.kubernetes.io/controller-uid': uid, 'job-name': 'defaults', 'batch.kubernetes.io/job-name': 'defaults' };
    expect(res.body.spec.template.metadata.labels).toEqual({ app: 'batch', ...generated });
    // A Job without labels of its own has its template's, the generated ones included.
    expect(res.body.metadata.labels).toEqual({ app: 'batch', ...generated });
  });

  it('should default parallelism alone when completions is set, and Failed replacement with a podFailurePolicy', async () => {
    const res = await t.api
      .post(JOBS)
      .send(job('defaults-2', { completions: 3, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }))
      .expect(201);
    expect(res.body.spec).toMatchObject({ completions: 3, parallelism: 1, podReplacementPolicy: 'Failed' });
    expect(res.body.spec.podFailurePolicy.rules[0].onPodConditions[0].status).toBe('True');
    expect(res.body.metadata.labels).toBeUndefined();
  });

  it('should refuse a manualSelector Job without a selector', async () => {
    const res = await t.api.post(JOBS).send(job('manual', { manualSelector: true }, { app: 'm' }));
    expectInvalid(
      res,
      { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
      { reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: 'Invalid value: map[string]string{"app":"m"}: `selector` does not match template `labels`' },
    );
  });

  it('should accept a manual selector that matches the template', async () => {
    const res = await t.api.post(JOBS).send(job('manual-ok', { manualSelector: true, selector: { matchLabels: { app: 'm' } } }, { app: 'm' })).expect(201);
    expect(res.body.spec.selector).toEqual({ matchLabels: { app: 'm' } });
    expect(res.body.spec.template.metadata.labels).toEqual({ app: 'm' });
  });

  it('should refuse a selector that is not the generated one without manualSelector', async () => {
    const res = await t.api.post(JOBS).send(job('not-generated', { selector: { matchLabels: { app: 'x' } } }, { app: 'x' }));
    expect(res.status).toBe(422);
    const uid = res.body.details.causes.find((c: Cause) => c.field === 'spec.selector').message.match(/controller-uid":"([^"]+)"/)[1];
    expectInvalid(res, {
      reason: 'FieldValueInvalid',
      field: 'spec.selector',
      message: `Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x", "batch.kubernetes.io/controller-uid":"${uid}"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: \`selector\` not auto-generated`,
    });
  });

  it('should refuse a template label that contradicts the generated one', async () => {
    const res = await t.api.post(JOBS).send(job('wrong-name', {}, { 'job-name': 'other' }));
    expect(res.status).toBe(422);
    const cause = res.body.details.causes.find((c: Cause) => c.field === 'spec.template.metadata.labels[job-name]');
    expect(cause.message).toMatch(/^Invalid value: map\[string\]string\{.*"job-name":"other".*\}: must be 'wrong-name'$/);
  });

  it('should require restartPolicy OnFailure or Never', async () => {
    const always = job('restart');
    always.spec.template.spec = podSpec({ restartPolicy: 'Always' });
    expectInvalid(await t.api.post(JOBS).send(always), {
      reason: 'FieldValueRequired',
      field: 'spec.template.spec.restartPolicy',
      message: 'Required value: valid values: "OnFailure", "Never"',
    });
    const unset = job('restart');
    unset.spec.template.spec = { containers: podSpec().containers } as never;
    expectInvalid(await t.api.post(JOBS).send(unset), { reason: 'FieldValueRequired', field: 'spec.template.spec.restartPolicy', message: 'Required value: valid values: "OnFailure", "Never"' });
    const other = job('restart');
    other.spec.template.spec = podSpec({ restartPolicy: 'Sometimes' });
    expectInvalid(await t.api.post(JOBS).send(other), {
      reason: 'FieldValueNotSupported',
      field: 'spec.template.spec.restartPolicy',
      message: 'Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
    });
  });

  it('should refuse negative counts, an unknown completionMode and an Indexed Job without completions', async () => {
    const res = await t.api.post(JOBS).send(job('counts', { parallelism: -1, completions: -2, backoffLimit: -3, activeDeadlineSeconds: -4, completionMode: 'Sometimes' }));
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: 'spec.parallelism', message: 'Invalid value: -1: must be greater than or equal to 0' },
      { reason: 'FieldValueInvalid', field: 'spec.completions', message: 'Invalid value: -2: must be greater than or equal to 0' },
      { reason: 'FieldValueInvalid', field: 'spec.backoffLimit', message: 'Invalid value: -3: must be greater than or equal to 0' },
      { reason: 'FieldValueInvalid', field: 'spec.activeDeadlineSeconds', message: 'Invalid value: -4: must be greater than or equal to 0' },
      { reason: 'FieldValueNotSupported', field: 'spec.completionMode', message: 'Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"' },
    );
    expectInvalid(await t.api.post(JOBS).send(job('indexed', { completionMode: 'Indexed', parallelism: 2 })), {
      reason: 'FieldValueRequired',
      field: 'spec.completions',
      message: 'Required value: when completion mode is Indexed',
    });
    expectInvalid(await t.api.post(JOBS).send(job('per-index', { backoffLimitPerIndex: 1 })), {
      reason: 'FieldValueInvalid',
      field: 'spec.backoffLimitPerIndex',
      message: 'Invalid value: 1: requires indexed completion mode',
    });
  });

  it('should keep the template, selector and completions of a Job immutable', async () => {
    const created = (await t.api.post(JOBS).send(job('immutable')).expect(201)).body;
    const changed = structuredClone(created);
    changed.spec.template.spec.containers[0].image = 'busybox:1.37';
    changed.spec.completions = 2;
    const res = await t.api.put(`${JOBS}/immutable`).send(changed);
    expectInvalid(res, { reason: 'FieldValueInvalid', field: 'spec.completions', message: 'Invalid value: 2: field is immutable' });
    const template = res.body.details.causes.find((c: Cause) => c.field === 'spec.template');
    expect(template.reason).toBe('FieldValueInvalid');
    expect(template.message).toMatch(/: field is immutable$/);
    // Parallelism may change.
    created.spec.parallelism = 3;
    expect((await t.api.put(`${JOBS}/immutable`).send(created).expect(200)).body.metadata.generation).toBe(2);
  });

  it('should let a suspended Job that never started change its scheduling directives only', async () => {
    const created = (await t.api.post(JOBS).send(job('suspended', { suspend: true })).expect(201)).body;
    created.spec.template.spec.nodeSelector = { zone: 'a' };
    created.spec.template.metadata.annotations = { note: 'x' };
    const updated = (await t.api.put(`${JOBS}/suspended`).send(created).expect(200)).body;
    expect(updated.spec.template.spec.nodeSelector).toEqual({ zone: 'a' });
    updated.spec.template.spec.containers[0].image = 'busybox:1.37';
    expect((await t.api.put(`${JOBS}/suspended`).send(updated)).status).toBe(422);
  });

  it('should let an Indexed Job change completions only together with parallelism', async () => {
    const created = (await t.api.post(JOBS).send(job('elastic', { completionMode: 'Indexed', completions: 2, parallelism: 2 })).expect(201)).body;
    created.spec.completions = 4;
    expectInvalid(await t.api.put(`${JOBS}/elastic`).send(created), {
      reason: 'FieldValueInvalid',
      field: 'spec.completions',
      message: 'Invalid value: 4: can only be modified in tandem with spec.parallelism',
    });
    created.spec.parallelism = 4;
    expect((await t.api.put(`${JOBS}/elastic`).send(created).expect(200)).body.spec.completions).toBe(4);
  });
});

describe('CronJobs', () => {
  it('should store SetDefaults_CronJob values and leave the job template to the Job defaults', async () => {
    const res = await t.api.post(CRONJOBS).send(cronJob('defaults')).expect(201);
    expect(res.body.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(res.body.spec.jobTemplate.spec.backoffLimit).toBeUndefined();
    expect(res.body.spec.jobTemplate.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
  });

  it.each([
    ['every 5 minutes', 'expected exactly 5 fields, found 3: [every 5 minutes]'],
    ['61 * * * *', 'end of range (61) above maximum (59): 61'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['a * * * *', 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
  ])('should refuse the schedule %j with robfig/cron\'s error', async (schedule, why) => {
    expectInvalid(await t.api.post(CRONJOBS).send(cronJob('schedule', { schedule })), {
      reason: 'FieldValueInvalid',
      field: 'spec.schedule',
      message: `Invalid value: ${JSON.stringify(schedule)}: ${why}`,
    });
  });

  it.each(['@hourly', '0 0 * * MON-FRI', '0 12 1 jan,jul ?', '15,45 */2 * * *'])('should accept the schedule %j', async (schedule) => {
    const res = await t.api.post(CRONJOBS).send(cronJob(`ok-${Math.random().toString(36).slice(2, 8)}`, { schedule }));
    expect(res.status).toBe(201);
  });

  it('should refuse TZ in the schedule, an unknown time zone, and Local', async () => {
    expectInvalid(await t.api.post(CRONJOBS).send(cronJob('tz', { schedule: 'TZ=UTC 0 * * * *' })), {
      reason: 'FieldValueInvalid',
      field: 'spec.schedule',
      message: 'Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    });
    expectInvalid(await t.api.post(CRONJOBS).send(cronJob('tz', { timeZone: 'Mars/Olympus' })), {
      reason: 'FieldValueInvalid',
      field: 'spec.timeZone',
      message: 'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    });
    expectInvalid(await t.api.post(CRONJOBS).send(cronJob('tz', { timeZone: 'Local' })), {
      reason: 'FieldValueInvalid',
      field: 'spec.timeZone',
      message: 'Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
    });
    await t.api.post(CRONJOBS).send(cronJob('tz-ok', { timeZone: 'Europe/Berlin' })).expect(201);
  });

  it('should refuse an unknown concurrencyPolicy, negative deadlines and limits, a long name and a job template selector', async () => {
    const res = await t.api
      .post(CRONJOBS)
      .send(cronJob('x'.repeat(53), { concurrencyPolicy: 'Sometimes', startingDeadlineSeconds: -1, successfulJobsHistoryLimit: -1 }, { selector: { matchLabels: { a: 'b' } }, manualSelector: true }));
    expectInvalid(
      res,
      { reason: 'FieldValueNotSupported', field: 'spec.concurrencyPolicy', message: 'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"' },
      { reason: 'FieldValueInvalid', field: 'spec.startingDeadlineSeconds', message: 'Invalid value: -1: must be greater than or equal to 0' },
      { reason: 'FieldValueInvalid', field: 'spec.successfulJobsHistoryLimit', message: 'Invalid value: -1: must be greater than or equal to 0' },
      { reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters` },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.jobTemplate.spec.selector',
        message: 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated',
      },
      { reason: 'FieldValueNotSupported', field: 'spec.jobTemplate.spec.manualSelector', message: 'Unsupported value: true: supported values: "nil", "false"' },
    );
  });

  it('should apply the Job template rules to the job template', async () => {
    const body = cronJob('template-rules', {}, { parallelism: -1 });
    body.spec.jobTemplate.spec.template.spec = podSpec({ restartPolicy: 'Always' });
    expectInvalid(
      await t.api.post(CRONJOBS).send(body),
      { reason: 'FieldValueInvalid', field: 'spec.jobTemplate.spec.parallelism', message: 'Invalid value: -1: must be greater than or equal to 0' },
      { reason: 'FieldValueRequired', field: 'spec.jobTemplate.spec.template.spec.restartPolicy', message: 'Required value: valid values: "OnFailure", "Never"' },
    );
  });
});

describe('HorizontalPodAutoscalers', () => {
  const V2 = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';
  const V1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

  it('should default minReplicas and the 80% CPU metric in v2 and show it as the CPU target in v1', async () => {
    const res = await t.api.post(V2).send({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'v2' }, spec: { scaleTargetRef: ref, maxReplicas: 5 } }).expect(201);
    expect(res.body.spec.minReplicas).toBe(1);
    expect(res.body.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    const v1 = (await t.api.get(`${V1}/v2`).expect(200)).body;
    expect(v1.spec).toMatchObject({ minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 80 });
  });

  it('should default an autoscaling/v1 object the same way when read through either version', async () => {
    const res = await t.api.post(V1).send({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'v1' }, spec: { scaleTargetRef: ref, maxReplicas: 3 } }).expect(201);
    expect(res.body.spec).toMatchObject({ minReplicas: 1, targetCPUUtilizationPercentage: 80 });
    const v2 = (await t.api.get(`${V2}/v1`).expect(200)).body;
    expect(v2.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  });

  it('should fill in the scaling rules of a given behavior', async () => {
    const res = await t.api
      .post(V2)
      .send({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'behavior' }, spec: { scaleTargetRef: ref, maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } })
      .expect(201);
    expect(res.body.spec.behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
  });

  it('should refuse minReplicas below 1, maxReplicas below minReplicas and a scaleTargetRef without kind and name', async () => {
    const res = await t.api.post(V2).send({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' }, spec: { scaleTargetRef: {}, minReplicas: 0, maxReplicas: 0 } });
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: 'spec.minReplicas', message: 'Invalid value: 0: must be greater than or equal to 1' },
      { reason: 'FieldValueInvalid', field: 'spec.maxReplicas', message: 'Invalid value: 0: must be greater than 0' },
      { reason: 'FieldValueRequired', field: 'spec.scaleTargetRef.kind', message: 'Required value' },
      { reason: 'FieldValueRequired', field: 'spec.scaleTargetRef.name', message: 'Required value' },
    );
    const v1 = await t.api.post(V1).send({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' }, spec: { scaleTargetRef: ref, minReplicas: 4, maxReplicas: 2 } });
    expectInvalid(v1, { reason: 'FieldValueInvalid', field: 'spec.maxReplicas', message: 'Invalid value: 2: must be greater than or equal to `minReplicas`' });
  });

  it('should refuse a metric without a supported type or its source', async () => {
    const res = await t.api
      .post(V2)
      .send({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'metrics' }, spec: { scaleTargetRef: ref, maxReplicas: 2, metrics: [{ type: 'Magic' }, { type: 'Resource' }] } });
    expectInvalid(
      res,
      { reason: 'FieldValueNotSupported', field: 'spec.metrics[0].type', message: 'Unsupported value: "Magic": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"' },
      { reason: 'FieldValueRequired', field: 'spec.metrics[1].resource', message: 'Required value: must populate information for the given metric source' },
    );
  });
});
