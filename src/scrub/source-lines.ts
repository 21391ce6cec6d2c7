import { FILTERED } from './types';

/** A name given a value: `password =`, `apiKey:`, `"client_secret":`, `token ??=` (not `==`, `=>`, `::`). */
const ASSIGNED_NAME = /(?<![\w$.-])["']?([A-Za-z_$][\w$.-]{0,127})["']?[ \t]*(?:=(?![=>])|:(?!:)|\?\?=|\|\|=)/g;
/** A string literal on one line: '…', "…" or `…`, escapes included. */
const STRING_LITERAL = /'(?:[^'\\\n]|\\.){0,4096}'|"(?:[^"\\\n]|\\.){0,4096}"|`(?:[^`\\\n]|\\.){0,4096}`?/g;
/** A number given as the value itself (`const pin = 4829`, `cvv: 123`), not one further on (`z.string().min(8)`). */
const NUMBER_VALUE = /^([ \t]*)[-+]?\.?\d[\w.]*/;
/** The end of a line whose statement goes on to the next: an operator that needs a right-hand side. */
const CONTINUING_END = /(?:[=:(+?]|\|\||&&|\?\?)$/;
/**
 * Longer than any line Sentry sends (it cuts context lines to about 140 characters): such a line is
 * filtered whole from the sensitive name on, never searched for literals.
 */
const MAX_LINE_LENGTH = 1024;

function filterLiterals(text: string): string {
  if (text.length <= MAX_LINE_LENGTH) return text.replace(NUMBER_VALUE, `$1${FILTERED}`).replace(STRING_LITERAL, `'${FILTERED}'`);
  return (text.startsWith(' ') ? ' ' : '') + FILTERED;
}

/**
 * Whether the statement on this line goes on to the next: the line, or what comes before its last `//`
 * (a trailing comment, quotes in it or not), ends in an operator. Erring towards "continues" filters the
 * next line's literals, never sends one.
 */
function continues(line: string): boolean {
  const endsContinuing = (code: string) => CONTINUING_END.test(code.trimEnd().slice(-2));
  const comment = line.lastIndexOf('//');
  return endsContinuing(line) || (comment !== -1 && endsContinuing(line.slice(0, comment)));
}

/** Where on the line the value given to the first sensitive name starts, or -1. */
function sensitiveAssignment(line: string, isSensitiveKey: (key: string) => boolean): number {
  ASSIGNED_NAME.lastIndex = 0;
  for (let match = ASSIGNED_NAME.exec(line); match !== null; match = ASSIGNED_NAME.exec(line)) {
    if (isSensitiveKey(match[1])) return match.index + match[0].length;
  }
  return -1;
}

/**
 * The source lines around a stack frame (Sentry's context lines), read as code: a line that gives a
 * sensitive name a value loses that value if it is a number (`const PIN = 4829`) and every string
 * literal after the name (`const JWT_SECRET =
 * process.env.JWT_SECRET || 'dev-secret'`), and so do the lines its statement runs on to (Prettier's
 * `const KEY =\n  'secret';`, `password:\n  'secret',`). Lines are scrubbed one by one elsewhere, as text.
 */
export function scrubSourceLines(lines: readonly string[], isSensitiveKey: (key: string) => boolean): string[] {
  const out = [...lines];
  let continued = false;
  for (let index = 0; index < out.length; index++) {
    const line = out[index];
    if (typeof line !== 'string') {
      continued = false;
      continue;
    }
    const at = continued ? 0 : sensitiveAssignment(line, isSensitiveKey);
    if (at === -1) continue;
    out[index] = line.slice(0, at) + filterLiterals(line.slice(at));
    continued = continues(out[index]);
  }
  return out;
}
