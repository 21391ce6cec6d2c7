import assert from 'node:assert/strict';
import http from 'node:http';
import * as Sentry from '@sentry/node';
import { addBreadcrumb, captureException, setUserContext } from '../../src';
import { errorHandler, observability } from '../../middleware';
import { untracedFetch } from '../support/child-app';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

type Counts = { exited: number; errored: number; crashed: number };

/** Sums the `sessions` aggregates the kit saw on the wire (Sentry's envelope format). */
function sessionCounts(): Counts {
  const total: Counts = { exited: 0, errored: 0, crashed: 0 };
  for (const payload of kit.payloads()) {
    for (const line of payload.split('\n')) {
      if (!line.includes('"aggregates"')) continue;
      for (const bucket of (JSON.parse(line) as { aggregates: Array<Partial<Counts>> }).aggregates) {
        total.exited += bucket.exited ?? 0;
        total.errored += bucket.errored ?? 0;
        total.crashed += bucket.crashed ?? 0;
      }
    }
  }
  return total;
}

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`request isolation and sessions (${name})`, () => {
    beforeEach(async () => {
      await kit.flush(); // earlier tests' counts leave first
      kit.reset();
    });

    it('counts one request session per request: exited, or errored when it captured an error (S19)', async () => {
      const app = express();
      const obs = observability();
      app.use(obs.request);
      app.get('/ok', (_req, res) => res.json({ ok: true }));
      app.get('/bare', (_req, res) => res.end('no scope touched'));
      app.get('/handled', (_req, res) => {
        captureException(new Error('handled-session-error'));
        res.json({ handled: true });
      });
      app.use(obs.errors);
      const server = http.createServer(app).listen(0);
      const port = (server.address() as { port: number }).port;
      try {
        for (const path of ['/ok', '/ok', '/bare', '/handled']) {
          assert.equal((await untracedFetch(`http://127.0.0.1:${port}${path}`)).status, 200);
        }
      } finally {
        server.close();
      }
      await kit.waitForEvents(1);
      await kit.flush();
      assert.deepEqual(sessionCounts(), { exited: 3, errored: 1, crashed: 0 });
    });

    it('names an error event after the matched route, as its server span, so errors group per endpoint (S19)', async () => {
      const app = express();
      const bookings = express.Router();
      bookings.get('/:id', () => {
        throw new Error('booking failed');
      });
      app.use('/api/bookings', bookings);
      app.use(observability({ breadcrumbs: false, scrubbing: false }).errors);
      const server = http.createServer(app).listen(0);
      const port = (server.address() as { port: number }).port;
      try {
        for (const id of [42, 43]) await untracedFetch(`http://127.0.0.1:${port}/api/bookings/${id}?page=2`);
        await untracedFetch(`http://127.0.0.1:${port}/no/such/route`);
      } finally {
        server.close();
      }
      const events = await kit.waitForEvents(2);
      assert.deepEqual(events.map((event) => event.transaction), ['GET /api/bookings/:id', 'GET /api/bookings/:id']);
      const [server42] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.traceId === events[0].contexts?.trace?.trace_id);
      assert.equal(server42.attributes['http.route'], '/api/bookings/:id');
    });

    it('inside a mounted router or sub-app: the URL is the one requested; before any route, the method alone names it', async () => {
      const app = express();
      const shop = express();
      shop.get('/orders/:id', () => {
        throw new Error('order failed');
      });
      shop.use(errorHandler());
      app.use('/shops/:shopId', shop);
      const users = express.Router();
      users.param('userId', (_req, _res, next) => next(new Error('user lookup failed')));
      users.get('/:userId/orders', (_req, res) => res.end());
      app.use('/users', users);
      app.use(errorHandler());
      const server = http.createServer(app).listen(0);
      const port = (server.address() as { port: number }).port;
      try {
        await untracedFetch(`http://127.0.0.1:${port}/shops/42/orders/7?page=2`);
        for (const id of [1, 2]) await untracedFetch(`http://127.0.0.1:${port}/users/${id}/orders`);
      } finally {
        server.close();
      }
      const events = await kit.waitForEvents(3);
      const order = events.find((event) => event.exception?.values?.[0]?.value === 'order failed')!;
      assert.equal(order.transaction, 'GET /shops/:shopId/orders/:id');
      assert.match(order.request?.url ?? '', new RegExp(`^http://127\\.0\\.0\\.1:${port}/shops/42/orders/7(\\?|$)`));
      assert.equal(order.request?.query_string, 'page=2');
      const lookups = events.filter((event) => event.exception?.values?.[0]?.value === 'user lookup failed');
      assert.deepEqual(lookups.map((event) => event.transaction), ['GET', 'GET']);
    });

    it('a request that never touches its scopes still gets them when an event is captured late', async () => {
      const app = express();
      app.get('/late', (_req, res) => {
        setTimeout(() => {
          Sentry.setTag('late.tag', 'yes');
          captureException(new Error('late-capture'));
          res.end('done');
        }, 5);
      });
      const server = http.createServer(app).listen(0);
      const port = (server.address() as { port: number }).port;
      try {
        await untracedFetch(`http://127.0.0.1:${port}/late`);
        await untracedFetch(`http://127.0.0.1:${port}/late`);
      } finally {
        server.close();
      }
      await kit.waitForEvents(2);
      const events = kit.exceptions().filter((event) => event.exception?.values?.[0]?.value === 'late-capture');
      assert.equal(events.length, 2);
      for (const event of events) {
        assert.equal(event.tags?.['late.tag'], 'yes');
        assert.equal(event.request?.method, 'GET');
        assert.match(event.request?.url ?? '', /\/late$/);
      }
      // Set on the request's isolation scope, never on the process's.
      assert.equal(Sentry.getIsolationScope().getScopeData().tags['late.tag'], undefined);
    });

    it('what the middleware wrote, in order, reaches an event captured later, also from a request listener', async () => {
      const QUERY_SECRET = 'qs-secret-vzx';
      const app = express();
      const obs = observability({ user: () => ({ id: 'u-7', username: 'vera' }) });
      app.use(obs.request);
      app.post('/book', (req, res) => {
        Sentry.addBreadcrumb({ category: 'handler', message: 'before the body' });
        // Listeners added to the request run in its context, Sentry scopes included.
        req.on('end', () => {
          captureException(new Error('listener-capture'));
          res.end('booked');
        });
        req.resume();
      });
      const server = http.createServer(app).listen(0);
      const port = (server.address() as { port: number }).port;
      try {
        const response = await untracedFetch(`http://127.0.0.1:${port}/book?token=${QUERY_SECRET}`, { method: 'POST', body: 'x'.repeat(10) });
        assert.equal(response.status, 200);
      } finally {
        server.close();
      }
      await kit.waitForEvents(1);
      const event = kit.exceptions().find((candidate) => candidate.exception?.values?.[0]?.value === 'listener-capture');
      assert.ok(event, 'the event captured in the listener arrives');
      assert.equal(event.user?.id, 'u-7');
      const crumbs = (event.breadcrumbs ?? []).map((crumb) => crumb.category);
      assert.deepEqual(crumbs.slice(-2), ['request', 'handler'], 'the request breadcrumb, then the handler one');
      assert.equal(event.request?.method, 'POST');
      // A value no generated id can contain (ids are hex: a bare 'abc' turned up in one now and then).
      assert.ok(!JSON.stringify(event).includes(QUERY_SECRET), 'the scrubbing middleware scrubbed the query');
      assert.equal(Sentry.getIsolationScope().getUser()?.id, undefined, 'nothing landed on the process-wide scope');
    });

    it('what background work put on the process (a job\'s user, its breadcrumbs) does not reach a request\'s events; start-up tags do', async () => {
      const app = express();
      const obs = observability();
      app.use(obs.request);
      app.get('/fail', () => {
        throw new Error('request failure after a job ran');
      });
      app.use(obs.errors);
      const server = http.createServer(app).listen(0);
      const port = (server.address() as { port: number }).port;
      const processScope = Sentry.getIsolationScope();
      try {
        // A cron-style job outside any request, as it runs from a timer set at start-up.
        processScope.setTag('region', 'eu-north');
        setUserContext({ id: 'cron-job-user' });
        addBreadcrumb({ category: 'cron', message: 'cron tick' });
        assert.equal((await untracedFetch(`http://127.0.0.1:${port}/fail`)).status, 500);
      } finally {
        server.close();
        setUserContext(null);
        processScope.clearBreadcrumbs();
        processScope.setTag('region', undefined);
      }
      const event = await kit.waitForEvent({ message: 'request failure after a job ran' });
      assert.equal(event.user?.id, undefined, `the job's user was put on the request's event: ${JSON.stringify(event.user)}`);
      assert.deepEqual((event.breadcrumbs ?? []).map((crumb) => crumb.category), ['request'], 'the job\'s trail was put on the request\'s');
      assert.equal(event.tags?.region, 'eu-north');
    });
  });
}
