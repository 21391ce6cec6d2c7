'use strict';
// Loaded by mocha before any test file (see .mocharc.json): the kit must start before express, pg and
// knex are required, so that they are instrumented, exactly as the preload does in production.
const { createTestkit } = require('express-otel-sentry/testing');

module.exports = { kit: createTestkit({ environment: 'test' }) };
