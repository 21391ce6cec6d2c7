'use strict';
// POST /bookings and POST /bookings/:id/cancel.
const express = require('express');
const { addBreadcrumb } = require('express-otel-sentry');
const { CancellationPolicyError, HttpError, NotFoundError, ValidationError } = require('../errors');
const { futureDate, positiveInteger } = require('../validate');

const HOUR_MS = 60 * 60 * 1000;
/** Bookings can be cancelled up to this many hours before they start. */
const CANCELLATION_NOTICE_HOURS = 24;

/** @param {import('knex').Knex} db */
function bookingsRouter(db) {
  const router = express.Router();

  // Validation failures are thrown as 400s: answered with their message, never reported (S14).
  router.post('/bookings', async (req, res) => {
    const body = req.body ?? {};
    const clientId = req.user ? req.user.id : positiveInteger(body.client_id, 'client_id');
    const masterId = positiveInteger(body.master_id, 'master_id');
    const serviceId = positiveInteger(body.service_id, 'service_id');
    const startsAt = futureDate(body.starts_at, 'starts_at');

    const [client, master, service] = await Promise.all([
      db('clients').where({ id: clientId }).first('id'),
      db('masters').where({ id: masterId }).first('id'),
      db('services').where({ id: serviceId }).first('id', 'name', 'price'),
    ]);
    if (!client) throw new ValidationError(`client ${clientId} does not exist`);
    if (!master) throw new ValidationError(`master ${masterId} does not exist`);
    if (!service) throw new ValidationError(`service ${serviceId} does not exist`);

    const [booking] = await db('bookings')
      .insert({ client_id: clientId, master_id: masterId, service_id: serviceId, starts_at: startsAt })
      .returning(['id', 'client_id', 'master_id', 'service_id', 'starts_at', 'status']);
    res.status(201).json({ ...booking, service: service.name, price: Number(service.price) });
  });

  // The seed's breadcrumb example (S8): if the policy check fails, the event shows this whole trail,
  // including the queries in between.
  router.post('/bookings/:id/cancel', async (req, res) => {
    const id = positiveInteger(req.params.id, 'booking id');
    addBreadcrumb({ message: 'User initiated booking cancellation', category: 'booking', level: 'info', data: { booking_id: id } });

    const booking = await db('bookings').where({ id }).first();
    if (!booking) throw new NotFoundError(`booking ${id} not found`);
    addBreadcrumb({ message: 'Booking found, checking cancellation policy', category: 'booking', level: 'info', data: { status: booking.status } });

    if (booking.status === 'cancelled') throw new HttpError(409, `booking ${id} is already cancelled`);
    const hoursLeft = (new Date(booking.starts_at).getTime() - Date.now()) / HOUR_MS;
    if (hoursLeft < CANCELLATION_NOTICE_HOURS) {
      throw new CancellationPolicyError(
        `Booking ${id} cannot be cancelled less than ${CANCELLATION_NOTICE_HOURS} hours before it starts (${hoursLeft.toFixed(1)} h left)`,
      );
    }
    const [cancelled] = await db('bookings').where({ id }).update({ status: 'cancelled' }).returning(['id', 'status', 'starts_at']);
    res.json(cancelled);
  });

  return router;
}

module.exports = { bookingsRouter };
