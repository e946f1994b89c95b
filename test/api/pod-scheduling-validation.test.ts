/**
 * Pod scheduling and security-profile validation as kube-apiserver's: node and pod affinity,
 * topology spread constraints, seccomp and AppArmor profiles, and what spec.os forbids. Each
 * case is refused with 422 and the causes kube reports; well-formed specs are accepted, also
 * inside a Deployment's template.
 */
import { startTestServer, waitFor, type TestServer } from '../helpers/api-server';

let t: TestServer;
const ns = 'scheduling-validation';
beforeAll(async () => {
  t = await startTestServer();
  await t.api.post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).expect(201);
  await waitFor(async () => (await t.api.get(`/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200, 'the default ServiceAccount');
});
afterAll(() => t.close());

type Obj = Record<string, unknown>;
const container = { name: 'c', image: 'nginx' };
let count = 0;
const pod = (spec: Obj): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${++count}` }, spec: { containers: [container], ...spec } });
const cause = (field: string, reason: string, message: string) => ({ field, reason, message });

async function causesOf(spec: Obj): Promise<Array<{ field: string; reason: string; message: string }>> {
  const res = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod(spec));
  expect(res.status).toBe(422);
  return res.body.details.causes;
}

describe('affinity', () => {
  it('refuses a required node affinity without terms, bad operators and value counts, and a field selector on anything but metadata.name', async () => {
    expect(await causesOf({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } })).toEqual([
      cause('spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms', 'FieldValueRequired', 'Required value: must have at least one node selector term'),
    ]);
    const terms = [{
      matchExpressions: [
        { key: 'zone', operator: 'In' },
        { key: 'gpu', operator: 'Exists', values: ['x'] },
        { key: 'cores', operator: 'Gt', values: ['1', '2'] },
        { key: 'bad key!', operator: 'Near', values: ['a'] },
      ],
      matchFields: [{ key: 'metadata.namespace', operator: 'In', values: ['a', 'b'] }],
    }];
    const at = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]';
    const causes = await causesOf({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
    expect(causes.slice(0, 4)).toEqual([
      cause(`${at}.matchExpressions[0].values`, 'FieldValueRequired', "Required value: must be specified when `operator` is 'In' or 'NotIn'"),
      cause(`${at}.matchExpressions[1].values`, 'FieldValueForbidden', "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
      cause(`${at}.matchExpressions[2].values`, 'FieldValueRequired', "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"),
      cause(`${at}.matchExpressions[3].operator`, 'FieldValueInvalid', 'Invalid value: "Near": not a valid selector operator'),
    ]);
    expect(causes[4]).toMatchObject({ field: `${at}.matchExpressions[3].key`, reason: 'FieldValueInvalid' });
    expect(causes.slice(-2)).toEqual([
      cause(`${at}.matchFields[0].values`, 'FieldValueRequired', "Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector"),
      cause(`${at}.matchFields[0].key`, 'FieldValueInvalid', 'Invalid value: "metadata.namespace": not a valid field selector key'),
    ]);
  });

  it('refuses weights outside 1-100 and pod affinity terms without a topologyKey', async () => {
    const causes = await causesOf({
      affinity: {
        nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['not a label value!'] }] } }] },
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } } }],
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 101, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } } }],
        },
      },
    });
    expect(causes).toEqual([
      // A preferred node term may name any label value: only the weight is wrong.
      cause('spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight', 'FieldValueInvalid', 'Invalid value: 0: must be in the range 1-100'),
      cause('spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey', 'FieldValueRequired', 'Required value: can not be empty'),
      // An empty key is also not a qualified name, twice over, as IsQualifiedName reports it.
      cause('spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey', 'FieldValueInvalid', 'Invalid value: "": name part must be non-empty'),
      expect.objectContaining({ field: 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey', message: expect.stringContaining('Invalid value: "": name part must consist of') }),
      cause('spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight', 'FieldValueInvalid', 'Invalid value: 101: must be in the range 1-100'),
      cause('spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions[0].values', 'FieldValueRequired', "Required value: must be specified when `operator` is 'In' or 'NotIn'"),
    ]);
  });

  it('refuses matchLabelKeys without a labelSelector or repeating a selector key', async () => {
    const causes = await causesOf({
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { topologyKey: 'zone', matchLabelKeys: ['pod-template-hash'] },
            { topologyKey: 'zone', labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['app'] },
          ],
        },
      },
    });
    expect(causes).toEqual([
      cause('spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys', 'FieldValueForbidden', 'Forbidden: must not be specified when labelSelector is not set'),
      cause('spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[1].matchLabelKeys[0]', 'FieldValueInvalid', 'Invalid value: "app": exists in both matchLabelKeys and labelSelector'),
    ]);
  });
});

describe('topologySpreadConstraints', () => {
  it('refuses a non-positive maxSkew, a missing key, an unknown action, a repeated pair, a minDomains without DoNotSchedule and unknown policies', async () => {
    const causes = await causesOf({
      topologySpreadConstraints: [
        { maxSkew: 0, topologyKey: '', whenUnsatisfiable: 'Sometimes' },
        { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', minDomains: 0, nodeAffinityPolicy: 'Maybe' },
        { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchExpressions: [{ key: 'app', operator: 'Near' }] } },
      ],
    });
    const at = (i: number) => `spec.topologySpreadConstraints[${i}]`;
    expect(causes).toEqual([
      cause(`${at(0)}.maxSkew`, 'FieldValueInvalid', 'Invalid value: 0: must be greater than zero'),
      cause(`${at(0)}.topologyKey`, 'FieldValueRequired', 'Required value: can not be empty'),
      cause(`${at(0)}.whenUnsatisfiable`, 'FieldValueNotSupported', 'Unsupported value: "Sometimes": supported values: "DoNotSchedule", "ScheduleAnyway"'),
      cause(`${at(1)}.{topologyKey, whenUnsatisfiable}`, 'FieldValueDuplicate', 'Duplicate value: "{zone, ScheduleAnyway}"'),
      cause(`${at(1)}.minDomains`, 'FieldValueInvalid', 'Invalid value: 0: must be greater than zero'),
      cause(`${at(1)}.minDomains`, 'FieldValueInvalid', 'Invalid value: 0: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway'),
      cause(`${at(1)}.nodeAffinityPolicy`, 'FieldValueNotSupported', 'Unsupported value: "Maybe": supported values: "Honor", "Ignore"'),
      cause(`${at(2)}.labelSelector.matchExpressions[0].operator`, 'FieldValueInvalid', 'Invalid value: "Near": not a valid selector operator'),
    ]);
  });

  it('accepts well-formed constraints and affinity, in a Pod and in a Deployment template', async () => {
    const spec = {
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a'] }] }] } },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['pod-template-hash'] } }] },
      },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', minDomains: 2, labelSelector: { matchLabels: { app: 'web' } } }],
      securityContext: { seccompProfile: { type: 'RuntimeDefault' }, appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-nginx' } },
    };
    await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod(spec)).expect(201);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'spread' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container], ...spec } } },
    };
    await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(deployment).expect(201);
    const bad = { ...deployment, metadata: { name: 'spread-bad' }, spec: { ...deployment.spec, template: { ...deployment.spec.template, spec: { containers: [container], topologySpreadConstraints: [{ maxSkew: -1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] } } } };
    const res = await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send(bad).expect(422);
    expect(res.body.details.causes).toContainEqual(cause('spec.template.spec.topologySpreadConstraints[0].maxSkew', 'FieldValueInvalid', 'Invalid value: -1: must be greater than zero'));
  });
});

describe('seccomp and AppArmor profiles', () => {
  it('refuses a profile without a type, a Localhost profile without a path, and a path with any other type', async () => {
    const causes = await causesOf({
      securityContext: { seccompProfile: { type: 'Localhost' }, appArmorProfile: {} },
      containers: [{ ...container, securityContext: { seccompProfile: { type: 'RuntimeDefault', localhostProfile: 'p.json' }, appArmorProfile: { type: 'Localhost', localhostProfile: ' padded ' } } }],
    });
    expect(causes).toEqual([
      cause('spec.containers[0].securityContext.seccompProfile.localhostProfile', 'FieldValueInvalid', 'Invalid value: &core.SeccompProfile{Type:"RuntimeDefault", LocalhostProfile:(*string)("p.json")}: can only be set when seccomp type is Localhost'),
      cause('spec.containers[0].securityContext.appArmorProfile.localhostProfile', 'FieldValueInvalid', 'Invalid value: " padded ": must not be padded with whitespace'),
      cause('spec.securityContext.seccompProfile.localhostProfile', 'FieldValueRequired', 'Required value: must be set when seccomp type is Localhost'),
      cause('spec.securityContext.appArmorProfile.type', 'FieldValueRequired', 'Required value: type is required when appArmorProfile is set'),
    ]);
  });

  it('refuses an unknown profile type and a Localhost path that climbs out', async () => {
    const causes = await causesOf({ securityContext: { seccompProfile: { type: 'Strict' } }, containers: [{ ...container, securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '../etc/profile.json' } } }] });
    expect(causes).toEqual([
      cause('spec.containers[0].securityContext.seccompProfile.localhostProfile', 'FieldValueInvalid', 'Invalid value: "../etc/profile.json": must not contain \'..\''),
      cause('spec.securityContext.seccompProfile.type', 'FieldValueNotSupported', 'Unsupported value: "Strict": supported values: "Localhost", "RuntimeDefault", "Unconfined"'),
    ]);
  });
});

describe('seccomp and AppArmor annotations', () => {
  const annotated = (annotations: Record<string, string>, spec: Obj): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `a-${++count}`, annotations }, spec: { containers: [container], ...spec } });
  async function annotationCauses(annotations: Record<string, string>, spec: Obj = {}) {
    const res = await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(annotated(annotations, spec));
    expect(res.status).toBe(422);
    return res.body.details.causes;
  }

  it('refuses annotation values that are not profiles, an AppArmor annotation for no container, and a bad deletion cost', async () => {
    expect(
      await annotationCauses({
        'seccomp.security.alpha.kubernetes.io/pod': 'strict',
        'container.seccomp.security.alpha.kubernetes.io/c': 'localhost//abs.json',
        'container.apparmor.security.beta.kubernetes.io/ghost': 'enforcing',
        'controller.kubernetes.io/pod-deletion-cost': '1e3',
      }),
    ).toEqual([
      cause('metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]', 'FieldValueInvalid', 'Invalid value: "strict": must be a valid seccomp profile'),
      cause('metadata.annotations[container.seccomp.security.alpha.kubernetes.io/c]', 'FieldValueInvalid', 'Invalid value: "/abs.json": must be a relative path'),
      cause('metadata.annotations[container.apparmor.security.beta.kubernetes.io/ghost]', 'FieldValueInvalid', 'Invalid value: "ghost": container not found'),
      cause('metadata.annotations[container.apparmor.security.beta.kubernetes.io/ghost]', 'FieldValueInvalid', 'Invalid value: "enforcing": invalid AppArmor profile name: "enforcing"'),
      cause('metadata.annotations[controller.kubernetes.io/pod-deletion-cost]', 'FieldValueInvalid', 'Invalid value: "1e3": must be a 32bit integer'),
    ]);
  });

  it('refuses annotations that contradict the profile fields, the pod AppArmor profile standing for containers without their own', async () => {
    const causes = await annotationCauses(
      {
        'seccomp.security.alpha.kubernetes.io/pod': 'unconfined',
        'container.seccomp.security.alpha.kubernetes.io/c': 'localhost/other.json',
        'container.apparmor.security.beta.kubernetes.io/c': 'unconfined',
      },
      {
        securityContext: { seccompProfile: { type: 'RuntimeDefault' }, appArmorProfile: { type: 'RuntimeDefault' } },
        containers: [{ ...container, securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'mine.json' } } }],
      },
    );
    expect(causes).toEqual([
      cause('spec.securityContext.seccompProfile.type', 'FieldValueForbidden', 'Forbidden: seccomp type in annotation and field must match'),
      cause('spec.containers[0].securityContext.seccompProfile.localhostProfile', 'FieldValueForbidden', 'Forbidden: seccomp profile in annotation and field must match'),
      cause('spec.containers[0].securityContext.appArmorProfile.type', 'FieldValueForbidden', 'Forbidden: apparmor type in annotation and field must match'),
    ]);
  });

  it('accepts annotations that agree with the fields (docker/default standing for RuntimeDefault), and refuses a template that does not', async () => {
    await t.api
      .post(`/api/v1/namespaces/${ns}/pods`)
      .send(
        annotated(
          { 'seccomp.security.alpha.kubernetes.io/pod': 'docker/default', 'container.apparmor.security.beta.kubernetes.io/c': 'localhost/k8s-nginx', 'controller.kubernetes.io/pod-deletion-cost': '-5' },
          { securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ ...container, securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-nginx' } } }] },
        ),
      )
      .expect(201);
    const res = await t.api.post(`/apis/apps/v1/namespaces/${ns}/deployments`).send({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'armored' },
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: {
          metadata: { labels: { app: 'a' }, annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'runtime/default' } },
          spec: { containers: [{ ...container, securityContext: { appArmorProfile: { type: 'Unconfined' } } }] },
        },
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('Deployment.apps "armored" is invalid: spec.template.spec.containers[0].securityContext.appArmorProfile.type: Forbidden: apparmor type in annotation and field must match');
  });
});

describe('spec.os', () => {
  it('refuses windowsOptions on a linux pod and linux-only fields on a windows pod', async () => {
    expect(await causesOf({ os: { name: 'linux' }, securityContext: { windowsOptions: { runAsUserName: 'admin' } } })).toEqual([
      cause('spec.securityContext.windowsOptions', 'FieldValueForbidden', 'Forbidden: windows options cannot be set for a linux pod'),
    ]);
    const causes = await causesOf({
      os: { name: 'windows' },
      hostPID: true,
      securityContext: { runAsUser: 1000, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
      containers: [{ ...container, securityContext: { privileged: false, capabilities: { add: ['NET_ADMIN'] } } }],
    });
    expect(causes).toEqual([
      cause('spec.hostPID', 'FieldValueForbidden', 'Forbidden: cannot be set for a windows pod'),
      cause('spec.securityContext.sysctls', 'FieldValueForbidden', 'Forbidden: cannot be set for a windows pod'),
      cause('spec.securityContext.runAsUser', 'FieldValueForbidden', 'Forbidden: cannot be set for a windows pod'),
      cause('spec.containers[0].securityContext.capabilities', 'FieldValueForbidden', 'Forbidden: cannot be set for a windows pod'),
      cause('spec.containers[0].securityContext.privileged', 'FieldValueForbidden', 'Forbidden: cannot be set for a windows pod'),
    ]);
  });
});

describe('fields of features kube 1.32 has off by default', () => {
  it('drops resource claims and pod-level resources from Pods and pod templates, as dropDisabledPodFields does', async () => {
    const spec = {
      resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'gpu-template' }],
      resources: { requests: { cpu: '1' } },
      containers: [{ ...container, resources: { requests: { cpu: '500m' }, claims: [{ name: 'gpu' }] } }],
    };
    const created = (await t.api.post(`/api/v1/namespaces/${ns}/pods`).send(pod(spec)).expect(201)).body;
    expect(created.spec.resourceClaims).toBeUndefined();
    expect(created.spec.resources).toBeUndefined();
    expect(created.spec.containers[0].resources).toEqual({ requests: { cpu: '500m' } });
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'claims' },
      spec: { template: { spec: { ...spec, restartPolicy: 'Never' } } },
    };
    const stored = (await t.api.post(`/apis/batch/v1/namespaces/${ns}/jobs`).send(job).expect(201)).body;
    expect(stored.spec.template.spec.resourceClaims).toBeUndefined();
    expect(stored.spec.template.spec.containers[0].resources.claims).toBeUndefined();
  });
});
