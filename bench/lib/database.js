'use strict';
/**
 * PostgreSQL for the /db route: DATABASE_URL, or the embedded server of examples/embedded-postgres.js
 * in .data/pg-bench (git-ignored). Seeds a 100-row table once.
 */
const path = require('node:path');
const { Client } = require('pg');
const { resolveDatabase } = require('../../examples/embedded-postgres.js');
const { ROOT } = require('./setups');

async function startDatabase() {
  const handle = await resolveDatabase({
    dataDir: path.join(ROOT, '.data', 'pg-bench'),
    maxConnections: 40,
    log: { warn: console.warn, error: console.error },
  });
  const client = new Client({ connectionString: handle.url });
  await client.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS bench_items (id integer PRIMARY KEY, name text NOT NULL, price integer NOT NULL)');
    await client.query(
      "INSERT INTO bench_items SELECT i, 'item ' || i, i * 100 FROM generate_series(1, 100) AS i ON CONFLICT (id) DO NOTHING",
    );
  } finally {
    await client.end();
  }
  return handle;
}

module.exports = { startDatabase };
