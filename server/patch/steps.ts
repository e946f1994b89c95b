/**
 * Steps: a long computation written as a generator that yields between its phases, so that a
 * caller on the request path can let other requests run there (a write of a 50,000-key
 * ConfigMap otherwise held the event loop for all its phases at once), while every other
 * caller runs it straight through. A phase never yields halfway: the work between two yields
 * sees and leaves consistent state, and the computation reads nothing shared that can change
 * meanwhile (it works on its own copies).
 */

/** Steps is a computation of a T that yields (nothing) wherever a pause is welcome. */
export type Steps<T> = Generator<void, T, void>;

/** runSteps runs steps to the end without pausing. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** runStepsPausing runs steps, awaiting pause() (when it answers a promise) at every yield. */
export async function runStepsPausing<T>(steps: Steps<T>, pause: () => Promise<void> | undefined): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    const p = pause();
    if (p) await p;
  }
}
