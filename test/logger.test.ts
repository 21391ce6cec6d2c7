import assert from 'node:assert/strict';
import { createConsoleLogger, safeLogger } from '../src/logger';

/** What `console[level]` printed while `fn` ran (console itself, restored afterwards). */
function printed(level: 'debug' | 'info' | 'warn' | 'error', fn: () => void): string[] {
  const original = console[level];
  const lines: string[] = [];
  console[level] = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    fn();
  } finally {
    console[level] = original;
  }
  return lines;
}

describe('createConsoleLogger', () => {
  it('prints one prefixed line per message, with what the app threw made printable', () => {
    const logger = createConsoleLogger({});
    const lines = printed('warn', () => logger.warn('resolver threw: bad\n[express-otel-sentry] forged \u001b[2J'));
    assert.deepEqual(lines, ['[express-otel-sentry] resolver threw: bad\\n[express-otel-sentry] forged \\u001b[2J']);
  });

  const debugValues: Array<[string | undefined, boolean]> = [
    [undefined, false], ['', false], ['1', true], ['true', true], [' ON ', true], ['yes', true],
    ['0', false], ['false', false], ['off', false], ['no ', false],
    // Neither on nor off: reported by resolveConfig, and off.
    ['verbose', false],
  ];
  for (const [value, shown] of debugValues) {
    it(`EXPRESS_OTEL_SENTRY_DEBUG=${JSON.stringify(value)}: debug lines ${shown ? 'printed' : 'not printed'}`, () => {
      const lines = printed('debug', () => createConsoleLogger({ EXPRESS_OTEL_SENTRY_DEBUG: value }).debug('line'));
      assert.deepEqual(lines, shown ? ['[express-otel-sentry] line'] : []);
    });
  }
});

describe('safeLogger', () => {
  it('a logger that throws never breaks the caller', () => {
    const broken = { debug() { throw new Error('x'); }, info() { throw new Error('x'); }, warn() { throw new Error('x'); }, error() { throw new Error('x'); } };
    const logger = safeLogger(broken);
    for (const level of ['debug', 'info', 'warn', 'error'] as const) assert.doesNotThrow(() => logger[level]('message'));
  });
});
