import assert from 'node:assert/strict';
import { pgQuerySpanName } from '../../src/tracing/pg-span-name';

describe('pgQuerySpanName: a query\'s span named by its first keyword, whatever follows it or comes before', () => {
  const cases: Array<[string, unknown, unknown, unknown, string | undefined]> = [
    ['a space after the operation: upstream\'s name stands', 'SELECT 1', undefined, 'app', undefined],
    ['leading blanks and a newline, then a space', '\n  select id from t', undefined, 'app', undefined],
    ['a single word', 'BEGIN', undefined, 'app', undefined],
    ['a tab after the operation', "SELECT\trolname FROM pg_roles WHERE rolname='jane.doe@corp.example'", undefined, 'app', 'pg.query:SELECT app'],
    ['a newline after the operation, lower case', 'select\n  id\nfrom t', undefined, 'app', 'pg.query:SELECT app'],
    ['leading newline, then a tab', '\n\tupdate\tt set a = 1', undefined, 'app', 'pg.query:UPDATE app'],
    ['a semicolon, then a newline: upstream\'s name stands', 'COMMIT;\n', undefined, 'app', undefined],
    ['no database', 'SELECT\n1', undefined, undefined, 'pg.query:SELECT'],
    ['a named statement keeps its name', 'SELECT\n1', 'find-user', 'app', undefined],
    ['an empty statement name does not count', 'SELECT\n1', '', 'app', 'pg.query:SELECT app'],
    ['a literal right after the keyword', "select'jane.doe@corp.example' as e", undefined, 'app', 'pg.query:SELECT app'],
    ['a leading block comment', "/*app='billing'*/\nSELECT 1", undefined, 'app', 'pg.query:SELECT app'],
    ['a leading line comment', '-- nightly\nDELETE FROM t', undefined, 'app', 'pg.query:DELETE app'],
    ['parenthesised: upstream\'s name stands', '(SELECT 1) UNION (SELECT 2)', undefined, 'app', undefined],
    ['no keyword and a quote in upstream\'s name', "('x')", undefined, 'app', 'pg.query app'],
    ['an unclosed comment', "/*x='y'", undefined, 'app', 'pg.query app'],
    ['not a string', undefined, undefined, 'app', undefined],
  ];
  for (const [name, text, statementName, database, expected] of cases) {
    it(name, () => assert.equal(pgQuerySpanName(text, statementName, database), expected));
  }
});
