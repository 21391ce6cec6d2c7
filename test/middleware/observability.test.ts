import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import request from 'supertest';
import { observability } from '../../middleware';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`observability (${name})`, () => {
    beforeEach(() => kit.reset());

    function app(options: Parameters<typeof observability>[0]) {
      const obs = observability(options);
      const instance = express();
      instance.use(obs.request);
      instance.use(express.json());
      instance.post('/bookings', (_req, _res, next) => next(Object.assign(new Error('date is required'), { status: 400 })));
      instance.get('/crash', () => {
        throw new Error('Test error - this should appear in Sentry!');
      });
      instance.use(obs.errors);
      return instance;
    }

    it('composes the parts: user, breadcrumbs, scrubbed request, 4xx filtered, 5xx reported once', async () => {
      const instance = app({ user: (req) => ({ id: String(req.get('x-user') ?? 'anonymous') }) });
      await request(instance).post('/bookings').send({}).expect(400);
      const response = await request(instance).get('/crash?password=hunter2').set('x-user', 'u-1').expect(500);
      const [event] = await kit.waitForEvents(1);
      await kit.flush();
      assert.equal(kit.events().length, 1);
      assert.equal(event.event_id, response.body.eventId);
      assert.equal(event.user?.id, 'u-1');
      assert.equal(kit.breadcrumbsOf(event)[0]?.category, 'request');
      assert.equal(event.request?.method, 'GET');
      await kit.expectNoSecrets(['hunter2']);
    });

    it('user takes userContext\'s options too: { resolve, timeoutMs }', async () => {
      const instance = app({ user: { resolve: () => new Promise(() => undefined), timeoutMs: 20 } });
      await request(instance).get('/crash').expect(500);
      const [event] = await kit.waitForEvents(1);
      assert.equal(event.user?.id, undefined, 'a resolver that never answers: the request goes on without a user');
      const named = app({ user: { resolve: () => ({ id: 'u-2' }) } });
      kit.reset();
      await request(named).get('/crash').expect(500);
      assert.equal((await kit.waitForEvents(1))[0].user?.id, 'u-2');
    });

    it('a token a route names (/reset/:token) is filtered from the URL in the event, its breadcrumbs and the server span', async () => {
      const obs = observability({});
      const instance = express();
      instance.use(obs.request);
      const invites = express.Router();
      invites.get('/:inviteSecret/accept', () => {
        throw new Error('invite expired');
      });
      instance.use('/invites', invites);
      instance.get('/reset/:token', () => {
        throw new Error('reset link expired');
      });
      instance.use(obs.errors);
      await request(instance).get('/reset/rst-9f86d081884c?lang=en').expect(500);
      await request(instance).get('/invites/inv-5e884898da28/accept').expect(500);
      const events = await kit.waitForEvents(2);
      const spans = await kit.waitForSpans((span) => span.kind === 'SERVER' && /invites/.test(String(span.attributes['http.route'])));
      const reset = events.find((event) => event.transaction === 'GET /reset/:token');
      assert.match(String(reset?.request?.url), /\/reset\/\[Filtered\]$/);
      assert.equal(kit.breadcrumbsOf(reset!)[0]?.message, 'GET /reset/[Filtered]');
      assert.equal(spans[0]?.attributes['url.path'], '/invites/[Filtered]/accept');
      // The test's own client spans (supertest's requests, traced in this process) have no route to go by.
      const sent = JSON.stringify([events, kit.spans().filter((span) => span.kind !== 'CLIENT')]);
      for (const token of ['rst-9f86d081884c', 'inv-5e884898da28']) assert.ok(!sent.includes(token), `${token} was sent`);
    });

    it('a method with a hyphen (M-SEARCH, served by app.all): the token is filtered all the same', async () => {
      const obs = observability({});
      const instance = express();
      instance.use(obs.request);
      instance.all('/reset/:token', () => {
        throw new Error('reset link expired');
      });
      instance.use(obs.errors);
      const server = instance.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const { port } = server.address() as AddressInfo;
        // supertest has no M-SEARCH; Node's client sends any method its parser accepts.
        await context.with(suppressTracing(context.active()), () => new Promise<void>((resolve, reject) => {
          http.request({ host: '127.0.0.1', port, method: 'M-SEARCH', path: '/reset/rst-m-search-4c1d' }, (res) => {
            res.resume();
            res.on('end', resolve);
          }).on('error', reject).end();
        }));
      } finally {
        server.close();
      }
      const [event] = await kit.waitForEvents(1);
      assert.equal(event.transaction, 'M-SEARCH /reset/:token');
      assert.equal(kit.breadcrumbsOf(event)[0]?.message, 'M-SEARCH /reset/[Filtered]');
      assert.ok(!JSON.stringify(event).includes('rst-m-search-4c1d'));
    });

    it('each part can be switched off', async () => {
      const instance = app({ breadcrumbs: false, scrubbing: false, clientErrorFilter: false });
      await request(instance).post('/bookings').send({}).expect(400);
      const [event] = await kit.waitForEvents(1);
      assert.equal(kit.breadcrumbsOf(event).filter((crumb) => crumb.category === 'request').length, 0);
    });

    it('with the error handler off, errors pass through to the next handler', async () => {
      const obs = observability({ errorHandler: false });
      const instance = express();
      instance.get('/crash', () => {
        throw new Error('passes through');
      });
      instance.use(obs.errors);
      instance.use((_error: unknown, _req: unknown, res: { status(code: number): { send(body: string): void } }, _next: unknown) => res.status(599).send('mine'));
      await request(instance).get('/crash').expect(599);
      await kit.expectNoEvents();
    });
  });
}

describe('observability options', () => {
  it('validates each part', () => {
    assert.throws(() => observability({ breadcrumbs: 'yes' as never }), /use an options object, true or false/);
    assert.throws(() => observability({ user: 'nope' as never }), /resolve must be a function/);
    assert.throws(() => observability({ user: { timeoutMs: 5 } as never }), /\{ resolve, timeoutMs\? \} with resolve a function/);
    assert.throws(() => observability({ user: { resolve: () => undefined, timeoutMs: -1 } }), /timeoutMs/);
    assert.throws(() => observability({ errorHandler: { shouldReport: 1 as never } }), /shouldReport must be a function/);
  });
});
