import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
});
