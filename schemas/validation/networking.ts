/**
 * networking.k8s.io/v1 validation as kube's pkg/apis/networking/validation does it for
 * Ingresses, IngressClasses and NetworkPolicies (metadata is checked by the registry).
 *
 * | kind | kube rule | covered |
 * |---|---|---|
 * | Ingress | defaultBackend or rules required | yes |
 * | Ingress | rule host: a DNS subdomain or a wildcard subdomain, not an IP | yes |
 * | Ingress | http.paths required; pathType required, Exact/Prefix/ImplementationSpecific; Exact and Prefix paths absolute, no `//`, `/./`, `/../`, `%2f`, no `/.` or `/..` ending; ImplementationSpecific paths absolute when set | yes |
 * | Ingress | backend: service xor resource; service name a DNS-1035 label; port name xor number, name an IANA_SVC_NAME, number 1-65535; resource kind/name path segments, apiGroup a subdomain | yes |
 * | Ingress | ingressClassName a DNS subdomain; the kubernetes.io/ingress.class annotation matches it on create | yes |
 * | Ingress | tls hosts subdomains (wildcards allowed), secretName a DNS subdomain | yes |
 * | Ingress | update: old invalid secret names, wildcard rules and relaxed service names stay allowed | no (an update is validated as a create) |
 * | Ingress | status.loadBalancer ingress ip/hostname | no |
 * | IngressClass | controller required, at most 250 bytes, a domain-prefixed path; immutable | yes |
 * | IngressClass | parameters: kind and name required path segments, apiGroup a subdomain, scope Cluster/Namespace, namespace required for Namespace and forbidden for Cluster | yes |
 * | NetworkPolicy | podSelector and peer selectors valid label selectors | yes |
 * | NetworkPolicy | ports: protocol TCP/UDP/SCTP, port number or name, endPort only with a numeric port and not below it | yes |
 * | NetworkPolicy | peers: at least one of podSelector/namespaceSelector/ipBlock, ipBlock alone; ipBlock cidr required and valid, except strict subsets | yes |
 * | NetworkPolicy | policyTypes Ingress/Egress, at most two | yes |
 * | NetworkPolicy | update: invalid CIDRs already stored stay allowed | no |
 */
import { nameErrors } from '../meta/object-meta';
import type { FieldError, KubeObject } from '../types';
import {
  dnsLabel, dnsSubdomain, forbiddenField, invalid, invalidValue, isObj, isSet, listAt, notSupported, type Obj, objAt, portNameErrors,
  portNumErrors, required, str, tooLong,
} from './field-errors';
import { CIDR_MSG, isIP, parseCIDR, strictlyContains } from './ip-addresses';
import { immutable, selectorErrors } from './workload-fields';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];
const SCOPES = ['Cluster', 'Namespace'];
const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
const WILDCARD_SUBDOMAIN = /^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const WILDCARD_MSG =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const HTTP_PATH = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;
const HTTP_PATH_MSG = "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')";

/** wildcardSubdomainErrors is IsWildcardDNS1123Subdomain's message list. */
export function wildcardSubdomainErrors(host: string): string[] {
  const out = host.length > 253 ? ['must be no more than 253 characters'] : [];
  return WILDCARD_SUBDOMAIN.test(host) ? out : [...out, WILDCARD_MSG];
}

// hostErrors checks a rule or TLS host: a wildcard subdomain when it has a '*', else a subdomain.
function hostErrors(host: string, field: string): FieldError[] {
  if (host.includes('*')) return wildcardSubdomainErrors(host).map((m) => invalidValue(field, host, m));
  return dnsSubdomain(host, field);
}

/** domainPrefixedPath is IsDomainPrefixedPath ("acme.io/foo"). */
export function domainPrefixedPath(value: string, field: string): FieldError[] {
  if (value === '') return [required(field)];
  const slash = value.indexOf('/');
  const host = value.slice(0, slash);
  const path = value.slice(slash + 1);
  if (slash <= 0 || path === '') return [invalidValue(field, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const errs = dnsSubdomain(host, field);
  if (!HTTP_PATH.test(path)) errs.push(invalidValue(field, path, HTTP_PATH_MSG));
  return errs;
}

// pathSegment checks a kind or name that must be usable as a URL path segment.
function pathSegment(value: string, field: string): FieldError[] {
  if (value === '') return [required(field)];
  return nameErrors(value, 'path-segment').map((m) => invalidValue(field, value, m));
}

function apiGroupErrors(ref: Obj, field: string): FieldError[] {
  return typeof ref.apiGroup === 'string' ? dnsSubdomain(ref.apiGroup, field) : [];
}

function backendErrors(backend: Obj, field: string): FieldError[] {
  const service = objAt(backend, 'service');
  const resource = objAt(backend, 'resource');
  if (service && resource) return [invalidValue(field, '', 'cannot set both resource and service backends')];
  if (resource) {
    return [...apiGroupErrors(resource, `${field}.resource.apiGroup`), ...pathSegment(str(resource, 'kind'), `${field}.resource.kind`), ...pathSegment(str(resource, 'name'), `${field}.resource.name`)];
  }
  if (!service) return [invalidValue(field, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = str(service, 'name');
  if (name === '') errs.push(required(`${field}.service.name`));
  else errs.push(...nameErrors(name, 'dns-1035').map((m) => invalidValue(`${field}.service.name`, name, m)));
  const port = objAt(service, 'port') ?? {};
  const portName = str(port, 'name');
  const portNumber = typeof port.number === 'number' ? port.number : 0;
  if (portName && portNumber) errs.push(invalidValue(field, '', 'cannot set both port name & port number'));
  else if (portName) errs.push(...portNameErrors(portName).map((m) => invalidValue(`${field}.service.port.name`, portName, m)));
  else if (portNumber) errs.push(...portNumErrors(portNumber).map((m) => invalidValue(`${field}.service.port.number`, portNumber, m)));
  else errs.push(required(field, 'port name or number is required'));
  return errs;
}

function httpPathErrors(p: Obj, field: string): FieldError[] {
  if (!isSet(p, 'pathType')) return [required(`${field}.pathType`, 'pathType must be specified')];
  const path = str(p, 'path');
  const errs: FieldError[] = [];
  const type = p.pathType;
  if (type === 'Exact' || type === 'Prefix') {
    if (!path.startsWith('/')) errs.push(invalidValue(`${field}.path`, path, 'must be an absolute path'));
    for (const seq of INVALID_PATH_SEQUENCES) if (path.includes(seq)) errs.push(invalidValue(`${field}.path`, path, `must not contain '${seq}'`));
    for (const suffix of INVALID_PATH_SUFFIXES) if (path.endsWith(suffix)) errs.push(invalidValue(`${field}.path`, path, `cannot end with '${suffix}'`));
  } else if (type === 'ImplementationSpecific') {
    if (path !== '' && !path.startsWith('/')) errs.push(invalidValue(`${field}.path`, path, 'must be an absolute path'));
  } else {
    errs.push(notSupported(`${field}.pathType`, type, PATH_TYPES));
  }
  return [...errs, ...backendErrors(objAt(p, 'backend') ?? {}, `${field}.backend`)];
}

function ruleErrors(rule: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const host = str(rule, 'host');
  if (host !== '') {
    if (isIP(host)) errs.push(invalidValue(`${field}.host`, host, 'must be a DNS name, not an IP address'));
    errs.push(...hostErrors(host, `${field}.host`));
  }
  const http = objAt(rule, 'http');
  if (!http) return errs;
  const paths = listAt(http, 'paths');
  if (paths.length === 0) errs.push(required(`${field}.http.paths`));
  paths.forEach((p, i) => errs.push(...httpPathErrors(isObj(p) ? p : {}, `${field}.http.paths[${i}]`)));
  return errs;
}

/** validateIngress is ValidateIngressCreate / ValidateIngressUpdate for the spec and the class annotation. */
export function validateIngress(ing: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objAt(ing, 'spec') ?? {};
  const errs: FieldError[] = [];
  const rules = listAt(spec, 'rules');
  if (rules.length === 0 && !isSet(spec, 'defaultBackend')) {
    const rendered = Array.isArray(spec.rules) ? '[]networking.IngressRule{}' : '[]networking.IngressRule(nil)';
    errs.push(invalid('spec', rendered, 'either `defaultBackend` or `rules` must be specified'));
  }
  const defaultBackend = objAt(spec, 'defaultBackend');
  if (defaultBackend) errs.push(...backendErrors(defaultBackend, 'spec.defaultBackend'));
  rules.forEach((r, i) => errs.push(...ruleErrors(isObj(r) ? r : {}, `spec.rules[${i}]`)));
  listAt(spec, 'tls').forEach((t, i) => {
    listAt(t, 'hosts').forEach((h, j) => errs.push(...hostErrors(String(h), `spec.tls[${i}].hosts[${j}]`)));
    const secret = str(t, 'secretName');
    if (secret !== '') errs.push(...dnsSubdomain(secret, `spec.tls[${i}].secretName`));
  });
  const className = spec.ingressClassName;
  if (typeof className === 'string') errs.push(...dnsSubdomain(className, 'spec.ingressClassName'));
  const annotation = ing.metadata?.annotations?.[CLASS_ANNOTATION];
  if (!old && annotation !== undefined && typeof className === 'string' && annotation !== className) {
    errs.push(invalidValue(`annotations.${CLASS_ANNOTATION}`, annotation, 'must match `ingressClassName` when both are specified'));
  }
  return errs;
}

function parametersErrors(params: Obj | undefined): FieldError[] {
  if (!params) return [];
  const at = 'spec.parameters';
  const errs = [...apiGroupErrors(params, `${at}.apiGroup`), ...pathSegment(str(params, 'kind'), `${at}.kind`), ...pathSegment(str(params, 'name'), `${at}.name`)];
  if (!isSet(params, 'scope')) return [...errs, required(`${at}.scope`)];
  const scope = params.scope;
  if (!SCOPES.includes(String(scope))) return [...errs, notSupported(`${at}.scope`, scope, SCOPES)];
  if (scope === 'Namespace') {
    if (!isSet(params, 'namespace')) errs.push(required(`${at}.namespace`, "`parameters.scope` is set to 'Namespace'"));
    else errs.push(...dnsLabel(String(params.namespace), `${at}.namespace`));
  }
  if (scope === 'Cluster' && isSet(params, 'namespace')) errs.push(forbiddenField(`${at}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  return errs;
}

/** validateIngressClass is ValidateIngressClass(Update): the controller and the parameters reference. */
export function validateIngressClass(ic: KubeObject, old?: KubeObject): FieldError[] {
  const spec = objAt(ic, 'spec') ?? {};
  const controller = str(spec, 'controller');
  const errs = old ? immutable('spec.controller', controller, str(objAt(old, 'spec'), 'controller')) : [];
  if (controller === '') errs.push(required('spec.controller'));
  else {
    if (controller.length > 250) errs.push(tooLong('spec.controller', 250));
    errs.push(...domainPrefixedPath(controller, 'spec.controller'));
  }
  return [...errs, ...parametersErrors(objAt(spec, 'parameters'))];
}

function networkPolicyPortErrors(port: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isSet(port, 'protocol') && !PROTOCOLS.includes(String(port.protocol))) errs.push(notSupported(`${field}.protocol`, port.protocol, PROTOCOLS));
  const endPort = port.endPort;
  const hasEnd = isSet(port, 'endPort');
  if (!isSet(port, 'port')) {
    if (hasEnd) errs.push(invalidValue(`${field}.endPort`, endPort, 'may not be specified when `port` is not specified'));
    return errs;
  }
  const p = port.port;
  if (typeof p === 'number') {
    errs.push(...portNumErrors(p).map((m) => invalidValue(`${field}.port`, p, m)));
    if (hasEnd) {
      if (typeof endPort === 'number' && endPort < p) errs.push(invalidValue(`${field}.endPort`, endPort, 'must be greater than or equal to `port`'));
      errs.push(...portNumErrors(Number(endPort)).map((m) => invalidValue(`${field}.endPort`, endPort, m)));
    }
  } else {
    if (hasEnd) errs.push(invalidValue(`${field}.endPort`, endPort, 'may not be specified when `port` is non-numeric'));
    errs.push(...portNameErrors(String(p)).map((m) => invalidValue(`${field}.port`, p, m)));
  }
  return errs;
}

function ipBlockErrors(block: Obj, field: string): FieldError[] {
  const cidr = str(block, 'cidr');
  if (cidr === '') return [required(`${field}.cidr`)];
  const outer = parseCIDR(cidr);
  if (!outer) return [invalidValue(`${field}.cidr`, cidr, CIDR_MSG)];
  const errs: FieldError[] = [];
  listAt(block, 'except').forEach((e, i) => {
    const at = `${field}.except[${i}]`;
    const inner = parseCIDR(String(e));
    if (!inner) errs.push(invalidValue(at, e, CIDR_MSG));
    else if (!strictlyContains(outer, inner)) errs.push(invalidValue(at, e, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

function peerErrors(peer: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let peers = 0;
  for (const s of ['podSelector', 'namespaceSelector']) {
    if (!isSet(peer, s)) continue;
    peers++;
    errs.push(...selectorErrors(peer[s], `${field}.${s}`));
  }
  const block = objAt(peer, 'ipBlock');
  if (isSet(peer, 'ipBlock')) {
    peers++;
    errs.push(...ipBlockErrors(block ?? {}, `${field}.ipBlock`));
  }
  if (peers === 0) errs.push(required(field, 'must specify a peer'));
  else if (peers > 1 && isSet(peer, 'ipBlock')) errs.push(forbiddenField(field, 'may not specify both ipBlock and another peer'));
  return errs;
}

/** validateNetworkPolicy is ValidateNetworkPolicySpec: selectors, ports, peers and policyTypes. */
export function validateNetworkPolicy(np: KubeObject): FieldError[] {
  const spec = objAt(np, 'spec') ?? {};
  const errs = selectorErrors(spec.podSelector, 'spec.podSelector');
  for (const [dir, peersField] of [['ingress', 'from'], ['egress', 'to']]) {
    listAt(spec, dir).forEach((rule, i) => {
      const at = `spec.${dir}[${i}]`;
      listAt(rule, 'ports').forEach((p, j) => errs.push(...networkPolicyPortErrors(isObj(p) ? p : {}, `${at}.ports[${j}]`)));
      listAt(rule, peersField).forEach((p, j) => errs.push(...peerErrors(isObj(p) ? p : {}, `${at}.${peersField}[${j}]`)));
    });
  }
  const types = listAt(spec, 'policyTypes');
  if (types.length > 2) {
    return [...errs, invalid('spec.policyTypes', `[]networking.PolicyType{${types.map((t) => JSON.stringify(String(t))).join(', ')}}`, 'may not specify more than two policyTypes')];
  }
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(String(t))) errs.push(notSupported(`spec.policyTypes[${i}]`, t, POLICY_TYPES));
  });
  return errs;
}
