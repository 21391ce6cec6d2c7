/** Types of the fake Sentry server's public API (see fake-sentry.ts) plus small pure helpers. */
import type { Envelope, EnvelopeItem } from './envelope';
import type { NormalizedSpan } from './otlp-decode';

export type { EnvelopeItem };

export type FakeSentryMode =
  | 'ok'
  | 'blackhole' // read the body, never answer
  | 'refuse' // stop listening: connections are refused (switching away re-listens on the same port)
  | { delayMs: number } // record on arrival, answer normally after delayMs
  | { status: number; retryAfter?: number; rateLimits?: string; only?: Route }; // answer with this status (on one route only, if given), drop the data

export type Route = 'envelope' | 'sentry-otlp-traces' | 'collector-traces' | 'collector-other' | 'unknown';

export interface ReceivedRequest {
  seq: number;
  method: string;
  /** Path + query as sent. */
  url: string;
  path: string;
  route: Route;
  /** Mode at arrival: 'ok' | 'blackhole' | 'delay' | 'status:<code>'. */
  mode: string;
  /** Lowercased names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  contentEncoding?: string;
  compressedBytes: number;
  /** Decompressed body (raw bytes if decompression failed). Empty once evicted. */
  body: Buffer;
  evicted: boolean;
  /** Response status; undefined while pending or blackholed. */
  status?: number;
  error?: string;
  /** One-line description of what was parsed (items / span names). */
  note?: string;
  receivedAt: number;
}

export interface RecordedEnvelope extends Envelope {
  requestSeq: number;
  /** Auth as sent: sentry_key / sentry_version / sentry_client (query or X-Sentry-Auth). */
  auth: Record<string, string>;
}

export interface RecordedSpan extends NormalizedSpan {
  source: 'sentry' | 'collector';
  encoding: 'json' | 'protobuf';
  /** Value of the X-Sentry-Auth request header, if any. */
  sentryAuth?: string;
  requestSeq: number;
}

export interface FakeSentryStats {
  requests: number;
  byMode: Record<string, number>;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  errors: number;
  rawBytes: number;
  evictedBodies: number;
  openConnections: number;
}

export interface FakeSentryOptions {
  publicKey?: string;
  projectId?: string;
  /** Reject envelopes / Sentry-OTLP requests whose sentry_key is not ours with 401 (default true). */
  strictAuth?: boolean;
  /** Total decompressed bytes kept for rawBodies()/findSecrets() (default 200 MiB); oldest evicted first. */
  maxRawBytes?: number;
  /** Per-request limit, as received and after decompression (default 64 MiB); larger requests get 413/400. */
  maxBodyBytes?: number;
}

export interface WaitOptions { timeout?: number; description?: string }

export const modeName = (m: FakeSentryMode): string => (typeof m === 'string' ? m : 'delayMs' in m ? 'delay' : `status:${m.status}`);

export function routeOf(path: string): Route {
  if (/^\/api\/[^/]+\/envelope\/?$/.test(path)) return 'envelope';
  if (/^\/api\/[^/]+\/integration\/otlp\/v1\/traces\/?$/.test(path)) return 'sentry-otlp-traces';
  if (/^\/collector\/v1\/traces\/?$/.test(path)) return 'collector-traces';
  if (/^\/collector\/v1\/(logs|metrics)\/?$/.test(path)) return 'collector-other';
  return 'unknown';
}

export function describeItem(i: EnvelopeItem): string {
  const ex = i.header.type === 'event' ? i.json?.exception?.values?.[0] : undefined;
  if (ex) return `event(${ex.type}: ${String(ex.value).slice(0, 60)})`;
  if (i.header.type === 'event' && i.json?.message) return `event(message: ${String(i.json.message).slice(0, 60)})`;
  return i.header.type;
}
