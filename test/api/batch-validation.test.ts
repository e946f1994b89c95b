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

  it('should refuse podFailurePolicy rules with a bad action, exit codes or pod conditions, and a rule matching on both or neither', async () => {
    const template = { spec: podSpec() };
    const res = await t.api.post(JOBS).send(job('failure-policy', {
      template,
      podFailurePolicy: {
        rules: [
          { action: 'Retry', onExitCodes: { operator: 'In', values: [0, 3, 3, 1] } },
          { action: 'FailIndex', onExitCodes: { operator: 'Between', containerName: 'sidecar', values: [] } },
          { action: '', onPodConditions: [{ type: 'DisruptionTarget' }, { type: 'bad type!', status: 'Maybe' }] },
          { action: 'Ignore', onExitCodes: { operator: 'NotIn', values: [0] }, onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          { action: 'Count' },
        ],
      },
    }));
    const at = (i: number) => `spec.podFailurePolicy.rules[${i}]`;
    expectInvalid(
      res,
      { reason: 'FieldValueNotSupported', field: `${at(0)}.action`, message: 'Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"' },
      { reason: 'FieldValueInvalid', field: `${at(0)}.onExitCodes.values[0]`, message: 'Invalid value: 0: must not be 0 for the In operator' },
      { reason: 'FieldValueDuplicate', field: `${at(0)}.onExitCodes.values[2]`, message: 'Duplicate value: 3' },
      { reason: 'FieldValueInvalid', field: `${at(0)}.onExitCodes.values`, message: 'Invalid value: []int32{0, 3, 3, 1}: must be ordered' },
      { reason: 'FieldValueInvalid', field: `${at(1)}.action`, message: 'Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set' },
      { reason: 'FieldValueNotSupported', field: `${at(1)}.onExitCodes.operator`, message: 'Unsupported value: "Between": supported values: "In", "NotIn"' },
      { reason: 'FieldValueInvalid', field: `${at(1)}.onExitCodes.containerName`, message: 'Invalid value: "sidecar": must be one of the container or initContainer names in the pod template' },
      { reason: 'FieldValueInvalid', field: `${at(1)}.onExitCodes.values`, message: 'Invalid value: []int32{}: at least one value is required' },
      { reason: 'FieldValueRequired', field: `${at(2)}.action`, message: 'Required value: valid values: ["Count" "FailIndex" "FailJob" "Ignore"]' },
      // onPodConditions[0] has no status: the Job defaults fill in True, so nothing is reported for it.
      { reason: 'FieldValueNotSupported', field: `${at(2)}.onPodConditions[1].status`, message: 'Unsupported value: "Maybe": supported values: "False", "True", "Unknown"' },
      { reason: 'FieldValueInvalid', field: at(3), message: 'Invalid value: specifying both OnExitCodes and OnPodConditions is not supported' },
      { reason: 'FieldValueInvalid', field: at(4), message: 'Invalid value: specifying one of OnExitCodes and OnPodConditions is required' },
    );
    const ok = await t.api.post(JOBS).send(job('failure-policy-ok', {
      template,
      podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [1, 42] } }, { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] },
    }));
    expect(ok.status).toBe(201);
  });

  it('should refuse successPolicy rules without a count or indexes, with indexes out of range or a count above completions', async () => {
    const indexed = (name: string, rules: unknown[]) => job(name, { completionMode: 'Indexed', completions: 5, parallelism: 5, successPolicy: { rules } });
    const res = await t.api.post(JOBS).send(indexed('success', [{}, { succeededIndexes: '0,2-7' }, { succeededIndexes: '3-1' }, { succeededIndexes: '0-1', succeededCount: 3 }, { succeededCount: 6 }]));
    const at = (i: number) => `spec.successPolicy.rules[${i}]`;
    expectInvalid(
      res,
      { reason: 'FieldValueRequired', field: at(0), message: 'Required value: at least one of succeededCount or succeededIndexes must be specified' },
      { reason: 'FieldValueInvalid', field: `${at(1)}.succeededIndexes`, message: 'Invalid value: "0,2-7": error parsing succeededIndexes: too large index: "7"' },
      { reason: 'FieldValueInvalid', field: `${at(2)}.succeededIndexes`, message: 'Invalid value: "3-1": error parsing succeededIndexes: non-increasing order, previous: 3, current: 1' },
      { reason: 'FieldValueInvalid', field: `${at(3)}.succeededCount`, message: 'Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)' },
      { reason: 'FieldValueInvalid', field: `${at(4)}.succeededCount`, message: 'Invalid value: 6: must be less than or equal to 5 (the number of specified completions)' },
    );
    expectInvalid(await t.api.post(JOBS).send(indexed('success-none', [])), {
      reason: 'FieldValueRequired', field: 'spec.successPolicy.rules', message: 'Required value: at least one rules must be specified when the successPolicy is specified',
    });
    expect((await t.api.post(JOBS).send(indexed('success-ok', [{ succeededIndexes: '0-2,4', succeededCount: 3 }]))).status).toBe(201);
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

  it('should refuse Object, Pods, External and ContainerResource sources missing their metric, target or container, and a second source', async () => {
    const res = await t.api.post(V2).send({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'sources' },
      spec: {
        scaleTargetRef: ref,
        maxReplicas: 2,
        metrics: [
          { type: 'Object', object: { describedObject: { kind: 'Ingress', name: 'main' }, metric: { name: '' }, target: { type: 'Value', value: '-1' } } },
          { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'Value', value: '5' } } },
          { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', value: '10', averageValue: '2' } } },
          { type: 'ContainerResource', containerResource: { name: 'cpu', container: '', target: { type: 'Utilization', averageUtilization: 0 } } },
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } }, pods: { metric: { name: 'x' }, target: { type: 'AverageValue', averageValue: '1' } } },
        ],
      },
    });
    expectInvalid(
      res,
      { reason: 'FieldValueRequired', field: 'spec.metrics[0].object.metric.name', message: 'Required value: must specify a metric name' },
      { reason: 'FieldValueInvalid', field: 'spec.metrics[0].object.target.value', message: 'Invalid value: "-1": must be positive' },
      { reason: 'FieldValueRequired', field: 'spec.metrics[1].pods.target.averageValue', message: 'Required value: must specify a positive target averageValue' },
      { reason: 'FieldValueForbidden', field: 'spec.metrics[2].external.target.value', message: 'Forbidden: may not set both a target value for metric and a per-pod target' },
      { reason: 'FieldValueRequired', field: 'spec.metrics[3].containerResource.container', message: 'Required value: must specify a container' },
      { reason: 'FieldValueInvalid', field: 'spec.metrics[3].containerResource.target.averageUtilization', message: 'Invalid value: 0: must be greater than 0' },
      { reason: 'FieldValueForbidden', field: 'spec.metrics[4].pods', message: 'Forbidden: must populate the given metric source only' },
    );
  });

  it('should refuse behavior rules outside their bounds', async () => {
    const res = await t.api.post(V2).send({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'rules' },
      spec: {
        scaleTargetRef: ref,
        maxReplicas: 2,
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 3601, selectPolicy: 'Average', policies: [{ type: 'Nodes', value: 0, periodSeconds: 1801 }] },
          scaleDown: { stabilizationWindowSeconds: -1, policies: [{ type: 'Percent', value: 10, periodSeconds: 0 }] },
        },
      },
    });
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: 'spec.behavior.scaleUp.stabilizationWindowSeconds', message: 'Invalid value: 3601: must be less than or equal to 3600' },
      { reason: 'FieldValueNotSupported', field: 'spec.behavior.scaleUp.selectPolicy', message: 'Unsupported value: "Average": supported values: "Disabled", "Max", "Min"' },
      { reason: 'FieldValueNotSupported', field: 'spec.behavior.scaleUp.policies[0].type', message: 'Unsupported value: "Nodes": supported values: "Percent", "Pods"' },
      { reason: 'FieldValueInvalid', field: 'spec.behavior.scaleUp.policies[0].value', message: 'Invalid value: 0: must be greater than zero' },
      { reason: 'FieldValueInvalid', field: 'spec.behavior.scaleUp.policies[0].periodSeconds', message: 'Invalid value: 1801: must be less than or equal to 1800' },
      { reason: 'FieldValueInvalid', field: 'spec.behavior.scaleDown.stabilizationWindowSeconds', message: 'Invalid value: -1: must be greater than or equal to zero' },
      { reason: 'FieldValueInvalid', field: 'spec.behavior.scaleDown.policies[0].periodSeconds', message: 'Invalid value: 0: must be greater than zero' },
    );
  });
});
