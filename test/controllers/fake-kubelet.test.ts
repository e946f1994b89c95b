/** The fake kubelet the controller suites use: pods run as decided and terminating pods go away. */
import { PODS, type Client } from '../../controllers/runtime/client';
import { namespaceMaker, startTestServer, waitFor, type TestServer } from '../helpers/api-server';
import { FakeKubelet } from '../helpers/fake-kubelet';

let t: TestServer;
let client: Client;
const newNamespace = namespaceMaker(() => t);

beforeAll(async () => {
  t = await startTestServer();
  client = t.nodeless.client.withFieldManager('fake-kubelet-test');
});
afterAll(() => t.close());

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

it('marks pods Running and Ready or Failed as decided, and finishes their graceful deletion', async () => {
  const ns = await newNamespace('kubelet');
  const kubelet = await new FakeKubelet(client, { namespace: ns, decide: (p) => (p.metadata?.name === 'bad' ? { phase: 'Failed', exitCode: 3 } : { phase: 'Running' }) }).start();
  try {
    await client.create(PODS, ns, pod('good'));
    await client.create(PODS, ns, pod('bad'));
    const good = await waitFor(async () => {
      const p = await client.get(PODS, ns, 'good');
      return (p.status as any)?.phase === 'Running' && p;
    }, 'good runs');
    expect((good.status as any).conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
    const bad = await waitFor(async () => {
      const p = await client.get(PODS, ns, 'bad');
      return (p.status as any)?.phase === 'Failed' && p;
    }, 'bad fails');
    expect((bad.status as any).containerStatuses[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    await client.delete(PODS, ns, 'good');
    await waitFor(async () => (await client.list(PODS, ns)).items.every((p) => p.metadata?.name !== 'good'), 'good deleted');
    await kubelet.idle();
    expect(kubelet.errors).toEqual([]);
  } finally {
    kubelet.stop();
  }
});
