/**
 * The URL and host parts of server span attributes, computed as OpenTelemetry's HttpInstrumentation
 * computes them (WHATWG URL rules), but without building a URL object for the common simple path.
 */
import { METHODS } from 'node:http';

/** Query parameters whose values HttpInstrumentation replaces with REDACTED (signed URLs). */
const REDACTED_QUERY_PARAMS = ['sig', 'Signature', 'AWSAccessKeyId', 'X-Goog-Signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token'];

/** Paths the URL parser leaves exactly as they are: no escapes, dot segments, backslashes or odd characters. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

export interface UrlParts {
  path?: string;
  query?: string;
}

function redactQuery(search: string): string {
  const params = new URLSearchParams(search);
  for (const name of REDACTED_QUERY_PARAMS) if (params.has(name)) params.set(name, 'REDACTED');
  return params.toString();
}

/** `url.path` and `url.query` of a request target (origin-form or absolute-form). */
export function requestUrlParts(target: string, scheme: string, host: string | undefined): UrlParts {
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const hashAt = rawPath.indexOf('#');
  if (hashAt === -1 && PLAIN_PATH.test(rawPath) && !rawPath.includes('/.')) {
    if (queryAt === -1) return { path: rawPath };
    const search = target.slice(queryAt + 1).split('#')[0];
    return { path: rawPath, query: search ? redactQuery(search) : undefined };
  }
  try {
    // An origin-form target is a path whole: resolved against a base, `//cdn/a b.png` read as a host (cdn)
    // and lost its first segment, while `//cdn/a.png` (the plain path above) kept it.
    const url = target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target, `${scheme}://${host || 'localhost'}`);
    return { path: url.pathname, query: url.search ? redactQuery(url.search.slice(1)) : undefined };
  } catch {
    return {};
  }
}

/** `server.address` and `server.port` from a Host (or forwarded host) header, as HttpInstrumentation parses it. */
export function parseHost(header: string, proto: string | undefined): { host: string; port?: string } {
  const defaultPort = proto === 'http' ? '80' : proto === 'https' ? '443' : undefined;
  // One colon at most (every request but IPv6 literals): no array of parts (split costs ~2 000
  // instructions per request, by bench/instructions.js).
  const colon = header.indexOf(':');
  if (colon === -1) return { host: header, port: defaultPort };
  if (header.indexOf(':', colon + 1) === -1) return { host: header.slice(0, colon), port: header.slice(colon + 1) };
  const parts = header.split(':');
  if (parts[0].startsWith('[')) {
    if (parts[parts.length - 1].endsWith(']')) return { host: header, port: defaultPort };
    if (parts[parts.length - 2].endsWith(']')) return { host: parts.slice(0, -1).join(':'), port: parts[parts.length - 1] };
  }
  return { host: header };
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/** `http.request.method`: a known method in upper case, else `_OTHER` (OpenTelemetry's semantic conventions). */
export function normalizedMethod(method: string): string {
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** What Node's HTTP/1 parser accepts (PROPFIND, PURGE, REPORT...): a fixed set of about 34. */
const PARSER_METHODS = new Set(METHODS);

/**
 * The method as span and transaction names show it, as @sentry/node names them: upper case, and any
 * method Node's HTTP/1 parser accepts as it is (`PROPFIND /dav/:id`). An HTTP/2 client may send any
 * `:method`, and named as sent each would be a new name: one outside that set is `HTTP`, as the
 * conventions name a span of a method they do not know.
 */
export function methodForName(method: string): string {
  const upper = method.toUpperCase();
  return PARSER_METHODS.has(upper) ? upper : 'HTTP';
}

