/**
 * core/v1 validation as kube-apiserver's: invalid Pods, pod templates, ReplicationControllers,
 * Services, Endpoints, ResourceQuotas and LimitRanges are refused with 422 Invalid and the
 * field causes (field, reason, message) kube reports.
 */
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
let ns = 'core-validation';
beforeAll(async () => {
  t = await startTestServer();
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).expect(201);
});
afterAll(() => t.close());

const IMAGE = 'registry.k8s.io/pause:3.9';
type Obj = Record<string, unknown>;

function pod(name: string, spec: Obj): Obj {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec };
}

async function refused(path: string, body: Obj, method: 'post' | 'put' = 'post') {
  const res = await t.api[method](`/api/v1/namespaces/${ns}/${path}`).send(body);
  expect(res.status).toBe(422);
  expect(res.body.reason).toBe('Invalid');
  return res.body as { message: string; details: { causes: Array<{ reason: string; field: string; message: string }> } };
}

const cause = (field: string, reason: string, message: string) => ({ field, reason, message });

describe('Pod validation', () => {
  it('refuses a container whose name is null or empty ("Required value")', async () => {
    for (const name of [null, '']) {
      const body = await refused('pods', pod(`noname-${name === null ? 'null' : 'empty'}`, { containers: [{ name, image: IMAGE }] }));
      expect(body.details.causes).toEqual([cause('spec.containers[0].name', 'FieldValueRequired', 'Required value')]);
    }
  });

  it('refuses a pod without containers and a container without image', async () => {
    let body = await refused('pods', pod('nocontainers', { containers: [] }));
    expect(body.details.causes).toEqual([cause('spec.containers', 'FieldValueRequired', 'Required value')]);
    body = await refused('pods', pod('noimage', { containers: [{ name: 'c' }] }));
    expect(body.details.causes).toEqual([cause('spec.containers[0].image', 'FieldValueRequired', 'Required value')]);
    expect(body.message).toBe('Pod "noimage" is invalid: spec.containers[0].image: Required value');
  });

  it('refuses a container name that is not a DNS-1123 label and duplicate names across containers and initContainers', async () => {
    const body = await refused('pods', pod('badnames', {
      initContainers: [{ name: 'c', image: IMAGE }],
      containers: [{ name: 'My_Container', image: IMAGE }, { name: 'c', image: IMAGE }],
    }));
    expect(body.details.causes).toEqual([
      cause('spec.containers[0].name', 'FieldValueInvalid',
        `Invalid value: "My_Container": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`),
      cause('spec.initContainers[0].name', 'FieldValueDuplicate', 'Duplicate value: "c"'),
    ]);
  });

  it('refuses bad container ports', async () => {
    const body = await refused('pods', pod('badports', {
      containers: [{ name: 'c', image: IMAGE, ports: [{ name: 'http', containerPort: 70000 }, { name: 'http', containerPort: 80, protocol: 'HTTP' }, { name: 'Web_Port', containerPort: 81 }] }],
    }));
    expect(body.details.causes).toEqual([
      cause('spec.containers[0].ports[0].containerPort', 'FieldValueInvalid', 'Invalid value: 70000: must be between 1 and 65535, inclusive'),
      cause('spec.containers[0].ports[1].name', 'FieldValueDuplicate', 'Duplicate value: "http"'),
      cause('spec.containers[0].ports[1].protocol', 'FieldValueNotSupported', 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
      cause('spec.containers[0].ports[2].name', 'FieldValueInvalid', 'Invalid value: "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'),
    ]);
  });

  it('refuses env vars without a name, with = in the name, and valueFrom without a source', async () => {
    const body = await refused('pods', pod('badenv', {
      containers: [{ name: 'c', image: IMAGE, env: [{ name: '', value: 'x' }, { name: 'A=B', value: 'x' }, { name: 'C', valueFrom: {} }], envFrom: [{ prefix: 'P_' }] }],
    }));
    expect(body.details.causes).toEqual([
      cause('spec.containers[0].env[0].name', 'FieldValueRequired', 'Required value'),
      cause('spec.containers[0].env[1].name', 'FieldValueInvalid', `Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`),
      cause('spec.containers[0].env[2].valueFrom', 'FieldValueInvalid', 'Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'),
      cause('spec.containers[0].envFrom', 'FieldValueInvalid', 'Invalid value: "": must specify one of: `configMapRef` or `secretRef`'),
    ]);
  });

  it('refuses an env fieldRef to a field the downward API does not offer', async () => {
    const body = await refused('pods', pod('badfieldref', {
      containers: [{ name: 'c', image: IMAGE, env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }] }],
    }));
    expect(body.details.causes).toEqual([
      cause('spec.containers[0].env[0].valueFrom.fieldRef.fieldPath', 'FieldValueNotSupported',
        'Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"'),
    ]);
  });

  it('refuses bad volumes and mounts of volumes that do not exist', async () => {
    const body = await refused('pods', pod('badvolumes', {
      volumes: [
        { name: 'data', emptyDir: {}, hostPath: { path: '/tmp' } },
        { name: 'Cfg', configMap: { name: 'cfg' } },
        { name: 'sec', secret: {} },
        { name: 'sec', secret: { secretName: 's' } },
      ],
      containers: [{ name: 'c', image: IMAGE, volumeMounts: [{ name: 'missing', mountPath: '/a' }, { name: 'data', mountPath: '/a' }] }],
    }));
    expect(body.details.causes).toEqual([
      cause('spec.volumes[0].hostPath', 'FieldValueForbidden', 'Forbidden: may not specify more than 1 volume type'),
      cause('spec.volumes[1].name', 'FieldValueInvalid',
        `Invalid value: "Cfg": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`),
      cause('spec.volumes[2].secret.secretName', 'FieldValueRequired', 'Required value'),
      cause('spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound', 'Not found: "missing"'),
      cause('spec.containers[0].volumeMounts[1].name', 'FieldValueNotFound', 'Not found: "data"'),
      cause('spec.containers[0].volumeMounts[1].mountPath', 'FieldValueInvalid', 'Invalid value: "/a": must be unique'),
    ]);
  });

  it('refuses requests above limits, unsupported policies and a zero activeDeadlineSeconds', async () => {
    const body = await refused('pods', pod('badpolicies', {
      restartPolicy: 'Sometimes',
      dnsPolicy: 'Cluster',
      activeDeadlineSeconds: 0,
      containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'Maybe', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }],
    }));
    expect(body.details.causes).toEqual([
      cause('spec.containers[0].imagePullPolicy', 'FieldValueNotSupported', 'Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"'),
      cause('spec.containers[0].resources.requests', 'FieldValueInvalid', 'Invalid value: "2": must be less than or equal to cpu limit of 1'),
      cause('spec.restartPolicy', 'FieldValueNotSupported', 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'),
      cause('spec.dnsPolicy', 'FieldValueNotSupported', 'Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'),
      cause('spec.activeDeadlineSeconds', 'FieldValueInvalid', 'Invalid value: 0: must be between 1 and 2147483647, inclusive'),
    ]);
  });

  it('refuses probes without a handler and a liveness successThreshold other than 1', async () => {
    const body = await refused('pods', pod('badprobes', {
      containers: [{ name: 'c', image: IMAGE, livenessProbe: { successThreshold: 2, httpGet: { port: 8080 } }, readinessProbe: { periodSeconds: -1 } }],
    }));
    expect(body.details.causes).toEqual([
      cause('spec.containers[0].livenessProbe.successThreshold', 'FieldValueInvalid', 'Invalid value: 2: must be 1'),
      cause('spec.containers[0].readinessProbe', 'FieldValueRequired', 'Required value: must specify a handler type'),
      cause('spec.containers[0].readinessProbe.periodSeconds', 'FieldValueInvalid', 'Invalid value: -1: must be greater than or equal to 0'),
    ]);
  });

  it('allows an image update and refuses any other spec change, naming the updatable fields', async () => {
    const created = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod('update-me', { containers: [{ name: 'c', image: IMAGE }] })).expect(201);
    const withImage = structuredClone(created.body);
    withImage.spec.containers[0].image = 'registry.k8s.io/pause:3.10';
    const updated = await t.api.put(`/api/v1/namespaces/${ns}/pods/update-me`).send(withImage).expect(200);
    const changed = structuredClone(updated.body);
    changed.spec.restartPolicy = 'Never';
    const body = await refused('pods/update-me', changed, 'put');
    expect(body.details.causes).toHaveLength(1);
    expect(body.details.causes[0].field).toBe('spec');
    expect(body.details.causes[0].reason).toBe('FieldValueForbidden');
    expect(body.details.causes[0].message).toContain(
      'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
    );
    // The go-cmp diff of the spec follows, as kube-apiserver prints it (pod-update-diff.test.ts has its details).
    const diff = body.details.causes[0].message.split('\n').slice(1);
    expect(diff[0]).toBe('  core.PodSpec{');
    expect(diff).toContainEqual(expect.stringMatching(/^- \tRestartPolicy: +"Always",$/));
    expect(diff).toContainEqual(expect.stringMatching(/^\+ \tRestartPolicy: +"Never",$/));
    expect(diff).toContainEqual(expect.stringMatching(/^  \t\.\.\. \/\/ \d+ identical fields$/));
    expect(diff.slice(-2)).toEqual(['  }', '']);
    expect(body.message).toContain('spec: Forbidden: pod updates may not change fields other than');
    const command = structuredClone(updated.body);
    command.spec.containers[0].command = ['sleep', '10'];
    const commandDiff = (await refused('pods/update-me', command, 'put')).details.causes[0].message.split('\n');
    expect(commandDiff).toContain('  \tContainers: []core.Container{');
    expect(commandDiff).toContainEqual(expect.stringMatching(/^- \t\t\tCommand: +nil,$/));
    expect(commandDiff).toContainEqual(expect.stringMatching(/^\+ \t\t\tCommand: +\[\]string\{"sleep", "10"\},$/));
    const more = structuredClone(updated.body);
    more.spec.containers.push({ name: 'd', image: IMAGE });
    const added = await refused('pods/update-me', more, 'put');
    expect(added.details.causes).toEqual([cause('spec.containers', 'FieldValueForbidden', 'Forbidden: pod updates may not add or remove containers')]);
  });
});

describe('PodTemplate and ReplicationController validation', () => {
  it('validates a PodTemplate as a pod template', async () => {
    const body = await refused('podtemplates', { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'pt' }, template: { spec: { containers: [{ name: 'c' }] } } });
    expect(body.details.causes).toEqual([cause('template.spec.containers[0].image', 'FieldValueRequired', 'Required value')]);
  });

  it('refuses an RC whose selector does not match its template labels, and negative replicas', async () => {
    const body = await refused('replicationcontrollers', {
      apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' },
      spec: { replicas: -1, selector: { app: 'a' }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: IMAGE }] } } },
    });
    expect(body.details.causes).toEqual([
      cause('spec.replicas', 'FieldValueInvalid', 'Invalid value: -1: must be greater than or equal to 0'),
      cause('spec.template.metadata.labels', 'FieldValueInvalid', 'Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`'),
    ]);
  });

  it('refuses an RC template whose restartPolicy is not Always', async () => {
    const body = await refused('replicationcontrollers', {
      apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc-never' },
      spec: { template: { metadata: { labels: { app: 'a' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: IMAGE }] } } },
    });
    expect(body.details.causes).toEqual([cause('spec.template.spec.restartPolicy', 'FieldValueNotSupported', 'Unsupported value: "Never": supported values: "Always"')]);
  });
});

describe('Service validation', () => {
  const svc = (name: string, spec: Obj): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec });

  it('requires ports unless headless or ExternalName, and names when there are several', async () => {
    let body = await refused('services', svc('noports', { selector: { app: 'a' } }));
    expect(body.details.causes).toEqual([cause('spec.ports', 'FieldValueRequired', 'Required value')]);
    await t.api.post(`/api/v1/namespaces/${ns}/services`).send(svc('headless', { clusterIP: 'None', selector: { app: 'a' } })).expect(201);
    body = await refused('services', svc('twoports', { ports: [{ port: 80 }, { port: 0, protocol: 'ICMP' }] }));
    expect(body.details.causes).toEqual([
      cause('spec.ports[0].name', 'FieldValueRequired', 'Required value'),
      cause('spec.ports[1].name', 'FieldValueRequired', 'Required value'),
      cause('spec.ports[1].port', 'FieldValueInvalid', 'Invalid value: 0: must be between 1 and 65535, inclusive'),
      cause('spec.ports[1].protocol', 'FieldValueNotSupported', 'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'),
      cause('spec.ports[1].targetPort', 'FieldValueInvalid', 'Invalid value: 0: must be between 1 and 65535, inclusive'),
    ]);
  });

  it('refuses an unknown type, an ExternalName without externalName and duplicate ports', async () => {
    let body = await refused('services', svc('badtype', { type: 'Internal', ports: [{ port: 80 }] }));
    expect(body.details.causes).toEqual([cause('spec.type', 'FieldValueNotSupported', 'Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"')]);
    body = await refused('services', svc('noexternal', { type: 'ExternalName' }));
    expect(body.details.causes).toEqual([cause('spec.externalName', 'FieldValueRequired', 'Required value')]);
    body = await refused('services', svc('dupports', { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }));
    expect(body.details.causes).toEqual([
      cause('spec.ports[1]', 'FieldValueDuplicate', 'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'),
    ]);
  });

  it('creates a Service with status {loadBalancer: {}}', async () => {
    const res = await t.api.post(`/api/v1/namespaces/${ns}/services`).send({ ...svc('with-status', { ports: [{ port: 80 }] }), status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } }).expect(201);
    expect(res.body.status).toEqual({ loadBalancer: {} });
  });

  it('refuses a change of clusterIP once set, and a move from None to an address', async () => {
    const created = await t.api.post(`/api/v1/namespaces/${ns}/services`).send(svc('fixed-ip', { clusterIP: '10.96.0.50', ports: [{ port: 80 }] })).expect(201);
    const changed = structuredClone(created.body);
    changed.spec.clusterIP = '10.96.0.51';
    let body = await refused('services/fixed-ip', changed, 'put');
    expect(body.details.causes).toEqual([cause('spec.clusterIPs[0]', 'FieldValueInvalid', 'Invalid value: []string{"10.96.0.51"}: may not change once set')]);
    expect(body.message).toBe('Service "fixed-ip" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.51"}: may not change once set');
    const headless = (await t.api.get(`/api/v1/namespaces/${ns}/services/headless`).expect(200)).body;
    headless.spec.clusterIP = '10.96.0.52';
    headless.spec.ports = [{ port: 80 }];
    body = await refused('services/headless', headless, 'put');
    expect(body.details.causes).toEqual([cause('spec.clusterIPs[0]', 'FieldValueInvalid', 'Invalid value: []string{"10.96.0.52"}: may not change once set')]);
    const relabelled = structuredClone(created.body);
    relabelled.metadata.labels = { tier: 'web' };
    await t.api.put(`/api/v1/namespaces/${ns}/services/fixed-ip`).send(relabelled).expect(200);
  });
});

describe('Endpoints, ResourceQuota and LimitRange validation', () => {
  it('refuses Endpoints with a bad address and port', async () => {
    const body = await refused('endpoints', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'ep' }, subsets: [{ addresses: [{ ip: 'not-an-ip' }], ports: [{ port: 70000 }] }] });
    expect(body.details.causes).toEqual([
      cause('subsets[0].addresses[0].ip', 'FieldValueInvalid', 'Invalid value: "not-an-ip": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'),
      cause('subsets[0].ports[0].port', 'FieldValueInvalid', 'Invalid value: 70000: must be between 1 and 65535, inclusive'),
    ]);
  });

  it('refuses a ResourceQuota with a non-standard resource, a negative quantity and a fractional count', async () => {
    const body = await refused('resourcequotas', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'rq' }, spec: { hard: { widgets: '1', cpu: '-1', pods: '1500m' } } });
    expect(body.details.causes).toEqual([
      cause('spec.hard[widgets]', 'FieldValueInvalid', 'Invalid value: "widgets": must be a standard resource for quota'),
      cause('spec.hard[cpu]', 'FieldValueInvalid', 'Invalid value: "-1": must be greater than or equal to 0'),
      cause('spec.hard[pods]', 'FieldValueInvalid', 'Invalid value: "1500m": must be an integer'),
    ]);
  });

  it('refuses a LimitRange whose min exceeds its max', async () => {
    const body = await refused('limitranges', { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr' }, spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }] } });
    expect(body.details.causes.map((c) => c.message)).toContain('Invalid value: 2: min value 2 is greater than max value 1');
  });
});
