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

  // What the pair rule filters, for the windows below: `key: value` in text, or written tight in code.
  const pairs: CodeLineRules = {
    text: (text) => text.replace(/(password|token)(\s*[:=]\s*)\S+/gi, '$1$2[Filtered]'),
    code: (line) => line.replace(/(password|token)([:=])\S+/gi, '$1$2[Filtered]'),
  };
  const windows: Array<[string, string[], number[]]> = [
    ['a template literal opened above the window (a YAML string)', ['  database:', '    password: Sup3rS3cret', '    token: 9f8e7d6c5b4a', '`;', 'throw new Error("x")'], [1, 2]],
    ['a block comment opened above the window, without stars', ['   Test account:', '   password: Sup3rS3cret', '*/', 'function f() {'], [1]],
    ['a template literal opened in the window and still open at its end', ['const session: Session = load();', 'const env = `', 'DB_PASSWORD = Sup3rS3cret'], [2]],
  ];
  for (const [name, lines, secretLines] of windows) {
    it(`${name}: its lines are read as text, not as code`, () => {
      const scrubbed = scrubCodeLines(lines, pairs) as string[];
      for (const at of secretLines) assert.match(scrubbed[at], /\[Filtered\]/, scrubbed[at]);
      assert.doesNotMatch(scrubbed.join('\n'), /Sup3rS3cret|9f8e7d6c5b4a/);
    });
  }

  it('a window whose templates and comments open and close in it is read as code alone', () => {
    const lines = ['const session: Session = load();', 'const a = `x`; /* note */', 'password: hashed,'];
    assert.deepEqual(scrubCodeLines(lines, pairs), lines);
  });

  it('hostile lines stay linear', () => {
    const M = 1_000_000;
    const rules: CodeLineRules = { text: (t) => t, code: (l) => l };
    for (const line of ["'".repeat(M), '(/'.repeat(M / 2), '(/['.repeat(M / 3), ' '.repeat(M) + '/', '`'.repeat(M), '/*'.repeat(M / 2), '//'.repeat(M / 2), `'${'\\'.repeat(M)}`, "'a'".repeat(M / 3)]) {
      assert.equal(scrubCodeLines([line, line], rules).length, 2);
    }
  });
});
