import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, ROOT, startChildApp } from '../support/child-app';
import { startConnectProxy } from '../support/connect-proxy';
import { useFakeBackend } from '../support/hooks';

const APP = 'express5/app.cjs';

describe('configuration from the environment (child processes)', function () {
  const backend = useFakeBackend();

  it("an app's own Sentry.init after the preload started Sentry is warned of: its client replaced ours, silently", async () => {
    const app = await startChildApp({ entry: 'express5/own-sentry-init.cjs', env: { SENTRY_DSN: backend.fake.dsn } });
    assert.equal((await app.fetch('/hello')).status, 200);
    await app.stop('SIGTERM');
    assert.match(app.output(), /Sentry\.init\(\) was called after express-otel-sentry started Sentry: that client replaced ours/);
    assert.equal(app.output().match(/that client replaced ours/g)?.length, 1, 'once');
  });

  for (const [label, rateVariables] of [
    ['SENTRY_TRACES_SAMPLE_RATE=0', { SENTRY_TRACES_SAMPLE_RATE: '0' }],
    // What an OpenTelemetry operator injects into a pod.
    ['OTEL_TRACES_SAMPLER=parentbased_traceidratio, _ARG=0', { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }],
  ] as const) {
    it(`${label}: no spans are exported, errors are still sent`, async () => {
      const app = await startChildApp({ entry: APP, env: { SENTRY_DSN: backend.fake.dsn, ...rateVariables, DATABASE_URL: backend.databaseUrl } });
      await app.fetch(`/db/1`);
      const response = await app.fetch(`/boom`);
      assert.equal(response.status, 500);
      await backend.fake.waitForEvents(1);
      const exit = await app.stop('SIGTERM');
      assert.equal(exit.signal, 'SIGTERM');
      assert.deepEqual(backend.fake.spans().map((s) => `${s.name} ${s.scope} ${s.parentSpanId ?? 'root'}`), []);
      assert.equal(backend.fake.events().length, 1);
      // Sentry's own tracing stays off although the variable is set: the event carries OpenTelemetry's trace.
      assert.match(backend.fake.events()[0].contexts.trace.trace_id, /^[0-9a-f]{32}$/);
    });
  }

  for (const [label, dsn, line] of [
    ['an empty DSN', '', /Sentry is disabled: SENTRY_DSN is empty/],
    // Reported as invalid only: not also as empty, which would contradict it.
    ['an invalid DSN', 'ftp://key@host/1', /Invalid SENTRY_DSN: received "ftp:\/\/\*\*\*@host\/1"/],
    // DSNs Sentry's own parser rejects (at the fake's address): it would print them whole and send nothing.
    ['a DSN whose key has a stray character', 'http://0123456789abcdef0123456789abcdef-@FAKE/42', /Invalid SENTRY_DSN: received "http:\/\/\*\*\*@127\.0\.0\.1:\d+\/42"/],
    ['a DSN whose secret has a dash', 'http://pub:se-cret@FAKE/42', /Invalid SENTRY_DSN: received "http:\/\/\*\*\*@127\.0\.0\.1:\d+\/42"/],
    ['a DSN whose project id is not a number', 'http://0123456789abcdef0123456789abcdef@FAKE/my-project', /Invalid SENTRY_DSN: received "http:\/\/\*\*\*@127\.0\.0\.1:\d+\/my-project"/],
  ] as const) {
    it(`${label}: nothing is sent, the app works, one line names the variable and says why`, async () => {
      const app = await startChildApp({ entry: APP, env: { SENTRY_DSN: dsn.replace('FAKE', `127.0.0.1:${backend.fake.port}`), DATABASE_URL: backend.databaseUrl } });
      assert.equal((await app.fetch(`/boom`)).status, 500);
      assert.equal((await app.fetch(`/health`)).status, 200);
      await app.stop('SIGTERM');
      assert.equal(backend.fake.rawBodies().length, 0);
      const lines = app.output().split('\n').filter((text) => text.includes('SENTRY_DSN'));
      assert.equal(lines.length, 1, app.output());
      assert.match(lines[0], line);
      assert.doesNotMatch(app.output(), /Invalid Sentry Dsn|0123456789abcdef|se-cret|Sentry initialized/, 'Sentry printed the DSN, or start-up claimed it was initialized');
    });
  }

  for (const strict of ['0', '1']) {
    it(`a .env that cannot be read (a directory of that name), strict=${strict}: skipped with one warning, telemetry starts from the real environment`, async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'dotenv-dir-'));
      mkdirSync(join(cwd, '.env'));
      try {
        const app = await startChildApp({
          entry: APP, cwd, execArgv: ['--import', pathToFileURL(join(ROOT, 'dist', 'src', 'register.js')).href],
          env: { SENTRY_DSN: backend.fake.dsn, EXPRESS_OTEL_SENTRY_STRICT: strict },
        });
        assert.equal((await app.fetch('/boom')).status, 500);
        await backend.fake.waitForEvents(1);
        await app.stop('SIGTERM');
        const warnings = app.output().split('\n').filter((line) => line.includes('.env'));
        assert.deepEqual(warnings, [`[express-otel-sentry] ${join(cwd, '.env')} was not loaded (EISDIR: illegal operation on a directory, read); telemetry is configured from the environment alone.`]);
        assert.match(app.output(), /Sentry initialized for environment: development/);
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  }

  it("OTEL_SDK_DISABLED='true ' (a trailing blank, as sdk-node trims): no spans, errors still sent, nothing reported", async () => {
    const app = await startChildApp({ entry: APP, env: { SENTRY_DSN: backend.fake.dsn, OTEL_SDK_DISABLED: 'true ', EXPRESS_OTEL_SENTRY_SPANS_TO_SENTRY: 'on ' } });
    assert.equal((await app.fetch('/boom')).status, 500);
    await backend.fake.waitForEvents(1);
    await app.stop('SIGTERM');
    assert.deepEqual(backend.fake.spans(), []);
    assert.doesNotMatch(app.output(), /Invalid/);
  });

  it('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=-1: one line reports it, and spans keep their attributes (the default limit)', async () => {
    const app = await startChildApp({ entry: APP, env: { SENTRY_DSN: backend.fake.dsn, OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '-1' } });
    assert.equal((await app.fetch('/health')).status, 200);
    await backend.fake.waitForSpans((spans) => spans.some((s) => s.kind === 'SERVER'));
    await app.stop('SIGTERM');
    const server = backend.fake.spans().find((s) => s.kind === 'SERVER');
    assert.equal(server?.attributes['http.route'], '/health');
    const lines = app.output().split('\n').filter((line) => line.includes('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT'));
    assert.deepEqual(lines, ['[express-otel-sentry] Invalid OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: received "-1"; expected a number, 0 or more. OTEL_ATTRIBUTE_COUNT_LIMIT or the default applies.']);
  });

  it('strict mode: a negative span limit stops the app at start', async () => {
    await assert.rejects(
      startChildApp({ entry: APP, env: { SENTRY_DSN: backend.fake.dsn, OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '-1', EXPRESS_OTEL_SENTRY_STRICT: '1' } }),
      /Invalid OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: received "-1"/,
    );
  });

  it('SENTRY_TRACES_SAMPLE_RATE=abc: one line naming the variable and the value; the app serves', async () => {
    const app = await startChildApp({ entry: APP, env: { SENTRY_DSN: backend.fake.dsn, SENTRY_TRACES_SAMPLE_RATE: 'abc' } });
    assert.equal((await app.fetch(`/health`)).status, 200);
    await app.stop('SIGTERM');
    const lines = app.output().split('\n').filter((line) => line.includes('SENTRY_TRACES_SAMPLE_RATE'));
    assert.equal(lines.length, 1, app.output());
    assert.match(lines[0], /"abc"/);
    assert.match(lines[0], /a number from 0 to 1/);
  });

  it('strict mode throws on the same value: the app does not start', async () => {
    await assert.rejects(
      startChildApp({ entry: APP, env: { SENTRY_DSN: backend.fake.dsn, SENTRY_TRACES_SAMPLE_RATE: 'abc', EXPRESS_OTEL_SENTRY_STRICT: '1' } }),
      /Invalid SENTRY_TRACES_SAMPLE_RATE: received "abc"/,
    );
  });

  it('logs the environment, defaults the release to <name>@<version>, warns on 1.0 in production', async () => {
    const app = await startChildApp({ entry: APP, env: { SENTRY_DSN: backend.fake.dsn, NODE_ENV: 'production', SENTRY_TRACES_SAMPLE_RATE: '1.0' } });
    await app.fetch(`/boom`);
    const [event] = await backend.fake.waitForEvents(1);
    await app.stop('SIGTERM');
    assert.match(app.output(), /Sentry initialized for environment: production/);
    assert.match(app.output(), /The trace sample rate is 1\.0 in production/);
    assert.doesNotMatch(app.output(), new RegExp(backend.fake.publicKey), 'the DSN key was printed');
    assert.equal(event.release, 'express-otel-sentry@0.1.0');
    assert.equal(event.environment, 'production');
    // No Sentry stack trace of a 500 leaks to the client in production.
  });

  const registerByPath = ['--import', pathToFileURL(join(ROOT, 'dist', 'src', 'register.js')).href];

  it('started from / (systemd\'s default working directory): the release is still the app\'s package, from its entry file', async () => {
    const app = await startChildApp({ entry: APP, cwd: '/', execArgv: registerByPath, env: { SENTRY_DSN: backend.fake.dsn } });
    await app.fetch('/boom');
    const [event] = await backend.fake.waitForEvents(1);
    await app.stop('SIGTERM');
    assert.equal(event.release, 'express-otel-sentry@0.1.0');
    assert.doesNotMatch(app.output(), /No release/);
  });

  it('no package.json near the entry file or the working directory: one warning that release health is off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-package-'));
    try {
      const entry = join(dir, 'server.cjs');
      writeFileSync(entry, `require(${JSON.stringify(join(FIXTURES, APP))});\n`);
      const app = await startChildApp({ entry, cwd: dir, execArgv: registerByPath, env: { SENTRY_DSN: backend.fake.dsn } });
      await app.fetch('/boom');
      const [event] = await backend.fake.waitForEvents(1);
      await app.stop('SIGTERM');
      assert.equal(event.release, undefined);
      assert.equal(app.output().split('\n').filter((line) => line.includes('No release')).length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const B3_TRACE_ID = '80f198ee56343ba864fe8b2a57d3eff7';
  const W3C_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
  const inbound = {
    'x-b3-traceid': B3_TRACE_ID, 'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-sampled': '1',
    traceparent: `00-${W3C_TRACE_ID}-00f067aa0ba902b7-01`,
  };
  for (const [propagators, continued] of [
    // B3 only (a service mesh's headers): the B3 trace is continued, traceparent is not read, calls carry B3.
    ['b3multi', B3_TRACE_ID],
    // None (an edge that must not trust callers' trace headers): nothing is continued or propagated.
    ['none', undefined],
  ] as const) {
    it(`OTEL_PROPAGATORS=${propagators}: the inbound trace ${continued ? 'continued from B3' : 'not continued'}, outgoing calls ${continued ? 'carry B3' : 'carry nothing'}`, async () => {
      const app = await startChildApp({ entry: APP, env: { SENTRY_DSN: backend.fake.dsn, OTEL_PROPAGATORS: propagators } });
      assert.equal((await app.fetch('/outgoing', { headers: inbound })).status, 200);
      await backend.fake.waitForSpans((spans) => spans.filter((s) => s.kind === 'SERVER').length >= 2);
      await app.stop('SIGTERM');
      const spans = backend.fake.spans();
      const outgoing = spans.find((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/outgoing')!;
      const health = spans.find((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/health')!;
      const call = spans.find((s) => s.kind === 'CLIENT' && s.traceId === outgoing.traceId)!;
      assert.ok(outgoing && health && call, JSON.stringify(spans.map((s) => [s.kind, s.name])));
      assert.notEqual(outgoing.traceId, W3C_TRACE_ID);
      if (continued) {
        assert.equal(outgoing.traceId, continued);
        assert.equal(outgoing.parentSpanId, 'e457b5a2e4d86bd1');
        assert.equal(health.parentSpanId, call.spanId, 'the call to /health did not carry the trace');
      } else {
        assert.notEqual(outgoing.traceId, B3_TRACE_ID);
        assert.equal(outgoing.parentSpanId, undefined);
        assert.notEqual(health.traceId, outgoing.traceId, 'the call to /health carried the trace');
      }
    });
  }

  it('behind an egress proxy (http_proxy): errors and spans to Sentry both go through it', async () => {
    // Sentry's host is known to the proxy only: what goes around it never arrives.
    const proxy = await startConnectProxy(undefined, { 'sentry.invalid': '127.0.0.1' });
    try {
      const dsn = backend.fake.dsn.replace('@127.0.0.1:', '@sentry.invalid:');
      const app = await startChildApp({ entry: APP, env: { SENTRY_DSN: dsn, http_proxy: proxy.url, no_proxy: 'example.invalid' } });
      assert.equal((await app.fetch('/boom')).status, 500);
      await backend.fake.waitForEvents(1);
      await backend.fake.waitForSpans((spans) => spans.some((span) => span.attributes['http.route'] === '/boom'), { source: 'sentry' });
      await app.stop('SIGTERM');
      assert.ok(proxy.heads.every((head) => head.startsWith('CONNECT sentry.invalid:')), proxy.heads.join(' | '));
    } finally {
      proxy.close();
    }
  });

  it('spans lost on the way to Sentry (a full queue) are counted in its client reports', async () => {
    const app = await startChildApp({ entry: APP, env: { SENTRY_DSN: backend.fake.dsn, OTEL_BSP_MAX_QUEUE_SIZE: '1', OTEL_BSP_SCHEDULE_DELAY: '60000' } });
    for (let i = 0; i < 3; i++) await app.fetch('/health');
    await app.stop('SIGTERM');
    await backend.fake.waitFor((f) => f.items('client_report').length > 0, { description: 'a client_report' });
    const discarded = backend.fake.items('client_report').flatMap((item) => item.json.discarded_events ?? []);
    const overflow = discarded.filter((d: { reason: string; category: string }) => d.reason === 'queue_overflow' && d.category === 'span');
    assert.ok(overflow.length > 0 && overflow.every((d: { quantity: number }) => d.quantity > 0), JSON.stringify(discarded));
  });

  it('spans lost by the last export at SIGTERM are in the final client report', async () => {
    const app = await startChildApp({ entry: APP, env: { SENTRY_DSN: backend.fake.dsn, OTEL_BSP_SCHEDULE_DELAY: '60000' } });
    await backend.fake.setMode({ status: 400, only: 'sentry-otlp-traces' });
    try {
      assert.equal((await app.fetch('/boom')).status, 500);
      await backend.fake.waitForEvents(1);
      await app.stop('SIGTERM');
      await backend.fake.waitFor((f) => f.items('client_report').length > 0, { description: 'a client_report' });
    } finally {
      await backend.fake.setMode('ok');
    }
    const discarded = backend.fake.items('client_report').flatMap((item) => item.json.discarded_events ?? []);
    assert.ok(discarded.some((d: { reason: string; category: string }) => d.reason === 'send_error' && d.category === 'span'), JSON.stringify(discarded));
  });

  it('SIGTERM with 20 events and their spans pending delivers all of them, then exits by the signal', async () => {
    const app = await startChildApp({ entry: APP, env: { SENTRY_DSN: backend.fake.dsn, OTEL_EXPORTER_OTLP_ENDPOINT: backend.fake.collectorBaseUrl } });
    await backend.fake.setMode({ delayMs: 300 });
    try {
      const response = await app.fetch(`/burst?n=20`);
      assert.equal(response.status, 200);
      const exit = await app.stop('SIGTERM');
      assert.equal(exit.signal, 'SIGTERM');
      assert.ok(exit.ms < 4000, `exit took ${exit.ms} ms`);
    } finally {
      await backend.fake.setMode('ok');
    }
    assert.equal(backend.fake.events().length, 20);
    const burst = backend.fake.spans().filter((s) => s.source === 'sentry' && s.kind === 'SERVER' && s.attributes['http.route'] === '/burst');
    assert.equal(burst.length, 1);
    assert.ok(backend.fake.spans().some((s) => s.source === 'collector' && s.attributes['http.route'] === '/burst'));
  });
});
