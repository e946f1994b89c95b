/**
 * End-to-end: the built server on a free port, driven by the official Kubernetes Python client
 * (python3-kubernetes) through the kubeconfig the server writes. The client sends booleans as
 * True/False (watch=True, allowWatchBookmarks=True), pages with limit and continue, and reads
 * watch events line by line; test/e2e/fixtures/python-client.py prints what it saw.
 */
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

// hasPythonClient says whether the system Python can import the kubernetes package.
function hasPythonClient(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import kubernetes'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const available = hasPythonClient();
if (!available) {
  // eslint-disable-next-line no-console
  console.warn(`skipping the Python client suite: ${PYTHON} cannot import kubernetes (apt-get install -y python3-kubernetes)`);
}
const describeIfPython = available ? describe : describe.skip;

let server: CliServer;

describeIfPython('the official Python client against nodeless', () => {
  beforeAll(async () => {
    server = await startCliServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('should create, page through, list+watch ConfigMaps and create and read a Service', async () => {
    const script = path.join(__dirname, 'fixtures', 'python-client.py');
    const { stdout } = await run(PYTHON, [script, server.kubeconfig, 'py-e2e'], { timeout: 60000 });
    const report = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(report.firstPage).toEqual(['cm-0', 'cm-1']);
    expect(report.secondPage).toEqual(['cm-2']);
    // watch=True without a resourceVersion: the current state as ADDED, ended by timeout_seconds.
    expect(report.initial).toEqual([
      ['ADDED', 'cm-0'],
      ['ADDED', 'cm-1'],
      ['ADDED', 'cm-2'],
    ]);
    // watch=True&allowWatchBookmarks=True from the list's resourceVersion: every change, in order.
    expect(report.events).toEqual([
      ['MODIFIED', 'cm-0'],
      ['ADDED', 'cm-3'],
      ['DELETED', 'cm-1'],
    ]);
    expect(report.service).toMatchObject({ created: 'web', port: 80 });
    expect(report.missing).toEqual({ status: 404, reason: 'NotFound' });
  }, 90000);
});
