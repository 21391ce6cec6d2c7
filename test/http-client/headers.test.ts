import assert from 'node:assert/strict';
import { mergeHeaders } from '../../src/http-client/headers';

describe('mergeHeaders', () => {
  const cases: Array<[string, Array<Record<string, string> | undefined>, Record<string, string>]> = [
    ['nothing', [], {}],
    ['one record as it is', [{ authorization: 'a', 'x-tenant': 't' }], { authorization: 'a', 'x-tenant': 't' }],
    ['a later record wins, whatever the case, with its spelling', [{ authorization: 'generic' }, { Authorization: 'traces' }], { Authorization: 'traces' }],
    ['names only one record has are kept', [{ 'x-tenant': 't', authorization: 'a' }, { AUTHORIZATION: 'b' }], { 'x-tenant': 't', AUTHORIZATION: 'b' }],
    ['within one record too (the later entry)', [{ 'x-a': '1', 'X-A': '2' }], { 'X-A': '2' }],
    ['an undefined record is skipped', [{ a: '1' }, undefined, { b: '2' }], { a: '1', b: '2' }],
    ['required headers given last replace a configured one', [{ 'content-type': 'text/plain' }, { 'Content-Type': 'application/json' }], { 'Content-Type': 'application/json' }],
  ];
  for (const [name, records, expected] of cases) it(name, () => assert.deepEqual(mergeHeaders(...records), expected));
});
