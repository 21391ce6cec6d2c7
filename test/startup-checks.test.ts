import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { givenOptionNames, loadedTooEarlyWarning, packagesLoadedBefore } from '../src/startup-checks';
import { ROOT } from './support/child-app';

describe('start-up checks: mistakes that silently cost telemetry are said once', () => {
  it('finds express, pg and knex among modules already loaded, nothing else', () => {
    const cache = Object.fromEntries(
      ['/app/node_modules/express/index.js', '/app/node_modules/express/lib/router.js', 'C:\\app\\node_modules\\pg\\lib\\index.js', '/app/node_modules/pg-pool/index.js', '/app/node_modules/knex-utils/x.js', '/app/src/express.js'].map((path) => [path, {}]),
    );
    assert.deepEqual(packagesLoadedBefore(cache), ['express', 'pg']);
    // An ES module app's static imports, linked but not run yet: pg and knex are still instrumented when they run, express is not.
    const linked = { '/app/node_modules/pg/lib/index.js': { loaded: false }, '/app/node_modules/knex/knex.js': { loaded: false } };
    assert.deepEqual(packagesLoadedBefore(linked), []);
    assert.deepEqual(packagesLoadedBefore({ ...linked, '/app/node_modules/express/index.js': { loaded: false } }), ['express']);
    assert.equal(loadedTooEarlyWarning([]), undefined);
    assert.match(loadedTooEarlyWarning(['express', 'pg']) ?? '', /^express, pg were loaded before telemetry started, so they may not be traced/);
  });

  it('names the options given a value (any value from JavaScript)', () => {
    assert.deepEqual(givenOptionNames({ dsn: 'x', release: undefined, classifyError: () => 'c' }), ['dsn', 'classifyError']);
    assert.deepEqual(givenOptionNames(undefined), []);
    assert.deepEqual(givenOptionNames(new Proxy({}, { ownKeys() { throw new Error('no'); } })), []);
  });

  const REGISTER = pathToFileURL(join(ROOT, 'dist', 'src', 'register.js')).href;
  const cases: Array<[string, string[], string, NodeJS.ProcessEnv, RegExp]> = [
    ['express required before initTelemetry', [], "require('express'); require('./dist/src').initTelemetry();", {}, /express was loaded before telemetry started, so it may not be traced/],
    ['options of an initTelemetry after the preload', ['--import', REGISTER], "require('./dist/src').initTelemetry({ classifyError: () => 'x', release: undefined });", {}, /initTelemetry: telemetry was already started .* options are ignored: classifyError\. Pass them to the first call/],
    ['OTEL_PROPAGATORS without sentry while Sentry is on (an OpenTelemetry operator\'s default)', ['--import', REGISTER], '', { SENTRY_DSN: 'http://key@127.0.0.1:9/1', OTEL_PROPAGATORS: 'tracecontext,baggage' }, /OTEL_PROPAGATORS leaves out 'sentry': traces started by Sentry-instrumented browsers/],
    ['the test kit after the preload, with a DSN', ['--import', REGISTER], "require('./dist/src/testing').createTestkit();", { SENTRY_DSN: 'http://key@127.0.0.1:9/1' }, /createTestkit: telemetry started earlier sends to Sentry as well as to the kit/],
  ];
  for (const [name, execArgv, script, env, line] of cases) {
    it(`warns: ${name}`, () => {
      const result = spawnSync(process.execPath, [...execArgv, '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SENTRY_DSN: '', SENTRY_LOCAL_VIEW: '0', ...env } });
      assert.match(result.stdout + result.stderr, line);
    });
  }

  it('says nothing when the order is right', () => {
    const result = spawnSync(process.execPath, ['--import', REGISTER, '-e', "require('express'); require('knex'); require('./dist/src').initTelemetry();"], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SENTRY_DSN: '', SENTRY_LOCAL_VIEW: '0' } });
    assert.doesNotMatch(result.stdout + result.stderr, /loaded before|options are ignored/);
  });
});
