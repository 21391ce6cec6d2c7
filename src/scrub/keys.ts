import {
  DESCRIBED_WORDS,
  DESCRIBING_LAST_WORDS,
  MAX_JOIN,
  NOT_KEY_SOURCES,
  PREFIX_EXCEPTIONS,
  SENSITIVE_PREFIXES,
  SENSITIVE_SUFFIXES,
  SENSITIVE_WORDS,
  SESSION_FOLLOWERS,
  STANDARD_ATTRIBUTES_NOT_SECRET,
} from './rules';

const SEPARATOR = 0;
const LOWER = 1;
const UPPER = 2;
const DIGIT = 3;

function kindOf(code: number): number {
  if (code >= 97 && code <= 122) return LOWER;
  if (code >= 65 && code <= 90) return UPPER;
  if (code >= 48 && code <= 57) return DIGIT;
  // Non-ASCII letters (e.g. Cyrillic) form words too; ASCII punctuation and spaces separate.
  return code > 127 && String.fromCharCode(code).toLowerCase() !== String.fromCharCode(code).toUpperCase()
    ? LOWER
    : SEPARATOR;
}

/**
 * Splits a key into lowercase words at separators, camelCase humps, acronym ends and letter/digit
 * boundaries: `x-API-Key` -> [x, api, key], `secretKey2` -> [secret, key, 2]. A single linear pass,
 * because keys can be attacker-controlled (query parameter names, JSON bodies).
 */
export function splitWords(key: string): string[] {
  const words: string[] = [];
  let cur = '';
  let prev = SEPARATOR;
  for (let i = 0; i < key.length; i++) {
    const ch = key[i];
    const kind = kindOf(key.charCodeAt(i));
    if (kind === SEPARATOR) {
      if (cur !== '') words.push(cur);
      cur = '';
      prev = SEPARATOR;
      continue;
    }
    if (cur !== '') {
      if ((kind === DIGIT) !== (prev === DIGIT) || (kind === UPPER && prev === LOWER)) {
        words.push(cur);
        cur = '';
      } else if (kind === LOWER && prev === UPPER && cur.length > 1) {
        // "APIKey": the K belongs to the next word.
        words.push(cur.slice(0, -1));
        cur = cur.slice(-1);
      }
    }
    cur += ch;
    prev = kind;
  }
  if (cur !== '') words.push(cur);
  for (let i = 0; i < words.length; i++) words[i] = words[i].toLowerCase();
  return words;
}

/** Separator-free lowercase form: `X-Api-Key`, `x_api_key` and `xApiKey` all give "xapikey". */
export function compactKey(key: string): string {
  return splitWords(key).join('');
}

const DESCRIBING_LAST = new Set<string>(DESCRIBING_LAST_WORDS);
const STANDARD_NOT_SECRET = new Set<string>(STANDARD_ATTRIBUTES_NOT_SECRET);
const NOT_KEYS = NOT_KEY_SOURCES.map((source) => new RegExp(source));
const DESCRIBED = new Map(Object.entries(DESCRIBED_WORDS).map(([word, { before = [], after = [] }]) => [word, { before: new Set(before), after: new Set(after) }]));

/** A sensitive word that its neighbour shows to be a description (`cacheKey`, `input_tokens`, `auth_method`). */
function isDescribed(words: readonly string[], index: number): boolean {
  const described = DESCRIBED.get(words[index]);
  if (!described) return false;
  return (index > 0 && described.before.has(words[index - 1])) || (index < words.length - 1 && described.after.has(words[index + 1]));
}

function isSessionWord(word: string): boolean {
  if (word === 'session') return true;
  if (!word.endsWith('session')) return false;
  // "usersession" yes; "possession", "concession" no.
  const before = word[word.length - 8];
  return before !== 's' && before !== 'c';
}

export interface KeyRules {
  /** Extra sensitive keys as compact words ("booking_ref" -> "bookingref") with their word counts. */
  extraWords: ReadonlyArray<{ compact: string; wordCount: number }>;
  extraRegExps: readonly RegExp[];
  allowKeys: readonly string[];
}

const CACHE_LIMIT = 2048;
const CACHEABLE_LENGTH = 256;

const NON_ASCII = /[\u0080-\uffff]/;

/** Compiles the key rules once; the returned predicate memoizes, because the same keys recur constantly. */
export function compileKeyMatcher(rules: KeyRules): (key: string) => boolean {
  const exact = new Set<string>(SENSITIVE_WORDS);
  let maxJoin = MAX_JOIN;
  for (const w of rules.extraWords) {
    exact.add(w.compact);
    maxJoin = Math.max(maxJoin, w.wordCount);
  }
  const prefixes = [...SENSITIVE_PREFIXES];
  const exceptions = [...PREFIX_EXCEPTIONS];
  const suffixes = [...SENSITIVE_SUFFIXES];
  const followers = new Set<string>(SESSION_FOLLOWERS);
  const regexps = [...rules.extraRegExps];
  const allow = new Set<string>();
  for (const k of rules.allowKeys) {
    allow.add(k.toLowerCase());
    allow.add(compactKey(k));
  }
  const cache = new Map<string, boolean>();

  function wordIsSensitive(word: string): boolean {
    if (exact.has(word)) return true;
    for (const p of prefixes) {
      if (word.startsWith(p) && !exceptions.some((e) => word.startsWith(e))) return true;
    }
    for (const s of suffixes) {
      if (word.endsWith(s)) return true;
    }
    return false;
  }

  function evaluate(key: string): boolean {
    const words = splitWords(key);
    if (allow.has(key.toLowerCase()) || allow.has(words.join('')) || STANDARD_NOT_SECRET.has(key)) return false;
    for (const re of regexps) {
      if (re.test(key)) return true;
    }
    if (NOT_KEYS.some((re) => re.test(key))) return false;
    const n = words.length;
    if (n > 1 && DESCRIBING_LAST.has(words[n - 1])) return false;
    for (let i = 0; i < n; i++) {
      const word = words[i];
      if (wordIsSensitive(word) && !isDescribed(words, i)) return true;
      if (isSessionWord(word) && (i === n - 1 || followers.has(words[i + 1]))) return true;
      let joined = word;
      for (let k = i + 1; k < n && k < i + maxJoin; k++) {
        joined += words[k];
        if (exact.has(joined)) return true;
      }
    }
    return false;
  }

  return function isSensitiveKey(key: string): boolean {
    const cacheable = key.length <= CACHEABLE_LENGTH;
    if (cacheable) {
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
    }
    // Full-width and other compatibility forms (ＰＡＳＳＷＯＲＤ) are judged as the word they stand for.
    const result = evaluate(key) || (NON_ASCII.test(key) && evaluate(key.normalize('NFKC')));
    if (cacheable) {
      // Wholesale clear keeps the bound trivial; hot keys are back after one miss each.
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(key, result);
    }
    return result;
  };
}
