/**
 * The Deployment controller on the in-process runtime, conformance-style: ReplicaSets named
 * with the pod-template-hash, rolling updates that keep maxSurge and maxUnavailable at every
 * step a pod watcher sees, Recreate ordering, pause/resume, proportional scaling, revision
 * history, the progress deadline, adoption, conflicts retried, and a restart mid-rollout.
 * A FakeKubelet runs the pods: Ready, except images tagged :broken, which stay Pending.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError, DEPLOYMENTS, EVENTS, PODS, REPLICA_SETS, type Client } from '../../controllers/runtime/client';
import { ControllerManager } from '../../controllers/runtime/manager';
import { DeploymentController } from '../../controllers/workloads/deployment/controller';
import { computeHash } from '../../controllers/workloads/deployment/hash';
import { setNewReplicaSetAnnotations } from '../../controllers/workloads/deployment/annotations';
import { proportion, resolveFenceposts } from '../../controllers/workloads/deployment/replica-sets';
import { ReplicaSetController } from '../../controllers/workloads/replicaset';
import type { KubeObject } from '../../schemas/types';
import { createNodeless } from '../../server/server';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeKubelet, type PodOutcome } from '../helpers/fake-kubelet';

const decide = (pod: Readonly<KubeObject>): PodOutcome => {
  const images = ((pod.spec as { containers?: Array<{ image?: string }> }).containers ?? []).map((c) => c.image ?? '');
  return images.some((i) => i.endsWith(':broken')) ? { phase: 'Pending' } : { phase: 'Running', ready: true };
};

let t: TestServer;
let client: Client;
let kubelet: FakeKubelet;
const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });

beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client.withFieldManager('deployment-test');
  kubelet = await new FakeKubelet(t.nodeless.client, { decide }).start();
});
afterAll(async () => {
  kubelet.stop();
  await t.close();
});

// Test objects are read loosely, as JSON.
type Obj = Record<string, any>;

function deployment(name: string, replicas: number, spec: Obj = {}, image = 'nginx'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...spec,
    },
  };
}

async function get(c: Client, ns: string, name: string): Promise<Obj> {
  return (await c.get(DEPLOYMENTS, ns, name)) as Obj;
}

async function replicaSets(c: Client, ns: string, name: string): Promise<Obj[]> {
  return ((await c.list(REPLICA_SETS, ns, { labelSelector: `app=${name}` })).items as Obj[]).sort((a, b) => Number(a.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0) - Number(b.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0));
}

async function livePods(c: Client, ns: string, name: string): Promise<Obj[]> {
  return ((await c.list(PODS, ns, { labelSelector: `app=${name}` })).items as Obj[]).filter((p) => !p.metadata.deletionTimestamp);
}

function condition(d: Obj, type: string): Obj | undefined {
  return d.status?.conditions?.find((c: Obj) => c.type === type);
}

/** rolledOut is kubectl rollout status's test: the new template observed, updated, available, no old replicas left. */
async function rolledOut(c: Client, ns: string, name: string): Promise<Obj | false> {
  const d = await get(c, ns, name);
  const s = d.status ?? {};
  const want = d.spec.replicas;
  return (
    s.observedGeneration >= d.metadata.generation && s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want && condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable' && d
  );
}

async function setImage(c: Client, ns: string, name: string, image: string): Promise<void> {
  await c.patch(DEPLOYMENTS, ns, name, 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
}

async function scalingEvents(ns: string, name: string): Promise<string[]> {
  const events = (await client.list(EVENTS, ns, { fieldSelector: `involvedObject.name=${name},reason=ScalingReplicaSet` })).items as Obj[];
  return events.sort((a, b) => String(a.firstTimestamp).localeCompare(String(b.firstTimestamp))).map((e) => e.message);
}

const isReady = (p: Obj) => p.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True');

describe('[sig-apps] Deployment', () => {
  it('should create a ReplicaSet named after the pod-template-hash, its pods, and report status, conditions and events', async () => {
    const ns = await newNamespace('deploy');
    const created = await client.create(DEPLOYMENTS, ns, { ...deployment('web', 3), metadata: { name: 'web', annotations: { 'kubernetes.io/change-cause': 'first', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } } as KubeObject);
    const d = await waitFor(() => rolledOut(client, ns, 'web'), 'the rollout to finish', 30000);
    const [rs] = await replicaSets(client, ns, 'web');
    const hash = computeHash((created.spec as Obj).template, undefined);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.spec.selector).toEqual({ matchLabels: { app: 'web', 'pod-template-hash': hash } });
    expect(rs.spec.template.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: created.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    // Revision and size annotations; the Deployment's own copied, but not last-applied-configuration.
    expect(rs.metadata.annotations).toEqual({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
      'kubernetes.io/change-cause': 'first',
    });
    expect(rs.metadata.managedFields?.[0]?.manager).toBe('deployment-controller');
    const pods = await livePods(client, ns, 'web');
    expect(pods).toHaveLength(3);
    for (const p of pods) expect(p.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });

    expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(d.status.unavailableReplicas ?? 0).toBe(0);
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "web-${hash}" has successfully progressed.` });
    expect(await scalingEvents(ns, 'web')).toEqual([`Scaled up replica set web-${hash} from 0 to 3`]);
    const [event] = (await client.list(EVENTS, ns, { fieldSelector: 'involvedObject.name=web,reason=ScalingReplicaSet' })).items as Obj[];
    expect(event).toMatchObject({ type: 'Normal', source: { component: 'deployment-controller' }, involvedObject: { kind: 'Deployment', name: 'web' } });
  });

  it('Deployment should have a working scale subresource: scaled up and down, with ScalingReplicaSet events', async () => {
    const ns = await newNamespace('deploy');
    await client.create(DEPLOYMENTS, ns, deployment('scaled', 2));
    await waitFor(() => rolledOut(client, ns, 'scaled'), 'the rollout', 30000);
    await client.updateScale(DEPLOYMENTS, ns, 'scaled', { spec: { replicas: 5 } });
    await waitFor(async () => (await rolledOut(client, ns, 'scaled')) && (await livePods(client, ns, 'scaled')).length === 5, 'five pods', 30000);
    const [rs] = await replicaSets(client, ns, 'scaled');
    expect(rs.metadata.annotations['deployment.kubernetes.io/desired-replicas']).toBe('5');
    await client.updateScale(DEPLOYMENTS, ns, 'scaled', { spec: { replicas: 1 } });
    await waitFor(async () => (await livePods(client, ns, 'scaled')).length === 1 && (await rolledOut(client, ns, 'scaled')), 'one pod', 30000);
    expect((await client.getScale(DEPLOYMENTS, ns, 'scaled')).status?.replicas).toBe(1);
    const name = rs.metadata.name;
    await waitFor(async () => (await scalingEvents(ns, 'scaled')).length === 3, 'three scaling events');
    expect(await scalingEvents(ns, 'scaled')).toEqual([`Scaled up replica set ${name} from 0 to 2`, `Scaled up replica set ${name} from 2 to 5`, `Scaled down replica set ${name} from 5 to 1`]);
  });

  // maxSurge rounds up and maxUnavailable down: 25% of 10 is 3 above and 2 below.
  it.each([
    { replicas: 4, maxSurge: 1 as number | string, maxUnavailable: 1 as number | string, maxLive: 5, minReady: 3 },
    { replicas: 10, maxSurge: '25%', maxUnavailable: '25%', maxLive: 13, minReady: 8 },
  ])('RollingUpdateDeployment should keep maxSurge $maxSurge and maxUnavailable $maxUnavailable of $replicas at every step a pod watcher observes', async ({ replicas, maxSurge, maxUnavailable, maxLive: liveLimit, minReady: readyLimit }) => {
    const ns = await newNamespace('deploy');
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } };
    await client.create(DEPLOYMENTS, ns, deployment('roll', replicas, { strategy }));
    await waitFor(() => rolledOut(client, ns, 'roll'), 'the first rollout', 30000);
    const list = await client.list(PODS, ns);
    const pods = new Map<string, Obj>(list.items.map((p) => [p.metadata!.name!, p as Obj]));
    const violations: string[] = [];
    let steps = 0;
    let maxLive = 0;
    let minReady = Infinity;
    const stream = await client.watch(PODS, ns, { resourceVersion: list.metadata.resourceVersion });
    const watching = (async () => {
      for await (const ev of stream) {
        if (ev.type === 'ERROR' || ev.type === 'BOOKMARK') continue;
        const p = ev.object as Obj;
        if (ev.type === 'DELETED') pods.delete(p.metadata.name);
        else pods.set(p.metadata.name, p);
        steps++;
        const live = [...pods.values()].filter((x) => !x.metadata.deletionTimestamp);
        const ready = live.filter(isReady).length;
        maxLive = Math.max(maxLive, live.length);
        minReady = Math.min(minReady, ready);
        if (live.length > liveLimit) violations.push(`${live.length} live pods (max ${liveLimit}) after ${ev.type} ${p.metadata.name}`);
        if (ready < readyLimit) violations.push(`${ready} ready pods (min ${readyLimit}) after ${ev.type} ${p.metadata.name}`);
      }
    })();
    try {
      await setImage(client, ns, 'roll', 'nginx:1.27');
      await waitFor(async () => {
        const d = await rolledOut(client, ns, 'roll');
        return d && d.metadata.annotations['deployment.kubernetes.io/revision'] === '2' && (await livePods(client, ns, 'roll')).every((p) => p.spec.containers[0].image === 'nginx:1.27') && pods.size === replicas;
      }, 'the rolling update to finish', 60000);
    } finally {
      stream.close();
      await watching;
    }
    expect(violations).toEqual([]);
    // The watcher saw the whole rollout: each pod created, made ready, deleted and gone, each step checked.
    expect(steps).toBeGreaterThanOrEqual(4 * replicas);
    expect(maxLive).toBeLessThanOrEqual(liveLimit);
    expect(minReady).toBeGreaterThanOrEqual(readyLimit);
    const rss = await replicaSets(client, ns, 'roll');
    expect(rss.map((rs) => [rs.metadata.annotations['deployment.kubernetes.io/revision'], rs.spec.replicas])).toEqual([
      ['1', 0],
      ['2', replicas],
    ]);
  });

  it('RecreateDeployment should delete old pods and create new ones (no new pod while an old one exists)', async () => {
    const ns = await newNamespace('deploy');
    await client.create(DEPLOYMENTS, ns, deployment('recreate', 3, { strategy: { type: 'Recreate' } }));
    await waitFor(() => rolledOut(client, ns, 'recreate'), 'the first rollout', 30000);
    const [first] = await replicaSets(client, ns, 'recreate');
    const oldHash = first.metadata.labels['pod-template-hash'];
    const list = await client.list(PODS, ns);
    const present = new Set(list.items.map((p) => p.metadata!.name!));
    const violations: string[] = [];
    let newPods = 0;
    const stream = await client.watch(PODS, ns, { resourceVersion: list.metadata.resourceVersion });
    const oldOnes = new Map(list.items.map((p) => [p.metadata!.name!, p.metadata!.labels!['pod-template-hash']]));
    const watching = (async () => {
      for await (const ev of stream) {
        if (ev.type === 'ERROR' || ev.type === 'BOOKMARK') continue;
        const p = ev.object as Obj;
        if (ev.type === 'DELETED') {
          present.delete(p.metadata.name);
          continue;
        }
        if (ev.type === 'ADDED') {
          oldOnes.set(p.metadata.name, p.metadata.labels['pod-template-hash']);
          present.add(p.metadata.name);
          if (p.metadata.labels['pod-template-hash'] !== oldHash) {
            newPods++;
            const old = [...present].filter((n) => oldOnes.get(n) === oldHash);
            if (old.length) violations.push(`${p.metadata.name} created while old pods ${old.join(', ')} still exist`);
          }
        }
      }
    })();
    try {
      await setImage(client, ns, 'recreate', 'nginx:1.27');
      await waitFor(async () => (await rolledOut(client, ns, 'recreate')) && newPods === 3, 'the Recreate rollout', 60000);
    } finally {
      stream.close();
      await watching;
    }
    expect(violations).toEqual([]);
  });

  it('should not roll out while paused, scale while paused, and roll out on resume', async () => {
    const ns = await newNamespace('deploy');
    await client.create(DEPLOYMENTS, ns, deployment('paused', 2));
    await waitFor(() => rolledOut(client, ns, 'paused'), 'the first rollout', 30000);
    await client.patch(DEPLOYMENTS, ns, 'paused', 'merge', { spec: { paused: true } });
    await waitFor(async () => condition(await get(client, ns, 'paused'), 'Progressing')?.reason === 'DeploymentPaused', 'the paused condition');
    expect(condition(await get(client, ns, 'paused'), 'Progressing')).toMatchObject({ status: 'Unknown', message: 'Deployment is paused' });
    await setImage(client, ns, 'paused', 'nginx:1.27');
    await client.updateScale(DEPLOYMENTS, ns, 'paused', { spec: { replicas: 3 } });
    await waitFor(async () => {
      const d = await get(client, ns, 'paused');
      return d.status.observedGeneration === d.metadata.generation && d.status.availableReplicas === 3;
    }, 'the scale to be done while paused', 30000);
    const rss = await replicaSets(client, ns, 'paused');
    expect(rss).toHaveLength(1);
    expect(rss[0].spec.replicas).toBe(3);
    expect((await livePods(client, ns, 'paused')).every((p) => p.spec.containers[0].image === 'nginx')).toBe(true);

    await client.patch(DEPLOYMENTS, ns, 'paused', 'merge', { spec: { paused: false } });
    const done = await waitFor(async () => {
      const d = await rolledOut(client, ns, 'paused');
      return d && d.metadata.annotations['deployment.kubernetes.io/revision'] === '2' && d;
    }, 'the rollout after resume', 60000);
    expect(done.status.updatedReplicas).toBe(3);
    expect((await livePods(client, ns, 'paused')).every((p) => p.spec.containers[0].image === 'nginx:1.27')).toBe(true);
  });

  it('deployment should support proportional scaling', async () => {
    // As the conformance test: 10 replicas, maxSurge 3, maxUnavailable 2, a new image that never
    // becomes ready; scaled to 30 mid-rollout, the old ReplicaSet goes to 20 and the new one to 13.
    const ns = await newNamespace('deploy');
    await client.create(DEPLOYMENTS, ns, deployment('prop', 10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
    await waitFor(() => rolledOut(client, ns, 'prop'), 'the first rollout', 60000);
    await setImage(client, ns, 'prop', 'nginx:broken');
    const stuck = await waitFor(async () => {
      const rss = await replicaSets(client, ns, 'prop');
      return rss.length === 2 && rss[0].spec.replicas === 8 && rss[0].status?.availableReplicas === 8 && rss[1].spec.replicas === 5 && rss;
    }, 'the rollout to be stuck at 8 old + 5 new', 60000);
    expect(stuck[1].metadata.annotations['deployment.kubernetes.io/max-replicas']).toBe('13');
    await client.updateScale(DEPLOYMENTS, ns, 'prop', { spec: { replicas: 30 } });
    const scaled = await waitFor(async () => {
      const rss = await replicaSets(client, ns, 'prop');
      return rss[0].spec.replicas + rss[1].spec.replicas === 33 && rss;
    }, 'the proportional scale-up', 60000);
    expect(scaled.map((rs) => rs.spec.replicas)).toEqual([20, 13]);
    expect(scaled.map((rs) => rs.metadata.annotations['deployment.kubernetes.io/desired-replicas'])).toEqual(['30', '30']);
  });

  it('deployment should support rollover', async () => {
    // As the conformance test: a rollout stuck on an image that never runs is overtaken by
    // another template; the stuck ReplicaSet is scaled down with the original, minReadySeconds kept.
    const ns = await newNamespace('deploy');
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    await client.create(DEPLOYMENTS, ns, deployment('rollover', 1, { strategy, minReadySeconds: 1 }));
    await waitFor(() => rolledOut(client, ns, 'rollover'), 'the first rollout', 30000);
    await setImage(client, ns, 'rollover', 'redis:broken');
    await waitFor(async () => (await replicaSets(client, ns, 'rollover')).length === 2 && (await livePods(client, ns, 'rollover')).length === 2, 'the stuck second ReplicaSet', 30000);
    await setImage(client, ns, 'rollover', 'nginx:1.27');
    await waitFor(async () => {
      const d = await rolledOut(client, ns, 'rollover');
      return d && d.metadata.annotations['deployment.kubernetes.io/revision'] === '3';
    }, 'the rollover', 30000);
    const rss = await replicaSets(client, ns, 'rollover');
    expect(rss.map((rs) => [rs.spec.template.spec.containers[0].image, rs.spec.replicas, rs.spec.minReadySeconds])).toEqual([
      ['nginx', 0, 1],
      ['redis:broken', 0, 1],
      ['nginx:1.27', 1, 1],
    ]);
    const [pod] = await waitFor(async () => {
      const p = await livePods(client, ns, 'rollover');
      return p.length === 1 && p;
    }, 'one pod left');
    // minReadySeconds: the original was scaled down only once the new pod had been ready a second.
    const readySince = Date.parse(pod.status.conditions.find((c: Obj) => c.type === 'Ready').lastTransitionTime);
    const events = (await client.list(EVENTS, ns, { fieldSelector: 'involvedObject.name=rollover,reason=ScalingReplicaSet' })).items as Obj[];
    const down = events.find((e) => e.message === `Scaled down replica set ${rss[0].metadata.name} from 1 to 0`)!;
    expect(Date.parse(down.firstTimestamp) - readySince).toBeGreaterThanOrEqual(1000);
  });

  it('deployment should delete old replica sets beyond revisionHistoryLimit', async () => {
    const ns = await newNamespace('deploy');
    await client.create(DEPLOYMENTS, ns, deployment('history', 1, { revisionHistoryLimit: 1 }));
    for (const [i, image] of ['nginx', 'nginx:1.26', 'nginx:1.27', 'nginx:1.28'].entries()) {
      if (i) await setImage(client, ns, 'history', image);
      await waitFor(async () => (await rolledOut(client, ns, 'history')) && (await livePods(client, ns, 'history')).every((p) => p.spec.containers[0].image === image), `revision ${i + 1}`, 30000);
    }
    const rss = await waitFor(async () => {
      const r = await replicaSets(client, ns, 'history');
      return r.length === 2 && r;
    }, 'the history to be trimmed to one old ReplicaSet', 30000);
    expect(rss.map((rs) => [rs.metadata.annotations['deployment.kubernetes.io/revision'], rs.spec.template.spec.containers[0].image, rs.spec.replicas])).toEqual([
      ['3', 'nginx:1.27', 0],
      ['4', 'nginx:1.28', 1],
    ]);
  });

  it('should report ProgressDeadlineExceeded when pods never become ready', async () => {
    const ns = await newNamespace('deploy');
    await client.create(DEPLOYMENTS, ns, deployment('deadline', 2, { progressDeadlineSeconds: 1 }, 'nginx:broken'));
    const d = await waitFor(async () => {
      const x = await get(client, ns, 'deadline');
      return condition(x, 'Progressing')?.reason === 'ProgressDeadlineExceeded' && x;
    }, 'the progress deadline to pass', 30000);
    const [rs] = await replicaSets(client, ns, 'deadline');
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'False', message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.` });
    expect(condition(d, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' });
    expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, unavailableReplicas: 2 });
    expect(d.status.availableReplicas ?? 0).toBe(0);
  });

  it('RollingUpdateDeployment should delete old pods and create new ones (adopting a matching orphan ReplicaSet)', async () => {
    const ns = await newNamespace('deploy');
    const labels = { app: 'adopt', pod: 'httpd' };
    const orphan: KubeObject = await client.create<KubeObject>(REPLICA_SETS, ns, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'adopt-controller', labels, annotations: { 'deployment.kubernetes.io/revision': '3546343826724305832' } },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'httpd', image: 'httpd' }] } } },
    });
    await waitFor(async () => (await livePods(client, ns, 'adopt')).length === 1, 'the orphan ReplicaSet pod');
    const dep = await client.create(DEPLOYMENTS, ns, { ...deployment('adopt', 1), spec: { ...(deployment('adopt', 1).spec as Obj), selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } });
    await waitFor(async () => {
      const d = await rolledOut(client, ns, 'adopt');
      return d && d.metadata.annotations['deployment.kubernetes.io/revision'] === '3546343826724305833';
    }, 'the rollout past the adopted ReplicaSet', 30000);
    const adopted = await client.get(REPLICA_SETS, ns, 'adopt-controller');
    expect(adopted.metadata?.uid).toBe(orphan.metadata?.uid);
    expect(adopted.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'adopt', uid: dep.metadata!.uid, controller: true })]);
    expect((adopted.spec as Obj).replicas).toBe(0);
    const pods = await waitFor(async () => {
      const p = await livePods(client, ns, 'adopt');
      return p.length === 1 && p[0].spec.containers[0].image === 'nginx' && p;
    }, 'the new pod only');
    expect(pods[0].metadata.labels['pod-template-hash']).toBeTruthy();
  });

  it('should raise collisionCount when its ReplicaSet name is taken by another template, and hash to another name', async () => {
    const ns = await newNamespace('deploy');
    // The stored (defaulted) template is what is hashed: a dry run shows it.
    const preview = await client.create(DEPLOYMENTS, ns, deployment('clash', 1), { dryRun: true });
    const taken = `clash-${computeHash((preview.spec as Obj).template)}`;
    const other = { app: 'someone-else' };
    await client.create(REPLICA_SETS, ns, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: taken, labels: other },
      spec: { replicas: 0, selector: { matchLabels: other }, template: { metadata: { labels: other }, spec: { containers: [{ name: 'c', image: 'httpd' }] } } },
    });
    await client.create(DEPLOYMENTS, ns, deployment('clash', 1));
    const d = await waitFor(() => rolledOut(client, ns, 'clash'), 'the rollout under another name', 30000);
    expect(d.status.collisionCount).toBe(1);
    const [rs] = await replicaSets(client, ns, 'clash');
    expect(rs.metadata.name).toBe(`clash-${computeHash((preview.spec as Obj).template, 1)}`);
    expect(rs.metadata.name).not.toBe(taken);
    // The other ReplicaSet is left as it was.
    expect((await client.get(REPLICA_SETS, ns, taken)).metadata?.ownerReferences).toBeUndefined();
  });

  it('should roll back to the revision a deprecated.deployment.rollback.to annotation names, and drop the annotation', async () => {
    const ns = await newNamespace('deploy');
    await client.create(DEPLOYMENTS, ns, deployment('undo', 1));
    await waitFor(() => rolledOut(client, ns, 'undo'), 'revision 1', 30000);
    await setImage(client, ns, 'undo', 'nginx:1.27');
    await waitFor(async () => (await rolledOut(client, ns, 'undo')) && (await get(client, ns, 'undo')).metadata.annotations['deployment.kubernetes.io/revision'] === '2', 'revision 2', 30000);
    await client.patch(DEPLOYMENTS, ns, 'undo', 'merge', { metadata: { annotations: { 'deprecated.deployment.rollback.to': '1' } } });
    const d = await waitFor(async () => {
      const x = await rolledOut(client, ns, 'undo');
      return x && x.metadata.annotations['deployment.kubernetes.io/revision'] === '3' && x;
    }, 'the rollback to finish as revision 3', 30000);
    expect(d.metadata.annotations['deprecated.deployment.rollback.to']).toBeUndefined();
    expect(d.spec.template.spec.containers[0].image).toBe('nginx');
    expect(d.spec.template.metadata.labels).toEqual({ app: 'undo' });
    const rss = await replicaSets(client, ns, 'undo');
    expect(rss.map((rs) => [rs.spec.template.spec.containers[0].image, rs.metadata.annotations['deployment.kubernetes.io/revision'], rs.metadata.annotations['deployment.kubernetes.io/revision-history']])).toEqual([
      ['nginx:1.27', '2', undefined],
      ['nginx', '3', '1'],
    ]);
    const events = (await client.list(EVENTS, ns, { fieldSelector: 'involvedObject.name=undo,reason=DeploymentRollback' })).items as Obj[];
    expect(events.map((e) => e.message)).toEqual(['Rolled back deployment "undo" to revision 1']);
  });

  it('should run the lifecycle of a Deployment', async () => {
    const ns = await newNamespace('deploy');
    const base = `/apis/apps/v1/namespaces/${ns}/deployments`;
    const manifest = deployment('test-deployment', 1);
    manifest.metadata!.labels = { 'test-deployment-static': 'true' };
    await client.create(DEPLOYMENTS, ns, manifest);
    await waitFor(() => rolledOut(client, ns, 'test-deployment'), 'one available replica', 30000);
    await t.api
      .patch(`${base}/test-deployment`)
      .set('Content-Type', 'application/strategic-merge-patch+json')
      .send({ metadata: { labels: { 'test-deployment': 'patched' } }, spec: { replicas: 2, template: { spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'nginx:1.27' }] } } } })
      .expect(200);
    await waitFor(async () => {
      const d = await rolledOut(client, ns, 'test-deployment');
      return d && d.status.readyReplicas === 2 && d.metadata.labels['test-deployment'] === 'patched';
    }, 'two available replicas of the patched template', 30000);
    const listed = (await t.api.get('/apis/apps/v1/deployments').query({ labelSelector: 'test-deployment-static=true' }).expect(200)).body;
    expect(listed.items.map((x: Obj) => `${x.metadata.namespace}/${x.metadata.name}`)).toContain(`${ns}/test-deployment`);

    // A condition the controller does not own survives its status writes.
    const current = (await t.api.get(`${base}/test-deployment/status`).expect(200)).body;
    current.status.conditions.push({ type: 'StatusUpdate', status: 'True', reason: 'E2E', message: 'Set from e2e test' });
    await t.api.put(`${base}/test-deployment/status`).send(current).expect(200);
    await client.updateScale(DEPLOYMENTS, ns, 'test-deployment', { spec: { replicas: 1 } });
    await waitFor(async () => {
      const d = await rolledOut(client, ns, 'test-deployment');
      return d && d.status.replicas === 1;
    }, 'the scale-down', 30000);
    const d = await get(client, ns, 'test-deployment');
    expect(condition(d, 'StatusUpdate')).toMatchObject({ status: 'True', reason: 'E2E', message: 'Set from e2e test' });

    await t.api.delete(base).query({ labelSelector: 'test-deployment-static=true' }).expect(200);
    await waitFor(async () => (await t.api.get(`${base}/test-deployment`)).status === 404, 'the Deployment to be deleted', 30000);
  });

  it('should refuse a Deployment whose selector does not match its template labels with kube\'s 422', async () => {
    const ns = await newNamespace('deploy');
    const bad = deployment('bad', 1);
    (bad.spec as Obj).selector = { matchLabels: { app: 'other' } };
    const res = await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(bad);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message: 'Deployment.apps "bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"bad"}: `selector` does not match template `labels`',
      details: { name: 'bad', group: 'apps', kind: 'Deployment', causes: [{ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels' }] },
    });
  });
});

describe('deployment annotations and proportions', () => {
  it('keeps the revisions a ReplicaSet held in revision-history, bounded to 2,000 characters', () => {
    const d = { metadata: { annotations: { note: 'n', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }, spec: { replicas: 3 } };
    const rs: Obj = { metadata: { annotations: { 'deployment.kubernetes.io/revision': '1' } } };
    expect(setNewReplicaSetAnnotations(d, rs, 3n, true, 1)).toBe(true);
    expect(rs.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1', note: 'n' });
    expect(setNewReplicaSetAnnotations(d, rs, 3n, true, 1)).toBe(false);
    setNewReplicaSetAnnotations(d, rs, 5n, true, 1);
    expect(rs.metadata.annotations['deployment.kubernetes.io/revision-history']).toBe('1,3');
    rs.metadata.annotations['deployment.kubernetes.io/revision-history'] = Array.from({ length: 500 }, (_, i) => String(1000 + i)).join(',');
    setNewReplicaSetAnnotations(d, rs, 6n, true, 1);
    const history = rs.metadata.annotations['deployment.kubernetes.io/revision-history'];
    expect(history.length).toBeLessThanOrEqual(2000);
    expect(history.endsWith(',5')).toBe(true);
    // A new ReplicaSet also gets the size annotations: desired, and desired + maxSurge.
    const fresh: Obj = { metadata: {} };
    setNewReplicaSetAnnotations(d, fresh, 1n, false, 1);
    expect(fresh.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
  });
  it('shares a resize in proportion to max-replicas, never beyond what is left to add', () => {
    const d = { spec: { replicas: 30, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }, status: { replicas: 13 } };
    const rs = (replicas: number) => ({ metadata: { annotations: { 'deployment.kubernetes.io/max-replicas': '13' } }, spec: { replicas } });
    expect(proportion(rs(8), d, 20, 0)).toBe(12);
    expect(proportion(rs(5), d, 20, 12)).toBe(8);
    // Never more than what is left to add.
    expect(proportion(rs(5), d, 20, 15)).toBe(5);
    expect(proportion(rs(0), d, 20, 0)).toBe(0);
  });
});

describe('deployment fenceposts', () => {
  const d = (replicas: number, maxSurge: number | string, maxUnavailable: number | string) => ({ spec: { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } } });
  it('rounds a percentage surge up and a percentage unavailability down, and allows one unavailable when both are zero', () => {
    expect(resolveFenceposts(d(10, '25%', '25%'))).toEqual({ surge: 3, unavailable: 2 });
    expect(resolveFenceposts(d(3, '10%', '10%'))).toEqual({ surge: 1, unavailable: 0 });
    expect(resolveFenceposts(d(5, 2, 0))).toEqual({ surge: 2, unavailable: 0 });
    expect(resolveFenceposts(d(4, 0, '0%'))).toEqual({ surge: 0, unavailable: 1 });
  });
  it('hashes a template stably, and differently for another template or collisionCount', () => {
    const tpl = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    expect(computeHash(tpl)).toBe(computeHash(structuredClone(tpl)));
    expect(computeHash(tpl)).not.toBe(computeHash({ ...tpl, spec: { containers: [{ name: 'c', image: 'httpd' }] } }));
    expect(computeHash(tpl, 1)).not.toBe(computeHash(tpl));
    expect(computeHash(tpl, 1)).not.toBe(computeHash(tpl, 2));
  });
});

// ---- a controller manager of our own: conflicts injected, and a server restarted mid-rollout --

interface Injected {
  remaining: number;
  injected: number;
}

// conflicting wraps a Client so that its first updates of ReplicaSets and Deployment statuses
// fail with 409 Conflict, as when another writer got there first.
function conflicting(inner: Client, state: Injected): Client {
  const conflict = (what: string) =>
    new ApiError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, message: `Operation cannot be fulfilled on ${what}: the object has been modified; please apply your changes to the latest version and try again` });
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'withFieldManager') return (fm: string, ua?: string) => conflicting(target.withFieldManager(fm, ua), state);
      if (prop === 'update' || prop === 'updateStatus') {
        return async (res: { resource: string }, obj: KubeObject, options?: unknown) => {
          if ((res.resource === 'replicasets' && prop === 'update') || (res.resource === 'deployments' && prop === 'updateStatus')) {
            if (target.fieldManager === 'deployment-controller' && state.remaining > 0) {
              state.remaining--;
              state.injected++;
              throw conflict(`${res.resource} "${obj.metadata?.name}"`);
            }
          }
          return (target[prop] as (...a: unknown[]) => unknown)(res, obj, options);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('[sig-apps] Deployment controller robustness', () => {
  it('retries a reconcile that hits a conflict and still finishes the rollout', async () => {
    const server = await startTestServer({ controllers: false });
    const state: Injected = { remaining: 6, injected: 0 };
    const manager = new ControllerManager(conflicting(server.nodeless.client, state));
    manager.add(new ReplicaSetController(), new DeploymentController());
    await manager.start();
    const k = await new FakeKubelet(server.nodeless.client, { decide }).start();
    try {
      const c = server.nodeless.client.withFieldManager('deployment-test');
      await c.create(DEPLOYMENTS, 'default', deployment('conflicted', 3));
      await waitFor(() => rolledOut(c, 'default', 'conflicted'), 'the first rollout despite conflicts', 30000);
      await setImage(c, 'default', 'conflicted', 'nginx:1.27');
      await waitFor(async () => {
        const d = await rolledOut(c, 'default', 'conflicted');
        return d && d.metadata.annotations['deployment.kubernetes.io/revision'] === '2';
      }, 'the second rollout', 30000);
      expect(state.injected).toBe(6);
      expect(await livePods(c, 'default', 'conflicted')).toHaveLength(3);
      expect((await replicaSets(c, 'default', 'conflicted')).map((rs) => rs.spec.replicas)).toEqual([0, 3]);
    } finally {
      k.stop();
      manager.stop();
      await server.close();
    }
  });

  it('finishes a rollout interrupted by a server restart, with no extra pods', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-deploy-'));
    const databasePath = path.join(dir, 'db.sqlite');
    try {
      let server = await createNodeless({ databasePath });
      let c = server.client.withFieldManager('deployment-test');
      let k = await new FakeKubelet(server.client, { decide }).start();
      const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
      await c.create(DEPLOYMENTS, 'default', deployment('restart', 3, { strategy }));
      await waitFor(() => rolledOut(c, 'default', 'restart'), 'the first rollout', 30000);
      // Without a kubelet, the new pods stay Pending: the rollout stops half-way.
      k.stop();
      await setImage(c, 'default', 'restart', 'nginx:1.27');
      const before = await waitFor(async () => {
        const p = (await livePods(c, 'default', 'restart')).filter((x) => x.spec.containers[0].image === 'nginx:1.27');
        return p.length === 1 && p;
      }, 'the first new pod', 30000);
      await server.close();

      server = await createNodeless({ databasePath });
      c = server.client.withFieldManager('deployment-test');
      k = await new FakeKubelet(server.client, { decide }).start();
      try {
        await waitFor(async () => {
          const d = await rolledOut(c, 'default', 'restart');
          return d && d.metadata.annotations['deployment.kubernetes.io/revision'] === '2' && (await livePods(c, 'default', 'restart')).length === 3;
        }, 'the rollout to finish after the restart', 60000);
        const pods = await livePods(c, 'default', 'restart');
        expect(pods.every((p) => p.spec.containers[0].image === 'nginx:1.27')).toBe(true);
        // The pod made before the restart is one of the three: none was made twice.
        expect(pods.map((p) => p.metadata.name)).toContain(before[0].metadata.name);
        const rss = await replicaSets(c, 'default', 'restart');
        expect(rss.map((rs) => rs.spec.replicas)).toEqual([0, 3]);
        const all = (await c.list(PODS, 'default', { labelSelector: 'app=restart' })).items;
        const newHash = rss[1].metadata.labels['pod-template-hash'];
        expect(all.filter((p) => p.metadata?.labels?.['pod-template-hash'] === newHash)).toHaveLength(3);
      } finally {
        k.stop();
        await server.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
