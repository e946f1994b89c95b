#!/usr/bin/env node
/**
 * nodeless CLI: `nodeless serve` starts the API server on the embedded SQLite store and writes a
 * kubeconfig; `nodeless kubeconfig` prints it. Flags have environment-variable fallbacks.
 */
import { parseArgs } from 'node:util';
import { loadOrCreateCertificates } from './auth/tls';
import { adminToken, dataDir, kubeconfigYaml, restrictDataDir, writeKubeconfig } from './kubeconfig';
import { createNodeless } from './server';

const USAGE = `usage: nodeless <command> [flags]

commands:
  serve        start the API server (default)
  kubeconfig   print a kubeconfig for the server

flags:
  --address <ip>       listen address (NODELESS_ADDRESS, default 127.0.0.1)
  --port <n>           listen port, 0 for any free port (NODELESS_PORT, default 6443)
  --data-dir <path>    database, token and kubeconfig (NODELESS_DATA_DIR, default ./.nodeless)
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
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0] ?? 'serve';
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
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
  const nodeless = await createNodeless({ databasePath: dir.database, tokens: [token], log, caCert: tls.caCert, processMetrics: true });
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

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    log({ level: 'error', msg: 'nodeless failed', error: String(err instanceof Error ? err.message : err) });
    process.exit(1);
  },
);
