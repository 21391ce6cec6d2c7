/**
 * Shutdown (issue 7): on SIGTERM the preload flushes pending events and spans within its bound (2 s by
 * default), then the process ends by the signal, as Node would have. A backend that is down (refusing,
 * black-holed, slow) cannot keep the process alive past the bound.
 * (The healthy /burst case with captureException is in test/integration/config.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, type ChildApp } from '../support/child-app';
import { startFakeSentry, type FakeSentry, type FakeSentryMode } from '../support/fake-sentry';
import { SYN_HOLE } from '../support/syn-hole';
import { HOLD_PROCESS_MS } from '../../src/http-client/client';
import { assertHealthy, startReliabilityApp } from './support';

const ERRORS = 20;
/** The preload's default flush bound plus what a loaded 2-core machine needs to end a process. */
const SHUTDOWN_TIMEOUT_MS = 2000;
const PROCESS_OVERHEAD_MS = 1500;
const EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + PROCESS_OVERHEAD_MS;

/** 20 failing requests at once: 20 events and 20 traces pending in the child. */
async function failTwentyRequests(app: ChildApp): Promise<void> {
  const responses = await Promise.all(Array.from({ length: ERRORS }, (_, i) => app.fetch(`/error?n=shutdown-${i}`)));
  assert.deepEqual(responses.map((r) => r.status), Array(ERRORS).fill(500));
  await Promise.all(responses.map((r) => r.arrayBuffer()));
}

describe('reliability: SIGTERM with events and spans in flight', function () {
  this.timeout(60_000);
  let fake: FakeSentry;
  const exits: Array<{ backend: string; ms: number; events: number }> = [];

  before(async () => {
    fake = await startFakeSentry();
  });
  after(async () => {
    if (exits.length > 0) {
      console.log(`\n  SIGTERM exit times (bound ${EXIT_BOUND_MS} ms = ${SHUTDOWN_TIMEOUT_MS} ms flush + ${PROCESS_OVERHEAD_MS} ms process overhead)`);
      console.table(exits);
    }
    await fake?.close();
  });
  beforeEach(async () => {
    await fake.setMode('ok');
    fake.reset();
  });

  it('healthy but slowish backend (500 ms answers): 20/20 events and every span of their traces delivered, exit by the signal within the bound', async () => {
    const app = await startReliabilityApp(fake);
    await fake.setMode({ delayMs: 500 });
    await failTwentyRequests(app);
    const exit = await app.stop('SIGTERM');
    exits.push({ backend: 'ok, 500 ms answers', ms: exit.ms, events: fake.events().length });
    assert.equal(exit.signal, 'SIGTERM', app.output());
    assert.ok(exit.ms < EXIT_BOUND_MS, `exit took ${exit.ms} ms`);

    const events = fake.events().filter((e) => String(e.exception?.values?.[0]?.value).startsWith('reliability error shutdown-'));
    assert.equal(events.length, ERRORS, fake.summary());
    assert.equal(new Set(events.map((e) => e.exception.values[0].value)).size, ERRORS, 'an event was sent twice');
    for (const source of ['sentry', 'collector'] as const) {
      const spans = fake.spans().filter((s) => s.source === source);
      for (const event of events) {
        const traceId = event.contexts.trace.trace_id;
        const trace = spans.filter((s) => s.traceId === traceId);
        assert.ok(trace.some((s) => s.kind === 'SERVER'), `${source}: no server span for the trace of "${event.exception.values[0].value}"`);
        assert.ok(trace.some((s) => s.name === 'request handler'), `${source}: no express span for "${event.exception.values[0].value}"`);
        assert.ok(trace.some((s) => s.spanId === event.contexts.trace.span_id), `${source}: the event's span was not delivered`);
      }
    }
    assert.doesNotMatch(app.output(), /RELIABILITY_UNHANDLED_REJECTION|RELIABILITY_UNCAUGHT_EXCEPTION/);
  });

  const down: Array<{ name: string; mode: FakeSentryMode; undelivered: RegExp }> = [
    { name: 'refusing connections', mode: 'refuse', undelivered: /\d+ span\(s\) to sentry \(connect ECONNREFUSED [\d.:]+\), \d+ span\(s\) to otlp \(connect ECONNREFUSED/ },
    { name: 'black hole (accepts, never answers)', mode: 'blackhole', undelivered: /\d+ envelope\(s\) to Sentry \(Sentry had not answered yet\), \d+ span\(s\) to sentry \(no answer before the shutdown\)/ },
    { name: 'slow (5 s answers)', mode: { delayMs: 5000 }, undelivered: /\d+ envelope\(s\) to Sentry \(Sentry had not answered yet\), \d+ span\(s\) to sentry \(no answer before the shutdown\)/ },
  ];
  for (const backend of down) {
    it(`backend ${backend.name}: the process still ends by the signal within the bound`, async () => {
      const app = await startReliabilityApp(fake);
      await fake.setMode(backend.mode);
      try {
        await failTwentyRequests(app);
        assertHealthy(app);
        const exit = await app.stop('SIGTERM');
        exits.push({ backend: backend.name, ms: exit.ms, events: fake.events().length });
        assert.equal(exit.signal, 'SIGTERM', app.output());
        assert.ok(exit.ms < EXIT_BOUND_MS, `exit took ${exit.ms} ms`);
        assert.doesNotMatch(app.output(), /RELIABILITY_UNHANDLED_REJECTION|RELIABILITY_UNCAUGHT_EXCEPTION/);
        // What the outage cost is said once on the way out, with the destination's reason, not the abort's.
        const shutdownLines = app.output().split('\n').filter((line) => line.includes('shutdown: not delivered'));
        assert.equal(shutdownLines.length, 1, app.output());
        assert.match(shutdownLines[0], backend.undelivered, app.output());
        assert.doesNotMatch(app.output(), /the client is closed/);
      } finally {
        await fake.setMode('ok');
      }
    });
  }

  describe('how the app itself treats the signal', () => {
    const SIGNAL_APP = join(__dirname, 'fixtures', 'lifecycle-app.cjs');
    const stopWithin = async (app: ChildApp, ms: number) => {
      const exit = await Promise.race([app.stop('SIGTERM'), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms))]);
      if (!exit) app.process.kill('SIGKILL');
      return exit;
    };

    it('exit hooks through signal-exit (not a handler): the process still ends by the signal, hooks and flush done', async () => {
      const app = await startReliabilityApp(fake, { SIGNAL_APP: 'signal-exit' }, SIGNAL_APP);
      assert.equal((await app.fetch('/ok')).status, 200);
      const exit = await stopWithin(app, EXIT_BOUND_MS);
      assert.ok(exit, `still running ${EXIT_BOUND_MS} ms after SIGTERM (each waited for the other):\n${app.output()}`);
      assert.equal(exit.signal, 'SIGTERM', app.output());
      assert.match(app.output(), /EXIT HOOK SIGTERM/);
      assert.ok(fake.spans().some((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/ok'), 'the span was not flushed');
    });

    it('its own graceful handler keeps control: what fails while it closes is still reported and exported', async () => {
      const app = await startReliabilityApp(fake, { SIGNAL_APP: 'graceful' }, SIGNAL_APP);
      const inFlight = app.fetch('/slow-fail');
      // SIGTERM only once the request is in the app's hands (a loaded machine may take a while to accept it).
      for (let waited = 0; !app.output().includes('SLOW-FAIL RECEIVED') && waited < 10_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      const exit = await stopWithin(app, EXIT_BOUND_MS + 1000);
      assert.equal((await inFlight).status, 500);
      assert.deepEqual(exit && { code: exit.code, signal: exit.signal }, { code: 0, signal: null }, app.output());
      assert.match(app.output(), /APP FLUSHED true/);
      const [event] = fake.events().filter((e) => e.exception?.values?.[0]?.value === 'in-flight request failed during graceful shutdown');
      assert.ok(event, `the in-flight error was not delivered: ${fake.summary()}`);
      assert.ok(fake.spans().some((s) => s.traceId === event.contexts.trace.trace_id && s.kind === 'SERVER'), 'its server span was not delivered');
    });
  });

  describe('ends other than by a signal: the spans that ended before leave with the events', () => {
    it('an uncaught exception: the fatal event and the earlier requests\' spans are delivered, exit code 1', async () => {
      const app = await startReliabilityApp(fake, {}, join(__dirname, 'fixtures', 'lifecycle-app.cjs'));
      assert.equal((await app.fetch('/ok')).status, 200);
      assert.equal((await app.fetch('/crash-later')).status, 200);
      const exit = await app.exited;
      assert.equal(exit.code, 1, app.output());
      assert.ok(fake.events().some((e) => e.level === 'fatal' && e.exception?.values?.[0]?.value === 'uncaught crash after the response'), fake.summary());
      for (const route of ['/ok', '/crash-later']) {
        assert.ok(fake.spans().some((s) => s.kind === 'SERVER' && s.attributes['http.route'] === route), `no span of ${route}: ${fake.summary()}`);
      }
    });

    it('an uncaught exception while Sentry never answers: the exit says the fatal event was not delivered', async () => {
      const app = await startReliabilityApp(fake, {}, join(__dirname, 'fixtures', 'lifecycle-app.cjs'));
      await fake.setMode('blackhole');
      try {
        assert.equal((await app.fetch('/crash-later')).status, 200);
        const exit = await app.exited;
        assert.equal(exit.code, 1, app.output());
        assert.match(app.output(), /shutdown: not delivered, and not counted in an earlier line: \d+ envelope\(s\) to Sentry \(Sentry had not answered yet\)/);
      } finally {
        await fake.setMode('ok');
      }
    });

    const runJob = async (env: NodeJS.ProcessEnv) => {
      const started = Date.now();
      const child = spawn(process.execPath, ['--import', pathToFileURL(join(ROOT, 'dist', 'src', 'register.js')).href, join(__dirname, 'fixtures', 'job.cjs')], {
        cwd: ROOT,
        env: { ...process.env, SENTRY_DSN: '', OTEL_EXPORTER_OTLP_ENDPOINT: '', SENTRY_ENVIRONMENT: 'test', SENTRY_LOCAL_VIEW: '0', ...env },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      const [code] = (await once(child, 'exit')) as [number | null];
      return { code, ms: Date.now() - started, output };
    };

    /** How long the job takes with a Sentry that answers at once: start-up, its work and its exit. */
    let healthyJobMs = EXIT_BOUND_MS;

    it('a script that ends by draining its event loop: its span and its message are delivered', async () => {
      const { code, ms } = await runJob({ SENTRY_DSN: fake.dsn });
      healthyJobMs = ms;
      assert.equal(code, 0);
      assert.ok(fake.events().some((e) => e.message === 'nightly job done'), fake.summary());
      assert.ok(fake.spans().some((s) => s.name === 'cleanup expired bookings'), `the job's span was not delivered: ${fake.summary()}`);
    });

    /** Runs `job` against the fake in `mode`, then puts the fake back to answering. */
    const withBackend = async (mode: FakeSentryMode, job: () => Promise<void>) => {
      await fake.setMode(mode);
      try {
        await job();
      } finally {
        await fake.setMode('ok');
      }
    };

    it('…and a collector that never answers holds it no longer than the flush bound', () => withBackend('blackhole', async () => {
      const { code, ms } = await runJob({ OTEL_EXPORTER_OTLP_ENDPOINT: fake.collectorBaseUrl });
      exits.push({ backend: 'job, black-hole collector', ms, events: 0 });
      assert.equal(code, 0);
      assert.ok(ms < EXIT_BOUND_MS, `the job took ${ms} ms to end`);
    }));

    it('…and a Sentry that never answers holds it no longer than the hold of envelopes in flight (10 s each before)', () => withBackend('blackhole', async () => {
      const { code, ms } = await runJob({ SENTRY_DSN: fake.dsn });
      exits.push({ backend: 'job, black-hole Sentry', ms, events: 0 });
      assert.equal(code, 0);
      const bound = healthyJobMs + HOLD_PROCESS_MS + PROCESS_OVERHEAD_MS;
      assert.ok(ms < bound, `the job took ${ms} ms to end (${healthyJobMs} ms with a Sentry that answers; bound ${bound} ms)`);
    }));

    it('…and a Sentry whose host drops the connection attempts (a firewall DROP) holds it a few seconds, not 31', async function () {
      // A listener that never accepts, its backlog filled: the kernel drops further SYNs. Node cannot make
      // one (it accepts everything), Python can.
      const hole = spawn('python3', ['-c', SYN_HOLE], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const [line] = (await once(hole.stdout, 'data')) as [Buffer];
        const { code, ms } = await runJob({ SENTRY_DSN: `http://public@127.0.0.1:${line.toString().trim()}/1` });
        exits.push({ backend: 'job, Sentry dropping SYNs', ms, events: 0 });
        assert.equal(code, 0);
        // What was in flight (2 s), what its exit sends (2 s), an export retry: each connection given up on after 2 s.
        const bound = healthyJobMs + 3 * HOLD_PROCESS_MS + PROCESS_OVERHEAD_MS;
        assert.ok(ms < bound, `the job took ${ms} ms to end (bound ${bound} ms)`);
      } finally {
        hole.kill();
      }
    });

    it('a job that flushes is waited for as long as it asked, even past the hold of envelopes in flight', () => withBackend({ delayMs: HOLD_PROCESS_MS + 1000 }, async () => {
      const { code, output } = await runJob({ SENTRY_DSN: fake.dsn, JOB_FLUSH_MS: String(HOLD_PROCESS_MS + 4000) });
      assert.equal(code, 0);
      assert.match(output, /JOB FLUSHED true/);
      assert.ok(fake.events().some((e) => e.message === 'nightly job done'), fake.summary());
    }));
  });
});
