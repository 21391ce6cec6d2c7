import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { startChildApp, type ChildApp } from '../support/child-app';
import type { RecordedSpan } from '../support/fake-sentry';
import { useFakeBackend } from '../support/hooks';

const VARIANTS = ['express5/app.cjs', 'express5/app.mjs', 'express4/app.cjs', 'express4/app.mjs'];
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

function descendsFrom(span: RecordedSpan, ancestor: RecordedSpan, all: RecordedSpan[]): boolean {
  const byId = new Map(all.map((s) => [s.spanId, s]));
  let current: RecordedSpan | undefined = span;
  for (let depth = 0; current && depth < 50; depth++) {
    if (current.parentSpanId === ancestor.spanId) return true;
    current = current.parentSpanId ? byId.get(current.parentSpanId) : undefined;
  }
  return false;
}

describe('tracing layer (child processes, --import express-otel-sentry/register)', function () {
  const backend = useFakeBackend();
  const env = () => ({
    SENTRY_DSN: backend.fake.dsn,
    DATABASE_URL: backend.databaseUrl,
    OTEL_EXPORTER_OTLP_ENDPOINT: backend.fake.collectorBaseUrl,
    SENTRY_ENVIRONMENT: 'staging',
  });

  for (const preload of ['express-otel-sentry/register', join(__dirname, 'fixtures', 'shared', 'instrument.cjs')]) {
    it(`express5/app.mjs preloaded with --require ${basename(preload)}: one telemetry, not a second in Node's loader-hooks thread`, async () => {
      const app = await startChildApp({ entry: 'express5/app.mjs', env: { ...env(), SENTRY_DSN: '' }, execArgv: ['--require', preload] });
      try {
        assert.equal((await app.fetch('/db/5')).status, 200);
        assert.equal(app.output().match(/Sentry is disabled/g)?.length, 1, app.output());
      } finally {
        await app.stop();
      }
    });
  }

  describe('express5/init-in-code.mjs: an ES module app calling initTelemetry() itself, no preload', () => {
    let app: ChildApp;
    before(async () => {
      app = await startChildApp({ entry: 'express5/init-in-code.mjs', env: env(), execArgv: [] });
    });
    after(async () => {
      await app?.stop();
    });

    it('its express, knex and pg are instrumented (the loader hook is registered by initTelemetry too)', async () => {
      assert.equal((await app.fetch('/db/5')).status, 200);
      const spans = await backend.fake.waitForSpans((all) => all.some((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/db/:id'), { source: 'sentry' });
      const server = spans.find((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/db/:id')!;
      const trace = backend.fake.spans().filter((s) => s.traceId === server.traceId);
      assert.ok(trace.some((s) => s.scope.includes('express')), 'no express spans');
      assert.doesNotMatch(app.output(), /loaded before telemetry started/);
    });
  });

  for (const entry of ['express5/imports-express.cjs', 'express4/imports-express.cjs']) {
    it(`${entry}: a CommonJS app whose express an ES module imports (Nest 12's adapter) gets its routes traced`, async () => {
      const app = await startChildApp({ entry, env: env() });
      try {
        assert.equal((await app.fetch('/db/5')).status, 200);
        const spans = await backend.fake.waitForSpans((all) => all.some((s) => s.kind === 'SERVER'), { source: 'sentry' });
        const server = spans.find((s) => s.kind === 'SERVER')!;
        assert.equal(server.name, 'GET /db/:id');
        await backend.fake.waitForSpans((all) => all.some((s) => s.traceId === server.traceId && s.scope.includes('express')), { source: 'sentry' });
      } finally {
        await app.stop();
      }
    });
  }

  for (const variant of VARIANTS) {
    describe(variant, () => {
      let app: ChildApp;
      before(async () => {
        app = await startChildApp({
          entry: variant,
          env: env(),
        });
      });
      after(async () => {
        await app?.stop();
      });

      it('traces a request: server span with http.route, express spans, knex and pg client spans below it, SQL without values', async () => {
        const response = await app.fetch(`/db/5`);
        assert.equal(response.status, 200);
        await backend.fake.waitForSpans((spans) => spans.some((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/db/:id'), { source: 'sentry' });
        await backend.fake.waitForSpans((spans) => spans.filter((s) => s.attributes['db.system.name'] === 'postgresql').length >= 2);
        const spans = backend.fake.spans().filter((s) => s.source === 'sentry');
        const server = spans.find((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/db/:id');
        assert.ok(server, `no server span with http.route; got ${spans.map((s) => `${s.kind}:${s.name}`).join(', ')}`);
        const trace = spans.filter((s) => s.traceId === server.traceId);
        const express = trace.filter((s) => s.scope.includes('express'));
        assert.ok(express.length > 0, 'no express spans');
        const knex = trace.filter((s) => s.scope.includes('knex') && s.kind === 'CLIENT');
        const pg = trace.filter((s) => s.scope.includes('pg') && s.kind === 'CLIENT' && s.attributes['db.system.name'] === 'postgresql');
        assert.ok(knex.length >= 1, 'no knex client span');
        assert.ok(pg.length >= 2, 'expected pg spans for the knex query and the raw query');
        for (const span of [...knex, ...pg]) {
          assert.equal(span.attributes['db.system.name'], 'postgresql');
          assert.ok(descendsFrom(span, server, trace), `${span.name} does not descend from the server span`);
        }
        const texts = [...knex, ...pg].map((s) => String(s.attributes['db.query.text'] ?? ''));
        assert.ok(texts.some((t) => t.includes('$1')), `pg text should be parameterized: ${texts.join(' | ')}`);
        assert.deepEqual(backend.fake.findSecrets(['param-value-never-exported', 'secret-label-value']), []);
      });

      it('reports a thrown error once, with a stack trace, on the trace of the continued inbound traceparent', async () => {
        const response = await app.fetch(`/boom`, { headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } });
        assert.equal(response.status, 500);
        const body = (await response.json()) as { error: string; eventId: string };
        assert.equal(body.error, 'Internal Server Error');
        const [event] = await backend.fake.waitForEvents(1);
        await backend.fake.waitForSpans((spans) => spans.some((s) => s.kind === 'SERVER' && s.traceId === TRACE_ID));
        const server = backend.fake.spans().find((s) => s.kind === 'SERVER' && s.traceId === TRACE_ID)!;
        assert.equal(event.event_id, body.eventId);
        assert.equal(event.contexts.trace.trace_id, TRACE_ID);
        assert.equal(server.parentSpanId, '00f067aa0ba902b7');
        const frames = event.exception.values[0].stacktrace.frames;
        assert.ok(frames.length > 0, 'no stack frames');
        assert.equal(event.exception.values[0].value, 'Test error - this should appear in Sentry!');
        assert.equal(event.tags['error.category'], 'http_5xx');
        assert.equal(event.environment, 'staging');
        // The release is the entry file's package: the Express 4 fixtures sit in a workspace of their own.
        assert.equal(event.release, variant.startsWith('express4/') ? 'fixture-express4@1.0.0' : 'express-otel-sentry@0.1.0');
        await app.stop('SIGTERM').then(() => undefined);
        assert.equal(backend.fake.events().length, 1, 'the error was reported more than once');
        app = await startChildApp({
          entry: variant,
          env: env(),
        });
      });

      it('never traces its own requests to Sentry; the collector receives the same spans as Sentry', async () => {
        await app.fetch(`/outgoing`);
        await app.fetch(`/boom`);
        await backend.fake.waitForEvents(1);
        await app.stop('SIGTERM');
        const own = backend.fake.spans().filter((s) => /\/api\/42\/|sentry_key|\/collector/.test(String(s.attributes['url.full'] ?? s.attributes['url.path'] ?? '')));
        assert.deepEqual(own.map((s) => s.name), []);
        const sentryIds = backend.fake.spans().filter((s) => s.source === 'sentry').map((s) => s.spanId).sort();
        const collectorIds = backend.fake.spans().filter((s) => s.source === 'collector').map((s) => s.spanId).sort();
        assert.ok(sentryIds.length > 0);
        assert.deepEqual(collectorIds, sentryIds);
        assert.ok(backend.fake.spans().some((s) => s.kind === 'CLIENT' && String(s.attributes['url.full'] ?? '').includes('/health')), 'the outgoing fetch was not traced');
        app = await startChildApp({
          entry: variant,
          env: env(),
        });
      });
    });
  }
});
