/**
 * End-to-end with the real kubectl on a default `nodeless serve`: every controller and the
 * instance scheduler together, nothing playing the kubelet. A Deployment's pods run on their own
 * instances and `kubectl rollout status` returns; a Job completes out of the box; a StatefulSet
 * comes up in order; an instance lost by the provider fails its pod and the ReplicaSet replaces
 * it; deleting a Deployment removes its ReplicaSets and pods; every run is billed; a namespace budget
 * refuses the pod it cannot pay for.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { restartCliServer, startCliServer, waitFor, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
const MAIN = path.join(__dirname, '../../dist/server/main.js');
let server: CliServer;

async function kubectl(...args: string[]): Promise<string> {
  return (await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 90000 })).stdout;
}

function apply(name: string, manifest: unknown): Promise<string> {
  const file = path.join(server.dataDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(manifest));
  return kubectl('apply', '-f', file);
}

interface PodView {
  metadata: { name: string; annotations?: Record<string, string>; deletionTimestamp?: string };
  status: { phase?: string; reason?: string; message?: string };
}

async function pods(selector: string): Promise<PodView[]> {
  return JSON.parse(await kubectl('get', 'pods', '-l', selector, '-o', 'json')).items;
}

beforeAll(async () => {
  server = await startCliServer();
});

afterAll(async () => {
  await server?.stop();
});

describe('serverless workloads on the default server', () => {
  it('rolls out a Deployment whose pods run on their own instances, and rolls it again on a new image', async () => {
    await kubectl('create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3');
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=90s')).toMatch(/deployment "web" successfully rolled out\n$/);
    const running = await pods('app=web');
    expect(running).toHaveLength(3);
    const instances = running.map((p) => p.metadata.annotations?.['nodeless.dev/instance-id']);
    expect(new Set(instances).size).toBe(3);
    for (const p of running) expect(p.status.phase).toBe('Running');
    // The NODE column carries each pod's instance.
    const wide = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'wide');
    for (const id of instances) expect(wide).toContain(id!);
    expect(await kubectl('get', 'nodes')).toBe('');

    await kubectl('set', 'image', 'deployment/web', 'nginx=nginx:1.28');
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=90s')).toMatch(/successfully rolled out\n$/);
    const history = await kubectl('rollout', 'history', 'deployment/web');
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
    await waitFor(async () => (await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.status.updatedReplicas}/{.status.availableReplicas}')) === '3/3', 'three updated, available replicas', 60000);
    const updated = (await pods('app=web')).filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running');
    expect(updated.length).toBeGreaterThanOrEqual(3);
  });

  it('completes a `kubectl create job` out of the box: its pod runs and exits 0 on the simulated provider', async () => {
    await kubectl('create', 'job', 'once', '--image=busybox');
    expect(await kubectl('wait', '--for=condition=complete', 'job/once', '--timeout=90s')).toBe('job.batch/once condition met\n');
    expect(await kubectl('get', 'job', 'once', '-o', 'jsonpath={.status.succeeded}')).toBe('1');
    const [pod] = await pods('job-name=once');
    expect(pod.status.phase).toBe('Succeeded');
  });

  it('brings a StatefulSet up in order, each pod on an instance', async () => {
    const labels = { app: 'db' };
    await apply('db', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'db', image: 'postgres:17' }] } } },
    });
    expect(await kubectl('rollout', 'status', 'statefulset/db', '--timeout=90s')).toMatch(/partitioned roll out complete: 2 new pods have been updated/);
    const names = (await pods('app=db')).map((p) => p.metadata.name).sort();
    expect(names).toEqual(['db-0', 'db-1']);
  });

  it('fails a pod whose instance is lost, and its ReplicaSet replaces it', async () => {
    const labels = { app: 'fragile' };
    await apply('fragile', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'fragile' },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        // Every instance of this template is lost two seconds after it starts.
        template: { metadata: { labels, annotations: { 'nodeless.dev/instance-lost-after': '2s' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      },
    });
    const lost = await waitFor(async () => (await pods('app=fragile')).find((p) => p.status.phase === 'Failed'), 'a pod failed by its lost instance', 60000);
    expect(lost.status.reason).toBe('InstanceLost');
    const replacement = await waitFor(
      async () => (await pods('app=fragile')).find((p) => p.metadata.name !== lost.metadata.name && p.status.phase !== 'Failed' && !p.metadata.deletionTimestamp),
      'a replacement pod',
      60000,
    );
    expect(replacement.metadata.name).toMatch(/^fragile-[a-z0-9]+-[a-z0-9]{5}$/);
    await kubectl('delete', 'deployment', 'fragile');
  });

  it('deletes a Deployment with its ReplicaSets and pods, the pods stopping on their instances', async () => {
    expect(await kubectl('delete', 'deployment', 'web')).toBe('deployment.apps "web" deleted\n');
    await waitFor(async () => (await kubectl('get', 'replicasets', '-l', 'app=web', '-o', 'name')) === '', 'the ReplicaSets to go', 60000);
    await waitFor(async () => (await pods('app=web')).length === 0, 'the pods to go', 60000);
  });

  it('finishes a rollout interrupted by kill -9 of the server, with no extra pods', async () => {
    const labels = { app: 'mid' };
    const deployment = (image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'mid' },
      spec: {
        replicas: 4,
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        // Each new pod takes a second to become ready, so the rollout is slow enough to interrupt.
        template: { metadata: { labels, annotations: { 'nodeless.dev/readiness-delay': '1s' } }, spec: { containers: [{ name: 'c', image }] } },
      },
    });
    await apply('mid', deployment('nginx:1.27'));
    await kubectl('rollout', 'status', 'deployment/mid', '--timeout=90s');
    await apply('mid', deployment('nginx:1.28'));
    await waitFor(async () => Number(await kubectl('get', 'deployment', 'mid', '-o', 'jsonpath={.status.updatedReplicas}')) >= 1, 'the rollout to start', 60000);

    const exited = new Promise((r) => server.process.once('exit', r));
    server.process.kill('SIGKILL');
    await exited;
    server = await restartCliServer(server);

    expect(await kubectl('rollout', 'status', 'deployment/mid', '--timeout=120s')).toMatch(/deployment "mid" successfully rolled out\n$/);
    const live = (await pods('app=mid')).filter((p) => !p.metadata.deletionTimestamp && p.status.phase !== 'Failed' && p.status.phase !== 'Succeeded');
    expect(live).toHaveLength(4);
    const rss = JSON.parse(await kubectl('get', 'rs', '-l', 'app=mid', '-o', 'json')).items as Array<{ spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } }>;
    expect(rss.map((rs) => [rs.spec.template.spec.containers[0].image, rs.spec.replicas]).sort()).toEqual([['nginx:1.27', 0], ['nginx:1.28', 4]]);
  });

  it('bills every instance run in an InstanceRun', async () => {
    type Run = { spec: { podName: string; workload: { kind?: string; name?: string }; stop?: string; stopReason?: string; cost?: number; pricePerSecond: number } };
    const list = async () => (JSON.parse(await kubectl('get', 'instanceruns', '-A', '-o', 'json')).items as Run[]).map((r) => r.spec);
    // The deleted web pods' runs are closed once their instances stop.
    const runs = await waitFor(async () => {
      const all = await list();
      const web = all.filter((r) => r.workload.name === 'web');
      return web.length >= 6 && web.every((r) => r.stop !== undefined) && all;
    }, 'the web runs to be closed', 60000);
    // Three web pods, three of the new image, the job, two db pods and at least one fragile pod.
    expect(runs.length).toBeGreaterThanOrEqual(10);
    const job = runs.find((r) => r.podName.startsWith('once-'))!;
    expect(job.workload).toMatchObject({ kind: 'Job', name: 'once' });
    expect(job.stopReason).toBe('Completed');
    // A run is billed at least the one-minute minimum.
    expect(job.cost).toBeCloseTo(job.pricePerSecond * 60, 8);
    const web = runs.filter((r) => r.workload.kind === 'Deployment' && r.workload.name === 'web');
    expect(web.length).toBeGreaterThanOrEqual(6);
    expect(web.every((r) => r.stop !== undefined)).toBe(true);
    expect(runs.some((r) => r.workload.name === 'fragile' && r.stopReason === 'InstanceLost')).toBe(true);

    // `nodeless usage` bills the same runs: the Job's row is its one run's cost.
    const usage = async (...args: string[]) => run(process.execPath, [MAIN, 'usage', '--kubeconfig', server.kubeconfig, ...args], { timeout: 30000 });
    const report = JSON.parse((await usage('--by', 'workload', '-o', 'json')).stdout) as { items: Array<{ kind: string; name: string; runs: number; cost: number }>; totalCost: number };
    const jobRow = report.items.find((r) => r.kind === 'Job' && r.name === 'once')!;
    expect(jobRow).toMatchObject({ runs: 1 });
    expect(jobRow.cost).toBeCloseTo(job.cost!, 6);
    expect(report.items.find((r) => r.kind === 'Deployment' && r.name === 'web')!.runs).toBe(web.length);
    const table = (await usage()).stdout;
    expect(table).toMatch(/^NAMESPACE\s+RUNS\s+SECONDS\s+COST \(USD\)\ndefault\s+\d+\s+\d+\s+\d+\.\d{6}\n\nTOTAL \d+\.\d{6} USD\n$/);
    await expect(usage('--by', 'team')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('invalid --by "team"') });

    // `kubectl get usage -A`: one Usage per namespace, brought up to date as the bill changes.
    const usageLine = await waitFor(async () => {
      const out = await kubectl('get', 'usage', '-A');
      const m = /^default\s+usage\s+(\d+)\s+(\d+)\s+([\d.]+)\s+\S+$/m.exec(out);
      return m !== null && Number(m[1]) === runs.length && { out, runs: Number(m[1]), cost: Number(m[3]) };
    }, 'the Usage of default to count every run', 30000);
    expect(usageLine.out).toMatch(/^NAMESPACE\s+NAME\s+RUNS\s+RUNNING\s+COST\s+UPDATED$/m);
    expect(usageLine.cost).toBeGreaterThan(0);

    // The ledger is read-only to clients: kubectl can neither delete a Usage nor the definitions.
    const refusal = (args: string[]) => run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 }).then(() => '', (err: { stderr: string }) => err.stderr);
    expect(await refusal(['delete', 'usage', 'usage', '-n', 'default'])).toContain('Error from server (MethodNotAllowed): the server does not allow this method on the requested resource');
    expect(await refusal(['delete', 'crd', 'instanceruns.usage.nodeless.dev'])).toContain(`Error from server (Forbidden): customresourcedefinitions.apiextensions.k8s.io "instanceruns.usage.nodeless.dev" is forbidden: usage.nodeless.dev is nodeless's billing ledger`);
    expect(await kubectl('get', 'usage', '-n', 'default', '-o', 'name')).toBe('usage.usage.nodeless.dev/usage\n');
  });

  it('refuses the pod a namespace budget cannot pay for, with the reason in kubectl', async () => {
    await kubectl('create', 'namespace', 'thrifty');
    // A millionth of a dollar a day is less than any pod's one-minute minimum charge.
    await kubectl('annotate', 'namespace', 'thrifty', 'budget.nodeless.dev/daily=0.000001');
    const refused = await run('kubectl', ['run', 'spender', '-n', 'thrifty', '--image=nginx'], { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 }).then(
      () => undefined,
      (err: { stderr: string }) => err.stderr,
    );
    expect(refused).toMatch(/^Error from server \(Forbidden\): pods "spender" is forbidden: exceeded budget: namespace thrifty has spent \$0\.00 of its daily budget of \$0\.000001 \(budget\.nodeless\.dev\/daily\), and this pod's minimum charge of \$0\.\d+ would go past it\n$/);
    await expect(run('kubectl', ['annotate', '--overwrite', 'namespace', 'thrifty', 'budget.nodeless.dev/daily=lots'], { env: { ...process.env, KUBECONFIG: server.kubeconfig } })).rejects.toMatchObject({
      stderr: expect.stringContaining('metadata.annotations[budget.nodeless.dev/daily]: Invalid value: "lots": must be an amount of US dollars'),
    });
    // Raised, the budget lets the pod in.
    await kubectl('annotate', '--overwrite', 'namespace', 'thrifty', 'budget.nodeless.dev/daily=5');
    await kubectl('run', 'spender', '-n', 'thrifty', '--image=nginx');
  });
});
