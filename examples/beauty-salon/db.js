'use strict';
// The database: knex over the real `pg` driver (both traced by the preload), migrated and seeded at start.
const path = require('node:path');
const knexFactory = require('knex');
const { trace } = require('@opentelemetry/api');

const MIGRATIONS = { directory: path.join(__dirname, 'migrations'), tableName: 'beauty_salon_migrations' };
const SEEDS = { directory: path.join(__dirname, 'seeds') };

/** @param {string} url a postgres:// connection string */
function connect(url) {
  return knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 5 } });
}

/**
 * Migrates and seeds (both idempotent). One parent span groups the start-up queries into one trace,
 * instead of one stray trace per query.
 * @param {import('knex').Knex} db
 */
async function prepare(db) {
  const tracer = trace.getTracer('beauty-salon');
  await tracer.startActiveSpan('beauty-salon start-up: migrate and seed', async (span) => {
    try {
      await db.migrate.latest(MIGRATIONS);
      await db.seed.run(SEEDS);
    } finally {
      span.end();
    }
  });
}

module.exports = { connect, prepare };
