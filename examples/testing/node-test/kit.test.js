'use strict';
// The same kit under node:test: `node --import ./examples/testing/setup.js --test examples/testing/node-test/kit.test.js`.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const express = require('express');
const request = require('supertest');
const { observability } = require('express-otel-sentry/middleware');
const { kit } = require('../setup');

test('a 500 is one event with its user, a 404 none (node:test)', async () => {
  const obs = observability({ user: () => ({ id: 'node-test-user' }) });
  const app = express();
  app.use(obs.request);
  app.get('/crash', () => {
    throw new Error('crash under node:test');
  });
  app.get('/missing', (_req, _res, next) => next(Object.assign(new Error('nope'), { status: 404 })));
  app.use(obs.errors);

  kit.reset();
  await request(app).get('/missing').expect(404);
  await kit.expectNoEvents();
  await request(app).get('/crash').expect(500);
  await kit.waitForEvents(1);
  kit.expectEvent({ message: 'crash under node:test', user: { id: 'node-test-user' }, category: 'http_5xx' });
  const [server] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.attributes['http.route'] === '/crash');
  assert.equal(server.status.code, 2);
});
