/**
 * Where a source line is code and where it is text. A stack frame's context lines are code: in
 * `const session: Session = requireSession(id)` or `password: z.string()` the `name: value` pairs are
 * types and calls, and the free-text pair rule would cut them. The text inside the code (string
 * literals' contents, comments) is read as any text is, pairs included (`'/api?token=abc'`,
 * `// password=hunter2`).
 */

/** What the lines before left open: nothing, a template literal (`` `…``), or a block comment. */
type Open = 'code' | 'template' | 'comment';

export interface CodeLineRules {
  /** Text inside the code: every rule, `name: value` pairs included. */
  text(text: string): string;
  /** The whole line, once its text parts are scrubbed: the value rules, pairs only where written without spaces. */
  code(line: string): string;
}

const QUOTE = 34;
const APOS = 39;
const BACKTICK = 96;
const BACKSLASH = 92;
const SLASH = 47;
const STAR = 42;

/** The code before a `/` that starts a regular expression, not a division: an operator, a bracket, or nothing. */
const BEFORE_REGEX = /(?:^|[(,=:[!&|?{};+\-*%<>~^]|\breturn|\btypeof)\s*$/;

/** Index just past a regular expression's closing `/` (classes `[…]` and escapes skipped), or -1. */
function endOfRegex(line: string, from: number): number {
  let inClass = false;
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === 91) inClass = true;
    else if (c === 93) inClass = false;
    else if (c === SLASH && !inClass) return i + 1;
  }
  return -1;
}

/** Index just past `close` from `from` on (backslash escapes skipped), or -1 when the line ends first. */
function endOfQuoted(line: string, from: number, close: number): number {
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === close) return i + 1;
  }
  return -1;
}

/**
 * One line with its text parts scrubbed, and what it leaves open. An unterminated quote or regular
 * expression is text to the end of the line (a misread errs towards more scrubbing); a line that starts
 * with `*` is a block comment's (the window of lines may start inside one).
 */
function scrubLine(line: string, open: Open, rules: CodeLineRules): { line: string; open: Open } {
  if (open === 'code' && line.trimStart().startsWith('*')) return { line: rules.text(line), open: 'code' };
  let out = '';
  // Code from `code` to `i` is copied as it is when text starts (or the line ends).
  let code = 0;
  let i = 0;
  const text = (from: number, to: number) => {
    out += line.slice(code, from) + rules.text(line.slice(from, to));
    code = to;
  };
  while (i < line.length) {
    if (open !== 'code') {
      const end = open === 'template' ? endOfQuoted(line, i, BACKTICK) : line.indexOf('*/', i);
      if (end === -1) {
        text(i, line.length);
        return { line: out, open };
      }
      text(i, open === 'template' ? end - 1 : end);
      i = open === 'template' ? end : end + 2;
      open = 'code';
      continue;
    }
    const c = line.charCodeAt(i);
    if (c === QUOTE || c === APOS) {
      const end = endOfQuoted(line, i + 1, c);
      text(i + 1, end === -1 ? line.length : end - 1);
      if (end === -1) return { line: out, open };
      i = end;
    } else if (c === BACKTICK) {
      open = 'template';
      i++;
    } else if (c === SLASH && line.charCodeAt(i + 1) === SLASH) {
      text(i + 2, line.length);
      return { line: out, open };
    } else if (c === SLASH && line.charCodeAt(i + 1) === STAR) {
      open = 'comment';
      i += 2;
    } else if (c === SLASH && BEFORE_REGEX.test(line.slice(Math.max(code, i - 16), i))) {
      // A regular expression's text (`/token=\w+/`) is text; its end is found as a string's is.
      const end = endOfRegex(line, i + 1);
      text(i + 1, end === -1 ? line.length : end - 1);
      if (end === -1) return { line: out, open };
      i = end;
    } else {
      i++;
    }
  }
  return { line: out + line.slice(code), open };
}

/**
 * A frame's context lines (`pre_context`, `context_line`, `post_context` in order), each line's text
 * parts scrubbed as text and then the line as code. A template literal or block comment left open
 * carries on to the next lines; the first line is taken to start in code.
 */
export function scrubCodeLines(lines: readonly unknown[], rules: CodeLineRules): unknown[] {
  let open: Open = 'code';
  return lines.map((line) => {
    if (typeof line !== 'string') return line;
    const scrubbed = scrubLine(line, open, rules);
    open = scrubbed.open;
    return rules.code(scrubbed.line);
  });
}
