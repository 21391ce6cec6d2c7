'use strict';
// One suite, run by two test files: jest runs both in one worker with -i, each in a registry of its own.
const assert = require('node:assert/strict');
const express = require('express');
const knex = require('knex');
const request = require('supertest');
const { addBreadcrumb } = require('express-otel-sentry');
const { observability } = require('express-otel-sentry/middleware');
const { kit } = require('../setup');

module.exports = function salonSuite(name) {
  const db = knex({ client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 0, max: 1 } });
  const obs = observability({ user: () => ({ id: `${name}-user` }) });
  const app = express();
  app.use(obs.request);
  app.get('/bookings/:id', async (req, res) => {
    const { rows } = await db.raw('select ?::int as id', [Number(req.params.id)]);
    res.json(rows[0]);
  });
  app.get('/crash', () => {
    addBreadcrumb({ message: `about to crash in ${name}` });
    throw new Error(`crash under jest (${name})`);
  });
  app.use(obs.errors);

  afterAll(() => db.destroy());
  beforeEach(() => kit.reset());

  test(`${name}: the route's span, its handler's and its query's`, async () => {
    await request(app).get('/bookings/7').expect(200);
    const [server] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.attributes['http.route'] === '/bookings/:id');
    await kit.waitForSpans((span) => span.traceId === server.traceId && span.scope.endsWith('pg'));
    const scopes = new Set(kit.spansOf(server.traceId).map((span) => span.scope));
    for (const scope of ['express-otel-sentry/express', '@opentelemetry/instrumentation-knex', '@opentelemetry/instrumentation-pg']) {
      assert.ok(scopes.has(scope), `${scope} in ${[...scopes].join(', ')}`);
    }
  });

  test(`${name}: a 500 is one event with its user and its own breadcrumbs`, async () => {
    await request(app).get('/crash').expect(500);
    const event = await kit.waitForEvent({ message: `crash under jest (${name})`, user: { id: `${name}-user` }, category: 'http_5xx' });
    assert.deepEqual(kit.breadcrumbsOf(event).map((crumb) => crumb.message), ['GET /crash', `about to crash in ${name}`]);
    assert.equal(event.transaction, 'GET /crash');
  });
};
