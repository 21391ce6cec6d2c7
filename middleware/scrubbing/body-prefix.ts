import { FILTERED, TRUNCATED, type Scrubber } from '../../src/scrub';
import { CUT_MARGIN, keptOfCutText } from '../../src/scrub/cut';

/** Below any scrubber's useful depth (12 by default): bounds the copy's recursion on `[[[[…]]]]`. */
const MAX_COPY_DEPTH = 256;
/** What a value the copy does not look into (a class instance, a Map) is counted as, in characters. */
const OPAQUE_SIZE = 16;

/** The part of a parsed body an event can show, and whether anything was left out. */
export interface BodyPrefix {
  readonly value: unknown;
  readonly cut: boolean;
}

/** A number's, boolean's or null's length in JSON (an undefined field is left out, an undefined element is null). */
const scalarLength = (value: unknown): number =>
  typeof value === 'number' || typeof value === 'bigint' ? String(value).length : value === false ? 5 : 4;

const isPlain = (value: object): boolean => {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
};

/**
 * The leading part of a parsed body (plain objects and arrays, in JSON's order) whose JSON fills about
 * `maxChars`, copied unscrubbed: scrubbing and serializing a 5 MB body to keep 16 KB of it would stall
 * the event loop for a second and a half. A field with a sensitive name is `[Filtered]` at once. A long string is scrubbed here, before its cut, and loses the last CUT_MARGIN characters
 * of what scrubbing left (see keptOfCutText), as a long text body does.
 */
export function bodyPrefix(body: object, maxChars: number, scrubber: Scrubber): BodyPrefix {
  let left = maxChars + CUT_MARGIN;
  let cut = false;
  const isSensitive = (key: string): boolean => {
    try {
      return scrubber.isSensitiveKey(key);
    } catch {
      return true;
    }
  };

  const copyString = (text: string): string => {
    if (text.length <= maxChars + CUT_MARGIN) return text;
    cut = true;
    return `${keptOfCutText(scrubber.scrubValue(text.slice(0, maxChars + CUT_MARGIN)), maxChars)}…`;
  };

  const copy = (value: unknown, depth: number, ancestors: Set<object>): unknown => {
    if (typeof value === 'string') {
      const copied = copyString(value);
      left -= JSON.stringify(copied).length; // quotes and escapes: a control character is six
      return copied;
    }
    if (typeof value !== 'object' || value === null) {
      left -= scalarLength(value);
      return value;
    }
    if (!Array.isArray(value) && !isPlain(value)) {
      left -= OPAQUE_SIZE;
      return value; // scrubValue walks it, as it would have
    }
    if (depth >= MAX_COPY_DEPTH || ancestors.has(value)) {
      cut = true;
      return TRUNCATED;
    }
    ancestors.add(value);
    left -= 2;
    const result = Array.isArray(value) ? copyArray(value, depth, ancestors) : copyFields(value, depth, ancestors);
    ancestors.delete(value);
    return result;
  };

  const copyArray = (array: unknown[], depth: number, ancestors: Set<object>): unknown[] => {
    const out: unknown[] = [];
    for (let i = 0; i < array.length; i += 1) {
      if (left <= 0) {
        cut = true;
        break;
      }
      out.push(copy(array[i], depth + 1, ancestors));
      left -= 1;
    }
    return out;
  };

  const copyFields = (object: object, depth: number, ancestors: Set<object>): Record<string, unknown> => {
    // No prototype: a parsed body's own `__proto__` field stays a field.
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      if (left <= 0) {
        cut = true;
        break;
      }
      left -= JSON.stringify(key).length + 2;
      try {
        const field = (object as Record<string, unknown>)[key];
        // Filtered here as the scrubber would (a boolean or null holds no secret), without copying it.
        const filtered = field !== null && field !== undefined && typeof field !== 'boolean' && isSensitive(key);
        out[key] = filtered ? copy(FILTERED, depth + 1, ancestors) : copy(field, depth + 1, ancestors);
      } catch {
        out[key] = FILTERED; // a getter that throws, as the scrubber has it
      }
    }
    return out;
  };

  const value = copy(body, 0, new Set());
  return { value, cut };
}
