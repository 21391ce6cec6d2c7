'use strict';
// Error classes. `status` tells the middleware what to answer: 4xx are the client's and are not
// reported (S14); everything else is. The class name feeds `error.category` (PaymentError → payment).

class HttpError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.expose = true; // the message is meant for the client
  }
}

class ValidationError extends HttpError {
  /** @param {string} message */
  constructor(message) {
    super(400, message);
  }
}

class NotFoundError extends HttpError {
  /** @param {string} message */
  constructor(message) {
    super(404, message);
  }
}

class AuthError extends HttpError {
  /** @param {string} message */
  constructor(message) {
    super(401, message);
  }
}

/**
 * A cancellation the salon's policy forbids. It is answered 500 and reported on purpose: the salon
 * wants each late cancellation looked at, with the trail that led to it (S8).
 */
class CancellationPolicyError extends HttpError {
  /** @param {string} message */
  constructor(message) {
    super(500, message);
  }
}

/** The payment gateway failed (not a decline): reported with the booking, amount and method (S6). */
class PaymentError extends Error {
  /** @param {string} message @param {{ cause?: unknown }} [options] */
  constructor(message, options) {
    super(message, options);
    this.name = 'PaymentError';
  }
}

module.exports = { HttpError, ValidationError, NotFoundError, AuthError, CancellationPolicyError, PaymentError };
