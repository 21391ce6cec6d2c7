import { findCards } from './cards';
import { CIRCULAR, FILTERED, TRUNCATED } from './types';

export interface WalkContext {
  isSensitiveKey(key: string): boolean;
  scrubString(text: string): string;
  scrubUrl(url: string): string;
  maxDepth: number;
}

/** A whole-string URL (no spaces) gets URL rules, which also catch percent-encoded secrets. */
const URL_LIKE_RE = /^(?:[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/|\/)\S*$/;

/**
 * Builds the deep-copy function. Every field is processed inside its own try/catch so one hostile
 * getter or Proxy trap costs only that field ('[Filtered]'), never the event.
 */
export function compileWalker(ctx: WalkContext): (value: unknown) => unknown {
  const { isSensitiveKey, scrubString, scrubUrl, maxDepth } = ctx;

  function text(s: string): string {
    return URL_LIKE_RE.test(s) ? scrubUrl(s) : scrubString(s);
  }

  /** Numbers and BigInts can be card numbers too (4111111111111111 fits in a double exactly). */
  function numeric<T extends number | bigint>(v: T): T | string {
    if (typeof v === 'number' && (!Number.isInteger(v) || Math.abs(v) < 1e12)) return v;
    const digits = String(v).replace(/^-/, '');
    return findCards(digits).length > 0 ? FILTERED : v;
  }

  function walk(value: unknown, depth: number, seen: Map<object, unknown>, active: Set<object>): unknown {
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
    if (active.has(obj)) return CIRCULAR;
    // Shared (non-circular) references are copied once: keeps DAG-shaped input from blowing up.
    if (seen.has(obj)) return seen.get(obj);
    if (depth >= maxDepth) return TRUNCATED;
    active.add(obj);
    try {
      const out = copyObject(obj, depth, seen, active);
      seen.set(obj, out);
      return out;
    } finally {
      active.delete(obj);
    }
  }

  function field(get: () => unknown, depth: number, seen: Map<object, unknown>, active: Set<object>): unknown {
    try {
      return walk(get(), depth, seen, active);
    } catch {
      return FILTERED;
    }
  }

  function copyObject(obj: object, depth: number, seen: Map<object, unknown>, active: Set<object>): unknown {
    const next = depth + 1;
    if (Array.isArray(obj)) {
      const len = obj.length;
      const out: unknown[] = new Array(len);
      for (let i = 0; i < len; i++) out[i] = field(() => obj[i], next, seen, active);
      return out;
    }
    if (obj instanceof Date) return new Date(obj.getTime());
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer || obj instanceof SharedArrayBuffer) {
      // Raw bytes cannot be scrubbed pattern by pattern; only their size is kept.
      return `[Binary: ${obj.byteLength} bytes]`;
    }
    if (obj instanceof URL) return scrubUrl(obj.href);
    if (obj instanceof RegExp) return scrubString(String(obj));
    if (obj instanceof String || obj instanceof Number || obj instanceof Boolean) {
      // Boxed strings expose one enumerable key per character, which no pattern could see as a whole.
      return walk(obj.valueOf(), depth, seen, active);
    }
    if (obj instanceof Map) {
      const out = new Map<unknown, unknown>();
      for (const [k, v] of obj) {
        const sensitive = typeof k === 'string' && v !== null && v !== undefined && isSensitiveKey(k);
        out.set(field(() => k, next, seen, active), sensitive ? FILTERED : field(() => v, next, seen, active));
      }
      return out;
    }
    if (obj instanceof Set) {
      const out = new Set<unknown>();
      for (const v of obj) out.add(field(() => v, next, seen, active));
      return out;
    }
    const out: Record<string, unknown> = {};
    if (obj instanceof Error) {
      // Errors become plain objects: message/stack are non-enumerable and would vanish in JSON.
      const err = obj;
      put(out, 'name', field(() => err.name, next, seen, active));
      put(out, 'message', field(() => err.message, next, seen, active));
      put(out, 'stack', field(() => err.stack, next, seen, active));
      if ('cause' in err) put(out, 'cause', field(() => err.cause, next, seen, active));
      if (obj instanceof AggregateError) put(out, 'errors', field(() => obj.errors, next, seen, active));
    } else {
      const proto: unknown = Object.getPrototypeOf(obj);
      const toJSON = proto !== Object.prototype && proto !== null ? readToJSON(obj) : undefined;
      if (typeof toJSON === 'function') {
        // Class instances that define their own JSON form (Decimal, ObjectId, ...) are sent as that form.
        return field(() => toJSON.call(obj), depth + 1, seen, active);
      }
    }
    // Own enumerable string keys only: symbol keys are ignored, prototypes are not copied (a copied
    // prototype's getters or toJSON could recompute the secrets from closures).
    for (const key of Object.keys(obj)) {
      let sensitive: boolean;
      try {
        sensitive = isSensitiveKey(key);
      } catch {
        sensitive = true;
      }
      const outKey = scrubString(key);
      put(out, outKey, field(() => {
        const v = (obj as Record<string, unknown>)[key];
        return sensitive && v !== null && v !== undefined ? FILTERED : v;
      }, next, seen, active));
    }
    return out;
  }

  return function scrubValue(value: unknown): unknown {
    try {
      return walk(value, 0, new Map(), new Set());
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
