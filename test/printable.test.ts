import assert from 'node:assert/strict';
import { printable } from '../src/printable';

const ESC = '\u001b';

describe('printable', () => {
  const cases: Array<[string, string, string]> = [
    ['plain text', 'Booking 5 cannot be cancelled (2.0 h left)', 'Booking 5 cannot be cancelled (2.0 h left)'],
    ['letters of any script and emoji', 'пароль · 予約 💅', 'пароль · 予約 💅'],
    ['a terminal escape sequence', `${ESC}]0;pwned\u0007${ESC}[2J`, '\\u001b]0;pwned\\u0007\\u001b[2J'],
    ['newline, carriage return, tab', 'a\nb\rc\td', 'a\\nb\\rc\\td'],
    ['DEL and the 8-bit CSI', 'a\u007fb\u009bc', 'a\\u007fb\\u009bc'],
    ['line separators and a right-to-left override', 'a\u2028b\u2029c\u202ed', 'a\\u2028b\\u2029c\\u202ed'],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.equal(printable(input), expected));
  }

  it('takes what is not a string, even what cannot be turned into one', () => {
    assert.equal(printable(42), '42');
    assert.equal(printable(undefined), 'undefined');
    assert.equal(printable({ toString: () => 'a\nb' }), 'a\\nb');
    assert.equal(printable({ toString() { throw new Error('no'); } }), '[unprintable]');
  });
});
