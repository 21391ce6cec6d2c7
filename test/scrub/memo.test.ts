/** The bounded caches behind scrubbing and the OTLP writer (src/scrub/memo.ts). */
import assert from 'node:assert/strict';
import { memoizeString, memoizeStringPair } from '../../src/scrub/memo';

describe('memoizeString', () => {
  it('computes each string once, recomputes long strings, and empties itself when full', () => {
    const calls: string[] = [];
    const upper = memoizeString((value: string) => (calls.push(value), value.toUpperCase()), 2, 5);
    assert.deepEqual(['a', 'a', 'b', 'toolong', 'toolong'].map(upper), ['A', 'A', 'B', 'TOOLONG', 'TOOLONG']);
    assert.deepEqual(calls, ['a', 'b', 'toolong', 'toolong']);
    upper('c'); // full: the cache starts again with c
    upper('a');
    assert.deepEqual(calls.slice(4), ['c', 'a']);
  });

  it('with a minimum length, recomputes short strings and caches only the long ones', () => {
    const calls: string[] = [];
    const upper = memoizeString((value: string) => (calls.push(value), value.toUpperCase()), 2, 8, 4);
    assert.deepEqual(['abc', 'abc', 'abcd', 'abcd', 'abcdefghi'].map(upper), ['ABC', 'ABC', 'ABCD', 'ABCD', 'ABCDEFGHI']);
    assert.deepEqual(calls, ['abc', 'abc', 'abcd', 'abcdefghi']);
  });
});

describe('memoizeStringPair', () => {
  const cases: Array<[first: string, second: string]> = [
    ['k', 'v'],
    ['k', 'w'],
    ['j', 'v'],
    ['', ''],
    ['kv', ''],
    ['k', 'v'], // repeated: from the cache
  ];
  it('answers every pair with its own result (no collision between pairs that join to the same text)', () => {
    const join = memoizeStringPair((first: string, second: string) => `${first}|${second}`, 100, 10);
    for (const [first, second] of cases) assert.equal(join(first, second), `${first}|${second}`);
  });

  it('computes each pair once, recomputes pairs longer than maxLength, and holds at most maxEntries results', () => {
    const calls: string[] = [];
    const join = memoizeStringPair((first: string, second: string) => (calls.push(`${first}|${second}`), `${first}|${second}`), 3, 6);
    for (const [first, second] of cases) join(first, second);
    // Three stored (k|v, k|w, j|v), then full: the cache starts again with |, then kv|, then k|v anew.
    assert.deepEqual(calls, ['k|v', 'k|w', 'j|v', '|', 'kv|', 'k|v']);
    calls.length = 0;
    join('long', 'value');
    join('long', 'value');
    assert.deepEqual(calls, ['long|value', 'long|value']);
  });
});
