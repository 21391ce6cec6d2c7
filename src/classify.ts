import type { ErrorCategory } from './config/types';

/** The tag every error event carries, so that Sentry alert rules can filter on it (S17, S18). */
export const CATEGORY_TAG = 'error.category';

const PAYMENT_NAME = /payment|billing|charge|card(?:declined|error)|stripe|checkout/i;
const AUTH_NAME = /auth|unauthori[sz]ed|forbidden|permission|access ?denied|jwt|token(?:expired|invalid)|credential|login/i;
const DATABASE_NAME = /database|sql|postgres|knex|sequelize|typeorm|prisma|query(?:failed|error)|connectionerror|pool/i;
const DATABASE_MESSAGE = new RegExp([
  '^Knex: ', 'Timeout acquiring a connection', 'Unable to acquire a connection', 'terminating connection due to',
  // pg and pg-pool: a connection dropped or never made in time, a pool used after end(), a read timeout.
  '^Connection terminated', '^Client has encountered a connection error', '^timeout exceeded when trying to connect$',
  '^Cannot use a pool after calling end on the pool$', '^Query read timeout$', '^Received unexpected \\w+ message from backend',
].join('|'));
/** SQLSTATE codes are five characters: two for the class, three for the condition. */
const SQLSTATE = /^[0-9A-Z]{5}$/;

function safeGet(value: unknown, key: string): unknown {
  try {
    return value !== null && (typeof value === 'object' || typeof value === 'function') ? (value as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined; // a throwing getter says nothing about the category
  }
}

/** The error's own name plus its class chain, e.g. ['CardDeclined', 'PaymentError', 'Error']. */
function namesOf(error: unknown): string[] {
  const names: string[] = [];
  const own = safeGet(error, 'name');
  if (typeof own === 'string') names.push(own);
  try {
    let proto = error !== null && typeof error === 'object' ? Object.getPrototypeOf(error) : null;
    for (let depth = 0; proto && depth < 10; depth++) {
      const ctorName = safeGet(proto.constructor, 'name');
      if (typeof ctorName === 'string' && ctorName && ctorName !== 'Object') names.push(ctorName);
      proto = Object.getPrototypeOf(proto);
    }
  } catch {
    // Proxies and exotic objects: fall back to the own name.
  }
  return names;
}

/** Whether an error is a failure to reach the app's database (a socket error names only an address). */
export type DatabaseOutageTest = (error: unknown) => boolean;

function looksLikeDatabaseError(error: unknown, names: string[], isDatabaseOutage: DatabaseOutageTest | undefined): boolean {
  if (names.some((name) => DATABASE_NAME.test(name))) return true;
  if (isDatabaseOutage?.(error) === true) return true;
  const code = safeGet(error, 'code');
  // pg's DatabaseError carries a SQLSTATE `code` and a `severity`; knex rethrows it unchanged.
  if (typeof code === 'string' && SQLSTATE.test(code) && typeof safeGet(error, 'severity') === 'string') return true;
  const message = safeGet(error, 'message');
  // knex's and pg's own plain Errors: a pool that is full or destroyed, a connection the server dropped.
  return typeof message === 'string' && DATABASE_MESSAGE.test(message);
}

/** The HTTP status an error asks for (`status` or `statusCode`, as http-errors sets them), if any. */
export function statusOf(error: unknown): number | undefined {
  for (const key of ['status', 'statusCode']) {
    const value = safeGet(error, key);
    if (typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599) return value;
  }
  return undefined;
}

/**
 * The built-in categories: `payment`, `database`, `auth`, else `http_5xx` (errorHandler makes it `http_4xx`
 * when the answer was a 4xx: an error's own status may be an upstream's, see `categoryOfAnswer`). Pure and total: any value,
 * including null, strings and objects with throwing getters, gets a category.
 */
export function categorizeError(error: unknown, isDatabaseOutage?: DatabaseOutageTest): ErrorCategory {
  const names = namesOf(error);
  if (names.some((name) => PAYMENT_NAME.test(name))) return 'payment';
  if (looksLikeDatabaseError(error, names, isDatabaseOutage)) return 'database';
  const status = statusOf(error);
  if (status === 401 || status === 403 || names.some((name) => AUTH_NAME.test(name))) return 'auth';
  return 'http_5xx';
}

/** The user's classifier first (guarded: a throwing classifier falls back to the built-in rules). */
export function classifyWith(classifier: ((error: unknown) => string | undefined) | undefined, error: unknown, isDatabaseOutage?: DatabaseOutageTest): ErrorCategory {
  if (classifier) {
    try {
      const custom = classifier(error);
      if (typeof custom === 'string' && custom.length > 0) return custom;
    } catch {
      // fall through to the built-in rules
    }
  }
  return categorizeError(error, isDatabaseOutage);
}

/**
 * The category of an error `errorHandler` answered with `status`: a 4xx answer someone chose to report
 * (`clientErrorFilter({ report: [429] })`) is `http_4xx`, not `http_5xx` (an alert on "all 500 errors",
 * S18, must not fire on it). The answer decides, not the error's own status, which may be an upstream's
 * (an HTTP client's 404 answered as a 502 is a 5xx here).
 */
export function categoryOfAnswer(category: ErrorCategory, status: number): ErrorCategory {
  return category === 'http_5xx' && status >= 400 && status <= 499 ? 'http_4xx' : category;
}
