'use strict';
// In development the salon starts the payment gateway itself (when PAYMENT_GATEWAY_URL is unset), as
// a separate process with the same preload, so that it is traced as its own service.
const path = require('node:path');
const readline = require('node:readline');
const { fork } = require('node:child_process');

const ENTRY = path.join(__dirname, '..', 'payment-gateway', 'server.js');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5000;

/** @param {import('node:stream').Readable} stream @param {NodeJS.WriteStream} out */
function prefixLines(stream, out) {
  readline.createInterface({ input: stream }).on('line', (line) => out.write(`[payment-gateway] ${line}\n`));
}

/**
 * Starts examples/payment-gateway/server.js and resolves once it listens.
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
function startPaymentGateway() {
  const child = fork(ENTRY, [], {
    execArgv: ['--import', 'express-otel-sentry/register'],
    env: { ...process.env, PORT: process.env.PAYMENT_GATEWAY_PORT || '0', OTEL_SERVICE_NAME: 'payment-gateway', SENTRY_RELEASE: 'payment-gateway@1.0.0' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  prefixLines(/** @type {import('node:stream').Readable} */ (child.stdout), process.stdout);
  prefixLines(/** @type {import('node:stream').Readable} */ (child.stderr), process.stderr);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stopping = false;

  const stop = async () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM'); // its preload flushes its telemetry, then it exits
    let timer;
    await Promise.race([exited, new Promise((resolve) => { timer = setTimeout(resolve, STOP_TIMEOUT_MS); })]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the payment gateway did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    // The gateway sends { port } over the IPC channel once it listens.
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${message.port}`, stop });
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!stopping && signal !== 'SIGINT' && signal !== 'SIGTERM') {
        console.error(`[beauty-salon] the payment gateway exited (${code ?? signal}); payments will fail until the salon restarts`);
      }
      reject(new Error(`the payment gateway exited (${code ?? signal}) before listening`));
    });
  });
}

module.exports = { startPaymentGateway };
