/**
 * End-to-end: the real kubectl driving Deployments through the built-in controllers of the
 * built server: create, scale, rollout status/history/undo/pause/resume/restart, set image,
 * and describe showing the controller's ScalingReplicaSet events. A FakeKubelet in this
 * process (over HTTP, from the server's kubeconfig) runs the pods, as a kubelet would.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HttpClient, loadKubeconfig } from '../../controllers/runtime/http-client';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';
import { FakeKubelet } from '../helpers/fake-kubelet';

const run = promisify(execFile);
let server: CliServer;
let kubelet: FakeKubelet;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 90000 });
  return stdout;
}

async function kubectlFails(...args: string[]): Promise<string> {
  try {
    await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 });
  } catch (err) {
    return (err as { stderr: string }).stderr;
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded`);
}

const image = () => kubectl('get', 'deployment', 'w', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
const revision = () => kubectl('get', 'deployment', 'w', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}');
// The images of the live pods, sorted, once the rollout has settled to them.
async function podImages(): Promise<string[]> {
  const out = await kubectl('get', 'pods', '-l', 'app=w', '-o', 'jsonpath={range .items[?(@.metadata.deletionTimestamp)]}T{end}{range .items[*]}{.spec.containers[0].image}{" "}{end}');
  return out.trim().split(/\s+/).filter(Boolean).sort();
}

beforeAll(async () => {
  // The test plays the kubelet (a FakeKubelet decides how each pod ends), so the instance scheduler is off.
  server = await startCliServer(['--scheduler=false']);
  // Pods run Ready, except images tagged :broken, which stay Pending.
  kubelet = await new FakeKubelet(new HttpClient(loadKubeconfig(server.kubeconfig), 'fake-kubelet'), {
    decide: (pod) => (((pod.spec as { containers: Array<{ image?: string }> }).containers[0].image ?? '').endsWith(':broken') ? { phase: 'Pending' } : { phase: 'Running', ready: true }),
  }).start();
}, 60000);

afterAll(async () => {
  kubelet?.stop();
  await server?.stop();
});

describe('[sig-cli] kubectl rollout', () => {
  it('creates, scales and rolls out a Deployment, reporting as kubectl expects', async () => {
    expect(await kubectl('create', 'deployment', 'w', '--image=nginx', '--replicas=2')).toBe('deployment.apps/w created\n');
    const status = await kubectl('rollout', 'status', 'deployment/w', '--timeout=60s');
    expect(status).toMatch(/deployment "w" successfully rolled out\n$/);
    expect(await kubectl('get', 'deployment', 'w', '-o', 'jsonpath={.status.readyReplicas}/{.status.availableReplicas}/{.status.updatedReplicas}')).toBe('2/2/2');
    expect((await kubectl('get', 'deployment', 'w')).split('\n')[1]).toMatch(/^w\s+2\/2\s+2\s+2\s+\d+s$/);

    expect(await kubectl('scale', 'deployment', 'w', '--replicas=3')).toBe('deployment.apps/w scaled\n');
    expect(await kubectl('rollout', 'status', 'deployment/w', '--timeout=60s')).toMatch(/successfully rolled out\n$/);
    await waitFor(async () => (await podImages()).length === 3, 'three pods', 30000);

    const rs = (await kubectl('get', 'rs', '-l', 'app=w', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    expect(rs).toMatch(/^w-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const described = await kubectl('describe', 'deployment', 'w');
    expect(described).toMatch(/NewReplicaSet:\s+w-\S+ \(3\/3 replicas created\)/);
    expect(described).toMatch(new RegExp(`Normal\\s+ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled up replica set ${rs} from 0 to 2`));
    expect(described).toMatch(new RegExp(`Normal\\s+ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled up replica set ${rs} from 2 to 3`));
    expect(described).toMatch(/Available\s+True\s+MinimumReplicasAvailable/);
    expect(described).toMatch(/Progressing\s+True\s+NewReplicaSetAvailable/);
  }, 180000);

  it('sets an image, lists the history, and undoes to the previous and to a given revision', async () => {
    expect(await kubectl('set', 'image', 'deployment/w', 'nginx=nginx:1.27')).toBe('deployment.apps/w image updated\n');
    expect(await kubectl('rollout', 'status', 'deployment/w', '--timeout=60s')).toMatch(/deployment "w" successfully rolled out\n$/);
    await waitFor(async () => (await podImages()).join() === 'nginx:1.27,nginx:1.27,nginx:1.27', 'the new pods', 30000);
    expect(await revision()).toBe('2');
    expect(await kubectl('rollout', 'history', 'deployment/w')).toBe('deployment.apps/w \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n');
    const two = await kubectl('rollout', 'history', 'deployment/w', '--revision=2');
    expect(two).toMatch(/^deployment\.apps\/w with revision #2\nPod Template:\n {2}Labels:\tapp=w\n\tpod-template-hash=\S+\n {2}Containers:\n {3}nginx:\n {4}Image:\tnginx:1.27\n/);

    expect(await kubectl('rollout', 'undo', 'deployment/w', '--to-revision=1')).toBe('deployment.apps/w rolled back\n');
    expect(await kubectl('rollout', 'status', 'deployment/w', '--timeout=60s')).toMatch(/successfully rolled out\n$/);
    expect(await image()).toBe('nginx');
    await waitFor(async () => (await revision()) === '3', 'revision 3');
    await waitFor(async () => (await podImages()).join() === 'nginx,nginx,nginx', 'the revision 1 pods', 30000);
    expect(await kubectl('rollout', 'history', 'deployment/w')).toBe('deployment.apps/w \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n');
    // The ReplicaSet rolled back to keeps the revision it had in revision-history.
    expect(await kubectl('get', 'rs', '-l', 'app=w', '-o', 'jsonpath={.items[?(@.spec.template.spec.containers[0].image=="nginx")].metadata.annotations.deployment\\.kubernetes\\.io/revision-history}')).toBe('1');

    expect(await kubectl('rollout', 'undo', 'deployment/w')).toBe('deployment.apps/w rolled back\n');
    expect(await kubectl('rollout', 'status', 'deployment/w', '--timeout=60s')).toMatch(/successfully rolled out\n$/);
    expect(await image()).toBe('nginx:1.27');
    await waitFor(async () => (await revision()) === '4', 'revision 4');
    expect(await kubectl('rollout', 'undo', 'deployment/w', '--to-revision=4')).toBe('deployment.apps/w skipped rollback (current template already matches revision 4)\n');
    expect(await kubectlFails('rollout', 'undo', 'deployment/w', '--to-revision=1')).toBe('error: unable to find specified revision 1 in history\n');
  }, 240000);

  it('pauses, resumes and restarts a rollout', async () => {
    expect(await kubectl('rollout', 'pause', 'deployment/w')).toBe('deployment.apps/w paused\n');
    await waitFor(async () => (await kubectl('get', 'deployment', 'w', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}')) === 'DeploymentPaused', 'the paused condition', 30000);
    await kubectl('set', 'image', 'deployment/w', 'nginx=nginx:1.28');
    expect(await kubectlFails('rollout', 'undo', 'deployment/w')).toMatch(/you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again/);
    // Paused: the template changed but no ReplicaSet was made for it.
    await waitFor(async () => (await kubectl('get', 'deployment', 'w', '-o', 'jsonpath={.status.observedGeneration}/{.metadata.generation}')).split('/').every((v, _i, a) => v === a[0]), 'the paused change to be observed', 30000);
    expect((await kubectl('get', 'rs', '-l', 'app=w', '-o', 'name')).trim().split('\n')).toHaveLength(2);
    expect(await podImages()).toEqual(['nginx:1.27', 'nginx:1.27', 'nginx:1.27']);

    expect(await kubectl('rollout', 'resume', 'deployment/w')).toBe('deployment.apps/w resumed\n');
    expect(await kubectl('rollout', 'status', 'deployment/w', '--timeout=60s')).toMatch(/deployment "w" successfully rolled out\n$/);
    await waitFor(async () => (await podImages()).join() === 'nginx:1.28,nginx:1.28,nginx:1.28', 'the resumed rollout', 30000);

    const before = await revision();
    expect(await kubectl('rollout', 'restart', 'deployment/w')).toBe('deployment.apps/w restarted\n');
    expect(await kubectl('rollout', 'status', 'deployment/w', '--timeout=60s')).toMatch(/successfully rolled out\n$/);
    await waitFor(async () => Number(await revision()) === Number(before) + 1, 'a new revision for the restart', 30000);
    const restartedAt = await kubectl('get', 'rs', '-l', 'app=w', '-o', 'jsonpath={.items[*].spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}');
    expect(restartedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  }, 240000);

  it('fails kubectl rollout status once the progress deadline passes', async () => {
    await kubectl('create', 'deployment', 'stuck', '--image=nginx:broken');
    expect(await kubectl('patch', 'deployment', 'stuck', '-p', '{"spec":{"progressDeadlineSeconds":1}}')).toBe('deployment.apps/stuck patched\n');
    const err = await kubectlFails('rollout', 'status', 'deployment/stuck', '--timeout=60s');
    expect(err).toBe('error: deployment "stuck" exceeded its progress deadline\n');
    expect(await kubectl('get', 'deployment', 'stuck', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}')).toBe('ProgressDeadlineExceeded');
  }, 120000);
});
