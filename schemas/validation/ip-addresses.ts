/**
 * IP addresses and CIDRs as kube's validation reads them (netutils.ParseIPSloppy and
 * ParseCIDRSloppy): dotted IPv4, IPv6 with an optional embedded IPv4 tail, and prefix lengths
 * up to the family's width. Addresses are also read as numbers so a CIDR can contain another.
 */
import { isIPv4 as netIsIPv4, isIPv6 as netIsIPv6 } from 'node:net';

/** IP_MSG is the message of an address that does not parse. */
export const IP_MSG = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

/** CIDR_MSG is the message of a CIDR that does not parse. */
export const CIDR_MSG = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/** isIPv4 accepts a dotted IPv4 address. */
export const isIPv4 = (s: string): boolean => netIsIPv4(s);

/** isIPv6 accepts an IPv6 address (no zone). */
export const isIPv6 = (s: string): boolean => netIsIPv6(s) && !s.includes('%');

/** isIP accepts a dotted IPv4 address or an IPv6 address. */
export const isIP = (s: string): boolean => isIPv4(s) || isIPv6(s);

/** Cidr is a parsed CIDR: the family, the network address as a number and the prefix length. */
export interface Cidr {
  v6: boolean;
  network: bigint;
  bits: number;
}

// ipValue reads an address as an unsigned number of 32 or 128 bits.
function ipValue(ip: string): bigint {
  if (isIPv4(ip)) return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  let s = ip;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const v = ipValue(tail[1]);
    s = `${s.slice(0, -tail[1].length)}${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head, rest] = s.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** parseCIDR reads "address/bits", or undefined when it is not a CIDR. */
export function parseCIDR(s: string): Cidr | undefined {
  const parts = s.split('/');
  if (parts.length !== 2 || !/^\d{1,3}$/.test(parts[1]) || !isIP(parts[0])) return undefined;
  const v6 = !isIPv4(parts[0]);
  const bits = Number(parts[1]);
  const width = v6 ? 128 : 32;
  if (bits > width) return undefined;
  const mask = ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - bits)) - 1n);
  return { v6, network: ipValue(parts[0]) & mask, bits };
}

/** isCIDR accepts an "address/bits" CIDR. */
export const isCIDR = (s: string): boolean => parseCIDR(s) !== undefined;

/** contains says inner lies inside outer (the same family, outer's prefix on inner's network, a prefix at least as long). */
export function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.v6 !== inner.v6 || outer.bits > inner.bits) return false;
  const width = BigInt(outer.v6 ? 128 : 32);
  return inner.network >> (width - BigInt(outer.bits)) === outer.network >> (width - BigInt(outer.bits));
}

/** strictlyContains says inner is a smaller network inside outer (net.IPNet.Contains and a longer prefix). */
export const strictlyContains = (outer: Cidr, inner: Cidr): boolean => outer.bits < inner.bits && contains(outer, inner);
