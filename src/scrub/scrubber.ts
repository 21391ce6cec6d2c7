import type { CodeLineRules } from './code-lines';
import { compactKey, compileKeyMatcher } from './keys';
import { memoizeString, STRING_MEMO_ENTRIES, STRING_MEMO_MAX_LENGTH } from './memo';
import { normalizeOptions } from './options';
import { SENSITIVE_HEADERS, URL_HEADERS } from './rules';
import { replaceSensitiveNumbers, replaceSqlLiterals } from './sql';
import { compileTextScrubber } from './text';
import { FILTERED, type ScrubOptions, type Scrubber } from './types';
import { compileUrlScrubber } from './url';
import { compileWalker } from './walk';

/**
 * Every public entry point fails closed: whatever goes wrong inside (a bug, a hostile getter, a
 * stack overflow), the caller receives '[Filtered]' (or `true` for "is this key sensitive?").
 */
function guard<A, R>(fn: (arg: A) => R, onError: R): (arg: A) => R {
  return (arg: A) => {
    try {
      return fn(arg);
    } catch {
      return onError;
    }
  };
}

function asText(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

const SQL_MEMO_MAX_LENGTH = 2048;

/**
 * How a stack frame's own text is scrubbed: without the free text's `name: value` pair rule, as a module
 * is named `auth:login` (Sentry's `dir:file`) and a source line is code (see code-lines.ts).
 */
export interface FrameTextScrubber extends CodeLineRules {
  /** A frame's module, function or file name: tokens, cards, credentials in URLs; a file URL's query as a URL's. */
  name(name: string): string;
}

/** Each scrubber's frame rules, for the event scrubber; not part of the public Scrubber. */
const frameScrubbers = new WeakMap<Scrubber, FrameTextScrubber>();

/** The frame rules of a scrubber made by createScrubber; undefined for any other object. */
export function frameTextScrubberOf(scrubber: Scrubber): FrameTextScrubber | undefined {
  return frameScrubbers.get(scrubber);
}

/** A URL in free text: a scheme, `://`, and what follows up to a space or a quote. */
const EMBEDDED_URL = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s"'<>`]+/g;
/**
 * Longer texts repeat too: the stack of an error thrown again and again from the same place, recorded
 * on its span as `exception.stacktrace`. A few of them are kept (at most ~1 MB of text in and out).
 */
const LONG_MEMO_ENTRIES = 32;
const LONG_MEMO_MAX_LENGTH = 8192;

/** Validates options (throw TypeError that says how to fix it), compiles all rules once. */
export function createScrubber(options?: ScrubOptions): Scrubber {
  const opts = normalizeOptions(options);
  // Results are cached (scrubbing is pure): spans, breadcrumbs and stack frames repeat the same keys,
  // routes, SQL and source lines over and over, and each costs a dozen regular expressions.
  const matchKey = memoizeString(compileKeyMatcher(opts), STRING_MEMO_ENTRIES, STRING_MEMO_MAX_LENGTH);
  const isSensitiveKey = guard((key: string) => matchKey(asText(key)), true);
  const text = compileTextScrubber(matchKey, opts.patterns);
  const scrubLongText = memoizeString(text.scrubString, LONG_MEMO_ENTRIES, LONG_MEMO_MAX_LENGTH, STRING_MEMO_MAX_LENGTH + 1);
  const scrubText = memoizeString(scrubLongText, STRING_MEMO_ENTRIES, STRING_MEMO_MAX_LENGTH);
  const urlImpl = memoizeString(compileUrlScrubber(matchKey, scrubText), STRING_MEMO_ENTRIES, STRING_MEMO_MAX_LENGTH);
  // A URL quoted in free text may hold a secret percent-encoded (`?next=%2Fcb%3Ftoken%3D…`), which only
  // the URL rules decode: each such URL is scrubbed as one, after the text rules.
  const decodedUrls = (out: string): string =>
    out.includes('%') && out.includes('://') ? out.replace(EMBEDDED_URL, (url) => (url.includes('%') ? urlImpl(url) : url)) : out;
  const scrubTextAndUrls = (s: string): string => decodedUrls(scrubText(s));
  const scrubString = guard((s: string) => scrubTextAndUrls(asText(s)), FILTERED);
  const scrubUrl = guard((u: string) => urlImpl(asText(u)), FILTERED);
  const sqlImpl = memoizeString(
    (sql: string) => text.scrubWithoutPairs(replaceSensitiveNumbers(replaceSqlLiterals(sql, scrubText), matchKey)),
    STRING_MEMO_ENTRIES / 8,
    SQL_MEMO_MAX_LENGTH,
  );
  const scrubSql = guard((sql: string) => sqlImpl(asText(sql)), FILTERED);
  const walk = compileWalker({ isSensitiveKey: matchKey, scrubString, scrubUrl, maxDepth: opts.maxDepth });
  // allowKeys must win here too, and these names bypass the key matcher that applies it.
  const allowed = new Set(opts.allowKeys.map(compactKey));
  const headerNames = new Set<string>(SENSITIVE_HEADERS.filter((h) => !allowed.has(compactKey(h))));
  const urlHeaders = new Set<string>(URL_HEADERS);

  function headerValue(name: string, value: unknown): unknown {
    const lower = name.toLowerCase();
    if (value === undefined || value === null) return value;
    if (headerNames.has(lower) || matchKey(name)) return FILTERED;
    if (typeof value === 'number') return value;
    const one = urlHeaders.has(lower) ? scrubUrl : scrubString;
    if (typeof value === 'string') return one(value);
    if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? one(v) : walk(v)));
    return walk(value);
  }

  function scrubHeaders(headers: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (headers === null || typeof headers !== 'object') return out;
    // Fetch `Headers` and Maps keep their entries behind an iterator, not as own properties.
    const entries: Iterable<[unknown, unknown]> =
      headers instanceof Map || (typeof Headers !== 'undefined' && headers instanceof Headers)
        ? (headers as unknown as Map<unknown, unknown>).entries()
        : Object.entries(headers);
    for (const [rawName, value] of entries) {
      const name = asText(rawName);
      let scrubbed: unknown;
      try {
        scrubbed = headerValue(name, value);
      } catch {
        scrubbed = FILTERED;
      }
      Object.defineProperty(out, name, { value: scrubbed, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  const scrubber = Object.freeze<Scrubber>({
    isSensitiveKey,
    scrubString,
    scrubUrl,
    scrubSql,
    scrubValue: <T>(value: T): T => walk(value) as T,
    scrubHeaders: (headers: Record<string, unknown>): Record<string, unknown> => {
      try {
        return scrubHeaders(headers);
      } catch {
        return {};
      }
    },
  });
  // A file name with a query or a fragment is a URL (`file:///app/x.js?v=1`); other names are not parsed as one.
  const url = /^[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/.*[?#]/;
  const withoutPairs = memoizeString((s: string) => decodedUrls(text.scrubWithoutPairs(s)), STRING_MEMO_ENTRIES, STRING_MEMO_MAX_LENGTH);
  const tightPairs = memoizeString((s: string) => decodedUrls(text.scrubTightPairs(s)), STRING_MEMO_ENTRIES, STRING_MEMO_MAX_LENGTH);
  frameScrubbers.set(scrubber, {
    name: guard((s: string) => (url.test(asText(s)) ? scrubUrl(s) : withoutPairs(asText(s))), FILTERED),
    text: scrubString,
    code: guard((s: string) => tightPairs(asText(s)), FILTERED),
  });
  return scrubber;
}

let cached: Scrubber | undefined;

/** The default scrubber (lazily created, cached). */
export function defaultScrubber(): Scrubber {
  if (cached === undefined) cached = createScrubber();
  return cached;
}
