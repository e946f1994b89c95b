/**
 * The service cluster IP range (kube-apiserver's --service-cluster-ip-range) and the set of its
 * addresses that Services hold, as kube's bitmap ipallocator keeps it: the network and broadcast
 * addresses are never handed out; addresses picked for a Service without a requested clusterIP
 * come first from the upper part of the range, so the lower part stays free for Services that
 * ask for a fixed address (kube's ServiceIPStaticSubrange); the pick is random, so two servers
 * started from the same state do not walk the same sequence.
 *
 * Only IPv4 ranges are supported: nodeless's pod network is IPv4, so a dual-stack or IPv6
 * service range would hand out addresses nothing answers on.
 */

/** DEFAULT_SERVICE_CLUSTER_IP_RANGE is kube-apiserver's default service range. */
export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/12';

/** ServiceIPRangeError is a malformed --service-cluster-ip-range. */
export class ServiceIPRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceIPRangeError';
  }
}

/** IPNotInRangeError is ipallocator's ErrNotInRange: the address is outside the usable range. */
export class IPNotInRangeError extends Error {
  constructor(ip: string, range: string) {
    super(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${range}`);
    this.name = 'IPNotInRangeError';
  }
}

/** IPAllocatedError is ipallocator's ErrAllocated: another Service holds the address. */
export class IPAllocatedError extends Error {
  constructor() {
    super('provided IP is already allocated');
    this.name = 'IPAllocatedError';
  }
}

/** RangeFullError is ipallocator's ErrFull: every usable address is held. */
export class RangeFullError extends Error {
  constructor(range: string) {
    super(`range is full: no free address in ${range}`);
    this.name = 'RangeFullError';
  }
}

/** parseIPv4 reads a dotted IPv4 address as an unsigned 32-bit number, or undefined. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** formatIPv4 writes a 32-bit address in dotted quads. */
export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** ServiceIPRange holds which addresses of one IPv4 CIDR are allocated. */
export class ServiceIPRange {
  /** cidr is the range as configured, normalized (e.g. 10.96.0.0/12) */
  readonly cidr: string;
  // first usable address (network + 1) and how many usable addresses follow it
  private readonly base: number;
  private readonly size: number;
  // addresses below this offset are preferred for requested (static) clusterIPs
  private readonly staticBand: number;
  // used is a bitmap, one bit an address as kube's allocator keeps it: a byte an address would
  // be a megabyte for a /12, whose pages the first thousand random picks fault in one by one.
  private readonly used: Uint32Array;
  private count = 0;

  constructor(
    cidr: string = DEFAULT_SERVICE_CLUSTER_IP_RANGE,
    private readonly random: () => number = Math.random,
  ) {
    if (cidr.includes(',')) throw new ServiceIPRangeError(`invalid service cluster IP range "${cidr}": dual-stack ranges are not supported, only one IPv4 range`);
    const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
    const ip = m ? parseIPv4(m[1]) : undefined;
    const bits = m ? Number(m[2]) : NaN;
    if (m && ip === undefined && m[1].includes(':')) throw new ServiceIPRangeError(`invalid service cluster IP range "${cidr}": only IPv4 ranges are supported`);
    // kube refuses ranges over 2^20 addresses (a /12); under a /29 there is little to hand out.
    if (ip === undefined || !(bits >= 12 && bits <= 29)) throw new ServiceIPRangeError(`invalid service cluster IP range "${cidr}": expected an IPv4 CIDR with a prefix from /12 to /29, e.g. ${DEFAULT_SERVICE_CLUSTER_IP_RANGE}`);
    const total = 2 ** (32 - bits);
    if (ip % total !== 0) throw new ServiceIPRangeError(`invalid service cluster IP range "${cidr}": host bits are set (did you mean ${formatIPv4(ip - (ip % total))}/${bits}?)`);
    this.cidr = `${formatIPv4(ip)}/${bits}`;
    this.base = ip + 1;
    this.size = total - 2;
    // kube's static band: a sixteenth of the range, at least 16 and at most 256 addresses.
    this.staticBand = Math.min(Math.max(16, Math.floor(total / 16)), 256);
    this.used = new Uint32Array(Math.ceil(this.size / 32));
  }

  /** first is the first usable address, which kube gives the default/kubernetes Service. */
  get first(): string {
    return formatIPv4(this.base);
  }

  /** allocated is how many addresses are held. */
  get allocated(): number {
    return this.count;
  }

  /** free is how many addresses are left. */
  get free(): number {
    return this.size - this.count;
  }

  /** contains tells whether ip is a usable address of the range. */
  contains(ip: string): boolean {
    return this.offsetOf(ip) !== undefined;
  }

  /** has tells whether ip is held. */
  has(ip: string): boolean {
    const o = this.offsetOf(ip);
    return o !== undefined && this.isUsed(o);
  }

  /**
   * allocate takes ip: IPNotInRangeError when it is outside the range, IPAllocatedError when it
   * is held. With dryRun the checks are made and nothing is taken.
   */
  allocate(ip: string, dryRun = false): void {
    const o = this.offsetOf(ip);
    if (o === undefined) throw new IPNotInRangeError(ip, this.cidr);
    if (this.isUsed(o)) throw new IPAllocatedError();
    if (!dryRun) this.take(o);
  }

  /**
   * allocateNext takes a free address (RangeFullError when there is none) and returns it. With
   * dryRun it returns a free address without taking it.
   */
  allocateNext(dryRun = false): string {
    if (this.count >= this.size) throw new RangeFullError(this.cidr);
    const band = this.size > this.staticBand ? this.staticBand : 0;
    // The dynamic band first, then the static one, each from a random start.
    const o = this.freeFrom(band, this.size) ?? this.freeFrom(0, band);
    if (o === undefined) throw new RangeFullError(this.cidr);
    if (!dryRun) this.take(o);
    return formatIPv4(this.base + o);
  }

  /** release frees ip; an address not held (or outside the range) is ignored. */
  release(ip: string): void {
    const o = this.offsetOf(ip);
    if (o === undefined || !this.isUsed(o)) return;
    this.used[o >>> 5] &= ~(1 << (o & 31));
    this.count--;
  }

  private isUsed(o: number): boolean {
    return (this.used[o >>> 5] & (1 << (o & 31))) !== 0;
  }

  private take(o: number): void {
    this.used[o >>> 5] |= 1 << (o & 31);
    this.count++;
  }

  // freeFrom scans [lo, hi) from a random offset, wrapping once.
  private freeFrom(lo: number, hi: number): number | undefined {
    const n = hi - lo;
    if (n <= 0) return undefined;
    const start = lo + Math.floor(this.random() * n);
    for (let i = 0; i < n; i++) {
      const o = lo + ((start - lo + i) % n);
      if (!this.isUsed(o)) return o;
    }
    return undefined;
  }

  private offsetOf(ip: string): number | undefined {
    const n = parseIPv4(ip);
    if (n === undefined) return undefined;
    const o = n - this.base;
    return o >= 0 && o < this.size ? o : undefined;
  }
}
