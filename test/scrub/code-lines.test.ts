import assert from 'node:assert/strict';
import { scrubCodeLines, type CodeLineRules } from '../../src/scrub/code-lines';

/** Marks what is read as text `<…>` and the whole line as code `{…}`, to show where the parts are cut. */
const marking: CodeLineRules = { text: (text) => `<${text}>`, code: (line) => `{${line}}` };

describe('scrubCodeLines: the text inside a source line is read as text, the line as code', () => {
  const rows: Array<[string, string[], string[]]> = [
    ['code alone', ['const session: Session = requireSession(id);'], ['{const session: Session = requireSession(id);}']],
    ['string literals, escapes included', [`login('ann', "p\\"w", 'it\\'s')`], [`{login('<ann>', "<p\\"w>", '<it\\'s>')}`]],
    ['a template literal, on one line and over several', ['const a = `x:${y}`;', 'const b = `one', 'password: two', 'three` + c;'], ['{const a = `<x:${y}>`;}', '{const b = `<one>}', '{<password: two>}', '{<three>` + c;}']],
    ['a trailing comment, not one inside a string', ["fetch('https://x.io/a'); // token=abc"], ["{fetch('<https://x.io/a>'); //< token=abc>}"]],
    ['a block comment, on one line and over several', ['x(); /* token=abc */ y();', 'z(); /* one', 'password: two', 'three */ w();'], ['{x(); /*< token=abc >*/ y();}', '{z(); /*< one>}', '{<password: two>}', '{<three >*/ w();}']],
    ['a line of a block comment the window starts in', [' * @param password: hunter2'], ['{< * @param password: hunter2>}']],
    ['an unterminated quote is text to the end of the line', ["const note = 'password: x"], ["{const note = '<password: x>}"]],
    ['a regular expression is text, a quote in it opens no string', ["s.replace(/'/g, 'password: x').split(/token=\\w+/);", 'const half = total / 2 / count;'], ["{s.replace(/<'>/g, '<password: x>').split(/<token=\\w+>/);}", '{const half = total / 2 / count;}']],
    ['a regular expression left open is text to the end of the line', ['if (/[/]token=abc'], ['{if (/<[/]token=abc>}']],
    ['non-strings are left to the caller', ['a', 42 as unknown as string], ['{a}', 42 as unknown as string]],
  ];
  for (const [name, input, expected] of rows) it(name, () => assert.deepEqual(scrubCodeLines(input, marking), expected));

  it('hostile lines stay linear', () => {
    const M = 1_000_000;
    const rules: CodeLineRules = { text: (t) => t, code: (l) => l };
    for (const line of ["'".repeat(M), '(/'.repeat(M / 2), '(/['.repeat(M / 3), ' '.repeat(M) + '/', '`'.repeat(M), '/*'.repeat(M / 2), '//'.repeat(M / 2), `'${'\\'.repeat(M)}`, "'a'".repeat(M / 3)]) {
      assert.equal(scrubCodeLines([line, line], rules).length, 2);
    }
  });
});
