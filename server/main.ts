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
import { parseArgs } from 'node:util';
import { builtinControllers } from '../controllers/builtin-controllers';
import { HttpClient, loadKubeconfig } from '../controllers/runtime/http-client';
import { ControllerManager } from '../controllers/runtime/manager';
import { createAuthority } from './auth/tls';
import { loadOrCreateCertificates } from './auth/tls';
import { adminToken, dataDir, kubeconfigYaml, restrictDataDir, writeKubeconfig } from './kubeconfig';
import { createNodeless } from './server';

const USAGE = `usage: nodeless <command> [flags]

commands:
  serve        start the API server (default)
  controllers  run the built-in controllers against the API server of --kubeconfig
  kubeconfig   print a kubeconfig for the server

flags:
  --address <ip>         listen address (NODELESS_ADDRESS, default 127.0.0.1)
  --port <n>             listen port, 0 for any free port (NODELESS_PORT, default 6443)
  --data-dir <path>      database, token and kubeconfig (NODELESS_DATA_DIR, default ./.nodeless)
  --controllers <bool>   serve: run the controllers in process (NODELESS_CONTROLLERS, default true)
  --kubeconfig <file>    controllers: the API server to control (KUBECONFIG)
  --context <name>       controllers: the kubeconfig context (default its current-context)
  --root-ca-file <file>  controllers: the CA published in kube-root-ca.crt (default the kubeconfig's CA)
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
      controllers: { type: 'string', default: process.env.NODELESS_CONTROLLERS ?? 'true' },
      kubeconfig: { type: 'string', default: process.env.KUBECONFIG },
      context: { type: 'string' },
      'root-ca-file': { type: 'string' },
      'terminated-pod-gc-threshold': { type: 'string', default: process.env.NODELESS_TERMINATED_POD_GC_THRESHOLD ?? '12500' },
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
  const terminatedPodGCThreshold = Number(values['terminated-pod-gc-threshold']);
  if (!/^\d+$/.test(values['terminated-pod-gc-threshold'] ?? '') || !Number.isSafeInteger(terminatedPodGCThreshold)) {
    process.stderr.write(`invalid --terminated-pod-gc-threshold ${values['terminated-pod-gc-threshold']}: want a whole number, 0 or more\n${USAGE}`);
    return 2;
  }
  if (command === 'controllers') return runControllers(values.kubeconfig, values.context, values['root-ca-file'], terminatedPodGCThreshold);
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
  const nodeless = await createNodeless({ databasePath: dir.database, tokens: [token], log, caCert: tls.caCert, processMetrics: true, controllers: values.controllers === 'true', terminatedPodGCThreshold });
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

// runControllers runs the built-in controllers over HTTP until SIGINT or SIGTERM.
async function runControllers(kubeconfig: string | undefined, context: string | undefined, rootCAFile: string | undefined, terminatedPodGCThreshold: number): Promise<number> {
  if (!kubeconfig) {
    process.stderr.write(`nodeless controllers needs --kubeconfig (or KUBECONFIG)\n${USAGE}`);
    return 2;
  }
  // A KUBECONFIG list names several files; the first is the one read here.
  const file = kubeconfig.split(':')[0];
  const connection = loadKubeconfig(file, context);
  const rootCACert = rootCAFile ? fs.readFileSync(rootCAFile, 'utf8') : connection.ca ? connection.ca.toString() : createAuthority().caCert;
  const client = new HttpClient(connection, 'nodeless-controllers');
  const manager = new ControllerManager(client, { log, instance: os.hostname() });
  manager.add(...builtinControllers({ rootCACert, terminatedPodGCThreshold }));
  await manager.start();
  log({ level: 'info', msg: 'nodeless controllers are running', server: connection.server });
  process.stdout.write(`nodeless controllers are running against ${connection.server}\n`);
  const stop = () => {
    log({ level: 'info', msg: 'shutting down' });
    manager.stop();
    client.close();
    process.exit(0);
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
