import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { Envelope } from '@sentry/core';
import type { Event } from '@sentry/node';
import { attachLocalView } from '../src/local-view';
import { formatEvent, formatTrace, ownCodeDirectory, painter } from '../src/local-view/format';
import { defaultScrubber } from '../src/scrub';
import type { EnvelopeSink } from '../src/sentry/transport';
import { SentryOtlpSpanProcessor } from '../src/tracing/span-processor';

const plain = painter(false);
const ESC = '\u001b';

describe('local view', () => {
  describe('formatEvent', () => {
    const event: Event = {
      event_id: '8996527b0123456789abcdef01234567',
      level: 'error',
      exception: { values: [{
        type: 'CancellationPolicyError',
        value: 'Booking 5 cannot be cancelled',
        stacktrace: { frames: [
          { function: 'Layer.handle', filename: '/app/node_modules/router/lib/layer.js', lineno: 1, in_app: false },
          { function: 'cancel', filename: '/app/routes/bookings.js', lineno: 52, in_app: true },
        ] },
      }] },
      tags: { 'error.category': 'http_5xx' },
      user: { id: '42', username: 'anna' },
      request: { method: 'POST', url: 'http://localhost/bookings/5/cancel' },
      contexts: { trace: { trace_id: '995bb3440123456789abcdef01234567', span_id: '0123456789abcdef' }, details: { booking_id: 5 } },
      breadcrumbs: [{ timestamp: Date.UTC(2026, 11, 6, 13, 50, 50, 465) / 1000, category: 'booking', message: 'Booking found' }],
    };

    it('shows what, who, why and where, the app\'s frames only, newest first', () => {
      assert.deepEqual(formatEvent(event, plain).split('\n'), [
        '── error ── CancellationPolicyError: Booking 5 cannot be cancelled  (event 8996527b)',
        '   category http_5xx · user 42 anna · POST http://localhost/bookings/5/cancel · trace 995bb344',
        '   details {"booking_id":5}',
        '   breadcrumbs:',
        '     13:50:50.465 booking  Booking found',
        '   stack:',
        '     at cancel (/app/routes/bookings.js:52)',
      ]);
    });

    it('a message event is titled by its message, at its level', () => {
      assert.equal(formatEvent({ event_id: 'abcdef0123', level: 'warning', message: 'Slot freed' }, plain), '── warning ── Slot freed  (event abcdef01)');
    });

    it('captured text cannot drive the terminal nor forge a line of the view', () => {
      const hostile: Event = {
        ...event,
        exception: { values: [{ type: 'Error', value: `bad input\n── error ── forged${ESC}[2J` }] },
        user: { id: `${ESC}]0;title\u0007`, username: 'anna\r' },
        breadcrumbs: [{ timestamp: 0, category: `cat${ESC}`, message: 'line\nbreak' }],
      };
      const colored = formatEvent(hostile, painter(true));
      const lines = formatEvent(hostile, plain).split('\n');
      assert.equal(lines.filter((line) => line.startsWith('── ')).length, 1, lines.join('\n'));
      assert.equal(lines[0], '── error ── Error: bad input\\n── error ── forged\\u001b[2J  (event 8996527b)');
      assert.match(lines[1], /user \\u001b\]0;title\\u0007 anna\\r/);
      assert.ok(lines.includes('     00:00:00.000 cat\\u001b line\\nbreak'), lines.join('\n'));
      // With colours on, the only escape sequences are the view's own colours.
      const ownColours = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');
      assert.equal(colored.replace(ownColours, '').includes(ESC), false);
    });
  });

  describe('formatTrace', () => {
    it('draws the span tree with durations and details; captured names are made printable', () => {
      const text = formatTrace('995bb3440123456789abcdef01234567', [
        { depth: 0, name: 'POST /bookings/:id/cancel', durationMs: 11.24, error: true, detail: '500' },
        { depth: 1, name: 'request handler', durationMs: 1.8, error: false },
        { depth: 2, name: `first${ESC}[31m`, durationMs: 0.8, error: false, detail: 'select ?\n' },
      ], plain);
      assert.deepEqual(text.split('\n'), [
        '── trace 995bb344 ── POST /bookings/:id/cancel · 11.2 ms',
        '   POST /bookings/:id/cancel  11.2 ms  500',
        '   ├─ request handler  1.8 ms',
        '   │  ├─ first\\u001b[31m  0.8 ms  select ?\\n',
      ]);
    });
  });

  describe('attachLocalView', () => {
    it('prints each event the sinks see and each trace once its root span ended, scrubbed', async () => {
      const processor = new SentryOtlpSpanProcessor({ scrubber: defaultScrubber(), logger: { debug() {}, info() {}, warn() {}, error() {} } });
      const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('test');
      const sinks = new Set<EnvelopeSink>();
      const written: string[] = [];
      const detach = attachLocalView(processor, sinks, defaultScrubber(), { write: (text) => written.push(text), colors: false });
      try {
        const server = tracer.startSpan('GET /pay', { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 200 } });
        const query = tracer.startSpan('pg.query', { attributes: { 'db.query.text': "select * from cards where number = '4111111111111111'" } }, trace.setSpan(context.active(), server));
        query.setStatus({ code: SpanStatusCode.ERROR });
        query.end();
        server.end();
        const envelope: Envelope = [{}, [[{ type: 'event' }, { event_id: 'feedbeef00', level: 'error', message: 'card declined' }]]] as unknown as Envelope;
        [...sinks].forEach((sink) => sink(envelope));
        await new Promise((resolve) => setTimeout(resolve, 300));
        const traceId = server.spanContext().traceId.slice(0, 8);
        assert.deepEqual(written.map((text) => text.replace(/\d+(\.\d)? ms/g, 'N ms')), [
          '── error ── card declined  (event feedbeef)\n',
          `── trace ${traceId} ── GET /pay · N ms\n   GET /pay  N ms  200\n   ├─ pg.query  N ms  select * from cards where number = ?\n`,
        ]);
      } finally {
        detach();
      }
      assert.equal(sinks.size, 0, 'detaching removes the sink');
    });

    it('keeps at most maxSpansPerTrace spans of a trace and counts the rest: a long request or job cannot grow it', async () => {
      const processor = new SentryOtlpSpanProcessor({ scrubber: defaultScrubber(), logger: { debug() {}, info() {}, warn() {}, error() {} } });
      const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('test');
      const written: string[] = [];
      const detach = attachLocalView(processor, new Set(), defaultScrubber(), { write: (text) => written.push(text), colors: false, maxSpansPerTrace: 5 });
      try {
        const server = tracer.startSpan('GET /report', { kind: SpanKind.SERVER });
        const parent = trace.setSpan(context.active(), server);
        for (let i = 0; i < 250; i++) tracer.startSpan(`query ${i}`, {}, parent).end();
        server.end();
        await new Promise((resolve) => setTimeout(resolve, 300));
        const lines = written.join('').trimEnd().split('\n');
        assert.deepEqual(lines.map((line) => line.replace(/\d+(\.\d)? ms/g, 'N ms')), [
          `── trace ${server.spanContext().traceId.slice(0, 8)} ── GET /report · N ms`,
          '   GET /report  N ms',
          ...[0, 1, 2, 3, 4].map((i) => `   ├─ query ${i}  N ms`),
          '   … and 245 more spans, not shown',
        ]);
      } finally {
        detach();
      }
    });
  });
});

describe('local view: a stdout whose reader went away', function () {
  this.timeout(30_000);

  it('`node app.js | head -1`: the writes fail (EPIPE), the app goes on serving (it crashed on the unhandled error)', async () => {
    const child = spawn(process.execPath, ['--import', 'express-otel-sentry/register', join(__dirname, 'integration', 'fixtures', 'express5', 'local-view-epipe.cjs')], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, SENTRY_DSN: '', SENTRY_LOCAL_VIEW: '1', NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // the reader is gone before anything is written
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.match(stderr, /STILL SERVING/, stderr);
    assert.equal(code, 0, stderr);
  });
});

describe('local view: which stack frames are this library\'s own', () => {
  const cases: Array<[name: string, dir: string, expected: string]> = [
    ['installed (dist/src/local-view): the package\'s dist/', '/app/node_modules/express-otel-sentry/dist/src/local-view', '/app/node_modules/express-otel-sentry/dist/'],
    ['run from source (src/local-view): src/', '/work/main/src/local-view', '/work/main/src/'],
    ['bundled into the app (the bundle\'s folder): none, or every app frame would be hidden', '/app/dist', '\0'],
    ['bundled at the root of a project', '/srv/app', '\0'],
    ['bundled two folders under a dist/ (Nx: dist/apps/api)', '/srv/app/dist/apps/api', '\0'],
  ];
  for (const [name, dir, expected] of cases) {
    it(name, () => assert.equal(ownCodeDirectory(dir), expected));
  }
});
