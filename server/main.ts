#!/usr/bin/env node
/**
 * nodeless CLI: `nodeless serve` starts the API server on the embedded SQLite store (with the
 * built-in controllers in process, unless --controllers=false) and writes a kubeconfig;
 * `nodeless controllers --kubeconfig FILE` runs the controllers in their own process against any
 * Kubernetes API server; `nodeless kubeconfig` prints the kubeconfig. Flags have
 * environment-variable fallbacks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { builtinControllers, schedulerOptions, type BuiltinControllerOptions } from '../controllers/builtin-controllers';
import { HttpClient, loadKubeconfig } from '../controllers/runtime/http-client';
import { LeaseElector } from '../controllers/runtime/leader-election';
import { parseUsageFlags, usageReport } from '../controllers/instances/usage-command';
import { ControllerManager } from '../controllers/runtime/manager';
import { createAuthority } from './auth/tls';
import { loadOrCreateCertificates } from './auth/tls';
import { adminToken, dataDir, kubeconfigYaml, restrictDataDir, writeKubeconfig } from './kubeconfig';
import { createNodeless } from './server';
import { DEFAULT_SERVICE_CLUSTER_IP_RANGE, ServiceIPRange } from './registry/service-ip-range';
import { DEFAULT_LOAD_BALANCER_IP_POOL, LoadBalancerPool } from '../controllers/networking/load-balancer-pool';

const USAGE = `usage: nodeless <command> [flags]

commands:
  serve        start the API server (default)
  controllers  run the built-in controllers against the API server of --kubeconfig
  kubeconfig   print a kubeconfig for the server
  usage        print the bill: instance runs by namespace, workload or pod, over a time range

flags:
  --address <ip>         listen address (NODELESS_ADDRESS, default 127.0.0.1)
  --port <n>             listen port, 0 for any free port (NODELESS_PORT, default 6443)
  --data-dir <path>      database, token and kubeconfig (NODELESS_DATA_DIR, default ./.nodeless)
  --volumes-dir <path>   where the nodeless.dev/local provisioner keeps each PersistentVolume's
                         directory, on the machine the controllers run on
                         (NODELESS_VOLUMES_DIR, default <data-dir>/volumes)
  --controllers <bool>   serve: run the controllers in process (NODELESS_CONTROLLERS, default true)
  --scheduler <bool>     run the instance scheduler with the controllers, so pods run
                         (NODELESS_SCHEDULER, default true)
  --provider <name>      the instance provider pods run on (NODELESS_PROVIDER): simulated (the default)
                         or process (each container's command runs as a local process; its logs
                         and scratch files live under <data-dir>/pods)
  --pod-cidr <cidr>      where pod IPs come from (NODELESS_POD_CIDR, default 10.64.0.0/10, or the
                         loopback range 127.244.0.0/16 under --provider=process)
  --service-cluster-ip-range <cidr>
                         serve: where Services' cluster IPs come from, IPv4 only
                         (NODELESS_SERVICE_CLUSTER_IP_RANGE, default 10.96.0.0/12)
  --load-balancer-ip-pool <cidr>
                         where LoadBalancer Services and Ingresses get their external address
                         (NODELESS_LOAD_BALANCER_IP_POOL, default 198.18.0.0/15)
  --kubeconfig <file>    controllers: the API server to control (KUBECONFIG)
  --context <name>       controllers: the kubeconfig context (default its current-context)
  --root-ca-file <file>  controllers: the CA published in kube-root-ca.crt (default the kubeconfig's CA)
  --leader-elect <bool>  controllers: run only while holding the Lease kube-system/nodeless-controllers,
                         so several processes can stand by for one another (default true)
  --by <group>           usage: namespace (default), workload or pod
  -n, --namespace <ns>   usage: one namespace only
  --since <t>, --until <t>
                         usage: the range, an RFC 3339 time or a duration back from now (24h, 7d)
  -o, --output <fmt>     usage: table (default), csv or json
  --feature-gates <k=v,...>
                         kube-apiserver's feature gates (NODELESS_FEATURE_GATES); known:
                         MutatingAdmissionPolicy (alpha, default false)
  --terminated-pod-gc-threshold <n>
                         terminated pods kept before the oldest are deleted, 0 keeps them all
                         (NODELESS_TERMINATED_POD_GC_THRESHOLD, default 12500)
`;

function log(record: Record<string, unknown>): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      address: { type: 'string', default: process.env.NODELESS_ADDRESS ?? '127.0.0.1' },
      port: { type: 'string', default: process.env.NODELESS_PORT ?? '6443' },
      'data-dir': { type: 'string', default: process.env.NODELESS_DATA_DIR ?? './.nodeless' },
      'volumes-dir': { type: 'string', default: process.env.NODELESS_VOLUMES_DIR },
      controllers: { type: 'string', default: process.env.NODELESS_CONTROLLERS ?? 'true' },
      scheduler: { type: 'string', default: process.env.NODELESS_SCHEDULER ?? 'true' },
      provider: { type: 'string', default: process.env.NODELESS_PROVIDER ?? 'simulated' },
      'pod-cidr': { type: 'string', default: process.env.NODELESS_POD_CIDR },
      'service-cluster-ip-range': { type: 'string', default: process.env.NODELESS_SERVICE_CLUSTER_IP_RANGE ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE },
      'load-balancer-ip-pool': { type: 'string', default: process.env.NODELESS_LOAD_BALANCER_IP_POOL ?? DEFAULT_LOAD_BALANCER_IP_POOL },
      kubeconfig: { type: 'string', default: process.env.KUBECONFIG },
      context: { type: 'string' },
      'root-ca-file': { type: 'string' },
      'leader-elect': { type: 'string', default: 'true' },
      'feature-gates': { type: 'string', default: process.env.NODELESS_FEATURE_GATES ?? '' },
      'terminated-pod-gc-threshold': { type: 'string', default: process.env.NODELESS_TERMINATED_POD_GC_THRESHOLD ?? '12500' },
      by: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      since: { type: 'string' },
      until: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0] ?? 'serve';
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.controllers !== 'true' && values.controllers !== 'false') {
    process.stderr.write(`invalid --controllers ${values.controllers}: want true or false\n${USAGE}`);
    return 2;
  }
  if (values['leader-elect'] !== 'true' && values['leader-elect'] !== 'false') {
    process.stderr.write(`invalid --leader-elect ${values['leader-elect']}: want true or false\n${USAGE}`);
    return 2;
  }
  if (values.scheduler !== 'true' && values.scheduler !== 'false') {
    process.stderr.write(`invalid --scheduler ${values.scheduler}: want true or false\n${USAGE}`);
    return 2;
  }
  let scheduler: BuiltinControllerOptions['scheduler'];
  try {
    const options = schedulerOptions({ provider: values.provider!, podCIDR: values['pod-cidr'], dataDir: values['data-dir'] });
    scheduler = values.scheduler === 'true' && options;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  const serviceClusterIPRange = values['service-cluster-ip-range']!;
  const loadBalancerIPPool = values['load-balancer-ip-pool']!;
  try {
    new ServiceIPRange(serviceClusterIPRange);
  } catch (err) {
    process.stderr.write(`invalid --service-cluster-ip-range: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  try {
    new LoadBalancerPool(loadBalancerIPPool);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  const terminatedPodGCThreshold = Number(values['terminated-pod-gc-threshold']);
  if (!/^\d+$/.test(values['terminated-pod-gc-threshold'] ?? '') || !Number.isSafeInteger(terminatedPodGCThreshold)) {
    process.stderr.write(`invalid --terminated-pod-gc-threshold ${values['terminated-pod-gc-threshold']}: want a whole number, 0 or more\n${USAGE}`);
    return 2;
  }
  if (command === 'usage') {
    // Without --kubeconfig (or KUBECONFIG), the bill of the server whose data dir this is.
    const file = (values.kubeconfig ?? path.join(values['data-dir']!, 'kubeconfig')).split(':')[0];
    return printUsage(file, values.context, { by: values.by, namespace: values.namespace, since: values.since, until: values.until, output: values.output });
  }
  // The volumes live on the machine of the controllers that provision them: `nodeless controllers`
  // in its own process uses its own --volumes-dir (default <data-dir>/volumes relative to where it
  // runs), and the hostPath of each PersistentVolume it creates names a directory there.
  const volumesDir = path.resolve(values['volumes-dir'] ?? path.join(values['data-dir']!, 'volumes'));
  if (command === 'controllers') return runControllers(values.kubeconfig, values.context, values['root-ca-file'], { leaderElect: values['leader-elect'] === 'true', scheduler, terminatedPodGCThreshold, volumesDir, loadBalancerIPPool });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid --port ${values.port}\n${USAGE}`);
    return 2;
  }
  const dir = dataDir(values['data-dir']!);
  const token = adminToken(dir);
  const address = values.address!;
  const hosts = ['127.0.0.1', 'localhost', address].filter((h) => h !== '0.0.0.0' && h !== '::');
  const tls = loadOrCreateCertificates(dir.dir, hosts);
  const host = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
  if (command === 'kubeconfig') {
    process.stdout.write(kubeconfigYaml(`https://${host}:${port}`, token, tls.caCert));
    return 0;
  }
  if (command !== 'serve') {
    process.stderr.write(`unknown command ${command}\n${USAGE}`);
    return 2;
  }
  let gates: Record<string, boolean>;
  try {
    gates = parseFeatureGates(values['feature-gates'] ?? '');
  } catch (err) {
    process.stderr.write(`invalid --feature-gates: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  fs.mkdirSync(volumesDir, { recursive: true });
  const nodeless = await createNodeless({ databasePath: dir.database, tokens: [token], log, caCert: tls.caCert, processMetrics: true, controllers: values.controllers === 'true', scheduler, terminatedPodGCThreshold, volumesDir, serviceClusterIPRange, loadBalancerIPPool, mutatingAdmissionPolicy: gates.MutatingAdmissionPolicy === true });
  const server = await nodeless.listen(port, address, { cert: tls.cert, key: tls.key });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const url = `https://${host}:${actualPort}`;
  writeKubeconfig(dir, url, token, tls.caCert);
  // The database and its WAL files were created by SQLite under the process umask.
  restrictDataDir(dir.dir);
  log({ level: 'info', msg: 'nodeless is serving', url, kubeconfig: dir.kubeconfig });
  process.stdout.write(`nodeless is serving the Kubernetes API at ${url}\n  export KUBECONFIG=${dir.kubeconfig}\n  kubectl get namespaces\n`);
  const stop = async () => {
    log({ level: 'info', msg: 'shutting down' });
    await nodeless.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return -1;
}

const FEATURE_GATES = ['MutatingAdmissionPolicy'];

// parseFeatureGates reads kube's --feature-gates form, Name=true,Other=false; unknown names and
// values other than true/false are refused, as kube-apiserver refuses them.
function parseFeatureGates(text: string): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = part.split('=');
    if (!FEATURE_GATES.includes(name)) throw new Error(`unrecognized feature gate: ${name}`);
    if (value !== 'true' && value !== 'false') throw new Error(`invalid value of ${name}=${value ?? ''}, err: strconv.ParseBool: parsing ${JSON.stringify(value ?? '')}: invalid syntax`);
    out[name] = value === 'true';
  }
  return out;
}

// printUsage prints `nodeless usage` for the API server of a kubeconfig.
async function printUsage(kubeconfig: string, context: string | undefined, flags: Parameters<typeof parseUsageFlags>[0]): Promise<number> {
  let query;
  try {
    query = parseUsageFlags(flags, Date.now());
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  if (!fs.existsSync(kubeconfig)) {
    process.stderr.write(`nodeless usage: no kubeconfig at ${kubeconfig} (pass --kubeconfig, or --data-dir of a server)\n`);
    return 2;
  }
  const client = new HttpClient(loadKubeconfig(kubeconfig, context), 'nodeless-usage');
  try {
    process.stdout.write(await usageReport(client, query));
    return 0;
  } catch (err) {
    process.stderr.write(`nodeless usage: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    client.close();
  }
}

// runControllers runs the built-in controllers over HTTP until SIGINT or SIGTERM.
async function runControllers(
  kubeconfig: string | undefined,
  context: string | undefined,
  rootCAFile: string | undefined,
  options: { leaderElect: boolean; scheduler: BuiltinControllerOptions['scheduler']; terminatedPodGCThreshold: number; volumesDir: string; loadBalancerIPPool: string },
): Promise<number> {
  const { leaderElect, scheduler, terminatedPodGCThreshold, volumesDir, loadBalancerIPPool } = options;
  if (!kubeconfig) {
    process.stderr.write(`nodeless controllers needs --kubeconfig (or KUBECONFIG)\n${USAGE}`);
    return 2;
  }
  // A KUBECONFIG list names several files; the first is the one read here.
  const file = kubeconfig.split(':')[0];
  const connection = loadKubeconfig(file, context);
  const rootCACert = rootCAFile ? fs.readFileSync(rootCAFile, 'utf8') : connection.ca ? connection.ca.toString() : createAuthority().caCert;
  const client = new HttpClient(connection, 'nodeless-controllers');
  // As kube-controller-manager, a process that loses its Lease exits rather than run on unsure of it.
  const elector = leaderElect ? new LeaseElector(client.withFieldManager('nodeless-leader-election'), { log }) : undefined;
  const manager = new ControllerManager(client, {
    log,
    instance: os.hostname(),
    elector,
    onLeadershipLost: () => {
      client.close();
      process.exit(1);
    },
  });
  if (elector) process.stdout.write(`nodeless controllers are waiting for the lease kube-system/nodeless-controllers as ${elector.identity}\n`);
  manager.add(...builtinControllers({ rootCACert, scheduler, terminatedPodGCThreshold, volumesDir, loadBalancerIPPool }));
  await manager.start();
  log({ level: 'info', msg: 'nodeless controllers are running', server: connection.server });
  process.stdout.write(`nodeless controllers are running against ${connection.server}\n`);
  const stop = () => {
    log({ level: 'info', msg: 'shutting down' });
    manager.stop();
    // Releasing the Lease lets a standby take over at once instead of after the lease duration.
    void (elector?.releaseLease() ?? Promise.resolve()).finally(() => {
      client.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    log({ level: 'error', msg: 'nodeless failed', error: String(err instanceof Error ? err.message : err) });
    process.exit(1);
  },
);
