import { strict as assert } from 'node:assert';
import { runBoth, type FixtureRun } from './fixtures/run';

/**
 * fixtures/system-error.ts captures real system errors (a missing file, a rename, a refused
 * connection) and look-alikes through real @sentry/core clients to a fake Sentry, once with our
 * integration and once with @sentry/node's.
 */
type Seen = { value: string; context: Record<string, unknown> | undefined };

/** Events by "set-up/case"; the refused port is random, so it is replaced. */
function byCase(run: FixtureRun): Record<string, Seen> {
  const seen: Record<string, Seen> = {};
  for (const event of run.events) {
    const key = `${event.tags.setup}/${event.tags.case}`;
    assert.equal(seen[key], undefined, `one event per case: ${key}`);
    const context = event.contexts?.node_system_error;
    seen[key] = {
      value: event.exception.values[0].value.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:PORT'),
      context: context?.port ? { ...context, port: 'PORT' } : context,
    };
  }
  return seen;
}

const OPEN = { errno: -2, code: 'ENOENT', syscall: 'open' };
const RENAME = { errno: -2, code: 'ENOENT', syscall: 'rename' };
const FILE = '/nonexistent-dir/user-jane/notes.txt';
const FROM = '/nonexistent-dir/user-jane/a.txt';
const TO = '/nonexistent-dir/user-jane/b.txt';

describe('system errors (NodeSystemError)', function () {
  this.timeout(60_000);
  let ours: Record<string, Seen>;
  let upstream: Record<string, Seen>;

  before(async () => {
    const runs = await runBoth('system-error.ts', 'all');
    for (const run of [runs.ours, runs.upstream]) assert.equal(run.code, 0, run.stderr);
    ours = byCase(runs.ours);
    upstream = byCase(runs.upstream);
    assert.equal(Object.keys(ours).length, 15, 'three set-ups times five cases');
  });



  it('gives every case exactly what @sentry/node gives it', () => {
    assert.deepEqual(ours, upstream);
  });

  it('puts the error fields in a node_system_error context and the quoted paths out of the message', () => {
    assert.deepEqual(ours['default/open-missing-file'], {
      value: 'ENOENT: no such file or directory, open',
      context: { ...OPEN, path: FILE },
    });
    assert.deepEqual(ours['default/rename-missing-file'], {
      value: 'ENOENT: no such file or directory, rename  ->',
      context: { ...RENAME, path: FROM, dest: TO },
    });
    assert.deepEqual(ours['default/connection-refused'], {
      value: 'connect ECONNREFUSED 127.0.0.1:PORT',
      context: { errno: -111, code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 'PORT' },
    });
  });

  it('drops path and dest when the client does not collect user info, unless includePaths', () => {
    assert.deepEqual(ours['no-user-info/open-missing-file'].context, OPEN);
    assert.deepEqual(ours['no-user-info/rename-missing-file'].context, RENAME);
    assert.equal(ours['no-user-info/rename-missing-file'].value, 'ENOENT: no such file or directory, rename  ->');
    assert.deepEqual(ours['no-user-info-include-paths/open-missing-file'].context, { ...OPEN, path: FILE });
    assert.deepEqual(ours['no-user-info-include-paths/rename-missing-file'].context, { ...RENAME, path: FROM, dest: TO });
  });

  it('leaves alone an Error whose errno libuv does not know, and a non-Error with a known errno', () => {
    for (const setup of ['default', 'no-user-info', 'no-user-info-include-paths']) {
      assert.deepEqual(ours[`${setup}/unknown-errno`], { value: 'errno libuv does not know', context: undefined });
      assert.deepEqual(ours[`${setup}/not-an-error`], { value: 'a plain object', context: undefined });
    }
  });
});
