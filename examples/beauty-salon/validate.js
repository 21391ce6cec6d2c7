'use strict';
// Small input checks: each failure is a ValidationError (400, answered, not reported).
const { ValidationError } = require('./errors');

/** @param {unknown} value @param {string} field @returns {number} */
function positiveInteger(value, field) {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
    throw new ValidationError(`${field} must be a positive integer`);
  }
  return n;
}

/** @param {unknown} value @param {string} field @returns {Date} a moment in the future */
function futureDate(value, field) {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new ValidationError(`${field} must be an ISO 8601 date, e.g. 2030-05-01T10:00:00+05:00`);
  }
  if (date.getTime() <= Date.now()) throw new ValidationError(`${field} must be in the future`);
  return date;
}

/** @param {unknown} value @returns {string} the digits of a card number */
function cardNumber(value) {
  const digits = typeof value === 'string' ? value.replace(/[\s-]/g, '') : '';
  if (!/^\d{12,19}$/.test(digits)) throw new ValidationError('card_number must have 12 to 19 digits');
  return digits;
}

module.exports = { positiveInteger, futureDate, cardNumber };
