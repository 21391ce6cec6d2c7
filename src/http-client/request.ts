/* The request side of HttpClient: what one request is, and its head as written on the socket. */

/** One request; the body is sent with a Content-Length. */
export interface HttpRequest {
  /** @default 'POST' */
  method?: string;
  /** Path and query, e.g. `/api/1/envelope/?sentry_key=x`. */
  path: string;
  headers: Record<string, string>;
  body: Uint8Array | string;
  /** Abandons the request after this long without a byte from the server. */
  timeoutMs: number;
}

/** A network failure, with a Node-style code (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...). */
export type HttpClientError = Error & { code?: string };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Node's own rules (`http` throws ERR_INVALID_CHAR): the head is written as latin1, which keeps only the
// low byte of each character, so U+010D and U+010A would be written as CR and LF.
const FORBIDDEN_IN_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const FORBIDDEN_IN_PATH = /[^\x21-\xff]/;

/** A header name and value that can be written on the wire as they are (what Node's `http` accepts). */
export function isWritableHeader(name: string, value: string): boolean {
  return TOKEN.test(name) && !FORBIDDEN_IN_VALUE.test(value);
}

export function clientError(message: string, code: string): HttpClientError {
  return Object.assign(new Error(message), { code });
}

/** The request line and headers; throws a TypeError on anything that could split the request. */
export function requestHead(request: HttpRequest, host: string, bodyLength: number, keepAlive = true): string {
  const method = request.method ?? 'POST';
  if (!TOKEN.test(method)) throw new TypeError(`invalid HTTP method ${JSON.stringify(method)}`);
  // A HEAD response announces a body it does not send: the parser would wait for it.
  if (method.toUpperCase() === 'HEAD') throw new TypeError('HEAD requests are not supported');
  if (!request.path.startsWith('/') || FORBIDDEN_IN_PATH.test(request.path)) {
    throw new TypeError('the request path must start with / and hold no whitespace, control or non-latin1 characters');
  }
  let head = `${method} ${request.path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const name of Object.keys(request.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
    const value = String(request.headers[name]);
    if (!isWritableHeader(name, value)) throw new TypeError(`invalid HTTP header ${JSON.stringify(name)}`);
    head += `${name}: ${value}\r\n`;
  }
  return `${head}${keepAlive ? '' : 'Connection: close\r\n'}Content-Length: ${bodyLength}\r\n\r\n`;
}
