import { AnnotationError, parseDuration, perContainer } from '../../controllers/instances/annotations';
import { FakeClock, seededRandom } from '../../controllers/instances/clock';

describe('fake clock', () => {
  it('fires due timers in time order, at their due time, including timers set while firing', () => {
    const clock = new FakeClock(0);
    const fired: Array<[string, number]> = [];
    clock.setTimer(() => fired.push(['b', clock.now()]), 200);
    const a = clock.setTimer(() => fired.push(['never', clock.now()]), 50);
    clock.setTimer(() => {
      fired.push(['c', clock.now()]);
      clock.setTimer(() => fired.push(['d', clock.now()]), 10);
    }, 100);
    clock.clearTimer(a);
    clock.advance(150);
    expect(fired).toEqual([['c', 100], ['d', 110]]);
    expect(clock.now()).toBe(150);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(50);
    expect(fired[2]).toEqual(['b', 200]);
  });

  it('gives the same random sequence for the same seed', () => {
    const a = seededRandom(9);
    const b = seededRandom(9);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('annotation values', () => {
  it('parses Go durations and plain seconds', () => {
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(() => parseDuration('soon')).toThrow(AnnotationError);
    expect(() => parseDuration('5 s')).toThrow('invalid duration "5 s"');
  });

  it('resolves per-container values and flags', () => {
    const v = perContainer('app=30s,sidecar=5s');
    expect([v.get('app'), v.get('sidecar'), v.get('other')]).toEqual(['30s', '5s', undefined]);
    expect(perContainer('10s').get('any')).toBe('10s');
    const f = perContainer('app,worker', 'flag');
    expect([f.get('app'), f.get('worker'), f.get('web')]).toEqual(['true', 'true', undefined]);
    expect(perContainer('true', 'flag').get('x')).toBe('true');
    expect(() => perContainer('1s,2s')).toThrow(AnnotationError);
  });
});
