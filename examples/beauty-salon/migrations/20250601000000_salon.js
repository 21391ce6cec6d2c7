'use strict';
// The salon's tables. Amounts are in UZS (so'm), whole numbers: no floating point for money.

/** @param {import('knex').Knex} knex */
exports.up = async (knex) => {
  await knex.schema.createTable('services', (t) => {
    t.increments('id');
    t.string('name').notNullable();
    t.integer('duration_minutes').notNullable();
    t.bigInteger('price').notNullable();
  });
  await knex.schema.createTable('masters', (t) => {
    t.increments('id');
    t.string('name').notNullable();
    t.string('speciality').notNullable();
  });
  await knex.schema.createTable('clients', (t) => {
    t.increments('id');
    t.string('name').notNullable();
    t.string('email').notNullable().unique();
    t.string('phone');
    // SHA-256 of the client's API token: a leaked database does not leak usable tokens.
    t.string('api_token_sha256', 64).unique();
  });
  await knex.schema.createTable('bookings', (t) => {
    t.increments('id');
    t.integer('client_id').notNullable().references('clients.id');
    t.integer('master_id').notNullable().references('masters.id');
    t.integer('service_id').notNullable().references('services.id');
    t.timestamp('starts_at', { useTz: true }).notNullable();
    t.string('status').notNullable().defaultTo('confirmed'); // confirmed | cancelled | paid
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async (knex) => {
  for (const table of ['bookings', 'clients', 'masters', 'services']) await knex.schema.dropTableIfExists(table);
};
