/**
 * End-to-end: the real kubectl on Jobs and CronJobs against the built server, its built-in Job,
 * CronJob and TTL controllers running in it. Pods run as a FakeKubelet in this test process
 * decides, talking to the server over HTTP with the admin kubeconfig: a pod named for a failing
 * job fails with exit code 3, every other pod succeeds.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { HttpClient, loadKubeconfig } from '../../controllers/runtime/http-client';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';
import { FakeKubelet } from '../helpers/fake-kubelet';

const run = promisify(execFile);
let server: CliServer;
let kubelet: FakeKubelet;

async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 60000 });
}

function writeJSON(name: string, value: unknown): string {
  const file = path.join(server.dataDir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

beforeAll(async () => {
  // The test plays the kubelet (a FakeKubelet decides how each pod ends), so the instance scheduler is off.
  server = await startCliServer(['--scheduler=false']);
  const client = new HttpClient(loadKubeconfig(server.kubeconfig), 'fake-kubelet');
  kubelet = await new FakeKubelet(client, {
    decide: (pod) => (pod.metadata?.labels?.['batch.kubernetes.io/job-name']?.startsWith('fails') ? { phase: 'Failed', exitCode: 3 } : { phase: 'Succeeded' }),
  }).start();
}, 60000);

afterAll(async () => {
  kubelet?.stop();
  await server?.stop();
});

describe('kubectl on Jobs and CronJobs', () => {
  it('[sig-apps] kubectl create job runs to completion, and kubectl wait --for=condition=complete returns', async () => {
    expect((await kubectl('create', 'job', 'hello', '--image=busybox', '--', 'echo', 'hi')).stdout).toBe('job.batch/hello created\n');
    const waited = await kubectl('wait', '--for=condition=complete', 'job/hello', '--timeout=60s');
    expect(waited.stdout).toBe('job.batch/hello condition met\n');
    expect((await kubectl('get', 'job', 'hello', '-o', 'jsonpath={.status.succeeded} {.status.uncountedTerminatedPods}')).stdout).toBe('1 {}');
    const pods = (await kubectl('get', 'pods', '-l', 'job-name=hello', '-o', 'jsonpath={.items[*].metadata.name}')).stdout.split(' ');
    expect(pods).toHaveLength(1);
    expect(pods[0]).toMatch(/^hello-[a-z0-9]{5}$/);
    // Counted, the pod no longer holds the job-tracking finalizer.
    expect((await kubectl('get', 'pod', pods[0], '-o', 'jsonpath={.metadata.finalizers}')).stdout).not.toContain('batch.kubernetes.io/job-tracking');
  });

  it('kubectl get jobs prints STATUS, COMPLETIONS, DURATION and AGE as kubectl 1.32 does', async () => {
    const out = (await kubectl('get', 'jobs')).stdout.split('\n');
    expect(out[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
    expect(out[1]).toMatch(/^hello\s+Complete\s+1\/1\s+\d+s\s+\d+s$/);
    const wide = (await kubectl('get', 'jobs', '-o', 'wide')).stdout.split('\n');
    expect(wide[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(wide[1]).toMatch(/hello\s+busybox\s+batch\.kubernetes\.io\/controller-uid=[0-9a-f-]{36}$/);
  });

  it('kubectl describe job shows the controller events', async () => {
    const out = (await kubectl('describe', 'job', 'hello')).stdout;
    expect(out).toMatch(/Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed/);
    expect(out).toMatch(/Normal\s+SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: hello-[a-z0-9]{5}/);
    expect(out).toMatch(/Normal\s+Completed\s+\S+\s+job-controller\s+Job completed/);
    const events = (await kubectl('events', '--for', 'job/hello')).stdout;
    expect(events).toMatch(/Normal\s+SuccessfulCreate\s+Job\/hello\s+Created pod: hello-[a-z0-9]{5}/);
    expect(events).toMatch(/Normal\s+Completed\s+Job\/hello\s+Job completed/);
  });

  it('a failing job stops at backoffLimit, and kubectl wait --for=condition=failed returns', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'fails' },
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['false'] }] } } },
    };
    await kubectl('apply', '-f', writeJSON('fails.json', job));
    expect((await kubectl('wait', '--for=condition=failed', 'job/fails', '--timeout=60s')).stdout).toBe('job.batch/fails condition met\n');
    expect((await kubectl('get', 'job', 'fails', '-o', 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}')).stdout).toBe('BackoffLimitExceeded');
    expect((await kubectl('get', 'job', 'fails')).stdout).toMatch(/fails\s+Failed\s+0\/1\s+\d+s\s+\d+s/);
    const described = (await kubectl('describe', 'job', 'fails')).stdout;
    expect(described).toMatch(/Warning\s+BackoffLimitExceeded\s+\S+\s+job-controller\s+Job has reached the specified backoff limit/);
  });

  it('an indexed job gives each pod JOB_COMPLETION_INDEX', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'indexed' },
      spec: { completions: 2, parallelism: 2, completionMode: 'Indexed', template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    await kubectl('apply', '-f', writeJSON('indexed.json', job));
    await kubectl('wait', '--for=condition=complete', 'job/indexed', '--timeout=60s');
    expect((await kubectl('get', 'job', 'indexed', '-o', 'jsonpath={.status.completedIndexes}')).stdout).toBe('0,1');
    const env = (await kubectl('get', 'pods', '-l', 'job-name=indexed', '-o', 'jsonpath={.items[*].spec.containers[0].env[0].name}')).stdout;
    expect(env).toBe('JOB_COMPLETION_INDEX JOB_COMPLETION_INDEX');
  });

  it('kubectl create cronjob, then kubectl create job --from=cronjob/x runs its template', async () => {
    expect((await kubectl('create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *')).stdout).toBe('cronjob.batch/nightly created\n');
    const cj = (await kubectl('get', 'cronjobs')).stdout.split('\n');
    expect(cj[0]).toMatch(/^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);
    expect(cj[1]).toMatch(/^nightly\s+0 3 \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s$/);
    expect((await kubectl('create', 'job', 'manual', '--from=cronjob/nightly')).stdout).toBe('job.batch/manual created\n');
    await kubectl('wait', '--for=condition=complete', 'job/manual', '--timeout=60s');
    const owner = (await kubectl('get', 'job', 'manual', '-o', 'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate}')).stdout;
    expect(owner).toBe('CronJob/nightly manual');
    // A Job the controller did not create is noticed, as kube's controller does.
    const described = await waitFor(async () => {
      const out = (await kubectl('describe', 'cronjob', 'nightly')).stdout;
      return out.includes('UnexpectedJob') && out;
    }, 'the UnexpectedJob event', 30000);
    expect(described).toMatch(/Warning\s+UnexpectedJob\s+.+?\s+cronjob-controller\s+Saw a job that the controller did not create or forgot: manual/);
  });

  it('ttlSecondsAfterFinished deletes a finished job', async () => {
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'shortlived' }, spec: { ttlSecondsAfterFinished: 1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } };
    await kubectl('apply', '-f', writeJSON('ttl.json', job));
    await kubectl('wait', '--for=delete', 'job/shortlived', '--timeout=60s');
    await expect(kubectl('get', 'job', 'shortlived')).rejects.toMatchObject({ stderr: expect.stringContaining('jobs.batch "shortlived" not found') });
  });

  it('refuses a cron schedule or timeZone that does not parse, naming the field', async () => {
    await expect(kubectl('create', 'cronjob', 'bad', '--image=busybox', '--schedule=61 * * * *')).rejects.toMatchObject({
      stderr: expect.stringContaining('spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'),
    });
    const zoned = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'zoned' }, spec: { schedule: '@hourly', timeZone: 'Mars/Olympus_Mons', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } } };
    await expect(kubectl('apply', '-f', writeJSON('zoned.json', zoned))).rejects.toMatchObject({
      stderr: expect.stringContaining('spec.timeZone: Invalid value: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons'),
    });
    const tz = { ...zoned, metadata: { name: 'tz' }, spec: { ...zoned.spec, timeZone: undefined, schedule: 'TZ=UTC 0 * * * *' } };
    await expect(kubectl('apply', '-f', writeJSON('tz.json', tz))).rejects.toMatchObject({
      stderr: expect.stringContaining('cannot use TZ or CRON_TZ in schedule, use timeZone field instead'),
    });
  });
});
