import assert from 'node:assert/strict';
import request from 'supertest';
import { clientErrorFilter, errorHandler } from '../../middleware';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

function httpError(status: number, message: string) {
  return Object.assign(new Error(message), { status, expose: status < 500 });
}

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`clientErrorFilter (${name})`, () => {
    beforeEach(() => kit.reset());

    function app(options?: Parameters<typeof clientErrorFilter>[0]) {
      const instance = express();
      instance.use(express.json());
      instance.post('/bookings', (_req, _res, next) => next(httpError(400, 'date is required')));
      instance.get('/missing', (_req, _res, next) => next(Object.assign(new Error('no such booking'), { statusCode: 404 })));
      instance.post('/validate', (_req, res, next) => {
        res.status(422);
        next(new Error('slot is taken')); // no status on the error: the response's status counts
      });
      instance.get('/throttled', (_req, _res, next) => next(httpError(429, 'slow down')));
      instance.get('/broken', () => {
        throw new Error('database exploded');
      });
      instance.use(clientErrorFilter(options));
      instance.use(errorHandler());
      return instance;
    }

    it('400, 404 and 422 (from the error or the response status) produce no event', async () => {
      const instance = app();
      await request(instance).post('/bookings').send({}).expect(400, { error: 'date is required' });
      await request(instance).get('/missing').expect(404);
      await request(instance).post('/validate').expect(422);
      await request(instance).post('/bookings').set('content-type', 'application/json').send('{"broken json').expect(400);
      await kit.expectNoEvents();
    });

    it('only the error it filtered: a different error later in the same request is reported', async () => {
      const instance = express();
      const sub = express();
      sub.get('/thing', (_req, _res, next) => next(httpError(404, 'no such thing')));
      sub.use(clientErrorFilter(), errorHandler({ respond: false }));
      instance.use('/sub', sub);
      // The app's own handler turns the 404 into a failure of its own.
      instance.use((_error: unknown, _req: unknown, _res: unknown, next: (error: unknown) => void) => next(new Error('fallback failed')));
      instance.use(errorHandler());
      const response = await request(instance).get('/sub/thing').expect(500);
      const [event] = await kit.waitForEvents(1);
      assert.equal(event.exception?.values?.[0]?.value, 'fallback failed');
      assert.equal(response.body.eventId, event.event_id);
    });

    it('…but the same 4xx wrapped by an app\'s error normalizer after it stays unreported', async () => {
      class ApiError extends Error {
        constructor(readonly status: number, message: string) {
          super(message);
        }
      }
      const instance = express();
      instance.get('/missing', (_req, _res, next) => next(httpError(404, 'no such booking')));
      instance.use(clientErrorFilter());
      instance.use((error: { status?: number; message: string }, _req: unknown, _res: unknown, next: (error: unknown) => void) => next(new ApiError(error.status ?? 500, error.message)));
      instance.use(errorHandler());
      await request(instance).get('/missing').expect(404);
      await kit.expectNoEvents();
    });

    it('a 500 produces exactly one event', async () => {
      const response = await request(app()).get('/broken').expect(500);
      const [event] = await kit.waitForEvents(1);
      assert.equal(event.event_id, response.body.eventId);
      assert.equal(kit.events().length, 1);
    });

    it('reports the 4xx statuses it is told to (e.g. 429), as http_4xx: not among "all 500 errors"', async () => {
      await request(app({ report: [429] })).get('/throttled').expect(429);
      await kit.waitForEvents(1);
      kit.expectEvent({ message: 'slow down', category: 'http_4xx' });
    });

    it('4xx never mark the server span as an error', async () => {
      await request(app()).post('/bookings').send({}).expect(400);
      const [server] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.attributes['http.response.status_code'] === 400);
      assert.notEqual(server.status.code, 2);
    });
  });
}

describe('clientErrorFilter options', () => {
  it('validates at construction', () => {
    assert.throws(() => clientErrorFilter({ report: [500] }), /report must be an array of 4xx statuses/);
  });
});
