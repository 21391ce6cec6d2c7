import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../support/child-app';

describe('the test kit under other runners', () => {
  it('node:test', () => {
    const result = spawnSync(process.execPath, ['--require', './examples/testing/setup.js', '--test', 'examples/testing/node-test/kit.test.js'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SENTRY_DSN: '' },
      timeout: 60_000,
    });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /# pass 1/);
  });
});
