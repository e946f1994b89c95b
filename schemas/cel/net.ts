/**
 * IP addresses and CIDRs for Kubernetes' CEL ip/cidr library. Parsing follows Go's netip as
 * Kubernetes uses it: no zones, no IPv4-mapped IPv6 addresses, no leading zeros in IPv4.
 */
import { isIPv4, isIPv6 } from 'node:net';

function v4Bytes(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function v6Bytes(s: string): number[] | undefined {
  if (!isIPv6(s) || s.includes('%')) return undefined;
  let head = s;
  let tailV4: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = v4Bytes(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tailV4 = v4;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const [l, r] = head.includes('::') ? head.split('::') : [head, undefined];
  const left = l ? l.split(':') : [];
  const right = r ? r.split(':') : [];
  const groups = r === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  if (groups.length !== 8) return undefined;
  const bytes: number[] = [];
  for (const g of groups) {
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 255);
  }
  if (tailV4.length) bytes.splice(12, 4, ...tailV4);
  return bytes;
}

/** IpValue is a parsed IP address: its family (4 or 6) and bytes. */
export class IpValue {
  constructor(readonly family: 4 | 6, readonly bytes: number[]) {}

  /** toString is the canonical form (Go's netip.Addr.String). */
  toString(): string {
    if (this.family === 4) return this.bytes.join('.');
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((this.bytes[i] << 8) | this.bytes[i + 1]);
    // The longest run (of two or more) of zero groups is written as '::'.
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (groups[i] !== 0) { i++; continue; }
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen) { best = i; bestLen = j - i; }
      i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (best < 0) return hex.join(':');
    return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
  }

  isUnspecified(): boolean {
    return this.bytes.every((b) => b === 0);
  }

  isLoopback(): boolean {
    return this.family === 4 ? this.bytes[0] === 127 : this.bytes.slice(0, 15).every((b) => b === 0) && this.bytes[15] === 1;
  }

  isLinkLocalMulticast(): boolean {
    return this.family === 4
      ? this.bytes[0] === 224 && this.bytes[1] === 0 && this.bytes[2] === 0
      : this.bytes[0] === 0xff && (this.bytes[1] & 0x0f) === 0x02;
  }

  isLinkLocalUnicast(): boolean {
    return this.family === 4 ? this.bytes[0] === 169 && this.bytes[1] === 254 : this.bytes[0] === 0xfe && (this.bytes[1] & 0xc0) === 0x80;
  }

  isGlobalUnicast(): boolean {
    if (this.isUnspecified() || this.isLoopback() || this.isLinkLocalUnicast() || this.isLinkLocalMulticast()) return false;
    if (this.family === 4) return !(this.bytes[0] >= 224) && !this.bytes.every((b) => b === 255);
    return this.bytes[0] !== 0xff;
  }
}

/** parseIp parses an IPv4 or IPv6 address as Kubernetes' ip() does, or returns undefined. */
export function parseIp(s: string): IpValue | undefined {
  if (isIPv4(s)) {
    const b = v4Bytes(s);
    return b ? new IpValue(4, b) : undefined;
  }
  const b = v6Bytes(s);
  if (!b) return undefined;
  // IPv4-mapped IPv6 addresses are refused, as Kubernetes' library does.
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return undefined;
  return new IpValue(6, b);
}

/** CidrValue is a parsed CIDR: an address and a prefix length. */
export class CidrValue {
  constructor(readonly ip: IpValue, readonly prefixLength: number) {}

  toString(): string {
    return `${this.ip.toString()}/${this.prefixLength}`;
  }

  masked(): CidrValue {
    const bytes = this.ip.bytes.map((b, i) => {
      const bits = Math.max(0, Math.min(8, this.prefixLength - i * 8));
      return b & ((0xff << (8 - bits)) & 0xff);
    });
    return new CidrValue(new IpValue(this.ip.family, bytes), this.prefixLength);
  }

  containsIP(ip: IpValue): boolean {
    if (ip.family !== this.ip.family) return false;
    const a = this.masked().ip.bytes;
    const b = new CidrValue(ip, this.prefixLength).masked().ip.bytes;
    return a.every((x, i) => x === b[i]);
  }

  containsCIDR(o: CidrValue): boolean {
    return o.ip.family === this.ip.family && o.prefixLength >= this.prefixLength && this.containsIP(o.ip);
  }
}

/** parseCidr parses an "address/prefix" CIDR as Kubernetes' cidr() does, or returns undefined. */
export function parseCidr(s: string): CidrValue | undefined {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  if (!ip || !/^(0|[1-9][0-9]*)$/.test(bits)) return undefined;
  const n = Number(bits);
  if (n > (ip.family === 4 ? 32 : 128)) return undefined;
  return new CidrValue(ip, n);
}
