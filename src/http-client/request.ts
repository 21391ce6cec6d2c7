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
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;

export function clientError(message: string, code: string): HttpClientError {
  return Object.assign(new Error(message), { code });
}

/** The request line and headers; throws a TypeError on anything that could split the request. */
export function requestHead(request: HttpRequest, host: string, bodyLength: number, keepAlive = true): string {
  const method = request.method ?? 'POST';
  if (!TOKEN.test(method)) throw new TypeError(`invalid HTTP method ${JSON.stringify(method)}`);
  // A HEAD response announces a body it does not send: the parser would wait for it.
  if (method.toUpperCase() === 'HEAD') throw new TypeError('HEAD requests are not supported');
  if (!request.path.startsWith('/') || /[\s\0]/.test(request.path)) throw new TypeError('the request path must start with / and hold no whitespace');
  let head = `${method} ${request.path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const name of Object.keys(request.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
    const value = String(request.headers[name]);
    if (!TOKEN.test(name) || FORBIDDEN_IN_VALUE.test(value)) throw new TypeError(`invalid HTTP header ${JSON.stringify(name)}`);
    head += `${name}: ${value}\r\n`;
  }
  return `${head}${keepAlive ? '' : 'Connection: close\r\n'}Content-Length: ${bodyLength}\r\n\r\n`;
}
