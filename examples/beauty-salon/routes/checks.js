'use strict';
// GET /health, and the seed's two "is Sentry wired up?" endpoints (S10).
const express = require('express');
const { captureException, captureMessage } = require('express-otel-sentry');

/** @param {import('knex').Knex} db */
function checksRouter(db) {
  const router = express.Router();

  // A failing database is answered 503 and not reported: a probe hitting it every few seconds would
  // flood Sentry with one event per probe.
  router.get('/health', async (_req, res) => {
    try {
      await db.raw('select 1');
      res.json({ status: 'ok', database: 'up' });
    } catch {
      res.status(503).json({ status: 'degraded', database: 'down' });
    }
  });

  // Two events: a message and a captured exception.
  router.get('/sentry-test', (_req, res) => {
    captureMessage('Sentry test message from the beauty salon', 'info');
    captureException(new Error('Sentry test exception from the beauty salon'));
    res.json({ status: 'Check Sentry dashboard' });
  });

  // Unhandled: the error middleware reports it with its stack trace and answers 500.
  router.get('/crash', () => {
    throw new Error('Test error - this should appear in Sentry!');
  });

  return router;
}

module.exports = { checksRouter };
