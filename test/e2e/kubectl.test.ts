/**
 * End-to-end: the built server on a free port, driven by the real kubectl through the
 * kubeconfig the server writes. Each test states the kubectl behaviour it checks.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startCliServer, waitFor, type CliServer } from '../helpers/api-server';

const run = promisify(execFile);
const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

let server: CliServer;

/** kubectl runs kubectl against the test server and returns stdout, or throws with stderr. */
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 });
  return stdout;
}

/** createConfigMap creates a ConfigMap from a manifest file (kubectl create -f, JSON on the wire). */
async function createConfigMap(name: string, namespace: string, labels: Record<string, string> = {}): Promise<void> {
  const file = path.join(server.dataDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data: { a: 'b' } }));
  await kubectl('create', '-f', file);
}

/** kubectlFails runs kubectl expecting failure and returns its stderr and exit code. */
async function kubectlFails(...args: string[]): Promise<{ stderr: string; code: number }> {
  try {
    await kubectl(...args);
  } catch (err) {
    const e = err as { stderr: string; code: number };
    return { stderr: e.stderr, code: e.code };
  }
  throw new Error(`kubectl ${args.join(' ')} succeeded but was expected to fail`);
}

/** kubectlOutput runs kubectl and returns stdout and stderr (where kubectl prints server warnings). */
async function kubectlOutput(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: { ...process.env, KUBECONFIG: server.kubeconfig }, timeout: 30000 });
}

/** writeManifest writes a manifest into the server's data dir and returns its path. */
function writeManifest(name: string, text: string): string {
  const file = path.join(server.dataDir, name);
  fs.writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  server = await startCliServer();
});

afterAll(async () => {
  await server?.stop();
});

describe('kubectl against nodeless', () => {
  it('[sig-cli] Kubectl version should check is all data is printed', async () => {
    const out = await kubectl('version');
    expect(out).toMatch(/Client Version: v1\.\d+/);
    expect(out).toMatch(/Server Version: v1\.32\.\d+/);
  });

  it('[sig-cli] Kubectl api-versions should check if v1 is in available api versions', async () => {
    const out = (await kubectl('api-versions')).split('\n');
    expect(out).toContain('v1');
    expect(out).toContain('apps/v1');
    expect(out).toContain('batch/v1');
    expect(out).toContain('autoscaling/v2');
  });

  it('[sig-cli] Kubectl client Kubectl cluster-info should check if Kubernetes control plane services is included in cluster-info', async () => {
    const out = await kubectl('cluster-info');
    expect(out).toMatch(/Kubernetes control plane.* is running at .*https:\/\/127\.0\.0\.1:\d+/);
  });

  it('[sig-cli] Kubectl client Proxy server should support proxy with --port 0', async () => {
    const child = spawn('kubectl', ['proxy', '--port=0'], { env: { ...process.env, KUBECONFIG: server.kubeconfig } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      const port = await waitFor(() => /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out)?.[1], 'kubectl proxy to start');
      const res = await fetch(`http://127.0.0.1:${port}/api/`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { kind: string; versions: string[] };
      expect(body.kind).toBe('APIVersions');
      expect(body.versions.length).toBeGreaterThan(0);
    } finally {
      child.kill();
    }
  });

  it('[sig-cli] Kubectl client Proxy server should support --unix-socket=/path', async () => {
    const socket = path.join(server.dataDir, 'proxy.sock');
    const child = spawn('kubectl', ['proxy', `--unix-socket=${socket}`], { env: { ...process.env, KUBECONFIG: server.kubeconfig } });
    try {
      await waitFor(() => fs.existsSync(socket), 'the proxy socket');
      const body = await new Promise<string>((resolve, reject) => {
        const req = require('node:http').get({ socketPath: socket, path: '/api/' }, (res: import('node:http').IncomingMessage) => {
          let data = '';
          res.on('data', (d) => (data += d));
          res.on('end', () => resolve(data));
        });
        req.on('error', reject);
      });
      expect(JSON.parse(body).kind).toBe('APIVersions');
    } finally {
      child.kill();
    }
  });

  it('lists api-resources with short names', async () => {
    const out = await kubectl('api-resources');
    expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(out).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(out).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
  });

  it('creates every object of a multi-document manifest with validation on', async () => {
    const out = await kubectl('create', '-f', fixture('shop.yaml'));
    expect(out.trim().split('\n')).toEqual([
      'namespace/shop created',
      'configmap/web-config created',
      'secret/web-secret created',
      'deployment.apps/web created',
      'statefulset.apps/db created',
      'job.batch/migrate created',
      'service/web created',
    ]);
  });

  it('applies the same manifest again as unchanged', async () => {
    const out = await kubectl('apply', '-f', fixture('shop.yaml'));
    expect(out).toMatch(/deployment\.apps\/web (unchanged|configured)/);
  });

  it('prints the default table with the kind columns', async () => {
    // The Deployment controller makes the two replicas and the instance scheduler runs them.
    const out = await waitFor(async () => {
      const o = await kubectl('get', 'deployments', '-n', 'shop');
      return /^web\s+2\/2\s+2\s+2\s+\d+s$/m.test(o) && o;
    }, 'two ready, up-to-date, available replicas', 30000);
    expect(out).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
  });

  it('prints -o wide columns', async () => {
    const out = await kubectl('get', 'deploy', 'web', '-n', 'shop', '-o', 'wide');
    expect(out).toMatch(/CONTAINERS\s+IMAGES\s+SELECTOR/);
    expect(out).toMatch(/web\s+nginx:1\.27\s+app=web/);
  });

  it('prints -o yaml and -o json with server-set metadata', async () => {
    const yaml = await kubectl('get', 'configmap', 'web-config', '-n', 'shop', '-o', 'yaml');
    expect(yaml).toMatch(/resourceVersion: "\d+"/);
    expect(yaml).toMatch(/uid: [0-9a-f-]{36}/);
    const json = JSON.parse(await kubectl('get', 'deploy', 'web', '-n', 'shop', '-o', 'json'));
    // `kubectl apply` after `kubectl create` added the last-applied-configuration annotation;
    // kube's deployment strategy bumps generation for annotation changes as for spec changes.
    expect(json.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBeDefined();
    expect(json.metadata.generation).toBe(2);
    expect(json.spec.replicas).toBe(2);
  });

  it('prints -o name, -o jsonpath and custom-columns', async () => {
    // kube-root-ca.crt is the root-CA ConfigMap every namespace holds, as on any cluster.
    expect((await kubectl('get', 'cm', '-n', 'shop', '-o', 'name')).trim()).toBe('configmap/kube-root-ca.crt\nconfigmap/web-config');
    expect(await kubectl('get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('nginx:1.27');
    const cc = await kubectl('get', 'deploy', '-n', 'shop', '-o', 'custom-columns=NAME:.metadata.name,REPLICAS:.spec.replicas');
    expect(cc).toMatch(/^NAME\s+REPLICAS\nweb\s+2\n$/);
  });

  it('shows labels, filters by label selector and lists across namespaces', async () => {
    expect(await kubectl('get', 'deploy', '-n', 'shop', '--show-labels')).toMatch(/app=web/);
    expect(await kubectl('get', 'deploy', '-n', 'shop', '-l', 'app=web', '-o', 'name')).toBe('deployment.apps/web\n');
    expect(await kubectl('get', 'deploy', '-n', 'shop', '-l', 'app!=web', '-o', 'name')).toBe('');
    const all = await kubectl('get', 'namespaces', '-A');
    expect(all).toMatch(/^shop\s+Active/m);
    const cms = await kubectl('get', 'configmaps', '-A');
    expect(cms).toMatch(/^NAMESPACE\s+NAME\s+DATA\s+AGE$/m);
    expect(cms).toMatch(/^shop\s+web-config\s+1/m);
  });

  it('filters with --field-selector', async () => {
    expect(await kubectl('get', 'cm', '-A', '--field-selector', 'metadata.name=web-config', '-o', 'name')).toBe('configmap/web-config\n');
    const bad = await kubectlFails('get', 'cm', '--field-selector', 'spec.nope=1');
    expect(bad.stderr).toMatch(/field label not supported: spec.nope/);
  });

  it('describes a deployment', async () => {
    const out = await kubectl('describe', 'deployment', 'web', '-n', 'shop');
    expect(out).toMatch(/^Name:\s+web$/m);
    expect(out).toMatch(/^Namespace:\s+shop$/m);
    expect(out).toMatch(/Image:\s+nginx:1\.27/);
  });

  it('labels and annotates', async () => {
    expect(await kubectl('label', 'cm', 'web-config', '-n', 'shop', 'tier=backend')).toMatch(/configmap\/web-config labeled/);
    expect(await kubectl('annotate', 'cm', 'web-config', '-n', 'shop', 'owner=team-a')).toMatch(/annotated/);
    const obj = JSON.parse(await kubectl('get', 'cm', 'web-config', '-n', 'shop', '-o', 'json'));
    expect(obj.metadata.labels).toEqual({ tier: 'backend' });
    expect(obj.metadata.annotations.owner).toBe('team-a');
  });

  it('patches with --type=merge and --type=json', async () => {
    await kubectl('patch', 'cm', 'web-config', '-n', 'shop', '--type=merge', '-p', '{"data":{"EXTRA":"1"}}');
    await kubectl('patch', 'cm', 'web-config', '-n', 'shop', '--type=json', '-p', '[{"op":"replace","path":"/data/LOG_LEVEL","value":"debug"}]');
    const obj = JSON.parse(await kubectl('get', 'cm', 'web-config', '-n', 'shop', '-o', 'json'));
    expect(obj.data).toEqual({ LOG_LEVEL: 'debug', EXTRA: '1' });
  });

  it('replaces an object from a file', async () => {
    const obj = JSON.parse(await kubectl('get', 'cm', 'web-config', '-n', 'shop', '-o', 'json'));
    obj.data = { REPLACED: 'yes' };
    const file = path.join(server.dataDir, 'replace.json');
    fs.writeFileSync(file, JSON.stringify(obj));
    expect(await kubectl('replace', '-f', file)).toMatch(/configmap\/web-config replaced/);
    expect(JSON.parse(await kubectl('get', 'cm', 'web-config', '-n', 'shop', '-o', 'json')).data).toEqual({ REPLACED: 'yes' });
  });

  it('scales a deployment through the scale subresource', async () => {
    expect(await kubectl('scale', 'deployment', 'web', '-n', 'shop', '--replicas=5')).toMatch(/deployment.apps\/web scaled/);
    expect(await kubectl('get', 'deploy', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).toBe('5');
  });

  it('receives an event with get -w', async () => {
    const child = spawn('kubectl', ['get', 'cm', '-n', 'shop', '-w', '--output-watch-events'], { env: { ...process.env, KUBECONFIG: server.kubeconfig } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('web-config'), 'the initial listing');
      await createConfigMap('watched', 'shop');
      await waitFor(() => /ADDED\s+watched/.test(out), 'the ADDED event of the new configmap');
    } finally {
      child.kill();
    }
  });

  it('explains a field from the published OpenAPI', async () => {
    const out = await kubectl('explain', 'deployment.spec.strategy');
    expect(out).toMatch(/KIND:\s+Deployment/);
    expect(out).toMatch(/FIELD:\s+strategy/);
    expect(out).toMatch(/rollingUpdate/);
    // A field that refers to another type is explained with kube's text for the field itself.
    const template = await kubectl('explain', 'deployment.spec.template');
    expect(template).toMatch(/Template describes the pods that will be created/);
  });

  it('lists a second server-side applier of the same value as a co-owner in managedFields', async () => {
    const file = writeManifest('shared-cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: default}\ndata: {mode: "on"}\n');
    await kubectl('apply', '--server-side', '--field-manager=team-a', '-f', file);
    await kubectl('apply', '--server-side', '--field-manager=team-b', '-f', file);
    const managers = await kubectl('get', 'configmap', 'shared', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}');
    expect(managers.split(' ').sort()).toEqual(['team-a', 'team-b']);
    const conflict = writeManifest('shared-cm-off.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: default}\ndata: {mode: "off"}\n');
    const { stderr } = await kubectlFails('apply', '--server-side', '--field-manager=team-c', '-f', conflict);
    expect(stderr).toContain('Apply failed with 2 conflicts: conflicts with "team-a":\n- .data.mode\nconflicts with "team-b":\n- .data.mode');
  });

  const listManifest = (extra = '') => [
    'apiVersion: v1',
    'kind: List',
    'items:',
    '- apiVersion: v1',
    '  kind: ConfigMap',
    '  metadata: {name: listed, namespace: default}',
    '  data: {a: "1"}',
    '- apiVersion: apps/v1',
    '  kind: Deployment',
    '  metadata: {name: listed, namespace: default}',
    '  spec:',
    '    replicas: 1',
    extra,
    '    selector: {matchLabels: {app: listed}}',
    '    template:',
    '      metadata: {labels: {app: listed}}',
    '      spec: {containers: [{name: web, image: "nginx:1.27"}]}',
    '',
  ].filter((l) => l !== '').join('\n');

  it('applies a kind: List manifest, validating it with the protobuf /openapi/v2 (default and --validate=strict)', async () => {
    // kubectl validates a List client-side: it downloads /openapi/v2 as protobuf, since the
    // OpenAPI v3 documents cannot tell it that v1 List supports server-side field validation.
    const file = writeManifest('list.yaml', listManifest());
    expect(await kubectl('apply', '-f', file)).toBe('configmap/listed created\ndeployment.apps/listed created\n');
    expect(await kubectl('apply', '--validate=strict', '-f', file)).toBe('configmap/listed unchanged\ndeployment.apps/listed unchanged\n');
  });

  it('refuses an unknown field inside a List with kubectl\'s client-side validation error', async () => {
    const file = writeManifest('bad-list.yaml', listManifest('    bogus: true'));
    const { stderr } = await kubectlFails('apply', '--validate=strict', '-f', file);
    expect(stderr).toContain('ValidationError(Deployment.spec): unknown field "bogus" in io.k8s.api.apps.v1.DeploymentSpec');
  });

  it('gets kube\'s answer for create --raw of a YAML file, which kubectl sends without a Content-Type', async () => {
    const file = writeManifest('raw-ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: raw\n');
    const { stderr } = await kubectlFails('create', '--raw', '/api/v1/namespaces', '-f', file);
    // The same check as kube's own test/cmd/create.sh.
    expect(stderr).toContain('the object provided is unrecognized (must be of type Namespace)');
    const json = writeManifest('raw-ns.json', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'raw' } }));
    expect(JSON.parse(await kubectl('create', '--raw', '/api/v1/namespaces', '-f', json)).metadata.name).toBe('raw');
  });

  it('prints the Warning of a deprecated custom resource version', async () => {
    const crd = writeManifest('relics-crd.yaml', [
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata: {name: relics.old.example.com}',
      'spec:',
      '  group: old.example.com',
      '  scope: Namespaced',
      '  names: {plural: relics, kind: Relic}',
      '  versions:',
      '  - {name: v1beta1, served: true, storage: false, deprecated: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}',
      '  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}',
      '',
    ].join('\n'));
    await kubectl('apply', '-f', crd);
    await kubectl('wait', '--for=condition=Established', 'crd/relics.old.example.com');
    const { stderr } = await kubectlOutput('get', 'relics.v1beta1.old.example.com');
    expect(stderr).toContain('Warning: old.example.com/v1beta1 Relic is deprecated; use old.example.com/v1 Relic');
    expect((await kubectlOutput('get', 'relics.v1.old.example.com')).stderr).not.toContain('Warning');
  });

  it('refuses to create a node with a clear Forbidden message', async () => {
    const file = path.join(server.dataDir, 'node.yaml');
    fs.writeFileSync(file, 'apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n');
    const res = await kubectlFails('create', '-f', file);
    expect(res.stderr).toMatch(/Forbidden/);
    expect(res.stderr).toMatch(/nodeless/);
    expect(await kubectl('get', 'nodes')).toBe('');
  });

  it('deletes by name with --wait and by label', async () => {
    await createConfigMap('gone1', 'shop', { batch: 'x' });
    await createConfigMap('gone2', 'shop', { batch: 'x' });
    expect(await kubectl('delete', 'cm', 'watched', '-n', 'shop', '--wait=true')).toMatch(/configmap "watched" deleted/);
    const byLabel = await kubectl('delete', 'cm', '-n', 'shop', '-l', 'batch=x');
    expect(byLabel).toMatch(/configmap "gone1" deleted/);
    expect(byLabel).toMatch(/configmap "gone2" deleted/);
    expect(await kubectl('get', 'cm', '-n', 'shop', '-o', 'name')).toBe('configmap/kube-root-ca.crt\nconfigmap/web-config\n');
  });

  it('creates objects with the typed commands, which send protobuf', async () => {
    expect(await kubectl('create', 'configmap', 'typed', '-n', 'shop', '--from-literal=k=v')).toMatch(/configmap\/typed created/);
    expect(await kubectl('create', 'secret', 'generic', 'typed', '-n', 'shop', '--from-literal=password=s3cret')).toMatch(/secret\/typed created/);
    expect(await kubectl('create', 'deployment', 'typed', '-n', 'shop', '--image=nginx:1.27', '--replicas=2')).toMatch(/deployment.apps\/typed created/);
    const cm = JSON.parse(await kubectl('get', 'cm', 'typed', '-n', 'shop', '-o', 'json'));
    expect(cm.data).toEqual({ k: 'v' });
    const secret = JSON.parse(await kubectl('get', 'secret', 'typed', '-n', 'shop', '-o', 'json'));
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('s3cret');
    expect(await kubectl('get', 'deploy', 'typed', '-n', 'shop', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}')).toBe('2 nginx:1.27');
    expect((await kubectl('auth', 'can-i', 'create', 'pods')).trim()).toBe('yes');
  });

  it('[sig-cli] Kubectl client Kubectl run pod should create a pod from an image when restart is Never [Conformance]', async () => {
    expect(await kubectl('run', 'e2e-test-pod', '-n', 'shop', '--restart=Never', '--image=registry.k8s.io/e2e-test-images/httpd:2.4.38-4')).toMatch(/pod\/e2e-test-pod created/);
    const pod = JSON.parse(await kubectl('get', 'pod', 'e2e-test-pod', '-n', 'shop', '-o', 'json'));
    expect(pod.spec.containers[0].image).toBe('registry.k8s.io/e2e-test-images/httpd:2.4.38-4');
    expect(pod.spec.restartPolicy).toBe('Never');
  });

  it('[sig-cli] Kubectl client Kubectl server-side dry-run should check if kubectl can dry-run update Pods [Conformance]', async () => {
    await kubectl('patch', 'pod', 'e2e-test-pod', '-n', 'shop', '-p', '{"spec":{"containers":[{"name":"e2e-test-pod","image":"registry.k8s.io/e2e-test-images/busybox:1.36.1-1"}]}}', '--dry-run=server');
    expect(await kubectl('get', 'pod', 'e2e-test-pod', '-n', 'shop', '-o', 'jsonpath={.spec.containers[0].image}')).toBe('registry.k8s.io/e2e-test-images/httpd:2.4.38-4');
  });

  it('exposes a ReplicationController whose selector and labels default to its template labels', async () => {
    const rc = writeManifest('rc.yaml', [
      'apiVersion: v1', 'kind: ReplicationController', 'metadata: {name: legacy, namespace: shop}',
      'spec:', '  replicas: 1', '  template:', '    metadata: {labels: {app: legacy}}',
      '    spec: {containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 80}]}]}', '',
    ].join('\n'));
    await kubectl('create', '-f', rc);
    const stored = JSON.parse(await kubectl('get', 'rc', 'legacy', '-n', 'shop', '-o', 'json'));
    expect(stored.spec.selector).toEqual({ app: 'legacy' });
    expect(stored.metadata.labels).toEqual({ app: 'legacy' });
    expect(await kubectl('expose', 'rc', 'legacy', '-n', 'shop', '--port=80')).toMatch(/service\/legacy exposed/);
    const svc = JSON.parse(await kubectl('get', 'svc', 'legacy', '-n', 'shop', '-o', 'json'));
    expect(svc.spec.selector).toEqual({ app: 'legacy' });
    expect(svc.spec.ports[0]).toMatchObject({ port: 80, protocol: 'TCP', targetPort: 80 });
    expect(svc.status).toEqual({ loadBalancer: {} });
  });

  it('refuses a Deployment whose selector does not match its template labels with kube\'s message', async () => {
    const bad = writeManifest('bad-deploy.yaml', [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: mismatched, namespace: shop}',
      'spec:', '  selector: {matchLabels: {app: a}}', '  template:', '    metadata: {labels: {app: b}}',
      '    spec: {containers: [{name: web, image: nginx:1.27}]}', '',
    ].join('\n'));
    const res = await kubectlFails('create', '-f', bad);
    expect(res.stderr).toContain('The Deployment "mismatched" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`');
  });

  it('deletes a namespace and everything in it', async () => {
    expect(await kubectl('delete', 'namespace', 'shop', '--wait=true', '--timeout=30s')).toMatch(/namespace "shop" deleted/);
    const res = await kubectlFails('get', 'namespace', 'shop');
    expect(res.stderr).toMatch(/NotFound|not found/);
  });
});
