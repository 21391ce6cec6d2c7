import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Event } from '@sentry/core';
import { collectModules, isMainModulesDir, modulesIntegration } from '../../../src/sentry/node/modules';

type ModuleInfo = Record<string, string>;
type SentryModules = { modulesIntegration: () => { name: string; processEvent(event: Event): Event; getModules(): ModuleInfo } };

/**
 * A fresh copy of @sentry/node's own Modules integration: its module list is cached once per module
 * instance, and an earlier test in this process may have filled that cache when fewer packages were loaded.
 */
function freshSentryModules(): SentryModules {
  const file = path.join(path.dirname(require.resolve('@sentry/node')), 'integrations', 'modules.js');
  delete require.cache[file];
  return require(file) as SentryModules;
}

const packageJson = require('../../../package.json') as { dependencies: ModuleInfo; devDependencies: ModuleInfo };

describe('modulesIntegration (port of @sentry/node\'s Modules)', () => {
  it('is named Modules, as Sentry\'s', () => {
    assert.equal(modulesIntegration().name, 'Modules');
  });

  it('collects the same modules as Sentry\'s own integration', () => {
    // Sentry's copy is loaded first, so that both read the same require cache.
    const sentry = freshSentryModules().modulesIntegration();
    const ours = collectModules();
    assert.deepEqual(ours, sentry.getModules());
    assert.ok(Object.keys(ours).length > 10, `${Object.keys(ours).length} modules`);
  });

  it('lists loaded packages with their installed version, the others with their package.json range', () => {
    const modules = collectModules();
    const installed = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
    assert.equal(modules.mocha, installed('mocha'), 'mocha is loaded: its installed version');
    assert.equal(modules['@sentry/core'], installed('@sentry/core'));
    assert.equal(modules.autocannon, packageJson.devDependencies.autocannon, 'autocannon is not loaded: the declared range');
  });

  const SERVER_MODULES: ModuleInfo[] = [{ 'build-time-only': '1.2.3' }, { 'build-time-only': '1.2.3', mocha: '0.0.1-from-build' }];
  for (const serverModules of SERVER_MODULES) {
    it(`takes __SENTRY_SERVER_MODULES__ ${JSON.stringify(serverModules)} as Sentry's does (loaded packages win)`, () => {
      const global = globalThis as { __SENTRY_SERVER_MODULES__?: ModuleInfo };
      global.__SENTRY_SERVER_MODULES__ = serverModules;
      try {
        const sentry = freshSentryModules().modulesIntegration();
        const ours = collectModules();
        assert.deepEqual(ours, sentry.getModules());
        assert.equal(ours['build-time-only'], '1.2.3');
        assert.notEqual(ours.mocha, '0.0.1-from-build');
      } finally {
        delete global.__SENTRY_SERVER_MODULES__;
      }
    });
  }

  it('puts the modules on every event, collected once, the collected versions winning over the event\'s', () => {
    const integration = modulesIntegration();
    const modules = integration.getModules();
    assert.equal(integration.getModules(), modules, 'collected once');
    const event = integration.processEvent({ modules: { 'the-event-own': '1.0.0', mocha: '0.0.0' } });
    assert.equal(event.modules?.mocha, modules.mocha);
    assert.deepEqual(event.modules, { 'the-event-own': '1.0.0', ...modules });
    assert.notEqual(event.modules, modules, 'each event gets its own object');
    assert.deepEqual(integration.processEvent({}).modules, modules);
  });

  it('finds main node_modules folders as Sentry does (scopes, pnpm and bun stores)', () => {
    const main = ['/app/node_modules', '/node_modules'];
    const CASES: Array<[string, boolean]> = [
      ['/app/node_modules', true],
      ['/app/node_modules/@sentry', true],
      ['/app/node_modules/express/node_modules', false],
      ['/app/node_modules/.pnpm/express@5.1.0/node_modules', true],
      ['/app/node_modules/.pnpm/@scope+pkg@1.0.0/node_modules/@scope', true],
      ['/app/node_modules/.bun/express@5.1.0/node_modules', true],
      ['/elsewhere/node_modules/.pnpm/express@5.1.0/node_modules', false],
      ['/app/lib', false],
    ];
    for (const [dir, expected] of CASES) assert.equal(isMainModulesDir(dir, main), expected, dir);
  });
});
