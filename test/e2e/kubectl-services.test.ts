/**
 * End-to-end with the real kubectl: Services get their cluster IP in the create response
 * (`kubectl expose`, `kubectl create service`), headless and ExternalName Services, a
 * LoadBalancer's external address, the refused NodePort and duplicate clusterIP with their
 * reasons, an Ingress's address, and a restart with 1,000 Services that keeps every cluster IP
 * and hands out none twice afterwards.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SERVICES, type Client } from '../../controllers/runtime/client';
import { HttpClient, loadKubeconfig } from '../../controllers/runtime/http-client';
import type { KubeObject } from '../../schemas/types';
import { restartCliServer, startCliServer, waitFor, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
let server: CliServer;

async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 });
}

// kubectlFails runs a command that must fail and answers what it printed.
async function kubectlFails(...args: string[]): Promise<string> {
  try {
    await kubectl(...args);
  } catch (err) {
    const e = err as { stderr: string; stdout: string };
    return e.stderr + e.stdout;
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded`);
}

// row is the line of `kubectl get` output for one object, split into its columns.
function row(out: string, name: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no row ${name} in\n${out}`);
  return line.trim().split(/\s+/);
}

beforeAll(async () => {
  server = await startCliServer(['--scheduler=false']);
});

afterAll(async () => {
  await server?.stop();
});

describe('kubectl and Services', () => {
  it('kubectl expose and kubectl create service show the cluster IP from the create response', async () => {
    await kubectl('create', 'deployment', 'web', '--image=nginx:1.27');
    const exposed = await kubectl('expose', 'deployment', 'web', '--port=80', '--target-port=8080', '-o', 'jsonpath={.spec.clusterIP}');
    expect(exposed.stdout).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    const created = await kubectl('create', 'service', 'clusterip', 'api', '--tcp=80:8080', '-o', 'jsonpath={.spec.clusterIP}');
    expect(created.stdout).toMatch(/^10\./);
    expect(created.stdout).not.toBe(exposed.stdout);
    const out = (await kubectl('get', 'svc')).stdout;
    expect(out.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    expect(row(out, 'web').slice(0, 5)).toEqual(['web', 'ClusterIP', exposed.stdout, '<none>', '80/TCP']);
    expect(row(out, 'api').slice(0, 5)).toEqual(['api', 'ClusterIP', created.stdout, '<none>', '80/TCP']);
    expect(row(out, 'kubernetes').slice(0, 5)).toEqual(['kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP']);
  });

  it('headless and ExternalName Services have no cluster IP', async () => {
    await kubectl('create', 'service', 'clusterip', 'hl', '--clusterip=None');
    await kubectl('create', 'service', 'externalname', 'ext', '--external-name=db.example.com');
    const out = (await kubectl('get', 'svc', 'hl', 'ext')).stdout;
    expect(row(out, 'hl').slice(0, 4)).toEqual(['hl', 'ClusterIP', 'None', '<none>']);
    expect(row(out, 'ext').slice(0, 4)).toEqual(['ext', 'ExternalName', '<none>', 'db.example.com']);
  });

  it('a LoadBalancer gets an EXTERNAL-IP and no node port', async () => {
    await kubectl('create', 'service', 'loadbalancer', 'lb', '--tcp=80:8080');
    const external = await waitFor(async () => {
      const cols = row((await kubectl('get', 'svc', 'lb')).stdout, 'lb');
      return cols[3] !== '<pending>' && cols;
    }, 'the LoadBalancer address', 30_000);
    expect(external[1]).toBe('LoadBalancer');
    expect(external[3]).toMatch(/^198\.(18|19)\.\d+\.\d+$/);
    expect(external[4]).toBe('80/TCP');
    expect((await kubectl('get', 'svc', 'lb', '-o', 'jsonpath={.spec.allocateLoadBalancerNodePorts}')).stdout).toBe('false');
  });

  it('a NodePort Service and a duplicate clusterIP are refused with their reasons', async () => {
    const nodePort = await kubectlFails('create', 'service', 'nodeport', 'np', '--tcp=80:8080');
    expect(nodePort).toContain('error: failed to create NodePort service: Service "np" is invalid: spec.type: Invalid value: "NodePort": nodeless has no nodes, so no node ports can be opened');
    const taken = (await kubectl('create', 'service', 'clusterip', 'first', '--tcp=80:8080', '-o', 'jsonpath={.spec.clusterIP}')).stdout;
    const duplicate = await kubectlFails('create', 'service', 'clusterip', 'dup', '--tcp=80:8080', `--clusterip=${taken}`);
    expect(duplicate).toContain(`error: failed to create ClusterIP service: Service "dup" is invalid: spec.clusterIPs: Invalid value: []string{"${taken}"}: failed to allocate IP ${taken}: provided IP is already allocated`);
  });

  it('an Ingress gets an ADDRESS from the default IngressClass', async () => {
    expect(row((await kubectl('get', 'ingressclass')).stdout, 'nodeless').slice(0, 2)).toEqual(['nodeless', 'nodeless.dev/ingress-controller']);
    await kubectl('create', 'ingress', 'site', '--rule=example.com/*=web:80');
    const cols = await waitFor(async () => {
      const c = row((await kubectl('get', 'ingress', 'site')).stdout, 'site');
      return c.length >= 5 && /^\d/.test(c[3]) && c;
    }, 'the Ingress address', 30_000);
    // The default class is named on create (kube's DefaultIngressClass admission).
    expect(cols.slice(0, 5)).toEqual(['site', 'nodeless', 'example.com', cols[3], '80']);
    expect(cols[3]).toMatch(/^198\.(18|19)\.\d+\.\d+$/);
    const lb = (await kubectl('get', 'svc', 'lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).stdout;
    expect(cols[3]).not.toBe(lb);
  });

  it('a restart with 1,000 Services keeps every cluster IP and allocates no duplicate afterwards', async () => {
    const count = 1000;
    const open = (): HttpClient => new HttpClient(loadKubeconfig(server.kubeconfig), 'e2e-services');
    let client = open();
    await createServices(client, 'bulk', count);
    const before = await clusterIPs(client);
    expect(before.size).toBeGreaterThanOrEqual(count);
    client.close();

    // Stopped, not removed: the data directory is what the restarted server reads.
    const exited = new Promise((r) => server.process.once('exit', r));
    server.process.kill('SIGTERM');
    await exited;
    server = await restartCliServer(server, ['--scheduler=false']);
    client = open();
    try {
      const after = await clusterIPs(client);
      expect(after).toEqual(before);
      await createServices(client, 'more', 100);
      const all = await clusterIPs(client);
      const ips = [...all.values()].filter((ip) => ip !== 'None' && ip !== '');
      expect(new Set(ips).size).toBe(ips.length);
      for (const [name, ip] of before) expect(all.get(name)).toBe(ip);
    } finally {
      client.close();
    }
  }, 120_000);
});

// createServices creates count ClusterIP Services named prefix-N, 50 at a time.
async function createServices(client: Client, prefix: string, count: number): Promise<void> {
  const body = (i: number): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: `${prefix}-${i}` }, spec: { ports: [{ port: 80 }], selector: { app: prefix } } });
  for (let start = 0; start < count; start += 50) {
    await Promise.all(Array.from({ length: Math.min(50, count - start) }, (_, j) => client.create(SERVICES, 'default', body(start + j))));
  }
}

// clusterIPs maps every Service (namespace/name) to its cluster IP.
async function clusterIPs(client: Client): Promise<Map<string, string>> {
  const list = await client.list(SERVICES, undefined);
  return new Map(list.items.map((s) => [`${s.metadata!.namespace}/${s.metadata!.name}`, String((s.spec as { clusterIP?: string }).clusterIP ?? '')]));
}
