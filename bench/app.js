'use strict';
/**
 * The one app every setup serves (Express 5, CommonJS). What differs between setups is only the
 * preload (`--import ...`) and, for ours, the `observability()` suite mounted around the routes.
 *
 *   GET /hello  tiny JSON
 *   GET /work   ~0.15 ms of CPU (a fixed amount of work, not a timed spin)
 *   GET /db     one knex query against PostgreSQL (DATABASE_URL)
 *   GET /error  a thrown error answered with a 500
 *
 * Prints `LISTENING <port> <cpu seconds so far>` once it accepts connections (the runner times start-up
 * up to that line).
 */
const express = require('express');
const knexFactory = require('knex');

const WORK_ITERATIONS = Number(process.env.BENCH_WORK_ITERATIONS || 92000);

const db = knexFactory({
  client: 'pg',
  connection: process.env.DATABASE_URL,
  pool: { min: 0, max: 10 },
});

/** Deterministic CPU work: the result is returned so that the JIT cannot drop the loop. */
function work(iterations) {
  let acc = 0x811c9dc5;
  for (let i = 0; i < iterations; i++) {
    acc ^= i & 0xff;
    acc = Math.imul(acc, 0x01000193) >>> 0;
  }
  return acc;
}

const app = express();
app.disable('x-powered-by');

let obs;
if (process.env.BENCH_DIST && !process.env.BENCH_NO_MIDDLEWARE) {
  // Ours: the full suite, as the README shows it, from the build the runner names (dist/ by default).
  const { observability } = require(require('node:path').join(process.env.BENCH_DIST, 'middleware'));
  obs = observability({
    user: () => ({ id: 'bench-user', username: 'bench' }),
    breadcrumbs: true,
    scrubbing: true,
    clientErrorFilter: true,
    errorHandler: true,
  });
  app.use(obs.request);
}

let counter = 0;
app.get('/hello', (_req, res) => {
  res.json({ hello: 'world' });
});
app.get('/work', (_req, res) => {
  res.json({ result: work(WORK_ITERATIONS) });
});
app.get('/db', async (_req, res, next) => {
  try {
    counter = (counter % 100) + 1;
    const row = await db('bench_items').where('id', counter).first();
    res.json(row);
  } catch (error) {
    next(error);
  }
});
app.get('/error', () => {
  throw new Error('bench failure');
});

if (obs) app.use(obs.errors);
// Every setup answers errors the same way (no stack logged to stderr per request).
app.use((_error, _req, res, _next) => {
  if (!res.headersSent) res.status(500).json({ error: 'Internal Server Error' });
});

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  // CPU spent until now: the start-up cost that other load on the machine does not inflate much.
  const cpu = process.cpuUsage();
  process.stdout.write(`LISTENING ${server.address().port} ${((cpu.user + cpu.system) / 1e6).toFixed(3)}\n`);
});
server.keepAliveTimeout = 65_000;

module.exports = { work };

// Profiling runs (--profile): --cpu-prof writes its file on a normal exit only.
if (process.env.BENCH_EXIT_ON_SIGUSR2) {
  process.on('SIGUSR2', () => {
    const telemetry = globalThis[Symbol.for('express-otel-sentry.telemetry')];
    Promise.resolve(telemetry?.flush(5000)).finally(() => process.exit(0));
  });
}
