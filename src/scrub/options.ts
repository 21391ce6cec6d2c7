import { splitWords } from './keys';
import type { ScrubOptions } from './types';

export interface NormalizedOptions {
  extraWords: Array<{ compact: string; wordCount: number }>;
  extraRegExps: RegExp[];
  patterns: RegExp[];
  allowKeys: string[];
  maxDepth: number;
}

const KNOWN = ['keys', 'patterns', 'allowKeys', 'maxDepth'];
export const DEFAULT_MAX_DEPTH = 12;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof RegExp) return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function fail(message: string): never {
  throw new TypeError(`createScrubber: ${message}`);
}

/** Copies a RegExp so callers mutating theirs (or its lastIndex) cannot change compiled rules. */
/** A copy of `re` without some flags; without `gy`, its tests keep no `lastIndex` from one call to the next. */
export function copyRegExp(re: RegExp, dropFlags: string): RegExp {
  let flags = re.flags;
  for (const f of dropFlags) flags = flags.replace(f, '');
  return new RegExp(re.source, flags);
}

function arrayOption(options: Record<string, unknown>, name: string, example: string): unknown[] {
  const v = options[name];
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(`options.${name} must be an array, got ${describe(v)}. Example: ${name}: ${example}`);
  return v;
}

/** Validates everything up front so a bad option fails at start-up, with the fix in the message. */
export function normalizeOptions(input: ScrubOptions | undefined): NormalizedOptions {
  // Typed callers can still pass anything at runtime (JS users, parsed config): check it all.
  const options: unknown = input === undefined ? {} : input;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(`options must be an object or undefined, got ${describe(options)}. Example: createScrubber({ keys: ['booking_ref'] })`);
  }
  const opts = options as Record<string, unknown>;
  for (const name of Object.keys(opts)) {
    if (!KNOWN.includes(name)) fail(`unknown option "${name}". Valid options: ${KNOWN.join(', ')}.`);
  }
  const result: NormalizedOptions = { extraWords: [], extraRegExps: [], patterns: [], allowKeys: [], maxDepth: DEFAULT_MAX_DEPTH };

  arrayOption(opts, 'keys', "['booking_ref', /^x-internal-/i]").forEach((k, i) => {
    if (k instanceof RegExp) {
      // Key tests must be stateless: a global/sticky RegExp remembers lastIndex between calls.
      result.extraRegExps.push(copyRegExp(k, 'gy'));
    } else if (typeof k === 'string') {
      const words = splitWords(k);
      if (words.length === 0) fail(`options.keys[${i}] ${describe(k)} has no letters or digits; use a key name like 'booking_ref'.`);
      result.extraWords.push({ compact: words.join(''), wordCount: words.length });
    } else {
      fail(`options.keys[${i}] must be a string or a RegExp, got ${describe(k)}.`);
    }
  });

  arrayOption(opts, 'patterns', '[/\\bBK-\\d{6}\\b/g]').forEach((p, i) => {
    if (!(p instanceof RegExp)) fail(`options.patterns[${i}] must be a RegExp, got ${describe(p)}. Example: /\\bBK-\\d{6}\\b/g`);
    if (!p.global) fail(`options.patterns[${i}] ${String(p)} must have the global flag so every match is replaced: write /${p.source}/g${p.flags}.`);
    const copy = copyRegExp(p, '');
    if (copy.test('')) fail(`options.patterns[${i}] ${String(p)} matches the empty string; it would insert [Filtered] everywhere. Require at least one character (use + instead of *).`);
    copy.lastIndex = 0;
    result.patterns.push(copy);
  });

  arrayOption(opts, 'allowKeys', "['session_count']").forEach((k, i) => {
    if (typeof k !== 'string' || k === '') fail(`options.allowKeys[${i}] must be a non-empty string, got ${describe(k)}.`);
    result.allowKeys.push(k);
  });

  if (opts.maxDepth !== undefined) {
    const d = opts.maxDepth;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      fail(`options.maxDepth must be a non-negative integer (default ${DEFAULT_MAX_DEPTH}), got ${describe(d)}.`);
    }
    result.maxDepth = d;
  }
  return result;
}
