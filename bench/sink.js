'use strict';
/**
 * The bench's stand-in for Sentry and for an OpenTelemetry Collector: a local HTTP server that COUNTS
 * what each setup sends, so that no setup is silently off (or silently dropping). One key per setup:
 *
 *   POST /api/<project>/envelope/                       Sentry envelopes  (DSN http://key@host:port/<project>)
 *   POST /api/<project>/integration/otlp/v1/traces/     Sentry's OTLP endpoint (what our exporter uses)
 *   POST /collector/<key>/v1/traces                     an OTLP collector (the OTel setups)
 *
 * OTLP bodies are counted in JSON and protobuf (a tiny wire walker; only span kinds are read). Envelope
 * items are counted by type; span items and transactions also count their spans. `client_report`
 * items (what an SDK says it dropped) are summed, so drops show up even when nothing arrives.
 */
const http = require('node:http');
const zlib = require('node:zlib');

const SPAN_KIND_SERVER = 2;

function freshCounts() {
  return {
    requests: 0, bytes: 0, badBodies: 0,
    events: 0, spans: 0, serverSpans: 0, transactions: 0,
    itemTypes: {}, sdkDropped: 0,
  };
}

// ---------------------------------------------------------------- OTLP protobuf: count spans and kinds
function varint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

/**
 * Calls visit(fieldNumber, wireType, a, b) for each field of a message: a varint gives its value in `a`,
 * a length-delimited field its bounds in `a`..`b`; fixed-size fields are skipped.
 */
function walk(buf, start, end, visit) {
  let pos = start;
  while (pos < end) {
    let tag;
    [tag, pos] = varint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      let value;
      [value, pos] = varint(buf, pos);
      visit(field, wire, value, pos);
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      let len;
      [len, pos] = varint(buf, pos);
      visit(field, wire, pos, pos + len);
      pos += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  if (pos !== end) throw new Error('field overruns message');
}

/** Calls visit(fieldNumber, start, end) for each length-delimited field. */
function fields(buf, start, end, visit) {
  walk(buf, start, end, (field, wire, a, b) => {
    if (wire === 2) visit(field, a, b);
  });
}

/** Span.kind (field 6), 0 when absent. */
function spanKind(buf, start, end) {
  let kind = 0;
  walk(buf, start, end, (field, wire, value) => {
    if (wire === 0 && field === 6) kind = value;
  });
  return kind;
}

function countOtlpProtobuf(buf, counts) {
  // ExportTraceServiceRequest.resource_spans(1) → ResourceSpans.scope_spans(2) → ScopeSpans.spans(2)
  fields(buf, 0, buf.length, (f1, s1, e1) => {
    if (f1 !== 1) return;
    fields(buf, s1, e1, (f2, s2, e2) => {
      if (f2 !== 2) return;
      fields(buf, s2, e2, (f3, s3, e3) => {
        if (f3 !== 2) return;
        counts.spans++;
        if (spanKind(buf, s3, e3) === SPAN_KIND_SERVER) counts.serverSpans++;
      });
    });
  });
}

function countOtlpJson(buf, counts) {
  const request = JSON.parse(buf.toString('utf8'));
  for (const resourceSpans of request.resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        counts.spans++;
        if (span.kind === SPAN_KIND_SERVER || span.kind === 'SPAN_KIND_SERVER') counts.serverSpans++;
      }
    }
  }
}

// ---------------------------------------------------------------- Sentry envelopes
function countEnvelope(buf, counts) {
  let pos = buf.indexOf(0x0a) + 1; // skip the envelope header
  if (pos === 0) return;
  while (pos < buf.length) {
    let nl = buf.indexOf(0x0a, pos);
    if (nl === -1) nl = buf.length;
    if (nl === pos) { pos++; continue; }
    const header = JSON.parse(buf.toString('utf8', pos, nl));
    pos = nl + 1;
    let end;
    if (Number.isInteger(header.length)) end = pos + header.length;
    else {
      end = buf.indexOf(0x0a, pos);
      if (end === -1) end = buf.length;
    }
    const payload = buf.subarray(pos, end);
    pos = end + 1;
    counts.itemTypes[header.type] = (counts.itemTypes[header.type] ?? 0) + 1;
    countItem(header, payload, counts);
  }
}

function countItem(header, payload, counts) {
  switch (header.type) {
    case 'event':
      counts.events++;
      break;
    case 'transaction': {
      const transaction = JSON.parse(payload.toString('utf8'));
      counts.transactions++;
      counts.spans += 1 + (transaction.spans?.length ?? 0);
      if (transaction.contexts?.trace?.op === 'http.server') counts.serverSpans++;
      break;
    }
    case 'span': {
      // Span streaming: one item holds { items: [span, ...] } (v2) or a single span (v1).
      const body = JSON.parse(payload.toString('utf8'));
      const spans = Array.isArray(body.items) ? body.items : [body];
      for (const span of spans) {
        counts.spans++;
        const op = span.attributes?.['sentry.op']?.value ?? span.op;
        if (op === 'http.server' && (span.is_segment ?? span.is_remote ?? true)) counts.serverSpans++;
      }
      break;
    }
    case 'client_report': {
      const report = JSON.parse(payload.toString('utf8'));
      for (const entry of report.discarded_events ?? []) counts.sdkDropped += entry.quantity ?? 0;
      break;
    }
    default:
      break;
  }
}

// ---------------------------------------------------------------- server
function decompress(buf, encoding) {
  if (encoding === 'gzip') return zlib.gunzipSync(buf);
  if (encoding === 'deflate') return zlib.inflateSync(buf);
  if (encoding === 'br') return zlib.brotliDecompressSync(buf);
  return buf;
}

/** Which setup and which protocol a request belongs to, from its path. */
function classify(pathname, projects) {
  let match = /^\/api\/([^/]+)\/envelope\/?$/.exec(pathname);
  if (match) return { key: projects.get(match[1]), kind: 'envelope' };
  match = /^\/api\/([^/]+)\/integration\/otlp\/v1\/traces\/?$/.exec(pathname);
  if (match) return { key: projects.get(match[1]), kind: 'otlp' };
  match = /^\/collector\/([^/]+)\/v1\/traces\/?$/.exec(pathname);
  if (match) return { key: match[1], kind: 'otlp' };
  return { key: undefined, kind: 'unknown' };
}

/** `dump`: also print the start of every body to stderr (to see what a setup really sends). */
function createSink({ dump = false } = {}) {
  const projects = new Map(); // project id → setup key
  const counts = new Map(); // setup key → counts
  let unknown = 0;
  let lastBadBody = '';
  const countsOf = (key) => {
    if (!counts.has(key)) counts.set(key, freshCounts());
    return counts.get(key);
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => {
      const { key, kind } = classify(new URL(req.url, 'http://sink').pathname, projects);
      if (key === undefined) {
        unknown++;
        res.writeHead(404).end();
        return;
      }
      const c = countsOf(key);
      c.requests++;
      try {
        const body = decompress(Buffer.concat(chunks), req.headers['content-encoding']);
        c.bytes += body.length;
        if (dump) process.stderr.write(`[sink] ${key} ${kind} ${req.headers['content-type']}\n${body.toString('utf8').slice(0, 3000)}\n`);
        if (kind === 'envelope') countEnvelope(body, c);
        else if (/protobuf/.test(req.headers['content-type'] ?? '')) countOtlpProtobuf(body, c);
        else countOtlpJson(body, c);
      } catch (error) {
        c.badBodies++;
        lastBadBody = `${key} ${kind}: ${error.message}`;
      }
      if (kind === 'envelope') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"partialSuccess":{}}');
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    async listen() {
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      return this;
    },
    get port() { return server.address().port; },
    /** A Sentry DSN whose envelopes and OTLP spans are counted under `key`. */
    dsnFor(key, projectId) {
      projects.set(String(projectId), key);
      return `http://0123456789abcdef0123456789abcdef@127.0.0.1:${this.port}/${projectId}`;
    },
    /** An OTLP/HTTP traces URL counted under `key`. */
    otlpUrlFor(key) { return `http://127.0.0.1:${this.port}/collector/${key}/v1/traces`; },
    /** A copy of what `key` sent so far; `take` also resets it. */
    snapshot(key, take = false) {
      const copy = JSON.parse(JSON.stringify(countsOf(key)));
      if (take) counts.set(key, freshCounts());
      return copy;
    },
    unknownRequests: () => unknown,
    lastBadBody: () => lastBadBody,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections?.(); }),
  };
}

module.exports = { createSink, countOtlpProtobuf, countOtlpJson, countEnvelope, freshCounts };
