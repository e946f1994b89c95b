/**
 * The StatefulSet controller on the in-process runtime, conformance-style: stable pod identities
 * `<set>-<ordinal>`, OrderedReady and Parallel pod management, partitioned RollingUpdate and
 * OnDelete through ControllerRevisions, per-ordinal claims and their retention policy, failed
 * and deleted pods made again under their names, and bad data met with an Event. A FakeKubelet
 * plays the kubelet, writing pod status through pods/status.
 */
import { CONFIG_MAPS, CONTROLLER_REVISIONS, EVENTS, PERSISTENT_VOLUME_CLAIMS, PODS, STATEFUL_SETS, type Client } from '../../controllers/runtime/client';
import type { KubeObject } from '../../schemas/types';
import { canonicalJson, hashRevision, newRevision } from '../../controllers/workloads/controller-history';
import { rollingUpdateVictims } from '../../controllers/workloads/statefulset-status';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeKubelet, setPodStatus, type PodOutcome } from '../helpers/fake-kubelet';

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t, { waitForDefaultServiceAccount: true });
const kubelets: FakeKubelet[] = [];

beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client.withFieldManager('statefulset-test');
});
afterEach(async () => {
  for (const k of kubelets.splice(0)) {
    await k.idle();
    expect(k.errors).toEqual([]);
    k.stop();
  }
});
afterAll(() => t.close());

async function kubelet(ns: string, decide?: (pod: Readonly<KubeObject>) => PodOutcome): Promise<FakeKubelet> {
  const k = await new FakeKubelet(client, { namespace: ns, decide }).start();
  kubelets.push(k);
  return k;
}

function statefulSet(name: string, replicas: number, spec: Record<string, unknown> = {}, image = 'nginx:1.27'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...spec,
    },
  };
}

const claimTemplate = { metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };

async function podsOf(ns: string, app: string): Promise<KubeObject[]> {
  const items = (await client.list(PODS, ns, { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
  return items.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
}
const names = (pods: KubeObject[]) => pods.map((p) => p.metadata!.name);
const isReady = (p: KubeObject) => (p.status as any)?.phase === 'Running' && (p.status as any)?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

async function statusOf(ns: string, name: string): Promise<Record<string, any>> {
  return ((await client.get(STATEFUL_SETS, ns, name)).status ?? {}) as Record<string, any>;
}

// settled waits until status reflects the current generation with every replica ready and updated.
async function settled(ns: string, name: string, replicas: number, deadline = 30000): Promise<Record<string, any>> {
  return waitFor(async () => {
    const set = await client.get(STATEFUL_SETS, ns, name);
    const s = (set.status ?? {}) as Record<string, any>;
    return s.observedGeneration === set.metadata!.generation && s.replicas === replicas && (s.readyReplicas ?? 0) === replicas && s.currentRevision === s.updateRevision && (s.updatedReplicas ?? 0) === replicas && s;
  }, `${name} settled at ${replicas} replicas`, deadline);
}

async function eventsOf(ns: string, name: string): Promise<KubeObject[]> {
  return (await client.list(EVENTS, ns, { fieldSelector: `involvedObject.name=${name}` })).items;
}

// watchPods records every pod event of a namespace, in order.
async function watchPods(ns: string): Promise<{ events: Array<{ type: string; pod: KubeObject }>; stop: () => Promise<void> }> {
  const events: Array<{ type: string; pod: KubeObject }> = [];
  const stream = await client.watch(PODS, ns, { resourceVersion: '0' });
  const done = (async () => {
    for await (const ev of stream) if (ev.type !== 'ERROR' && ev.type !== 'BOOKMARK') events.push({ type: ev.type, pod: ev.object as KubeObject });
  })();
  return {
    events,
    stop: async () => {
      stream.close();
      await done;
    },
  };
}

async function patchSet(ns: string, name: string, patch: unknown): Promise<void> {
  await client.patch(STATEFUL_SETS, ns, name, 'strategic', patch);
}

describe('[sig-apps] StatefulSet', () => {
  it('should create pods in order, each once its predecessor is Running and Ready, and remove them in reverse order', async () => {
    const ns = await newNamespace('sts');
    // Pods stay Pending until the test says otherwise.
    await kubelet(ns, () => ({ phase: 'Pending' }));
    const watch = await watchPods(ns);
    try {
      const set = await client.create(STATEFUL_SETS, ns, statefulSet('web', 3));
      for (let k = 0; k < 3; k++) {
        const pods = await waitFor(async () => {
          const p = await podsOf(ns, 'web');
          return p.length === k + 1 && p;
        }, `pod web-${k}`);
        expect(names(pods)).toEqual(Array.from({ length: k + 1 }, (_x, i) => `web-${i}`));
        const pod = pods[k];
        expect(pod.metadata?.labels).toMatchObject({ app: 'web', 'statefulset.kubernetes.io/pod-name': `web-${k}`, 'apps.kubernetes.io/pod-index': String(k) });
        expect(pod.metadata?.labels?.['controller-revision-hash']).toMatch(/^web-[a-z0-9]+$/);
        expect(pod.spec).toMatchObject({ hostname: `web-${k}`, subdomain: 'web' });
        expect(pod.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: set.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
        // The next ordinal waits for this one: its status says Pending until now.
        await waitFor(async () => (await statusOf(ns, 'web')).replicas === k + 1, `status.replicas ${k + 1}`);
        expect((await podsOf(ns, 'web')).length).toBe(k + 1);
        await setPodStatus(client, pod, { phase: 'Running' });
      }
      const status = await settled(ns, 'web', 3);
      expect(status).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 1, collisionCount: 0 });
      expect(status.currentRevision).toMatch(/^web-[a-z0-9]+$/);

      await client.updateScale(STATEFUL_SETS, ns, 'web', { spec: { replicas: 0 } });
      await waitFor(async () => (await podsOf(ns, 'web')).length === 0 && (await statusOf(ns, 'web')).replicas === 0, 'scaled to zero');
    } finally {
      await watch.stop();
    }
    // Replay the watch: no pod was added before its predecessor was Running and Ready, and
    // pods went away one at a time from the highest ordinal.
    const state = new Map<string, KubeObject>();
    const deleted: string[] = [];
    for (const { type, pod } of watch.events) {
      const name = pod.metadata!.name!;
      const ord = Number(name.split('-')[1]);
      if (type === 'ADDED' && ord > 0) {
        const before = state.get(`web-${ord - 1}`);
        expect(before && isReady(before)).toBe(true);
      }
      if (type === 'DELETED' || (type === 'MODIFIED' && pod.metadata?.deletionTimestamp && !state.get(name)?.metadata?.deletionTimestamp)) {
        if (!deleted.includes(name)) {
          // Every higher ordinal is gone when this one goes.
          for (let higher = ord + 1; higher < 3; higher++) expect(state.has(`web-${higher}`)).toBe(false);
          deleted.push(name);
        }
      }
      if (type === 'DELETED') state.delete(name);
      else state.set(name, pod);
    }
    expect(deleted).toEqual(['web-2', 'web-1', 'web-0']);
    const reasons = (await eventsOf(ns, 'web')).map((e) => `${e.reason}: ${e.message}`);
    expect(reasons).toEqual(expect.arrayContaining(['SuccessfulCreate: create Pod web-0 in StatefulSet web successful', 'SuccessfulDelete: delete Pod web-2 in StatefulSet web successful']));
  });

  it('should wait for a terminating pod to be gone before removing the next one on scale-down', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns);
    // A finalizer from the template holds each pod in Terminating until the test lets it go.
    const set = statefulSet('hold', 3);
    (set.spec as any).template.metadata.finalizers = ['example.com/hold'];
    await client.create(STATEFUL_SETS, ns, set);
    await settled(ns, 'hold', 3);
    const watch = await watchPods(ns);
    const release = (name: string) => client.patch(PODS, ns, name, 'merge', { metadata: { finalizers: null } });
    try {
      await client.updateScale(STATEFUL_SETS, ns, 'hold', { spec: { replicas: 1 } });
      await waitFor(async () => !!(await client.get(PODS, ns, 'hold-2')).metadata?.deletionTimestamp, 'hold-2 terminating');
      await release('hold-2');
      await waitFor(async () => !!(await client.get(PODS, ns, 'hold-1')).metadata?.deletionTimestamp, 'hold-1 terminating');
      await release('hold-1');
      await waitFor(async () => (await client.list(PODS, ns)).items.length === 1, 'one pod left');
    } finally {
      await watch.stop();
    }
    // hold-1 began terminating only once hold-2 was gone.
    const order = watch.events
      .filter((e) => e.type === 'DELETED' || (e.type === 'MODIFIED' && e.pod.metadata?.deletionTimestamp))
      .map((e) => `${e.type === 'DELETED' ? 'gone' : 'terminating'} ${e.pod.metadata!.name}`)
      .filter((v, i, all) => all.indexOf(v) === i);
    expect(order).toEqual(['terminating hold-2', 'gone hold-2', 'terminating hold-1', 'gone hold-1']);
    await release('hold-0');
  });

  it('should create and delete every pod at once under Parallel pod management', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns, () => ({ phase: 'Pending' }));
    await client.create(STATEFUL_SETS, ns, statefulSet('par', 4, { podManagementPolicy: 'Parallel' }));
    const pods = await waitFor(async () => {
      const p = await podsOf(ns, 'par');
      return p.length === 4 && p;
    }, 'four pods at once');
    // None of them is ready, so none waited for another.
    expect(pods.every((p) => !isReady(p))).toBe(true);
    await client.updateScale(STATEFUL_SETS, ns, 'par', { spec: { replicas: 1 } });
    await waitFor(async () => names(await podsOf(ns, 'par')).join() === 'par-0', 'scaled to one though nothing is ready');
  });

  it('should start ordinals at spec.ordinals.start', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns);
    await client.create(STATEFUL_SETS, ns, statefulSet('ord', 2, { ordinals: { start: 5 } }));
    await settled(ns, 'ord', 2);
    expect(names(await podsOf(ns, 'ord'))).toEqual(['ord-5', 'ord-6']);
  });

  it('should roll a partitioned update only over ordinals at or above the partition, highest first', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns);
    await client.create(STATEFUL_SETS, ns, statefulSet('roll', 3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
    const before = await settled(ns, 'roll', 3);
    const oldRevision = before.currentRevision;
    const watch = await watchPods(ns);
    try {
      await patchSet(ns, 'roll', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.28' }] } } } });
      await waitFor(async () => {
        const s = await statusOf(ns, 'roll');
        return s.updatedReplicas === 2 && s.readyReplicas === 3 && s.observedGeneration === 2 && s;
      }, 'two pods updated');
      const s = await statusOf(ns, 'roll');
      expect(s.currentRevision).toBe(oldRevision);
      expect(s.updateRevision).not.toBe(oldRevision);
      expect(s.currentReplicas).toBe(1);
      const pods = await podsOf(ns, 'roll');
      const image = (p: KubeObject) => (p.spec as any).containers[0].image;
      expect(pods.map((p) => [p.metadata!.name, image(p), p.metadata!.labels!['controller-revision-hash']])).toEqual([
        ['roll-0', 'nginx:1.27', oldRevision],
        ['roll-1', 'nginx:1.28', s.updateRevision],
        ['roll-2', 'nginx:1.28', s.updateRevision],
      ]);
      // The partition lifted, the last pod follows and the update revision becomes current.
      await patchSet(ns, 'roll', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
      const done = await settled(ns, 'roll', 3);
      expect(done.currentRevision).toBe(s.updateRevision);
    } finally {
      await watch.stop();
    }
    const replaced = watch.events.filter((e) => e.type === 'DELETED').map((e) => e.pod.metadata!.name);
    expect(replaced).toEqual(['roll-2', 'roll-1', 'roll-0']);
  });

  it('should leave pods alone under OnDelete until they are deleted, then make them at the update revision', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns);
    await client.create(STATEFUL_SETS, ns, statefulSet('ondel', 2, { updateStrategy: { type: 'OnDelete' } }));
    const before = await settled(ns, 'ondel', 2);
    await patchSet(ns, 'ondel', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.28' }] } } } });
    const s = await waitFor(async () => {
      const st = await statusOf(ns, 'ondel');
      return st.observedGeneration === 2 && st;
    }, 'the update observed');
    expect(s.updateRevision).not.toBe(before.currentRevision);
    expect(s.currentRevision).toBe(before.currentRevision);
    expect((await podsOf(ns, 'ondel')).map((p) => p.metadata!.labels!['controller-revision-hash'])).toEqual([before.currentRevision, before.currentRevision]);
    const old = (await podsOf(ns, 'ondel'))[1];
    await client.delete(PODS, ns, 'ondel-1');
    const remade = await waitFor(async () => {
      const p = (await podsOf(ns, 'ondel')).find((x) => x.metadata!.name === 'ondel-1');
      return p && p.metadata!.uid !== old.metadata!.uid && p;
    }, 'ondel-1 made again');
    expect(remade.metadata!.labels!['controller-revision-hash']).toBe(s.updateRevision);
    expect((remade.spec as any).containers[0].image).toBe('nginx:1.28');
    expect((await podsOf(ns, 'ondel'))[0].metadata!.labels!['controller-revision-hash']).toBe(before.currentRevision);
  });

  it('should keep ControllerRevisions of the template, reuse one on rollback, and trim them to revisionHistoryLimit', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns);
    const set = await client.create(STATEFUL_SETS, ns, statefulSet('hist', 1, { revisionHistoryLimit: 2 }));
    const first = await settled(ns, 'hist', 1);
    const revs = async () => (await client.list(CONTROLLER_REVISIONS, ns)).items.sort((a: any, b: any) => a.revision - b.revision) as any[];
    const [r1] = await revs();
    expect(r1.metadata.name).toBe(first.currentRevision);
    expect(r1.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'hist', uid: set.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    expect(r1.metadata.labels).toMatchObject({ app: 'hist', 'controller.kubernetes.io/hash': r1.metadata.name.slice('hist-'.length) });
    expect(r1.revision).toBe(1);
    expect(r1.data).toEqual({ spec: { template: { $patch: 'replace', metadata: { creationTimestamp: null, labels: { app: 'hist' } }, spec: expect.objectContaining({ containers: [expect.objectContaining({ name: 'c', image: 'nginx:1.27' })] }) } } });

    const image = (tag: string) => ({ spec: { template: { spec: { containers: [{ name: 'c', image: `nginx:${tag}` }] } } } });
    await patchSet(ns, 'hist', image('1.28'));
    const second = await settled(ns, 'hist', 1);
    expect(second.currentRevision).not.toBe(first.currentRevision);
    expect((await revs()).map((r) => [r.metadata.name, r.revision])).toEqual([
      [first.currentRevision, 1],
      [second.currentRevision, 2],
    ]);
    // Back to the first template: its revision is renumbered, not copied.
    await patchSet(ns, 'hist', image('1.27'));
    const third = await settled(ns, 'hist', 1);
    expect(third.currentRevision).toBe(first.currentRevision);
    expect((await revs()).map((r) => [r.metadata.name, r.revision])).toEqual([
      [second.currentRevision, 2],
      [first.currentRevision, 3],
    ]);
    // Beyond the limit the oldest unused revisions go.
    await patchSet(ns, 'hist', image('1.29'));
    await settled(ns, 'hist', 1);
    await patchSet(ns, 'hist', image('1.30'));
    const last = await settled(ns, 'hist', 1);
    await waitFor(async () => (await revs()).length === 3, 'history trimmed to the limit and the current revision');
    expect((await revs()).map((r) => r.revision)).toEqual([3, 4, 5]);
    expect((await revs())[2].metadata.name).toBe(last.currentRevision);
  });

  it('should count a collision when its revision name is taken by another template, and take the next name', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns);
    // The name the first revision would take, from the set as the server defaults it.
    const defaulted = await client.create(STATEFUL_SETS, ns, statefulSet('coll', 1), { dryRun: true });
    const taken = newRevision(defaulted, 'StatefulSet', 1, 0).metadata!.name!;
    await client.create(CONTROLLER_REVISIONS, ns, { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: taken, labels: { squatter: 'yes' } }, data: { something: 'else' }, revision: 1 });
    await client.create(STATEFUL_SETS, ns, statefulSet('coll', 1));
    const s = await settled(ns, 'coll', 1);
    expect(s.collisionCount).toBe(1);
    expect(s.currentRevision).toBe(newRevision(defaulted, 'StatefulSet', 1, 1).metadata!.name);
    expect(s.currentRevision).not.toBe(taken);
    // The squatter is left alone.
    expect((await client.get(CONTROLLER_REVISIONS, ns, taken)).metadata?.ownerReferences).toBeUndefined();
  });

  it('should create a claim per ordinal before the pod, keep it on scale-down, and delete it when the retention policy says Delete', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns);
    await client.create(STATEFUL_SETS, ns, statefulSet('db', 2, { volumeClaimTemplates: [claimTemplate] }));
    await settled(ns, 'db', 2);
    const claims = async () => (await client.list(PERSISTENT_VOLUME_CLAIMS, ns)).items.filter((c) => !c.metadata?.deletionTimestamp).map((c) => c.metadata!.name).sort();
    expect(await claims()).toEqual(['www-db-0', 'www-db-1']);
    const claim = await client.get(PERSISTENT_VOLUME_CLAIMS, ns, 'www-db-0');
    expect(claim.metadata?.labels).toEqual({ app: 'db' });
    expect(claim.metadata?.ownerReferences ?? []).toEqual([]);
    expect(claim.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
    const pod = await client.get(PODS, ns, 'db-1');
    expect((pod.spec as any).volumes).toEqual(expect.arrayContaining([{ name: 'www', persistentVolumeClaim: { claimName: 'www-db-1' } }]));
    const events = (await eventsOf(ns, 'db')).map((e) => e.message);
    expect(events).toContain('create Claim www-db-0 Pod db-0 in StatefulSet db success');

    // Retain (the default): scale-down keeps the claim, and scaling up mounts it again.
    await client.updateScale(STATEFUL_SETS, ns, 'db', { spec: { replicas: 1 } });
    await settled(ns, 'db', 1);
    expect(await claims()).toEqual(['www-db-0', 'www-db-1']);

    // whenScaled Delete: the claim of a pod scaled away goes with it.
    await client.create(STATEFUL_SETS, ns, statefulSet('tmp', 2, { volumeClaimTemplates: [claimTemplate], persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Retain' } }));
    await settled(ns, 'tmp', 2);
    await client.updateScale(STATEFUL_SETS, ns, 'tmp', { spec: { replicas: 1 } });
    await waitFor(async () => !(await claims()).includes('www-tmp-1'), 'www-tmp-1 deleted with its pod', 20_000);
    expect(await claims()).toContain('www-tmp-0');
    // Scaled back up, the ordinal gets a new claim, and keeps it while it is in range.
    const oldClaim = (await client.list(PERSISTENT_VOLUME_CLAIMS, ns)).items.find((c) => c.metadata!.name === 'www-tmp-0')!;
    await client.updateScale(STATEFUL_SETS, ns, 'tmp', { spec: { replicas: 2 } });
    await settled(ns, 'tmp', 2);
    const fresh = await client.get(PERSISTENT_VOLUME_CLAIMS, ns, 'www-tmp-1');
    expect(fresh.metadata?.ownerReferences ?? []).toEqual([]);
    expect((await client.get(PERSISTENT_VOLUME_CLAIMS, ns, 'www-tmp-0')).metadata!.uid).toBe(oldClaim.metadata!.uid);

    // whenDeleted Delete: the set's claims go with the set.
    const gone = await client.create(STATEFUL_SETS, ns, statefulSet('gone', 2, { volumeClaimTemplates: [claimTemplate], persistentVolumeClaimRetentionPolicy: { whenScaled: 'Retain', whenDeleted: 'Delete' } }));
    await settled(ns, 'gone', 2);
    const owned = await client.get(PERSISTENT_VOLUME_CLAIMS, ns, 'www-gone-1');
    expect(owned.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'gone', uid: gone.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    await client.delete(STATEFUL_SETS, ns, 'gone');
    await waitFor(async () => !(await claims()).some((c) => c!.includes('gone')), 'the claims of gone deleted', 20_000);
    expect(await claims()).toEqual(['www-db-0', 'www-db-1', 'www-tmp-0', 'www-tmp-1']);
  });

  it('should make a deleted pod again under the same name, and replace a failed one', async () => {
    const ns = await newNamespace('sts');
    let failures = 1;
    await kubelet(ns, (p) => (p.metadata?.name === 'again-1' && failures-- > 0 ? { phase: 'Failed', exitCode: 2 } : { phase: 'Running' }));
    await client.create(STATEFUL_SETS, ns, statefulSet('again', 2));
    await settled(ns, 'again', 2);
    const events = (await eventsOf(ns, 'again')).map((e) => e.message);
    expect(events).toContain('delete Pod again-1 in StatefulSet again successful');
    const old = await client.get(PODS, ns, 'again-0');
    await client.delete(PODS, ns, 'again-0');
    await waitFor(async () => {
      const p = await client.get(PODS, ns, 'again-0');
      return p.metadata!.uid !== old.metadata!.uid && isReady(p);
    }, 'again-0 made again');
    await settled(ns, 'again', 2);
  });

  it('should wait minReadySeconds after a pod is ready before making the next, and count availability apart from readiness', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns);
    const watch = await watchPods(ns);
    try {
      await client.create(STATEFUL_SETS, ns, statefulSet('slow', 2, { minReadySeconds: 1 }));
      const s = await settled(ns, 'slow', 2);
      await waitFor(async () => (await statusOf(ns, 'slow')).availableReplicas === 2, 'two available replicas');
      expect(s.readyReplicas).toBe(2);
    } finally {
      await watch.stop();
    }
    // slow-1 was made no sooner than a second after slow-0 became ready (both in whole seconds).
    const added = watch.events.find((e) => e.type === 'ADDED' && e.pod.metadata!.name === 'slow-1')!.pod;
    const readyAt = watch.events
      .filter((e) => e.pod.metadata!.name === 'slow-0' && isReady(e.pod))
      .map((e) => Date.parse((e.pod.status as any).conditions.find((c: any) => c.type === 'Ready').lastTransitionTime))[0];
    expect(Date.parse(added.metadata!.creationTimestamp!) - readyAt).toBeGreaterThanOrEqual(1000);
  });

  it('should restore the identity labels of a pod that lost them', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns);
    await client.create(STATEFUL_SETS, ns, statefulSet('ident', 1));
    await settled(ns, 'ident', 1);
    await client.patch(PODS, ns, 'ident-0', 'merge', { metadata: { labels: { 'statefulset.kubernetes.io/pod-name': null, 'apps.kubernetes.io/pod-index': 'wrong' } } });
    const pod = await waitFor(async () => {
      const p = await client.get(PODS, ns, 'ident-0');
      return p.metadata?.labels?.['statefulset.kubernetes.io/pod-name'] === 'ident-0' && p;
    }, 'the identity labels restored');
    expect(pod.metadata?.labels?.['apps.kubernetes.io/pod-index']).toBe('0');
    expect((await eventsOf(ns, 'ident')).map((e) => e.message)).toContain('update Pod ident-0 in StatefulSet ident successful');
  });

  it('should adopt an orphan pod of its name that its selector matches', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns);
    const orphan = await client.create<KubeObject>(PODS, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'adopt-0', labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } });
    // OnDelete, so the adopted pod (which has no revision label) is kept rather than replaced.
    const set = await client.create(STATEFUL_SETS, ns, statefulSet('adopt', 2, { updateStrategy: { type: 'OnDelete' } }));
    await waitFor(async () => (await statusOf(ns, 'adopt')).readyReplicas === 2, 'two ready replicas');
    const adopted = await client.get(PODS, ns, 'adopt-0');
    expect(adopted.metadata?.uid).toBe(orphan.metadata?.uid);
    expect(adopted.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'adopt', uid: set.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    expect(adopted.metadata?.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': 'adopt-0', 'apps.kubernetes.io/pod-index': '0' });
  });

  it('should record an Event and go on when a pod of its name belongs to someone else', async () => {
    const ns = await newNamespace('sts');
    await kubelet(ns);
    // A real owner: the garbage collector deletes dependents of owners that do not exist.
    const owner = await client.create<KubeObject>(CONFIG_MAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'someone-else' } });
    const otherRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'someone-else', uid: owner.metadata!.uid!, controller: true };
    await client.create(PODS, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'clash-0', labels: { app: 'clash' }, ownerReferences: [otherRef] }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await client.create(STATEFUL_SETS, ns, statefulSet('clash', 2));
    const event = await waitFor(async () => (await eventsOf(ns, 'clash')).find((e) => e.reason === 'FailedCreate'), 'a FailedCreate event');
    expect(event).toMatchObject({ type: 'Warning', message: 'create Pod clash-0 in StatefulSet clash failed error: pods "clash-0" already exists', source: { component: 'statefulset-controller' } });
    expect((await client.get(PODS, ns, 'clash-0')).metadata?.ownerReferences).toEqual([otherRef]);
    // The controller still serves other sets.
    await client.create(STATEFUL_SETS, ns, statefulSet('fine', 1));
    await settled(ns, 'fine', 1);
    // And once the name is free, the set proceeds.
    await client.delete(PODS, ns, 'clash-0');
    await settled(ns, 'clash', 2);
  });
});

describe('ControllerRevision data and names', () => {
  it('writes the template patch with sorted keys, as Go encodes a map, and hashes it with the collision count', () => {
    expect(canonicalJson({ spec: { template: { spec: { b: 1, a: [{ y: 1, x: null }] }, $patch: 'replace' } } })).toBe('{"spec":{"template":{"$patch":"replace","spec":{"a":[{"x":null,"y":1}],"b":1}}}}');
    const h0 = hashRevision('{"a":1}', 0);
    expect(h0).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(hashRevision('{"a":1}', 0)).toBe(h0);
    expect(hashRevision('{"a":1}', 1)).not.toBe(h0);
    expect(hashRevision('{"a":2}', 0)).not.toBe(h0);
  });
});

describe('rollingUpdateVictims', () => {
  const pod = (ord: number, revision: string, healthy = true): KubeObject => ({
    metadata: { name: `web-${ord}`, labels: { 'controller-revision-hash': revision } },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: healthy ? 'True' : 'False' }] },
  });
  const victims = (replicas: Array<KubeObject | undefined>, partition: number, maxUnavailable?: number | string) =>
    rollingUpdateVictims(replicas, 'new', partition, maxUnavailable).map((p) => p.metadata!.name);

  it('replaces one pod at a time from the highest ordinal, each once those above it are healthy', () => {
    expect(victims([pod(0, 'old'), pod(1, 'old'), pod(2, 'old')], 0)).toEqual(['web-2']);
    expect(victims([pod(0, 'old'), pod(1, 'old'), pod(2, 'new')], 0)).toEqual(['web-1']);
    expect(victims([pod(0, 'old'), pod(1, 'old'), pod(2, 'new', false)], 0)).toEqual([]);
    expect(victims([pod(0, 'old'), pod(1, 'old'), undefined], 0)).toEqual([]);
    // Below the partition nothing changes.
    expect(victims([pod(0, 'old'), pod(1, 'new'), pod(2, 'new')], 1)).toEqual([]);
  });

  it('with maxUnavailable (kube behind MaxUnavailableStatefulSet), replaces up to that many at once', () => {
    const all = [pod(0, 'old'), pod(1, 'old'), pod(2, 'old'), pod(3, 'old')];
    expect(victims(all, 0, 2)).toEqual(['web-3', 'web-2']);
    expect(victims(all, 0, '50%')).toEqual(['web-3', 'web-2']);
    expect(victims(all, 0, '10%')).toEqual(['web-3']);
    // Pods already unavailable use up the budget.
    expect(victims([pod(0, 'old'), pod(1, 'old'), pod(2, 'new', false), pod(3, 'new')], 0, 2)).toEqual(['web-1']);
    expect(victims([pod(0, 'old'), pod(1, 'old'), pod(2, 'new', false), pod(3, 'new', false)], 0, 2)).toEqual([]);
    expect(victims(all, 3, 2)).toEqual(['web-3']);
  });
});
