'use strict';
/**
 * A reference, not a product: the least that any tracer exporting one span per request can cost.
 * Bare Express plus, per request, one AsyncLocalStorage.run (the request's context), random trace and
 * span ids, start and end times, one `finish` listener and a server span with four attributes; spans
 * leave as OTLP/JSON in batches of 128 over one keep-alive connection (BENCH_OTLP_URL), and are flushed
 * on SIGTERM. No sampling decision, propagation, route span, scrubbing, error capture or middleware.
 * Ours at rate 1.0 does all of that too; the gap between this and bare Express is what no tracer that
 * keeps every span can avoid, so it bounds what a ratio target can ask for.
 * BENCH_SERVER_HOOK=diagnostics_channel starts and ends the span from Node's HTTP server channels instead.
 */
const http = require('node:http');
const diagnostics = require('node:diagnostics_channel');
const { randomFillSync } = require('node:crypto');
const { AsyncLocalStorage } = require('node:async_hooks');

const BATCH = 128;
const MAX_QUEUED = 8192;
const url = new URL(process.env.BENCH_OTLP_URL);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const storage = new AsyncLocalStorage();
const origin = BigInt(Math.round(performance.timeOrigin * 1e6));

const randomPool = Buffer.alloc(24 * 1024);
let randomOffset = randomPool.length;
function randomHex(bytes) {
  if (randomOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  randomOffset += bytes;
  return randomPool.toString('hex', randomOffset - bytes, randomOffset);
}

const nowNanos = () => String(origin + BigInt(Math.round(performance.now() * 1e6)));

let queued = [];
let inFlight = false;
let onDrained; // set on SIGTERM: called once everything queued has been answered

function spanJson(span) {
  return `{"traceId":"${span.traceId}","spanId":"${span.spanId}","name":${JSON.stringify(span.method)},"kind":2,` +
    `"startTimeUnixNano":"${span.start}","endTimeUnixNano":"${span.end}","attributes":[` +
    `{"key":"http.request.method","value":{"stringValue":${JSON.stringify(span.method)}}},` +
    `{"key":"url.path","value":{"stringValue":${JSON.stringify(span.path)}}},` +
    `{"key":"url.scheme","value":{"stringValue":"http"}},` +
    `{"key":"http.response.status_code","value":{"intValue":${span.status}}}],"status":{"code":${span.status >= 500 ? 2 : 0}}}`;
}

function send() {
  if (inFlight) return;
  if (queued.length === 0) return onDrained?.();
  const batch = queued.splice(0, BATCH);
  const body = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bench-app"}}]},` +
    `"scopeSpans":[{"scope":{"name":"floor"},"spans":[${batch.map(spanJson).join(',')}]}]}]}`;
  inFlight = true;
  const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (response) => {
    response.resume();
    response.on('end', () => {
      inFlight = false;
      if (queued.length >= BATCH || onDrained) send();
    });
  });
  request.on('error', () => {
    inFlight = false;
    onDrained?.();
  });
  request.end(body);
}

function record(span) {
  if (queued.length >= MAX_QUEUED) return;
  queued.push(span);
  if (queued.length >= BATCH) send();
}

function startSpan(req) {
  return { traceId: randomHex(16), spanId: randomHex(8), method: req.method, path: req.url.split('?')[0], start: nowNanos(), end: '', status: 0 };
}

function endSpan(span, res) {
  span.end = nowNanos();
  span.status = res.statusCode;
  record(span);
}

if (process.env.BENCH_SERVER_HOOK === 'diagnostics_channel') {
  // What a tracer without monkey-patching can do on Node 20: both ends from the server's channels, the
  // span kept on the response (set before Express swaps its prototype), the context entered with
  // `enterWith`, since a subscriber cannot wrap the app's handler in `run`.
  const SPAN = Symbol('floor.span');
  diagnostics.subscribe('http.server.request.start', ({ request, response }) => {
    const span = startSpan(request);
    response[SPAN] = span;
    storage.enterWith(span);
  });
  diagnostics.subscribe('http.server.response.finish', ({ response }) => {
    const span = response[SPAN];
    if (span) endSpan(span, response);
  });
} else {
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, ...args) {
    if (event !== 'request') return emit.call(this, event, ...args);
    const [req, res] = args;
    const span = startSpan(req);
    res.once('finish', () => endSpan(span, res));
    return storage.run(span, () => emit.call(this, event, ...args));
  };
}

process.once('SIGTERM', () => {
  const timer = setTimeout(() => process.exit(0), 5000);
  onDrained = () => {
    clearTimeout(timer);
    process.exit(0);
  };
  send();
});
