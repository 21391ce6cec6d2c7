'use strict';
// What `npm start` prints once the salon listens: where things are, and requests to try.

/** An ISO date `days` from now, on the hour. @param {number} days */
function daysAhead(days) {
  const date = new Date(Date.now() + days * 24 * 60 * 60 * 1000);
  date.setUTCMinutes(0, 0, 0);
  return date.toISOString();
}

/**
 * @param {{ port: number, gateway: string, database: string, sentry: string }} info
 * @returns {string}
 */
function welcomeText({ port, gateway, database, sentry }) {
  const base = `http://localhost:${port}`;
  const json = "-H 'content-type: application/json'";
  const malika = "-H 'authorization: Bearer demo-token-malika'";
  const card = '4111111111111111';
  return [
    `Beauty salon API: LISTENING ${port} at ${base}`,
    `  payment gateway: ${gateway}`,
    `  database:        ${database}`,
    `  sentry:          ${sentry}`,
    '',
    'Try:',
    `  curl ${base}/health`,
    `  curl -X POST ${base}/bookings ${json} -d '{"master_id":1,"service_id":1}'   # 400, not reported`,
    `  curl -X POST ${base}/bookings ${json} ${malika} -d '{"master_id":1,"service_id":2,"starts_at":"${daysAhead(3)}"}'`,
    `  curl -X POST ${base}/bookings/1/cancel   # breadcrumbs + a reported cancellation-policy error`,
    `  curl -X POST ${base}/payments ${json} -d '{"booking_id":2,"amount":12500000,"card_number":"${card}"}'   # warning: suspicious amount`,
    `  curl -X POST ${base}/payments ${json} -d '{"booking_id":2,"amount":150013,"card_number":"${card}"}'   # gateway fails: PaymentError, one trace over 2 services`,
    `  curl -X POST ${base}/payments ${json} -d '{"booking_id":2,"amount":150000,"card_number":"4000000000000002"}'   # 402 card declined, not reported`,
    `  curl ${base}/profile ${malika}`,
    `  curl '${base}/profile?include=loyalty' ${malika}   # database error tied to the user`,
    `  curl ${base}/profile   # 401, not reported`,
    `  curl ${base}/sentry-test`,
    `  curl ${base}/crash`,
    '  npm run demo:traffic   # all of the above in one go',
    '',
  ].join('\n');
}

module.exports = { welcomeText };
