/**
 * A stand-in for a kubelet in controller tests, until the instance scheduler runs pods: it
 * watches pods through a Client and writes their status through pods/status as a kubelet would
 * (Running and Ready, or Succeeded/Failed with an exit code), and it finishes graceful deletions
 * with a delete of grace period 0. What each pod becomes is the test's choice (`decide`).
 */
import { PODS, isNotFound, type Client } from '../../controllers/runtime/client';
import { Informer } from '../../controllers/runtime/informer';
import type { KubeObject } from '../../schemas/types';

/** PodOutcome is what the fake kubelet makes of a pod: leave it Pending, run it, or end it. */
export type PodOutcome = { phase: 'Pending' } | { phase: 'Running'; ready?: boolean } | { phase: 'Succeeded' | 'Failed'; exitCode?: number; reason?: string };

export interface FakeKubeletOptions {
  /** decide is asked once per pod (default: Running and Ready) */
  decide?: (pod: Readonly<KubeObject>) => PodOutcome;
  /** finishDeletions deletes terminating pods with grace period 0 (default true) */
  finishDeletions?: boolean;
  namespace?: string;
}

// nextIP hands each pod that starts running its own address from 10.244.0.0/14, as a CNI plugin
// would; a pod that already has one keeps it.
let ipCounter = 0;
function nextIP(): string {
  const n = ++ipCounter;
  return `10.${244 + ((n >> 16) & 3)}.${(n >> 8) & 255}.${n & 255}`;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** podStatus renders the status a kubelet reports for an outcome. */
export function podStatus(pod: Readonly<KubeObject>, outcome: PodOutcome): Record<string, unknown> {
  const t = now();
  const containers = ((pod.spec as { containers?: Array<{ name: string; image?: string }> } | undefined)?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '', imageID: `nodeless://${c.image ?? ''}` }));
  const condition = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: t });
  if (outcome.phase === 'Pending') return { phase: 'Pending', conditions: [condition('PodScheduled', true)] };
  const podIP = (pod.status as { podIP?: string } | undefined)?.podIP ?? nextIP();
  if (outcome.phase === 'Running') {
    const ready = outcome.ready ?? true;
    return {
      phase: 'Running',
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: t,
      conditions: [condition('PodScheduled', true), condition('Initialized', true), condition('ContainersReady', ready), condition('Ready', ready)],
      containerStatuses: containers.map((c) => ({ ...c, ready, started: true, restartCount: 0, state: { running: { startedAt: t } } })),
    };
  }
  const exitCode = outcome.exitCode ?? (outcome.phase === 'Succeeded' ? 0 : 1);
  const reason = outcome.reason ?? (exitCode === 0 ? 'Completed' : 'Error');
  return {
    phase: outcome.phase,
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: t,
    conditions: [condition('PodScheduled', true), condition('Initialized', true), condition('ContainersReady', false), condition('Ready', false)],
    containerStatuses: containers.map((c) => ({ ...c, ready: false, started: false, restartCount: 0, state: { terminated: { exitCode, reason, startedAt: t, finishedAt: t } } })),
  };
}

/** setPodStatus writes the status of an outcome through pods/status, retrying on conflicts. */
export async function setPodStatus(client: Client, pod: Readonly<KubeObject>, outcome: PodOutcome): Promise<void> {
  const { namespace, name } = pod.metadata ?? {};
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const current = await client.get(PODS, namespace, name!);
      await client.updateStatus(PODS, { ...current, status: podStatus(current, outcome) });
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (attempt === 4) throw err;
    }
  }
}

/** FakeKubelet runs pods as `decide` says until stopped. */
export class FakeKubelet {
  private readonly informer: Informer;
  private readonly seen = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  /** errors are the failures of status writes, for tests to assert there were none */
  readonly errors: unknown[] = [];

  constructor(
    private readonly client: Client,
    private readonly options: FakeKubeletOptions = {},
  ) {
    this.informer = new Informer(client.withFieldManager('fake-kubelet'), PODS, { namespace: options.namespace });
    this.informer.addEventHandler({ onAdd: (p) => this.handle(p), onUpdate: (_o, p) => this.handle(p) });
  }

  async start(): Promise<this> {
    this.informer.run();
    await this.informer.waitForSync();
    return this;
  }

  stop(): void {
    this.informer.stop();
  }

  /** idle resolves once every status write started so far has finished. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private track(work: Promise<void>): void {
    const p = work.catch((err) => void this.errors.push(err)).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private handle(pod: Readonly<KubeObject>): void {
    const uid = pod.metadata?.uid ?? '';
    if (pod.metadata?.deletionTimestamp) {
      if (this.options.finishDeletions === false || this.seen.has(`deleted/${uid}`)) return;
      this.seen.add(`deleted/${uid}`);
      this.track(
        this.client
          .delete(PODS, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid } })
          .then(() => undefined)
          .catch((err) => {
            if (!isNotFound(err) && !(err instanceof Error && /precondition|UID/.test(err.message))) throw err;
          }),
      );
      return;
    }
    if (this.seen.has(uid)) return;
    this.seen.add(uid);
    const outcome = this.options.decide?.(pod) ?? { phase: 'Running', ready: true };
    this.track(setPodStatus(this.client, pod, outcome));
  }
}
