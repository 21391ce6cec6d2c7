import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appEntryFile, readAppPackage } from '../../src/config/package-info';

describe('config/package-info: the app\'s package', () => {
  let root: string;
  const write = (dir: string, pkg: object) => {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, 'package.json'), JSON.stringify(pkg));
  };
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'package-info-'));
    write('.', { name: 'acme-monorepo', version: '1.0.0', workspaces: ['apps/*'] });
    write('tools/cli', { name: 'acme-cli', version: '0.1.0' });
    write('apps/api', { name: 'booking-api', version: '2.0.0' });
    write('apps/api/dist', { type: 'commonjs' }); // tsc's output marker: no name
    write('node_modules/mocha', { name: 'mocha', version: '11.0.0' });
    mkdirSync(join(root, 'srv/app'), { recursive: true });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const cases: Array<[name: string, entry: string | undefined, cwd: string, expected: string | undefined]> = [
    ['a service started from the monorepo\'s root is named after its own package', 'apps/api/server.js', '.', 'booking-api'],
    ['an absolute entry, started from elsewhere (systemd from /)', '<root>/apps/api/server.js', '/', 'booking-api'],
    ['a compiled entry under a nameless package.json: the named one above it', 'apps/api/dist/server.js', '.', 'booking-api'],
    ['a tool under node_modules (mocha): the working directory\'s', 'node_modules/mocha/bin/mocha.js', 'apps/api', 'booking-api'],
    ['started from an app\'s own folder: that app, whatever the entry (API.md: nearest to the working directory)', '<root>/apps/api/server.js', 'tools/cli', 'acme-cli'],
    ['no entry (node -e, a REPL): the working directory\'s, a monorepo\'s root too', undefined, '.', 'acme-monorepo'],
    ['an entry with no package.json above it and none at the working directory', '/nonexistent-dir/server.js', '/', undefined],
  ];
  for (const [name, entry, cwd, expected] of cases) {
    it(name, () => {
      const at = (path: string) => path.replace('<root>', root);
      const info = readAppPackage(entry === undefined ? undefined : at(entry), cwd === '/' ? '/' : join(root, cwd));
      assert.equal(info.name, expected);
    });
  }

  it('under pm2, the app\'s script is pm_exec_path, not pm2\'s container', () => {
    const container = '/usr/lib/node_modules/pm2/lib/ProcessContainerFork.js';
    assert.equal(appEntryFile(['node', container], { pm_exec_path: '/srv/app/server.js' }), '/srv/app/server.js');
    assert.equal(appEntryFile(['node', '/srv/app/server.js'], { pm_exec_path: '/elsewhere.js' }), '/srv/app/server.js');
  });
});
