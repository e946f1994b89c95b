/**
 * The per-pod environment of the process provider: env as a kubelet builds it, service variables,
 * argv expansion, kube's error reasons and messages, volumes in the atomic-writer layout, and real
 * processes reading their volumes at mountPath inside a mount namespace (and through the fallback).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubeObject } from '../../schemas/types';
import type { Container, Pod } from '../../controllers/instances/pod';
import {
  clientEnvironmentSource,
  execArgv,
  isContainerConfigError,
  prepareHook,
  preparePod,
  type ContainerConfigError,
  type EnvironmentSource,
  type PreparedContainer,
  type PreparedPod,
} from '../../controllers/instances/providers/pod-environment';
import { expand } from '../../controllers/instances/providers/pod-env';
import { namespacesAvailable } from '../../controllers/instances/providers/pod-mounts';
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

// FakeSource holds objects by kind and namespace/name, as a cluster would answer them.
class FakeSource implements EnvironmentSource {
  objects = new Map<string, KubeObject>();
  services_: KubeObject[] = [];
  add(kind: string, obj: KubeObject): this {
    const ns = obj.metadata?.namespace ?? '';
    if (kind === 'Service') this.services_.push(obj);
    else this.objects.set(`${kind}/${ns}/${obj.metadata?.name}`, obj);
    return this;
  }
  configMap = async (ns: string, name: string) => this.objects.get(`ConfigMap/${ns}/${name}`);
  secret = async (ns: string, name: string) => this.objects.get(`Secret/${ns}/${name}`);
  services = async (ns: string) => this.services_.filter((s) => s.metadata?.namespace === ns);
  persistentVolumeClaim = async (ns: string, name: string) => this.objects.get(`PersistentVolumeClaim/${ns}/${name}`);
  persistentVolume = async (name: string) => this.objects.get(`PersistentVolume//${name}`);
}

function kubernetesService(): KubeObject {
  return { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } };
}

function source(): FakeSource {
  return new FakeSource()
    .add('Service', kubernetesService())
    .add('ConfigMap', { metadata: { name: 'cfg', namespace: 'ns1' }, data: { key: 'hello from a configmap', FOO: 'from-cfg', COLOR: 'blue' } })
    .add('Secret', { metadata: { name: 'creds', namespace: 'ns1' }, data: { password: b64('s3cret'), user: b64('admin') } });
}

function pod(containers: Container[], spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Pod {
  return {
    metadata: { name: 'web-0', namespace: 'ns1', uid: 'uid-123', labels: { app: 'web', tier: 'front' }, annotations: { note: 'hi' }, ...meta },
    spec: { serviceAccountName: 'default', containers, ...spec },
  };
}

const sh = (script: string, extra: Partial<Container> = {}): Container => ({ name: 'app', command: ['sh', '-c', script], ...extra });

let scratchRoot: string;
beforeAll(() => {
  scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-env-'));
});
afterAll(() => fs.rmSync(scratchRoot, { recursive: true, force: true }));
let dirCount = 0;
const scratch = () => path.join(scratchRoot, `pod-${++dirCount}`);

function ok(p: PreparedPod, name = 'app'): PreparedContainer {
  const c = p.containers.get(name);
  if (!c || isContainerConfigError(c)) throw new Error(`container ${name} not prepared: ${JSON.stringify(c)}`);
  return c;
}
function failed(p: PreparedPod, name = 'app'): ContainerConfigError['error'] {
  const c = p.containers.get(name);
  if (!c || !isContainerConfigError(c)) throw new Error(`container ${name} prepared, expected an error`);
  return c.error;
}
function splitArgv(argv: string[]): [string, string[]] {
  return [argv[0], argv.slice(1)];
}
function run(c: PreparedContainer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(c.argv[0], c.argv.slice(1), { cwd: c.cwd, env: c.env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('$(VAR) expansion', () => {
  const vars: Record<string, string> = { A: 'a', B: 'b' };
  const lookup = (n: string) => vars[n];
  it.each([
    ['$(A)-$(B)', 'a-b'],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$a'],
    ['$(A', '$(A'],
    ['$A', '$A'],
    ['cost $', 'cost $'],
    ['$()', '$()'],
  ])('%s -> %s', (input, want) => expect(expand(input, lookup)).toBe(want));
});

describe('environment variables', () => {
  it('builds env in order with expansion of earlier variables, envFrom underneath with a prefix', async () => {
    const c: Container = sh('true', {
      envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
      env: [
        { name: 'FIRST', value: 'one' },
        { name: 'SECOND', value: '$(FIRST)-two $(LATER) $$(FIRST) $(CFG_COLOR)' },
        { name: 'LATER', value: 'late' },
        { name: 'user', value: 'overridden' },
        { name: 'EMPTY', value: '' },
        { name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' },
      ],
    });
    const env = ok(await preparePod(pod([c]), scratch(), source(), { podIP: '10.1.0.5', isolation: 'fallback' })).env;
    expect(env.SECOND).toBe('one-two $(LATER) $(FIRST) blue');
    expect(env.CFG_FOO).toBe('from-cfg');
    expect(env.FOO).toBeUndefined();
    expect(env.password).toBe('s3cret');
    expect(env.user).toBe('overridden');
    expect(env.EMPTY).toBe('');
    expect(env.API).toBe('https://10.96.0.1:443');
  });

  it('resolves configMapKeyRef and secretKeyRef, skipping optional ones that are missing', async () => {
    const c = sh('true', {
      env: [
        { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'key' } } },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'NOKEY', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'absent', optional: true } } },
        { name: 'NOCM', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
        { name: 'NOSECRET', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
      ],
      envFrom: [{ configMapRef: { name: 'missing', optional: true } }],
    });
    const env = ok(await preparePod(pod([c]), scratch(), source(), { isolation: 'fallback' })).env;
    expect(env.GREETING).toBe('hello from a configmap');
    expect(env.PASS).toBe('s3cret');
    expect(Object.keys(env)).not.toEqual(expect.arrayContaining(['NOKEY']));
    expect(env.NOCM).toBeUndefined();
    expect(env.NOSECRET).toBeUndefined();
  });

  it.each([
    [{ envFrom: [{ configMapRef: { name: 'x' } }] }, 'configmap "x" not found'],
    [{ envFrom: [{ secretRef: { name: 's' } }] }, 'secret "s" not found'],
    [{ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'x', key: 'k' } } }] }, 'configmap "x" not found'],
    [{ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }, "couldn't find key k in ConfigMap ns1/cfg"],
    [{ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }, "couldn't find key k in Secret ns1/creds"],
    [{ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, 'secret "s" not found'],
  ])('a missing object or key is CreateContainerConfigError: %j', async (extra, message) => {
    const p = await preparePod(pod([sh('true', extra), { name: 'fine', command: ['true'] }]), scratch(), source(), { isolation: 'fallback' });
    expect(failed(p)).toEqual({ reason: 'CreateContainerConfigError', message });
    expect(ok(p, 'fine').argv).toEqual(['true']);
  });

  it('answers the downward API fieldRefs', async () => {
    const paths = [
      'metadata.name',
      'metadata.namespace',
      'metadata.uid',
      "metadata.labels['app']",
      "metadata.annotations['note']",
      "metadata.labels['absent']",
      'spec.nodeName',
      'spec.serviceAccountName',
      'status.hostIP',
      'status.podIP',
      'status.podIPs',
    ];
    const c = sh('true', { env: paths.map((fieldPath, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath } } })) });
    const env = ok(await preparePod(pod([c]), scratch(), source(), { podIP: '10.1.0.5', podIPs: ['10.1.0.5', 'fd00::5'], hostIP: '192.168.1.9', nodeName: 'inst-abc', isolation: 'fallback' })).env;
    expect(paths.map((_, i) => env[`F${i}`])).toEqual(['web-0', 'ns1', 'uid-123', 'web', 'hi', '', 'inst-abc', 'default', '192.168.1.9', '10.1.0.5', '10.1.0.5,fd00::5']);
  });

  it('answers resourceFieldRefs with divisors, unset limits reading as the allocatable', async () => {
    const c = sh('true', {
      resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '1Gi' } },
      env: [
        { name: 'LIM_CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'LIM_CPU_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
        { name: 'REQ_CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'REQ_CPU_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'LIM_MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'REQ_MEM', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
        { name: 'REQ_EPH', valueFrom: { resourceFieldRef: { resource: 'requests.ephemeral-storage' } } },
        { name: 'LIM_EPH', valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1Gi' } } },
      ],
    });
    const env = ok(await preparePod(pod([c]), scratch(), source(), { allocatable: { milliCPU: 2000, memoryBytes: 4 * 2 ** 30, ephemeralStorageBytes: 20 * 2 ** 30 }, isolation: 'fallback' })).env;
    expect(env).toMatchObject({ LIM_CPU: '2', LIM_CPU_M: '2000', REQ_CPU: '1', REQ_CPU_M: '250', LIM_MEM_MI: '1024', REQ_MEM: String(64 * 2 ** 20), REQ_EPH: '0', LIM_EPH: '20' });
  });

  it('reports an unsupported resource as kube does', async () => {
    const c = sh('true', { env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] });
    expect(failed(await preparePod(pod([c]), scratch(), source(), { isolation: 'fallback' }))).toEqual({ reason: 'CreateContainerConfigError', message: 'unsupported container resource : limits.gpu' });
  });
});

describe('service environment variables and HOSTNAME', () => {
  const withServices = () =>
    source()
      .add('Service', { metadata: { name: 'redis-primary', namespace: 'ns1' }, spec: { clusterIP: '10.96.3.4', ports: [{ port: 6379 }, { name: 'metrics', port: 9121, protocol: 'TCP' }, { name: 'dns-udp', port: 53, protocol: 'UDP' }] } })
      .add('Service', { metadata: { name: 'headless', namespace: 'ns1' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } })
      .add('Service', { metadata: { name: 'elsewhere', namespace: 'other' }, spec: { clusterIP: '10.96.9.9', ports: [{ port: 80 }] } });

  it('writes the kubernetes family and one set per Service of the namespace with a cluster IP', async () => {
    const env = ok(await preparePod(pod([sh('true', { env: [{ name: 'REDIS_PRIMARY_SERVICE_PORT', value: 'mine' }] })]), scratch(), withServices(), { isolation: 'fallback' })).env;
    expect(env).toMatchObject({
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
      REDIS_PRIMARY_SERVICE_HOST: '10.96.3.4',
      REDIS_PRIMARY_SERVICE_PORT: 'mine',
      REDIS_PRIMARY_SERVICE_PORT_METRICS: '9121',
      REDIS_PRIMARY_SERVICE_PORT_DNS_UDP: '53',
      REDIS_PRIMARY_PORT: 'tcp://10.96.3.4:6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '10.96.3.4',
      REDIS_PRIMARY_PORT_53_UDP: 'udp://10.96.3.4:53',
      REDIS_PRIMARY_PORT_53_UDP_PROTO: 'udp',
    });
    expect(Object.keys(env).filter((k) => k.startsWith('HEADLESS') || k.startsWith('ELSEWHERE'))).toEqual([]);
  });

  it('with enableServiceLinks false keeps only the kubernetes service', async () => {
    const env = ok(await preparePod(pod([sh('true')], { enableServiceLinks: false }), scratch(), withServices(), { isolation: 'fallback' })).env;
    expect(env.KUBERNETES_SERVICE_HOST).toBe('10.96.0.1');
    expect(env.REDIS_PRIMARY_SERVICE_HOST).toBeUndefined();
  });

  it('sets HOSTNAME to the pod name or spec.hostname, and the container env wins', async () => {
    expect(ok(await preparePod(pod([sh('true')]), scratch(), source(), { isolation: 'fallback' })).env.HOSTNAME).toBe('web-0');
    expect(ok(await preparePod(pod([sh('true')], { hostname: 'db' }), scratch(), source(), { isolation: 'fallback' })).env.HOSTNAME).toBe('db');
    expect(ok(await preparePod(pod([sh('true', { env: [{ name: 'HOSTNAME', value: 'mine' }] })]), scratch(), source(), { isolation: 'fallback' })).env.HOSTNAME).toBe('mine');
  });
});

describe('command, args and working directory', () => {
  it('expands $(VAR) in command and args against the final env', async () => {
    const c: Container = { name: 'app', command: ['echo', '$(GREETING)'], args: ['$(MISSING)', '$$(GREETING)', 'x$(KUBERNETES_SERVICE_PORT)'], env: [{ name: 'GREETING', value: 'hi' }] };
    const prepared = ok(await preparePod(pod([c]), scratch(), source(), { isolation: 'fallback' }));
    expect(prepared.argv).toEqual(['echo', 'hi', '$(MISSING)', '$(GREETING)', 'x443']);
  });

  it('reports a container without a command as CreateContainerError naming spec.containers[].command', async () => {
    const p = await preparePod(pod([{ name: 'app', image: 'nginx', args: ['-g', 'daemon off;'] }]), scratch(), source(), { isolation: 'fallback' });
    const e = failed(p);
    expect(e.reason).toBe('CreateContainerError');
    expect(e.message).toContain('no command specified');
    expect(e.message).toContain('spec.containers[].command');
  });

  it('reports a command that is not on PATH as RunContainerError with containerd\'s message', async () => {
    const p = await preparePod(pod([{ name: 'app', command: ['no-such-binary-xyz'] }, { name: 'abs', command: ['/no/such/bin'] }]), scratch(), source(), { isolation: 'fallback' });
    expect(failed(p)).toEqual({ reason: 'RunContainerError', message: expect.stringContaining('exec: "no-such-binary-xyz": executable file not found in $PATH') });
    expect(failed(p, 'abs')).toEqual({ reason: 'RunContainerError', message: expect.stringContaining('exec: "/no/such/bin": stat /no/such/bin: no such file or directory') });
  });

  it('uses workingDir, defaults to the scratch dir, and refuses a missing workingDir in the fallback', async () => {
    const dir = scratch();
    const p = await preparePod(pod([sh('pwd', { workingDir: '/tmp' }), { ...sh('pwd'), name: 'plain' }, { ...sh('pwd', { workingDir: '/no/such/dir' }), name: 'missing' }]), dir, source(), { isolation: 'fallback' });
    expect(ok(p).cwd).toBe('/tmp');
    expect(ok(p, 'plain').cwd).toBe(path.join(dir, 'rootfs'));
    expect(failed(p, 'missing')).toEqual({ reason: 'RunContainerError', message: expect.stringContaining('chdir to cwd ("/no/such/dir") set in config.json failed: no such file or directory') });
  });

  it('prepares init containers too, by name', async () => {
    const p = await preparePod(pod([sh('true')], { initContainers: [{ name: 'init', command: ['sh', '-c', 'echo init'] }] }), scratch(), source(), { isolation: 'fallback' });
    expect([...p.containers.keys()]).toEqual(['init', 'app']);
    expect(ok(p, 'init').argv).toEqual(['sh', '-c', 'echo init']);
  });
});

describe('volumes', () => {
  const read = (dir: string, rel: string) => fs.readFileSync(path.join(dir, rel), 'utf8');
  const mode = (dir: string, rel: string) => fs.statSync(path.join(dir, rel)).mode & 0o777;

  it('writes a configMap volume in the atomic-writer layout with items, modes and updates', async () => {
    const dir = scratch();
    const src = source();
    const spec = {
      volumes: [
        { name: 'all', configMap: { name: 'cfg' } },
        { name: 'some', configMap: { name: 'cfg', items: [{ key: 'key', path: 'nested/greeting.txt', mode: 0o600 }], defaultMode: 0o440 } },
      ],
    };
    ok(await preparePod(pod([sh('true')], spec), dir, src, { isolation: 'fallback' }));
    const all = path.join(dir, 'volumes', 'all');
    expect(fs.readlinkSync(path.join(all, '..data'))).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/);
    expect(fs.readlinkSync(path.join(all, 'key'))).toBe('..data/key');
    expect(read(all, 'key')).toBe('hello from a configmap');
    expect(mode(all, 'key')).toBe(0o644);
    const some = path.join(dir, 'volumes', 'some');
    expect(fs.readdirSync(some).filter((e) => !e.startsWith('..'))).toEqual(['nested']);
    expect(read(some, 'nested/greeting.txt')).toBe('hello from a configmap');
    expect(mode(some, 'nested/greeting.txt')).toBe(0o600);

    const first = fs.readlinkSync(path.join(all, '..data'));
    src.add('ConfigMap', { metadata: { name: 'cfg', namespace: 'ns1' }, data: { key: 'updated', other: 'new' } });
    ok(await preparePod(pod([sh('true')], spec), dir, src, { isolation: 'fallback' }));
    expect(read(all, 'key')).toBe('updated');
    expect(read(all, 'other')).toBe('new');
    expect(fs.existsSync(path.join(all, 'FOO'))).toBe(false);
    expect(fs.existsSync(path.join(all, first))).toBe(false);
  });

  it('decodes secret volumes, honours optional, and fails a missing one as FailedMount', async () => {
    const dir = scratch();
    const spec = { volumes: [{ name: 's', secret: { secretName: 'creds', defaultMode: 0o400 } }, { name: 'opt', secret: { secretName: 'absent', optional: true } }] };
    ok(await preparePod(pod([sh('true')], spec), dir, source(), { isolation: 'fallback' }));
    expect(read(path.join(dir, 'volumes', 's'), 'password')).toBe('s3cret');
    expect(mode(path.join(dir, 'volumes', 's'), 'password')).toBe(0o400);
    expect(fs.readdirSync(path.join(dir, 'volumes', 'opt')).filter((e) => !e.startsWith('..'))).toEqual([]);

    const missing = await preparePod(pod([sh('true')], { volumes: [{ name: 'cfgvol', configMap: { name: 'nope' } }] }), scratch(), source(), { isolation: 'fallback' });
    expect(missing.mountError).toEqual({ reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "cfgvol" : configmap "nope" not found' });
    expect(failed(missing).reason).toBe('ContainerCreating');
    const badKey = await preparePod(pod([sh('true')], { volumes: [{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'absent', path: 'a' }] } }] }), scratch(), source(), { isolation: 'fallback' });
    expect(badKey.mountError?.message).toBe('MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: absent');
  });

  it('writes downwardAPI and projected volumes', async () => {
    const dir = scratch();
    const spec = {
      volumes: [
        {
          name: 'info',
          downwardAPI: {
            items: [
              { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
              { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
            ],
          },
        },
        {
          name: 'all-in-one',
          projected: {
            sources: [
              { configMap: { name: 'cfg', items: [{ key: 'COLOR', path: 'color' }] } },
              { secret: { name: 'creds', items: [{ key: 'user', path: 'user' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
              { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
            ],
          },
        },
      ],
    };
    ok(await preparePod(pod([sh('true', { resources: { limits: { memory: '256Mi' } } })], spec), dir, source(), { isolation: 'fallback', serviceAccountToken: async () => 'tok-123' }));
    const info = path.join(dir, 'volumes', 'info');
    expect(read(info, 'labels')).toBe('app="web"\ntier="front"');
    expect(read(info, 'name')).toBe('web-0');
    expect(read(info, 'mem')).toBe('256');
    const proj = path.join(dir, 'volumes', 'all-in-one');
    expect([read(proj, 'color'), read(proj, 'user'), read(proj, 'namespace'), read(proj, 'token')]).toEqual(['blue', 'admin', 'ns1', 'tok-123']);
  });

  it('keeps emptyDir contents across a second prepare (a container restart)', async () => {
    const dir = scratch();
    const spec = { volumes: [{ name: 'cache', emptyDir: {} }, { name: 'mem', emptyDir: { medium: 'Memory' } }] };
    ok(await preparePod(pod([sh('true')], spec), dir, source(), { isolation: 'fallback' }));
    fs.writeFileSync(path.join(dir, 'volumes', 'cache', 'kept'), 'x');
    ok(await preparePod(pod([sh('true')], spec), dir, source(), { isolation: 'fallback' }));
    expect(read(path.join(dir, 'volumes', 'cache'), 'kept')).toBe('x');
    expect(fs.statSync(path.join(dir, 'volumes', 'mem')).isDirectory()).toBe(true);
  });

  it('mounts a bound claim at its PersistentVolume hostPath (created) and refuses an unbound one', async () => {
    const pvDir = path.join(scratchRoot, 'pv-data', 'pv-1');
    const src = source()
      .add('PersistentVolumeClaim', { metadata: { name: 'data', namespace: 'ns1' }, spec: { volumeName: 'pv-1' }, status: { phase: 'Bound' } })
      .add('PersistentVolumeClaim', { metadata: { name: 'waiting', namespace: 'ns1' }, spec: {}, status: { phase: 'Pending' } })
      .add('PersistentVolume', { metadata: { name: 'pv-1' }, spec: { hostPath: { path: pvDir } } });
    const dir = scratch();
    const c = sh('true', { volumeMounts: [{ name: 'd', mountPath: '/var/lib/data' }] });
    ok(await preparePod(pod([c], { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] }), dir, src, { isolation: 'fallback' }));
    expect(fs.statSync(pvDir).isDirectory()).toBe(true);
    expect(fs.readlinkSync(path.join(dir, 'rootfs', 'var/lib/data'))).toBe(pvDir);

    const unbound = await preparePod(pod([c], { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'waiting' } }] }), scratch(), src, { isolation: 'fallback' });
    expect(unbound.mountError?.message).toBe('MountVolume.SetUp failed for volume "d" : PVC ns1/waiting has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")');
    const absent = await preparePod(pod([c], { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'ghost' } }] }), scratch(), src, { isolation: 'fallback' });
    expect(absent.mountError?.message).toContain('persistentvolumeclaims "ghost" not found');
  });

  it('reports a volumeMount naming no volume, and a bad subPath', async () => {
    const p = await preparePod(
      pod([sh('true', { volumeMounts: [{ name: 'ghost', mountPath: '/x' }] }), { ...sh('true', { volumeMounts: [{ name: 'v', mountPath: '/x', subPath: '../up' }] }), name: 'sub' }], { volumes: [{ name: 'v', emptyDir: {} }] }),
      scratch(),
      source(),
      { isolation: 'fallback' },
    );
    expect(failed(p)).toEqual({ reason: 'CreateContainerConfigError', message: 'cannot find volume "ghost" to mount into container "app"' });
    expect(failed(p, 'sub')).toEqual({ reason: 'CreateContainerConfigError', message: "unable to provision SubPath `../up`: must not contain '..'" });
  });
});

describe('running the process', () => {
  const unique = `nodeless-pe-${process.pid}-${Date.now()}`;
  // Mount points that exist nowhere on the host: one under /etc (a mimicked directory) and one
  // directly under / (a new root), plus a file subPath and a read-only volume.
  const etcMount = `/etc/${unique}`;
  const rootMount = `/${unique}/data`;
  const volumes = [
    { name: 'config', configMap: { name: 'cfg' } },
    { name: 'scratch', emptyDir: {} },
  ];
  const mounts = [
    { name: 'config', mountPath: etcMount },
    { name: 'scratch', mountPath: rootMount },
    { name: 'config', mountPath: '/etc/config-key-file', subPath: 'key' },
  ];

  const itNs = namespacesAvailable() ? it : it.skip;

  itNs('runs in a mount namespace: volumes at mountPath, env, hostname, /etc/hosts, read-only, nothing left on the host', async () => {
    const dir = scratch();
    const script = [
      `cat ${etcMount}/key; echo`,
      'echo "FOO=$FOO"',
      'echo "host=$(hostname) $(cat /etc/hostname 2>/dev/null)"',
      'grep -c "10.1.0.5	web-0" /etc/hosts',
      `echo written > ${rootMount}/out && cat ${rootMount}/out`,
      `if (echo x > ${etcMount}/new) 2>/dev/null; then echo writable; else echo read-only; fi`,
      'cat /etc/config-key-file; echo',
      'pwd',
      // kube's expansion turns $$ into $, so the shell sees $$ here.
      'echo "pid=$$$$"',
    ].join('; ');
    const c = sh(script, { envFrom: [{ configMapRef: { name: 'cfg' } }], volumeMounts: mounts, workingDir: `/${unique}/work` });
    const prepared = ok(await preparePod(pod([c], { volumes }), dir, source(), { podIP: '10.1.0.5' }));
    expect(prepared.isolation).toBe('namespace');
    const spawned = spawnSync(prepared.argv[0], prepared.argv.slice(1), { cwd: prepared.cwd, env: prepared.env, encoding: 'utf8', timeout: 60_000 });
    expect(spawned.stderr).toBe('');
    const lines = spawned.stdout.trim().split('\n');
    expect(lines.slice(0, 8)).toEqual(['hello from a configmap', 'FOO=from-cfg', fs.existsSync('/etc/hostname') ? 'host=web-0 web-0' : 'host=web-0 ', '1', 'written', 'read-only', 'hello from a configmap', `/${unique}/work`]);
    // exec keeps the pid: the shell that printed it is the process spawnSync started.
    expect(lines[8]).toBe(`pid=${spawned.pid}`);
    expect(spawned.status).toBe(0);
    // The emptyDir write landed in the volume; no mount point was made on the host.
    expect(fs.readFileSync(path.join(dir, 'volumes', 'scratch', 'out'), 'utf8')).toBe('written\n');
    expect(fs.existsSync(etcMount)).toBe(false);
    expect(fs.existsSync(`/${unique}`)).toBe(false);
    expect(fs.existsSync('/etc/config-key-file')).toBe(false);
    expect(fs.readFileSync('/etc/hosts', 'utf8')).not.toContain('web-0');
    if (fs.existsSync('/etc/hostname')) expect(fs.readFileSync('/etc/hostname', 'utf8')).not.toContain('web-0');
  });

  itNs('mounts the service account volume through the /var/run symlink and under /etc without touching either on the host', async () => {
    const hadRunSecrets = fs.existsSync('/run/secrets');
    const saPath = '/var/run/secrets/kubernetes.io/serviceaccount';
    const spec = {
      volumes: [
        { name: 'config', configMap: { name: 'cfg' } },
        {
          name: 'kube-api-access-abcde',
          projected: {
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
    };
    const c = sh(`cat ${saPath}/namespace ${saPath}/token; echo; cat ${etcMount}/COLOR; echo; pwd; ls /etc/passwd >/dev/null && echo etc-intact`, {
      volumeMounts: [
        { name: 'kube-api-access-abcde', mountPath: saPath, readOnly: true },
        { name: 'config', mountPath: etcMount },
      ],
      workingDir: `${etcMount}-work/sub`,
    });
    const prepared = ok(await preparePod(pod([c], spec), scratch(), source(), { podIP: '10.1.0.5', serviceAccountToken: async () => 'token-xyz' }));
    const script = fs.readFileSync(prepared.argv[6], 'utf8');
    // Neither path needs a new root: /run and /etc are mimicked in place.
    expect(script).not.toContain('chroot');
    const r = run(prepared);
    expect(r).toEqual({ status: 0, stdout: `ns1token-xyz\nblue\n${etcMount}-work/sub\netc-intact\n`, stderr: '' });
    expect(fs.existsSync('/run/secrets')).toBe(hadRunSecrets);
    expect(fs.existsSync(etcMount)).toBe(false);
    expect(fs.existsSync(`${etcMount}-work`)).toBe(false);
  });

  itNs('refuses a directory volume over a file and a working directory that is a file, before starting', async () => {
    const p = await preparePod(
      pod([sh('true', { volumeMounts: [{ name: 'config', mountPath: '/etc/passwd' }] }), { ...sh('true', { workingDir: '/etc/passwd' }), name: 'wd' }], { volumes }),
      scratch(),
      source(),
      {},
    );
    expect(failed(p)).toEqual({ reason: 'RunContainerError', message: expect.stringContaining('error mounting to rootfs at "/etc/passwd": not a directory') });
    expect(failed(p, 'wd')).toEqual({ reason: 'RunContainerError', message: expect.stringContaining('chdir to cwd ("/etc/passwd") set in config.json failed: not a directory') });
  });

  itNs('mounts under the directory that holds the scratch dir itself (the overlay cannot be used there)', async () => {
    // The scratch dir lives under os.tmpdir(), so an overlay over that directory would overlap its
    // own upper directory: the tmpfs mimic takes over, and the scratch dir must stay reachable.
    const target = path.join(os.tmpdir(), `${unique}-tmp`, 'conf');
    const c = sh(`cat ${target}/key; echo; echo kept > ${target}-data/f; awk '$5 == "${os.tmpdir()}" { print $0 }' /proc/self/mountinfo | tail -1 | sed 's/.* - //' | cut -d' ' -f1`, {
      volumeMounts: [
        { name: 'config', mountPath: target },
        { name: 'scratch', mountPath: `${target}-data` },
      ],
    });
    const dir = scratch();
    const r = run(ok(await preparePod(pod([c], { volumes }), dir, source(), { podIP: '10.1.0.5' })));
    expect(r).toEqual({ status: 0, stdout: 'hello from a configmap\ntmpfs\n', stderr: '' });
    // The emptyDir write reached the real volume, not a copy.
    expect(fs.readFileSync(path.join(dir, 'volumes', 'scratch', 'f'), 'utf8')).toBe('kept\n');
    expect(fs.existsSync(path.dirname(target))).toBe(false);
  });

  itNs('runs an exec command (a probe, kubectl exec) inside the running container with execArgv', async () => {
    const c: Container = { name: 'app', command: ['sleep', '300'], volumeMounts: mounts, workingDir: `/${unique}/data` };
    const prepared = ok(await preparePod(pod([c], { volumes }), scratch(), source(), { podIP: '10.1.0.5' }));
    const child = spawn(prepared.argv[0], prepared.argv.slice(1), { cwd: prepared.cwd, env: prepared.env, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const pid = child.pid!;
      await waitFor(() => fs.readFileSync(`/proc/${pid}/comm`, 'utf8') === 'sleep\n', 'the container process to exec sleep', 30_000);
      const r = spawnSync(...splitArgv(execArgv(prepared, pid, ['sh', '-c', `cat ${etcMount}/key; echo; pwd; hostname`])), { env: prepared.env, encoding: 'utf8' });
      expect([r.status, r.stdout, r.stderr]).toEqual([0, `hello from a configmap\n/${unique}/data\nweb-0\n`, '']);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const fallback = ok(await preparePod(pod([c], { volumes }), scratch(), source(), { isolation: 'fallback' }));
    expect(execArgv(fallback, 1, ['true'])).toEqual(['true']);
  });

  itNs('runs a command found only in a volume, and a command that exits non-zero keeps its code', async () => {
    const src = source().add('ConfigMap', { metadata: { name: 'scripts', namespace: 'ns1' }, data: { 'run.sh': '#!/bin/sh\necho "ran $1"\nexit 3\n' } });
    const c: Container = { name: 'app', command: [`/${unique}/bin/run.sh`], args: ['now'], volumeMounts: [{ name: 'bin', mountPath: `/${unique}/bin` }] };
    const prepared = ok(await preparePod(pod([c], { volumes: [{ name: 'bin', configMap: { name: 'scripts', defaultMode: 0o755 } }] }), scratch(), src, {}));
    const r = run(prepared);
    expect([r.status, r.stdout]).toEqual([3, 'ran now\n']);
  });

  it('falls back to mountPaths under the scratch dir when namespaces are not used', async () => {
    const dir = scratch();
    const c = sh('cat etc/config/key; echo; echo $FOO; cat etc/config-key-file', {
      envFrom: [{ configMapRef: { name: 'cfg' } }],
      volumeMounts: [
        { name: 'config', mountPath: '/etc/config' },
        { name: 'config', mountPath: '/etc/config-key-file', subPath: 'key' },
      ],
    });
    const prepared = ok(await preparePod(pod([c], { volumes }), dir, source(), { podIP: '10.1.0.5', isolation: 'fallback' }));
    expect(prepared.argv).toEqual(c.command);
    expect(prepared.cwd).toBe(path.join(dir, 'rootfs'));
    const r = run(prepared);
    expect(r).toEqual({ status: 0, stdout: 'hello from a configmap\nfrom-cfg\nhello from a configmap', stderr: '' });

    // An absolute workingDir under a mountPath is mapped there.
    const inVolume = ok(await preparePod(pod([sh('cat key', { workingDir: '/etc/config', volumeMounts: [{ name: 'config', mountPath: '/etc/config' }] })], { volumes }), scratch(), source(), { isolation: 'fallback' }));
    expect(run(inVolume).stdout).toBe('hello from a configmap');
  });
});

describe('clientEnvironmentSource', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('reads ConfigMaps, Secrets, Services, claims and volumes through the Client, undefined when absent', async () => {
    await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'envsrc' } }).expect(201);
    await t.api.post('/api/v1/namespaces/envsrc/configmaps').send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { k: 'v' } }).expect(201);
    await t.api.post('/api/v1/namespaces/envsrc/secrets').send({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { p: 'w' } }).expect(201);
    await t.api.post('/api/v1/namespaces/envsrc/services').send({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { clusterIP: '10.96.5.5', ports: [{ port: 80 }] } }).expect(201);
    await t.api
      .post('/api/v1/persistentvolumes')
      .send({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-env' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/pv-env' } } })
      .expect(201);
    await t.api
      .post('/api/v1/namespaces/envsrc/persistentvolumeclaims')
      .send({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'claim' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } })
      .expect(201);

    const src = clientEnvironmentSource(t.nodeless.client);
    expect((await src.configMap('envsrc', 'cfg'))?.data).toEqual({ k: 'v' });
    expect(await src.configMap('envsrc', 'nope')).toBeUndefined();
    expect((await src.secret('envsrc', 's'))?.data).toEqual({ p: b64('w') });
    expect(await src.secret('envsrc', 'nope')).toBeUndefined();
    const services = await src.services('envsrc');
    expect(services.map((s) => s.metadata?.name)).toEqual(['web']);
    expect((await src.services('default')).map((s) => s.metadata?.name)).toContain('kubernetes');
    expect((await src.persistentVolumeClaim('envsrc', 'claim'))?.metadata?.name).toBe('claim');
    expect(await src.persistentVolumeClaim('envsrc', 'nope')).toBeUndefined();
    expect(((await src.persistentVolume('pv-env'))?.spec as { hostPath?: { path?: string } }).hostPath?.path).toBe('/tmp/pv-env');
    expect(await src.persistentVolume('nope')).toBeUndefined();

    // End to end through the API objects: the Service and Secret reach the env.
    const p = await preparePod(
      pod([sh('true', { env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'p' } } }] })], {}, { namespace: 'envsrc' }),
      scratch(),
      src,
      { isolation: 'fallback' },
    );
    const env = ok(p).env;
    expect(env.P).toBe('w');
    expect(env.WEB_SERVICE_HOST).toBe('10.96.5.5');
    expect(env.WEB_SERVICE_PORT).toBe('80');
    expect(env.KUBERNETES_SERVICE_HOST).toBe('10.96.0.1');

    // The provider hook shape: just the containers map.
    const map = await prepareHook(src, { isolation: 'fallback' })(pod([sh('true')], {}, { namespace: 'envsrc' }), scratch());
    expect((map.get('app') as PreparedContainer).env.WEB_SERVICE_HOST).toBe('10.96.5.5');
  });
});
