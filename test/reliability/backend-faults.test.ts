/**
 * Delivery that survives the backend (S16, issue 7): each fault of the fake Sentry under load from a
 * second process. Per fault: the app stays up with no unhandled rejection, every request is answered,
 * RSS grows less than 100 MB, queues stay bounded, and delivery of events and spans resumes once the
 * backend is back. Prints a table of the figures, p99 against a healthy run among them: latency is
 * measured and reported, never asserted (a shared 2-core machine moves it by a third between runs;
 * bench/ is where speed is compared).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startChildApp, type ChildApp } from '../support/child-app';
import { startFakeSentry, type FakeSentry, type FakeSentryMode } from '../support/fake-sentry';
import {
  FIXTURES, LONG, MB, assertHealthy, flushChild, getJson, median, rssOf, runLoad, spanStatsOf, startReliabilityApp,
  type LoadResult, type QueueStats,
} from './support';

const LOAD_SECONDS = LONG ? 60 : 4;
const CONNECTIONS = 10;
const MAX_RSS_GROWTH = 100 * MB;
/** The library's default bound on spans waiting per destination (maxQueuedSpans). */
const MAX_QUEUED_SPANS = 2048;

interface Fault {
  name: string;
  mode: FakeSentryMode;
}

const FAULTS: Fault[] = [
  { name: 'refuse', mode: 'refuse' },
  { name: 'blackhole', mode: 'blackhole' },
  { name: 'slow 5 s', mode: { delayMs: 5000 } },
  { name: '429 Retry-After 2', mode: { status: 429, retryAfter: 2 } },
  { name: '500', mode: { status: 500 } },
];

interface Row {
  fault: string;
  healthyP99: number[];
  faultP99: number[];
  ratio: number;
  rps: number;
  rssBefore: number;
  rssAfterLoad: number;
  rssAfterRecovery: number;
  attemptsToRecover: number;
  spans: string;
}

const fmt = (ms: number): string => ms.toFixed(1);

function printTable(rows: Row[]): void {
  const table = rows.map((row) => ({
    fault: row.fault,
    'healthy p99 ms': row.healthyP99.map(fmt).join('/'),
    'fault p99 ms': row.faultP99.map(fmt).join('/'),
    ratio: row.ratio.toFixed(2),
    'fault rps': Math.round(row.rps),
    'RSS before MB': (row.rssBefore / MB).toFixed(0),
    'RSS Δ load MB': ((row.rssAfterLoad - row.rssBefore) / MB).toFixed(1),
    'RSS Δ recovered MB': ((row.rssAfterRecovery - row.rssBefore) / MB).toFixed(1),
    'requests until delivered again': row.attemptsToRecover,
    'sentry span queue (queued/failed/dropped)': row.spans,
  }));
  console.log(
    `\n  backend faults: ${LOAD_SECONDS} s of load per run, ${CONNECTIONS} connections, GET /work (every 10th request captures an error);` +
      ' healthy = the fake answers 200 at once without decoding',
  );
  console.table(table);
}

/**
 * Sends one failing request at a time until the fake has both its event and its server span (from
 * Sentry's OTLP endpoint and the collector): the SDK may still be backing off or timing out, and the span
 * queue may still be full of spans from the outage (new ones are then dropped, by design).
 */
async function sendUntilDelivered(app: ChildApp, fake: FakeSentry, maxAttempts = 25): Promise<number> {
  const isRecovery = (value: unknown) => String(value).includes('recovery-');
  const delivered = (f: FakeSentry) =>
    f.events().some((e) => isRecovery(e.exception?.values?.[0]?.value)) &&
    ['sentry', 'collector'].every((source) =>
      f.spans().some((s) => s.source === source && s.kind === 'SERVER' && isRecovery(s.attributes['url.query'] ?? s.attributes['url.full'] ?? s.attributes['http.target'])),
    );
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const response = await app.fetch(`/error?n=recovery-${attempt}`);
    assert.equal(response.status, 500);
    // Spans leave in batches at least once a second; events at once.
    if (await fake.waitFor(delivered, { timeout: 1500 }).then(() => true, () => false)) return attempt;
  }
  throw new Error(`events and spans were not delivered after ${maxAttempts} attempts:\n${fake.summary()}`);
}

/**
 * The baseline: a backend that accepts everything at once. The fake answers 200 without decoding, so
 * that its own CPU (it shares the machine with the app) does not slow the healthy run down: decoding
 * every envelope and span made the healthy runs slower than any fault, hiding what the app itself pays.
 */
async function healthyRun(app: ChildApp, fake: FakeSentry): Promise<LoadResult> {
  await fake.setMode({ status: 200 });
  try {
    return await runLoad(app, '/work', LOAD_SECONDS, CONNECTIONS);
  } finally {
    await fake.setMode('ok');
  }
}

/** Envelope requests that carried an error event, whatever the fake answered. */
function eventEnvelopeRequests(fake: FakeSentry): number {
  return fake.rawBodies().filter((r) => r.route === 'envelope' && r.body.includes('"type":"event"')).length;
}

describe('reliability: backend faults under load (child process + autocannon)', function () {
  this.timeout((LOAD_SECONDS * 8 + 60) * 1000);
  let fake: FakeSentry;
  let app: ChildApp;
  const rows: Row[] = [];

  before(async function () {
    this.timeout(120_000);
    fake = await startFakeSentry();
    app = await startReliabilityApp(fake);
    await runLoad(app, '/work', 2, CONNECTIONS); // warm-up: JIT, connection pools, first exports
  });

  after(async () => {
    if (rows.length > 0) printTable(rows);
    await app?.stop('SIGKILL');
    await fake?.close();
  });

  for (const fault of FAULTS) {
    it(`${fault.name}: no crash, no unhandled rejection, every request answered, RSS bounded, delivery resumes`, async () => {
      fake.reset();
      const healthy = await healthyRun(app, fake);
      assert.equal(healthy.errors + healthy.non2xx, 0, 'the healthy run had failures');
      const rssBefore = await rssOf(app);
      const statsBefore = (await spanStatsOf(app)).sentry;
      const capturedBefore = (await getJson<{ counters: { captured: number } }>(app, '/__stats')).counters.captured;
      fake.reset();
      await fake.setMode(fault.mode);
      let load: LoadResult;
      let statsAfter: QueueStats;
      let eventRequests: number;
      let capturedDuring: number;
      try {
        load = await runLoad(app, '/work', LOAD_SECONDS, CONNECTIONS);
        statsAfter = (await spanStatsOf(app)).sentry;
        eventRequests = eventEnvelopeRequests(fake);
        capturedDuring = (await getJson<{ counters: { captured: number } }>(app, '/__stats')).counters.captured - capturedBefore;
      } finally {
        await fake.setMode('ok');
      }
      const rssAfterLoad = await rssOf(app);
      assertHealthy(app);
      assert.equal(load.errors, 0, 'requests of the app failed');
      assert.equal(load.non2xx, 0, 'requests of the app were answered with an error');
      assert.ok(statsAfter.queued <= MAX_QUEUED_SPANS, `span queue grew past its bound: ${statsAfter.queued}`);

      // Latency: a ratio to the healthy run of this test, reported in the table.
      const healthyP99 = [healthy.p99];
      const faultP99 = [load.p99];
      const ratio = median(faultP99) / median(healthyP99);

      fake.reset();
      const attemptsToRecover = await sendUntilDelivered(app, fake);
      const rssAfterRecovery = await rssOf(app);
      assertHealthy(app);

      rows.push({
        fault: fault.name, healthyP99, faultP99, ratio, rps: load.rps, rssBefore, rssAfterLoad, rssAfterRecovery, attemptsToRecover,
        spans: `${statsAfter.queued}/${statsAfter.failed - statsBefore.failed}/${statsAfter.dropped - statsBefore.dropped}`,
      });

      assert.ok(rssAfterLoad - rssBefore < MAX_RSS_GROWTH, `RSS grew by ${((rssAfterLoad - rssBefore) / MB).toFixed(1)} MB`);
      assert.ok(rssAfterRecovery - rssBefore < MAX_RSS_GROWTH, `RSS after recovery is ${((rssAfterRecovery - rssBefore) / MB).toFixed(1)} MB above`);

      if (typeof fault.mode === 'object' && 'status' in fault.mode && fault.mode.status === 429) {
        // Honoured: without Retry-After every captured event would be one request; with it, a handful per window.
        console.log(`    429: ${capturedDuring} events captured, ${eventRequests} envelope request(s) with an event reached the backend`);
        assert.ok(capturedDuring > 0);
        assert.ok(eventRequests * 5 < capturedDuring, `${eventRequests} event envelopes sent for ${capturedDuring} events: Retry-After not honoured`);
        // The drop is counted: once Sentry is back, a client report says how many events were discarded.
        await flushChild(app);
        await fake.waitFor((f) => f.items('client_report').length > 0, { description: 'a client_report' });
        const discarded = fake.items('client_report').flatMap((i) => i.json.discarded_events ?? []);
        const backoff = discarded.filter((d: any) => d.reason === 'ratelimit_backoff' && d.category === 'error');
        assert.ok(backoff.reduce((n: number, d: any) => n + d.quantity, 0) > 0, `no ratelimit_backoff drop reported: ${JSON.stringify(discarded)}`);
        assert.ok(statsAfter.failed + statsAfter.dropped > statsBefore.failed + statsBefore.dropped, 'the span queue counted no loss under 429');
      }
    });
  }
});

describe('reliability: flush says whether what was queued arrived', function () {
  this.timeout(60_000);

  it('false when the backend refused what was sent (500 to events and spans), true once it accepts again', async () => {
    const fake = await startFakeSentry();
    const app = await startReliabilityApp(fake);
    try {
      await fake.setMode({ status: 500 });
      assert.equal((await app.fetch('/error?n=refused')).status, 500);
      assert.equal((await flushChild(app)).ok, false);
      await fake.setMode('ok');
      assert.equal((await app.fetch('/error?n=accepted')).status, 500);
      assert.equal((await flushChild(app)).ok, true);
      assertHealthy(app);
    } finally {
      await app.stop('SIGKILL');
      await fake.close();
    }
  });
});

describe('reliability: a burst of errors against a slow Sentry', function () {
  this.timeout(60_000);

  it('150 concurrent failing requests: 150 events arrive (the client\'s own processing buffer held 64)', async () => {
    const fake = await startFakeSentry();
    const app = await startReliabilityApp(fake);
    try {
      await fake.setMode({ delayMs: 300 });
      const statuses = await Promise.all(Array.from({ length: 150 }, (_, i) => app.fetch(`/error?n=burst-${i}`).then((response) => response.status)));
      assert.deepEqual([...new Set(statuses)], [500]);
      assert.equal((await flushChild(app)).ok, true);
      assert.equal(fake.events().length, 150, fake.summary());
      assertHealthy(app);
    } finally {
      await app.stop('SIGKILL');
      await fake.close();
    }
  });
});

describe('reliability: a slow Sentry keeps no request alive', function () {
  this.timeout(90_000);

  it('20 failed requests with 256 KB bodies, Sentry answering in 20 s: their bodies are collectable at once (the send kept each request\'s context)', async () => {
    const fake = await startFakeSentry();
    const app = await startChildApp({
      entry: join(FIXTURES, 'retention-app.cjs'),
      execArgv: ['--expose-gc', '--import', 'express-otel-sentry/register'],
      env: { SENTRY_DSN: fake.dsn, OTEL_EXPORTER_OTLP_ENDPOINT: fake.collectorBaseUrl, SENTRY_ENVIRONMENT: 'test' },
    });
    try {
      await fake.setMode({ delayMs: 20_000 });
      const body = JSON.stringify({ note: 'x'.repeat(256 * 1024) });
      for (let i = 0; i < 20; i++) {
        const response = await app.fetch('/fail', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        assert.equal(response.status, 500);
      }
      // Node keeps the last request of a keep-alive connection for its 5 s timeout, and undici's one-off
      // lazy initialisation keeps the request it ran in (and, through its socket, the last one on it):
      // bounded, and not ours. The events wait 20 s.
      await new Promise((resolve) => setTimeout(resolve, 6000));
      const { alive } = await getJson<{ alive: number }>(app, '/__alive');
      assert.ok(alive <= 2, `${alive} of 20 bodies still reachable while their events wait for Sentry`);
    } finally {
      await app.stop('SIGKILL');
      await fake.close();
    }
  });
});
