import { AllocatorError, IPAllocator } from '../../controllers/instances/allocator';

describe('pod IP allocator', () => {
  it('hands out unique addresses, skipping network and gateway, and the same address to the same owner', () => {
    const a = new IPAllocator('10.1.0.0/24');
    expect(a.allocate('p1')).toBe('10.1.0.2');
    expect(a.allocate('p2')).toBe('10.1.0.3');
    expect(a.allocate('p1')).toBe('10.1.0.2');
    expect(a.inUse).toBe(2);
    expect(a.lookup('p2')).toBe('10.1.0.3');
  });

  it('does not reuse a released address until the range comes round', () => {
    const a = new IPAllocator('10.1.0.0/29'); // 8 addresses: .2 to .6 usable
    const ips = ['a', 'b', 'c', 'd', 'e'].map((o) => a.allocate(o));
    expect(ips).toEqual(['10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5', '10.1.0.6']);
    expect(() => a.allocate('f')).toThrow('no free address in 10.1.0.0/29: all 5 are in use');
    a.release('b');
    expect(a.allocate('f')).toBe('10.1.0.3');
    a.release('c');
    a.release('d');
    expect(a.allocate('g')).toBe('10.1.0.4');
    a.release('zzz');
    expect(a.inUse).toBe(4);
  });

  it('restores addresses held before a restart', () => {
    const a = new IPAllocator('10.1.0.0/24');
    expect(a.restore('p1', '10.1.0.2')).toBe(true);
    expect(a.restore('p2', '10.1.0.2')).toBe(false);
    expect(a.restore('p3', '192.168.0.1')).toBe(false);
    expect(a.allocate('p4')).toBe('10.1.0.3');
  });

  it.each(['10.1.0.0', '10.1.0.0/33', '10.1.0.1/24', '300.1.0.0/16', '10.1.0.0/30'])('rejects the CIDR %s', (cidr) => {
    expect(() => new IPAllocator(cidr)).toThrow(AllocatorError);
  });
});
