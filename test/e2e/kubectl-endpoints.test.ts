/**
 * End-to-end with the real kubectl on a default `nodeless serve` (the instance scheduler runs
 * the pods, so they really become Ready): a Service for a Deployment gets Endpoints and
 * EndpointSlices that follow its pods becoming ready, being scaled and deleted; `kubectl get
 * endpointslices -l kubernetes.io/service-name=x` and `kubectl get endpoints` show them;
 * `kubectl describe service` lists them (kubectl 1.32 reads them from the EndpointSlices, as
 * its request log shows); StatefulSet pods behind a headless Service appear with hostnames.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
let server: CliServer;

async function kubectl(...args: string[]): Promise<string> {
  return (await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 90000 })).stdout;
}

async function kubectlBoth(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 90000 });
}

function apply(name: string, manifest: unknown): Promise<string> {
  const file = path.join(server.dataDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(manifest));
  return kubectl('apply', '-f', file);
}

beforeAll(async () => {
  server = await startCliServer();
});
afterAll(async () => {
  await server?.stop();
});

type Obj = Record<string, any>;

// readyPodIPs answers the IPs of the Ready pods of a selector, sorted.
async function readyPodIPs(selector: string): Promise<string[]> {
  const pods = JSON.parse(await kubectl('get', 'pods', '-l', selector, '-o', 'json')).items as Obj[];
  return pods
    .filter((p) => !p.metadata.deletionTimestamp && (p.status.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.status.podIP as string)
    .sort();
}

async function sliceReadyIPs(service: string): Promise<string[]> {
  const slices = JSON.parse(await kubectl('get', 'endpointslices', '-l', `kubernetes.io/service-name=${service}`, '-o', 'json')).items as Obj[];
  return slices.flatMap((s) => (s.endpoints ?? []).filter((e: Obj) => e.conditions.ready).flatMap((e: Obj) => e.addresses as string[])).sort();
}

async function endpointsIPs(service: string): Promise<string[]> {
  const ep = JSON.parse(await kubectl('get', 'endpoints', service, '-o', 'json'));
  return (ep.subsets ?? []).flatMap((s: Obj) => (s.addresses ?? []).map((a: Obj) => a.ip as string)).sort();
}

// followsPods waits until the Endpoints and the EndpointSlices list exactly the n Ready pods.
async function followsPods(service: string, selector: string, n: number): Promise<string[]> {
  return waitFor(async () => {
    const ips = await readyPodIPs(selector);
    if (ips.length !== n) return false;
    const [slices, eps] = [await sliceReadyIPs(service), await endpointsIPs(service)];
    return JSON.stringify(slices) === JSON.stringify(ips) && JSON.stringify(eps) === JSON.stringify(ips) && ips;
  }, `${service} to list ${n} ready pods`, 90000);
}

describe('kubectl and Service endpoints', () => {
  it('[sig-network] a Service for a Deployment follows its pods becoming ready, scaled and deleted', async () => {
    await apply('web', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        // The simulated instances take a while to turn Ready, so the not-ready state can be seen.
        template: { metadata: { labels: { app: 'web' }, annotations: { 'nodeless.dev/readiness-delay': '8s' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }] }] } },
      },
    });
    expect(await apply('web-svc', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } })).toBe(
      'service/web created\n',
    );
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=80s');
    const two = await followsPods('web', 'app=web', 2);

    const table = await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web');
    const [header, ...rows] = table.trim().split('\n');
    expect(header).toMatch(/^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(`^web-[a-z0-9]{5}\\s+IPv4\\s+8080\\s+(${two.join(',')}|${[...two].reverse().join(',')})\\s+\\S+$`));
    const epTable = await kubectl('get', 'endpoints', 'web');
    expect(epTable.split('\n')[1]).toMatch(new RegExp(`^web\\s+(${two.map((ip) => `${ip}:8080`).join(',')})\\s+\\S+$`));

    // describe shows the endpoints, read from the EndpointSlices.
    const described = await kubectlBoth('describe', 'service', 'web', '-v=8');
    expect(described.stderr).toMatch(/GET https:\/\/\S+\/apis\/discovery\.k8s\.io\/v1\/namespaces\/default\/endpointslices\?labelSelector=kubernetes\.io%2Fservice-name%3Dweb/);
    const line = described.stdout.split('\n').find((l) => l.startsWith('Endpoints:'));
    expect(line?.replace(/^Endpoints:\s+/, '').split(',').sort()).toEqual(two.map((ip) => `${ip}:8080`).sort());

    // A new pod is listed not-ready (with its IP) before it becomes Ready.
    await kubectl('scale', 'deployment/web', '--replicas=3');
    const fresh = await waitFor(async () => {
      const pods = JSON.parse(await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json')).items as Obj[];
      const p = pods.find((x) => x.status.podIP && !two.includes(x.status.podIP) && !(x.status.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True'));
      return p?.status.podIP as string | undefined;
    }, 'a running, not yet ready pod', 90000);
    await waitFor(async () => {
      const ep = JSON.parse(await kubectl('get', 'endpoints', 'web', '-o', 'json'));
      const slices = JSON.parse(await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json')).items as Obj[];
      const notReady = (ep.subsets ?? []).flatMap((x: Obj) => (x.notReadyAddresses ?? []).map((a: Obj) => a.ip));
      const sliceEp = slices.flatMap((x) => x.endpoints ?? []).find((e: Obj) => e.addresses[0] === fresh);
      return notReady.includes(fresh) && sliceEp?.conditions.ready === false && sliceEp.conditions.serving === false;
    }, 'the new pod listed not ready', 90000);
    await followsPods('web', 'app=web', 3);
    await kubectl('scale', 'deployment/web', '--replicas=1');
    await followsPods('web', 'app=web', 1);

    await kubectl('delete', 'deployment', 'web', '--wait=true', '--timeout=80s');
    await waitFor(async () => (await sliceReadyIPs('web')).length === 0 && (await endpointsIPs('web')).length === 0, 'no endpoints left', 90000);
    const empty = await kubectl('describe', 'service', 'web');
    // kubectl prints <none> only when there is no slice at all; the placeholder makes the line empty, as against kube.
    expect(empty).toMatch(/^Endpoints:\s*$/m);
    // The placeholder slice stays while the Service has no pods; deleting the Service removes it.
    expect(JSON.parse(await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json')).items).toHaveLength(1);
    await kubectl('delete', 'service', 'web');
    await waitFor(async () => JSON.parse(await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json')).items.length === 0, 'the slices collected', 90000);
    await waitFor(async () => (await kubectl('get', 'endpoints', '--ignore-not-found', 'web')) === '', 'the Endpoints deleted', 90000);
  });

  it('[sig-network] StatefulSet pods behind a headless Service appear with their hostnames', async () => {
    await apply('db-svc', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] } });
    await apply('db', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'default' },
      spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'pg', image: 'postgres:16' }] } } },
    });
    await kubectl('rollout', 'status', 'sts/db', '--timeout=80s');
    await followsPods('db', 'app=db', 2);
    const slices = JSON.parse(await kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=db', '-o', 'json')).items as Obj[];
    const endpoints = slices.flatMap((s) => s.endpoints ?? []);
    expect(endpoints.map((e: Obj) => `${e.hostname}=${e.targetRef.name}`).sort()).toEqual(['db-0=db-0', 'db-1=db-1']);
    expect(slices[0].metadata.labels['service.kubernetes.io/headless']).toBe('');
    const ep = JSON.parse(await kubectl('get', 'endpoints', 'db', '-o', 'json'));
    expect(ep.subsets[0].addresses.map((a: Obj) => a.hostname).sort()).toEqual(['db-0', 'db-1']);
    expect(ep.subsets[0].ports).toEqual([{ name: 'pg', port: 5432, protocol: 'TCP' }]);
  });
});
