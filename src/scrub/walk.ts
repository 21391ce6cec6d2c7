import { findCards } from './cards';
import { wellFormed } from './cut';
import { memoizeString, STRING_MEMO_ENTRIES, STRING_MEMO_MAX_LENGTH } from './memo';
import { CIRCULAR, FILTERED, TRUNCATED } from './types';

export interface WalkContext {
  isSensitiveKey(key: string): boolean;
  scrubString(text: string): string;
  scrubUrl(url: string): string;
  maxDepth: number;
}

/** A whole-string URL (no spaces) gets URL rules, which also catch percent-encoded secrets. */
const URL_LIKE_RE = /^(?:[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/|\/)\S*$/;

/** What a key decides for its field: whether the value is filtered, and the key's own scrubbed name. */
interface KeyRule {
  readonly sensitive: boolean;
  readonly name: string;
}

/** Marks an object whose copy is still being made: meeting it again means a cycle. */
const IN_PROGRESS = Symbol('in progress');
/** What `copySpecial` answers for an object that is copied field by field, like a plain one. */
const NOT_SPECIAL = Symbol('not special');

type Seen = Map<object, unknown>;

/**
 * Builds the deep-copy function. Every field is processed inside its own try/catch so one hostile
 * getter or Proxy trap costs only that field ('[Filtered]'), never the event.
 */
export function compileWalker(ctx: WalkContext): (value: unknown) => unknown {
  const { isSensitiveKey, scrubString, scrubUrl, maxDepth } = ctx;

  // An event repeats the same keys and texts (frame fields, context lines, module names) event after
  // event: one cached lookup per key and per string, where the key's rule and its scrubbed name (or a
  // string's URL-or-text decision and its result) would otherwise be two lookups and a regex each.
  const keyRule = memoizeString((key: string): KeyRule => {
    let sensitive: boolean;
    try {
      sensitive = isSensitiveKey(key);
    } catch {
      sensitive = true;
    }
    return { sensitive, name: wellFormed(scrubString(key)) };
  }, STRING_MEMO_ENTRIES, STRING_MEMO_MAX_LENGTH);
  const text = memoizeString((s: string): string => wellFormed(URL_LIKE_RE.test(s) ? scrubUrl(s) : scrubString(s)), STRING_MEMO_ENTRIES, STRING_MEMO_MAX_LENGTH);

  /** Numbers and BigInts can be card numbers too (4111111111111111 fits in a double exactly). */
  function numeric<T extends number | bigint>(v: T): T | string {
    if (typeof v === 'number' && (!Number.isInteger(v) || Math.abs(v) < 1e12)) return v;
    const digits = String(v).replace(/^-/, '');
    return findCards(digits).length > 0 ? FILTERED : v;
  }

  function walk(value: unknown, depth: number, seen: Seen): unknown {
    switch (typeof value) {
      case 'string':
        return text(value);
      case 'number':
      case 'bigint':
        return numeric(value);
      case 'function':
        return `[Function${value.name ? `: ${scrubString(value.name)}` : ''}]`;
      case 'object':
        break;
      default:
        return value; // boolean, undefined, symbol
    }
    if (value === null) return null;
    const obj = value as object;
    // Shared (non-circular) references are copied once: keeps DAG-shaped input from blowing up.
    const known = seen.get(obj);
    if (known === IN_PROGRESS) return CIRCULAR;
    if (known !== undefined) return known;
    if (depth >= maxDepth) return TRUNCATED;
    seen.set(obj, IN_PROGRESS);
    let out: unknown;
    try {
      out = copyObject(obj, depth, seen);
    } catch (error) {
      seen.delete(obj);
      throw error;
    }
    seen.set(obj, out);
    return out;
  }

  function copyObject(obj: object, depth: number, seen: Seen): unknown {
    const next = depth + 1;
    if (Array.isArray(obj)) {
      const len = obj.length;
      const out: unknown[] = new Array(len);
      for (let i = 0; i < len; i++) {
        try {
          out[i] = walk(obj[i], next, seen);
        } catch {
          out[i] = FILTERED;
        }
      }
      return out;
    }
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const special = copySpecial(obj, depth, seen);
      if (special !== NOT_SPECIAL) return special;
    }
    return copyFields(obj, {}, next, seen);
  }

  /**
   * Own enumerable string keys only: symbol keys are ignored, prototypes are not copied (a copied
   * prototype's getters or toJSON could recompute the secrets from closures).
   */
  function copyFields(obj: object, out: Record<string, unknown>, next: number, seen: Seen): Record<string, unknown> {
    for (const key of Object.keys(obj)) {
      const rule = keyRule(key);
      let value: unknown;
      try {
        const raw = (obj as Record<string, unknown>)[key];
        // A boolean cannot hold a secret (`has_password: true`); null and undefined hold nothing.
        value = rule.sensitive && raw !== null && raw !== undefined && typeof raw !== 'boolean' ? FILTERED : walk(raw, next, seen);
      } catch {
        value = FILTERED;
      }
      put(out, rule.name, value);
    }
    return out;
  }

  /** Built-ins and class instances; NOT_SPECIAL when the object is copied field by field like a plain one. */
  function copySpecial(obj: object, depth: number, seen: Seen): unknown {
    const next = depth + 1;
    if (obj instanceof Date) return new Date(obj.getTime());
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer || obj instanceof SharedArrayBuffer) {
      // Raw bytes cannot be scrubbed pattern by pattern; only their size is kept.
      return `[Binary: ${obj.byteLength} bytes]`;
    }
    if (obj instanceof URL) return scrubUrl(obj.href);
    if (obj instanceof RegExp) return scrubString(String(obj));
    if (obj instanceof String || obj instanceof Number || obj instanceof Boolean) {
      // Boxed strings expose one enumerable key per character, which no pattern could see as a whole.
      return walk(obj.valueOf(), depth, seen);
    }
    if (obj instanceof Map) {
      const out = new Map<unknown, unknown>();
      for (const [k, v] of obj) {
        const sensitive = typeof k === 'string' && v !== null && v !== undefined && typeof v !== 'boolean' && isSensitiveKey(k);
        out.set(readAndWalk(() => k, next, seen), sensitive ? FILTERED : readAndWalk(() => v, next, seen));
      }
      return out;
    }
    if (obj instanceof Set) {
      const out = new Set<unknown>();
      for (const v of obj) out.add(readAndWalk(() => v, next, seen));
      return out;
    }
    if (obj instanceof Error) {
      // Errors become plain objects: message/stack are non-enumerable and would vanish in JSON.
      const out: Record<string, unknown> = {};
      put(out, 'name', readAndWalk(() => obj.name, next, seen));
      put(out, 'message', readAndWalk(() => obj.message, next, seen));
      put(out, 'stack', readAndWalk(() => obj.stack, next, seen));
      if ('cause' in obj) put(out, 'cause', readAndWalk(() => obj.cause, next, seen));
      if (obj instanceof AggregateError) put(out, 'errors', readAndWalk(() => obj.errors, next, seen));
      return copyFields(obj, out, next, seen);
    }
    const toJSON = readToJSON(obj);
    // Class instances that define their own JSON form (Decimal, ObjectId, ...) are sent as that form.
    if (typeof toJSON === 'function') return readAndWalk(() => toJSON.call(obj), next, seen);
    return NOT_SPECIAL;
  }

  /** Off the hot path (built-ins): reading or walking may throw (a getter, a Proxy, a stack overflow). */
  function readAndWalk(read: () => unknown, depth: number, seen: Seen): unknown {
    try {
      return walk(read(), depth, seen);
    } catch {
      return FILTERED;
    }
  }

  return function scrubValue(value: unknown): unknown {
    try {
      return walk(value, 0, new Map());
    } catch {
      return FILTERED;
    }
  };
}

/** A throwing `toJSON` getter only means "no JSON form": the own fields are still copied one by one. */
function readToJSON(obj: object): unknown {
  try {
    return (obj as { toJSON?: unknown }).toJSON;
  } catch {
    return undefined;
  }
}

/** Plain assignment of "__proto__" would change the copy's prototype instead of adding a key. */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
  }
}
