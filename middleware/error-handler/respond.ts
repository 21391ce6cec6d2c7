import type { Response } from 'express';
import { statusOf } from '../../src/classify';

/** Reads a property without trusting the thrown value (getters may throw, proxies may lie). */
export function readProperty(value: unknown, key: string): unknown {
  try {
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  if (typeof error === 'string') return error.slice(0, 1000);
  const message = readProperty(error, 'message');
  return typeof message === 'string' ? message.slice(0, 1000) : '';
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');
}

/**
 * The JSON body the client gets: nothing internal leaks outside development. A 4xx shows its message
 * unless the error says not to (`expose: false`: `send`'s ENOENT, which names the file's path, or an
 * http-errors error made so), as Express's own handler shows none in production.
 */
export function errorBody(error: unknown, status: number, eventId: string | undefined, development: boolean): Record<string, unknown> {
  const expose = readProperty(error, 'expose');
  if (status < 500) {
    if (expose !== false) return { error: messageOf(error) || statusText(status) };
    return development ? { error: statusText(status), message: messageOf(error) } : { error: statusText(status) };
  }
  const exposed = expose === true;
  const body: Record<string, unknown> = { error: exposed ? messageOf(error) || statusText(status) : statusText(status) };
  if (eventId) body.eventId = eventId;
  if (development) {
    body.message = messageOf(error);
    const stack = readProperty(error, 'stack');
    if (typeof stack === 'string') body.stack = stack.split('\n').slice(0, 20);
  }
  return body;
}

const BODY_HEADERS = /^(?:content-(?:length|type|encoding|range)|transfer-encoding)$/i;

/**
 * The headers an error asks for (http-errors' `headers`: `WWW-Authenticate` on a 401, `Allow` on a 405,
 * `Retry-After` on a 503), as Express's own handler sends them; names and values Node would refuse are skipped.
 */
function applyErrorHeaders(res: Response, error: unknown): void {
  // Only an error that says what it answers (its own 4xx or 5xx): one without a status may carry an
  // upstream's headers (its Set-Cookie, its Content-Encoding), which are not this answer's.
  if (!((statusOf(error) ?? 0) >= 400)) return;
  const headers = readProperty(error, 'headers');
  if (headers === null || typeof headers !== 'object') return;
  try {
    for (const [name, value] of Object.entries(headers)) {
      if ((typeof value !== 'string' && typeof value !== 'number' && !Array.isArray(value)) || BODY_HEADERS.test(name)) continue;
      try {
        res.setHeader(name, Array.isArray(value) ? value.map(String) : String(value));
      } catch {
        // an invalid name or value: the answer goes out without it
      }
    }
  } catch {
    // a hostile headers object: the answer goes out without them
  }
}

export function sendError(res: Response, status: number, body: Record<string, unknown>, error?: unknown): void {
  applyErrorHeaders(res, error);
  res.status(status);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
