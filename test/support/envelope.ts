/**
 * Sentry wire-format helpers for the fake Sentry server: envelope parsing (per
 * https://develop.sentry.dev/sdk/data-model/envelopes/), request decompression and
 * auth extraction (query string `sentry_key` or `X-Sentry-Auth` header).
 */
import * as zlib from 'node:zlib';

export interface EnvelopeItem {
  /** Item header, e.g. `{ type: 'event' }` or `{ type: 'attachment', length: 12, filename: 'a.txt' }`. */
  header: { type: string; length?: number; [key: string]: unknown };
  /** Raw payload bytes. */
  payload: Buffer;
  /** Parsed payload for JSON item types (event, transaction, session, client_report, span, log, ...). */
  json?: any;
}

export interface Envelope {
  header: Record<string, any>;
  items: EnvelopeItem[];
}

/** Item types whose payload must be JSON: a parse failure rejects the envelope. */
const JSON_ITEM_TYPES = new Set([
  'event', 'transaction', 'session', 'sessions', 'client_report', 'check_in', 'span', 'log', 'trace_metric',
  'user_report', 'feedback', 'profile', 'profile_chunk', 'replay_event', 'otel_log', 'raw_security',
]);
/** Item types whose payload is binary. Other (unknown) types get `json` only if they parse. */
const BINARY_ITEM_TYPES = new Set(['attachment', 'replay_recording', 'replay_video']);

function parseJsonLine(buf: Buffer, what: string): any {
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`envelope: ${what} is not valid JSON (${(err as Error).message}): ${text.slice(0, 200)}`);
  }
}

/**
 * Parses a (decompressed) envelope:
 *   Envelope = Headers { "\n" Item } [ "\n" ];  Item = Headers "\n" Payload
 * A payload with `length` in its header is exactly that many bytes (may contain newlines) and is
 * followed by "\n" or EOF; without `length` it runs to the next "\n" or EOF.
 */
export function parseEnvelope(body: Buffer): Envelope {
  let pos = 0;
  const readLine = (): Buffer => {
    const nl = body.indexOf(0x0a, pos);
    const end = nl === -1 ? body.length : nl;
    const line = body.subarray(pos, end);
    pos = nl === -1 ? body.length : nl + 1;
    return line;
  };
  const header = parseJsonLine(readLine(), 'envelope header');
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Error('envelope: header is not an object');
  const items: EnvelopeItem[] = [];
  while (pos < body.length) {
    const line = readLine();
    if (line.length === 0 && pos >= body.length) break; // single trailing newline
    const itemHeader = parseJsonLine(line, `item #${items.length} header`);
    if (!itemHeader || typeof itemHeader.type !== 'string') throw new Error(`envelope: item #${items.length} header has no string "type"`);
    let payload: Buffer;
    if (itemHeader.length !== undefined) {
      const len = itemHeader.length;
      if (!Number.isInteger(len) || len < 0) throw new Error(`envelope: item #${items.length} has invalid length ${JSON.stringify(len)}`);
      if (pos + len > body.length) throw new Error(`envelope: item #${items.length} (${itemHeader.type}) length ${len} exceeds remaining ${body.length - pos} bytes`);
      payload = body.subarray(pos, pos + len);
      pos += len;
      if (pos < body.length) {
        if (body[pos] !== 0x0a) throw new Error(`envelope: item #${items.length} (${itemHeader.type}) payload not followed by newline`);
        pos++;
      }
    } else {
      payload = readLine();
    }
    const item: EnvelopeItem = { header: itemHeader, payload: Buffer.from(payload) };
    if (JSON_ITEM_TYPES.has(itemHeader.type)) {
      item.json = parseJsonLine(payload, `item #${items.length} (${itemHeader.type}) payload`);
    } else if (!BINARY_ITEM_TYPES.has(itemHeader.type) && payload.length > 0) {
      try { item.json = JSON.parse(payload.toString('utf8')); } catch { /* not JSON: keep raw payload only */ }
    }
    items.push(item);
  }
  return { header, items };
}

/** Decompresses per Content-Encoding (gzip, x-gzip, deflate, br, identity; may be a comma list). */
export function decompressBody(body: Buffer, contentEncoding: string | undefined, maxOutputLength: number): Buffer {
  if (!contentEncoding) return body;
  const codings = contentEncoding.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c && c !== 'identity');
  let out = body;
  // Codings are listed in the order they were applied, so undo them in reverse.
  for (const coding of codings.reverse()) {
    const opts = { maxOutputLength };
    if (coding === 'gzip' || coding === 'x-gzip') out = zlib.gunzipSync(out, opts);
    else if (coding === 'deflate') {
      // RFC 9110 "deflate" is zlib-wrapped; some clients send raw deflate. Accept both.
      try { out = zlib.inflateSync(out, opts); } catch { out = zlib.inflateRawSync(out, opts); }
    } else if (coding === 'br') out = zlib.brotliDecompressSync(out, opts);
    else throw new Error(`unsupported content-encoding ${JSON.stringify(coding)}`);
  }
  return out;
}

/** Parses `Sentry sentry_key=abc, sentry_version=7, sentry_client=x/1` into a map. */
export function parseSentryAuthHeader(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value) return out;
  for (const part of value.replace(/^\s*Sentry\s+/i, '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** Public key from the DSN in an envelope header (`dsn` field), if any. */
export function keyFromDsn(dsn: unknown): string | undefined {
  if (typeof dsn !== 'string') return undefined;
  try {
    return new URL(dsn).username || undefined;
  } catch {
    return undefined;
  }
}
