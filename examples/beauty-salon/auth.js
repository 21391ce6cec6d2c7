'use strict';
// Bearer-token authentication. Tokens are looked up by their SHA-256, as they are stored.
const { createHash } = require('node:crypto');
const { AuthError } = require('./errors');

/**
 * Sets `req.user` when the request carries a valid `Authorization: Bearer <token>`; a wrong token is
 * a 401 (not reported: it is the client's mistake). Requests without a token go on anonymously.
 * @param {import('knex').Knex} db
 * @returns {import('express').RequestHandler}
 */
function authenticate(db) {
  return async function authenticateMiddleware(req, _res, next) {
    const header = req.get('authorization');
    if (!header) return next();
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AuthError('Use the header Authorization: Bearer <token>');
    const sha256 = createHash('sha256').update(match[1]).digest('hex');
    const user = await db('clients').select('id', 'name', 'email').where({ api_token_sha256: sha256 }).first();
    if (!user) throw new AuthError('Invalid or expired token');
    req.user = user;
    next();
  };
}

/** For protected routes: 401 unless `authenticate` found a user. @type {import('express').RequestHandler} */
function requireAuth(req, _res, next) {
  next(req.user ? undefined : new AuthError('Authentication required: send Authorization: Bearer <token>'));
}

module.exports = { authenticate, requireAuth };
