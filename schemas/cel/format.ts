/**
 * Named formats for Kubernetes' CEL format library (format.dns1123Label().validate(s) and
 * friends): each returns the same messages as the matching apimachinery validation function.
 */
import { nameErrors, qualifiedNameErrors, labelValueErrors } from '../meta/object-meta';
import { parseQuantity } from '../meta/quantity';

type Check = (s: string) => string[];

const regexCheck = (re: RegExp, msg: string, max?: number): Check => (s) => {
  const out: string[] = [];
  if (max !== undefined && s.length > max) out.push(`must be no more than ${max} characters`);
  if (!re.test(s)) out.push(msg);
  return out;
};

/** FORMATS maps each format name Kubernetes' library knows to its check. */
export const FORMATS: Record<string, Check> = {
  dns1123Label: (s) => nameErrors(s, 'dns-label'),
  dns1123Subdomain: (s) => nameErrors(s, 'dns-subdomain'),
  dns1035Label: (s) => nameErrors(s, 'dns-1035'),
  qualifiedName: (s) => qualifiedNameErrors(s),
  labelValue: (s) => labelValueErrors(s),
  dns1123LabelPrefix: (s) => nameErrors(s, 'dns-label', true),
  dns1123SubdomainPrefix: (s) => nameErrors(s, 'dns-subdomain', true),
  dns1035LabelPrefix: (s) => nameErrors(s, 'dns-1035', true),
  uri: (s) => {
    try {
      new URL(s);
      return [];
    } catch {
      return ['invalid URI'];
    }
  },
  uuid: regexCheck(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'invalid UUID'),
  byte: regexCheck(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'invalid base64'),
  date: regexCheck(/^\d{4}-\d{2}-\d{2}$/, 'invalid date'),
  datetime: (s) => (Number.isNaN(Date.parse(s)) || !/^\d{4}-\d{2}-\d{2}T/.test(s) ? ['invalid datetime'] : []),
  k8sShortName: regexCheck(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'invalid short name'),
  quantity: (s) => {
    try {
      parseQuantity(s);
      return [];
    } catch {
      return ["quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"];
    }
  },
};

/** FormatValue is a named format as a CEL value; validate() runs its check. */
export class FormatValue {
  constructor(readonly name: string, readonly check: Check) {}
}
