import { scrubCards } from './cards';
import { isCodeValue } from './code-values';
import { splitWords } from './keys';
import {
  AUTH_SCHEME_SOURCE,
  DATABASE_KEY_MARKER,
  DATABASE_KEY_SUFFIXES,
  DATABASE_NEAR_MARKER,
  DATABASE_ROW_MARKER,
  DATABASE_VALUE_SOURCES,
  PAIR_KEY_SOURCE,
  PEM_BEGIN_SOURCE,
  PLACEHOLDER_SOURCE,
  TOKEN_SOURCES,
  SQL_LITERAL_START,
  TRIGGER_SOURCE,
  USERINFO_SOURCE,
  XML_ELEMENT_SOURCE,
} from './rules';
import { compileJwtReplacer } from './jwt';
import { replaceFailedQueryLiterals } from './sql';
import { FILTERED } from './types';

export interface TextScrubber {
  /** All rules, including `key=value` pairs. */
  scrubString(text: string): string;
  /** All rules except pairs: for SQL, where `password = ?` is a comparison, not a secret. */
  scrubWithoutPairs(text: string): string;
  /**
   * All rules, pairs only where written without spaces (`token=abc`, `{password:e}`): for source code,
   * where `session: Session` is a type and `password = hash(pw)` an assignment, not a secret.
   */
  scrubTightPairs(text: string): string;
}

/** Which `key=value` pairs a run filters. */
type PairRule = 'all' | 'tight' | 'none';

/** Basic credentials are base64("user:pass"); plain words after "Basic" ("Basic plan") are kept. */
function looksLikeBasicCredential(b64: string): boolean {
  if (b64.length < 4) return false;
  const decoded = Buffer.from(b64, 'base64').toString('latin1');
  if (!decoded.includes(':')) return false;
  for (let i = 0; i < decoded.length; i++) {
    const c = decoded.charCodeAt(i);
    if (c < 32 || c === 127) return false;
  }
  return true;
}

/** Header-like keys whose value is a whole line (`Cookie: a=1; b=2`, `Authorization: Digest u=..., r=...`). */
function valueIsWholeLine(key: string): boolean {
  return splitWords(key).some((w) => w.endsWith('cookie') || w.endsWith('cookies') || w.endsWith('authorization'));
}

const QUOTE = 34;
const APOS = 39;
const BACKSLASH = 92;
const OPEN_BRACKET = 91;
const OPEN_BRACE = 123;

/**
 * End of a JSON-like array or object value starting at `pos` (`"apiKeys":["…"]` in a string): nesting
 * counted, quoted text skipped, within the line. Unterminated: to the end of the line (fail closed).
 */
function structureEnd(s: string, pos: number): number {
  let depth = 0;
  let quote = 0;
  // JSON inside a JSON string: its quotes are written \" and close the same way.
  let escapedQuote = false;
  let i = pos;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i);
    if (d === 10 || d === 13) return i;
    if (quote !== 0) {
      if (d === BACKSLASH) {
        if (escapedQuote && s.charCodeAt(i + 1) === quote) quote = 0;
        i++;
      } else if (d === quote && !escapedQuote) quote = 0;
    } else if (d === BACKSLASH && (s.charCodeAt(i + 1) === QUOTE || s.charCodeAt(i + 1) === APOS)) {
      quote = s.charCodeAt(++i);
      escapedQuote = true;
    } else if (d === QUOTE || d === APOS) {
      quote = d;
      escapedQuote = false;
    } else if (d === OPEN_BRACKET || d === OPEN_BRACE) depth++;
    else if ((d === 93 || d === 125) && --depth === 0) return i + 1;
  }
  return i;
}

/**
 * End of the value that starts at `pos`: [from, to) is what gets filtered and `next` is where
 * scanning resumes. Every character is visited at most once across the whole string because
 * scanning always resumes after the value.
 */
function valueBounds(s: string, pos: number, wholeLine: boolean): { from: number; to: number; next: number } {
  const n = s.length;
  let c = s.charCodeAt(pos);
  let escapedQuote = false;
  if (c === BACKSLASH && (s.charCodeAt(pos + 1) === QUOTE || s.charCodeAt(pos + 1) === APOS)) {
    escapedQuote = true;
    pos++;
    c = s.charCodeAt(pos);
  }
  if (!escapedQuote && (c === OPEN_BRACKET || c === OPEN_BRACE)) {
    const end = structureEnd(s, pos);
    return { from: pos, to: end, next: end };
  }
  if (c === QUOTE) {
    // A GraphQL block string (`password: """…"""`, `\"\"\"…\"\"\"` inside a JSON string), over lines.
    const fence = escapedQuote ? '\\"\\"\\"' : '"""';
    if (s.startsWith(fence, pos - (escapedQuote ? 1 : 0))) {
      const from = pos - (escapedQuote ? 1 : 0) + fence.length;
      let close = s.indexOf(fence, from);
      // `\"""` inside a block string is an escaped fence, not its end.
      while (!escapedQuote && close > 0 && s.charCodeAt(close - 1) === BACKSLASH) close = s.indexOf(fence, close + 1);
      // Unclosed: fail closed to the end of the text (scanning stops there, so this stays linear).
      return close === -1 ? { from, to: n, next: n } : { from, to: close, next: close + fence.length };
    }
  }
  if (c === QUOTE || c === APOS) {
    let i = pos + 1;
    for (; i < n; i++) {
      const d = s.charCodeAt(i);
      if (d === 10 || d === 13) break;
      if (d === BACKSLASH) {
        if (escapedQuote && s.charCodeAt(i + 1) === c) return { from: pos + 1, to: i, next: i + 2 };
        i++;
        continue;
      }
      if (d === c && !escapedQuote) return { from: pos + 1, to: i, next: i + 1 };
    }
    // Unterminated quote: fail closed up to the end of the line.
    return { from: pos + 1, to: i, next: i };
  }
  let i = pos;
  for (; i < n; i++) {
    const d = s.charCodeAt(i);
    if (d === 10 || d === 13) break;
    if (wholeLine) continue;
    if (d === 32 || d === 9 || d === 12 || d === 11) break;
    if (d === 44 || d === 59 || d === 38 || d === QUOTE || d === APOS || d === 60 || d === 62) break; // , ; & " ' < >
    if (d === 41 || d === 125 || d === 93) break; // ) } ]
    if (d === BACKSLASH && (s.charCodeAt(i + 1) === QUOTE || s.charCodeAt(i + 1) === APOS)) break;
  }
  return { from: pos, to: i, next: i };
}

/** How far past its start a literal PostgreSQL's parser stopped at is looked for its closing quote. */
const NEAR_LITERAL_MAX_LENGTH = 16 * 1024;

/**
 * A string literal PostgreSQL's parser stopped at (`syntax error at or near "'…"`, `unterminated quoted
 * string at or near "'…"`), also as JSON writes the message (`at or near \"'…\"`): filtered up to the
 * message's closing quote, the last one before the stack's first frame or a blank line (the literal may
 * hold quotes and lines of its own). Every marker is looked at; each search resumes past the last cut,
 * and a cut reaches at most NEAR_LITERAL_MAX_LENGTH ahead (linear on any input).
 */
function scrubNearLiterals(s: string): string {
  if (!s.includes(DATABASE_NEAR_MARKER)) return s;
  // Where each stop next occurs at or after a position: searched forward only, so linear over all markers.
  const finder = (needle: string) => {
    let found = -2;
    return (from: number): number => (found === -1 || found >= from ? found : (found = s.indexOf(needle, from)));
  };
  const stopsOf = { plain: [finder('\n    at '), finder('\n\n')], escaped: [finder('\\n    at '), finder('\\n\\n')] };
  let out = '';
  let last = 0;
  for (let at = s.indexOf(DATABASE_NEAR_MARKER); at !== -1; ) {
    let from = at + DATABASE_NEAR_MARKER.length;
    const escaped = s.charCodeAt(from) === BACKSLASH && s.charCodeAt(from + 1) === QUOTE;
    if (escaped) from += 2;
    else if (s.charCodeAt(from) === QUOTE) from += 1;
    else {
      at = s.indexOf(DATABASE_NEAR_MARKER, from);
      continue;
    }
    if (!SQL_LITERAL_START.test(s.slice(from, from + 66))) {
      at = s.indexOf(DATABASE_NEAR_MARKER, from);
      continue;
    }
    const limit = Math.min(s.length, from + NEAR_LITERAL_MAX_LENGTH);
    const stops = (escaped ? stopsOf.escaped : stopsOf.plain).map((next) => next(from)).filter((stop) => stop !== -1 && stop < limit);
    const blockEnd = stops.length > 0 ? Math.min(...stops) : limit;
    const close = s.lastIndexOf(escaped ? '\\"' : '"', blockEnd - 1);
    const end = close >= from ? close : blockEnd;
    out += s.slice(last, from) + FILTERED;
    last = end;
    at = s.indexOf(DATABASE_NEAR_MARKER, Math.max(end, from));
  }
  return last === 0 ? s : out + s.slice(last);
}

/**
 * PostgreSQL's `Key (cols)=(values) already exists` and `Failing row contains (values)`: the values
 * become FILTERED. Each line is searched once for each marker (linear on any input).
 */
function scrubDatabaseValues(s: string): string {
  if (!s.includes(DATABASE_KEY_MARKER) && !s.includes(DATABASE_ROW_MARKER)) return s;
  let out = '';
  let last = 0;
  for (let lineStart = 0; lineStart < s.length; ) {
    const newline = s.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? s.length : newline;
    const line = s.slice(lineStart, lineEnd);
    const ranges: Array<[number, number]> = [];
    const key = line.indexOf(DATABASE_KEY_MARKER);
    const values = key === -1 ? -1 : line.indexOf(')=(', key);
    if (values !== -1) {
      const ends = DATABASE_KEY_SUFFIXES.map((suffix) => line.indexOf(suffix, values + 3)).filter((at) => at !== -1);
      if (ends.length > 0) ranges.push([values + 3, Math.min(...ends)]);
    }
    const row = line.indexOf(DATABASE_ROW_MARKER);
    // PostgreSQL ends the row with ')': the last '). ' or, failing that, the last ')' on the line.
    const sentenceEnd = row === -1 ? -1 : line.lastIndexOf(').');
    const rowEnd = row === -1 ? -1 : sentenceEnd !== -1 ? sentenceEnd : line.lastIndexOf(')');
    if (rowEnd > row + DATABASE_ROW_MARKER.length) ranges.push([row + DATABASE_ROW_MARKER.length, rowEnd]);
    for (const [from, to] of ranges.sort((a, b) => a[0] - b[0])) {
      if (lineStart + from < last) continue;
      out += s.slice(last, lineStart + from) + FILTERED;
      last = lineStart + to;
    }
    lineStart = lineEnd + 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

/** Compiles every regex once; the returned functions share them (JS is single-threaded, no re-entry). */
export function compileTextScrubber(
  isSensitiveKey: (key: string) => boolean,
  patterns: readonly RegExp[],
): TextScrubber {
  const tokenRe = new RegExp(TOKEN_SOURCES.join('|'), 'g');
  const replaceJwts = compileJwtReplacer();
  const userinfoRe = new RegExp(USERINFO_SOURCE, 'g');
  const authRe = new RegExp(AUTH_SCHEME_SOURCE, 'gi');
  const pairRe = new RegExp(PAIR_KEY_SOURCE, 'gu');
  const pemRe = new RegExp(PEM_BEGIN_SOURCE, 'g');
  const placeholderRe = new RegExp(PLACEHOLDER_SOURCE);
  const xmlRe = new RegExp(XML_ELEMENT_SOURCE, 'g');
  const databaseValueRes = DATABASE_VALUE_SOURCES.map((source) => new RegExp(source, 'g'));
  // Custom patterns can match anything, so the fast path is only provably safe without them.
  const trigger = patterns.length === 0 ? new RegExp(TRIGGER_SOURCE, 'i') : null;

  function scrubPem(s: string): string {
    if (!s.includes('-----BEGIN')) return s;
    pemRe.lastIndex = 0;
    let out = '';
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = pemRe.exec(s)) !== null) {
      out += s.slice(last, m.index) + FILTERED;
      const end = s.indexOf('-----END', pemRe.lastIndex);
      if (end === -1) {
        // Truncated block: the rest may be key material.
        last = s.length;
        break;
      }
      const close = s.indexOf('-----', end + 8);
      last = close === -1 ? s.length : close + 5;
      pemRe.lastIndex = last;
    }
    pemRe.lastIndex = 0;
    return out + s.slice(last);
  }

  function replaceAuth(match: string, scheme: string, space: string, credential: string): string {
    if (scheme.toLowerCase() === 'basic' && !looksLikeBasicCredential(credential.replace(/=+$/, ''))) return match;
    return scheme + space + FILTERED;
  }

  function scrubPairs(s: string, tightOnly: boolean): string {
    pairRe.lastIndex = 0;
    let out = '';
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = pairRe.exec(s)) !== null) {
      const pos = pairRe.lastIndex;
      if (pos >= s.length || !isSensitiveKey(m[1]) || s.startsWith(FILTERED, pos)) continue;
      const b = valueBounds(s, pos, valueIsWholeLine(m[1]));
      if (tightOnly && /[ \t]/.test(m[0]) && isCodeValue(s, pos, b.to, m[0])) {
        pairRe.lastIndex = pos; // what the code holds is read on (a structure's own pairs)
        continue;
      }
      const value = s.slice(b.from, b.to);
      if (value !== '' && value !== FILTERED && !placeholderRe.test(value)) {
        out += s.slice(last, b.from) + FILTERED;
        last = b.to;
      }
      pairRe.lastIndex = Math.max(b.next, pos);
    }
    pairRe.lastIndex = 0;
    return last === 0 ? s : out + s.slice(last);
  }

  function replaceXmlElement(match: string, tag: string, attributes: string, text: string): string {
    const localName = tag.slice(tag.lastIndexOf(':') + 1);
    if (!isSensitiveKey(localName) || placeholderRe.test(text.trim())) return match;
    return `<${tag}${attributes}>${FILTERED}</${tag}>`;
  }

  function scrubStructuredText(s: string): string {
    let out = s.includes('</') ? s.replace(xmlRe, replaceXmlElement) : s;
    for (const re of databaseValueRes) out = out.replace(re, (_m: string, before: string, _value: string, after: string) => before + FILTERED + after);
    return scrubDatabaseValues(scrubNearLiterals(out));
  }

  function run(text: string, pairs: PairRule): string {
    if (trigger !== null && !trigger.test(text)) return text;
    let s = scrubPem(replaceFailedQueryLiterals(text));
    s = s.replace(userinfoRe, (_m: string, prefix: string) => `${prefix}:${FILTERED}@`);
    s = s.replace(tokenRe, FILTERED);
    if (s.includes('.eyJ')) s = replaceJwts(s);
    s = s.replace(authRe, replaceAuth);
    s = scrubStructuredText(s);
    if (pairs !== 'none') s = scrubPairs(s, pairs === 'tight');
    s = scrubCards(s);
    for (const p of patterns) s = s.replace(p, FILTERED);
    return s;
  }

  return {
    scrubString: (text) => run(text, 'all'),
    scrubWithoutPairs: (text) => run(text, 'none'),
    scrubTightPairs: (text) => run(text, 'tight'),
  };
}
