/**
 * The in-process Client's watch hands every watcher of one change the same decoded object,
 * deep-frozen (issue 10: a large object was parsed again by each in-process watcher), and an
 * informer over it still caches correct objects, with managedFields stripped from its copy only.
 */
import { CONFIG_MAPS, type Client } from '../../controllers/runtime/client';
import { Informer, stripManagedFields } from '../../controllers/runtime/informer';
import type { KubeObject } from '../../schemas/types';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { take } from './client-suite';

const NS = 'default';

type ConfigMap = KubeObject & { data?: Record<string, string> };

describe('in-process watch objects', () => {
  let server: TestServer;
  let client: Client;

  beforeAll(async () => {
    server = await startTestServer({ controllers: false });
    client = server.nodeless.client.withFieldManager('watch-test');
  });
  afterAll(() => server.close());

  // isDeepFrozen is true when value and everything under it is frozen.
  function isDeepFrozen(value: unknown): boolean {
    if (value === null || typeof value !== 'object') return true;
    return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
  }

  it('gives every watcher of a change one shared, deep-frozen object, event after event', async () => {
    const from = (await client.list(CONFIG_MAPS, NS)).metadata.resourceVersion;
    const watch = () => client.watch(CONFIG_MAPS, NS, { resourceVersion: from, fieldSelector: 'metadata.name=shared' });
    const [a, b] = await Promise.all([watch(), watch()]);
    try {
      await client.create(CONFIG_MAPS, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', labels: { step: '0' } }, data: { k: 'v0' } });
      await client.patch(CONFIG_MAPS, NS, 'shared', 'merge', { data: { k: 'v1' } });
      await client.patch(CONFIG_MAPS, NS, 'shared', 'merge', { metadata: { labels: { step: '2' } }, data: { extra: 'x' } });
      await client.delete(CONFIG_MAPS, NS, 'shared');
      const [seenA, seenB] = await Promise.all([take(a, 4), take(b, 4)]);

      expect(seenA.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
      const objects = seenA.map((e) => e.object as ConfigMap);
      expect(objects.map((o) => o.data)).toEqual([{ k: 'v0' }, { k: 'v1' }, { k: 'v1', extra: 'x' }, { k: 'v1', extra: 'x' }]);
      expect(objects.map((o) => o.metadata?.labels?.step)).toEqual(['0', '0', '2', '2']);
      const revisions = objects.map((o) => Number(o.metadata?.resourceVersion));
      expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
      expect(new Set(revisions).size).toBe(4);
      expect(objects[0].metadata?.managedFields?.[0]?.manager).toBe('watch-test');

      seenA.forEach((ev, i) => expect(seenB[i].object).toBe(ev.object));
      for (const obj of objects) expect(isDeepFrozen(obj)).toBe(true);
      const first = objects[0] as ConfigMap & { data: Record<string, string> };
      expect(() => {
        first.data.k = 'changed';
      }).toThrow(TypeError);
      expect(() => {
        delete first.metadata!.managedFields;
      }).toThrow(TypeError);
      expect(first.data.k).toBe('v0');
    } finally {
      a.close();
      b.close();
    }
  });

  it('keeps an informer correct over shared objects: its transform copies instead of changing them', async () => {
    const informer = new Informer(client, CONFIG_MAPS, { namespace: NS, fieldSelector: 'metadata.name=cached', transform: stripManagedFields, backoffMs: 1 });
    const watched = await client.watch(CONFIG_MAPS, NS, { resourceVersion: (await client.list(CONFIG_MAPS, NS)).metadata.resourceVersion, fieldSelector: 'metadata.name=cached' });
    informer.run();
    try {
      await informer.waitForSync();
      await client.create(CONFIG_MAPS, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cached' }, data: { n: '0' } });
      for (let i = 1; i <= 3; i++) await client.patch(CONFIG_MAPS, NS, 'cached', 'merge', { data: { n: String(i) } });
      const cached = await waitFor(() => {
        const obj = informer.getByName(NS, 'cached') as ConfigMap | undefined;
        return obj?.data?.n === '3' ? obj : undefined;
      }, 'the informer to see the third patch');
      expect(cached.metadata?.managedFields).toBeUndefined();
      expect(isDeepFrozen(cached)).toBe(true);
      // The watch object the informer stripped still has its managedFields: nothing changed it.
      const events = await take(watched, 4);
      expect(events.map((e) => (e.object as ConfigMap).data?.n)).toEqual(['0', '1', '2', '3']);
      for (const ev of events) expect((ev.object as KubeObject).metadata?.managedFields?.length).toBeGreaterThan(0);
      expect(cached.data).toBe((events[3].object as ConfigMap).data);
    } finally {
      informer.stop();
      watched.close();
    }
  });
});
