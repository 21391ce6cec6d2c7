import assert from 'node:assert/strict';
import { SpanKind, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { AlwaysOffSampler, InMemorySpanExporter, TracerProvider, createAlwaysRecordSampler, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { defaultScrubber } from '../../src/scrub';
import { RATE_LIMITED } from '../../src/tracing/export-queue';
import { SentryOtlpSpanProcessor } from '../../src/tracing/span-processor';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A destination that never answers until released: a black-hole collector. */
class StuckExporter implements SpanExporter {
  pending: Array<(result: ExportResult) => void> = [];
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.pending.push(done);
  }
  release(): void {
    this.pending.splice(0).forEach((done) => done({ code: ExportResultCode.SUCCESS }));
  }
  async shutdown(): Promise<void> {}
}

/** A destination that answers at once (InMemorySpanExporter answers on a later turn). */
class RecordingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

function setup(options: Partial<ConstructorParameters<typeof SentryOtlpSpanProcessor>[0]> = {}, sampler?: ConstructorParameters<typeof TracerProvider>[0]) {
  const warnings: string[] = [];
  const processor = new SentryOtlpSpanProcessor({ scrubber: defaultScrubber(), logger: { ...quiet, warn: (m: string) => warnings.push(m) }, ...options });
  const provider = new TracerProvider({ ...sampler, spanProcessors: [processor] });
  return { processor, tracer: provider.getTracer('test'), warnings };
}

describe('SentryOtlpSpanProcessor', () => {
  it('exports finished sampled spans to every destination, scrubbed, without touching the original', async () => {
    const { processor, tracer } = setup();
    const a = new InMemorySpanExporter();
    const b = new InMemorySpanExporter();
    processor.addExporter('sentry', a);
    processor.addExporter('otlp', b);
    const span = tracer.startSpan('GET /pay', { kind: SpanKind.CLIENT, attributes: {
      'url.full': 'https://psp.example/pay?api_key=sk_live_abcdefghijklmnopqrstuv&amount=5',
      'db.query.text': "select * from cards where number = '4111111111111111'",
      'http.request.header.authorization': 'Bearer abc.def.ghi',
    } });
    span.end();
    await processor.forceFlush();
    for (const exporter of [a, b]) {
      const [exported] = exporter.getFinishedSpans();
      assert.doesNotMatch(String(exported.attributes['url.full']), /sk_live/);
      assert.match(String(exported.attributes['url.full']), /amount=5/);
      assert.equal(exported.attributes['db.query.text'], 'select * from cards where number = ?');
      assert.equal(exported.attributes['http.request.header.authorization'], '[Filtered]');
    }
    assert.match(String((span as unknown as ReadableSpan).attributes['url.full']), /sk_live/, 'the original span was changed');
    assert.equal(processor.stats().sentry.exported, 1);
  });

  it('records unsampled spans for listeners but never exports them', async () => {
    const { processor, tracer } = setup({}, { sampler: createAlwaysRecordSampler(new AlwaysOffSampler()) });
    const exporter = new InMemorySpanExporter();
    processor.addExporter('sentry', exporter);
    const seen: ReadableSpan[] = [];
    processor.addListener({ onEnd: (span) => seen.push(span) });
    const span = tracer.startSpan('unsampled');
    assert.equal(span.spanContext().traceFlags & TraceFlags.SAMPLED, 0);
    span.end();
    await processor.forceFlush();
    assert.equal(seen.length, 1);
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  it('exportTimeoutMillis 0 (OTEL_BSP_EXPORT_TIMEOUT=0): no limit, an export that takes its time is delivered', async () => {
    const { processor, tracer } = setup({ exportTimeoutMillis: 0, scheduledDelayMillis: 0 });
    const slow = new StuckExporter();
    processor.addExporter('otlp', slow);
    tracer.startSpan('slow').end();
    const flushed = processor.forceFlush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(slow.pending.length, 1, 'exported at once (schedule delay 0)');
    slow.release();
    await flushed;
    assert.deepEqual([processor.stats().otlp.exported, processor.stats().otlp.failed], [1, 0]);
  });

  it('a stuck destination fills only its own bounded queue: drops are counted and logged, the other keeps exporting', async () => {
    const { processor, tracer, warnings } = setup({ maxQueueSize: 10, maxExportBatchSize: 5, scheduledDelayMillis: 1, exportTimeoutMillis: 500 });
    const stuck = new StuckExporter();
    const healthy = new RecordingExporter();
    processor.addExporter('collector', stuck);
    processor.addExporter('sentry', healthy);
    // Rounds of one batch, each followed by a turn of the event loop, in which the healthy queue exports.
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 5; i++) tracer.startSpan(`span ${round}.${i}`).end();
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
    }
    const flushed = processor.forceFlush();
    stuck.release();
    await new Promise<void>((resolve) => setImmediate(resolve));
    stuck.release();
    await flushed;
    const stats = processor.stats();
    assert.equal(healthy.spans.length, 100, JSON.stringify(stats));
    assert.ok(stats.collector.dropped > 0, 'nothing was dropped');
    assert.ok(stats.collector.queued <= 10);
    const dropWarnings = warnings.filter((line) => line.includes('is full'));
    assert.equal(dropWarnings.length, 1, 'one warning per minute, not one per span');
    assert.match(dropWarnings[0], /span queue for collector is full \(10\)/);
    // The stuck exports that timed out: one warning for the first, the rest counted.
    assert.ok(warnings.filter((line) => /export of \d+ span\(s\) to collector failed/.test(line)).length <= 1, warnings.join('\n'));
  });

  it('drops after a warning are reported once the interval has passed, and at shutdown: a short outage is not summed up as one span', async () => {
    const { processor, tracer, warnings } = setup({ maxQueueSize: 5, maxExportBatchSize: 5, scheduledDelayMillis: 60_000, dropWarningIntervalMs: 40 });
    const counts = () => warnings.filter((line) => line.includes('is full')).map((line) => /dropped (\d+) span\(s\), (\d+) in total/.exec(line)!.slice(1).map(Number));
    const stuck = new StuckExporter();
    processor.addExporter('collector', stuck);
    for (let i = 0; i < 5 + 1 + 30; i++) tracer.startSpan(`span ${i}`).end(); // 5 queued, then 31 dropped
    assert.deepEqual(counts(), [[1, 1]]);
    // Once the interval has passed, the 30 dropped after the warning are reported.
    for (let waited = 0; counts().length < 2 && waited < 5000; waited += 10) await new Promise<void>((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(counts(), [[1, 1], [30, 31]]);
    // The first 5 are in flight by now (the queue is empty again): 5 more queued, 4 dropped, all reported by shutdown.
    for (let i = 0; i < 5 + 4; i++) tracer.startSpan(`late ${i}`).end();
    const releaser = setInterval(() => stuck.release(), 1);
    await processor.shutdown().finally(() => clearInterval(releaser));
    assert.equal(counts().reduce((sum, [dropped]) => sum + dropped, 0), 35, JSON.stringify(counts()));
    assert.equal(counts().at(-1)![1], 35);
  });

  it('an export failure is a warning the first time after a success (a wrong port or protocol shows at once), then counted', async () => {
    const { processor, tracer, warnings } = setup({ scheduledDelayMillis: 60_000 });
    const answers = [false, false, true, false];
    processor.addExporter('collector', {
      export: (_spans: ReadableSpan[], done: (result: ExportResult) => void) =>
        done(answers.shift() ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error('socket hang up') }),
      shutdown: async () => undefined,
    });
    for (let round = 0; round < 4; round++) {
      tracer.startSpan(`span ${round}`).end();
      await processor.forceFlush();
    }
    const failures = warnings.filter((line) => line.includes('failed'));
    assert.equal(failures.length, 2, failures.join('\n'));
    assert.match(failures[0], /export of 1 span\(s\) to collector failed: socket hang up\. Later failures are counted/);
    assert.equal(processor.stats().collector.failed, 3);
  });

  it('an export that succeeds after a warned failure says that export resumed, with the spans lost meanwhile', async () => {
    const infos: string[] = [];
    const { processor, tracer } = setup({ scheduledDelayMillis: 60_000, logger: { ...quiet, info: (line: string) => infos.push(line) } });
    const answers = [true, false, false, true, true];
    processor.addExporter('collector', {
      export: (_spans: ReadableSpan[], done: (result: ExportResult) => void) =>
        done(answers.shift() ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED 127.0.0.1:4318') }),
      shutdown: async () => undefined,
    });
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i <= round; i++) tracer.startSpan(`span ${round}.${i}`).end();
      await processor.forceFlush();
    }
    assert.deepEqual(infos, ['span export to collector resumed: 5 span(s) were lost while it failed.']);
  });

  it('an export that gets no answer in time is worded as an envelope that gets none: "no response within N ms"', async () => {
    const { processor, tracer, warnings } = setup({ scheduledDelayMillis: 60_000, exportTimeoutMillis: 50 });
    processor.addExporter('collector', new StuckExporter());
    tracer.startSpan('hung').end();
    await processor.forceFlush();
    assert.deepEqual(warnings, ['export of 1 span(s) to collector failed: no response within 50 ms. Later failures are counted (telemetry.spanStats()) until an export succeeds again.']);
  });

  it('under a steady stream of spans, a due batch leaves on the next turn instead of waiting for the stream to pause', async () => {
    const { processor, tracer } = setup({ maxQueueSize: 1000, maxExportBatchSize: 50, exportThreshold: 10, scheduledDelayMillis: 60_000 });
    const exporter = new RecordingExporter();
    processor.addExporter('sentry', exporter);
    // A loaded server: every turn of the event loop does some work and ends a span, turns well under a
    // millisecond apart, so a span always ended less than a millisecond ago.
    const turns = 200;
    const exportedWhileStreaming = await new Promise<number>((resolve) => {
      let turn = 0;
      const next = () => {
        const busyUntil = process.hrtime.bigint() + 200_000n;
        while (process.hrtime.bigint() < busyUntil);
        tracer.startSpan(`request ${turn}`).end();
        if (++turn < turns) setImmediate(next);
        else resolve(exporter.spans.length);
      };
      setImmediate(next);
    });
    assert.ok(exportedWhileStreaming >= turns - 20, `only ${exportedWhileStreaming} of ${turns} spans left while the stream ran`);
    await processor.forceFlush();
    assert.equal(exporter.spans.length, turns);
  });

  it('a throwing listener or exporter never reaches the caller', async () => {
    const { processor, tracer } = setup();
    processor.addListener({ onStart: () => { throw new Error('listener'); }, onEnd: () => { throw new Error('listener'); } });
    processor.addExporter('broken', { export: () => { throw new Error('exporter'); }, shutdown: async () => undefined });
    tracer.startSpan('survives').end();
    await processor.forceFlush();
    assert.equal(processor.stats().broken.failed, 1);
  });
});

describe('SentryOtlpSpanProcessor: lost spans are reported with their reason (for Sentry\'s client reports)', () => {
  /** A destination that fails every export with this error. */
  const failingWith = (error: Error): SpanExporter => ({
    export: (_spans, done) => done({ code: ExportResultCode.FAILED, error }),
    shutdown: async () => undefined,
  });
  const cases: Array<[string, Error, string | undefined]> = [
    ['not sent while rate limited', Object.assign(new Error('not sent: Sentry\'s rate limit for spans lasts'), { code: RATE_LIMITED }), 'ratelimit_backoff'],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'network_error'],
    ['a refusal by status (400)', Object.assign(new Error('the destination answered 400'), { code: 400 }), 'send_error'],
    ['an error without a code', new Error('boom'), 'send_error'],
    // What the server counts itself is not reported again (as Sentry's SDKs do).
    ['an answered 429', Object.assign(new Error('the destination answered 429'), { code: 429 }), undefined],
    ['a partial success', Object.assign(new Error('the destination rejected 1 of the spans'), { code: 200 }), undefined],
  ];
  for (const [name, error, reason] of cases) {
    it(`${name}: ${reason ?? 'not reported'}`, async () => {
      const { processor, tracer } = setup();
      const losses: Array<[string, number]> = [];
      processor.addExporter('sentry', failingWith(error), (why, count) => losses.push([why, count]));
      for (let i = 0; i < 3; i++) tracer.startSpan(`span ${i}`).end();
      await processor.forceFlush();
      assert.deepEqual(losses, reason ? [[reason, 3]] : []);
    });
  }

  it('spans given up on at shutdown: network_error, once each, and no "queue is full" warning', async () => {
    const { processor, tracer, warnings } = setup({ scheduledDelayMillis: 60_000 });
    const losses: Array<[string, number]> = [];
    processor.addExporter('sentry', new StuckExporter(), (why, count) => losses.push([why, count]));
    for (let i = 0; i < 3; i++) tracer.startSpan(`span ${i}`).end();
    await processor.abort();
    assert.deepEqual(losses, [['network_error', 3]]);
    assert.equal(warnings.filter((line) => line.includes('is full')).length, 0);
  });

  it('a full queue: queue_overflow, counted; a throwing listener changes nothing', async () => {
    const { processor, tracer } = setup({ maxQueueSize: 2, scheduledDelayMillis: 60_000 });
    const losses: Array<[string, number]> = [];
    processor.addExporter('sentry', new StuckExporter(), (why, count) => losses.push([why, count]));
    processor.addExporter('other', new StuckExporter(), () => {
      throw new Error('observer failed');
    });
    for (let i = 0; i < 5; i++) tracer.startSpan(`span ${i}`).end();
    assert.deepEqual(losses, [['queue_overflow', 1], ['queue_overflow', 1], ['queue_overflow', 1]]);
    assert.equal(processor.stats().other.dropped, 3);
  });
});
