/**
 * The Job controller on the in-process runtime, conformance-style. Pods run only as the fake
 * kubelet says (Succeeded, Failed with an exit code, or Running). The suites that need time to
 * pass (the pod-failure backoff, activeDeadlineSeconds) run the controller on a FakeClock in a
 * manager of their own; the others use the server's built-in controllers.
 */
import { EVENTS, JOBS, PODS, type Client } from '../../controllers/runtime/client';
import { ControllerManager } from '../../controllers/runtime/manager';
import { JobController } from '../../controllers/workloads/job';
import { Intervals } from '../../controllers/workloads/job-indexes';
import { matchPodFailurePolicy, matchSuccessPolicy, rfc3339 } from '../../controllers/workloads/job-policies';
import { ServiceAccountController } from '../../controllers/workloads/service-account';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeClock } from '../helpers/fake-clock';
import { FakeKubelet, setPodStatus, type PodOutcome } from '../helpers/fake-kubelet';

const TRACKING = 'batch.kubernetes.io/job-tracking';

function job(name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }], ...podSpec } }, ...spec },
  };
}

interface JobStatus {
  active?: number;
  ready?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  startTime?: string;
  completionTime?: string;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: Record<string, unknown>;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

async function statusOf(client: Client, ns: string, name: string): Promise<JobStatus> {
  return ((await client.get(JOBS, ns, name)).status ?? {}) as JobStatus;
}

function hasCondition(s: JobStatus, type: string, status = 'True'): boolean {
  return !!s.conditions?.some((c) => c.type === type && c.status === status);
}

async function podsOf(client: Client, ns: string, name: string): Promise<KubeObject[]> {
  return (await client.list(PODS, ns, { labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
}

async function eventReasons(client: Client, ns: string, name: string): Promise<string[]> {
  return (await client.list(EVENTS, ns, { fieldSelector: `involvedObject.name=${name}` })).items.map((e) => (e as { reason?: string }).reason ?? '');
}

describe('[sig-apps] Job (built-in controllers)', () => {
  let t: TestServer;
  let client: Client;
  const kubelets: FakeKubelet[] = [];
  const newNamespace = namespaceMaker(() => t);

  beforeAll(async () => {
    t = await startTestServer();
    client = t.nodeless.client.withFieldManager('job-test');
  });
  afterAll(async () => {
    for (const k of kubelets) k.stop();
    await t.close();
  });

  async function kubelet(ns: string, decide: (pod: Readonly<KubeObject>) => PodOutcome): Promise<FakeKubelet> {
    const k = await new FakeKubelet(client, { namespace: ns, decide }).start();
    kubelets.push(k);
    return k;
  }

  it('should run a job to completion when tasks succeed', async () => {
    const ns = await newNamespace('job');
    await kubelet(ns, () => ({ phase: 'Succeeded' }));
    const created = await client.create(JOBS, ns, job('pi', { completions: 4, parallelism: 2 }));
    const done = await waitFor(async () => {
      const s = await statusOf(client, ns, 'pi');
      return hasCondition(s, 'Complete') && s;
    }, 'the Job to complete', 30000);
    expect(done).toMatchObject({ succeeded: 4, ready: 0, terminating: 0, uncountedTerminatedPods: {} });
    expect(done.active).toBeUndefined();
    expect(done.failed).toBeUndefined();
    expect(Date.parse(done.completionTime!)).toBeGreaterThanOrEqual(Date.parse(done.startTime!));
    // 1.31+: the interim SuccessCriteriaMet, then Complete, both CompletionsReached.
    expect(done.conditions!.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
      ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
    ]);
    const pods = await podsOf(client, ns, 'pi');
    expect(pods).toHaveLength(4);
    for (const p of pods) {
      expect(p.metadata!.name).toMatch(/^pi-[a-z0-9]{5}$/);
      expect(p.metadata!.labels).toMatchObject({
        'batch.kubernetes.io/controller-uid': created.metadata!.uid,
        'batch.kubernetes.io/job-name': 'pi',
        'controller-uid': created.metadata!.uid,
        'job-name': 'pi',
      });
      expect(p.metadata!.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: created.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
      // Counted pods lose the tracking finalizer.
      expect(p.metadata!.finalizers ?? []).not.toContain(TRACKING);
    }
    const reasons = await waitFor(async () => {
      const r = await eventReasons(client, ns, 'pi');
      return r.includes('Completed') && r;
    }, 'the Completed event');
    expect(reasons).toContain('SuccessfulCreate');
  });

  it('should create pods for an Indexed job with completion indexes and specified hostname', async () => {
    const ns = await newNamespace('job');
    await kubelet(ns, () => ({ phase: 'Succeeded' }));
    await client.create(JOBS, ns, job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    const done = await waitFor(async () => {
      const s = await statusOf(client, ns, 'idx');
      return hasCondition(s, 'Complete') && s;
    }, 'the indexed Job to complete', 30000);
    expect(done).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
    const pods = (await podsOf(client, ns, 'idx')).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
    expect(pods.map((p) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'])).toEqual(['0', '1', '2']);
    pods.forEach((p, i) => {
      expect(p.metadata!.name).toMatch(new RegExp(`^idx-${i}-[a-z0-9]{5}$`));
      expect(p.metadata!.labels!['batch.kubernetes.io/job-completion-index']).toBe(String(i));
      const spec = p.spec as { hostname?: string; containers: Array<{ env?: unknown[] }> };
      expect(spec.hostname).toBe(`idx-${i}`);
      expect(spec.containers[0].env).toEqual([{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } } }]);
    });
  });

  it('should allow to use the pod failure policy on exit code to fail the job early', async () => {
    const ns = await newNamespace('job');
    await kubelet(ns, () => ({ phase: 'Failed', exitCode: 42 }));
    await client.create(JOBS, ns, job('pfp', { backoffLimit: 6, podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } }));
    const failed = await waitFor(async () => {
      const s = await statusOf(client, ns, 'pfp');
      return hasCondition(s, 'Failed') && s;
    }, 'the Job to fail', 30000);
    const [pod] = await podsOf(client, ns, 'pfp');
    const message = `Container c for pod ${ns}/${pod.metadata!.name} failed with exit code 42 matching FailJob rule at index 0`;
    expect(failed.conditions!.map((c) => [c.type, c.reason, c.message])).toEqual([
      ['FailureTarget', 'PodFailurePolicy', message],
      ['Failed', 'PodFailurePolicy', message],
    ]);
    expect(failed.failed).toBe(1);
    expect(failed.completionTime).toBeUndefined();
    // One pod only: the policy failed the Job on the first failure, well inside backoffLimit.
    expect(await podsOf(client, ns, 'pfp')).toHaveLength(1);
    await waitFor(async () => (await eventReasons(client, ns, 'pfp')).includes('PodFailurePolicy'), 'the PodFailurePolicy event');
  });

  it('should allow to use the pod failure policy to not count the failure towards the backoffLimit', async () => {
    const ns = await newNamespace('job');
    let n = 0;
    // The first pod fails with a condition the policy ignores; the second succeeds.
    await kubelet(ns, () => (n++ === 0 ? { phase: 'Failed', exitCode: 137 } : { phase: 'Succeeded' }));
    await client.create(JOBS, ns, job('ignore', { backoffLimit: 0, podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [137] } }] } }));
    const done = await waitFor(async () => {
      const s = await statusOf(client, ns, 'ignore');
      return (hasCondition(s, 'Complete') || hasCondition(s, 'Failed')) && s;
    }, 'the Job to finish', 30000);
    expect(hasCondition(done, 'Complete')).toBe(true);
    expect(done.failed).toBeUndefined();
    expect(done.succeeded).toBe(1);
  });

  it('should fail to exceed backoffLimit', async () => {
    const ns = await newNamespace('job');
    await kubelet(ns, () => ({ phase: 'Failed', exitCode: 1 }));
    await client.create(JOBS, ns, job('fails', { backoffLimit: 0 }));
    const failed = await waitFor(async () => {
      const s = await statusOf(client, ns, 'fails');
      return hasCondition(s, 'Failed') && s;
    }, 'the Job to fail', 30000);
    expect(failed.conditions!.find((c) => c.type === 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(failed).toMatchObject({ failed: 1, uncountedTerminatedPods: {} });
    await waitFor(async () => (await eventReasons(client, ns, 'fails')).includes('BackoffLimitExceeded'), 'the BackoffLimitExceeded event');
  });

  it('should not create pods when created in suspend state, and delete pods when suspended', async () => {
    const ns = await newNamespace('job');
    await kubelet(ns, () => ({ phase: 'Running', ready: true }));
    await client.create(JOBS, ns, job('sus', { suspend: true, parallelism: 2, completions: 4 }));
    const suspended = await waitFor(async () => {
      const s = await statusOf(client, ns, 'sus');
      return hasCondition(s, 'Suspended') && s;
    }, 'the Suspended condition');
    expect(suspended.conditions![0]).toMatchObject({ type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' });
    expect(suspended.startTime).toBeUndefined();
    expect(await podsOf(client, ns, 'sus')).toHaveLength(0);

    await client.patch(JOBS, ns, 'sus', 'merge', { spec: { suspend: false } });
    const resumed = await waitFor(async () => {
      const s = await statusOf(client, ns, 'sus');
      return s.active === 2 && s.ready === 2 && s;
    }, 'two ready pods after resume', 30000);
    expect(resumed.conditions![0]).toMatchObject({ type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' });
    expect(resumed.startTime).toBeDefined();

    await client.patch(JOBS, ns, 'sus', 'merge', { spec: { suspend: true } });
    await waitFor(async () => (await podsOf(client, ns, 'sus')).length === 0, 'the active pods to be deleted', 30000);
    const again = await waitFor(async () => {
      const s = await statusOf(client, ns, 'sus');
      return hasCondition(s, 'Suspended') && !s.active && s;
    }, 'Suspended again', 30000);
    // Pods deleted for a suspend are not failures.
    expect(again.failed).toBeUndefined();
    const reasons = await eventReasons(client, ns, 'sus');
    expect(reasons).toEqual(expect.arrayContaining(['Suspended', 'Resumed', 'SuccessfulDelete']));
  });

  it('should meet a successPolicy and delete the pods still running', async () => {
    const ns = await newNamespace('job');
    await kubelet(ns, (pod) => (pod.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'] === '0' ? { phase: 'Succeeded' } : { phase: 'Running' }));
    await client.create(JOBS, ns, job('leader', { completions: 3, parallelism: 3, completionMode: 'Indexed', successPolicy: { rules: [{ succeededIndexes: '0' }] } }));
    const done = await waitFor(async () => {
      const s = await statusOf(client, ns, 'leader');
      return hasCondition(s, 'Complete') && s;
    }, 'the Job to complete by its success policy', 30000);
    expect(done.conditions!.map((c) => [c.type, c.reason, c.message])).toEqual([
      ['SuccessCriteriaMet', 'SuccessPolicy', 'Matched rules at index 0'],
      ['Complete', 'SuccessPolicy', 'Matched rules at index 0'],
    ]);
    expect(done).toMatchObject({ succeeded: 1, completedIndexes: '0', terminating: 0 });
    expect(done.active).toBeUndefined();
    // The running indexes were deleted (and, their finalizer removed, are gone).
    const left = await podsOf(client, ns, 'leader');
    expect(left.map((p) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'])).toEqual(['0']);
  });

  it('should remove the job-tracking finalizer only once a pod is counted', async () => {
    const ns = await newNamespace('job');
    const k = await kubelet(ns, () => ({ phase: 'Running' }));
    await client.create(JOBS, ns, job('track', { completions: 1 }));
    const [pod] = await waitFor(async () => {
      const p = await podsOf(client, ns, 'track');
      return p.length === 1 && (await statusOf(client, ns, 'track')).active === 1 && p;
    }, 'a running pod', 30000);
    // Running and not yet counted, the pod holds the finalizer.
    expect(pod.metadata!.finalizers).toContain(TRACKING);
    await k.idle();
    const current = await client.get(PODS, ns, pod.metadata!.name!);
    await client.updateStatus(PODS, { ...current, status: { ...(current.status as object), phase: 'Succeeded' } });
    await waitFor(async () => hasCondition(await statusOf(client, ns, 'track'), 'Complete'), 'Complete', 30000);
    const counted = await client.get(PODS, ns, pod.metadata!.name!);
    expect(counted.metadata!.finalizers ?? []).not.toContain(TRACKING);
    expect(await statusOf(client, ns, 'track')).toMatchObject({ succeeded: 1, uncountedTerminatedPods: {} });
  });

  it('should replace a deleted pod (TerminatingOrFailed) and count it as failed', async () => {
    const ns = await newNamespace('job');
    await kubelet(ns, () => ({ phase: 'Running' }));
    await client.create(JOBS, ns, job('replace', { completions: 1, backoffLimit: 6 }));
    const [first] = await waitFor(async () => {
      const p = await podsOf(client, ns, 'replace');
      return p.length === 1 && p;
    }, 'the first pod', 30000);
    await client.delete(PODS, ns, first.metadata!.name!);
    const s = await waitFor(async () => {
      const st = await statusOf(client, ns, 'replace');
      return st.failed === 1 && st;
    }, 'the deleted pod counted as failed', 30000);
    expect(s.failed).toBe(1);
    // Its replacement waits out the 10 s pod-failure backoff; the deleted pod itself is gone.
    await waitFor(async () => !(await podsOf(client, ns, 'replace')).some((p) => p.metadata!.uid === first.metadata!.uid), 'the deleted pod to go', 30000);
  });
  it('should remove the job-tracking finalizer from the pods of a deleted Job', async () => {
    const ns = await newNamespace('job');
    await kubelet(ns, () => ({ phase: 'Running' }));
    await client.create(JOBS, ns, job('gone', { parallelism: 2, completions: 2 }));
    const pods = await waitFor(async () => {
      const p = await podsOf(client, ns, 'gone');
      return p.length === 2 && p.every((x) => x.metadata!.finalizers?.includes(TRACKING)) && p;
    }, 'two pods holding the finalizer', 30000);
    // Orphan: the pods outlive the Job (a garbage collector would delete them on Background).
    await client.delete(JOBS, ns, 'gone', { propagationPolicy: 'Orphan' });
    await waitFor(async () => {
      const now = await Promise.all(pods.map((p) => client.get(PODS, ns, p.metadata!.name!)));
      return now.every((p) => !(p.metadata!.finalizers ?? []).includes(TRACKING));
    }, 'the finalizers to be removed', 30000);
  });
});

describe('[sig-apps] Job on an injected clock', () => {
  let t: TestServer;
  let client: Client;
  let manager: ControllerManager;
  const clock = new FakeClock();
  const kubelets: FakeKubelet[] = [];
  const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });

  beforeAll(async () => {
    await clock.advance(Date.now() - clock.now());
    t = await startTestServer({ controllers: false });
    client = t.nodeless.client.withFieldManager('job-test');
    manager = new ControllerManager(t.nodeless.client, { clock });
    // Pods need their namespace's default ServiceAccount, which that controller makes.
    manager.add(new ServiceAccountController({ rootCACert: '' }), new JobController({ syncBatchMs: 0 }));
    await manager.start();
  });
  afterAll(async () => {
    for (const k of kubelets) k.stop();
    manager.stop();
    await t.close();
  });

  // until waits for a condition while ticking the fake clock, so retries it holds (conflict backoffs of a few ms) still run.
  async function until<T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> {
    return waitFor(async () => {
      await clock.advance(20);
      return check();
    }, what, 30000);
  }

  it('should wait 10 s, then 20 s, before replacing failed pods, and fail at backoffLimit', async () => {
    const ns = await newNamespace('job');
    kubelets.push(await new FakeKubelet(client, { namespace: ns, decide: () => ({ phase: 'Failed', exitCode: 1 }) }).start());
    await client.create(JOBS, ns, job('retry', { backoffLimit: 2 }));
    await until(async () => (await statusOf(client, ns, 'retry')).failed === 1, 'the first failure counted');
    const start = clock.now();
    expect(await podsOf(client, ns, 'retry')).toHaveLength(1);
    // No replacement before the 10 s backoff has passed.
    await clock.advance(9000 - (clock.now() - start));
    expect(await podsOf(client, ns, 'retry')).toHaveLength(1);
    await clock.advance(1500);
    await until(async () => (await statusOf(client, ns, 'retry')).failed === 2, 'the second failure counted');
    const second = clock.now();
    expect(await podsOf(client, ns, 'retry')).toHaveLength(2);
    // The next wait doubles: still two pods after 15 s.
    await clock.advance(15000 - (clock.now() - second));
    expect(await podsOf(client, ns, 'retry')).toHaveLength(2);
    await clock.advance(6000);
    const failed = await until(async () => {
      const s = await statusOf(client, ns, 'retry');
      return hasCondition(s, 'Failed') && s;
    }, 'the Job to fail');
    expect(failed.failed).toBe(3);
    expect(failed.conditions!.map((c) => [c.type, c.reason])).toEqual([
      ['FailureTarget', 'BackoffLimitExceeded'],
      ['Failed', 'BackoffLimitExceeded'],
    ]);
    expect(await podsOf(client, ns, 'retry')).toHaveLength(3);
  });

  it('should fail when exceeds active deadline', async () => {
    const ns = await newNamespace('job');
    kubelets.push(await new FakeKubelet(client, { namespace: ns, decide: () => ({ phase: 'Running', ready: true }) }).start());
    await client.create(JOBS, ns, job('slow', { activeDeadlineSeconds: 60, parallelism: 2, completions: 2 }));
    await until(async () => (await statusOf(client, ns, 'slow')).ready === 2, 'two ready pods');
    await clock.advance(30_000);
    expect(hasCondition(await statusOf(client, ns, 'slow'), 'FailureTarget')).toBe(false);
    await clock.advance(30_000);
    const failed = await until(async () => {
      const s = await statusOf(client, ns, 'slow');
      return hasCondition(s, 'Failed') && s;
    }, 'the Job to fail on its deadline');
    expect(failed.conditions!.find((c) => c.type === 'Failed')).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    expect(failed).toMatchObject({ failed: 2, terminating: 0, ready: 0 });
    await until(async () => (await podsOf(client, ns, 'slow')).length === 0, 'the pods to be deleted');
    await until(async () => (await eventReasons(client, ns, 'slow')).includes('DeadlineExceeded'), 'the DeadlineExceeded event');
  });
  it('should not replace a terminating pod until it has failed (podReplacementPolicy Failed)', async () => {
    const ns = await newNamespace('job');
    // This kubelet never finishes deletions: a deleted pod stays terminating until it is marked Failed.
    kubelets.push(await new FakeKubelet(client, { namespace: ns, decide: () => ({ phase: 'Running' }), finishDeletions: false }).start());
    await client.create(JOBS, ns, job('patient', { podReplacementPolicy: 'Failed', backoffLimit: 3 }));
    const [first] = await until(async () => {
      const p = await podsOf(client, ns, 'patient');
      return p.length === 1 && (await statusOf(client, ns, 'patient')).active === 1 && p;
    }, 'a running pod');
    await client.delete(PODS, ns, first.metadata!.name!);
    await until(async () => {
      const s = await statusOf(client, ns, 'patient');
      return s.terminating === 1 && !s.active;
    }, 'the pod counted as terminating');
    await clock.advance(30_000);
    expect((await podsOf(client, ns, 'patient')).map((p) => p.metadata!.uid)).toEqual([first.metadata!.uid]);
    await setPodStatus(client, first, { phase: 'Failed', exitCode: 137 });
    await until(async () => (await statusOf(client, ns, 'patient')).failed === 1, 'the failure counted');
    await clock.advance(10_000);
    const [second] = await until(async () => {
      const p = await podsOf(client, ns, 'patient');
      return p.length === 1 && p[0].metadata!.uid !== first.metadata!.uid && p;
    }, 'the replacement, the failed pod gone');
    expect(second.metadata!.finalizers).toContain(TRACKING);
  });

  it('should retry a failing index backoffLimitPerIndex times, then fail the Job with FailedIndexes', async () => {
    const ns = await newNamespace('job');
    const index = (p: Readonly<KubeObject>) => p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'];
    kubelets.push(await new FakeKubelet(client, { namespace: ns, decide: (p) => (index(p) === '1' ? { phase: 'Failed', exitCode: 1 } : { phase: 'Succeeded' }) }).start());
    await client.create(JOBS, ns, job('perindex', { completions: 3, parallelism: 3, completionMode: 'Indexed', backoffLimitPerIndex: 1 }));
    await until(async () => (await statusOf(client, ns, 'perindex')).completedIndexes === '0,2', 'indexes 0 and 2 to succeed');
    // Index 1 failed once: its pod keeps the finalizer until the replacement exists, after the 10 s backoff.
    await until(async () => (await statusOf(client, ns, 'perindex')).failed === 1 || (await podsOf(client, ns, 'perindex')).some((p) => index(p) === '1' && (p.status as { phase?: string }).phase === 'Failed'), 'the first failure of index 1');
    await clock.advance(11_000);
    const retried = await until(async () => {
      const p = (await podsOf(client, ns, 'perindex')).filter((x) => index(x) === '1');
      return p.length === 2 && p;
    }, 'a second pod for index 1');
    expect(retried.map((p) => p.metadata!.annotations!['batch.kubernetes.io/job-index-failure-count']).sort()).toEqual(['0', '1']);
    const failed = await until(async () => {
      const s = await statusOf(client, ns, 'perindex');
      return hasCondition(s, 'Failed') && s;
    }, 'the Job to fail');
    expect(failed).toMatchObject({ failedIndexes: '1', completedIndexes: '0,2', succeeded: 2, failed: 2 });
    expect(failed.conditions!.find((c) => c.type === 'Failed')).toMatchObject({ reason: 'FailedIndexes', message: 'Job has failed indexes' });
  });

  it('should keep syncing Jobs whatever odd status or annotations it meets', async () => {
    const ns = await newNamespace('job');
    kubelets.push(await new FakeKubelet(client, { namespace: ns, decide: () => ({ phase: 'Succeeded' }) }).start());
    const odd = await client.create(JOBS, ns, job('odd', { completions: 2, parallelism: 1, completionMode: 'Indexed', suspend: true }));
    await client.updateStatus(JOBS, {
      ...odd,
      status: { completedIndexes: '1-0,x,,7-', failedIndexes: 'zzz', uncountedTerminatedPods: { succeeded: ['not-a-pod'] }, conditions: [{ type: 'FailureTarget', status: 'Unknown', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
    });
    // A pod claiming to belong to the Job with a completion index that is not a number.
    await client.create(PODS, ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stray', labels: (odd.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels, annotations: { 'batch.kubernetes.io/job-completion-index': 'abc' } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
    });
    await client.patch(JOBS, ns, 'odd', 'merge', { spec: { suspend: false } });
    const done = await until(async () => {
      const s = await statusOf(client, ns, 'odd');
      return hasCondition(s, 'Complete') && s;
    }, 'the odd Job to complete all the same');
    expect(done.completedIndexes).toBe('0,1');
    // The stray pod, adopted, is not counted: it has no valid index.
    expect(done.succeeded).toBe(2);
    expect((await client.get(PODS, ns, 'stray')).metadata!.ownerReferences?.[0]?.name).toBe('odd');
  });
});

describe('[sig-apps] Job status writes on an injected clock, with the 1 s sync batch', () => {
  let t: TestServer;
  let client: Client;
  let manager: ControllerManager;
  const clock = new FakeClock();
  const kubelets: FakeKubelet[] = [];
  const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });

  beforeAll(async () => {
    await clock.advance(Date.now() - clock.now());
    t = await startTestServer({ controllers: false });
    client = t.nodeless.client.withFieldManager('job-test');
    manager = new ControllerManager(t.nodeless.client, { clock });
    manager.add(new ServiceAccountController({ rootCACert: '' }), new JobController());
    await manager.start();
  });
  afterAll(async () => {
    for (const k of kubelets) k.stop();
    manager.stop();
    await t.close();
  });

  it('should leave the counts of new pods to the batched sync, with the startTime of the sync that created them', async () => {
    const ns = await newNamespace('job');
    kubelets.push(await new FakeKubelet(client, { namespace: ns, decide: () => ({ phase: 'Running', ready: true }) }).start());
    // On a whole second, so a startTime taken a batch period later would read differently.
    await clock.advance(1000 - (clock.now() % 1000));
    const created = clock.now();
    await client.create(JOBS, ns, job('counts', { completions: 1 }));
    // A Job's first sync is not batched: its pod comes while the clock stands still.
    await waitFor(async () => (await podsOf(client, ns, 'counts')).length === 1, 'the pod', 30000);
    expect((await statusOf(client, ns, 'counts')).active).toBeUndefined();
    const running = await waitFor(async () => {
      await clock.advance(50);
      const s = await statusOf(client, ns, 'counts');
      return s.active === 1 && s.ready === 1 && s;
    }, 'the running pod counted', 30000);
    expect(clock.now() - created).toBeGreaterThanOrEqual(1000);
    expect(running.startTime).toBe(rfc3339(created));
    expect(running).toMatchObject({ terminating: 0 });
  });
});

describe('Intervals', () => {
  it('renders and parses completed indexes as kube does', () => {
    expect(new Intervals().withIndexes([0, 1, 2, 4, 6, 7]).toString()).toBe('0-2,4,6,7');
    expect(Intervals.parse('0-2,4,6,7', 10).total()).toBe(6);
    expect(Intervals.parse('1,x,3-5,9-12', 10).toString()).toBe('1,3-5,9');
    expect(Intervals.parse('garbage', 5).total()).toBe(0);
  });
});

describe('podFailurePolicy and successPolicy matching', () => {
  const failedPod = (exitCodes: Record<string, number>, conditions: Array<{ type: string; status: string }> = []): KubeObject => ({
    metadata: { name: 'p', namespace: 'ns' },
    status: { phase: 'Failed', conditions, containerStatuses: Object.entries(exitCodes).map(([name, exitCode]) => ({ name, state: { terminated: { exitCode } } })) },
  });
  const spec = (rules: unknown[]) => ({ podFailurePolicy: { rules } }) as never;

  it('applies the first matching rule: exit codes In/NotIn (by container), pod conditions, and its action', () => {
    const rules = [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
      { action: 'FailIndex', onExitCodes: { containerName: 'side', operator: 'In', values: [7] } },
      { action: 'Count', onExitCodes: { operator: 'In', values: [1, 2] } },
      { action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [0, 1, 2, 7] } },
    ];
    expect(matchPodFailurePolicy(spec(rules), failedPod({ main: 1 }, [{ type: 'DisruptionTarget', status: 'True' }]))).toEqual({ countFailed: false, action: 'Ignore' });
    // A pattern without status means status True (the API server defaults it).
    expect(matchPodFailurePolicy(spec(rules), failedPod({ main: 1 }, [{ type: 'DisruptionTarget', status: 'False' }]))).toEqual({ countFailed: true, action: 'Count' });
    expect(matchPodFailurePolicy(spec(rules), failedPod({ side: 7 }))).toEqual({ countFailed: true, action: 'FailIndex' });
    expect(matchPodFailurePolicy(spec(rules), failedPod({ main: 7 }))).toEqual({ countFailed: true });
    expect(matchPodFailurePolicy(spec(rules), failedPod({ main: 9 }))).toEqual({
      countFailed: true,
      action: 'FailJob',
      failJobMessage: 'Container main for pod ns/p failed with exit code 9 matching FailJob rule at index 3',
    });
    expect(matchPodFailurePolicy(spec([{ action: 'FailJob', onPodConditions: [{ type: 'ConfigIssue', status: 'True' }] }]), failedPod({}, [{ type: 'ConfigIssue', status: 'True' }])).failJobMessage).toBe(
      'Pod ns/p has condition ConfigIssue matching FailJob rule at index 0',
    );
    // Junk rules match nothing.
    expect(matchPodFailurePolicy(spec([null, 'x', { action: 'FailJob' }]), failedPod({ main: 9 }))).toEqual({ countFailed: true });
  });

  it('meets a successPolicy by succeededIndexes, succeededCount, or both', () => {
    const succeeded = Intervals.parse('0-2,5', 10);
    expect(matchSuccessPolicy({ successPolicy: { rules: [{ succeededIndexes: '0-3' }] } }, 10, succeeded)).toBeUndefined();
    expect(matchSuccessPolicy({ successPolicy: { rules: [{ succeededIndexes: '0-3' }, { succeededIndexes: '1,5' }] } }, 10, succeeded)).toBe('Matched rules at index 1');
    expect(matchSuccessPolicy({ successPolicy: { rules: [{ succeededIndexes: '0-3', succeededCount: 3 }] } }, 10, succeeded)).toBe('Matched rules at index 0');
    expect(matchSuccessPolicy({ successPolicy: { rules: [{ succeededCount: 4 }] } }, 10, succeeded)).toBe('Matched rules at index 0');
    expect(matchSuccessPolicy({ successPolicy: { rules: [{ succeededCount: 5 }] } }, 10, succeeded)).toBeUndefined();
  });
});
