/**
 * Validation of the cluster-level kinds as kube does it: discovery.k8s.io/v1 EndpointSlice
 * (pkg/apis/discovery/validation), scheduling.k8s.io/v1 PriorityClass, coordination.k8s.io/v1
 * Lease and certificates.k8s.io/v1 CertificateSigningRequest. Metadata is checked by the registry.
 *
 * | kind | kube rule | covered |
 * |---|---|---|
 * | EndpointSlice | addressType required, IPv4/IPv6/FQDN, immutable | yes |
 * | EndpointSlice | at most 1000 endpoints; addresses required, at most 100, valid for the address type | yes |
 * | EndpointSlice | addresses not unspecified, loopback or link-local (ValidateEndpointIP) | no: nodeless advertises itself at the loopback in default/kubernetes, as core Endpoints do |
 * | EndpointSlice | nodeName a subdomain; hostname a DNS label; deprecatedTopology labels (at most 16); hints.forZones unique label values (at most 8) | yes |
 * | EndpointSlice | ports: at most 20000, names DNS labels and unique, protocol TCP/UDP/SCTP, appProtocol a qualified name | yes |
 * | PriorityClass | value at most 1000000000 unless a known system class; system- names only for the known system classes with their values | yes |
 * | PriorityClass | preemptionPolicy Never/PreemptLowerPriority; value may not change, preemptionPolicy immutable | yes |
 * | PriorityClass | only one globalDefault | no (kube's Priority admission plugin) |
 * | Lease | leaseDurationSeconds > 0, leaseTransitions >= 0, preferredHolder only with a strategy | yes |
 * | Lease | strategy values | no |
 * | CertificateSigningRequest | request a PEM CERTIFICATE REQUEST block | yes (the DER and its signature are not checked) |
 * | CertificateSigningRequest | usages required, known, unique; signerName required, a domain and path, not the legacy signer; expirationSeconds >= 600 | yes |
 * | CertificateSigningRequest | conditions: Approved and Denied exclusive, no duplicates, never removed | yes (schemas/kinds/certificatesigningrequest.ts) |
 */
import { labelValueErrors, nameErrors } from '../meta/object-meta';
import type { FieldError, KubeObject } from '../types';
import {
  dnsLabel, dnsSubdomain, duplicate, forbiddenField, invalidValue, isObj, isSet, labelErrors, listAt, notSupported, objAt, qualifiedName, required, str, tooLong, tooMany,
} from './field-errors';
import { isIP, isIPv4, isIPv6 } from './ip-addresses';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** fqdnErrors is IsFullyQualifiedDomainName: a subdomain of at least two labels, a trailing dot allowed. */
export function fqdnErrors(name: string, field: string): FieldError[] {
  if (name === '') return [required(field)];
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const sub = nameErrors(n, 'dns-subdomain');
  if (sub.length) return [invalidValue(field, n, sub.join(','))];
  if (n.split('.').length < 2) return [invalidValue(field, n, 'should be a domain with at least two segments separated by dots')];
  return [];
}

function endpointErrors(ep: unknown, addressType: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const addresses = listAt(ep, 'addresses').map(String);
  if (addresses.length === 0) errs.push(required(`${field}.addresses`, 'must contain at least 1 address'));
  else if (addresses.length > 100) errs.push(tooMany(`${field}.addresses`, addresses.length, 100));
  addresses.forEach((a, i) => {
    const at = `${field}.addresses[${i}]`;
    if (addressType === 'IPv4' || addressType === 'IPv6') {
      const ok = addressType === 'IPv4' ? isIPv4(a) : isIPv6(a);
      if (!ok) errs.push(invalidValue(at, a, `must be a valid ${addressType} address`));
      if (!isIP(a)) errs.push(invalidValue(at, a, 'must be a valid IP address'));
    } else if (addressType === 'FQDN') errs.push(...fqdnErrors(a, at));
  });
  if (isObj(ep) && typeof ep.nodeName === 'string') errs.push(...dnsSubdomain(ep.nodeName, `${field}.nodeName`));
  const topology = objAt(ep, 'deprecatedTopology');
  if (topology && Object.keys(topology).length > 16) errs.push(tooMany(`${field}.deprecatedTopology`, Object.keys(topology).length, 16));
  errs.push(...labelErrors(topology, `${field}.deprecatedTopology`));
  if (isObj(ep) && typeof ep.hostname === 'string') errs.push(...dnsLabel(ep.hostname, `${field}.hostname`));
  const zones = listAt(objAt(ep, 'hints'), 'forZones');
  if (zones.length > 8) return [...errs, tooMany(`${field}.hints.forZones`, zones.length, 8)];
  const seen = new Set<string>();
  zones.forEach((z, i) => {
    const name = str(z, 'name');
    const at = `${field}.hints.forZones[${i}].name`;
    if (seen.has(name)) errs.push(duplicate(at, name));
    seen.add(name);
    errs.push(...labelValueErrors(name).map((m) => invalidValue(at, name, m)));
  });
  return errs;
}

function endpointPortErrors(ports: unknown[]): FieldError[] {
  if (ports.length > 20000) return [tooMany('ports', ports.length, 20000)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((item, i) => {
    const p = isObj(item) ? item : {};
    const at = `ports[${i}]`;
    const name = str(p, 'name');
    if (name !== '') errs.push(...dnsLabel(name, `${at}.name`));
    if (names.has(name)) errs.push(duplicate(`${at}.name`, name));
    names.add(name);
    if (!isSet(p, 'protocol')) errs.push(required(`${at}.protocol`));
    else if (!PROTOCOLS.includes(String(p.protocol))) errs.push(notSupported(`${at}.protocol`, p.protocol, PROTOCOLS));
    if (typeof p.appProtocol === 'string') {
      const ap = p.appProtocol;
      errs.push(...qualifiedName(ap, `${at}.appProtocol`));
    }
  });
  return errs;
}

/** validateEndpointSlice is ValidateEndpointSlice and, with old, the immutable addressType. */
export function validateEndpointSlice(eps: KubeObject, old?: KubeObject): FieldError[] {
  const addressType = str(eps, 'addressType');
  const errs: FieldError[] = [];
  if (addressType === '') errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(addressType)) errs.push(notSupported('addressType', addressType, ADDRESS_TYPES));
  const endpoints = listAt(eps, 'endpoints');
  if (endpoints.length > 1000) errs.push(tooMany('endpoints', endpoints.length, 1000));
  else endpoints.forEach((ep, i) => errs.push(...endpointErrors(ep, addressType, `endpoints[${i}]`)));
  errs.push(...endpointPortErrors(listAt(eps, 'ports')));
  if (old && addressType !== str(old, 'addressType')) errs.push(invalidValue('addressType', addressType, 'field is immutable'));
  return errs;
}

const SYSTEM_PRIORITY_CLASSES: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };
const HIGHEST_USER_PRIORITY = 1000000000;
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

/** validatePriorityClass is ValidatePriorityClass and, with old, ValidatePriorityClassUpdate. */
export function validatePriorityClass(pc: KubeObject, old?: KubeObject): FieldError[] {
  const name = pc.metadata?.name ?? '';
  const value = typeof pc.value === 'number' ? pc.value : 0;
  const errs: FieldError[] = [];
  if (old) {
    if (value !== (typeof old.value === 'number' ? old.value : 0)) errs.push(forbiddenField('value', 'may not be changed in an update.'));
    if (pc.preemptionPolicy !== old.preemptionPolicy) errs.push(invalidValue('preemptionPolicy', pc.preemptionPolicy, 'field is immutable'));
    return errs;
  }
  if (name.startsWith('system-')) {
    const known = SYSTEM_PRIORITY_CLASSES[name];
    let why = '';
    if (known === undefined) why = `${name} is not a known system priority class`;
    else if (known !== value) why = `value of ${name} PriorityClass must be ${known}`;
    else if (pc.globalDefault === true) why = `globalDefault of ${name} PriorityClass must be false`;
    if (why) errs.push(forbiddenField('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
  } else if (value > HIGHEST_USER_PRIORITY) {
    errs.push(forbiddenField('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
  }
  if (isSet(pc, 'preemptionPolicy') && !PREEMPTION_POLICIES.includes(String(pc.preemptionPolicy))) {
    errs.push(notSupported('preemptionPolicy', pc.preemptionPolicy, PREEMPTION_POLICIES));
  }
  return errs;
}

/** validateLease is ValidateLeaseSpec: positive durations, non-negative transitions, preferredHolder with a strategy. */
export function validateLease(lease: KubeObject): FieldError[] {
  const spec = objAt(lease, 'spec') ?? {};
  const errs: FieldError[] = [];
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) {
    errs.push(invalidValue('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0) {
    errs.push(invalidValue('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  }
  if (str(spec, 'preferredHolder') !== '' && str(spec, 'strategy') === '') {
    errs.push(forbiddenField('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  }
  return errs;
}

const KEY_USAGES = [
  'any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment', 'decipher only', 'digital signature',
  'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'key agreement', 'key encipherment', 'microsoft sgc',
  'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping',
];

// goBytes renders a []byte as %#v prints it.
const goBytes = (b: Buffer | undefined) => (b && b.length ? `[]byte{${[...b].map((x) => `0x${x.toString(16)}`).join(', ')}}` : b ? '[]byte{}' : '[]byte(nil)');

// pemBlockType is the type of the first PEM block (pem.Decode), or undefined when there is none.
function pemBlockType(text: string): string | undefined {
  const m = /-----BEGIN ([^\n-]*)-----\r?\n[\s\S]*?-----END \1-----/.exec(text);
  return m?.[1];
}

/** signerNameErrors is ValidateSignerName: "example.com/signer-name", a domain of labels and a subdomain path. */
export function signerNameErrors(signer: string, field: string): FieldError[] {
  if (signer === '') return [required(field)];
  const segments = signer.split('/');
  if (segments.length !== 2) return [invalidValue(field, signer, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const [domain, path] = segments;
  const errs: FieldError[] = [];
  if (domain.length > 253) errs.push(tooLong(field, 253));
  const labels = domain.split('.');
  for (const label of labels) {
    const bad = nameErrors(label, 'dns-label');
    if (bad.length) {
      errs.push(...bad.map((m) => invalidValue(field, domain, `validating label ${JSON.stringify(label)}: ${m}`)));
      break;
    }
  }
  if (labels.length < 2) errs.push(invalidValue(field, domain, 'should be a domain with at least two segments separated by dots'));
  if (path.length > 253 + 63 + 1) errs.push(tooLong(field, 253 + 63 + 1));
  errs.push(...nameErrors(path, 'dns-subdomain').map((m) => invalidValue(field, path, m)));
  return errs;
}

/** validateCertificateSigningRequestSpec is the spec half of ValidateCertificateSigningRequestCreate for certificates.k8s.io/v1. */
export function validateCertificateSigningRequestSpec(csr: KubeObject): FieldError[] {
  const spec = objAt(csr, 'spec') ?? {};
  const errs: FieldError[] = [];
  const request = typeof spec.request === 'string' ? Buffer.from(spec.request, 'base64') : undefined;
  if (pemBlockType(request?.toString('latin1') ?? '') !== 'CERTIFICATE REQUEST') {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.request', message: `Invalid value: ${goBytes(request)}: PEM block type must be CERTIFICATE REQUEST` });
  }
  const usages = listAt(spec, 'usages').map(String);
  if (usages.length === 0) errs.push(required('spec.usages'));
  usages.forEach((u, i) => {
    if (!KEY_USAGES.includes(u)) errs.push(notSupported(`spec.usages[${i}]`, u, KEY_USAGES));
  });
  usages.forEach((u, i) => {
    if (usages.indexOf(u) < i) errs.push(duplicate(`spec.usages[${i}]`, u));
  });
  const signer = str(spec, 'signerName');
  if (signer === 'kubernetes.io/legacy-unknown') errs.push(invalidValue('spec.signerName', signer, 'the legacy signerName is not allowed via this API version'));
  else errs.push(...signerNameErrors(signer, 'spec.signerName'));
  if (typeof spec.expirationSeconds === 'number' && spec.expirationSeconds < 600) {
    errs.push(invalidValue('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  return errs;
}
