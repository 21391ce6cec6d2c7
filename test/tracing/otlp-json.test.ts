import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createTracesJsonWriter, encodePieces, tracesRequestJson } from '../../src/tracing/otlp-json';

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

/**
 * What the standard JsonTraceSerializer writes for these spans, parsed, with lone surrogates as U+FFFD:
 * it sends them as `\ud800` escapes, which Sentry's ingestion refuses, with the whole batch.
 */
function standardRequest(spans: ReadableSpan[]): unknown {
  return JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)), (_key, value: unknown) =>
    typeof value === 'string' ? value.toWellFormed() : value);
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

  it('sends lone surrogates as U+FFFD wherever a string goes (valid Unicode only: Sentry refuses the batch otherwise)', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const span = provider.getTracer('scope\ud800', '1\udc00').startSpan('name \ud83d', { attributes: { ['key\ud800']: 'value \udfff', list: ['a\ud800'] } });
    span.addEvent('exception', { 'exception.message': 'boom \ud800' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: '{"name":"\ud800"}' });
    span.end();
    for (const body of [createTracesJsonWriter()(exporter.getFinishedSpans()).toString('utf8'), tracesRequestJson(exporter.getFinishedSpans())]) {
      assert.doesNotMatch(body, /\\ud[89a-f]/i);
      const strings: string[] = [];
      JSON.parse(body, (_key, value: unknown) => (typeof value === 'string' && strings.push(value), value));
      assert.ok(strings.every((text) => text.isWellFormed()), strings.join(' | '));
      for (const expected of ['scope\ufffd', '1\ufffd', 'name \ufffd', 'value \ufffd', 'a\ufffd', 'boom \ufffd', '{"name":"\ufffd"}']) {
        assert.ok(strings.includes(expected), expected);
      }
    }
  });

  describe('one pass for ASCII text, measured again when a character takes more than one byte', () => {
    /** ASCII spans (as `/hello` makes them) with `text` in the name of the span at `at`. */
    const batch = (count: number, at: number, text: string): ReadableSpan[] => {
      const exporter = new InMemorySpanExporter();
      const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
      for (let i = 0; i < count; i++) {
        provider.getTracer('express').startSpan(i === at ? `GET /hello${text}` : 'GET /hello', { kind: SpanKind.SERVER, attributes: { 'http.route': '/hello', 'http.response.status_code': 200 } }).end();
      }
      return exporter.getFinishedSpans();
    };
    const cases: Array<[name: string, text: string]> = [
      ['ASCII only', ''],
      ['2-byte character', 'é'],
      ['3-byte character', '€'],
      ['4-byte character', '💅'],
      ['lone surrogate', '\ud800'],
      ['many multi-byte characters', 'Дилноза'.repeat(50)],
    ];
    for (const [name, text] of cases) {
      for (const [where, at] of [['first', 0], ['last', 9]] as const) {
        it(`${name} in the ${where} span: the same bytes`, () => assertWriterMatches(batch(10, at, text)));
      }
    }
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

describe('encodePieces: UTF-8 of the pieces, one pass while it provably fits', () => {
  const cases: Array<[name: string, pieces: string[]]> = [
    ['nothing', []],
    ['empty pieces', ['', '', '']],
    ['ASCII', ['{"a":', '"b"', '}']],
    ['a cut in an early piece', ['ДДДДДДДДДД', 'ascii']],
    ['lone surrogates (3 bytes each)', ['\ud800\udfff', 'x\ud800']],
  ];
  for (const [name, pieces] of cases) {
    it(name, () => assert.deepEqual(encodePieces(pieces), Buffer.from(pieces.join(''), 'utf8')));
  }

  it('every text of up to 4 characters of 1 to 4 bytes, alone and after other pieces (fits, overflows, cut with 0 to 3 bytes free)', () => {
    const characters = ['a', 'é', '€', '💅'];
    let texts = [''];
    for (let length = 1; length <= 4; length++) texts = [...texts, ...texts.filter((t) => [...t].length === length - 1).flatMap((t) => characters.map((c) => t + c))];
    for (const text of texts) {
      for (const pieces of [[text], ['ab', text], ['éé', text, 'z'], [text, text]]) {
        assert.deepEqual(encodePieces(pieces), Buffer.from(pieces.join(''), 'utf8'), JSON.stringify(pieces));
      }
    }
  });
});
