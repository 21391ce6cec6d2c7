/**
 * An Express app served through a serverless adapter (found by a serverless audit): serverless-http calls
 * `app.handle(req, res)` itself, no http server emits 'request', and the app had no span at all, no
 * request data, and one invocation's user and breadcrumbs on another's events.
 */
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import express from 'express';
import knexFactory, { type Knex } from 'knex';
import serverless from 'serverless-http';
import request from 'supertest';
import { addBreadcrumb, captureException, setUserContext } from '../../src';
import { observability } from '../../middleware';
import { getTestDatabase } from '../support/database';
import { kit } from '../support/setup';

/** An API Gateway HTTP API (v2) event, as Lambda's runtime hands it to the handler. */
function apiGatewayEvent(method: string, path: string, headers: Record<string, string> = {}) {
  return {
    version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: '', isBase64Encoded: false,
    headers: { host: 'xyz789.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'curl/8.5.0', 'x-forwarded-proto': 'https', ...headers },
    requestContext: {
      accountId: '123456789012', apiId: 'xyz789', domainName: 'xyz789.execute-api.eu-west-1.amazonaws.com', stage: '$default',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'curl/8.5.0' },
      requestId: `req-${path}`, routeKey: '$default', time: '07/Dec/2026:15:00:00 +0000', timeEpoch: Date.now(),
    },
  };
}

describe('an Express app served through a serverless adapter (serverless-http)', () => {
  let db: Knex;
  let handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
  let releaseSlow: () => void = () => undefined;
  before(async () => {
    db = knexFactory({ client: 'pg', connection: (await getTestDatabase()).url, pool: { min: 0, max: 2 } });
    const obs = observability();
    const app = express();
    app.use(obs.request);
    app.get('/users/:id', async (req, res) => {
      const { rows } = await db.raw('select ?::int as id', [Number(req.params.id)]);
      res.json(rows[0]);
    });
    app.get('/login/:name', async (req, res) => {
      setUserContext({ id: req.params.name });
      addBreadcrumb({ message: `signed in ${req.params.name}` });
      await new Promise<void>((resolve) => (releaseSlow = resolve));
      res.json({ ok: true });
    });
    app.get('/fail', () => {
      addBreadcrumb({ message: 'about to fail' });
      throw new Error('invocation failed');
    });
    app.use(obs.errors);
    handler = serverless(app) as unknown as typeof handler;
  });
  after(async () => db?.destroy());
  beforeEach(() => kit.reset());

  it("an invocation's server span is named by its route, with its route and query spans under it", async () => {
    const response = await handler(apiGatewayEvent('GET', '/users/7'), {});
    assert.equal(response.statusCode, 200);
    const [server] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.name === 'GET /users/:id');
    await kit.waitForSpans((span) => span.traceId === server.traceId && span.scope.endsWith('pg'));
    const scopes = new Set(kit.spansOf(server.traceId).map((span) => span.scope));
    assert.ok(scopes.has('express-otel-sentry/express') && scopes.has('@opentelemetry/instrumentation-knex'), [...scopes].join(', '));
    assert.equal(server.attributes['http.response.status_code'], 200);
  });

  it("two invocations in flight: one's user and breadcrumbs stay out of the other's event", async () => {
    const signedIn = handler(apiGatewayEvent('GET', '/login/alice'), {});
    // Alice's invocation is still running when the anonymous one fails.
    await new Promise((resolve) => setImmediate(resolve));
    const failed = await handler(apiGatewayEvent('GET', '/fail'), {});
    releaseSlow();
    assert.equal((await signedIn).statusCode, 200);
    assert.equal(failed.statusCode, 500);
    const event = await kit.waitForEvent({ message: 'invocation failed' });
    assert.equal(event.user?.id, undefined, `another invocation's user: ${JSON.stringify(event.user)}`);
    assert.deepEqual(kit.breadcrumbsOf(event).map((crumb) => crumb.message), ['GET /fail', 'about to fail']);
    assert.equal(event.transaction, 'GET /fail');
    assert.match(String(event.request?.url), /xyz789\.execute-api\.eu-west-1\.amazonaws\.com\/fail$/);
    const servers = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.name === 'GET /login/:name');
    assert.equal(servers.length, 1);
  });

  it("an adapter whose response never emits 'close' (as @codegenie/serverless-express's): 'finish' ends the spans", async () => {
    const app = express();
    app.get('/ping', (_req, res) => {
      res.json({ pong: true });
    });
    // What such an adapter does: a request and a response of Node's own, a socket that only collects what is written.
    const request = new http.IncomingMessage(new Socket());
    Object.assign(request, { method: 'GET', url: '/ping', headers: { host: 'lambda.example' } });
    request.push(null);
    const response = new http.ServerResponse(request);
    const chunks: Buffer[] = [];
    response.assignSocket(new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        chunks.push(chunk);
        done();
      },
    }) as unknown as Socket);
    const finished = once(response, 'finish');
    (app as unknown as { handle(req: http.IncomingMessage, res: http.ServerResponse): void }).handle(request, response);
    await finished;
    assert.match(Buffer.concat(chunks).toString(), /HTTP\/1\.1 200 OK[\s\S]*\{"pong":true\}$/);
    const [server] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.name === 'GET /ping');
    assert.equal(server.attributes['http.response.status_code'], 200);
    await kit.waitForSpans((span) => span.traceId === server.traceId && span.scope === 'express-otel-sentry/express');
  });

  describe('what is not an invocation of its own (found by a review of the serverless change)', () => {
    /** A sub-request as express-batch makes one: a plain request object and a response that is no ServerResponse. */
    function subRequest(app: express.Express, url: string): Promise<void> {
      return new Promise((resolve) => {
        const res = Object.assign(new EventEmitter(), {
          statusCode: 200,
          setHeader: () => undefined,
          getHeader: () => undefined,
          end(this: EventEmitter) {
            this.emit('end');
            resolve();
          },
        });
        (app as unknown as (req: unknown, res: unknown, next: () => void) => void)({ url, method: 'GET', headers: {} }, res, () => resolve());
      });
    }

    it("a sub-request run inside a traced request belongs to it: its query spans are under the request's span, its event has the request's user", async () => {
      const inner = express();
      inner.get('/n/:id', async (req, res) => {
        await db.raw('select ?::int as id', [Number(req.params.id)]);
        captureException(new Error('inner call failed'));
        res.end('done');
      });
      const outer = express();
      outer.use(observability({ user: () => ({ id: 'alice' }) }).request);
      outer.get('/batch', async (_req, res) => {
        await subRequest(inner, '/n/1');
        res.json({ ok: true });
      });
      await request(outer).get('/batch').expect(200);
      const event = await kit.waitForEvent({ message: 'inner call failed' });
      assert.equal(event.user?.id, 'alice');
      // One server span: the outer request's (named after the last route matched, the inner one's, as before).
      const [server] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.attributes['url.path'] === '/batch');
      assert.equal(kit.spans().filter((span) => span.kind === 'SERVER').length, 1);
      await kit.waitForSpans((span) => span.scope.endsWith('pg') && span.traceId === server.traceId);
      assert.equal(event.contexts?.trace?.trace_id, server.traceId);
    });

    it("an event captured in an invocation whose request has no socket is sent, with its request data (Express's protocol getter threw, and Sentry dropped the event)", async () => {
      const app = express();
      app.get('/e', (_req, res) => {
        captureException(new Error('captured without a socket'));
        res.end('x');
      });
      const req = new http.IncomingMessage(null as unknown as Socket);
      Object.assign(req, { method: 'GET', url: '/e', headers: { host: 'lambda.example' } });
      req.push(null);
      const res = new http.ServerResponse(req);
      res.assignSocket(new Writable({ write: (_chunk, _encoding, done) => done() }) as unknown as Socket);
      const finished = once(res, 'finish');
      (app as unknown as { handle(req: http.IncomingMessage, res: http.ServerResponse): void }).handle(req, res);
      await finished;
      const event = await kit.waitForEvent({ message: 'captured without a socket' });
      assert.equal(event.request?.url, 'http://lambda.example/e');
      assert.equal(event.transaction, 'GET /e');
    });

    it('a WebSocket express-ws hands to the app (an upgrade request, a dummy response): no server span', async () => {
      const app = express();
      let active: unknown = 'not run';
      app.get('/chat/.websocket', (_req, res) => {
        active = trace.getActiveSpan();
        res.end();
      });
      const req = new http.IncomingMessage(new Socket());
      Object.assign(req, { method: 'GET', url: '/chat/.websocket', headers: { host: 'chat.example', upgrade: 'websocket', connection: 'Upgrade' } });
      const res = new http.ServerResponse(req);
      (app as unknown as { handle(req: http.IncomingMessage, res: http.ServerResponse, next: () => void): void }).handle(req, res, () => undefined);
      assert.equal(active, undefined, 'the route ran in a server span of its own');
    });
  });
});

