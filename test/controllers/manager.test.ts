/**
 * The controller manager: controllers set up their informers first, run only once every
 * informer synced, write under their own field manager, and a reconcile that throws for one
 * key never stops the others.
 */
import { CONFIG_MAPS, NAMESPACES, objectKey, splitKey, type Client } from '../../controllers/runtime/client';
import type { Informer } from '../../controllers/runtime/informer';
import { ControllerManager, type Controller, type ControllerContext, type LeaderElector } from '../../controllers/runtime/manager';
import { WorkQueue } from '../../controllers/runtime/work-queue';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';

// LabelController labels every ConfigMap seen=yes, failing for ConfigMaps named "broken".
class LabelController implements Controller {
  readonly name = 'label-controller';
  syncedAtRun = false;
  private client!: Client;
  private configMaps!: Informer;
  private queue!: WorkQueue;
  setup(ctx: ControllerContext): void {
    this.client = ctx.client;
    this.configMaps = ctx.informers.informerFor(CONFIG_MAPS);
    // Shared: asking twice answers the same informer.
    expect(ctx.informers.informerFor(CONFIG_MAPS)).toBe(this.configMaps);
    this.queue = new WorkQueue((key) => this.reconcile(key), { failure: 'label failed', workers: 2, autoStart: false, retryMs: 5, log: ctx.log });
    this.configMaps.addEventHandler({ onAdd: (o) => this.queue.add(objectKey(o)), onUpdate: (_o, n) => this.queue.add(objectKey(n)) });
  }
  run(): void {
    this.syncedAtRun = this.configMaps.hasSynced();
    this.queue.start();
  }
  stop(): void {
    this.queue.stop();
  }
  async reconcile(key: string): Promise<void> {
    const cm = this.configMaps.get(key);
    if (!cm || cm.metadata?.labels?.seen === 'yes') return;
    if (cm.metadata?.name === 'broken') throw new Error('this one always fails');
    const { namespace, name } = splitKey(key);
    await this.client.patch(CONFIG_MAPS, namespace, name, 'merge', { metadata: { labels: { seen: 'yes' } } });
  }
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ controllers: false });
  await t.nodeless.client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mgr' } });
});
afterAll(() => t.close());

describe('ControllerManager', () => {
  it('runs controllers after their informers synced, under their own field manager, isolating a failing key', async () => {
    const client = t.nodeless.client;
    await client.create(CONFIG_MAPS, 'mgr', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before' }, data: { a: 'b' } });
    await client.create(CONFIG_MAPS, 'mgr', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'broken' } });
    const logs: Array<Record<string, unknown>> = [];
    const acquired: string[] = [];
    const elector: LeaderElector = { acquire: async () => void acquired.push('acquire'), release: () => acquired.push('release') };
    const controller = new LabelController();
    const manager = new ControllerManager(client, { log: (r) => logs.push(r), elector });
    manager.add(controller);
    await manager.start();
    try {
      expect(acquired).toEqual(['acquire']);
      expect(controller.syncedAtRun).toBe(true);
      await client.create(CONFIG_MAPS, 'mgr', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after' }, data: { a: 'b' } });
      for (const name of ['before', 'after']) {
        await waitFor(async () => (await client.get(CONFIG_MAPS, 'mgr', name)).metadata?.labels?.seen === 'yes', `${name} labelled`);
      }
      const labelled = await client.get(CONFIG_MAPS, 'mgr', 'after');
      expect(labelled.metadata?.managedFields?.map((m) => m.manager)).toContain('label-controller');
      await waitFor(() => logs.filter((l) => l.msg === 'label failed' && l.key === 'mgr/broken').length >= 2, 'the broken key to be retried');
    } finally {
      manager.stop();
    }
    expect(acquired).toEqual(['acquire', 'release']);
  });
});
