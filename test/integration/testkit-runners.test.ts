import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../support/child-app';

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
});
