// The kit with ES module tests: `node --import ./examples/testing/setup.js --test examples/testing/node-test/kit.test.mjs`.
// The kit sees an .mjs file on the command line and registers OpenTelemetry's loader hook, as the preload
// does for an ESM app, so that the express imported below is instrumented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { observability } from 'express-otel-sentry/middleware';
import setup from '../setup.js';

const { kit } = setup;

test('an ESM app under test: route spans and events as with CommonJS', async () => {
  const obs = observability();
  const app = express();
  app.use(obs.request);
  app.get('/bookings/:id', (req, res) => res.json({ id: req.params.id }));
  app.get('/crash', () => {
    throw new Error('crash in an ES module app');
  });
  app.use(obs.errors);

  kit.reset();
  await request(app).get('/bookings/7').expect(200);
  const [server] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.attributes['http.route'] === '/bookings/:id');
  assert.equal(server.name, 'GET /bookings/:id');
  await kit.waitForSpans((span) => span.traceId === server.traceId && span.name === 'request handler');
  await request(app).get('/crash').expect(500);
  await kit.waitForEvent({ message: 'crash in an ES module app', category: 'http_5xx' });
});
