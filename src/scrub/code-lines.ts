/**
 * Where a source line is code and where it is text. A stack frame's context lines are code: in
 * `const session: Session = requireSession(id)` or `password: z.string()` the `name: value` pairs are
 * types and calls, and the free-text pair rule would cut them. The text inside the code (string
 * literals' contents, comments) is read as any text is, pairs included (`'/api?token=abc'`,
 * `// password=hunter2`).
 */

/** What the lines before left open: nothing, a template literal (`` `…``), or a block comment. */
type Open = 'code' | 'template' | 'comment';

interface ScannedLine {
  line: string;
  open: Open;
  /** A comment's end (star, slash) was read as code: a block comment may have opened above the window. */
  strayClose: boolean;
}

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
function scrubLine(line: string, open: Open, rules: CodeLineRules): ScannedLine {
  // A comment's line read where code was expected: the comment opened above the window.
  if (open === 'code' && line.trimStart().startsWith('*')) return { line: rules.text(line), open: 'code', strayClose: true };
  let strayClose = false;
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
        return { line: out, open, strayClose };
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
      if (end === -1) return { line: out, open, strayClose };
      i = end;
    } else if (c === BACKTICK) {
      open = 'template';
      i++;
    } else if (c === SLASH && line.charCodeAt(i + 1) === SLASH) {
      text(i + 2, line.length);
      return { line: out, open, strayClose };
    } else if (c === SLASH && line.charCodeAt(i + 1) === STAR) {
      open = 'comment';
      i += 2;
    } else if (c === SLASH && BEFORE_REGEX.test(line.slice(Math.max(code, i - 16), i))) {
      // A regular expression's text (`/token=\w+/`) is text; its end is found as a string's is.
      const end = endOfRegex(line, i + 1);
      text(i + 1, end === -1 ? line.length : end - 1);
      if (end === -1) return { line: out, open, strayClose };
      i = end;
    } else {
      // A comment's end in code closes one opened above the window (or is a misread): the window is ambiguous.
      if (c === STAR && line.charCodeAt(i + 1) === SLASH) strayClose = true;
      i++;
    }
  }
  return { line: out + line.slice(code), open, strayClose };
}

/** The window's lines scrubbed as if it started in `start`, and whether the scan contradicts itself. */
function scan(lines: readonly unknown[], start: Open, rules: CodeLineRules): { lines: unknown[]; ambiguous: boolean } {
  let open = start;
  let ambiguous = false;
  const out = lines.map((line) => {
    if (typeof line !== 'string') return line;
    const scanned = scrubLine(line, open, rules);
    open = scanned.open;
    ambiguous ||= scanned.strayClose;
    return rules.code(scanned.line);
  });
  return { lines: out, ambiguous: ambiguous || open !== 'code' };
}

const FILTERED_MARK = /\[Filtered\]/g;
const filteredCount = (line: unknown): number => (typeof line === 'string' ? line.match(FILTERED_MARK)?.length ?? 0 : 0);

/**
 * A frame's context lines (`pre_context`, `context_line`, `post_context` in order), each line's text
 * parts scrubbed as text and then the line as code. A template literal or block comment left open
 * carries on to the next lines. The window is read as starting in code; when that reading contradicts
 * itself (a comment's end with no start, or a template or comment still open at the end: the window may have
 * started inside one, whose lines, `password: hunter2` in a YAML template, would pass for code), it is
 * read again as starting inside a template and inside a comment, and each line keeps the reading that
 * filtered the most.
 */
export function scrubCodeLines(lines: readonly unknown[], rules: CodeLineRules): unknown[] {
  const fromCode = scan(lines, 'code', rules);
  if (!fromCode.ambiguous) return fromCode.lines;
  const others = [scan(lines, 'template', rules).lines, scan(lines, 'comment', rules).lines];
  return fromCode.lines.map((line, i) =>
    others.reduce((kept, other) => (filteredCount(other[i]) > filteredCount(kept) ? other[i] : kept), line));
}
