'use strict';
// The database: knex over the real `pg` driver (both traced by the preload), migrated and seeded at start.
const path = require('node:path');
const knexFactory = require('knex');
const { withoutTracing } = require('express-otel-sentry');

const MIGRATIONS = { directory: path.join(__dirname, 'migrations'), tableName: 'beauty_salon_migrations' };
const SEEDS = { directory: path.join(__dirname, 'seeds') };

/** @param {string} url a postgres:// connection string */
function connect(url) {
  return knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 5 } });
}

/**
 * Migrates and seeds (both idempotent). These start-up queries are not requests: they are kept out of
 * tracing, or every start would leave a trace of some fifty queries in Sentry and in the terminal.
 * @param {import('knex').Knex} db
 */
async function prepare(db) {
  await withoutTracing(async () => {
    await db.migrate.latest(MIGRATIONS);
    await db.seed.run(SEEDS);
  });
}

module.exports = { connect, prepare };
