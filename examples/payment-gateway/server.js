'use strict';
// A tiny card-payment gateway: a second service, so that the salon's payments make one distributed
// trace across two processes (W3C traceparent + sentry-trace, injected by the salon's traced fetch).
//   node --import express-otel-sentry/register examples/payment-gateway/server.js   (PORT, default 4000)
// Test cards: numbers ending in 0002 are declined (402, not reported); amounts ending in 13 make the
// "acquirer" fail (500 GatewayError, reported here, and as a PaymentError by the salon, on one trace).
const { randomUUID } = require('node:crypto');
const express = require('express');
const { getTelemetry } = require('express-otel-sentry');
const { observability } = require('express-otel-sentry/middleware');

class GatewayError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** @param {number} status @param {string} message */
function clientError(status, message) {
  return Object.assign(new Error(message), { status, expose: true });
}

const app = express();
app.use(express.json({ limit: '16kb' }));
const obs = observability(); // the card number in a reported request's body is scrubbed
app.use(obs.request);

app.get('/health', (_req, res) => res.json({ status: 'ok' }));

app.post('/charges', (req, res) => {
  const { amount, card_number: card, currency = 'UZS', reference } = req.body ?? {};
  if (!Number.isSafeInteger(amount) || amount <= 0) throw clientError(400, 'amount must be a positive integer');
  if (typeof card !== 'string' || !/^\d{12,19}$/.test(card)) throw clientError(400, 'card_number must have 12 to 19 digits');
  if (card.endsWith('0002')) throw clientError(402, 'card_declined');
  if (String(amount).endsWith('13')) throw new GatewayError(`Acquirer timed out while charging ${reference ?? 'a payment'}`);
  res.status(201).json({ id: `txn_${randomUUID()}`, status: 'approved', amount, currency, card_last4: card.slice(-4) });
});

app.use(obs.errors);

const server = app.listen(Number(process.env.PORT || 4000), () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  // Started by the salon, we tell it the port over IPC (it prints the address); alone, we print the
  // LISTENING line that scripts and the test suite wait for.
  if (process.send) process.send({ port });
  else console.log(`Payment gateway: LISTENING ${port} at http://localhost:${port}`);
});

// Started by the salon: when it goes away (even killed), the IPC channel closes and we follow.
if (process.send) {
  process.on('disconnect', () => {
    server.close();
    void Promise.resolve(getTelemetry()?.shutdown()).finally(() => process.exit(0));
  });
}
