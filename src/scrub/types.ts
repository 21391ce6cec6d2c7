/** The only replacement for secret data, so downstream code and humans can recognise it. */
export const FILTERED = '[Filtered]';
/** Marks a reference back to an ancestor; the copy stays finite and JSON-serializable. */
export const CIRCULAR = '[Circular]';
/** Marks an object deeper than `maxDepth`. Its content is dropped, not sent (fail closed). */
export const TRUNCATED = '[Truncated]';

export interface ScrubOptions {
  /**
   * Extra sensitive keys: strings (split into words and matched like the defaults: as a whole word
   * or a run of consecutive words, case-insensitive) or RegExps (tested against the raw key).
   * @default []
   */
  keys?: ReadonlyArray<string | RegExp> | undefined;
  /** Extra value patterns (global RegExps, matched inside any string, replaced by [Filtered]). @default [] */
  patterns?: ReadonlyArray<RegExp> | undefined;
  /**
   * Keys never treated as sensitive even if a rule matches. Compared case-insensitively,
   * ignoring separators (`session_count` also allows `sessionCount`).
   * @default []
   */
  allowKeys?: ReadonlyArray<string> | undefined;
  /**
   * Object nesting levels walked by `scrubValue` (the root is level 0). An object or array
   * found at this depth becomes '[Truncated]'; strings and numbers at any depth are still scrubbed.
   * @default 12
   */
  maxDepth?: number | undefined;
}

export interface Scrubber {
  isSensitiveKey(key: string): boolean;
  /** Replace secret-looking substrings in free text. */
  scrubString(text: string): string;
  /** URL or path+query: userinfo password, sensitive query params' values, and value patterns. Works on absolute URLs, relative paths ('/a?token=x'), and malformed input. */
  scrubUrl(url: string): string;
  /** SQL text: string literals ('...', E'...', $$...$$) become ?, numbers too where compared with or named as a sensitive column (`pin = 4829`, `123 AS cvv`), other numbers left alone, then value patterns. */
  scrubSql(sql: string): string;
  /** Deep copy with sensitive keys' values replaced by FILTERED and strings scrubbed. Never mutates input, handles cycles ('[Circular]'), Map/Set/Date/Buffer/Error/class instances/getters that throw, BigInt, Symbol keys ignored. */
  scrubValue<T>(value: T): T;
  /** Headers object (values string | string[] | number | undefined) -> new object: sensitive header names filtered, others scrubbed as strings. */
  scrubHeaders(headers: Record<string, unknown>): Record<string, unknown>;
}
