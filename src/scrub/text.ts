import { scrubCards } from './cards';
import { splitWords } from './keys';
import {
  AUTH_SCHEME_SOURCE,
  PAIR_KEY_SOURCE,
  PEM_BEGIN_SOURCE,
  PLACEHOLDER_SOURCE,
  TOKEN_SOURCES,
  TRIGGER_SOURCE,
  USERINFO_SOURCE,
} from './rules';
import { FILTERED } from './types';

export interface TextScrubber {
  /** All rules, including `key=value` pairs. */
  scrubString(text: string): string;
  /** All rules except pairs: for SQL, where `password = ?` is a comparison, not a secret. */
  scrubWithoutPairs(text: string): string;
}

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

/** Compiles every regex once; the returned functions share them (JS is single-threaded, no re-entry). */
export function compileTextScrubber(
  isSensitiveKey: (key: string) => boolean,
  patterns: readonly RegExp[],
): TextScrubber {
  const tokenRe = new RegExp(TOKEN_SOURCES.join('|'), 'g');
  const userinfoRe = new RegExp(USERINFO_SOURCE, 'g');
  const authRe = new RegExp(AUTH_SCHEME_SOURCE, 'gi');
  const pairRe = new RegExp(PAIR_KEY_SOURCE, 'g');
  const pemRe = new RegExp(PEM_BEGIN_SOURCE, 'g');
  const placeholderRe = new RegExp(PLACEHOLDER_SOURCE);
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

  function scrubPairs(s: string): string {
    pairRe.lastIndex = 0;
    let out = '';
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = pairRe.exec(s)) !== null) {
      const pos = pairRe.lastIndex;
      if (pos >= s.length || !isSensitiveKey(m[1]) || s.startsWith(FILTERED, pos)) continue;
      const b = valueBounds(s, pos, valueIsWholeLine(m[1]));
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

  function run(text: string, pairs: boolean): string {
    if (trigger !== null && !trigger.test(text)) return text;
    let s = scrubPem(text);
    s = s.replace(userinfoRe, (_m: string, prefix: string) => `${prefix}:${FILTERED}@`);
    s = s.replace(tokenRe, FILTERED);
    s = s.replace(authRe, replaceAuth);
    if (pairs) s = scrubPairs(s);
    s = scrubCards(s);
    for (const p of patterns) s = s.replace(p, FILTERED);
    return s;
  }

  return {
    scrubString: (text) => run(text, true),
    scrubWithoutPairs: (text) => run(text, false),
  };
}
