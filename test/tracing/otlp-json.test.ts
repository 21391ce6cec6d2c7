import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createTracesJsonWriter, tracesRequestJson } from '../../src/tracing/otlp-json';

/** Spans with every attribute type, events, links, status and two scopes. */
function sampleSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'salon', 'service.version': 'salon@1.0.0', 'deployment.environment.name': 'test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('@opentelemetry/instrumentation-http', '0.301.0');
  const server = tracer.startSpan('GET /bookings/:id', { kind: SpanKind.SERVER, attributes: {
    'http.request.method': 'GET', 'http.response.status_code': 500, 'http.route': '/bookings/:id', 'url.path': '/bookings/7',
    ratio: 0.25, big: 2 ** 40, flag: true, 'list.strings': ['a', 'b'], 'list.numbers': [1, 2.5], 'list.bools': [true, false],
    'unicode.text': 'Дилноза "quoted" \\ back\nline',
  } });
  server.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'boom' });
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  const child = provider.getTracer('@opentelemetry/instrumentation-pg').startSpan('pg.query:SELECT test', {
    kind: SpanKind.CLIENT,
    attributes: { 'db.query.text': 'select $1::int', 'db.system.name': 'postgresql' },
    links: [{ context: server.spanContext(), attributes: { reason: 'test' } }],
  });
  child.end();
  server.end();
  return exporter.getFinishedSpans();
}

/** What the standard JsonTraceSerializer writes for these spans, parsed. */
function standardRequest(spans: ReadableSpan[]): unknown {
  return JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)));
}

/** The exporter's body for these spans: the same bytes as tracesRequestJson, and the standard's content. */
function assertWriterMatches(spans: ReadableSpan[]): void {
  const body = createTracesJsonWriter()(spans).toString('utf8');
  assert.equal(body, tracesRequestJson(spans));
  assert.deepEqual(JSON.parse(body), standardRequest(spans));
}

describe('tracesRequestJson (the OTLP/JSON body our exporter writes)', () => {
  it('parses to exactly what the standard JsonTraceSerializer produces', () => {
    const spans = sampleSpans();
    const standard = standardRequest(spans);
    const ours = JSON.parse(tracesRequestJson(spans));
    assert.deepEqual(ours, standard);
  });

  it('the caching writer (one per exporter) writes the same bytes, batch after batch', () => {
    const write = createTracesJsonWriter();
    for (let batch = 0; batch < 3; batch++) {
      const spans = sampleSpans();
      assert.equal(write(spans).toString('utf8'), tracesRequestJson(spans));
    }
  });

  it('writes a backlog-sized batch (hundreds of spans, multi-byte text) byte for byte', () => {
    assertWriterMatches(Array.from({ length: 200 }, () => sampleSpans()).flat());
  });

  it('counts bytes exactly for 4-byte characters and lone surrogates (the body is filled, not truncated)', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    provider.getTracer('t').startSpan('💅 manicure', { attributes: { emoji: '💇‍♀️ hair', lone: 'bad \ud800 surrogate', high: '\udfff' } }).end();
    assertWriterMatches(exporter.getFinishedSpans());
  });

  it('matches the standard serializer on batches from several providers (resources) too', () => {
    const spans = [...sampleSpans(), ...sampleSpans()];
    const standard = standardRequest(spans) as { resourceSpans: unknown[] };
    assert.deepEqual(JSON.parse(tracesRequestJson(spans)), standard);
    assert.equal(standard.resourceSpans.length, 2);
  });

  it('writes an empty request for no spans', () => {
    assert.deepEqual(JSON.parse(tracesRequestJson([])), standardRequest([]));
  });
});
