/*
 * Whether a sensitive name's spaced value in a source line is code (kept in context lines) or could be
 * the text of a YAML or .env template (filtered). Used by the text scrubber's pair rule for code lines.
 */

/** Words that start an expression or a statement (`case 'token': return x`, `key: await load()`). */
const CODE_WORDS = new Set(['return', 'await', 'new', 'typeof', 'void', 'yield', 'throw', 'function', 'async', 'this', 'true', 'false', 'null', 'undefined', 'delete', 'break', 'continue']);
/** A call, or a call at the end of a member chain: `hash(pw)`, `z.string().min(8)`, `new Stripe(`, `store.get<User>(`. */
const CALL = /^(?:new\s+|await\s+)?[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)*(?:<[^<>()]{0,64}>)?\s*\(/;
/** What TypeScript emits for an imported function's call: `(0, session_1.requireSession)(…)`. */
const COMPILED_CALL = /^\(0, [\w$]+\.[\w$]+\)\(/;
/** A primitive type (`token: string,`, `apiKey: string;`, `ids: number[]`). */
const PRIMITIVE_TYPE = /^(?:string|number|boolean|bigint|symbol|object|unknown|any|never|void|undefined|null)\[?$/;
const AFTER_TYPE = /^\s*(?:$|[,;)=|&>\]])/;
/** A type in a typed declaration: `session: Session = …` (an `=` that is not a comparison). */
const DECLARED_TYPE = /^[A-Za-z_$][\w$.]*(?:<[^<>]{0,64}>)?$/;
const THEN_ASSIGNED = /^\s*=(?![=>])/;
/** A member chain read as a fallback or an argument (`process.env.TOKEN || 'dev'`, `f(config.token)`). */
const MEMBER_CHAIN = /^[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)+$/;
const THEN_OPERATOR = /^\s*(?:\|\||\?\?|&&|\)|;|\?\s)/;

/**
 * In source code, `key: value` and `key = value` written with spaces are often types, calls and
 * comparisons, which context lines must show as they are. A sensitive key's spaced value is kept only
 * when it can be nothing but code: a comparison or an arrow (`password === confirm`), a call
 * (`password: hash(pw)`, `z.string().min(8)`), a keyword, a member chain before an operator
 * (`process.env.TOKEN || …`), a primitive type, a type followed by its assignment
 * (`session: Session = load()`), or a structure with pairs of its own (read on inside). Anything
 * else is filtered: a YAML or .env text in a template, whose backticks may be outside the lines shown,
 * reads `password: Winter.2024`, `token = abc123;` or `{ password: hunter2 }` the same way code could.
 */
export function isCodeValue(s: string, pos: number, to: number, separator: string): boolean {
  const first = s[pos];
  if (first === '=' || first === '>') return true;
  const rest = s.slice(pos, pos + 256);
  if (first === '{' || first === '[') return /[:=]/.test(s.slice(pos + 1, to));
  const call = CALL.exec(rest);
  // A call closes (`s3cr(3t` in a YAML text does not).
  if ((call && rest.includes(')', call[0].length)) || COMPILED_CALL.test(rest)) return true;
  const value = s.slice(pos, to);
  if (CODE_WORDS.has(value)) return true;
  if (MEMBER_CHAIN.test(value) && THEN_OPERATOR.test(s.slice(to, to + 8))) return true;
  if (!separator.includes(':')) return false;
  const after = s.slice(to, to + 16);
  return (PRIMITIVE_TYPE.test(value) && AFTER_TYPE.test(after)) || (DECLARED_TYPE.test(value) && THEN_ASSIGNED.test(after));
}
