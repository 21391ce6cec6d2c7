import assert from 'node:assert/strict';
import { installShutdownHandlers } from '../src/shutdown-signals';
import { parseShutdownTimeout } from '../src/config/values';
import type { Telemetry } from '../src/telemetry';

/** A telemetry handle that records what the signal handler asked of it (its pipelines are not what is tested). */
function recordingTelemetry(): { telemetry: Telemetry; calls: string[]; warnings: string[] } {
  const calls: string[] = [];
  const warnings: string[] = [];
  const telemetry = {
    flush: async () => (calls.push('flush'), true),
    shutdown: async () => (calls.push('shutdown'), true),
    logger: { debug() {}, info() {}, warn: (line: string) => warnings.push(line), error() {} },
  } as unknown as Telemetry;
  return { telemetry, calls, warnings };
}

describe('installShutdownHandlers', () => {
  let before: unknown[] = [];
  beforeEach(() => {
    before = [...process.listeners('SIGTERM'), ...process.listeners('SIGINT')];
  });
  afterEach(() => {
    for (const listener of process.listeners('SIGTERM')) if (!before.includes(listener)) process.removeListener('SIGTERM', listener);
    for (const listener of process.listeners('SIGINT')) if (!before.includes(listener)) process.removeListener('SIGINT', listener);
  });

  it('as PID 1 (no init in the container) a signal only flushes, and says once why the app goes on: the kernel ignores it, as Node would have', async () => {
    const { telemetry, calls, warnings } = recordingTelemetry();
    installShutdownHandlers(telemetry, 100, true);
    process.emit('SIGTERM');
    process.emit('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, ['flush', 'flush']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /PID 1.*docker run --init/);
  });
});

describe('parseShutdownTimeout (EXPRESS_OTEL_SENTRY_SHUTDOWN_TIMEOUT_MS; a bad value is reported by resolveConfig)', () => {
  const cases: Array<[string | undefined, number | undefined]> = [
    ['5000', 5000],
    [' 250 ', 250],
    ['1.5', 1.5],
    [undefined, undefined],
    ['', undefined],
    ['0', undefined],
    ['-1', undefined],
    ['5s', undefined],
    ['Infinity', undefined],
  ];
  for (const [raw, expected] of cases) {
    it(`${JSON.stringify(raw)} → ${expected}`, () => assert.equal(parseShutdownTimeout(raw), expected));
  }
});
