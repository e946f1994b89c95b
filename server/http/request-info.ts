/**
 * RequestInfo: what an API path and method ask for, parsed the way kube-apiserver's
 * RequestInfoFactory does (/api/v1/..., /apis/{group}/{version}/..., namespaced paths,
 * subresources, the legacy /watch/ prefix).
 */

/** RequestInfo describes a resource request; discovery paths leave resource empty. */
export interface RequestInfo {
  /** "api" or "apis" */
  prefix: string;
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'discovery';
  /** the path had more parts than a resource request can have */
  malformed?: boolean;
}

// Subresources of namespaces that would otherwise read as a resource inside the namespace.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** parseRequestInfo parses the path of an API request; undefined when it is not under /api or /apis. */
export function parseRequestInfo(method: string, path: string, watchParam: boolean): RequestInfo | undefined {
  const parts = path.split('/').filter((p, i) => i > 0 || p !== '');
  if (parts[0] === '') parts.shift();
  while (parts.length && parts[parts.length - 1] === '') parts.pop();
  const prefix = parts.shift();
  if (prefix !== 'api' && prefix !== 'apis') return undefined;
  const info: RequestInfo = { prefix, group: '', version: '', resource: '', verb: 'discovery' };
  if (prefix === 'apis') {
    if (parts.length === 0) return info;
    info.group = decode(parts.shift()!);
  }
  if (parts.length === 0) return info;
  info.version = decode(parts.shift()!);
  if (parts.length === 0) return info;
  let watchPrefix = false;
  if (parts[0] === 'watch') {
    watchPrefix = true;
    parts.shift();
  }
  let rest = parts.map(decode);
  if (rest[0] === 'namespaces' && rest.length > 1) {
    info.namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  info.resource = rest[0] ?? '';
  if (rest.length > 1) info.name = rest[1];
  if (rest.length > 2) info.subresource = rest[2];
  if (rest.length > 3) info.malformed = true;
  // /namespaces/{name}: the namespace named in the path is the object, not a scope.
  if (info.resource === 'namespaces' && info.namespace !== undefined && info.name === undefined) {
    info.name = info.namespace;
    info.namespace = undefined;
  } else if (info.resource === 'namespaces') {
    info.namespace = undefined;
  }
  // ?watch= turns only a collection GET into a watch; GET of a named object stays a get, as in kube.
  info.verb = verbFor(method, info.name !== undefined, watchPrefix || (watchParam && info.name === undefined));
  return info;
}

function verbFor(method: string, named: boolean, watch: boolean): RequestInfo['verb'] {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return 'get';
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
