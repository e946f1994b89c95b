/**
 * URLs for Kubernetes' CEL url library: url(), isURL() and the getScheme/getHost/getHostname/
 * getPort/getEscapedPath/getQuery accessors, with Go's url.ParseRequestURI rules (an absolute
 * URL or an absolute path, no fragment).
 */

/** KubeUrl is a parsed URL as Kubernetes' CEL url library sees it. */
export class KubeUrl {
  constructor(
    readonly raw: string,
    readonly scheme: string,
    readonly host: string,
    readonly escapedPath: string,
    readonly rawQuery: string,
  ) {}

  /** hostname is host without its port; an IPv6 literal loses its brackets. */
  get hostname(): string {
    const h = this.host;
    if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
    const colon = h.lastIndexOf(':');
    return colon >= 0 ? h.slice(0, colon) : h;
  }

  get port(): string {
    const h = this.host;
    const end = h.startsWith('[') ? h.indexOf(']') + 1 : 0;
    const colon = h.indexOf(':', end);
    return colon >= 0 ? h.slice(colon + 1) : '';
  }

  query(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    if (!this.rawQuery) return out;
    for (const part of this.rawQuery.split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const k = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
      out.set(k, [...(out.get(k) ?? []), v]);
    }
    return out;
  }

  toString(): string {
    return this.raw;
  }
}

/** parseKubeUrl parses s as Go's url.ParseRequestURI would, or returns undefined. */
export function parseKubeUrl(s: string): KubeUrl | undefined {
  if (s.includes('#') || /[\s\x00-\x1f\x7f]/.test(s)) return undefined;
  const [beforeQuery, ...q] = s.split('?');
  const rawQuery = q.join('?');
  if (beforeQuery.startsWith('/')) return new KubeUrl(s, '', '', beforeQuery, rawQuery);
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/.exec(beforeQuery);
  if (!m) return undefined;
  const rest = m[2];
  if (!rest.startsWith('//')) return rest.startsWith('/') ? new KubeUrl(s, m[1], '', rest, rawQuery) : undefined;
  const afterSlashes = rest.slice(2);
  const slash = afterSlashes.indexOf('/');
  let host = slash < 0 ? afterSlashes : afterSlashes.slice(0, slash);
  const path = slash < 0 ? '' : afterSlashes.slice(slash);
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  if (host.startsWith('[') && !host.includes(']')) return undefined;
  return new KubeUrl(s, m[1], host, path, rawQuery);
}
