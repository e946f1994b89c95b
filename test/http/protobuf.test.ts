/**
 * The Kubernetes protobuf codec (application/vnd.kubernetes.protobuf): bodies the real kubectl
 * sends decode to the JSON kubectl would have sent, objects survive encode-then-decode, and
 * malformed bytes fail with ProtobufError and nothing else.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  PROTOBUF_MAGIC,
  ProtobufError,
  ProtobufUnsupportedKindError,
  decodeProtobufObject,
  encodeProtobufObject,
  hasProtobufMessage,
  isProtobuf,
} from '../../server/http/protobuf';
import { KUBECTL_CAPTURES } from './fixtures/kubectl-protobuf';

const run = promisify(execFile);

// Hand-assembled wire bytes, independent of the codec under test.
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
function lenField(number: number, payload: Buffer | string): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([varint(number * 8 + 2), varint(bytes.length), bytes]);
}
function varintField(number: number, value: number): Buffer {
  return Buffer.concat([varint(number * 8), varint(value)]);
}
function envelope(apiVersion: string, kind: string, raw: Buffer, contentEncoding = ''): Buffer {
  const typeMeta = Buffer.concat([lenField(1, apiVersion), lenField(2, kind)]);
  return Buffer.concat([PROTOBUF_MAGIC, lenField(1, typeMeta), lenField(2, raw), lenField(3, contentEncoding), lenField(4, '')]);
}

/** roundTrip encodes and decodes an object and expects it back unchanged. */
function expectRoundTrip(obj: Record<string, unknown>): Buffer {
  const body = encodeProtobufObject(obj);
  expect(body.subarray(0, 4)).toEqual(Buffer.from('k8s\0', 'latin1'));
  expect(decodeProtobufObject(body)).toEqual(obj);
  // The Go-shaped encoding (every non-pointer field written) decodes to the same object too,
  // up to the empty structs Go always writes.
  const goShaped = decodeProtobufObject(encodeProtobufObject(obj, undefined, { emitZeroValues: true }));
  expect(goShaped).toMatchObject(obj);
  return body;
}

function expectProtobufError(body: Buffer, message?: RegExp, definitionName?: string): void {
  let caught: unknown;
  try {
    decodeProtobufObject(body, definitionName);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtobufError);
  if (message) expect((caught as Error).message).toMatch(message);
}

/** withoutNulls drops the nulls Go's JSON writes for zero times and nil slices. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
}

describe('isProtobuf', () => {
  it('recognises the Kubernetes protobuf media type with or without parameters', () => {
    expect(isProtobuf('application/vnd.kubernetes.protobuf')).toBe(true);
    expect(isProtobuf('Application/VND.Kubernetes.Protobuf; charset=binary')).toBe(true);
    expect(isProtobuf('application/vnd.kubernetes.protobuf;stream=watch')).toBe(true);
    expect(isProtobuf('application/json')).toBe(false);
    expect(isProtobuf('application/vnd.kubernetes.protobuf-x')).toBe(false);
    expect(isProtobuf(undefined)).toBe(false);
  });
});

describe('bodies recorded from kubectl 1.32', () => {
  it.each(Object.entries(KUBECTL_CAPTURES))('%s decodes to the JSON kubectl would send', (_name, capture) => {
    expect(decodeProtobufObject(Buffer.from(capture.body, 'base64'))).toEqual(capture.json);
  });

  it.each(Object.entries(KUBECTL_CAPTURES))('%s re-encodes byte for byte in the Go shape', (_name, capture) => {
    const body = Buffer.from(capture.body, 'base64');
    expect(encodeProtobufObject(capture.json, undefined, { emitZeroValues: true }).toString('hex')).toBe(body.toString('hex'));
  });

  it('keeps a pointer field that is zero (replicas: 0) and drops zero non-pointer omitempty fields', () => {
    const deployment = decodeProtobufObject(Buffer.from(KUBECTL_CAPTURES['deployment-zero'].body, 'base64'));
    expect((deployment.spec as Record<string, unknown>).replicas).toBe(0);
    // kubectl wrote namespace "", uid "", generation 0 and an empty creationTimestamp on the wire
    expect(deployment.metadata).toEqual({ name: 'idle', labels: { app: 'idle' } });
  });

  it('decodes IntOrString as a number or a string and []byte as base64', () => {
    const service = decodeProtobufObject(Buffer.from(KUBECTL_CAPTURES.service.body, 'base64'));
    expect((service.spec as { ports: Array<{ targetPort: unknown }> }).ports[0].targetPort).toBe(8080);
    const pdb = decodeProtobufObject(Buffer.from(KUBECTL_CAPTURES.pdb.body, 'base64'));
    expect((pdb.spec as { minAvailable: unknown }).minAvailable).toBe('50%');
    const configMap = decodeProtobufObject(Buffer.from(KUBECTL_CAPTURES.configmap.body, 'base64'));
    expect(Buffer.from((configMap.binaryData as Record<string, string>).blob, 'base64')).toEqual(Buffer.from('\xff\x00\x01binary', 'latin1'));
  });
});

describe('encode then decode gives the object back', () => {
  it('a ConfigMap with data, binaryData, unicode and immutable: false', () => {
    expectRoundTrip({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app', namespace: 'shop', labels: { app: 'web', tier: 'front' }, annotations: { 'example.com/note': 'ünïcode ✓ 🚀' } },
      data: { 'app.properties': 'a=1\nb=2\n', empty: '' },
      binaryData: { 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe]).toString('base64') },
      immutable: false,
    });
  });

  it('a map key that is also an Object.prototype name stays a key', () => {
    const data = JSON.parse('{"__proto__": "p", "constructor": "c", "toString": "t"}') as Record<string, string>;
    const decoded = decodeProtobufObject(encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data }));
    expect(Object.keys(decoded.data as object)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(decoded.data)).toBe(Object.prototype);
  });

  it('a ConfigMap encodes to the bytes the wire format prescribes', () => {
    const body = encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } });
    const raw = Buffer.concat([lenField(1, lenField(1, 'x')), lenField(2, Buffer.concat([lenField(1, 'a'), lenField(2, 'b')]))]);
    expect(body.toString('hex')).toBe(envelope('v1', 'ConfigMap', raw).toString('hex'));
  });

  it('a Secret whose data is arbitrary bytes', () => {
    const bytes = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) bytes[i] = i;
    expectRoundTrip({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'shop' },
      type: 'Opaque',
      data: { password: Buffer.from('hunter2').toString('base64'), blob: bytes.toString('base64'), empty: '' },
    });
  });

  it('a Deployment with resources, probes, env, volumes, security contexts and metadata', () => {
    expectRoundTrip({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: '6f1f6f2e-1111-4a3b-9c1d-2e3f4a5b6c7d',
        resourceVersion: '42',
        generation: 3,
        creationTimestamp: '2024-05-01T12:34:56Z',
        labels: { app: 'web' },
        finalizers: ['example.com/keep'],
        ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Site', name: 'site', uid: 'u-1', controller: true, blockOwnerDeletion: false }],
        managedFields: [
          {
            manager: 'kubectl-client-side-apply',
            operation: 'Update',
            apiVersion: 'apps/v1',
            time: '2024-05-01T12:34:56Z',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } } } },
          },
        ],
      },
      spec: {
        replicas: 0,
        revisionHistoryLimit: 5,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
        template: {
          metadata: { labels: { app: 'web' }, annotations: { 'example.com/restartedAt': '2024-05-01T12:00:00Z' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            automountServiceAccountToken: false,
            priority: -5,
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            securityContext: { runAsUser: 0, runAsNonRoot: false, fsGroup: 2000, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
            containers: [
              {
                name: 'web',
                image: 'nginx:1.27',
                command: ['nginx'],
                args: ['-g', 'daemon off;'],
                ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
                env: [
                  { name: 'MODE', value: 'prod' },
                  { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
                  { name: 'CPU', valueFrom: { resourceFieldRef: { containerName: 'web', resource: 'limits.cpu', divisor: '1m' } } },
                  { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password', optional: false } } },
                ],
                envFrom: [{ configMapRef: { name: 'app' }, prefix: 'APP_' }],
                resources: {
                  requests: { cpu: '250m', memory: '64Mi' },
                  limits: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1', 'ephemeral-storage': '1.5G' },
                },
                livenessProbe: {
                  httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] },
                  initialDelaySeconds: 5,
                  periodSeconds: 10,
                  failureThreshold: 3,
                  terminationGracePeriodSeconds: -1,
                },
                readinessProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 2 },
                startupProbe: { exec: { command: ['cat', '/tmp/ready'] } },
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                volumeMounts: [
                  { name: 'cfg', mountPath: '/etc/cfg', readOnly: true },
                  { name: 'scratch', mountPath: '/tmp' },
                ],
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              },
            ],
            volumes: [
              { name: 'cfg', configMap: { name: 'app', defaultMode: 420, items: [{ key: 'a', path: 'a.txt' }] } },
              { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '128Mi' } },
              { name: 'db', secret: { secretName: 'db', optional: true } },
              { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } },
            ],
            tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }],
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } } },
                ],
              },
            },
          },
        },
      },
      status: {
        replicas: 3,
        readyReplicas: 3,
        conditions: [
          {
            type: 'Available',
            status: 'True',
            lastUpdateTime: '2024-05-01T12:35:00Z',
            lastTransitionTime: '2024-05-01T12:35:00Z',
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
          },
        ],
      },
    });
  });

  it('a Service with named and numbered target ports', () => {
    expectRoundTrip({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        type: 'ClusterIP',
        selector: { app: 'web' },
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' },
          { name: 'metrics', port: 9090, targetPort: 9091, appProtocol: 'http' },
        ],
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        sessionAffinity: 'None',
        internalTrafficPolicy: 'Cluster',
        publishNotReadyAddresses: true,
      },
      status: { loadBalancer: {} },
    });
  });

  it('a Namespace', () => {
    expectRoundTrip({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  });

  it('a Job with zero-valued pointers and a pod failure policy', () => {
    expectRoundTrip({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi', namespace: 'shop' },
      spec: {
        parallelism: 2,
        completions: 4,
        backoffLimit: 0,
        activeDeadlineSeconds: 600,
        ttlSecondsAfterFinished: 0,
        completionMode: 'Indexed',
        suspend: false,
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 42] } }] },
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34', command: ['perl', '-e', 'print 1'] }] } },
      },
      status: { startTime: '2024-05-01T12:00:00Z', active: 1, uncountedTerminatedPods: {} },
    });
  });

  it('a Role', () => {
    expectRoundTrip({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'reader', namespace: 'shop' },
      rules: [
        { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] },
        { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'], verbs: ['*'] },
      ],
    });
  });

  it('a CustomResourceDefinition with every JSONSchemaProps union and x-kubernetes-* name', () => {
    expectRoundTrip({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'], categories: ['all'] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
            additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    required: ['size'],
                    'x-kubernetes-validations': [{ rule: 'self.size < 100', message: 'too big' }],
                    properties: {
                      size: { type: 'integer', minimum: 1, maximum: 10.5, default: 3 },
                      mode: { type: 'string', enum: ['fast', 'slow', null], pattern: '^[a-z]+$', default: 'fast' },
                      tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                      pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
                      labels: { type: 'object', additionalProperties: { type: 'string' } },
                      closed: { type: 'object', additionalProperties: false },
                      open: { type: 'object', additionalProperties: true },
                      anything: { 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-int-or-string': true },
                      linked: { $ref: '#/definitions/x', $schema: 'http://json-schema.org/draft-04/schema#', example: { a: [1, 'two'] } },
                      deps: { type: 'object', dependencies: { a: ['b', 'c'], d: { required: ['e'] } } },
                    },
                  },
                },
              },
            },
          },
        ],
        conversion: { strategy: 'None' },
      },
    });
  });

  it('events.k8s.io Events and Leases with MicroTime', () => {
    expectRoundTrip({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'web.17c', namespace: 'shop' },
      eventTime: '2024-05-01T12:34:56.123456Z',
      series: { count: 2, lastObservedTime: '2024-05-01T12:35:00.000001Z' },
      reportingController: 'nodeless/scheduler',
      reportingInstance: 'nodeless-0',
      action: 'Scheduling',
      reason: 'Scheduled',
      regarding: { kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'u-2', apiVersion: 'v1', resourceVersion: '7', fieldPath: 'spec.containers{web}' },
      note: 'assigned to an instance',
      type: 'Normal',
      deprecatedFirstTimestamp: '2024-05-01T12:34:56Z',
      deprecatedCount: 2,
    });
    expectRoundTrip({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'scheduler', namespace: 'kube-system' },
      spec: { holderIdentity: 'nodeless-0', leaseDurationSeconds: 15, acquireTime: '2024-05-01T12:00:00.000000Z', renewTime: '2024-05-01T12:34:56.500000Z', leaseTransitions: 0 },
    });
  });

  it('RawExtension, []byte and ExtraValue fields', () => {
    expectRoundTrip({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'web-7d9', namespace: 'shop' },
      data: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } }, note: null, n: 1.5 },
      revision: 2,
    });
    expectRoundTrip({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'alice' },
      spec: {
        request: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\n...').toString('base64'),
        signerName: 'kubernetes.io/kube-apiserver-client',
        usages: ['client auth'],
        expirationSeconds: 86400,
        username: 'alice',
        groups: ['system:authenticated'],
        extra: { scopes: ['read', 'write'], empty: [] },
      },
      status: {
        certificate: Buffer.from([1, 2, 3]).toString('base64'),
        conditions: [{ type: 'Approved', status: 'True', reason: 'ok', lastUpdateTime: '2024-05-01T12:00:00Z' }],
      },
    });
    expectRoundTrip({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'policy' },
      webhooks: [
        {
          name: 'policy.example.com',
          clientConfig: { service: { namespace: 'system', name: 'policy', path: '/validate', port: 443 }, caBundle: Buffer.from('ca').toString('base64') },
          rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'], scope: 'Namespaced' }],
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
        },
      ],
    });
  });

  it('inlined structs: PersistentVolume sources, Ingress rules, ephemeral containers', () => {
    expectRoundTrip({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'data' },
      spec: {
        capacity: { storage: '10Gi' },
        hostPath: { path: '/data', type: 'DirectoryOrCreate' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        claimRef: { namespace: 'shop', name: 'data' },
      },
    });
    expectRoundTrip({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'shop' },
      spec: {
        containers: [{ name: 'web', image: 'nginx' }],
        ephemeralContainers: [{ name: 'debug', image: 'busybox', stdin: true, tty: true, targetContainerName: 'web' }],
        imagePullSecrets: [{ name: 'registry' }],
      },
      status: { phase: 'Running', podIP: '10.0.0.7', startTime: '2024-05-01T12:00:00Z', containerStatuses: [{ name: 'web', ready: true, restartCount: 0, image: 'nginx', imageID: '', started: true, state: { running: { startedAt: '2024-05-01T12:00:01Z' } } }] },
    });
  });

  it('the autoscaling/v1 Scale subresource body and a meta/v1 Status', () => {
    expectRoundTrip({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 5 }, status: { replicas: 3, selector: 'app=web' } });
    expectRoundTrip({
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "x" not found',
      reason: 'NotFound',
      details: { name: 'x', kind: 'configmaps', causes: [{ reason: 'FieldValueInvalid', message: 'bad', field: 'data' }] },
      code: 404,
    });
  });

  it('a List type decodes its items without apiVersion and kind', () => {
    expectRoundTrip({
      apiVersion: 'v1',
      kind: 'ConfigMapList',
      metadata: { resourceVersion: '10', continue: 'abc', remainingItemCount: 0 },
      items: [{ metadata: { name: 'a' }, data: { k: 'v' } }, { metadata: { name: 'b' } }],
    });
  });
});

describe('times, as Go renders them', () => {
  function decodedTimestamp(creationTimestamp: string): unknown {
    const body = encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', creationTimestamp } });
    return (decodeProtobufObject(body).metadata as Record<string, unknown>).creationTimestamp;
  }

  it('metav1.Time is UTC with second precision, as after a Go round trip', () => {
    expect(decodedTimestamp('2024-05-01T14:34:56+02:00')).toBe('2024-05-01T12:34:56Z');
    expect(decodedTimestamp('2024-05-01T12:34:56.789Z')).toBe('2024-05-01T12:34:56Z');
    expect(decodedTimestamp('1969-12-31T23:59:59Z')).toBe('1969-12-31T23:59:59Z');
    expect(decodedTimestamp('0001-01-02T00:00:00Z')).toBe('0001-01-02T00:00:00Z');
  });

  it("Go's zero time (an empty message, or 0001-01-01) is left out", () => {
    expect(decodedTimestamp('0001-01-01T00:00:00Z')).toBeUndefined();
    const raw = lenField(1, Buffer.concat([lenField(1, 'x'), lenField(8, Buffer.alloc(0))]));
    expect(decodeProtobufObject(envelope('v1', 'ConfigMap', raw)).metadata).toEqual({ name: 'x' });
  });

  it('MicroTime keeps microseconds and drops nanoseconds', () => {
    const raw = Buffer.concat([lenField(1, lenField(1, 'e')), lenField(2, Buffer.concat([varintField(1, 1714566896), varintField(2, 123456789)]))]);
    expect(decodeProtobufObject(envelope('events.k8s.io/v1', 'Event', raw)).eventTime).toBe('2024-05-01T12:34:56.123456Z');
  });

  it('refuses text that is not RFC 3339', () => {
    for (const bad of ['yesterday', '2024-13-01T00:00:00Z', '2024-02-30T00:00:00Z', '2024-05-01 12:00:00Z']) {
      expect(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', creationTimestamp: bad } })).toThrow(ProtobufError);
    }
  });
});

describe('decoding tolerates what Go tolerates', () => {
  it('skips fields it does not know', () => {
    const raw = Buffer.concat([lenField(1, lenField(1, 'x')), lenField(999, 'future'), varintField(998, 7), Buffer.from([0xf5, 0x3e, 1, 2, 3, 4])]);
    expect(decodeProtobufObject(envelope('v1', 'ConfigMap', raw))).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
  });

  it('accepts packed repeated numbers', () => {
    const rule = Buffer.concat([lenField(1, 'FailJob'), lenField(2, Buffer.concat([lenField(2, 'In'), lenField(3, Buffer.concat([varint(1), varint(42)]))]))]);
    const raw = Buffer.concat([lenField(1, lenField(1, 'j')), lenField(2, lenField(11, lenField(1, rule)))]);
    const job = decodeProtobufObject(envelope('batch/v1', 'Job', raw));
    expect(job.spec).toEqual({ podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 42] } }] } });
  });

  it('merges a message field that appears twice and lets the last scalar win', () => {
    const raw = Buffer.concat([lenField(1, lenField(1, 'x')), lenField(1, lenField(3, 'shop')), lenField(1, lenField(1, 'y'))]);
    expect(decodeProtobufObject(envelope('v1', 'ConfigMap', raw)).metadata).toEqual({ name: 'y', namespace: 'shop' });
  });

  it('uses the definition name it is given over apiVersion and kind', () => {
    const raw = lenField(1, lenField(1, 'x'));
    expect(decodeProtobufObject(envelope('', '', raw), 'io.k8s.api.core.v1.Secret')).toEqual({ metadata: { name: 'x' } });
    expect(hasProtobufMessage('io.k8s.api.core.v1.Secret')).toBe(true);
  });
});

describe('malformed bytes fail with ProtobufError', () => {
  const configMap = lenField(1, lenField(1, 'x'));

  it('a body without the k8s\\0 prefix, such as JSON', () => {
    expectProtobufError(Buffer.alloc(0), /prefix/);
    expectProtobufError(Buffer.from('{"apiVersion":"v1","kind":"ConfigMap"}'), /prefix/);
    expectProtobufError(Buffer.from('k8s'), /prefix/);
  });

  it('an envelope without apiVersion and kind', () => {
    expectProtobufError(PROTOBUF_MAGIC, /apiVersion and kind/);
  });

  it('truncated varints, lengths past the end and over-long varints', () => {
    expectProtobufError(Buffer.concat([PROTOBUF_MAGIC, Buffer.from([0x0a])]), /truncated varint/);
    expectProtobufError(Buffer.concat([PROTOBUF_MAGIC, Buffer.from([0x0a, 0x05, 0x0a])]), /past the end/);
    expectProtobufError(Buffer.concat([PROTOBUF_MAGIC, Buffer.alloc(11, 0xff)]), /longer than 10 bytes/);
    expectProtobufError(envelope('v1', 'ConfigMap', Buffer.from([0x12, 0x80])), /truncated varint/);
  });

  it('a wire type that contradicts the field table, field number 0 and group wire types', () => {
    expectProtobufError(envelope('v1', 'ConfigMap', varintField(1, 1)), /wire type 0, expected 2/);
    expectProtobufError(envelope('v1', 'ConfigMap', Buffer.from([0x00, 0x00])), /field number 0/);
    expectProtobufError(envelope('v1', 'ConfigMap', Buffer.concat([configMap, varint(99 * 8 + 3)])), /wire type 3/);
  });

  it('an IntOrString of an unknown type', () => {
    const port = Buffer.concat([varintField(3, 80), lenField(4, Buffer.concat([varintField(1, 7), varintField(2, 80)]))]);
    const raw = Buffer.concat([configMap, lenField(2, lenField(1, port))]);
    expectProtobufError(envelope('v1', 'Service', raw), /IntOrString has type 7/);
  });

  it('embedded JSON that does not parse', () => {
    expectProtobufError(envelope('apps/v1', 'ControllerRevision', Buffer.concat([configMap, lenField(2, lenField(1, '{not json'))])), /does not parse/);
  });

  it('a kind with no protobuf form (a custom resource) and an unsupported content encoding', () => {
    expectProtobufError(envelope('example.com/v1', 'Widget', configMap), /no protobuf form/);
    expect(() => decodeProtobufObject(envelope('example.com/v1', 'Widget', configMap))).toThrow(ProtobufUnsupportedKindError);
    expectProtobufError(envelope('v1', 'ConfigMap', configMap, 'gzip'), /content encoding/);
  });

  it('nesting deep enough to overflow a naive decoder', () => {
    let schema: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 5000; i++) schema = lenField(28, schema);
    expectProtobufError(envelope('', '', schema), /nested deeper/, 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps');
  });

  it('every truncation and every single-byte corruption of a real body either decodes or throws ProtobufError', () => {
    const body = Buffer.from(KUBECTL_CAPTURES.deployment.body, 'base64');
    const attempt = (bytes: Buffer) => {
      try {
        decodeProtobufObject(bytes);
      } catch (err) {
        if (!(err instanceof ProtobufError)) throw err;
      }
    };
    for (let n = 0; n < body.length; n++) attempt(body.subarray(0, n));
    for (let i = 0; i < body.length; i++) {
      for (const value of [0x00, 0x02, 0x7f, 0x80, 0xff]) {
        const copy = Buffer.from(body);
        copy[i] = value;
        attempt(copy);
      }
    }
  });
});

describe('encoding refuses values of the wrong JSON type', () => {
  it.each([
    [{ data: { a: 1 } }, /data\.a: expected a string/],
    [{ data: ['a'] }, /data: expected an object/],
    [{ metadata: { name: 'x', generation: 1.5 } }, /metadata\.generation: expected an integer/],
    [{ immutable: 'yes' }, /immutable: expected a boolean/],
    [{ metadata: 'x' }, /metadata: expected an object/],
  ])('%j', (patch, message) => {
    expect(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', ...patch })).toThrow(message);
    expect(() => encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', ...patch })).toThrow(ProtobufError);
  });

  it('an unknown kind', () => {
    expect(() => encodeProtobufObject({ apiVersion: 'example.com/v1', kind: 'Widget' })).toThrow(ProtobufUnsupportedKindError);
  });
});

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

(hasKubectl ? describe : describe.skip)('the real kubectl', () => {
  let server: http.Server;
  let dir: string;
  const requests: Array<{ method: string; url: string; contentType?: string; accept?: string; body: Buffer }> = [];

  beforeAll(async () => {
    // A recording server: it answers POSTs in JSON with the decoded object, everything else 404.
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        requests.push({ method: req.method!, url: req.url!, contentType: req.headers['content-type'], accept: req.headers.accept, body });
        if (req.method === 'POST' && isProtobuf(req.headers['content-type'])) {
          res.writeHead(201, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(decodeProtobufObject(body)));
          return;
        }
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-protobuf-'));
    const port = (server.address() as AddressInfo).port;
    fs.writeFileSync(
      path.join(dir, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: rec, cluster: {server: "http://127.0.0.1:${port}"}}]`,
        'users: [{name: rec, user: {}}]',
        'contexts: [{name: rec, context: {cluster: rec, user: rec, namespace: default}}]',
        'current-context: rec',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const kubectl = (args: string[]) =>
    run('kubectl', [`--cache-dir=${path.join(dir, 'cache')}`, ...args], { env: { ...process.env, KUBECONFIG: path.join(dir, 'kubeconfig') }, timeout: 20000 });

  it.each([
    ['configmap', ['create', 'configmap', 'live', '--from-literal=a=b', '--from-literal=c=d']],
    ['secret', ['create', 'secret', 'generic', 'live', '--from-literal=password=hunter2']],
    ['deployment', ['create', 'deployment', 'live', '--image=nginx:1.27', '--replicas=2', '--port=8080']],
    ['service', ['create', 'service', 'clusterip', 'live', '--tcp=80:8080']],
    ['job', ['create', 'job', 'live', '--image=busybox', '--', 'echo', 'hi']],
  ])('kubectl create %s sends protobuf that decodes to its own JSON, and accepts a JSON answer', async (_what, args) => {
    requests.length = 0;
    const { stdout } = await kubectl(args);
    expect(stdout).toContain('/live created');
    const post = requests.find((r) => r.method === 'POST');
    expect(post).toBeDefined();
    expect(isProtobuf(post!.contentType)).toBe(true);
    expect(post!.accept).toContain('application/json');
    const { stdout: json } = await kubectl(['--dry-run=client', '-o', 'json', ...args]);
    expect(decodeProtobufObject(post!.body)).toEqual(withoutNulls(JSON.parse(json)));
  });
});
