import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { defaultStackParser, getOtlpTracesEndpoint, makeNodeTransport, NodeClient, Scope } from '@sentry/node';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { BatchSpanProcessor, TracerProvider, type IdGenerator, type SpanExporter } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { startFakeSentry, type FakeSentry, type RecordedSpan } from './support/fake-sentry';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const CHILD_ID = '00f067aa0ba902b7';
const LINKED_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const LINKED_SPAN = '53995c3f42cd8ad8';
const T0 = 1_700_000_000;

function makeSentryClient(dsn: string): { client: NodeClient; scope: Scope } {
  // A real NodeClient with the real node transport; no Sentry.init(), so no global state is touched.
  const client = new NodeClient({
    dsn,
    transport: makeNodeTransport,
    stackParser: defaultStackParser,
    integrations: [],
    enableRuntimeChannelInjection: false,
    sendClientReports: false,
  });
  const scope = new Scope();
  scope.setClient(client);
  return { client, scope };
}

function throwingFunctionForFakeSentry(): Error {
  try {
    throw new TypeError('boom from fake-sentry test');
  } catch (err) {
    return err as Error;
  }
}

const fixedIds = (): IdGenerator => {
  const spans = [PARENT_ID, CHILD_ID];
  return { generateTraceId: () => TRACE_ID, generateSpanId: () => spans.shift() ?? 'ffffffffffffffff' };
};

/** Exports a SERVER parent + CLIENT child through a real TracerProvider/BatchSpanProcessor/exporter. */
async function exportSpanPair(exporter: SpanExporter, extra: Record<string, string> = {}): Promise<void> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'fake-sentry-test', 'service.version': '0.0.1' }),
    idGenerator: fixedIds(),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('fake-sentry-test-scope', '1.2.3');
  const parent = tracer.startSpan('GET /orders/:id', {
    kind: SpanKind.SERVER,
    startTime: [T0, 0],
    attributes: {
      'http.request.method': 'GET', 'str.empty': '', ok: true, notOk: false, int: 42, neg: -7, big: 2 ** 40,
      double: 3.25, strs: ['a', 'b'], ints: [1, 2, 3], bools: [true, false], doubles: [1.5, -2.5],
      bytes: new Uint8Array([1, 2, 255]), map: { a: 'b', inner: { n: [1, 'q', null] } }, huge: 2 ** 60, ...extra,
    },
  }, ROOT_CONTEXT);
  const child = tracer.startSpan('SELECT orders', {
    kind: SpanKind.CLIENT,
    startTime: [T0, 5_000_000],
    attributes: { 'db.system.name': 'postgresql' },
    links: [{ context: { traceId: LINKED_TRACE, spanId: LINKED_SPAN, traceFlags: 1 }, attributes: { 'link.kind': 'retry' } }],
  }, trace.setSpan(ROOT_CONTEXT, parent));
  child.addEvent('rows fetched', { 'db.rows': 3 }, [T0, 7_000_000]);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
  child.end([T0, 12_345_678]);
  parent.end([T0, 20_000_000]);
  await provider.forceFlush();
  await provider.shutdown();
}

type PostResult = { status?: number; headers?: http.IncomingHttpHeaders; body?: string; error?: string; ms: number };
function post(url: string, body: Buffer | string, headers: Record<string, string> = {}, timeoutMs = 2000): Promise<PostResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), ms: Date.now() - started }));
    });
    req.setTimeout(timeoutMs, () => { req.destroy(); resolve({ error: 'timeout', ms: Date.now() - started }); });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message, ms: Date.now() - started }));
    req.end(body);
  });
}

const envelopeOf = (eventId: string, message: string): string =>
  `{"event_id":"${eventId}","sent_at":"2024-01-01T00:00:00.000Z"}\n{"type":"event"}\n${JSON.stringify({ event_id: eventId, message })}\n`;

const strip = (spans: RecordedSpan[]): unknown[] =>
  spans.map(({ encoding: _e, requestSeq: _r, ...rest }) => rest).sort((a, b) => a.name.localeCompare(b.name));

describe('fake Sentry server', function () {
  let fake: FakeSentry;
  let envelopeUrl: string;

  before(async () => {
    fake = await startFakeSentry();
    envelopeUrl = `${fake.url}/api/${fake.projectId}/envelope/?sentry_key=${fake.publicKey}&sentry_version=7`;
  });
  after(async () => { await fake.close(); });
  beforeEach(async () => { await fake.setMode('ok'); fake.reset(); });

  it('exposes DSN and endpoint URLs that match what @sentry/node derives', () => {
    assert.match(fake.dsn, /^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:\d+\/42$/);
    const ep = getOtlpTracesEndpoint(fake.dsn);
    assert.ok(ep);
    assert.equal(ep.url, fake.otlpTracesUrl);
    assert.equal(ep.url, `http://127.0.0.1:${fake.port}/api/42/integration/otlp/v1/traces/`);
    assert.deepEqual(ep.headers, { 'X-Sentry-Auth': `Sentry sentry_version=7, sentry_key=${fake.publicKey}` });
    assert.equal(fake.otlpCollectorUrl, `http://127.0.0.1:${fake.port}/collector/v1/traces`);
    assert.equal(fake.collectorBaseUrl, `http://127.0.0.1:${fake.port}/collector`);
  });

  describe('Sentry envelopes from a real @sentry/node client', () => {
    it('parses exception + message events, a length-prefixed attachment and a gzipped (>32 KiB) envelope', async () => {
      const { client, scope } = makeSentryClient(fake.dsn);
      const secret = 'PLANTED-secret-in-gzip-7f3a9c';
      try {
        const errScope = scope.clone();
        errScope.addAttachment({ filename: 'notes.txt', data: 'line one\nline two\n{"type":"event"}\n' });
        const errorId = errScope.captureException(throwingFunctionForFakeSentry());
        const msgScope = scope.clone();
        msgScope.setExtra('big', `${'x'.repeat(30 * 1024)}${secret}${'y'.repeat(15 * 1024)}`);
        const messageId = msgScope.captureMessage('hello from fake-sentry test', 'warning');
        assert.equal(await client.flush(5000), true);

        const events = await fake.waitForEvents(2);
        const errEvent = events.find((e) => e.event_id === errorId);
        const msgEvent = events.find((e) => e.event_id === messageId);
        assert.ok(errEvent && msgEvent, fake.summary());

        const ex = errEvent.exception.values[0];
        assert.equal(ex.type, 'TypeError');
        assert.equal(ex.value, 'boom from fake-sentry test');
        const frames: Array<{ function?: string; filename?: string; lineno?: number }> = ex.stacktrace.frames;
        assert.ok(frames.length > 1);
        const top = frames[frames.length - 1]; // Sentry orders frames oldest -> newest
        assert.equal(top.function, 'throwingFunctionForFakeSentry');
        assert.match(top.filename ?? '', /fake-sentry\.test\.ts$/);
        assert.ok((top.lineno ?? 0) > 0);
        assert.equal(errEvent.level, 'error');
        assert.equal(errEvent.platform, 'node');

        assert.equal(msgEvent.message, 'hello from fake-sentry test');
        assert.equal(msgEvent.level, 'warning');
        assert.equal(msgEvent.extra.big.length, 45 * 1024 + secret.length);

        const [attachment] = fake.items('attachment');
        assert.ok(attachment, fake.summary());
        assert.equal(attachment.header.filename, 'notes.txt');
        assert.equal(attachment.header.length, attachment.payload.length);
        assert.equal(attachment.payload.toString(), 'line one\nline two\n{"type":"event"}\n');

        const errEnvelope = fake.envelopes().find((e) => e.header.event_id === errorId);
        assert.ok(errEnvelope);
        assert.deepEqual(errEnvelope.items.map((i) => i.header.type), ['event', 'attachment']);
        assert.equal(errEnvelope.header.sdk.name, 'sentry.javascript.node');
        assert.equal(errEnvelope.auth.sentry_key, fake.publicKey);
        assert.equal(errEnvelope.auth.sentry_version, '7');
        assert.match(errEnvelope.auth.sentry_client, /^sentry\.javascript\.node\/11\./);

        const requests = fake.rawBodies().filter((r) => r.route === 'envelope');
        assert.equal(requests.length, 2);
        assert.ok(requests.every((r) => r.status === 200 && !r.headers['x-sentry-auth']));
        const gz = requests.find((r) => r.contentEncoding === 'gzip');
        assert.ok(gz, 'the >32 KiB envelope is gzipped by the node transport');
        assert.ok(gz.compressedBytes < gz.body.length / 10);

        const hits = fake.findSecrets([secret, 'never-sent-string']);
        assert.equal(hits.length, 1);
        assert.equal(hits[0].part, 'body');
        assert.equal(hits[0].requestSeq, gz.seq);
        assert.match(hits[0].where, /envelope.*content-encoding gzip/);
      } finally {
        await client.close(2000);
      }
    });

    it('a real client honours the fake 429 (Retry-After) and stops sending', async () => {
      const { client, scope } = makeSentryClient(fake.dsn);
      try {
        await fake.setMode({ status: 429, retryAfter: 60 });
        scope.captureException(new Error('first'));
        await client.flush(5000);
        scope.captureException(new Error('second, dropped by the SDK rate limiter'));
        await client.flush(5000);
        assert.equal(fake.stats().byMode['status:429'], 1, fake.summary());
        assert.equal(fake.events().length, 0);
        assert.equal(fake.rawBodies()[0].status, 429);
      } finally {
        await client.close(2000);
      }
    });
  });

  describe('OTLP/HTTP traces from real OpenTelemetry exporters', () => {
    it('decodes JSON and protobuf to identical normalized spans at the Sentry OTLP endpoint', async () => {
      const ep = getOtlpTracesEndpoint(fake.dsn);
      assert.ok(ep);
      await exportSpanPair(new JsonTraceExporter({ url: ep.url, headers: ep.headers }));
      const jsonSpans = await fake.waitForSpans(2);
      await exportSpanPair(new ProtoTraceExporter({ url: ep.url, headers: ep.headers }));
      const all = await fake.waitForSpans(4);
      const protoSpans = all.filter((s) => s.encoding === 'protobuf');
      assert.equal(protoSpans.length, 2);
      assert.deepStrictEqual(strip(protoSpans), strip(jsonSpans));

      const [jsonReq, protoReq] = fake.rawBodies();
      assert.equal(jsonReq.headers['content-type'], 'application/json');
      assert.equal(protoReq.headers['content-type'], 'application/x-protobuf');
      assert.equal(jsonReq.headers['x-sentry-auth'], ep.headers['X-Sentry-Auth']);
      assert.match(jsonReq.headers['user-agent'], /^OTel-OTLP-Exporter-JavaScript\//);
      // The JS JSON exporter sends ids as hex (OTLP/JSON spec), timestamps as decimal strings.
      const raw = JSON.parse(jsonReq.body.toString());
      const rawSpan = raw.resourceSpans[0].scopeSpans[0].spans.find((s: { name: string }) => s.name === 'SELECT orders');
      assert.equal(rawSpan.traceId, TRACE_ID);
      assert.equal(rawSpan.parentSpanId, PARENT_ID);
      assert.equal(typeof rawSpan.startTimeUnixNano, 'string');

      const parent = jsonSpans.find((s) => s.name === 'GET /orders/:id');
      const child = jsonSpans.find((s) => s.name === 'SELECT orders');
      assert.ok(parent && child);
      assert.deepStrictEqual(parent.attributes, {
        'http.request.method': 'GET', 'str.empty': '', ok: true, notOk: false, int: 42, neg: -7, big: 2 ** 40,
        double: 3.25, strs: ['a', 'b'], ints: [1, 2, 3], bools: [true, false], doubles: [1.5, -2.5],
        bytes: Buffer.from([1, 2, 255]), map: { a: 'b', inner: { n: [1, 'q', null] } }, huge: 2n ** 60n,
      });
      assert.equal(parent.kind, 'SERVER');
      assert.equal(parent.parentSpanId, undefined);
      assert.deepEqual(parent.status, { code: 0 });
      assert.equal(parent.durationMs, 20);
      assert.deepEqual(parent.resource, { 'service.name': 'fake-sentry-test', 'service.version': '0.0.1' });
      assert.equal(parent.scope, 'fake-sentry-test-scope');
      assert.equal(parent.scopeVersion, '1.2.3');
      assert.equal(parent.source, 'sentry');
      assert.equal(parent.sentryAuth, ep.headers['X-Sentry-Auth']);

      assert.deepEqual({ traceId: child.traceId, spanId: child.spanId, parentSpanId: child.parentSpanId },
        { traceId: TRACE_ID, spanId: CHILD_ID, parentSpanId: PARENT_ID });
      assert.equal(child.kind, 'CLIENT');
      assert.deepEqual(child.status, { code: SpanStatusCode.ERROR, message: 'deadlock detected' });
      assert.equal(child.startTimeUnixNano, `${T0}005000000`);
      assert.equal(child.endTimeUnixNano, `${T0}012345678`);
      assert.equal(child.durationMs, 7.345678);
      assert.deepEqual(child.events, [{ name: 'rows fetched', timeUnixNano: `${T0}007000000`, attributes: { 'db.rows': 3 } }]);
      assert.deepEqual(child.links, [{ traceId: LINKED_TRACE, spanId: LINKED_SPAN, attributes: { 'link.kind': 'retry' } }]);
    });

    it('records the generic collector endpoint separately (explicit URL + gzip, and OTEL_EXPORTER_OTLP_ENDPOINT)', async () => {
      await exportSpanPair(new JsonTraceExporter({ url: fake.otlpCollectorUrl, compression: CompressionAlgorithm.GZIP }));
      const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      let protoExporter: ProtoTraceExporter;
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = fake.collectorBaseUrl;
      try {
        protoExporter = new ProtoTraceExporter();
      } finally {
        if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
        else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
      }
      await exportSpanPair(protoExporter);
      const spans = await fake.waitForSpans(4, { source: 'collector' });
      assert.ok(spans.every((s) => s.source === 'collector' && s.sentryAuth === undefined));
      const [gzReq, envReq] = fake.rawBodies();
      assert.equal(gzReq.path, '/collector/v1/traces');
      assert.equal(gzReq.contentEncoding, 'gzip');
      assert.equal(envReq.path, '/collector/v1/traces');
      assert.equal(envReq.headers['content-type'], 'application/x-protobuf');
      assert.deepStrictEqual(strip(spans.filter((s) => s.encoding === 'protobuf')), strip(spans.filter((s) => s.encoding === 'json')));
    });

    it('findSecrets finds a string embedded in a protobuf body', async () => {
      const ep = getOtlpTracesEndpoint(fake.dsn);
      assert.ok(ep);
      await exportSpanPair(new ProtoTraceExporter({ url: ep.url, headers: ep.headers }), { 'leaky.header': 'Bearer PLANTED-proto-token-55' });
      await fake.waitForSpans(2);
      const hits = fake.findSecrets(['PLANTED-proto-token-55']);
      assert.equal(hits.length, 1);
      assert.match(hits[0].where, /sentry-otlp-traces, application\/x-protobuf/);
    });
  });

  describe('fault modes and helpers', () => {
    it("'blackhole' reads the body and never answers", async () => {
      await fake.setMode('blackhole');
      const res = await post(envelopeUrl, envelopeOf('a'.repeat(32), 'into the void'), {}, 300);
      assert.equal(res.error, 'timeout');
      assert.equal(fake.stats().byMode.blackhole, 1);
      const [r] = fake.rawBodies();
      assert.equal(r.status, undefined);
      assert.match(r.body.toString(), /into the void/);
      assert.equal(fake.events().length, 0, 'blackholed data is not ingested');
    });

    it('{ delayMs } records on arrival and answers late', async () => {
      await fake.setMode({ delayMs: 400 });
      const pending = post(envelopeUrl, envelopeOf('b'.repeat(32), 'slow'));
      await fake.waitForEvents(1);
      const res = await pending;
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body ?? ''), { id: 'b'.repeat(32) });
      assert.ok(res.ms >= 350, `answered after ${res.ms}ms`);
      assert.equal(fake.stats().byMode.delay, 1);
    });

    it('{ status } answers with the status (+ Retry-After / X-Sentry-Rate-Limits) and drops the data', async () => {
      await fake.setMode({ status: 429, retryAfter: 7, rateLimits: '7::organization' });
      const limited = await post(envelopeUrl, envelopeOf('c'.repeat(32), 'limited'));
      assert.equal(limited.status, 429);
      assert.equal(limited.headers?.['retry-after'], '7');
      assert.equal(limited.headers?.['x-sentry-rate-limits'], '7::organization');
      await fake.setMode({ status: 500 });
      const broken = await post(envelopeUrl, envelopeOf('d'.repeat(32), 'broken'));
      assert.equal(broken.status, 500);
      assert.equal(fake.events().length, 0);
      assert.deepEqual(fake.stats().byStatus, { 429: 1, 500: 1 });
      assert.equal(fake.findSecrets(['broken']).length, 1, 'rejected bodies are still searchable');
    });

    it("'refuse' closes the listener; back to 'ok' re-listens on the same port", async () => {
      const port = fake.port;
      await assert.rejects(fake.setMode({ delayMs: -1 }), /invalid mode/);
      await fake.setMode('refuse');
      const refused = await post(envelopeUrl, envelopeOf('e'.repeat(32), 'refused'));
      assert.equal(refused.error, 'ECONNREFUSED');
      await fake.setMode('ok');
      assert.equal(fake.port, port);
      const res = await post(envelopeUrl, envelopeOf('f'.repeat(32), 'back'));
      assert.equal(res.status, 200);
      assert.equal(fake.events()[0].message, 'back');
    });

    it('decodes br/deflate bodies, rejects bad auth and parse errors with a useful summary', async () => {
      const body = Buffer.from(envelopeOf('1'.repeat(32), 'brotli'));
      assert.equal((await post(envelopeUrl, zlib.brotliCompressSync(body), { 'content-encoding': 'br' })).status, 200);
      assert.equal((await post(envelopeUrl, zlib.deflateSync(body), { 'content-encoding': 'deflate' })).status, 200);
      assert.equal(fake.events().length, 2);
      const badKey = await post(envelopeUrl.replace(fake.publicKey, 'f'.repeat(32)), body);
      assert.equal(badKey.status, 401);
      const garbage = await post(envelopeUrl, '{"event_id":"x"}\n{"type":"event","length":999}\n{}');
      assert.equal(garbage.status, 400);
      const noCt = await post(fake.otlpCollectorUrl, '{}');
      assert.equal(noCt.status, 415);
      await assert.rejects(fake.waitFor((f) => f.events().length > 5, { timeout: 200 }), (err: Error) => {
        assert.match(err.message, /timed out after 200ms/);
        assert.match(err.message, /-> 401; .*ERROR: bad or missing sentry_key/);
        assert.match(err.message, /length 999 exceeds remaining/);
        return true;
      });
    });
  });
});
