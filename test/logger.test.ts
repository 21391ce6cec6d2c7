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

  it('prints debug lines only with EXPRESS_OTEL_SENTRY_DEBUG set', () => {
    assert.deepEqual(printed('debug', () => createConsoleLogger({}).debug('hidden')), []);
    assert.deepEqual(printed('debug', () => createConsoleLogger({ EXPRESS_OTEL_SENTRY_DEBUG: '1' }).debug('shown')), ['[express-otel-sentry] shown']);
  });
});

describe('safeLogger', () => {
  it('a logger that throws never breaks the caller', () => {
    const broken = { debug() { throw new Error('x'); }, info() { throw new Error('x'); }, warn() { throw new Error('x'); }, error() { throw new Error('x'); } };
    const logger = safeLogger(broken);
    for (const level of ['debug', 'info', 'warn', 'error'] as const) assert.doesNotThrow(() => logger[level]('message'));
  });
});
