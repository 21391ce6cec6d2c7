import assert from 'node:assert/strict';
import request from 'supertest';
import { captureException } from '../../src';
import { errorHandler, userContext } from '../../middleware';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`userContext (${name})`, () => {
    beforeEach(() => kit.reset());

    function appWith(resolve: Parameters<typeof userContext>[0], options?: Parameters<typeof userContext>[1]) {
      const app = express();
      app.use(userContext(resolve, options));
      app.get('/fail', () => {
        throw new Error('profile failed');
      });
      app.get('/ok', (_req, res) => res.json({ ok: true }));
      app.use(errorHandler());
      return app;
    }

    it('ties the error event to the user and the server span to user.id (sync resolver)', async () => {
      const app = appWith(() => ({ id: 42, email: 'anna@example.com', username: 'anna' }));
      await request(app).get('/fail').expect(500);
      const [event] = await kit.waitForEvents(1);
      assert.deepEqual(event.user, { id: '42', email: 'anna@example.com', username: 'anna' });
      const [server] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.traceId === event.contexts?.trace?.trace_id);
      assert.equal(server.attributes['user.id'], '42');
    });

    it('authentication mounted after it, in the app or in a router: an event asks the resolver again', async () => {
      type WithUser = { user?: { id: string } };
      const app = express();
      app.use(userContext((req) => (req as WithUser).user));
      app.use('/app-auth', (req, _res, next) => {
        (req as WithUser).user = { id: 'app-level' };
        next();
      });
      const router = express.Router();
      router.use((req, _res, next) => {
        (req as WithUser).user = { id: 'router-level' };
        next();
      });
      router.get('/fail', () => {
        throw new Error('late user, router');
      });
      app.use('/router-auth', router);
      app.get('/app-auth/fail', () => {
        throw new Error('late user, app');
      });
      app.get('/anonymous', () => {
        throw new Error('no user at all');
      });
      app.use(errorHandler());
      for (const path of ['/app-auth/fail', '/router-auth/fail', '/anonymous']) await request(app).get(path).expect(500);
      const events = await kit.waitForEvents(3);
      for (const [message, id] of [['late user, app', 'app-level'], ['late user, router', 'router-level'], ['no user at all', undefined]]) {
        const event = events.find((e) => e.exception?.values?.[0]?.value === message)!;
        if (id === undefined) assert.equal(event.user?.id, undefined, message);
        else assert.deepEqual(event.user, { id }, message);
      }
    });

    it('…a resolver that answers with a promise by then: let go, its rejection handled, asked no more (no loop of events)', async () => {
      type WithSession = { session?: { userId: string } };
      let lookups = 0;
      const resolve = (req: { session?: unknown }) => {
        if (!(req as WithSession).session) return undefined;
        lookups++;
        return Promise.reject(new Error('users table unavailable')); // a lookup of the session's user
      };
      const app = express();
      app.use(userContext(resolve as never));
      app.use((req, _res, next) => {
        (req as WithSession).session = { userId: 'u1' };
        next();
      });
      app.get('/fail', (_req, _res, next) => {
        captureException(new Error('first, handled'));
        next(new Error('handler failed'));
      });
      app.use(errorHandler());
      await request(app).get('/fail').expect(500);
      await kit.waitForEvents(2);
      await new Promise((resolve) => setTimeout(resolve, 100)); // a loop would have sent more by now
      assert.deepEqual(kit.events().map((e) => e.exception?.values?.[0]?.value).sort(), ['first, handled', 'handler failed']);
      assert.equal(lookups, 1);
    });

    it('…a resolver that captures an event itself is not re-entered', async () => {
      let calls = 0;
      const app = express();
      app.use(userContext(() => {
        calls++;
        if (calls > 1) captureException(new Error('captured by the resolver'));
        return undefined;
      }));
      app.get('/fail', () => {
        throw new Error('handler failed');
      });
      app.use(errorHandler());
      await request(app).get('/fail').expect(500);
      await kit.waitForEvents(2);
      await new Promise((resolve) => setTimeout(resolve, 100)); // a loop would have sent more by now
      assert.equal(calls, 2, 'asked at the middleware and at the first event only');
      assert.equal(kit.events().length, 2);
    });

    it('waits for an async resolver', async () => {
      const app = appWith(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return { id: 'u-7' };
      });
      await request(app).get('/fail').expect(500);
      await kit.waitForEvents(1);
      kit.expectEvent({ message: 'profile failed', user: { id: 'u-7' } });
    });

    for (const [label, resolver] of [
      ['throws', () => { throw new Error('resolver broke'); }],
      ['rejects', () => Promise.reject(new Error('resolver rejected'))],
      ['returns garbage', () => 'not a user' as never],
      ['returns a non-finite id', () => ({ id: Number.NaN })],
      ['returns null', () => null],
      ['returns an object whose every property read throws', () => new Proxy({}, { get() { throw new Error('hostile'); } })],
      ['returns a user whose id getter throws', () => ({ get id(): string { throw new Error('hostile id'); } })],
      ['resolves to an object whose every property read throws', async () => new Proxy({}, { get() { throw new Error('hostile'); } })],
      ['returns a promise whose then throws', () => Object.assign(Promise.resolve({ id: 'u-1' }), { then() { throw new Error('hostile then'); } })],
    ] as const) {
      it(`a resolver that ${label} never breaks the request: it goes on without a user`, async () => {
        const app = appWith(resolver as never);
        await request(app).get('/ok').expect(200, { ok: true });
        await request(app).get('/fail').expect(500);
        const [event] = await kit.waitForEvents(1);
        assert.equal(event.user?.id, undefined);
      });
    }

    it('a resolver that hangs times out and the request goes on', async () => {
      const app = appWith(() => new Promise(() => undefined), { timeoutMs: 50 });
      await request(app).get('/ok').expect(200);
    });

    it('validates its arguments at construction', () => {
      assert.throws(() => userContext('nope' as never), /resolve must be a function/);
      assert.throws(() => userContext(() => undefined, { timeoutMs: -1 }), /timeoutMs must be a positive integer/);
    });
  });
}
