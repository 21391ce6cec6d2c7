/**
 * Test runners' fake timers (jest, vitest, @sinonjs/fake-timers) replace the global `setTimeout`, and
 * unless they advance on their own nothing scheduled on it ever runs: Sentry's client flush polls on it,
 * and so did the kit's own deadlines, so every wait hung past its timeout. `AbortSignal.timeout` runs on
 * Node's internal timers, which none of them replace.
 */

/** Resolves after `ms` of real time, whatever the global timers do. Holds no process open. */
export function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    AbortSignal.timeout(ms).addEventListener('abort', () => resolve(), { once: true });
  });
}

/** How long the global `setTimeout(0)` may take before it is taken to be held by fake timers. */
const HELD_AFTER_MS = 50;

/** Whether the global `setTimeout` fires: false when fake timers hold it. */
export function globalTimersRun(): Promise<boolean> {
  return new Promise((resolve) => {
    const held = AbortSignal.timeout(HELD_AFTER_MS);
    const onHeld = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      held.removeEventListener('abort', onHeld);
      resolve(true);
    }, 0);
    held.addEventListener('abort', onHeld, { once: true });
  });
}
