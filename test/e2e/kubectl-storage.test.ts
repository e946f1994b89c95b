/**
 * End-to-end: the real kubectl on storage. The built-in `standard` class is the default; a
 * claim becomes Bound with a PersistentVolume made for it under the data directory; the volume
 * goes with the claim under reclaimPolicy Delete and stays Released under Retain; a StatefulSet's
 * volumeClaimTemplates get Bound claims; a claim in use by a pod is Terminating until the pod goes.
 * The instance scheduler runs (simulated provider), so pods run and terminate as on a cluster.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
let server: CliServer;
const LONG = 60_000;

async function kubectl(...args: string[]): Promise<string> {
  return (await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 })).stdout;
}

async function apply(name: string, manifest: string): Promise<string> {
  const file = path.join(server.dataDir, name);
  fs.writeFileSync(file, manifest);
  return kubectl('apply', '-f', file);
}

const claimYAML = (name: string, storageClass?: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
${storageClass ? `  storageClassName: ${storageClass}\n` : ''}`;

async function jsonpath(args: string[], expr: string): Promise<string> {
  return kubectl(...args, '-o', `jsonpath=${expr}`);
}

async function waitForPhase(claim: string, phase: string): Promise<void> {
  await waitFor(async () => (await jsonpath(['get', 'pvc', claim], '{.status.phase}')) === phase, `claim ${claim} to be ${phase}`, LONG);
}

async function absent(...args: string[]): Promise<void> {
  await waitFor(async () => (await kubectl('get', ...args, '--ignore-not-found')).trim() === '', `${args.join(' ')} to be gone`, LONG);
}

beforeAll(async () => {
  server = await startCliServer();
});

afterAll(async () => {
  await server?.stop();
});

describe('kubectl on storage', () => {
  it('kubectl get sc shows standard as the default class', async () => {
    const out = await kubectl('get', 'sc');
    expect(out.split('\n')[0]).toMatch(/^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$/);
    expect(out).toMatch(/^standard \(default\)\s+nodeless\.dev\/local\s+Delete\s+Immediate\s+true\s+\S+$/m);
  });

  it('binds a claim to a volume made for it, and deletes the volume with the claim under reclaimPolicy Delete', async () => {
    expect(await apply('data.yaml', claimYAML('data'))).toBe('persistentvolumeclaim/data created\n');
    await waitForPhase('data', 'Bound');
    const uid = await jsonpath(['get', 'pvc', 'data'], '{.metadata.uid}');
    const pv = `pvc-${uid}`;
    const out = await kubectl('get', 'pvc,pv');
    expect(out).toMatch(new RegExp(`^persistentvolumeclaim/data\\s+Bound\\s+${pv}\\s+1Gi\\s+RWO\\s+standard\\s+<unset>\\s+\\S+$`, 'm'));
    expect(out).toMatch(new RegExp(`^persistentvolume/${pv}\\s+1Gi\\s+RWO\\s+Delete\\s+Bound\\s+default/data\\s+standard\\s+<unset>\\s+.*$`, 'm'));
    const dir = await jsonpath(['get', 'pv', pv], '{.spec.hostPath.path}');
    expect(dir).toBe(path.join(fs.realpathSync(server.dataDir), 'volumes', pv));
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    const described = await kubectl('describe', 'pvc', 'data');
    expect(described).toMatch(/ProvisioningSucceeded\s+\S+\s+local-volume-provisioner\s+Successfully provisioned volume pvc-/);

    expect(await kubectl('delete', 'pvc', 'data')).toBe('persistentvolumeclaim "data" deleted\n');
    await absent('pv', pv);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('keeps the volume Released under reclaimPolicy Retain', async () => {
    await apply(
      'retain.yaml',
      `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: retained
provisioner: nodeless.dev/local
reclaimPolicy: Retain
---
${claimYAML('kept', 'retained')}`,
    );
    await waitForPhase('kept', 'Bound');
    const pv = await jsonpath(['get', 'pvc', 'kept'], '{.spec.volumeName}');
    await kubectl('delete', 'pvc', 'kept');
    await waitFor(async () => (await jsonpath(['get', 'pv', pv], '{.status.phase}')) === 'Released', 'the volume to be Released', LONG);
    expect(await kubectl('get', 'pv', pv)).toMatch(new RegExp(`^${pv}\\s+1Gi\\s+RWO\\s+Retain\\s+Released\\s+default/kept\\s+retained\\s`, 'm'));
    expect(fs.existsSync(await jsonpath(['get', 'pv', pv], '{.spec.hostPath.path}'))).toBe(true);
  });

  it('gives a StatefulSet Bound claims from its volumeClaimTemplates', async () => {
    await apply(
      'sts.yaml',
      `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 2
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: postgres:16
        volumeMounts:
        - {name: data, mountPath: /var/lib/postgresql/data}
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 2Gi
`,
    );
    await waitFor(async () => (await jsonpath(['get', 'pvc', 'data-db-0', 'data-db-1', '--ignore-not-found'], '{.items[*].status.phase}')) === 'Bound Bound', 'both claims to be Bound', LONG);
    const out = await kubectl('get', 'pvc', '-l', 'app=db');
    expect(out).toMatch(/^data-db-0\s+Bound\s+pvc-\S+\s+2Gi\s+RWO\s+standard\s/m);
    expect(out).toMatch(/^data-db-1\s+Bound\s+pvc-\S+\s+2Gi\s+RWO\s+standard\s/m);
  });

  it('keeps a claim a pod uses Terminating until the pod goes', async () => {
    await apply(
      'used.yaml',
      `${claimYAML('used')}---
apiVersion: v1
kind: Pod
metadata:
  name: user
spec:
  containers:
  - name: c
    image: busybox:1.36
    volumeMounts:
    - {name: data, mountPath: /data}
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: used
`,
    );
    await waitForPhase('used', 'Bound');
    const pv = await jsonpath(['get', 'pvc', 'used'], '{.spec.volumeName}');
    expect(await kubectl('delete', 'pvc', 'used', '--wait=false')).toBe('persistentvolumeclaim "used" deleted\n');
    expect(await kubectl('get', 'pvc', 'used')).toMatch(/^used\s+Terminating\s+pvc-/m);
    expect(await jsonpath(['get', 'pvc', 'used'], '{.metadata.finalizers}')).toBe('["kubernetes.io/pvc-protection"]');
    await kubectl('delete', 'pod', 'user', '--wait=false');
    await absent('pvc', 'used');
    await absent('pv', pv);
  });
});
