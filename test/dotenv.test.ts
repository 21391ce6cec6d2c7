import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDotEnv } from '../src/dotenv';

describe('loadDotEnv', () => {
  let dir: string;
  const NAMES = ['DOTENV_TEST_FIRST', 'DOTENV_TEST_SECOND'];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dotenv-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const name of NAMES) delete process.env[name];
  });

  const files: Array<[string, string]> = [
    ['a plain file', 'DOTENV_TEST_FIRST=one\nDOTENV_TEST_SECOND=two\n'],
    ['a file saved with a UTF-8 byte order mark (its first variable too)', '\uFEFFDOTENV_TEST_FIRST=one\nDOTENV_TEST_SECOND=two\n'],
    ['CRLF lines and a byte order mark', '\uFEFFDOTENV_TEST_FIRST=one\r\nDOTENV_TEST_SECOND=two\r\n'],
  ];
  for (const [name, text] of files) {
    it(`loads every variable: ${name}`, () => {
      writeFileSync(join(dir, '.env'), text);
      assert.deepEqual(loadDotEnv(dir), NAMES);
      assert.deepEqual(NAMES.map((variable) => process.env[variable]), ['one', 'two']);
    });
  }

  it('never overrides a variable the environment already has', () => {
    process.env.DOTENV_TEST_FIRST = 'real';
    writeFileSync(join(dir, '.env'), '\uFEFFDOTENV_TEST_FIRST=one\nDOTENV_TEST_SECOND=two\n');
    assert.deepEqual(loadDotEnv(dir), ['DOTENV_TEST_SECOND']);
    assert.equal(process.env.DOTENV_TEST_FIRST, 'real');
  });

  it('no .env: nothing loaded', () => assert.deepEqual(loadDotEnv(dir), []));

  it('a directory named .env is skipped with one warning naming it and why', () => {
    mkdirSync(join(dir, '.env'));
    const warnings: string[] = [];
    assert.deepEqual(loadDotEnv(dir, (message) => warnings.push(message)), []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], new RegExp(`^${join(dir, '.env')} was not loaded \\(EISDIR: .*\\); telemetry is configured from the environment alone\\.$`));
  });

  it('a .env the process may not read (EACCES) is skipped with one warning on the console, nothing thrown', () => {
    writeFileSync(join(dir, '.env'), 'DOTENV_TEST_FIRST=one\n');
    chmodSync(join(dir, '.env'), 0o600);
    chmodSync(dir, 0o755);
    // Root reads any file: the load runs as nobody then, from the built library.
    const asRoot = process.getuid?.() === 0;
    const script = `const loaded = require(${JSON.stringify(join(__dirname, '..', 'dist', 'src', 'dotenv.js'))}).loadDotEnv(${JSON.stringify(dir)}); console.log('loaded', JSON.stringify(loaded));`;
    if (!asRoot) chmodSync(join(dir, '.env'), 0o000);
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
    assert.equal(run.status, 0, run.error ? `${String(run.error)}: can nobody run ${process.execPath}?` : run.stderr);
    assert.equal(run.stdout.trim(), 'loaded []');
    assert.match(run.stderr.trim(), new RegExp(`^\\[express-otel-sentry\\] ${join(dir, '.env')} was not loaded \\(EACCES: permission denied, open '[^']+'\\); telemetry is configured from the environment alone\\.$`));
  });
});
