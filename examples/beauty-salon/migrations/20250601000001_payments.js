'use strict';
// Payments keep the gateway's transaction id and the card's last four digits, never the card number.

/** @param {import('knex').Knex} knex */
exports.up = async (knex) => {
  await knex.schema.createTable('payments', (t) => {
    t.increments('id');
    t.integer('booking_id').notNullable().references('bookings.id');
    t.bigInteger('amount').notNullable();
    t.string('method').notNullable();
    t.string('card_last4', 4);
    t.string('transaction_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async (knex) => {
  await knex.schema.dropTableIfExists('payments');
};
