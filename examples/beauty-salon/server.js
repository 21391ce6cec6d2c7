'use strict';
// Beauty salon API. Start it with the preload, as you would start yours:
//   npm start   (= node --import express-otel-sentry/register examples/beauty-salon/server.js)
// Environment: PORT (3000), DATABASE_URL (else an embedded PostgreSQL under .data/pg-example),
// PAYMENT_GATEWAY_URL (else the gateway is started as a child process), SENTRY_DSN (else nothing leaves
// this machine), plus every variable of the configuration table in the README.
const path = require('node:path');
const { getTelemetry } = require('express-otel-sentry');
const { resolveDatabase } = require('../embedded-postgres');
const { createApp } = require('./app');
const { connect, prepare } = require('./db');
const { startPaymentGateway } = require('./gateway-process');
const { welcomeText } = require('./welcome');

const DATA_DIR = path.join(__dirname, '..', '..', '.data', 'pg-example');
const CLOSE_TIMEOUT_MS = 3000;

/** What is running, so that shutdown can stop it in the right order. */
const running = {
  /** @type {import('node:http').Server | undefined} */ server: undefined,
  /** @type {{ stop: () => Promise<void> } | undefined} */ gateway: undefined,
  /** @type {import('knex').Knex | undefined} */ db: undefined,
  /** @type {{ stop: () => Promise<void> } | undefined} */ database: undefined,
};

async function main() {
  const externalGateway = process.env.PAYMENT_GATEWAY_URL;
  // The database and the payment gateway start side by side.
  const [database, gateway] = await Promise.all([
    resolveDatabase({ dataDir: DATA_DIR }).then((started) => (running.database = started)),
    externalGateway ? undefined : startPaymentGateway().then((started) => (running.gateway = started)),
  ]);
  const db = (running.db = connect(database.url));
  await prepare(db);

  const gatewayUrl = (gateway ? gateway.url : String(externalGateway)).replace(/\/+$/, '');
  const server = (running.server = createApp({ db, gatewayUrl }).listen(Number(process.env.PORT || 3000)));
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));

  const config = getTelemetry()?.config;
  console.log(welcomeText({
    port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
    gateway: gateway ? `${gatewayUrl} (child process, service.name payment-gateway)` : gatewayUrl,
    database: database.kind === 'external' ? 'DATABASE_URL' : `embedded PostgreSQL in ${path.relative(process.cwd(), database.dataDir)}`,
    sentry: !config ? 'off (start with --import express-otel-sentry/register)'
      : config.dsn ? `events and spans go to ${new URL(config.dsn).host} (environment ${config.environment})`
        : 'no SENTRY_DSN: nothing leaves this machine',
  }));
}

/** Stops taking requests; in-flight ones get a moment to finish. @param {import('node:http').Server} server */
function closeServer(server) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), CLOSE_TIMEOUT_MS);
    server.close(() => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

async function cleanUp() {
  const { server, gateway, db, database } = running;
  const steps = [server && (() => closeServer(server)), gateway && gateway.stop, db && (() => db.destroy()), database && database.stop];
  for (const step of steps) {
    if (!step) continue;
    try {
      await step();
    } catch (error) {
      console.error(`[beauty-salon] shutdown step failed: ${error instanceof Error ? error.message : error}`);
    }
  }
}

// Because the app handles SIGTERM/SIGINT itself, the preload only starts flushing telemetry and leaves
// the exit to us: close everything, wait for that flush (bounded by the preload), then exit.
let stopping = false;
/** @param {NodeJS.Signals} signal */
function onSignal(signal) {
  if (stopping) process.exit(1); // a second Ctrl-C: don't wait any longer
  stopping = true;
  console.log(`\n[beauty-salon] ${signal}: shutting down`);
  void cleanUp()
    .then(() => getTelemetry()?.shutdown())
    .finally(() => process.exit(0));
}
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

main().catch(async (error) => {
  console.error('[beauty-salon] could not start:', error);
  await cleanUp();
  await getTelemetry()?.shutdown();
  process.exit(1);
});
