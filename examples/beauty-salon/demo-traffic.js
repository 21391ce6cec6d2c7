'use strict';
// `npm run demo:traffic`: a scripted round of good and bad requests against the running salon
// (`npm start` in another terminal), printing each answer and the Sentry event id it reported, if any.
// What was captured shows in the salon's terminal (no SENTRY_DSN) or in your Sentry project.
const BASE = process.env.SALON_URL || `http://localhost:${process.env.PORT || 3000}`;
const TOKEN = 'demo-token-malika';
const CARD = '4111111111111111';

const inHours = (hours) => new Date(Date.now() + hours * 60 * 60 * 1000).toISOString();

/**
 * @param {string} what what we expect, printed beside the answer
 * @param {string} method @param {string} path @param {{ body?: unknown, token?: string }} [options]
 */
async function send(what, method, path, { body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  const summary = json && typeof json === 'object'
    ? (json.error ?? [json.id !== undefined ? `id ${json.id}` : '', json.status ?? ''].join(' ').trim())
    : text.slice(0, 60);
  const event = json && json.eventId ? `  event ${json.eventId}` : '';
  console.log(`${method.padEnd(4)} ${path.padEnd(26)} → ${response.status}  ${String(summary).slice(0, 90)}${event}\n     ${what}`);
  return json;
}

async function main() {
  console.log(`Demo traffic against ${BASE}\n`);
  await send('healthy, nothing reported', 'GET', '/health');
  await send('validation error: 400, not reported (S14)', 'POST', '/bookings', { body: { master_id: 1, service_id: 1 }, token: TOKEN });
  const later = await send('a booking in 3 days', 'POST', '/bookings', { body: { master_id: 1, service_id: 2, starts_at: inHours(72) }, token: TOKEN });
  const soon = await send('a booking in 2 hours', 'POST', '/bookings', { body: { master_id: 2, service_id: 4, starts_at: inHours(2) }, token: TOKEN });
  await send('cancelled in time: nothing reported', 'POST', `/bookings/${later.id}/cancel`);
  await send('late cancellation: reported with its breadcrumb trail (S8)', 'POST', `/bookings/${soon.id}/cancel`);
  await send('paid; a warning "Suspicious payment amount" is reported (S5)', 'POST', '/payments', { body: { booking_id: soon.id, amount: 12_500_000, card_number: CARD } });
  await send('the gateway fails: PaymentError reported by both services on one trace (S6)', 'POST', '/payments', { body: { booking_id: soon.id, amount: 150_013, card_number: CARD } });
  await send('card declined: 402, not reported', 'POST', '/payments', { body: { booking_id: soon.id, amount: 150_000, card_number: '4000000000000002' } });
  await send('no token: 401, not reported', 'GET', '/profile');
  await send('wrong token: 401, not reported', 'GET', '/profile', { token: 'not-a-real-token' });
  await send('signed in as Malika', 'GET', '/profile', { token: TOKEN });
  await send('database error, reported with the user attached (S7)', 'GET', '/profile?include=loyalty', { token: TOKEN });
  await send('two events: a message and an exception (S10)', 'GET', '/sentry-test');
  await send('unhandled error, reported with its stack trace (S9, S10)', 'GET', '/crash');
  console.log('\nExpected: 8 events (cancellation, warning, 2 payment errors, database error, 2 from /sentry-test, crash),');
  console.log('none for the 4xx answers. See the salon\'s terminal, or your Sentry project when SENTRY_DSN is set.');
}

main().catch((error) => {
  const reason = error && error.cause && error.cause.code === 'ECONNREFUSED' ? `nothing listens at ${BASE}: run \`npm start\` first` : error;
  console.error('demo-traffic failed:', reason);
  process.exitCode = 1;
});

