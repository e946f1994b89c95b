/**
 * The data directory: the SQLite database, the admin token and a kubeconfig that points kubectl
 * at this server. Created on first start; the token file is readable by its owner only.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { generateToken } from './auth/token';

/** DataDir names the files of one server's data directory. */
export interface DataDir {
  dir: string;
  database: string;
  tokenFile: string;
  kubeconfig: string;
}

/** dataDir resolves the files of a data directory, creating it if needed. */
export function dataDir(relative: string): DataDir {
  // Absolute, so the printed `export KUBECONFIG=...` works from any directory.
  const dir = path.resolve(relative);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  restrictDataDir(dir);
  return {
    dir,
    database: path.join(dir, 'state.db'),
    tokenFile: path.join(dir, 'admin-token'),
    kubeconfig: path.join(dir, 'kubeconfig'),
  };
}

/**
 * restrictDataDir makes the data directory private to its owner: the directory 0700 and every
 * file in it 0600. It holds the database (Secrets included), the admin token and the CA key, and
 * a directory made by an older version or by hand may have been left readable by everyone.
 */
export function restrictDataDir(dir: string): void {
  fs.chmodSync(dir, 0o700);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) fs.chmodSync(path.join(dir, entry.name), 0o600);
  }
}

/** adminToken reads the admin token, generating it on first start. */
export function adminToken(d: DataDir): string {
  if (fs.existsSync(d.tokenFile)) return fs.readFileSync(d.tokenFile, 'utf8').trim();
  const token = generateToken();
  fs.writeFileSync(d.tokenFile, token + '\n', { mode: 0o600 });
  return token;
}

/** kubeconfigYaml renders a kubeconfig for a server URL and bearer token. */
export function kubeconfigYaml(server: string, token: string, caCert?: string, name = 'nodeless'): string {
  const cluster: Record<string, string> = { server };
  if (caCert) cluster['certificate-authority-data'] = Buffer.from(caCert).toString('base64');
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

/** writeKubeconfig writes the kubeconfig of a running server into the data directory. */
export function writeKubeconfig(d: DataDir, server: string, token: string, caCert?: string): void {
  fs.writeFileSync(d.kubeconfig, kubeconfigYaml(server, token, caCert), { mode: 0o600 });
}
