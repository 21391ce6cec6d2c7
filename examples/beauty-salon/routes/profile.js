'use strict';
// GET /profile: a protected route. The user context comes from observability({ user }) in app.js (S7).
const express = require('express');
const { requireAuth } = require('../auth');

/** @param {import('knex').Knex} db */
function profileRouter(db) {
  const router = express.Router();

  router.get('/profile', requireAuth, async (req, res) => {
    const bookings = await db('bookings')
      .join('services', 'services.id', 'bookings.service_id')
      .join('masters', 'masters.id', 'bookings.master_id')
      .where('bookings.client_id', req.user.id)
      .orderBy('bookings.starts_at')
      .select('bookings.id', 'bookings.starts_at', 'bookings.status', 'services.name as service', 'masters.name as master');
    const profile = { ...req.user, bookings };

    if (req.query.include === 'loyalty') {
      // Loyalty points live in a table that a later release adds (there is no migration for it here),
      // so this is a real database error: reported with category `database`, this user attached and
      // the failing query at the end of the breadcrumb trail.
      profile.loyalty = await db('loyalty_accounts').where({ client_id: req.user.id }).first();
    }
    res.json(profile);
  });

  return router;
}

module.exports = { profileRouter };
