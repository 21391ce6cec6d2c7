import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import request from 'supertest';
import { addBreadcrumb } from '../../src';
import { breadcrumbs, errorHandler } from '../../middleware';
import { getTestDatabase } from '../support/database';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

/** A port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('breadcrumbs', () => {
  let db: Knex;
  let outgoingUrl: string;
  before(async () => {
    db = knexFactory({ client: 'pg', connection: (await getTestDatabase()).url, pool: { min: 1, max: 1 } });
    // Open the pooled connection now, so that the trails below hold only the queries of the request.
    await db.raw('select 1');
  });
  after(async () => db?.destroy());

  for (const { name, express } of EXPRESS_VERSIONS) {
    describe(name, () => {
      beforeEach(() => kit.reset());

      function app(options?: Parameters<typeof breadcrumbs>[0]) {
        const instance = express();
        instance.use(breadcrumbs(options));
        instance.get('/target', (_req, res) => res.status(204).end());
        instance.post('/bookings/:id/cancel', async (req, _res, next) => {
          try {
            addBreadcrumb({ message: 'User initiated booking cancellation', category: 'booking', data: { booking_id: req.params.id } });
            await db.raw('select ?::int as id', [Number(req.params.id)]);
            addBreadcrumb({ message: 'Booking found, checking cancellation policy', category: 'booking' });
            await fetch(outgoingUrl);
            throw new Error('Cancellation policy violated');
          } catch (error) {
            next(error);
          }
        });
        instance.get('/many', (_req, _res, next) => {
          for (let i = 0; i < 30; i++) addBreadcrumb({ message: `step ${i}` });
          next(new Error('many steps'));
        });
        instance.use(errorHandler());
        return instance;
      }

      it('keeps the request, its queries, its outgoing calls and addBreadcrumb calls, in order (S8)', async () => {
        const server = app().listen(0);
        outgoingUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/target?api_key=sk_live_abcdefghijklmnop1234`;
        try {
          await request(server).post('/bookings/7/cancel').expect(500);
        } finally {
          server.close();
        }
        const [event] = (await kit.waitForEvents(1)).filter((e) => e.exception?.values?.[0]?.value === 'Cancellation policy violated');
        const trail = kit.breadcrumbsOf(event);
        const summary = trail.map((crumb) => `${crumb.category}: ${crumb.message ?? `${crumb.data?.method} ${crumb.data?.url} ${crumb.data?.status_code}`}`);
        assert.deepEqual(summary, [
          'request: POST /bookings/7/cancel',
          'booking: User initiated booking cancellation',
          'query: select ?::int as id',
          'booking: Booking found, checking cancellation policy',
          `http: GET ${outgoingUrl.replace(/api_key=[^&]+/, 'api_key=[Filtered]')} 204`,
        ]);
        assert.equal(typeof trail[2].data?.duration_ms, 'number');
      });

      it('pg\'s connect spans are no queries: one breadcrumb per pool.query, a failed connect kept as an error', async () => {
        const pool = new pg.Pool({ connectionString: (await getTestDatabase()).url, max: 1 });
        const unreachable = new pg.Pool({ host: '127.0.0.1', port: await closedPort(), max: 1 });
        const instance = express();
        instance.use(breadcrumbs());
        instance.get('/pooled', async (_req, _res, next) => {
          await pool.query('select 1 as one');
          await unreachable.query('select 2 as two').catch(() => undefined);
          next(new Error('after the queries'));
        });
        instance.use(errorHandler());
        try {
          await request(instance).get('/pooled').expect(500);
        } finally {
          await Promise.all([pool.end(), unreachable.end()]);
        }
        const [event] = await kit.waitForEvents(1);
        const queries = kit.breadcrumbsOf(event).filter((crumb) => crumb.category === 'query');
        assert.deepEqual(queries.map((crumb) => `${crumb.level} ${crumb.message}`), ['info select 1 as one', 'error pg.connect', 'error pg-pool.connect']);
      });

      it('is bounded: the oldest are dropped beyond max', async () => {
        await request(app({ max: 10 })).get('/many').expect(500);
        const [event] = await kit.waitForEvents(1);
        const trail = kit.breadcrumbsOf(event);
        assert.equal(trail.length, 10);
        assert.equal(trail.at(-1)?.message, 'step 29');
      });

      it('only the current request: nothing of an earlier request shows up', async () => {
        const instance = app();
        await request(instance).get('/many').expect(500);
        await request(instance).get('/many').expect(500);
        const events = await kit.waitForEvents(2);
        for (const event of events) {
          const requests = kit.breadcrumbsOf(event).filter((crumb) => crumb.category === 'request');
          assert.equal(requests.length, 1);
          assert.equal(kit.breadcrumbsOf(event).length, 31);
        }
      });
    });
  }

  it('validates its options', () => {
    assert.throws(() => breadcrumbs({ max: 0 }), /max must be an integer from 1 to 100/);
    assert.throws(() => breadcrumbs('x' as never), /options must be an object/);
  });
});
