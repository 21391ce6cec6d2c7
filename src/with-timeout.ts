/**
 * Resolves true when the promise settles fulfilled within `timeoutMs`, false when it rejects or the time
 * runs out; never rejects. `unref`: the timer alone does not keep the process alive (a flush on the way
 * out must not hold a process that would otherwise end; a process about to exit keeps its timer).
 */
export function withTimeout(promise: Promise<unknown>, timeoutMs: number, unref = true): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    if (unref) timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}
