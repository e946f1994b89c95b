/**
 * Time and randomness for the instance scheduler's core, injected so that tests and simulated
 * runs are deterministic: a Clock (real or fake, with timers) and a seeded random generator.
 */

/** TimerHandle identifies a timer set through a Clock. */
export type TimerHandle = { readonly id: number };

/** Clock is the time source: now() in epoch milliseconds, and one-shot timers. */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** realClock is the wall clock with Node's timers; its timers do not keep the process alive. */
export const realClock: Clock = (() => {
  const live = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Date.now(),
    setTimer(fn, delayMs) {
      const id = next++;
      const t = setTimeout(() => {
        live.delete(id);
        fn();
      }, Math.max(0, delayMs));
      t.unref?.();
      live.set(id, t);
      return { id };
    },
    clearTimer(handle) {
      const t = live.get(handle.id);
      if (t) clearTimeout(t);
      live.delete(handle.id);
    },
  } satisfies Clock;
})();

interface FakeTimer { id: number; at: number; fn: () => void }

/**
 * FakeClock is a Clock that moves only when told. advance(ms) fires every timer due in the window
 * in time order (timers set while firing are honoured if they fall inside the window), setting
 * now() to each timer's due time as it fires, and ends at start + ms.
 */
export class FakeClock implements Clock {
  private current: number;
  private timers: FakeTimer[] = [];
  private nextId = 1;

  constructor(start: number | Date = Date.UTC(2024, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  /** now is the fake time in epoch milliseconds. */
  now(): number {
    return this.current;
  }

  /** setTimer schedules fn at now + delayMs (a negative delay fires at the next advance). */
  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    return { id: timer.id };
  }

  /** clearTimer cancels a timer that has not fired; clearing twice is harmless. */
  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  /** pendingTimers is how many timers are waiting, so tests can assert that nothing is scheduled. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** advance moves time forward by ms, firing due timers in order (ties in the order they were set). */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      let due: FakeTimer | undefined;
      for (const t of this.timers) if (t.at <= end && (!due || t.at < due.at || (t.at === due.at && t.id < due.id))) due = t;
      if (!due) break;
      const fired = due;
      this.timers = this.timers.filter((t) => t !== fired);
      this.current = Math.max(this.current, fired.at);
      fired.fn();
    }
    this.current = end;
  }
}

/** Random returns a float in [0, 1), like Math.random. */
export type Random = () => number;

/** seededRandom is a small deterministic generator (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
