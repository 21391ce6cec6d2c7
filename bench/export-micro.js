#!/usr/bin/env node
'use strict';
/**
 * node bench/export-micro.js [--batch N] [<dist dir> ...]
 * The export path alone, in one process: scrubbing and OTLP/JSON writing of realistic spans (a server
 * span and its Express route span, as `/hello` makes them), 128 per batch (or N: under load a backlog
 * makes batches of up to 512), best of 30 interleaved
 * rounds per build (a second build, e.g. a copy of an older dist/ inside this repository, is compared
 * in the same process). Prints ns per span.
 */
const path = require('node:path');
const { TracerProvider } = require('@opentelemetry/sdk-trace');
const { SpanKind, context, trace } = require('@opentelemetry/api');

const ROOT = path.resolve(__dirname, '..');
const batchFlag = process.argv.indexOf('--batch');
const BATCH = batchFlag === -1 ? 128 : Number(process.argv.splice(batchFlag, 2)[1]);
const ROUNDS = 30;

function makeSpans(count) {
  const spans = [];
  const provider = new TracerProvider({ spanProcessors: [{ onStart() {}, onEnd: (span) => spans.push(span), forceFlush: async () => {}, shutdown: async () => {} }] });
  const server = provider.getTracer('express-otel-sentry/http-server', '0.1.0');
  const express = provider.getTracer('express-otel-sentry/express', '0.1.0');
  for (let i = 0; i < count; i++) {
    const span = server.startSpan('GET', { kind: SpanKind.SERVER });
    span.setAttributes({
      'http.request.method': 'GET', 'url.scheme': 'http', 'network.protocol.version': '1.1', 'server.address': '127.0.0.1',
      'server.port': 3000, 'user_agent.original': 'autocannon/8.0.0', 'url.path': '/hello',
    });
    const route = express.startSpan('request handler', { attributes: { 'http.route': '/hello', 'express.name': '/hello', 'express.type': 'request_handler' } }, trace.setSpan(context.active(), span));
    route.end();
    span.setAttributes({ 'http.response.status_code': 200, 'http.route': '/hello' });
    span.updateName('GET /hello');
    span.end();
  }
  return spans;
}

function load(dist) {
  const { defaultScrubber } = require(path.join(dist, 'src', 'scrub'));
  const spanScrubbing = require(path.join(dist, 'src', 'tracing', 'scrub-span'));
  const json = require(path.join(dist, 'src', 'tracing', 'otlp-json'));
  const scrubber = defaultScrubber();
  // Compiled once per processor where the build has it, else the older per-call function.
  const scrubSpan = spanScrubbing.compileSpanScrubber ? spanScrubbing.compileSpanScrubber(scrubber) : (span) => spanScrubbing.scrubSpan(scrubber, span);
  // The exporter's writer (caching) where the build has one, else the plain function.
  const writer = json.createTracesJsonWriter ? json.createTracesJsonWriter() : json.tracesRequestJson;
  // The request body: current builds write a Buffer, older ones a string that the exporter encoded.
  const write = (batch) => {
    const body = writer(batch);
    return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  };
  return {
    scrub: (batches) => batches.forEach((batch) => batch.map(scrubSpan)),
    write: (batches) => batches.forEach((batch) => write(batch)),
    both: (batches) => batches.forEach((batch) => write(batch.map(scrubSpan))),
  };
}

const spans = makeSpans(BATCH * 20);
const batches = [];
for (let i = 0; i < spans.length; i += BATCH) batches.push(spans.slice(i, i + BATCH));
const dists = process.argv.slice(2).length ? process.argv.slice(2) : [path.join(ROOT, 'dist')];
const builds = dists.map((dist) => [path.relative(ROOT, path.resolve(dist)) || dist, load(path.resolve(dist))]);
const best = new Map();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, build] of builds) {
    for (const step of ['scrub', 'write', 'both']) {
      const started = process.hrtime.bigint();
      build[step](batches);
      const ns = Number(process.hrtime.bigint() - started) / spans.length;
      const key = `${name}: ${step}`;
      best.set(key, Math.min(best.get(key) ?? Infinity, ns));
    }
  }
}
for (const [key, ns] of best) console.log(`${key.padEnd(50)} ${ns.toFixed(0).padStart(6)} ns/span`);
