import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryIsEsm } from '../src/esm-hook';

describe('entryIsEsm: whether the app about to run is an ES module', () => {
  let dir: string;
  const saved = { argv: process.argv, pmExecPath: process.env.pm_exec_path, forced: process.env.EXPRESS_OTEL_SENTRY_ESM_HOOK };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'eos-entry-'));
    mkdirSync(join(dir, 'node_modules', 'pm2', 'lib'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}');
    delete process.env.EXPRESS_OTEL_SENTRY_ESM_HOOK;
  });
  after(() => {
    process.argv = saved.argv;
    if (saved.pmExecPath === undefined) delete process.env.pm_exec_path;
    else process.env.pm_exec_path = saved.pmExecPath;
    if (saved.forced !== undefined) process.env.EXPRESS_OTEL_SENTRY_ESM_HOOK = saved.forced;
    rmSync(dir, { recursive: true, force: true });
  });

  const pm2 = (file: string) => join('node_modules', 'pm2', 'lib', file);
  const cases: Array<[string, string, string | undefined, boolean]> = [
    ['an .mjs entry', 'server.mjs', undefined, true],
    ['a .js entry in a CommonJS package', 'server.js', undefined, false],
    ['pm2 fork mode: its container runs the app named in pm_exec_path', pm2('ProcessContainerFork.js'), 'server.mjs', true],
    ['pm2 cluster mode: the same', pm2('ProcessContainer.js'), 'server.mjs', true],
    ['a CommonJS app under pm2', pm2('ProcessContainerFork.js'), 'server.cjs', false],
    ['a child process of a pm2 app inherits pm_exec_path: its own entry decides', 'child.mjs', 'server.cjs', true],
    ['…and a CommonJS child of an ES module pm2 app', 'child.cjs', 'server.mjs', false],
  ];
  for (const [name, script, pmExecPath, expected] of cases) {
    it(name, () => {
      process.argv = [process.execPath, join(dir, script)];
      if (pmExecPath === undefined) delete process.env.pm_exec_path;
      else process.env.pm_exec_path = join(dir, pmExecPath);
      assert.equal(entryIsEsm(), expected);
    });
  }
});
