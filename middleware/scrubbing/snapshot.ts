import type { Request } from 'express';
import type { Scrubber } from '../../src/scrub';
import { FILTERED } from '../../src/scrub';
import { CUT_MARGIN, keptOfCutText, sliceToBytes } from '../../src/scrub/cut';
import { bodyPrefix, type BodyPrefix } from './body-prefix';

/** Headers that help debugging and carry nothing secret; all others are left out of events. */
export const SAFE_HEADERS: ReadonlyArray<string> = [
  'accept', 'accept-encoding', 'accept-language', 'content-length', 'content-type', 'host', 'origin',
  'referer', 'user-agent', 'x-request-id', 'x-correlation-id',
];

/** What an event says about its request. */
export interface RequestSnapshot {
  method: string;
  url: string;
  query_string?: string;
  headers: Record<string, string>;
  data?: unknown;
}

function bodySnapshot(body: unknown, maxBodyBytes: number, scrubber: Scrubber): unknown {
  if (body === undefined || body === null) return undefined;
  // serverless-http gives every request a Buffer, empty when there was no body.
  if (Buffer.isBuffer(body)) return body.length === 0 ? undefined : `[binary body, ${body.length} bytes]`;
  if (typeof body === 'string') {
    if (body.length <= maxBodyBytes && Buffer.byteLength(body) <= maxBodyBytes) return scrubber.scrubString(body);
    // Scrubbed before the final cut: a card number or token across it would otherwise leave part of
    // itself that no rule recognises (15 of 16 digits). Only a text cut before scrubbing loses its margin.
    const cutFirst = body.length > maxBodyBytes + CUT_MARGIN;
    const scrubbed = scrubber.scrubString(cutFirst ? body.slice(0, maxBodyBytes + CUT_MARGIN) : body);
    if (!cutFirst && Buffer.byteLength(scrubbed) <= maxBodyBytes) return scrubbed;
    return `${sliceToBytes(cutFirst ? keptOfCutText(scrubbed, maxBodyBytes) : scrubbed, maxBodyBytes)}…[truncated]`;
  }
  if (typeof body !== 'object') return body;
  let prefix: BodyPrefix;
  try {
    if (isEmpty(body)) return undefined;
    prefix = bodyPrefix(body, maxBodyBytes, scrubber);
  } catch {
    prefix = { value: body, cut: false }; // a hostile getter or Proxy: the scrubber copes field by field
  }
  const scrubbed = scrubber.scrubValue(prefix.value);
  let json: string;
  try {
    json = JSON.stringify(scrubbed) ?? '';
  } catch {
    return FILTERED;
  }
  return prefix.cut || Buffer.byteLength(json) > maxBodyBytes ? `${sliceToBytes(json, maxBodyBytes)}…[truncated]` : scrubbed;
}

function isEmpty(body: object): boolean {
  if (Array.isArray(body)) return body.length === 0;
  for (const key in body) if (Object.hasOwn(body, key)) return false;
  return true;
}

function firstHeader(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value.split(',')[0].trim() : undefined;
}

/**
 * The URL the client asked for, with scheme and host as Sentry's own request data has them (its issue page
 * shows them, and its `url` tag): the forwarded host and scheme first, as @sentry/node reads them.
 */
function absoluteUrl(req: Request): string {
  const path = req.originalUrl ?? req.url ?? '/';
  const host = firstHeader(req, 'x-forwarded-host') ?? firstHeader(req, 'host');
  if (host === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  let protocol = firstHeader(req, 'x-forwarded-proto');
  if (protocol === undefined) {
    try {
      protocol = req.protocol; // Express's getter (trust proxy aware)
    } catch {
      // an app's own getter: fall back to the socket
    }
  }
  protocol ??= (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
  return `${protocol}://${host}${path}`;
}

/**
 * A scrubbed copy of what the request said; read when an event is built, so a body parser may run later.
 * `maxBodyBytes` 0 leaves the body out.
 */
export function snapshotRequest(req: Request, scrubber: Scrubber, allowedHeaders: ReadonlySet<string>, maxBodyBytes: number): RequestSnapshot {
  const url = scrubber.scrubUrl(absoluteUrl(req));
  const queryAt = url.indexOf('?');
  const allowed: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!allowedHeaders.has(name) || value === undefined) continue;
    allowed[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  // The scrubber's header rules: URL-valued headers (Referer, Origin) scrubbed as URLs, not as free text.
  const headers = scrubber.scrubHeaders(allowed) as Record<string, string>;
  return {
    method: req.method,
    url: queryAt === -1 ? url : url.slice(0, queryAt),
    ...(queryAt === -1 ? {} : { query_string: url.slice(queryAt + 1) }),
    headers,
    data: maxBodyBytes > 0 ? bodySnapshot(req.body, maxBodyBytes, scrubber) : undefined,
  };
}
