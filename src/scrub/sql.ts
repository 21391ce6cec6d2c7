/*
 * SQL literal removal by a single left-to-right scan (no regex over the whole statement), so hostile
 * statements cost O(n). PostgreSQL lexical rules: '...' with '' escapes, E'...' with backslash escapes,
 * $tag$...$tag$, "identifiers" kept, -- and /* *\/ comments scrubbed as free text (people paste
 * secrets into comments). Unterminated literals are replaced up to the end (fail closed).
 */

function isIdentChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 ||
    code === 36 || code > 127
  );
}

const DOLLAR_TAG_RE = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/** Index just past the closing quote of a '...' literal whose opening quote is at `open`. */
function endOfQuoted(sql: string, open: number, backslashEscapes: boolean): number {
  const n = sql.length;
  for (let i = open + 1; i < n; i++) {
    const c = sql.charCodeAt(i);
    if (backslashEscapes && c === 92) {
      i++;
    } else if (c === 39) {
      if (sql.charCodeAt(i + 1) === 39) i++;
      else return i + 1;
    }
  }
  return n;
}

export function replaceSqlLiterals(sql: string, scrubComment: (text: string) => string): string {
  const n = sql.length;
  let out = '';
  let last = 0;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 39) {
      // Prefixed literals: E'..' (escapes), N'..', X'..', B'..' — the prefix goes with the literal.
      let start = i;
      const p = i > 0 ? sql[i - 1] : '';
      const prefixed = /^[EeNnXxBb]$/.test(p) && (i < 2 || !isIdentChar(sql.charCodeAt(i - 2)));
      if (prefixed) start = i - 1;
      const end = endOfQuoted(sql, i, p === 'E' || p === 'e');
      out += `${sql.slice(last, start)}?`;
      i = last = end;
    } else if (c === 34) {
      const close = sql.indexOf('"', i + 1);
      i = close === -1 ? n : close + 1;
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const nl = sql.indexOf('\n', i);
      const end = nl === -1 ? n : nl;
      out += sql.slice(last, i) + scrubComment(sql.slice(i, end));
      i = last = end;
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const close = sql.indexOf('*/', i + 2);
      const end = close === -1 ? n : close + 2;
      out += sql.slice(last, i) + scrubComment(sql.slice(i, end));
      i = last = end;
    } else if (c === 36 && (i === 0 || !isIdentChar(sql.charCodeAt(i - 1)))) {
      DOLLAR_TAG_RE.lastIndex = i;
      const m = DOLLAR_TAG_RE.exec(sql);
      if (m === null) {
        i++;
        continue;
      }
      const close = sql.indexOf(m[0], i + m[0].length);
      const end = close === -1 ? n : close + m[0].length;
      out += `${sql.slice(last, i)}?`;
      i = last = end;
    } else {
      i++;
    }
  }
  return out + sql.slice(last);
}

/**
 * Where knex's message for a failed query starts (`<SQL> - <the database's message>`): at the start of
 * the text, or after the error's name as its stack begins (`error: select …`).
 */
const FAILED_QUERY_START = /^(?:[\w$.]{1,64}: )?(?=\s*(?:select|insert|update|delete|with|create|alter|drop|truncate|merge|copy|call|grant|revoke|explain|refresh|values)\s)/i;
const KNEX_SEPARATOR = ' - ';
const PARSER_STOPPED_AT = ' at or near ';
const FIRST_STACK_FRAME = '\n    at ';
/**
 * A string literal where SQL puts values (`= '…'`, `('…'`, `like '…'`): what there is to remove, and
 * what prose that merely starts with "Update" or "Create" and has an apostrophe does not have.
 */
const VALUE_LITERAL = /(?:[=(,<>]|\b(?:select|like|in|values|then|else|when|and|or|not|is|between|set|by))\s*[EeNnXxBb]?'/i;

/**
 * A failed query's message as knex writes it carries the statement with its literals (a raw query's
 * `where email = 'ann@example.com'`), which `db.query.text` never shows: the literals go, as there, up to
 * the stack's first frame. It reaches events, the query span's status and its exception event.
 */
export function replaceFailedQueryLiterals(text: string): string {
  const start = FAILED_QUERY_START.exec(text);
  if (start === null) return text;
  const from = start[0].length;
  const frame = text.indexOf(FIRST_STACK_FRAME, from);
  const to = frame === -1 ? text.length : frame;
  // PostgreSQL's message after the statement may repeat the statement's rest, ` - ` and all, from where
  // its parser stopped (`… - unterminated quoted string at or near "'pw - x"`): the separator is then the
  // one before that message, and only the statement's literals are replaced (the message's quote would
  // open one that swallows it; the text scrubber filters the literal it names).
  const near = text.indexOf(PARSER_STOPPED_AT, from);
  const separator = text.lastIndexOf(KNEX_SEPARATOR, near !== -1 && near < to ? near : to);
  if (separator < from || !VALUE_LITERAL.test(text.slice(from, separator))) return text;
  // Otherwise the message's too: a value the database's own message quotes (`token 'tok-1' revoked`).
  const end = near !== -1 && near < to ? separator : to;
  return text.slice(0, from) + replaceSqlLiterals(text.slice(from, end), (comment) => comment) + text.slice(end);
}

/** `pin = 4829`, `c.cvv <> 123`, `"otp" != 1`: a number compared with a column whose name is sensitive. */
const COMPARED_NUMBER = /(?<![\w$])("?)([A-Za-z_][\w$]{0,63})\1([ \t]*(?:=|<>|!=)[ \t]*)(-?\d+(?:\.\d+)?)(?![\w.])/g;
/** `482915 AS pin`: a number given a sensitive name. */
const NAMED_NUMBER = /(?<![\w$.])(-?\d+(?:\.\d+)?)([ \t]+AS[ \t]+)("?)([A-Za-z_][\w$]{0,63})\3(?![\w$])/gi;

/**
 * Numbers stay in SQL text (ids, limits and amounts make a query readable), except where the statement
 * itself says what they are: compared with, or named as, a sensitive column (a PIN, a CVV, a one-time
 * code). Runs after {@link replaceSqlLiterals}, so string literals are already `?`.
 */
export function replaceSensitiveNumbers(sql: string, isSensitiveKey: (key: string) => boolean): string {
  if (!/\d/.test(sql)) return sql;
  return sql
    .replace(COMPARED_NUMBER, (match: string, quote: string, name: string, operator: string) => (isSensitiveKey(name) ? `${quote}${name}${quote}${operator}?` : match))
    .replace(NAMED_NUMBER, (match: string, _number: string, as: string, quote: string, name: string) => (isSensitiveKey(name) ? `?${as}${quote}${name}${quote}` : match));
}
