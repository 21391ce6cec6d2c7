'use strict';
// What users write: a mocha + supertest suite proving that the salon reports what it should, and nothing
// secret. Run it with `npm test` (or `npx mocha --config examples/testing/.mocharc.json`).
const assert = require('node:assert/strict');
const path = require('node:path');
const request = require('supertest');
const { kit } = require('./setup');
const { resolveDatabase } = require('../embedded-postgres');
const { createApp } = require('../beauty-salon/app');
const { connect, prepare } = require('../beauty-salon/db');
const { startPaymentGateway } = require('../beauty-salon/gateway-process');

const TOKEN = 'Bearer demo-token-malika';

describe('beauty salon telemetry (examples/testing)', () => {
  let database;
  let db;
  let gateway;
  let app;
  before(async () => {
    database = await resolveDatabase({ dataDir: path.join(__dirname, '..', '..', '.data', 'pg-testing') });
    db = connect(database.url);
    await prepare(db);
    gateway = await startPaymentGateway();
    app = createApp({ db, gatewayUrl: gateway.url });
  });
  after(async () => {
    await gateway?.stop();
    await db?.destroy();
    await database?.stop();
  });
  beforeEach(() => kit.reset());

  it('a 500 produces one event, with the user and the category', async () => {
    const response = await request(app).get('/profile?include=loyalty').set('authorization', TOKEN).expect(500);
    const [event] = await kit.waitForEvents(1);
    await kit.flush();
    assert.equal(kit.events().length, 1);
    assert.equal(event.event_id, response.body.eventId);
    kit.expectEvent({ category: 'database', user: { email: 'malika@example.uz' } });
  });

  it('a 400 produces none', async () => {
    await request(app).post('/bookings').send({ master_id: 1 }).expect(400);
    await kit.expectNoEvents();
  });

  it('a DB route produces server → knex → pg spans', async () => {
    await request(app).get('/profile').set('authorization', TOKEN).expect(200);
    const [server] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.attributes['http.route'] === '/profile');
    await kit.waitForSpans((span) => span.traceId === server.traceId && span.scope.endsWith('pg'));
    const trace = kit.spansOf(server.traceId);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const chainOf = (leaf) => {
      const chain = [];
      for (let span = leaf; span && span !== server; span = byId.get(span.parentSpanId)) chain.unshift(span.scope.split(/[-/]/).pop());
      return chain.join(' → ');
    };
    const chains = trace.filter((span) => span.scope.endsWith('pg') && span.attributes['db.query.text']).map(chainOf);
    // The route handler's query; the token lookup runs in a middleware, which has no span of its own.
    assert.ok(chains.includes('express → knex → pg'), chains.join(' | '));
    assert.deepEqual(kit.spansOf(server.traceId).filter((span) => JSON.stringify(span.attributes).includes('demo-token')), []);
  });

  it('nothing secret leaves, and expectNoSecrets does fail when scrubbing is switched off for a field', async () => {
    const payment = { booking_id: 2, amount: 150013, card_number: '4111111111111111', password: 'letmein-1234' };
    await request(app).post('/payments').set('authorization', TOKEN).send(payment).expect(500);
    await kit.waitForEvents(1);
    await kit.expectNoSecrets(['4111111111111111', 'letmein-1234', 'demo-token-malika']);

    kit.reset();
    const relaxed = createApp({
      db,
      gatewayUrl: gateway.url,
      observability: { scrubbing: { routes: [{ path: '/payments', allowKeys: ['password'] }] } },
    });
    await request(relaxed).post('/payments').set('authorization', TOKEN).send(payment).expect(500);
    await kit.waitForEvents(1);
    await assert.rejects(kit.expectNoSecrets(['letmein-1234']), /secret value\(s\) left the process/);
  });
});
