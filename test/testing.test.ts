import assert from 'node:assert/strict';
import express from 'express';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { captureMessage } from '../src';
import { createTestkit } from '../src/testing';
import { observability } from '../middleware';
import { getTestDatabase } from './support/database';
import { kit } from './support/setup';

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
  ];
  for (const [call, misuse, message] of misuses) {
    it(`${call}: a TypeError that says what to pass`, async () => {
      await assert.rejects(async () => misuse(), (error: Error) => error instanceof TypeError && message.test(error.message));
    });
  }

  it('reset() forgets everything', async () => {
    captureMessage('before reset');
    await kit.waitForEvents(1);
    kit.reset();
    assert.deepEqual(kit.events(), []);
    assert.deepEqual(kit.payloads(), []);
  });
});
