'use strict';
// The Express app, wired the way the README tells you to wire yours.
const express = require('express');
const { observability } = require('express-otel-sentry/middleware');
const { authenticate } = require('./auth');
const { NotFoundError } = require('./errors');
const { bookingsRouter } = require('./routes/bookings');
const { checksRouter } = require('./routes/checks');
const { paymentsRouter } = require('./routes/payments');
const { profileRouter } = require('./routes/profile');

/**
 * @param {{ db: import('knex').Knex, gatewayUrl: string, observability?: import('express-otel-sentry/middleware').ObservabilityOptions }} deps
 *   `observability` overrides parts of the suite (the test suite in examples/testing uses it).
 * @returns {import('express').Express}
 */
function createApp({ db, gatewayUrl, observability: overrides = {} }) {
  const app = express();
  app.use(express.json({ limit: '100kb' }));
  // Authentication runs first so that the user resolver below sees req.user.
  app.use(authenticate(db));

  const obs = observability({
    // Every event of an authenticated request is tied to its client (S7).
    user: (req) => (req.user ? { id: req.user.id, email: req.user.email, username: req.user.name } : undefined),
    ...overrides,
  });
  app.use(obs.request); // request snapshot (scrubbed), breadcrumb trail, user context

  app.use(checksRouter(db));
  app.use(bookingsRouter(db));
  app.use(paymentsRouter(db, gatewayUrl));
  app.use(profileRouter(db));
  app.use((req, _res, next) => next(new NotFoundError(`No route for ${req.method} ${req.path}`)));

  app.use(obs.errors); // 4xx answered and not reported; everything else reported once, then answered
  return app;
}

module.exports = { createApp };
