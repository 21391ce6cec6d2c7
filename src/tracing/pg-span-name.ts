/**
 * @opentelemetry/instrumentation-pg names a query's span by the text before its first space
 * (`pg.query:SELECT app`). A statement laid out with tabs or newlines has no space there, so the name
 * was the whole statement, upper-cased, with its inlined values: a literal that `db.query.text` replaces
 * with `?` left in the name, and every such query got a span name (a Sentry span group) of its own.
 */
const WHITESPACE = /\s/;

/**
 * The name upstream would give if it split on any whitespace (`pg.query:SELECT app`), or undefined
 * when its own name is already that (nearly every query) or the query is a named statement (named by it).
 */
export function pgQuerySpanName(text: unknown, statementName: unknown, database: unknown): string | undefined {
  if (typeof text !== 'string' || (typeof statementName === 'string' && statementName !== '')) return undefined;
  const statement = text.trimStart();
  const end = statement.search(WHITESPACE);
  if (end === -1 || statement.charCodeAt(end) === 32 /* a space: upstream's split */) return undefined;
  let operation = statement.slice(0, end).toUpperCase();
  if (operation.endsWith(';')) operation = operation.slice(0, -1);
  return `pg.query:${operation}${typeof database === 'string' && database !== '' ? ` ${database}` : ''}`;
}
