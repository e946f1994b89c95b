/**
 * networking.k8s.io/v1 and rbac.authorization.k8s.io/v1 as kube-apiserver stores and refuses
 * them: SetDefaults_NetworkPolicy / _IngressClass / _RoleBinding values and the field errors of
 * pkg/apis/networking/validation and pkg/apis/rbac/validation, message for message.
 */
import type { Response } from 'supertest';
import { startTestServer, type TestServer } from '../helpers/api-server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const NET = '/apis/networking.k8s.io/v1';
const RBAC = '/apis/rbac.authorization.k8s.io/v1';
type Cause = { reason: string; field: string; message: string };

function expectInvalid(res: Response, ...causes: Cause[]): void {
  expect(res.status).toBe(422);
  expect(res.body.reason).toBe('Invalid');
  for (const c of causes) expect(res.body.details.causes).toContainEqual(c);
}

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const backend = { service: { name: 'web', port: { number: 80 } } };
const ingress = (name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, annotations }, spec,
});
const rule = (paths: unknown[], host?: string) => ({ host, http: { paths } });
const postIngress = (body: object) => t.api.post(`${NET}/namespaces/default/ingresses`).send(body);

describe('Ingress', () => {
  it('should refuse an Ingress with neither defaultBackend nor rules, printing the nil rules as kube does', async () => {
    const res = await postIngress(ingress('empty', {}));
    expectInvalid(res, { reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified' });
  });

  it('should refuse a path without pathType, an unknown pathType and relative or dotted Prefix paths', async () => {
    const res = await postIngress(ingress('paths', {
      rules: [rule([
        { path: '/', backend },
        { path: '/a', pathType: 'Regex', backend },
        { path: 'api', pathType: 'Prefix', backend },
        { path: '/a//b/..', pathType: 'Exact', backend },
        { path: 'x', pathType: 'ImplementationSpecific', backend },
      ])],
    }));
    const at = 'spec.rules[0].http.paths';
    expectInvalid(
      res,
      { reason: 'FieldValueRequired', field: `${at}[0].pathType`, message: 'Required value: pathType must be specified' },
      { reason: 'FieldValueNotSupported', field: `${at}[1].pathType`, message: 'Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"' },
      { reason: 'FieldValueInvalid', field: `${at}[2].path`, message: 'Invalid value: "api": must be an absolute path' },
      { reason: 'FieldValueInvalid', field: `${at}[3].path`, message: 'Invalid value: "/a//b/..": must not contain \'//\'' },
      { reason: 'FieldValueInvalid', field: `${at}[3].path`, message: 'Invalid value: "/a//b/..": cannot end with \'/..\'' },
      { reason: 'FieldValueInvalid', field: `${at}[4].path`, message: 'Invalid value: "x": must be an absolute path' },
    );
  });

  it('should refuse an IP host, a bad wildcard host, an empty paths list and a bad TLS host', async () => {
    const res = await postIngress(ingress('hosts', {
      rules: [rule([{ path: '/', pathType: 'Prefix', backend }], '10.0.0.1'), rule([{ path: '/', pathType: 'Prefix', backend }], '*'), { host: 'a.example.com', http: { paths: [] } }],
      tls: [{ hosts: ['*.example.com', 'Bad_Host'], secretName: 'tls' }],
    }));
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: 'spec.rules[0].host', message: 'Invalid value: "10.0.0.1": must be a DNS name, not an IP address' },
      {
        reason: 'FieldValueInvalid', field: 'spec.rules[1].host',
        message: "Invalid value: \"*\": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      },
      { reason: 'FieldValueRequired', field: 'spec.rules[2].http.paths', message: 'Required value' },
      { reason: 'FieldValueInvalid', field: 'spec.tls[0].hosts[1]', message: `Invalid value: "Bad_Host": ${SUBDOMAIN_MSG}` },
    );
    expect(res.body.details.causes.filter((c: Cause) => c.field === 'spec.tls[0].hosts[0]')).toEqual([]);
  });

  it('should refuse backends with both kinds, none, a bad service name, both port forms or no port', async () => {
    const res = await postIngress(ingress('backends', {
      defaultBackend: { service: { name: 'web', port: { number: 80 } }, resource: { kind: 'Bucket', name: 'b' } },
      rules: [rule([
        { path: '/a', pathType: 'Prefix', backend: {} },
        { path: '/b', pathType: 'Prefix', backend: { service: { name: '1web', port: { name: 'http', number: 80 } } } },
        { path: '/c', pathType: 'Prefix', backend: { service: { name: 'web', port: {} } } },
        { path: '/d', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 70000 } } } },
        { path: '/e', pathType: 'Prefix', backend: { resource: { apiGroup: 'k8s.example.com', name: 'b' } } },
      ])],
    }));
    const at = 'spec.rules[0].http.paths';
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: 'spec.defaultBackend', message: 'Invalid value: "": cannot set both resource and service backends' },
      { reason: 'FieldValueInvalid', field: `${at}[0].backend`, message: 'Invalid value: "": resource or service backend is required' },
      {
        reason: 'FieldValueInvalid', field: `${at}[1].backend.service.name`,
        message: "Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      },
      { reason: 'FieldValueInvalid', field: `${at}[1].backend`, message: 'Invalid value: "": cannot set both port name & port number' },
      { reason: 'FieldValueRequired', field: `${at}[2].backend`, message: 'Required value: port name or number is required' },
      { reason: 'FieldValueInvalid', field: `${at}[3].backend.service.port.number`, message: 'Invalid value: 70000: must be between 1 and 65535, inclusive' },
      { reason: 'FieldValueRequired', field: `${at}[4].backend.resource.kind`, message: 'Required value' },
    );
  });

  it('should refuse an ingressClassName that is not a subdomain and a class annotation that disagrees with it', async () => {
    const res = await postIngress(ingress('classes', { ingressClassName: 'Nginx', defaultBackend: backend }, { 'kubernetes.io/ingress.class': 'traefik' }));
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: 'spec.ingressClassName', message: `Invalid value: "Nginx": ${SUBDOMAIN_MSG}` },
      { reason: 'FieldValueInvalid', field: 'annotations.kubernetes.io/ingress.class', message: 'Invalid value: "traefik": must match `ingressClassName` when both are specified' },
    );
  });
});

describe('IngressClass', () => {
  const post = (name: string, spec: Record<string, unknown>) => t.api.post(`${NET}/ingressclasses`).send({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name }, spec });

  it('should default parameters to the Cluster scope', async () => {
    const res = await post('params-default', { controller: 'example.com/ingress', parameters: { kind: 'Config', name: 'c' } }).expect(201);
    expect(res.body.spec.parameters).toEqual({ kind: 'Config', name: 'c', scope: 'Cluster' });
  });

  it('should refuse a missing or undomained controller and bad parameters', async () => {
    expectInvalid(await post('no-controller', {}), { reason: 'FieldValueRequired', field: 'spec.controller', message: 'Required value' });
    const res = await post('bad', { controller: 'nginx', parameters: { kind: 'Config', name: 'a/b', scope: 'Namespace' } });
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: 'spec.controller', message: 'Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")' },
      { reason: 'FieldValueInvalid', field: 'spec.parameters.name', message: "Invalid value: \"a/b\": may not contain '/'" },
      { reason: 'FieldValueRequired', field: 'spec.parameters.namespace', message: "Required value: `parameters.scope` is set to 'Namespace'" },
    );
    const cluster = await post('cluster-ns', { controller: 'example.com/x', parameters: { kind: 'Config', name: 'c', scope: 'Cluster', namespace: 'default' } });
    expectInvalid(cluster, { reason: 'FieldValueForbidden', field: 'spec.parameters.namespace', message: "Forbidden: `parameters.scope` is set to 'Cluster'" });
  });

  it('should refuse to change the controller', async () => {
    await post('immutable', { controller: 'example.com/a' }).expect(201);
    const res = await t.api
      .patch(`${NET}/ingressclasses/immutable`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { controller: 'example.com/b' } });
    expectInvalid(res, { reason: 'FieldValueInvalid', field: 'spec.controller', message: 'Invalid value: "example.com/b": field is immutable' });
  });
});

describe('NetworkPolicy', () => {
  const post = (name: string, spec: Record<string, unknown>) =>
    t.api.post(`${NET}/namespaces/default/networkpolicies`).send({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec });

  it('should default port protocols to TCP and policyTypes from the egress rules', async () => {
    const res = await post('defaults', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }], egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] }).expect(201);
    expect(res.body.spec.ingress[0].ports[0]).toEqual({ port: 80, protocol: 'TCP' });
    expect(res.body.spec.egress[0].ports[0]).toEqual({ port: 53, protocol: 'UDP' });
    expect(res.body.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const ingressOnly = await post('defaults-ingress', { podSelector: {} }).expect(201);
    expect(ingressOnly.body.spec.policyTypes).toEqual(['Ingress']);
  });

  it('should refuse bad ports, endPorts and protocols', async () => {
    const res = await post('ports', {
      podSelector: {},
      ingress: [{ ports: [{ port: 80, endPort: 70 }, { port: 'http', endPort: 90 }, { endPort: 90 }, { protocol: 'ICMP', port: 0 }, { port: 'Not_A_Name' }] }],
    });
    const at = 'spec.ingress[0].ports';
    expectInvalid(
      res,
      { reason: 'FieldValueInvalid', field: `${at}[0].endPort`, message: 'Invalid value: 70: must be greater than or equal to `port`' },
      { reason: 'FieldValueInvalid', field: `${at}[1].endPort`, message: 'Invalid value: 90: may not be specified when `port` is non-numeric' },
      { reason: 'FieldValueInvalid', field: `${at}[2].endPort`, message: 'Invalid value: 90: may not be specified when `port` is not specified' },
      { reason: 'FieldValueNotSupported', field: `${at}[3].protocol`, message: 'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"' },
      { reason: 'FieldValueInvalid', field: `${at}[3].port`, message: 'Invalid value: 0: must be between 1 and 65535, inclusive' },
      { reason: 'FieldValueInvalid', field: `${at}[4].port`, message: 'Invalid value: "Not_A_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)' },
    );
  });

  it('should refuse empty peers, ipBlock with another peer, bad CIDRs and excepts outside the CIDR', async () => {
    const res = await post('peers', {
      podSelector: {},
      egress: [{ to: [{}, { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }, { ipBlock: { cidr: '10.0.0.0/33' } }, { ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24', '10.0.0.0/16', '10.0.1.0/24'] } }, { ipBlock: {} }] }],
    });
    const at = 'spec.egress[0].to';
    expectInvalid(
      res,
      { reason: 'FieldValueRequired', field: `${at}[0]`, message: 'Required value: must specify a peer' },
      { reason: 'FieldValueForbidden', field: `${at}[1]`, message: 'Forbidden: may not specify both ipBlock and another peer' },
      { reason: 'FieldValueInvalid', field: `${at}[2].ipBlock.cidr`, message: 'Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)' },
      { reason: 'FieldValueInvalid', field: `${at}[3].ipBlock.except[0]`, message: 'Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`' },
      { reason: 'FieldValueInvalid', field: `${at}[3].ipBlock.except[1]`, message: 'Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`' },
      { reason: 'FieldValueRequired', field: `${at}[4].ipBlock.cidr`, message: 'Required value' },
    );
    expect(res.body.details.causes.filter((c: Cause) => c.field === `${at}[3].ipBlock.except[2]`)).toEqual([]);
  });

  it('should refuse unknown and too many policyTypes and a bad podSelector', async () => {
    const unknown = await post('types', { podSelector: { matchLabels: { 'bad key!': 'x' } }, policyTypes: ['Egresss'] });
    expectInvalid(unknown, { reason: 'FieldValueNotSupported', field: 'spec.policyTypes[0]', message: 'Unsupported value: "Egresss": supported values: "Ingress", "Egress"' });
    expect(unknown.body.details.causes.map((c: Cause) => c.field)).toContain('spec.podSelector.matchLabels');
    const many = await post('many-types', { podSelector: {}, policyTypes: ['Ingress', 'Egress', 'Ingress'] });
    expectInvalid(many, { reason: 'FieldValueInvalid', field: 'spec.policyTypes', message: 'Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: may not specify more than two policyTypes' });
  });
});

describe('rbac.authorization.k8s.io/v1', () => {
  it('should refuse rules without verbs, apiGroups or resources, and non-resource URLs in a Role', async () => {
    const res = await t.api.post(`${RBAC}/namespaces/default/roles`).send({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'bad' },
      rules: [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }, { verbs: ['get'], apiGroups: [''], resources: ['pods', 'services'], resourceNames: ['x'] }],
    });
    expectInvalid(
      res,
      { reason: 'FieldValueRequired', field: 'rules[0].verbs', message: 'Required value: verbs must contain at least one value' },
      { reason: 'FieldValueRequired', field: 'rules[0].apiGroups', message: 'Required value: resource rules must supply at least one api group' },
      { reason: 'FieldValueInvalid', field: 'rules[1].nonResourceURLs', message: 'Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs' },
      { reason: 'FieldValueRequired', field: 'rules[2].resourceNames', message: 'Required value: resource names cannot apply to multiple resources' },
    );
  });

  it('should refuse a ClusterRole rule mixing resources and non-resource URLs', async () => {
    const res = await t.api.post(`${RBAC}/clusterroles`).send({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'mixed' },
      rules: [{ verbs: ['get'], resources: ['pods'], nonResourceURLs: ['/metrics'] }],
    });
    expectInvalid(res, { reason: 'FieldValueInvalid', field: 'rules[0].nonResourceURLs', message: 'Invalid value: []string{"/metrics"}: rules cannot apply to both regular resources and non-resource URLs' });
  });

  it('should refuse an aggregationRule without selectors or with an invalid one, and store a valid one', async () => {
    const post = (name: string, aggregationRule: unknown) => t.api.post(`${RBAC}/clusterroles`).send({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, aggregationRule });
    expectInvalid(await post('agg-empty', { clusterRoleSelectors: [] }), {
      reason: 'FieldValueRequired', field: 'aggregationRule.clusterRoleSelectors', message: 'Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    });
    const bad = await post('agg-bad', { clusterRoleSelectors: [{ matchExpressions: [{ key: 'rbac.example.com/aggregate', operator: 'Near' }] }] });
    expectInvalid(
      bad,
      { reason: 'FieldValueInvalid', field: 'aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator', message: 'Invalid value: "Near": not a valid selector operator' },
      { reason: 'FieldValueInvalid', field: 'aggregationRule.clusterRoleSelectors[0]', message: 'Invalid value: "null": invalid label selector.' },
    );
    const ok = await post('agg-ok', { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-view': 'true' } }] });
    expect(ok.status).toBe(201);
  });

  it('should default the rbac group of roleRef, User and Group subjects, and "" for service accounts', async () => {
    const res = await t.api.post(`${RBAC}/namespaces/default/rolebindings`).send({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'defaults' },
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', name: 'default', namespace: 'default' }, { kind: 'Group', name: 'devs' }],
    }).expect(201);
    expect(res.body.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    expect(res.body.subjects.map((s: { apiGroup: string }) => s.apiGroup)).toEqual(['rbac.authorization.k8s.io', '', 'rbac.authorization.k8s.io']);
  });

  it('should refuse a ClusterRoleBinding to a Role, a service account without namespace and unknown subject kinds', async () => {
    const res = await t.api.post(`${RBAC}/clusterrolebindings`).send({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'bad' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: '' },
      subjects: [{ kind: 'ServiceAccount', name: 'default' }, { kind: 'Robot', name: 'r2' }, { kind: 'User', name: 'bob', apiGroup: 'example.com' }],
    });
    expectInvalid(
      res,
      { reason: 'FieldValueNotSupported', field: 'roleRef.kind', message: 'Unsupported value: "Role": supported values: "ClusterRole"' },
      { reason: 'FieldValueRequired', field: 'roleRef.name', message: 'Required value' },
      { reason: 'FieldValueRequired', field: 'subjects[0].namespace', message: 'Required value' },
      { reason: 'FieldValueNotSupported', field: 'subjects[1].kind', message: 'Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"' },
      { reason: 'FieldValueNotSupported', field: 'subjects[2].apiGroup', message: 'Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"' },
    );
  });

  it('should refuse to change a binding\'s roleRef with "cannot change roleRef"', async () => {
    await t.api.post(`${RBAC}/clusterrolebindings`).send({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'fixed' }, roleRef: { kind: 'ClusterRole', name: 'view' },
    }).expect(201);
    const res = await t.api.patch(`${RBAC}/clusterrolebindings/fixed`).set('Content-Type', 'application/merge-patch+json').send({ roleRef: { name: 'edit' } });
    expectInvalid(res, { reason: 'FieldValueInvalid', field: 'roleRef', message: 'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef' });
  });
});
