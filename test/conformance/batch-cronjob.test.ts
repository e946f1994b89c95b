/**
 * Conformance: "[sig-apps] CronJob should support CronJob API operations" (test/e2e/apps/cronjob.go):
 * batch/v1 cronjobs in discovery, then create, get, list (in a namespace and across all), watch,
 * patch, update, the status subresource (get, patch, update) and delete and deletecollection,
 * each change seen by a watch started from the list's resourceVersion. Suspended CronJobs, so the
 * CronJob controller that runs alongside creates no Jobs.
 */
import { CRON_JOBS, type Client, type WatchEvent } from '../../controllers/runtime/client';
import type { KubeObject } from '../../schemas/types';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t);

beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client.withFieldManager('cronjob-conformance');
});
afterAll(() => t.close());

type CronJob = KubeObject & { spec: Record<string, unknown>; status?: { lastScheduleTime?: string } };

function cronJob(name: string, label: string): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, labels: { special: label } },
    spec: {
      schedule: '@every 1m',
      suspend: true,
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox:1.36', args: ['sleep', '300'] }] } } } },
    },
  };
}

describe('[sig-apps] CronJob', () => {
  it('should support CronJob API operations [Conformance]', async () => {
    // Discovery: batch/v1 serves cronjobs with their status subresource.
    const resources = (await t.api.get('/apis/batch/v1').expect(200)).body.resources as Array<{ name: string; verbs: string[] }>;
    expect(resources.find((r) => r.name === 'cronjobs')?.verbs.sort()).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    expect(resources.map((r) => r.name)).toContain('cronjobs/status');

    const ns = await newNamespace('cronjob');
    const label = `api-${Date.now()}`;
    const selector = `special=${label}`;
    const created = [];
    for (const name of ['cj-1', 'cj-2', 'cj-3']) created.push(await client.create(CRON_JOBS, ns, cronJob(name, label)));
    expect(created.map((c) => c.metadata?.name)).toEqual(['cj-1', 'cj-2', 'cj-3']);

    const got = await client.get<CronJob>(CRON_JOBS, ns, 'cj-1');
    expect(got.metadata?.uid).toBe(created[0].metadata?.uid);
    const list = await client.list(CRON_JOBS, ns, { labelSelector: selector });
    expect(list.items).toHaveLength(3);
    expect((await client.list(CRON_JOBS, undefined, { labelSelector: selector })).items).toHaveLength(3);

    // A watch from the list's resourceVersion sees the patch and the update.
    const abort = new AbortController();
    const watch = await client.watch<CronJob>(CRON_JOBS, ns, { labelSelector: selector, resourceVersion: list.metadata.resourceVersion, signal: abort.signal });
    const seen: Array<WatchEvent<CronJob>> = [];
    const reading = (async () => {
      for await (const ev of watch) seen.push(ev);
    })();
    try {
      const patched = await client.patch<CronJob>(CRON_JOBS, ns, 'cj-1', 'merge', { metadata: { annotations: { patched: 'true' } } });
      expect(patched.metadata?.annotations?.patched).toBe('true');
      const fresh = await client.get<CronJob>(CRON_JOBS, ns, 'cj-1');
      const updated = await client.update<CronJob>(CRON_JOBS, { ...fresh, metadata: { ...fresh.metadata, annotations: { ...fresh.metadata?.annotations, updated: 'true' } } });
      expect(updated.metadata?.annotations).toMatchObject({ patched: 'true', updated: 'true' });
      await waitFor(() => seen.some((e) => e.type === 'MODIFIED' && (e.object as CronJob).metadata?.annotations?.updated === 'true'), 'the watch to see the update');
      expect(seen.some((e) => e.type === 'MODIFIED' && (e.object as CronJob).metadata?.annotations?.patched === 'true')).toBe(true);

      // The status subresource: get, patch and update lastScheduleTime; the spec is untouched.
      const statusPath = `/apis/batch/v1/namespaces/${ns}/cronjobs/cj-1/status`;
      const status = (await t.api.get(statusPath).expect(200)).body as CronJob;
      expect(status.metadata?.uid).toBe(created[0].metadata?.uid);
      const when = '2026-12-03T10:00:00Z';
      const statusPatched = (await t.api.patch(statusPath).set('Content-Type', 'application/merge-patch+json').send({ status: { lastScheduleTime: when } }).expect(200)).body as CronJob;
      expect(statusPatched.status?.lastScheduleTime).toBe(when);
      const later = '2026-12-03T11:00:00Z';
      const statusUpdated = (await t.api.put(statusPath).send({ ...statusPatched, status: { lastScheduleTime: later }, spec: { ...statusPatched.spec, schedule: '@daily' } }).expect(200)).body as CronJob;
      expect(statusUpdated.status?.lastScheduleTime).toBe(later);
      expect(statusUpdated.spec.schedule).toBe('@every 1m');

      // Delete one, then the rest by label; the watch sees each deletion.
      await client.delete(CRON_JOBS, ns, 'cj-1');
      await expect(client.get(CRON_JOBS, ns, 'cj-1')).rejects.toMatchObject({ code: 404 });
      await client.deleteCollection(CRON_JOBS, ns, { labelSelector: selector });
      expect((await client.list(CRON_JOBS, ns, { labelSelector: selector })).items).toHaveLength(0);
      await waitFor(() => seen.filter((e) => e.type === 'DELETED').length === 3, 'the watch to see three deletions');
    } finally {
      abort.abort();
      watch.close();
      await reading.catch(() => undefined);
    }
  });
});
