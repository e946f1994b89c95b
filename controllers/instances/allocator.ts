/**
 * IPv4 address allocation from a CIDR, for pod IPs (and the simulated provider's host IPs). An
 * address is unique while its owner holds it; after release it is reused only once the cursor
 * comes round again, so a just-deleted Pod's IP is not handed straight to the next Pod.
 */

/** AllocatorError is a malformed CIDR or an exhausted range. */
export class AllocatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllocatorError';
  }
}

function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p[0] === '0')) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** formatIPv4 writes a 32-bit address in dotted quads. */
export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** IPAllocator hands out the usable addresses of a CIDR (network, first host as gateway, and broadcast excluded). */
export class IPAllocator {
  private readonly base: number;
  private readonly usable: number;
  private readonly byOwner = new Map<string, number>();
  private readonly taken = new Set<number>();
  private cursor = 0;

  constructor(readonly cidr: string = '10.64.0.0/10') {
    const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
    const ip = m ? parseIPv4(m[1]) : undefined;
    const bits = m ? Number(m[2]) : NaN;
    if (ip === undefined || !(bits >= 8 && bits <= 29)) throw new AllocatorError(`invalid pod CIDR "${cidr}": expected an IPv4 CIDR with a prefix from /8 to /29, e.g. 10.64.0.0/10`);
    const size = 2 ** (32 - bits);
    if (ip % size !== 0) throw new AllocatorError(`invalid pod CIDR "${cidr}": host bits are set (did you mean ${formatIPv4(ip - (ip % size))}/${bits}?)`);
    // Offsets 0 (network), 1 (gateway) and size-1 (broadcast) are never handed out.
    this.base = ip + 2;
    this.usable = size - 3;
  }

  /** inUse is how many addresses are held. */
  get inUse(): number {
    return this.byOwner.size;
  }

  /** allocate returns owner's address, allocating one the first time; throws AllocatorError when none is free. */
  allocate(owner: string): string {
    const held = this.byOwner.get(owner);
    if (held !== undefined) return formatIPv4(this.base + held);
    if (this.taken.size >= this.usable) throw new AllocatorError(`no free address in ${this.cidr}: all ${this.usable} are in use`);
    while (this.taken.has(this.cursor)) this.cursor = (this.cursor + 1) % this.usable;
    const offset = this.cursor;
    this.cursor = (this.cursor + 1) % this.usable;
    this.taken.add(offset);
    this.byOwner.set(owner, offset);
    return formatIPv4(this.base + offset);
  }

  /** lookup is owner's address without allocating. */
  lookup(owner: string): string | undefined {
    const held = this.byOwner.get(owner);
    return held === undefined ? undefined : formatIPv4(this.base + held);
  }

  /** release frees owner's address; releasing an owner without one is harmless. */
  release(owner: string): void {
    const held = this.byOwner.get(owner);
    if (held === undefined) return;
    this.byOwner.delete(owner);
    this.taken.delete(held);
  }

  /** restore marks ip as held by owner (after a restart, from the Pods' status.podIP); false if it is outside the range or taken by another. */
  restore(owner: string, ip: string): boolean {
    const n = parseIPv4(ip);
    if (n === undefined) return false;
    const offset = n - this.base;
    if (offset < 0 || offset >= this.usable) return false;
    const held = this.byOwner.get(owner);
    if (held === offset) return true;
    if (this.taken.has(offset) || held !== undefined) return false;
    this.taken.add(offset);
    this.byOwner.set(owner, offset);
    return true;
  }
}
