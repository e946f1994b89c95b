/**
 * The built-in OpenAPI definitions and the ajv schemas derived from them: real manifests of
 * the common kinds validate, wrong types are rejected at the right instancePath, and the
 * special wire types (Quantity, IntOrString, Time, []byte, JSONSchemaProps) behave as
 * kube-apiserver decodes them.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { definitionNameFor, definitions, objectSchema, toOpenAPIV3 } from '../../schemas/openapi-definitions';
import type { JSONSchema, KubeObject } from '../../schemas/types';

const CRD = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition';

// One validator per definition, compiled on first use, as the registry is meant to do.
const validators = new Map<string, ValidateFunction>();
function validatorFor(definitionName: string): ValidateFunction {
  let validate = validators.get(definitionName);
  if (!validate) {
    validate = new Ajv().compile(objectSchema(definitionName));
    validators.set(definitionName, validate);
  }
  return validate;
}

/** errorsOf validates obj against the definition of its apiVersion/kind; [] when valid. */
function errorsOf(obj: KubeObject): ErrorObject[] {
  const [group, version] = obj.apiVersion!.includes('/') ? obj.apiVersion!.split('/') : ['', obj.apiVersion!];
  const name = definitionNameFor(group, version, obj.kind!);
  if (!name) throw new Error(`no definition for ${obj.apiVersion} ${obj.kind}`);
  const validate = validatorFor(name);
  return validate(obj) ? [] : (validate.errors ?? []);
}

/** clone returns a deep copy that a test may change. */
function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'shop',
    labels: { app: 'web', tier: 'frontend' },
    annotations: { 'deployment.kubernetes.io/revision': '3' },
  },
  spec: {
    replicas: 3,
    revisionHistoryLimit: 5,
    progressDeadlineSeconds: 600,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend'] }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: 'web', tier: 'frontend' }, annotations: { 'prometheus.io/scrape': 'true' } },
      spec: {
        serviceAccountName: 'web',
        terminationGracePeriodSeconds: 30,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } },
        initContainers: [{ name: 'migrate', image: 'shop/migrate:1.4', command: ['/migrate', '--up'] }],
        containers: [
          {
            name: 'web',
            image: 'nginx:1.27',
            imagePullPolicy: 'IfNotPresent',
            args: ['-g', 'daemon off;'],
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { containerPort: 9090 }],
            env: [
              { name: 'MODE', value: 'production' },
              { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password', optional: false } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
            ],
            envFrom: [{ configMapRef: { name: 'web-config' } }, { prefix: 'S_', secretRef: { name: 'web-secret' } }],
            resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: 1, memory: '1Gi', 'ephemeral-storage': 0.5 } },
            livenessProbe: { httpGet: { path: '/healthz', port: 'http', httpHeaders: [{ name: 'X-Probe', value: '1' }] }, initialDelaySeconds: 10, periodSeconds: 5 },
            readinessProbe: { tcpSocket: { port: 8080 }, failureThreshold: 3 },
            startupProbe: { exec: { command: ['cat', '/tmp/ready'] } },
            lifecycle: { preStop: { exec: { command: ['sleep', '5'] } }, postStart: { httpGet: { path: '/warm', port: 8080 } } },
            volumeMounts: [
              { name: 'config', mountPath: '/etc/web', readOnly: true },
              { name: 'cache', mountPath: '/var/cache/nginx' },
            ],
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          },
        ],
        volumes: [
          { name: 'config', configMap: { name: 'web-config', items: [{ key: 'nginx.conf', path: 'nginx.conf', mode: 0o444 }], defaultMode: 420 } },
          { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '128Mi' } },
          { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600, audience: 'api' } }] } },
          { name: 'data', persistentVolumeClaim: { claimName: 'web-data' } },
        ],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }],
            },
          },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } } },
            ],
          },
        },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule', tolerationSeconds: 60 }],
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        imagePullSecrets: [{ name: 'registry' }],
      },
    },
  },
};

const statefulSet: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'db' },
  spec: {
    serviceName: 'db',
    replicas: 3,
    podManagementPolicy: 'Parallel',
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: '50%' } },
    selector: { matchLabels: { app: 'db' } },
    template: {
      metadata: { labels: { app: 'db' } },
      spec: { containers: [{ name: 'pg', image: 'postgres:17', volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql' }] }] },
    },
    volumeClaimTemplates: [
      {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } },
      },
    ],
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
  },
};

const job: KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'pi' },
  spec: {
    backoffLimit: 4,
    completions: 5,
    parallelism: 2,
    ttlSecondsAfterFinished: 100,
    podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)'] }] } },
  },
};

const cronJob: KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'hello' },
  spec: {
    schedule: '*/5 * * * *',
    timeZone: 'Etc/UTC',
    concurrencyPolicy: 'Forbid',
    successfulJobsHistoryLimit: 3,
    jobTemplate: {
      spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox:1.36', args: ['date'] }] } } },
    },
  },
};

const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web' },
  spec: {
    type: 'NodePort',
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'metrics', port: 9090, targetPort: 9090, nodePort: 30090 },
    ],
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    ipFamilyPolicy: 'SingleStack',
  },
};

const configMap: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'web-config' },
  data: { 'nginx.conf': 'events {}\nhttp { server { listen 8080; } }\n', MODE: 'production' },
  binaryData: { 'logo.png': 'iVBORw0KGgo=' },
};

const secret: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db' },
  type: 'Opaque',
  data: { password: 'czNjcjN0', username: 'YWRtaW4=' },
  stringData: { host: 'db.shop.svc' },
};

const crd: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'], categories: ['all'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        additionalPrinterColumns: [{ name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            required: ['spec'],
            properties: {
              spec: {
                type: 'object',
                properties: {
                  cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' },
                  image: { type: 'string', default: 'busybox' },
                  replicas: { type: 'integer', minimum: 1, maximum: 10 },
                  port: { 'x-kubernetes-int-or-string': true },
                  tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                  env: {
                    type: 'array',
                    items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' } } },
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name'],
                  },
                  mode: { type: 'string', enum: ['fast', 'slow', null], nullable: true },
                  extra: { type: 'object', additionalProperties: { type: 'string' } },
                  open: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
                'x-kubernetes-validations': [{ rule: 'self.replicas <= 10', message: 'too many' }],
              },
              status: { type: 'object', additionalProperties: true },
            },
          },
        },
      },
    ],
  },
};

const ingress: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/' } },
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
            { path: '/api', pathType: 'ImplementationSpecific', backend: { service: { name: 'api', port: { name: 'http' } } } },
          ],
        },
      },
    ],
  },
};

const hpa: KubeObject = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: 100 } } },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] } },
  },
};

const role: KubeObject = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name: 'pod-reader', namespace: 'shop' },
  rules: [
    { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'], verbs: ['patch'] },
  ],
};

describe('ajv schemas of built-in kinds', () => {
  it.each([
    ['a Deployment with probes, resources, env, volumes and affinity', deployment],
    ['a StatefulSet with volumeClaimTemplates', statefulSet],
    ['a Job', job],
    ['a CronJob', cronJob],
    ['a Service with named and numbered targetPorts', service],
    ['a ConfigMap with data and binaryData', configMap],
    ['a Secret with base64 data', secret],
    ['a CustomResourceDefinition with a nested openAPIV3Schema', crd],
    ['an Ingress', ingress],
    ['an autoscaling/v2 HorizontalPodAutoscaler', hpa],
    ['a Role', role],
  ])('should accept %s', (_what, obj) => {
    expect(errorsOf(obj)).toEqual([]);
  });

  it('should accept unknown fields anywhere (unknown-field handling is not the schema\'s job)', () => {
    const obj = clone(deployment) as any;
    obj.spec.surprise = { nested: true };
    obj.metadata.unknownMeta = 1;
    obj.spec.template.spec.containers[0].notAField = 'x';
    expect(errorsOf(obj)).toEqual([]);
  });

  it('should accept null where a value is typed, as the Go decoder does (kubectl --dry-run -o yaml output)', () => {
    const obj: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', creationTimestamp: null as unknown as string, labels: { app: 'web' } },
      spec: {
        replicas: null,
        selector: { matchLabels: { app: 'web' } },
        strategy: {},
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {}, ports: null }] },
        },
      },
      status: {},
    };
    expect(errorsOf(obj)).toEqual([]);
  });

  it('should accept metadata that the server sets: timestamps, ownerReferences, managedFields', () => {
    const obj = clone(configMap);
    obj.metadata = {
      ...obj.metadata,
      uid: 'f1c0e4d2-5b8e-4d0c-9a55-8f7a1b2c3d4e',
      resourceVersion: '42',
      generation: 1,
      creationTimestamp: '2025-01-02T03:04:05Z',
      deletionTimestamp: '2025-01-02T03:04:05.123456+02:00',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u1', controller: true }],
      managedFields: [
        { manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: '2025-01-02T03:04:05Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:MODE': {} } } },
      ],
    };
    expect(errorsOf(obj)).toEqual([]);
  });

  describe('Quantity and IntOrString fields', () => {
    it.each([['500m'], ['1Gi'], [2], [0.5], ['1e3']])('should accept %p as a cpu quantity', (cpu) => {
      const obj = clone(deployment) as any;
      obj.spec.template.spec.containers[0].resources = { requests: { cpu }, limits: { cpu } };
      expect(errorsOf(obj)).toEqual([]);
    });

    it.each([[80], ['http']])('should accept %p as a Service targetPort', (targetPort) => {
      const obj = clone(service) as any;
      obj.spec.ports[0].targetPort = targetPort;
      expect(errorsOf(obj)).toEqual([]);
    });

    it.each([[80.5], [true], [{ port: 80 }]])('should reject %p as a Service targetPort', (targetPort) => {
      const obj = clone(service) as any;
      obj.spec.ports[0].targetPort = targetPort;
      expect(errorsOf(obj).map((e) => e.instancePath)).toContain('/spec/ports/0/targetPort');
    });

    it('should reject a quantity that is neither string nor number', () => {
      const obj = clone(statefulSet) as any;
      obj.spec.volumeClaimTemplates[0].spec.resources.requests.storage = ['10Gi'];
      expect(errorsOf(obj).map((e) => e.instancePath)).toContain('/spec/volumeClaimTemplates/0/spec/resources/requests/storage');
    });
  });

  // Each case: what to break, the object, the change, and the instancePath ajv must report.
  const wrongTypes: Array<[string, KubeObject, (o: any) => void, string]> = [
    ['spec.replicas as a string', deployment, (o) => { o.spec.replicas = 'three'; }, '/spec/replicas'],
    ['spec.replicas beyond int32', deployment, (o) => { o.spec.replicas = 3_000_000_000; }, '/spec/replicas'],
    ['spec.replicas as a fraction', deployment, (o) => { o.spec.replicas = 1.5; }, '/spec/replicas'],
    ['containers as an object', deployment, (o) => { o.spec.template.spec.containers = {}; }, '/spec/template/spec/containers'],
    ['a label value as a number', deployment, (o) => { o.metadata.labels = { a: 1 }; }, '/metadata/labels/a'],
    ['a pod template annotation as a boolean', deployment, (o) => { o.spec.template.metadata.annotations.x = true; }, '/spec/template/metadata/annotations/x'],
    ['containerPort as a string', deployment, (o) => { o.spec.template.spec.containers[0].ports[0].containerPort = '8080'; }, '/spec/template/spec/containers/0/ports/0/containerPort'],
    ['a resource limit as a boolean', deployment, (o) => { o.spec.template.spec.containers[0].resources.limits.cpu = true; }, '/spec/template/spec/containers/0/resources/limits/cpu'],
    ['env as a map', deployment, (o) => { o.spec.template.spec.containers[0].env = { MODE: 'x' }; }, '/spec/template/spec/containers/0/env'],
    ['command as a string', deployment, (o) => { o.spec.template.spec.initContainers[0].command = '/migrate --up'; }, '/spec/template/spec/initContainers/0/command'],
    ['a probe port as a list', deployment, (o) => { o.spec.template.spec.containers[0].readinessProbe.tcpSocket.port = [8080]; }, '/spec/template/spec/containers/0/readinessProbe/tcpSocket/port'],
    ['maxUnavailable as a boolean', deployment, (o) => { o.spec.strategy.rollingUpdate.maxUnavailable = false; }, '/spec/strategy/rollingUpdate/maxUnavailable'],
    ['a toleration as a string', deployment, (o) => { o.spec.template.spec.tolerations = ['dedicated=web']; }, '/spec/template/spec/tolerations/0'],
    ['creationTimestamp that is not RFC 3339', deployment, (o) => { o.metadata.creationTimestamp = 'yesterday'; }, '/metadata/creationTimestamp'],
    ['volumeClaimTemplates as an object', statefulSet, (o) => { o.spec.volumeClaimTemplates = { data: {} }; }, '/spec/volumeClaimTemplates'],
    ['Job backoffLimit as a string', job, (o) => { o.spec.backoffLimit = '4'; }, '/spec/backoffLimit'],
    ['CronJob suspend as a string', cronJob, (o) => { o.spec.suspend = 'yes'; }, '/spec/suspend'],
    ['Service selector value as a list', service, (o) => { o.spec.selector = { app: ['web'] }; }, '/spec/selector/app'],
    ['ConfigMap data value as a number', configMap, (o) => { o.data.PORT = 8080; }, '/data/PORT'],
    ['Secret data that is not base64', secret, (o) => { o.data.password = 'not base64!'; }, '/data/password'],
    ['CRD schema type as a number', crd, (o) => { o.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.replicas.type = 5; }, '/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/replicas/type'],
    ['CRD schema items as a string', crd, (o) => { o.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.tags.items = 'string'; }, '/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/tags/items'],
    ['CRD schema required as a string', crd, (o) => { o.spec.versions[0].schema.openAPIV3Schema.required = 'spec'; }, '/spec/versions/0/schema/openAPIV3Schema/required'],
    ['CRD served as a string', crd, (o) => { o.spec.versions[0].served = 'true'; }, '/spec/versions/0/served'],
    ['Ingress backend port number as a string', ingress, (o) => { o.spec.rules[0].http.paths[0].backend.service.port.number = '80'; }, '/spec/rules/0/http/paths/0/backend/service/port/number'],
    ['HPA averageUtilization as a string', hpa, (o) => { o.spec.metrics[0].resource.target.averageUtilization = '60'; }, '/spec/metrics/0/resource/target/averageUtilization'],
    ['HPA averageValue as an object', hpa, (o) => { o.spec.metrics[1].resource.target.averageValue = { value: '500Mi' }; }, '/spec/metrics/1/resource/target/averageValue'],
    ['Role verbs as a string', role, (o) => { o.rules[0].verbs = 'get'; }, '/rules/0/verbs'],
  ];

  it.each(wrongTypes)('should reject %s', (_what, obj, change, instancePath) => {
    const broken = clone(obj);
    change(broken);
    expect(errorsOf(broken).map((e) => e.instancePath)).toContain(instancePath);
  });

  it('should report a missing required field on its parent, naming the property', () => {
    const obj = clone(deployment) as any;
    delete obj.spec.selector;
    expect(errorsOf(obj)).toContainEqual(expect.objectContaining({
      instancePath: '/spec', keyword: 'required', params: { missingProperty: 'selector' },
    }));
  });

  it('should check types only when asked to drop required lists', () => {
    const validate = new Ajv().compile(objectSchema('io.k8s.api.apps.v1.Deployment', { required: false }));
    expect(validate({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: { spec: { containers: [{}] } } } })).toBe(true);
    expect(validate({ spec: { replicas: 'three' } })).toBe(false);
  });
});

describe('objectSchema', () => {
  it('should compile with the default ajv options without strict-mode warnings', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      for (const name of ['io.k8s.api.core.v1.Pod', 'io.k8s.api.batch.v1.CronJob', CRD]) new Ajv().compile(objectSchema(name));
      expect(warn).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });

  it('should hold exactly the transitive closure of referenced definitions', () => {
    const schema = objectSchema('io.k8s.api.core.v1.ConfigMap');
    expect(Object.keys(schema.definitions as object).sort()).toEqual([
      'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
    ]);
    const pod = JSON.stringify(objectSchema('io.k8s.api.core.v1.Pod'));
    expect(pod).not.toContain('io.k8s.api.apps.');
    for (const ref of pod.match(/"#\/definitions\/[^"]+"/g) ?? []) {
      expect(Object.keys(JSON.parse(pod).definitions)).toContain(ref.slice('"#/definitions/'.length, -1));
    }
  });

  it('should keep the root in definitions only when it refers to itself', () => {
    const props = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps';
    expect(Object.keys(objectSchema(props).definitions as object)).toContain(props);
    expect(Object.keys(objectSchema('io.k8s.api.core.v1.Pod').definitions as object)).not.toContain('io.k8s.api.core.v1.Pod');
  });

  it('should throw for an unknown definition', () => {
    expect(() => objectSchema('io.k8s.api.apps.v1.Nope')).toThrow(/unknown OpenAPI definition/);
  });

  it('should compile each kind on its own into a validator that refuses a wrongly typed field', () => {
    for (const name of ['io.k8s.api.core.v1.Pod', 'io.k8s.api.apps.v1.Deployment', CRD]) {
      const validate = new Ajv({ allErrors: true }).compile(objectSchema(name));
      expect(validate({ metadata: { name: 7 } })).toBe(false);
      expect(validate.errors?.map((e) => e.instancePath)).toContain('/metadata/name');
    }
    expect(new Ajv().compile(objectSchema('io.k8s.api.core.v1.Pod'))({ metadata: { name: 'x' } })).toBe(true);
  });
});

describe('definitions', () => {
  it('should be keyed by the OpenAPI names kube-apiserver publishes', () => {
    for (const name of [
      'io.k8s.api.apps.v1.DeploymentSpec',
      'io.k8s.api.core.v1.PodSpec',
      'io.k8s.api.core.v1.Event',
      'io.k8s.api.events.v1.Event',
      'io.k8s.api.rbac.v1.Subject',
      'io.k8s.api.flowcontrol.v1.Subject',
      'io.k8s.api.autoscaling.v1.Scale',
      'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
      'io.k8s.api.policy.v1.Eviction',
      'io.k8s.api.authentication.v1.TokenRequest',
      'io.k8s.api.storage.v1.TokenRequest',
      'io.k8s.api.core.v1.TopologySelectorTerm',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.api.resource.Quantity',
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
      'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
      'io.k8s.apimachinery.pkg.runtime.RawExtension',
      'io.k8s.apimachinery.pkg.version.Info',
      'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps',
      'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService',
      'io.k8s.api.apiserverinternal.v1alpha1.StorageVersion',
    ]) {
      expect(definitions).toHaveProperty([name]);
    }
    expect(definitions['io.k8s.api.apps.v1.Scale']).toBeUndefined();
  });

  it('should behave as a plain read-only object: keys, spread and JSON', () => {
    const copy = { ...definitions };
    expect(Object.keys(copy)).toEqual(Object.keys(definitions));
    expect(Object.keys(copy).length).toBeGreaterThan(600);
    expect(JSON.parse(JSON.stringify(definitions))).toEqual(copy);
    expect(() => { (definitions as Record<string, JSONSchema>).extra = {}; }).toThrow(TypeError);
  });

  it('should resolve every reference', () => {
    for (const [name, schema] of Object.entries(definitions)) {
      for (const ref of JSON.stringify(schema).match(/"#\/definitions\/[^"]+"/g) ?? []) {
        expect([name, ref.slice('"#/definitions/'.length, -1) in definitions]).toEqual([name, true]);
      }
    }
  });

  it('should describe the special wire types as kube-apiserver does', () => {
    expect(definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({
      type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true,
    });
    expect(definitions['io.k8s.apimachinery.pkg.api.resource.Quantity']).toMatchObject({ type: 'string', format: 'quantity' });
    expect(definitions['io.k8s.apimachinery.pkg.apis.meta.v1.Time']).toMatchObject({ type: 'string', format: 'date-time' });
    expect(definitions['io.k8s.apimachinery.pkg.runtime.RawExtension']).toMatchObject({ type: 'object' });
    const secretData = (definitions['io.k8s.api.core.v1.Secret'].properties as Record<string, JSONSchema>).data;
    expect(secretData).toMatchObject({ type: 'object', additionalProperties: { type: 'string', format: 'byte' } });
    const limits = (definitions['io.k8s.api.core.v1.ResourceRequirements'].properties as Record<string, JSONSchema>).limits;
    expect(limits.additionalProperties).toEqual({ $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' });
    const props = definitions['io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps'].properties as Record<string, JSONSchema>;
    expect(props.properties.additionalProperties).toEqual({ $ref: '#/definitions/io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps' });
    expect(props).toHaveProperty(['x-kubernetes-int-or-string', 'type'], 'boolean');
    expect(props).toHaveProperty(['$ref', 'type'], 'string');
  });

  it('should carry descriptions and required lists for kubectl explain', () => {
    const spec = definitions['io.k8s.api.apps.v1.DeploymentSpec'];
    expect(spec.description).toMatch(/^DeploymentSpec is the specification/);
    expect(spec.required).toEqual(['selector', 'template']);
    expect(spec.properties).toHaveProperty(['strategy', '$ref'], '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy');
    const strategy = definitions['io.k8s.api.apps.v1.DeploymentStrategy'];
    expect(strategy.description).toMatch(/replace existing pods/);
    expect((strategy.properties as Record<string, JSONSchema>).type.description).toMatch(/RollingUpdate/);
    expect(definitions['io.k8s.api.apps.v1.RollingUpdateDeployment'].properties).toHaveProperty(['maxSurge', 'description'], expect.stringMatching(/^The maximum number of pods that can be scheduled above/));
    expect(definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].description).toMatch(/^IntOrString is/);
  });

  it('should carry kube\'s own description on fields that refer to another definition', () => {
    // kubectl explain deployment.spec.template prints the field's text, not PodTemplateSpec's.
    expect(definitions['io.k8s.api.apps.v1.DeploymentSpec'].properties).toHaveProperty('template', {
      description: 'Template describes the pods that will be created. The only allowed template.spec.restartPolicy value is "Always".',
      $ref: '#/definitions/io.k8s.api.core.v1.PodTemplateSpec',
    });
    expect(definitions['io.k8s.api.apps.v1.Deployment'].properties).toHaveProperty(['metadata', 'description'], "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata");
    expect(definitions['io.k8s.api.core.v1.Namespace'].properties).toHaveProperty(['spec', 'description'], 'Spec defines the behavior of the Namespace. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status');
  });

  it('should mark top-level kinds with x-kubernetes-group-version-kind', () => {
    expect(definitions['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    expect(definitions['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
    expect(definitions['io.k8s.api.apps.v1.DeploymentSpec']['x-kubernetes-group-version-kind']).toBeUndefined();
  });
});

describe('definitionNameFor', () => {
  it.each([
    ['apps', 'v1', 'Deployment', 'io.k8s.api.apps.v1.Deployment'],
    ['', 'v1', 'Pod', 'io.k8s.api.core.v1.Pod'],
    ['', 'v1', 'Event', 'io.k8s.api.core.v1.Event'],
    ['events.k8s.io', 'v1', 'Event', 'io.k8s.api.events.v1.Event'],
    ['autoscaling', 'v1', 'Scale', 'io.k8s.api.autoscaling.v1.Scale'],
    ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler'],
    ['policy', 'v1', 'Eviction', 'io.k8s.api.policy.v1.Eviction'],
    ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', CRD],
    ['apiregistration.k8s.io', 'v1', 'APIService', 'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService'],
    ['apps', 'v1', 'DeploymentList', 'io.k8s.api.apps.v1.DeploymentList'],
    ['apps', 'v1', 'DeleteOptions', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
    ['', 'v1', 'Status', 'io.k8s.apimachinery.pkg.apis.meta.v1.Status'],
  ])('should name %p %p %p as %s', (group, version, kind, expected) => {
    expect(definitionNameFor(group, version, kind)).toBe(expected);
  });

  it('should answer undefined for kinds that are not built in', () => {
    expect(definitionNameFor('stable.example.com', 'v1', 'CronTab')).toBeUndefined();
    expect(definitionNameFor('apps', 'v1beta1', 'Deployment')).toBeUndefined();
  });
});

describe('toOpenAPIV3', () => {
  it('should point references at components/schemas and wrap described references in allOf', () => {
    const entry = toOpenAPIV3('io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry');
    const time = (entry.properties as Record<string, JSONSchema>).time;
    expect(time.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time' }]);
    expect(time.description).toMatch(/ManagedFields entry was added/);
    const spec = toOpenAPIV3('io.k8s.api.apps.v1.DeploymentSpec');
    expect((spec.properties as Record<string, JSONSchema>).selector).toEqual({
      description: expect.stringMatching(/^Label selector for pods/),
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector' }],
    });
    const list = toOpenAPIV3('io.k8s.api.core.v1.PodList');
    expect((list.properties as Record<string, JSONSchema>).items).toEqual(expect.objectContaining({ items: { $ref: '#/components/schemas/io.k8s.api.core.v1.Pod' } }));
  });

  it('should declare both JSON types of IntOrString and Quantity', () => {
    expect(toOpenAPIV3('io.k8s.apimachinery.pkg.util.intstr.IntOrString')).toMatchObject({
      oneOf: [{ type: 'integer' }, { type: 'string' }], format: 'int-or-string', 'x-kubernetes-int-or-string': true,
    });
    expect(toOpenAPIV3('io.k8s.apimachinery.pkg.api.resource.Quantity')).toMatchObject({
      oneOf: [{ type: 'string' }, { type: 'number' }], format: 'quantity',
    });
    expect(toOpenAPIV3('io.k8s.apimachinery.pkg.api.resource.Quantity')).not.toHaveProperty('type');
  });
});
