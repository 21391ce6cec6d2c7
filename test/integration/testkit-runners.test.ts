import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../support/child-app';
import { getTestDatabase } from '../support/database';

describe('the test kit under other runners', () => {
  for (const file of ['kit.test.js', 'kit.test.mjs']) {
    it(`node:test (${file})`, () => {
      const result = spawnSync(process.execPath, ['--import', './examples/testing/setup.js', '--test', `examples/testing/node-test/${file}`], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, SENTRY_DSN: '' },
        timeout: 60_000,
      });
      assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
      // TAP on Node 20 ("# pass 1"), the spec reporter on Node 22+ ("ℹ pass 1").
      assert.match(result.stdout, /(#|ℹ) pass 1\b/);
    });
  }

  // Two files in one worker (-i): each has its own module registry, so its own copy of the library, sharing Node's http.
  it('jest, two test files in one worker: route and query spans, and each file its own user and breadcrumbs', async () => {
    const result = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '-c', 'examples/testing/jest/jest.config.js', '-i', '--ci'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SENTRY_DSN: '', DATABASE_URL: (await getTestDatabase()).url },
      timeout: 120_000,
    });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, /Tests: {7}4 passed, 4 total/);
  });

  // Each file's copy of the library started telemetry whose timers, channel subscription and hooks held
  // that file's whole module graph (~6 MB a file, without end). The heap may rise for a few files
  // before the collector lets old contexts go; it must then stop rising.
  it('jest, sixteen test files in one worker: what each file held is let go (the heap levels off)', () => {
    const result = spawnSync(process.execPath, ['--expose-gc', require.resolve('jest/bin/jest'), '-c', 'test/integration/fixtures/jest-files/jest.config.js', '-i', '--ci', '--logHeapUsage'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SENTRY_DSN: '' },
      timeout: 120_000,
    });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    const heaps = [...result.stderr.matchAll(/\((?:[\d.]+ m?s, )?(\d+) MB heap size\)/g)].map((match) => Number(match[1]));
    assert.equal(heaps.length, 16, result.stderr);
    // The lowest reading of the last four files against that of the four before: a collection can come a
    // file or two late (85, 85, 93, 101 MB in a CI run with two suites at once), while a leak of ~6 MB a
    // file raises the lowest reading by ~24 MB.
    const lowest = (from: number, to: number) => Math.min(...heaps.slice(from, to));
    assert.ok(lowest(12, 16) - lowest(8, 12) < 12, `the heap after each file, in MB: ${heaps.join(', ')}`);
  });
});
