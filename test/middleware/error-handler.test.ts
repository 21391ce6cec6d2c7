import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import request from 'supertest';
import * as Sentry from '@sentry/node';
import { captureException, setUserContext } from '../../src';
import { clientErrorFilter, errorHandler } from '../../middleware';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

class PaymentError extends Error {
  override name = 'PaymentError';
}
class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
  status = 500;
}

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`errorHandler (${name})`, () => {
    beforeEach(() => kit.reset());

    // A database that is down: a port nothing listens on (a closed listener's).
    let downPool: pg.Pool;
    let downKnex: Knex;
    let closedPort = 0;
    let closedServicePort = 0;
    const portNobodyListensOn = async (): Promise<number> => {
      const listener = http.createServer();
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      const { port } = listener.address() as AddressInfo;
      await new Promise((resolve) => listener.close(resolve));
      return port;
    };
    before(async () => {
      closedPort = await portNobodyListensOn();
      closedServicePort = await portNobodyListensOn();
      downPool = new pg.Pool({ host: '127.0.0.1', port: closedPort, user: 'postgres', database: 'test' });
      downKnex = knexFactory({ client: 'pg', connection: { host: '127.0.0.1', port: closedPort, user: 'postgres', database: 'test' }, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 5000 });
    });
    after(async () => Promise.all([downPool?.end(), downKnex?.destroy()]));

    let reportedFirst = '';
    // One error object that fails every request awaiting it (a cached promise that rejected).
    const sharedFailure = new Error('rates service unavailable');

    function app(options?: Parameters<typeof errorHandler>[0]) {
      const instance = express();
      instance.get('/sync', () => {
        throw new Error('sync failure with internals');
      });
      // Express 4 does not catch rejected promises: the handler passes the error on itself.
      instance.get('/async', (_req, _res, next) => {
        Promise.resolve()
          .then(() => {
            throw new PaymentError('card declined');
          })
          .catch(next);
      });
      instance.get('/next', (_req, _res, next) => next(new UnauthorizedError('bad token')));
      instance.get('/db', (_req, _res, next) => next(Object.assign(new Error('relation "bookings" does not exist'), { code: '42P01', severity: 'ERROR' })));
      instance.get('/db-down/pg', (_req, res, next) => downPool.query('select 1').then(() => res.end(), next));
      instance.get('/db-down/knex', (_req, res, next) => downKnex.raw('select 1').then(() => res.end(), next));
      // Refused too, but by no database: another service.
      instance.get('/service-down', (_req, _res, next) => {
        http.get({ host: '127.0.0.1', port: closedServicePort, path: '/rates' }).on('error', next);
      });
      instance.get('/middleware-error', (_req, _res, next) => next());
      instance.get('/exposed', (_req, _res, next) => next(Object.assign(new Error('Maintenance until 10:00'), { status: 503, expose: true })));
      instance.get('/not-found', (_req, _res, next) => next(Object.assign(new Error('Booking 9 not found'), { status: 404 })));
      // What `send` (res.sendFile, express.static) passes on for a missing file: its message names the path.
      instance.get('/missing-file', (_req, _res, next) => next(Object.assign(new Error("ENOENT: no such file or directory, stat '/srv/app/private/x.pdf'"), { status: 404, expose: false })));
      // http-errors errors carry the headers their status needs.
      instance.get('/challenge', (_req, _res, next) => next(Object.assign(new Error('token rejected by keycloak at 10.0.3.7'), {
        status: 401, expose: false, headers: { 'WWW-Authenticate': 'Bearer realm="api"', 'Content-Length': '1', 'X-Bad\r\nName': 'v' },
      })));
      instance.get('/retry-later', (_req, _res, next) => next(Object.assign(new Error('overloaded'), { status: 503, headers: { 'Retry-After': 120 } })));
      // An upstream's failure that carries the upstream's response headers, and no status of its own.
      instance.get('/upstream-failure', (_req, _res, next) => next(Object.assign(new Error('upstream failed'), {
        headers: { 'set-cookie': 'upstream_session=abc', 'content-encoding': 'br', 'x-upstream': '1' },
      })));
      instance.get('/bad-gateway', (_req, _res, next) => next(Object.assign(new Error('upstream failed'), {
        status: 502, headers: { 'content-encoding': 'br', 'x-upstream': '1' },
      })));
      // S6: reported by the app with its details, then thrown on to the handler.
      instance.get('/reported-first', () => {
        const error = new PaymentError('gateway answered 500');
        reportedFirst = captureException(error, { booking_id: 5 });
        throw error;
      });
      // Reported with Sentry's own API, which the kit cannot give an id back for, then thrown on.
      instance.get('/reported-by-sentry', () => {
        const error = new PaymentError('reported by the app through Sentry');
        Sentry.captureException(error);
        throw error;
      });
      instance.get('/shared-failure/:user', (req, _res, next) => {
        setUserContext({ id: req.params.user });
        next(sharedFailure);
      });
      instance.get('/sent', (_req, res, next) => {
        res.status(200).json({ partial: true });
        next(new Error('after the response'));
      });
      instance.use(errorHandler(options));
      return instance;
    }

    it('a 500: exactly one event, the eventId in the answer, no stack or internal message', async () => {
      const response = await request(app()).get('/sync').expect(500);
      assert.deepEqual(Object.keys(response.body).sort(), ['error', 'eventId']);
      assert.equal(response.body.error, 'Internal Server Error');
      const events = await kit.waitForEvents(1);
      await kit.flush();
      assert.equal(kit.events().length, 1);
      assert.equal(events[0].event_id, response.body.eventId);
      assert.equal(events[0].tags?.['error.category'], 'http_5xx');
      assert.ok(events[0].exception?.values?.[0].stacktrace?.frames?.length);
    });

    for (const [path, category] of [
      ['/async', 'payment'], ['/next', 'auth'], ['/db', 'database'],
      // The database refusing connections: a bare socket error, told by where pg was connecting.
      ['/db-down/pg', 'database'], ['/db-down/knex', 'database'], ['/service-down', 'http_5xx'],
    ] as const) {
      it(`tags ${path} with error.category=${category}`, async () => {
        await request(app()).get(path).expect(500);
        await kit.waitForEvents(1);
        kit.expectEvent({ category });
      });
    }

    it('a 4xx answers with its own status and message and is reported when no filter is mounted', async () => {
      const response = await request(app()).get('/not-found').expect(404);
      assert.deepEqual(response.body, { error: 'Booking 9 not found' });
    });

    it('a 4xx marked expose: false (send\'s ENOENT names the file\'s path) answers with its status text only', async () => {
      const response = await request(app({ exposeDetails: false })).get('/missing-file').expect(404);
      assert.deepEqual(response.body, { error: 'Not Found' });
      const challenged = await request(app({ exposeDetails: false })).get('/challenge').expect(401);
      assert.deepEqual(challenged.body, { error: 'Unauthorized' });
    });

    it('sends the headers an error carries (WWW-Authenticate, Retry-After), as Express does, never its body headers', async () => {
      const challenged = await request(app()).get('/challenge').expect(401);
      assert.equal(challenged.headers['www-authenticate'], 'Bearer realm="api"');
      assert.equal(challenged.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(Number(challenged.headers['content-length']), Buffer.byteLength(JSON.stringify(challenged.body)));
      const busy = await request(app()).get('/retry-later').expect(503);
      assert.equal(busy.headers['retry-after'], '120');
    });

    it('an error without a status of its own brings no headers (an upstream\'s Set-Cookie is not this answer\'s), and no error changes the body\'s encoding', async () => {
      const failed = await request(app()).get('/upstream-failure').expect(500);
      assert.equal(failed.headers['set-cookie'], undefined);
      assert.equal(failed.headers['x-upstream'], undefined);
      assert.equal(failed.headers['content-encoding'], undefined);
      const badGateway = await request(app()).get('/bad-gateway').expect(502);
      assert.equal(badGateway.headers['x-upstream'], '1');
      assert.equal(badGateway.headers['content-encoding'], undefined);
      assert.equal(badGateway.body.error, 'Bad Gateway');
    });

    it('an error marked expose shows its own message', async () => {
      const response = await request(app()).get('/exposed').expect(503);
      assert.equal(response.body.error, 'Maintenance until 10:00');
    });

    it("Sentry's own error handler mounted before it: one event, and the answer names it", async () => {
      const instance = express();
      instance.get('/boom', () => {
        throw new Error('reported by Sentry\'s handler first');
      });
      Sentry.setupExpressErrorHandler(instance);
      instance.use(errorHandler());
      const response = await request(instance).get('/boom').expect(500);
      const [event] = await kit.waitForEvents(1);
      await kit.flush();
      assert.equal(kit.events().length, 1);
      assert.equal(response.body.eventId, event.event_id);
    });

    it('leaves a response already sent alone (and still reports, with the status the client got)', async () => {
      const response = await request(app()).get('/sent').expect(200);
      assert.deepEqual(response.body, { partial: true });
      const [event] = await kit.waitForEvents(1);
      kit.expectEvent({ message: 'after the response' });
      assert.equal(event.tags?.['http.status_code'], '200');
    });

    it('an error with a 4xx status after the response was sent is reported behind clientErrorFilter: the client got no 4xx', async () => {
      const instance = express();
      instance.get('/sent', (_req, res, next) => {
        res.status(200).json({ partial: true });
        next(Object.assign(new Error('lookup failed after the answer'), { status: 404 }));
      });
      instance.use(clientErrorFilter());
      instance.use(errorHandler());
      await request(instance).get('/sent').expect(200);
      const [event] = await kit.waitForEvents(1);
      assert.equal(event.tags?.['http.status_code'], '200');
    });

    it('behind clientErrorFilter, a server error after a 4xx was sent is reported; a 4xx error after a 4xx is not', async () => {
      const instance = express();
      instance.get('/page/:kind', (req, res, next) => {
        res.status(404).json({ error: 'no such page' });
        next(Object.assign(new Error(`${req.params.kind} after the 404`), req.params.kind === 'bug' ? { status: 500 } : { status: 404 }));
      });
      instance.use(clientErrorFilter());
      instance.use(errorHandler());
      await request(instance).get('/page/bug').expect(404);
      await request(instance).get('/page/missing').expect(404);
      const [event] = await kit.waitForEvents(1);
      await kit.flush();
      assert.equal(kit.events().length, 1);
      assert.equal(event.exception?.values?.[0]?.value, 'bug after the 404');
      assert.equal(event.tags?.['http.status_code'], '404');
    });

    it('ignoreErrors and shouldReport skip reporting but still answer; a throwing shouldReport counts as report', async () => {
      await request(app({ ignoreErrors: [/internals/] })).get('/sync').expect(500);
      await request(app({ shouldReport: () => false })).get('/async').expect(500);
      await kit.expectNoEvents();
      await request(app({ shouldReport: () => { throw new Error('hook broke'); } })).get('/async').expect(500);
      await kit.waitForEvents(1);
    });

    it('an ignoreErrors RegExp with the g flag ignores the error every time, not every other time', async () => {
      const instance = app({ ignoreErrors: [/internals/g] });
      for (let i = 0; i < 3; i++) await request(instance).get('/sync').expect(500);
      await kit.expectNoEvents();
    });

    it('an error the app already reported is not reported again, and the answer names the event that was sent', async () => {
      const response = await request(app()).get('/reported-first').expect(500);
      const [event] = await kit.waitForEvents(1);
      await kit.flush();
      assert.equal(kit.events().length, 1);
      assert.deepEqual(event.contexts?.details, { booking_id: 5 });
      assert.equal(response.body.eventId, event.event_id);
      assert.equal(response.body.eventId, reportedFirst);
    });

    it('one error object failing two requests is an event for each, and each answer names its own', async () => {
      const instance = app();
      const first = await request(instance).get('/shared-failure/alice').expect(500);
      const second = await request(instance).get('/shared-failure/bob').expect(500);
      const events = await kit.waitForEvents(2);
      const byUser = new Map(events.map((event) => [event.user?.id, event.event_id]));
      assert.deepEqual([...byUser.keys()].sort(), ['alice', 'bob']);
      assert.equal(first.body.eventId, byUser.get('alice'));
      assert.equal(second.body.eventId, byUser.get('bob'));
    });

    it('an error the app reported through Sentry itself: no second event, and no eventId that names nothing', async () => {
      const response = await request(app()).get('/reported-by-sentry').expect(500);
      await kit.waitForEvents(1);
      await kit.flush();
      assert.equal(kit.events().length, 1);
      assert.equal(response.body.eventId, undefined);
    });

    it('shows message and stack in development only when asked', async () => {
      const response = await request(app({ exposeDetails: true })).get('/sync').expect(500);
      assert.equal(response.body.message, 'sync failure with internals');
      assert.ok(Array.isArray(response.body.stack));
    });
  });
}

describe('errorHandler options', () => {
  it('validates at construction', () => {
    assert.throws(() => errorHandler({ shouldReport: 'yes' as never }), /shouldReport must be a function/);
    assert.throws(() => errorHandler({ ignoreErrors: 'x' as never }), /ignoreErrors must be an array/);
  });
});
