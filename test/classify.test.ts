import assert from 'node:assert/strict';
import { categorizeError, categoryOfAnswer, classifyWith, statusOf } from '../src/classify';

class PaymentError extends Error {}
class CardDeclined extends PaymentError {}
class UnauthorizedError extends Error {}
class KnexTimeoutError extends Error {}

const throwingGetters = new Proxy({}, { get() { throw new Error('getter'); }, getPrototypeOf() { throw new Error('proto'); } });

describe('categorizeError', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a PaymentError', new PaymentError('declined'), 'payment'],
    ['a subclass of PaymentError', new CardDeclined('declined'), 'payment'],
    ['a plain error named PaymentError', Object.assign(new Error('x'), { name: 'PaymentError' }), 'payment'],
    ['a pg DatabaseError (SQLSTATE + severity)', Object.assign(new Error('relation does not exist'), { code: '42P01', severity: 'ERROR' }), 'database'],
    ['a knex timeout', new KnexTimeoutError('Knex: Timeout acquiring a connection'), 'database'],
    ['knex, its pool destroyed (a plain Error)', new Error('Unable to acquire a connection'), 'database'],
    ['pg, the server dropped the connection', new Error('Connection terminated unexpectedly'), 'database'],
    ['pg-pool, no connection in time', new Error('timeout exceeded when trying to connect'), 'database'],
    ['pg-pool, connecting timed out', new Error('Connection terminated due to connection timeout'), 'database'],
    ['pg-pool, used after end()', new Error('Cannot use a pool after calling end on the pool'), 'database'],
    ['pg, a read timeout', new Error('Query read timeout'), 'database'],
    ['a 401', Object.assign(new Error('no token'), { status: 401 }), 'auth'],
    ['a 403 statusCode', Object.assign(new Error('forbidden'), { statusCode: 403 }), 'auth'],
    ['an UnauthorizedError', new UnauthorizedError('bad token'), 'auth'],
    ['a 404 statusCode (perhaps an upstream\'s: the answer decides, categoryOfAnswer)', Object.assign(new Error('no booking 9'), { statusCode: 404 }), 'http_5xx'],
    ['a 503', Object.assign(new Error('maintenance'), { status: 503 }), 'http_5xx'],
    ['any other error', new Error('boom'), 'http_5xx'],
    ['a TypeError', new TypeError('x is undefined'), 'http_5xx'],
    ['a string', 'boom', 'http_5xx'],
    ['null', null, 'http_5xx'],
    ['undefined', undefined, 'http_5xx'],
    ['a number', 42, 'http_5xx'],
    ['an object whose getters throw', throwingGetters, 'http_5xx'],
    ['an error code that is no SQLSTATE', Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'http_5xx'],
  ];
  for (const [name, error, expected] of cases) {
    it(`${name} → ${expected}`, () => assert.equal(categorizeError(error), expected));
  }

  it('a classifier comes first; undefined, an empty string or a throw fall back to the rules', () => {
    assert.equal(classifyWith(() => 'booking', new Error('x')), 'booking');
    assert.equal(classifyWith(() => undefined, new PaymentError('x')), 'payment');
    assert.equal(classifyWith(() => '', new PaymentError('x')), 'payment');
    assert.equal(classifyWith(() => { throw new Error('classifier broke'); }, new PaymentError('x')), 'payment');
  });

  it('statusOf reads status or statusCode, only valid HTTP statuses', () => {
    assert.equal(statusOf({ status: 404 }), 404);
    assert.equal(statusOf({ statusCode: 503 }), 503);
    assert.equal(statusOf({ status: '404' }), undefined);
    assert.equal(statusOf({ status: 42 }), undefined);
    assert.equal(statusOf(throwingGetters), undefined);
  });
});

describe('categoryOfAnswer', () => {
  const rows: Array<[string, string, number, string]> = [
    ['a reported 429', 'http_5xx', 429, 'http_4xx'],
    ['a 500', 'http_5xx', 500, 'http_5xx'],
    ['an upstream 404 answered 502', 'http_5xx', 502, 'http_5xx'],
    ['after a 200 was sent', 'http_5xx', 200, 'http_5xx'],
    ['a category of its own stays', 'payment', 402, 'payment'],
    ['auth stays', 'auth', 401, 'auth'],
  ];
  for (const [name, category, status, expected] of rows) it(`${name} → ${expected}`, () => assert.equal(categoryOfAnswer(category, status), expected));
});
