'use strict';
const { createHash } = require('node:crypto');

/** Demo API tokens (printed at start-up); only their SHA-256 is stored. */
const DEMO_TOKENS = {
  'malika@example.uz': 'demo-token-malika',
  'timur@example.uz': 'demo-token-timur',
  'anna@example.ru': 'demo-token-anna',
};

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const HOUR = 60 * 60 * 1000;

/**
 * Runs at every start, so it only fills empty tables: bookings and payments made while you play with
 * the API survive restarts.
 * @param {import('knex').Knex} knex
 */
exports.seed = async (knex) => {
  const [{ count }] = await knex('services').count({ count: '*' });
  if (Number(count) > 0) return;

  const services = await knex('services').insert([
    { name: 'Haircut (soch turmagi)', duration_minutes: 45, price: 150000 },
    { name: 'Manicure', duration_minutes: 60, price: 120000 },
    { name: 'Hair colouring', duration_minutes: 120, price: 450000 },
    { name: 'Massage', duration_minutes: 60, price: 300000 },
  ]).returning('id');
  const masters = await knex('masters').insert([
    { name: 'Dilnoza Karimova', speciality: 'hair' },
    { name: 'Aziz Rakhimov', speciality: 'massage' },
    { name: 'Olga Petrova', speciality: 'nails' },
  ]).returning('id');
  const clients = await knex('clients').insert(
    [
      { name: 'Malika Yusupova', email: 'malika@example.uz', phone: '+998 90 123 45 67' },
      { name: 'Timur Alimov', email: 'timur@example.uz', phone: '+998 93 765 43 21' },
      { name: 'Anna Smirnova', email: 'anna@example.ru', phone: '+7 916 555 01 02' },
    ].map((c) => ({ ...c, api_token_sha256: sha256(DEMO_TOKENS[c.email]) })),
  ).returning('id');

  const now = Date.now();
  await knex('bookings').insert([
    // Starts in 3 hours: cancelling it breaks the 24-hour policy (and keeps breaking it later on).
    { client_id: clients[0].id, master_id: masters[0].id, service_id: services[0].id, starts_at: new Date(now + 3 * HOUR) },
    { client_id: clients[1].id, master_id: masters[1].id, service_id: services[3].id, starts_at: new Date(now + 5 * 24 * HOUR) },
    { client_id: clients[2].id, master_id: masters[2].id, service_id: services[1].id, starts_at: new Date(now + 7 * 24 * HOUR) },
  ]);
};

exports.DEMO_TOKENS = DEMO_TOKENS;
