import assert from 'node:assert/strict';
import { defaultScrubber } from '../../src/scrub';
import { scrubSourceLines } from '../../src/scrub/source-lines';

const { isSensitiveKey } = defaultScrubber();
const F = "'[Filtered]'";

describe('scrubSourceLines: a frame\'s context lines read as code', () => {
  const rows: Array<[string, string[], string[]]> = [
    ['a fallback after an environment variable', ["const JWT_SECRET = process.env.JWT_SECRET || 'dev-secret-1';"], [`const JWT_SECRET = process.env.JWT_SECRET || ${F};`]],
    ['a value on the line after its name (Prettier)', ['const STRIPE_WEBHOOK_SECRET =', "  'whsec-long-value';", 'const other = 1;'], ['const STRIPE_WEBHOOK_SECRET =', `  ${F};`, 'const other = 1;']],
    ['an object property on the next line', ['const config = {', '  password:', '    "next-line-value",', "  user: 'ann',", '};'], ['const config = {', '  password:', `    ${F},`, "  user: 'ann',", '};']],
    ['a quoted key', ['  "client_secret": `tmpl-secret`,'], [`  "client_secret": ${F},`]],
    ['??= and ||=', ["apiKey ??= 'k-1'", "token ||= loadToken('t-1')"], [`apiKey ??= ${F}`, `token ||= loadToken(${F})`]],
    ['a chain of fallbacks', ['const dbPassword = process.env.A ||', "  process.env.B ||", "  'fallback-pw';"], ['const dbPassword = process.env.A ||', '  process.env.B ||', `  ${F};`]],
    ['literals before the name stay', ["log('setting', 'x'); const secret = 's-1';"], [`log('setting', 'x'); const secret = ${F};`]],
    ['ordinary code stays', ["const user = 'ann';", "if (a == 'b') throw new Error('boom');", "const f = (x) => 'y';"], ["const user = 'ann';", "if (a == 'b') throw new Error('boom');", "const f = (x) => 'y';"]],
    ['a comparison is no assignment', ["if (token === 'abc') return;"], ["if (token === 'abc') return;"]],
    ['a line longer than Sentry sends is filtered whole after the name', [`const token = ${'x'.repeat(2000)}`], ['const token = [Filtered]']],
    ['a trailing comment does not hide the continuation', ['const secret = // wrapped', "  's-2';"], ['const secret = // wrapped', `  ${F};`]],
    ['nor one with a quote in it', ["const secret = // it's wrapped", "  's-3';", 'const apiKey = prefix + // don\'t log', "  'k-4';"], ["const secret = // it's wrapped", `  ${F};`, 'const apiKey = prefix + // don\'t log', `  ${F};`]],
    ['a number given as the value, not one further on', ['const PIN = 4829;', '  cvv: 123,', 'const OTP_SECRET =', '  0x5f3a;', '  password: z.string().min(8),'], ['const PIN = [Filtered];', '  cvv: [Filtered],', 'const OTP_SECRET =', '  [Filtered];', '  password: z.string().min(8),']],
    ['a statement that ends stops the run', ["const password = 'p';", "const user = 'ann';"], [`const password = ${F};`, "const user = 'ann';"]],
  ];
  for (const [name, input, expected] of rows) it(name, () => assert.deepEqual(scrubSourceLines(input, isSensitiveKey), expected));

  it('hostile lines stay linear', () => {
    const M = 1_000_000;
    const hostile = ["'".repeat(M), 'a'.repeat(M), 'password ='.repeat(M / 10), `password = '${'\\'.repeat(M)}`, `password = ${"'\\".repeat(M / 2)}`, 'password = a = '.repeat(M / 15), `password = x ${'//'.repeat(M / 2)}`];
    for (const line of hostile) {
      assert.equal(scrubSourceLines([line, line], isSensitiveKey).length, 2);
    }
  });
});
