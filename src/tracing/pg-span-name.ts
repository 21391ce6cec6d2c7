/**
 * @opentelemetry/instrumentation-pg names a query's span by the text before its first space, upper-cased
 * (`pg.query:SELECT app`). A statement laid out with tabs or newlines has no space there, nor one that
 * runs a literal on (`select'…'`) or opens with a comment (`/*app='x'*\/`): the name was then the
 * statement's text, values and all, where `db.query.text` has `?`, and a Sentry span group per query.
 */
const COMMENT_SEARCH_LIMIT = 1024;

/** Upstream's operation: the text before the first space, upper-cased, without a trailing `;`. */
function upstreamOperation(text: string): string {
  const statement = text.trim();
  const space = statement.indexOf(' ');
  const operation = (space === -1 ? statement : statement.slice(0, space)).toUpperCase();
  return operation.endsWith(';') ? operation.slice(0, -1) : operation;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** The statement's first keyword, past whitespace and comments; undefined if none starts it. */
function leadingKeyword(text: string): string | undefined {
  const n = Math.min(text.length, COMMENT_SEARCH_LIMIT);
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) i++;
    else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) return undefined;
      i = end + 2;
    } else if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
      const end = text.indexOf('\n', i + 2);
      if (end === -1) return undefined;
      i = end + 1;
    } else break;
  }
  let j = i;
  while (j < n && isLetter(text.charCodeAt(j))) j++;
  return j > i ? text.slice(i, j).toUpperCase() : undefined;
}

/**
 * The name for a query's span when upstream's is not its first keyword (`pg.query:SELECT app`), or
 * undefined when it is (nearly every query) or the query is a named statement (named by it). A
 * statement that starts with no keyword keeps upstream's name unless that holds a quote.
 */
export function pgQuerySpanName(text: unknown, statementName: unknown, database: unknown): string | undefined {
  if (typeof text !== 'string' || (typeof statementName === 'string' && statementName !== '')) return undefined;
  // Nearly every query: a keyword from the first character, then a space (`select "id" from …`).
  let letters = 0;
  while (isLetter(text.charCodeAt(letters))) letters++;
  if (letters > 0 && text.charCodeAt(letters) === 32) return undefined;
  const upstream = upstreamOperation(text);
  const keyword = leadingKeyword(text);
  if (keyword === upstream || (keyword === undefined && !/['"]/.test(upstream))) return undefined;
  const suffix = typeof database === 'string' && database !== '' ? ` ${database}` : '';
  return keyword === undefined ? `pg.query${suffix}` : `pg.query:${keyword}${suffix}`;
}
