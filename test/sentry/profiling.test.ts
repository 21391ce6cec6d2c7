import assert from 'node:assert/strict';
import { profilingIntegration } from '../../src/sentry/profiling';
import type { Logger } from '../../src/logger';

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string) => lines.push(`${level}: ${message}`);
  return { logger: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') }, lines };
}

describe('profilingIntegration', () => {
  it('a rate of 0: off, and nothing said', () => {
    const { logger, lines } = recordingLogger();
    assert.equal(profilingIntegration(0, logger), undefined);
    assert.deepEqual(lines, []);
  });

  it('without @sentry/profiling-node: off, with advice that can be followed (the release for our @sentry/node, which may not be published yet)', () => {
    const { logger, lines } = recordingLogger();
    const ours = (require('@sentry/node/package.json') as { version: string }).version;
    assert.equal(profilingIntegration(0.5, logger), undefined);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^info: profiling unavailable: the profiles sample rate is 0\.5 /);
    assert.ok(lines[0].includes(`built for @sentry/node@${ours}`), lines[0]);
    assert.match(lines[0], /once it is published/);
    assert.doesNotMatch(lines[0], /SENTRY_PROFILES_SAMPLE_RATE/, 'the rate may come from the option');
  });
});
