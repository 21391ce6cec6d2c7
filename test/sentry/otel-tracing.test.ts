import assert from 'node:assert/strict';
import * as Sentry from '@sentry/node';
import { context, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import request from 'supertest';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

const CALLER_TRACE = '5f2b8c1e9a7d4b3c8e6f1a2b3c4d5e6f';
const CALLER_SPAN = '1a2b3c4d5e6f7a8b';

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`Sentry's tracing calls answered by OpenTelemetry (${name})`, () => {
    beforeEach(() => kit.reset());

    function app() {
      const instance = express();
      instance.get('/page', (_req, res) => {
        const active = Sentry.getActiveSpan() as unknown as { spanContext(): { traceId: string; spanId: string } } | undefined;
        const otel = trace.getActiveSpan()?.spanContext();
        const suppressed = Sentry.suppressTracing(() => trace.getTracer('app').startSpan('suppressed').isRecording());
        // Makes no span (Sentry's tracing is off), but runs its callback, on the request's trace.
        const sentrySpan = Sentry.startSpan({ name: 'render' }, (span) => span.spanContext());
        const inactive = Sentry.startInactiveSpan({ name: 'later' });
        inactive.end();
        res.json({ active: active?.spanContext(), otel, data: Sentry.getTraceData(), meta: Sentry.getTraceMetaTags(), suppressed, sentrySpan });
      });
      return instance;
    }

    it('getActiveSpan is the request\'s span; getTraceData and getTraceMetaTags continue its trace (a server-rendered page)', async () => {
      // Sent untraced: this process's own client instrumentation would put its headers in the caller's place.
      const { body } = await context.with(suppressTracing(context.active()), () =>
        request(app()).get('/page').set('sentry-trace', `${CALLER_TRACE}-${CALLER_SPAN}-1`).expect(200).then((response) => response));
      assert.deepEqual(body.active, body.otel);
      assert.equal(body.active.traceId, CALLER_TRACE);
      assert.match(body.data['sentry-trace'], new RegExp(`^${CALLER_TRACE}-${body.active.spanId}-1$`));
      assert.match(body.data.baggage, new RegExp(`sentry-trace_id=${CALLER_TRACE}`));
      assert.match(body.meta, new RegExp(`<meta name="sentry-trace" content="${CALLER_TRACE}-[0-9a-f]{16}-1"/>`));
      assert.match(body.meta, /<meta name="baggage" content="[^"]*sentry-trace_id=/);
      assert.equal(body.suppressed, false, 'suppressTracing: OpenTelemetry makes no recording span inside it');
      assert.equal(body.sentrySpan.traceId, CALLER_TRACE, "Sentry.startSpan's placeholder is on the request's trace");
    });

    it('spans made inside Sentry.startSpan and withActiveSpan(placeholder) are exported, and the next service is told sampled', async () => {
      const instance = express();
      instance.get('/wrapped', (_req, res) => {
        const data = Sentry.startSpan({ name: 'work' }, () => {
          trace.getTracer('app').startActiveSpan('inner', (span) => span.end());
          return Sentry.getTraceData();
        });
        const placeholder = Sentry.startInactiveSpan({ name: 'later' });
        Sentry.withActiveSpan(placeholder, () => trace.getTracer('app').startActiveSpan('inner-2', (span) => span.end()));
        placeholder.end();
        res.json(data);
      });
      const { body } = await request(instance).get('/wrapped').expect(200);
      assert.match(body['sentry-trace'], /-1$/);
      const spans = await kit.waitForSpans((span) => span.name === 'inner' || span.name === 'inner-2');
      assert.equal(spans.length >= 1, true);
      await kit.flush();
      assert.deepEqual(kit.spans().filter((span) => span.name.startsWith('inner')).map((span) => span.name).sort(), ['inner', 'inner-2']);
    });

    it('getTraceMetaTags carries only Sentry\'s own members, checked: a caller\'s baggage cannot put markup or its values into the page', async () => {
      const { body } = await context.with(suppressTracing(context.active()), () =>
        request(app()).get('/page')
          .set('sentry-trace', `${CALLER_TRACE}-${CALLER_SPAN}-1`)
          .set('baggage', `x=1;"><script>alert(document.cookie)</script>,tenant=acme,user_email=ann%40example.com,sentry-trace_id=${CALLER_TRACE},sentry-release=a"><b>`)
          .expect(200).then((response) => response));
      assert.doesNotMatch(body.meta, /<script|<b>|tenant|user_email|"></);
      assert.match(body.meta, /<meta name="baggage" content="sentry-trace_id=/);
    });

    it('startNewTrace and withActiveSpan(null) start one new trace inside a request, as Sentry documents: its spans, headers and errors share it', async () => {
      const instance = express();
      instance.get('/new', (_req, res) => {
        const request = trace.getActiveSpan()!.spanContext().traceId;
        const inner = (run: (callback: () => unknown) => unknown) =>
          run(() => {
            const ids = [1, 2].map(() => trace.getTracer('app').startActiveSpan('job', (span) => (span.end(), span.spanContext().traceId)));
            Sentry.getCurrentScope().setTag('inner', 'not on the request');
            const eventId = Sentry.captureException(new Error('inside the new trace'));
            return { ids, header: Sentry.getTraceData()['sentry-trace'], eventId };
          });
        const fresh = inner((callback) => Sentry.startNewTrace(callback));
        const none = inner((callback) => Sentry.withActiveSpan(null, callback));
        const outside = Sentry.captureException(new Error('on the request'));
        res.json({ request, fresh, none, outside });
      });
      const { body } = await request(instance).get('/new').expect(200);
      const events = await kit.waitForEvents(3);
      const traceOf = (id: string) => events.find((event) => event.event_id === id)?.contexts?.trace?.trace_id;
      for (const started of [body.fresh, body.none]) {
        const [first, second] = started.ids;
        assert.notEqual(first, body.request);
        assert.equal(second, first, 'one trace, not one per root span');
        assert.match(started.header, new RegExp(`^${first}-[0-9a-f]{16}-1$`), 'the kit samples everything: so does the header');
        assert.equal(traceOf(started.eventId), first);
      }
      const outside = events.find((event) => event.event_id === body.outside)!;
      assert.equal(outside.contexts?.trace?.trace_id, body.request);
      assert.equal(outside.tags?.inner, undefined, 'what the callback set stays in its forked scope');
    });

    it('continueTrace from a caller that left the decision open: headers written before any span carry our decision', () => {
      const data = Sentry.continueTrace(
        { sentryTrace: `${CALLER_TRACE}-${CALLER_SPAN}`, baggage: `sentry-trace_id=${CALLER_TRACE},sentry-sample_rand=0.5` },
        () => Sentry.getTraceData(),
      );
      // The kit samples everything: our rate is 1, and 0.5 is below it.
      assert.match(data['sentry-trace'] ?? '', new RegExp(`^${CALLER_TRACE}-[0-9a-f]{16}-1$`));
      assert.match(data.baggage ?? '', /sentry-sampled=true/);
    });

    it('continueTrace continues in OpenTelemetry\'s context (a job picked up from a queue)', async () => {
      const traceId = await Sentry.continueTrace({ sentryTrace: `${CALLER_TRACE}-${CALLER_SPAN}-1`, baggage: undefined }, () =>
        trace.getTracer('job').startActiveSpan('job', (span) => {
          span.end();
          return span.spanContext().traceId;
        }));
      assert.equal(traceId, CALLER_TRACE);
    });
  });
}
