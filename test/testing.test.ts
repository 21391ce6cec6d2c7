import assert from 'node:assert/strict';
import express from 'express';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { spawnSync } from 'node:child_process';
import { trace } from '@opentelemetry/api';
import { addBreadcrumb, captureMessage, setUserContext } from '../src';
import { createTestkit } from '../src/testing';
import { observability } from '../middleware';
import { getTestDatabase } from './support/database';
import { ROOT } from './support/child-app';
import { kit } from './support/setup';

/** Resolved by /late once its work after the response is done (a signal, not a sleep). */
let lateWorkDone: () => void = () => undefined;
const lateWork = () => new Promise<void>((resolve) => (lateWorkDone = resolve));

describe('test kit (express-otel-sentry/testing)', () => {
  let db: Knex;
  let app: express.Express;
  before(async () => {
    db = knexFactory({ client: 'pg', connection: (await getTestDatabase()).url, pool: { min: 1, max: 1 } });
    await db.raw('select 1');
    const obs = observability({ user: () => ({ id: 'u-9' }) });
    app = express();
    app.use(obs.request);
    app.get('/bookings/:id', async (req, res) => {
      const { rows } = await db.raw('select ?::int as id', [Number(req.params.id)]);
      res.json(rows[0]);
    });
    app.get('/crash', () => {
      throw new Error('Test error - this should appear in Sentry!');
    });
    // Answers, then keeps working in the request's context: a span and a message after the response.
    app.get('/late', (_req, res) => {
      const span = trace.getTracer('late-work').startSpan('late work');
      res.json({ ok: true });
      setTimeout(() => {
        // Started after the next test's reset(), under this request's span: an audit call, a webhook.
        trace.getTracer('late-work').startSpan('late child').end();
        captureMessage('late message of a previous test');
        span.end();
        lateWorkDone();
      }, 50);
    });
    app.use(obs.errors);
  });
  after(async () => db?.destroy());
  beforeEach(() => kit.reset());

  it('is created once per process', () => {
    assert.equal(createTestkit(), kit);
  });

  it('reads events: exceptions, messages, user, category, breadcrumbs', async () => {
    captureMessage('Suspicious payment amount: 15000000', 'warning', { user_id: 1, amount: 15000000 });
    await request(app).get('/crash').expect(500);
    await kit.waitForEvents(2);
    assert.equal(kit.messages().length, 1);
    assert.equal(kit.exceptions().length, 1);
    const event = kit.expectEvent({ type: 'Error', message: /should appear/, level: 'error', user: { id: 'u-9' }, category: 'http_5xx' });
    kit.expectEvent({ message: 'Suspicious payment amount: 15000000', level: 'warning', details: { user_id: 1, amount: 15000000 } });
    assert.equal(kit.breadcrumbsOf(event)[0].message, 'GET /crash');
  });

  it('reads spans as a tree: server → express → knex → pg', async () => {
    await request(app).get('/bookings/3').expect(200, { id: 3 });
    const [server] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.attributes['http.route'] === '/bookings/:id');
    await kit.waitForSpans((span) => span.traceId === server.traceId && span.scope.includes('pg'));
    const trace = kit.spansOf(server.traceId);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const pg = trace.find((span) => span.scope.includes('pg'))!;
    const chain: string[] = [];
    for (let span: typeof pg | undefined = pg; span && span !== server; span = span.parentSpanId ? byId.get(span.parentSpanId) : undefined) chain.unshift(span.scope.replace(/^@opentelemetry\/instrumentation-|^express-otel-sentry\//, ''));
    assert.deepEqual(['http', ...chain], ['http', 'express', 'knex', 'pg']);
  });

  it('traceOf(event) gives the span tree of the event’s trace', async () => {
    await request(app).get('/crash').expect(500);
    const [event] = await kit.waitForEvents(1);
    await kit.waitForSpans((span) => span.kind === 'SERVER' && span.traceId === event.contexts?.trace?.trace_id);
    const roots = kit.traceOf(event);
    // supertest's request is traced too (this process is instrumented): its client span is the root.
    const root = roots[0].span.kind === 'SERVER' ? roots[0] : roots[0].children[0];
    assert.equal(root.span.kind, 'SERVER');
    assert.equal(root.span.name, 'GET /crash');
    assert.ok(root.children.length > 0);
  });

  it('its assertions fail when they should', async () => {
    assert.throws(() => kit.expectEvent({ message: 'never sent' }), /no captured event matches/);
    captureMessage('plain-looking-value-123');
    await assert.rejects(kit.expectNoEvents(), /expected no events/);
    await assert.rejects(kit.expectNoSecrets(['plain-looking-value-123']), /left the process/);
    await kit.expectNoSecrets(['never' + '-captured']); // split: the source line travels in stack context lines
    await assert.rejects(kit.waitForEvents(5, { timeout: 200 }), /timed out after 200 ms waiting for 5 event/);
  });

  // From JavaScript nothing stops a wrong argument: the kit says what to pass instead of failing inside.
  const misuses: Array<[string, () => unknown, RegExp]> = [
    ['waitForEvents(NaN)', () => kit.waitForEvents(Number.NaN), /waitForEvents\(count\): expected a whole number of events.*received number/],
    ['waitForEvents("2")', () => kit.waitForEvents('2' as never), /received string/],
    ['waitForSpans({})', () => kit.waitForSpans({} as never), /waitForSpans\(predicate\): expected a function of a span or a whole number/],
    ['expectEvent()', () => kit.expectEvent(undefined as never), /expectEvent\(expected\): expected the fields to match.*received undefined/],
    ['expectNoSecrets("one")', () => kit.expectNoSecrets('hunter2' as never), /expectNoSecrets\(values\): expected an array of the secret strings/],
    ['expectNoSecrets([1])', () => kit.expectNoSecrets([1] as never), /expectNoSecrets\(values\)/],
    ['breadcrumbsOf(null)', () => kit.breadcrumbsOf(null as never), /breadcrumbsOf\(event\): expected an event.*received null/],
    ['traceOf(undefined)', () => kit.traceOf(undefined as never), /traceOf\(event\)/],
    ['expectEvent({ mesage })', () => kit.expectEvent({ mesage: 'x' } as never), /expectEvent\(expected\): unknown field\(s\) mesage; the fields are type, message, level/],
    ['waitForEvent([])', () => kit.waitForEvent([] as never), /waitForEvent\(expected\): expected the fields to match/],
    ['waitForEvents(1, { timeout: -1 })', () => kit.waitForEvents(1, { timeout: -1 }), /\{ timeout \}: expected a number of milliseconds above 0/],
    ['waitForEvent(m, { timeout: NaN })', () => kit.waitForEvent({ message: 'x' }, { timeout: Number.NaN }), /\{ timeout \}: expected a number of milliseconds above 0/],
  ];
  for (const [call, misuse, message] of misuses) {
    it(`${call}: a TypeError that says what to pass`, async () => {
      await assert.rejects(async () => misuse(), (error: Error) => error instanceof TypeError && message.test(error.message));
    });
  }

  it('reset(): what a previous test’s request sends after it is not shown to the next, even on the same trace id', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const done = lateWork();
    await request(app).get('/late').set('traceparent', traceparent).expect(200);
    kit.reset();
    await done;
    await kit.expectNoEvents();
    assert.deepEqual(kit.spans().map((span) => span.name), []);
    assert.ok(!kit.payloads().some((payload) => /late message|late work/.test(payload)));
    // The next test continues the same trace: its own spans and event are shown.
    await request(app).get('/late').set('traceparent', traceparent).expect(200);
    await kit.waitForEvents(1);
    await kit.waitForSpans((span) => span.name === 'late work');
    await kit.waitForSpans((span) => span.name === 'late child');
    assert.deepEqual(kit.spans().map((span) => span.name).sort(), ['GET', 'GET /late', 'late child', 'late work', 'request handler']);
  });

  it('a wait whose predicate throws on a span arriving later fails with that error, within its timeout', async () => {
    const outcome = assert.rejects(kit.waitForSpans((span) => (span.attributes['db.query.text'] as string).includes('select'), { timeout: 2000 }), TypeError);
    await request(app).get('/crash').expect(500);
    await outcome;
  });

  it('expectNoSecrets finds a value a URL carried percent- or form-encoded', async () => {
    await request(app).get('/bookings/1?phrase=correct+horse+battery&q=jane.doe%40example.com').expect(200);
    await kit.waitForSpans((span) => span.kind === 'SERVER');
    await assert.rejects(kit.expectNoSecrets(['correct horse battery']), /"correct horse battery" in payload \d+ \(OTLP spans\): …/);
    await assert.rejects(kit.expectNoSecrets(['jane.doe@example.com']), /left the process/);
    await kit.expectNoSecrets(['jane.doe@example.org']);
  });

  it('waitForEvent(expected) waits for a matching event right after a request; expectEvent there says to', async () => {
    await request(app).get('/crash').expect(500);
    assert.throws(() => kit.expectEvent({ message: /should appear/ }), /captured 0:\n\(none\)\n\(events arrive after the response: await kit.waitForEvent/);
    const event = await kit.waitForEvent({ message: /should appear/, category: 'http_5xx' });
    assert.equal(kit.expectEvent({ message: /should appear/ }), event);
    await assert.rejects(kit.waitForEvent({ message: 'never sent' }, { timeout: 100 }), /timed out after 100 ms waiting for a matching event \{"message":"never sent"\}; captured 1:\n\{"type":"Error"/);
  });

  it('expectEvent compares details and user by value: key order and a numeric id do not matter', async () => {
    captureMessage('order matters not', 'info', { order: { a: 1, b: [2, 3] }, at: new Date(Date.UTC(2026, 11, 7)) });
    setUserContext({ id: 7 });
    captureMessage('numeric id');
    await kit.waitForEvents(2);
    kit.expectEvent({ message: 'order matters not', details: { order: { b: [2, 3], a: 1 } } });
    kit.expectEvent({ message: 'numeric id', user: { id: 7 } });
    // Compared as sent: a Date as its text, an undefined key as absent.
    kit.expectEvent({ message: 'order matters not', details: { order: { a: 1, b: [2, 3], gone: undefined }, at: new Date(Date.UTC(2026, 11, 7)) } });
    assert.throws(() => kit.expectEvent({ message: 'order matters not', details: { order: { a: 1 } } }), /no captured event matches/);
  });

  it('expectNoSecrets finds a value JSON had to escape (quotes, backslashes), and says where', async () => {
    captureMessage('C:\\salon\\"backup-key-5521".txt');
    await kit.waitForEvents(1);
    await assert.rejects(kit.expectNoSecrets(['"backup-key-5521"']), /"\\"backup-key-5521\\"" in payload 0 \(Sentry envelope, event\): …/);
    await assert.rejects(kit.expectNoSecrets(['salon\\"backup']), /left the process/);
  });

  it('records every trace whatever the environment (a test must not depend on the sampler)', () => {
    // Options left out, or given as undefined (a config object's unset field): the same.
    for (const rate of ['', 'tracesSampleRate: undefined']) {
      const script = `const { createTestkit } = require('./dist/src/testing'); createTestkit({ ${rate ? `${rate}, ` : ''}logger: { debug() {}, info() {}, warn() {}, error() {} } }); console.log(require('./dist/src').getTelemetry().config.tracesSampleRate)`;
      const result = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production', SENTRY_TRACES_SAMPLE_RATE: '' } });
      assert.equal(result.stdout.trim(), '1', rate + result.stderr);
    }
    // Its own start-up line, and no advice the tests could not take (the kit sets the rate and the DSN).
    const quiet = spawnSync(process.execPath, ['-e', "require('./dist/src/testing').createTestkit()"], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production', SENTRY_DSN: 'http://key@127.0.0.1:9/1' } });
    assert.match(quiet.stdout + quiet.stderr, /Test kit: events and spans are captured in memory; nothing is sent\./);
    assert.doesNotMatch(quiet.stdout + quiet.stderr, /sample rate|SENTRY_DSN|dsn option/);
  });

  it('reset() clears a user and breadcrumbs a test set outside any request (a handler called with fake req/res)', async () => {
    setUserContext({ id: 'user-of-test-a' });
    addBreadcrumb({ message: 'crumb of test a' });
    kit.reset();
    captureMessage('event of test b');
    const [event] = await kit.waitForEvents(1);
    assert.equal(event.user, undefined);
    assert.deepEqual(kit.breadcrumbsOf(event).map((crumb) => crumb.message), []);
  });

  it('says which settings of telemetry started before it stay: a sample rate below 1, the local view', () => {
    const script = "require('./dist/src').initTelemetry({ tracesSampleRate: 0.2, localView: true }); require('./dist/src/testing').createTestkit()";
    const result = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SENTRY_DSN: '' } });
    assert.match(result.stdout + result.stderr, /createTestkit: telemetry started earlier samples 0\.2 of traces \(span assertions pass or fail by the sampler's draw\) and prints every trace and event \(the local view\)\. Create the kit first/);
  });

  it('reset() forgets everything', async () => {
    captureMessage('before reset');
    await kit.waitForEvents(1);
    kit.reset();
    assert.deepEqual(kit.events(), []);
    assert.deepEqual(kit.payloads(), []);
  });
});
