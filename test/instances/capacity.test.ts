import { AccountCapacity, CapacityLimitsError, parseCapacityLimits } from '../../controllers/instances/capacity';

const Gi = 1024 ** 3;
const req = (key: string, milliCPU: number, memoryBytes: number, createdAt: number) => ({ key, milliCPU, memoryBytes, createdAt });

describe('account capacity', () => {
  it('admits while the limits hold and makes the rest wait with a clear reason', () => {
    const cap = new AccountCapacity({ milliCPU: 4000, memoryBytes: 8 * Gi, instances: 3 });
    expect(cap.request(req('a', 2000, 4 * Gi, 1))).toEqual({ admitted: true });
    expect(cap.request(req('b', 1000, 2 * Gi, 2))).toEqual({ admitted: true });
    const c = cap.request(req('c', 2000, 2 * Gi, 3));
    expect(c).toEqual({
      admitted: false,
      reason: 'InsufficientCapacity',
      message: "account capacity is exhausted: 3/4 vCPU, 6Gi/8Gi memory, 2/3 instances in use; the pod's instance needs 2 vCPU and 2Gi",
    });
    expect(cap.usage()).toEqual({ milliCPU: 3000, memoryBytes: 6 * Gi, instances: 2 });
    // Asking again is idempotent.
    expect(cap.request(req('a', 2000, 4 * Gi, 1))).toEqual({ admitted: true });
    expect(cap.waiting()).toEqual(['c']);
  });

  it('counts instances against the instance limit', () => {
    const cap = new AccountCapacity({ instances: 1 });
    expect(cap.request(req('a', 250, Gi / 2, 1)).admitted).toBe(true);
    expect(cap.request(req('b', 250, Gi / 2, 2)).admitted).toBe(false);
    expect(cap.release('a')).toEqual(['b']);
  });

  it('admits waiting pods oldest first when capacity frees, and a young pod never overtakes an older waiting one', () => {
    const cap = new AccountCapacity({ milliCPU: 4000 });
    cap.request(req('running', 4000, Gi, 0));
    expect(cap.request(req('young', 1000, Gi, 30)).admitted).toBe(false);
    expect(cap.request(req('old', 3000, Gi, 10)).admitted).toBe(false);
    expect(cap.request(req('middle', 1000, Gi, 20)).admitted).toBe(false);
    expect(cap.waiting()).toEqual(['old', 'middle', 'young']);
    const waitMessage = cap.request(req('young', 1000, Gi, 30));
    expect(waitMessage.admitted === false && waitMessage.message).toMatch(/2 older pods are waiting ahead of it$/);
    expect(cap.release('running')).toEqual(['old', 'middle']);
    expect(cap.waiting()).toEqual(['young']);
    // A new small pod that would fit still waits behind the older one.
    expect(cap.request(req('newcomer', 0, 0, 40)).admitted).toBe(false);
    expect(cap.release('middle')).toEqual(['young', 'newcomer']);
  });

  it('drops a waiting pod that is released (deleted while waiting)', () => {
    const cap = new AccountCapacity({ instances: 1 });
    cap.request(req('a', 0, 0, 1));
    cap.request(req('b', 0, 0, 2));
    cap.request(req('c', 0, 0, 3));
    expect(cap.release('b')).toEqual([]);
    expect(cap.release('a')).toEqual(['c']);
  });

  it('refuses, without queueing, an instance larger than the account limits', () => {
    const cap = new AccountCapacity({ milliCPU: 8000, memoryBytes: 16 * Gi });
    expect(cap.request(req('huge', 16000, 32 * Gi, 1))).toEqual({
      admitted: false,
      reason: 'ExceedsAccountLimit',
      message: "the pod's instance needs 16 vCPU but the account limit is 8 vCPU and 32Gi memory but the account limit is 16Gi",
    });
    expect(cap.waiting()).toEqual([]);
  });

  it('parses limits from flags and rejects bad ones', () => {
    expect(parseCapacityLimits({ cpu: '64', memory: '256Gi', instances: '100' })).toEqual({ milliCPU: 64000, memoryBytes: 256 * Gi, instances: 100 });
    expect(parseCapacityLimits({})).toEqual({ milliCPU: undefined, memoryBytes: undefined, instances: undefined });
    expect(() => parseCapacityLimits({ cpu: 'many' })).toThrow(CapacityLimitsError);
    expect(() => parseCapacityLimits({ memory: '-1Gi' })).toThrow('capacity memory: must be positive, got "-1Gi"');
    expect(() => parseCapacityLimits({ instances: '1.5' })).toThrow('capacity instances: must be a positive integer, got "1.5"');
  });
});
