/**
 * Requests answered by middleware mounted at a path (express-instrumentation.ts, wrapMountedMiddleware),
 * in this process with the whole library (the test kit): the server span, the event's transaction and
 * the outgoing baggage's sentry-transaction are named after the mount template, as Sentry names them;
 * a request that such middleware passes on, and one that nothing routes, stay unnamed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { observability } from '../../middleware';
import { untracedFetch } from '../support/child-app';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

type Static = (root: string) => (req: Request, res: Response, next: NextFunction) => void;

/** A server that answers every request and keeps the baggage it received. */
async function downstreamServer(): Promise<{ url: string; baggage: string[]; server: http.Server }> {
  const baggage: string[] = [];
  const server = http.createServer((req, res) => {
    baggage.push(String(req.headers.baggage ?? ''));
    res.end('from downstream');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, baggage, server };
}

function sentryTransaction(baggage: string): string | undefined {
  const entry = baggage.split(',').find((member) => member.trim().startsWith('sentry-transaction='));
  return entry === undefined ? undefined : decodeURIComponent(entry.split('=')[1].trim());
}

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`routes of requests answered by mounted middleware (${name})`, () => {
    let server: http.Server;
    let url: string;
    let downstream: Awaited<ReturnType<typeof downstreamServer>>;
    let publicDir: string;

    before(async () => {
      publicDir = mkdtempSync(join(tmpdir(), 'eos-static-'));
      writeFileSync(join(publicDir, 'style.css'), 'body {}');
      downstream = await downstreamServer();
      const obs = observability();
      const app = express();
      app.use(obs.request);
      app.use('/static', (express as unknown as { static: Static }).static(publicDir));
      // A proxy: answers with what it fetched downstream.
      app.use('/proxy', async (_req: Request, res: Response) => {
        res.send(await (await fetch(`${downstream.url}/backend`)).text());
      });
      app.use('/health', (_req: Request, res: Response) => {
        res.send('ok');
      });
      app.use('/fail', () => {
        throw new Error('failed in mounted middleware');
      });
      // Passes every request on: the request is named by what answers it, or not at all.
      app.use('/users', (_req: Request, _res: Response, next: NextFunction) => next());
      app.get('/users/:id', (_req, res) => {
        res.send('user');
      });
      // Middleware mounted in a router mounted in a router.
      const outer = express.Router();
      const inner = express.Router({ mergeParams: true });
      inner.use('/feed', (_req: Request, res: Response) => {
        res.send('feed');
      });
      inner.get('/items/:id', (_req, res) => {
        res.send('item');
      });
      outer.use('/inner/:innerId', inner);
      app.use('/outer', outer);
      // A catch-all 404 at the root: it must not name the requests it answers.
      app.use((_req: Request, res: Response) => {
        res.status(404).send('nothing here');
      });
      app.use(obs.errors);
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((resolve) => server?.close(resolve));
      await new Promise((resolve) => downstream?.server.close(resolve));
      rmSync(publicDir, { recursive: true, force: true });
    });
    beforeEach(() => kit.reset());

    /** The server span of a request, once it has ended. */
    async function serverSpanOf(path: string, status: number) {
      const response = await untracedFetch(`${url}${path}`);
      await response.arrayBuffer();
      assert.equal(response.status, status, path);
      const [span] = await kit.waitForSpans((candidate) => candidate.kind === 'SERVER' && candidate.attributes['url.path'] === path);
      return span;
    }

    it('names a request after the mount path of the middleware that answered it: a static file, a health check', async () => {
      for (const [path, route] of [['/static/style.css', '/static'], ['/health', '/health']]) {
        const span = await serverSpanOf(path, 200);
        assert.equal(span.attributes['http.route'], route, path);
        assert.equal(span.name, `GET ${route}`, path);
      }
    });

    it('includes the mount paths of the routers above it', async () => {
      const span = await serverSpanOf('/outer/inner/7/feed', 200);
      assert.equal(span.attributes['http.route'], '/outer/inner/:innerId/feed');
      assert.equal((await serverSpanOf('/outer/inner/7/items/3', 200)).attributes['http.route'], '/outer/inner/:innerId/items/:id');
    });

    it('gives the mount path to calls made while it has the request (baggage sentry-transaction)', async () => {
      downstream.baggage.splice(0);
      const span = await serverSpanOf('/proxy/anything', 200);
      assert.equal(span.name, 'GET /proxy');
      assert.equal(downstream.baggage.length, 1);
      assert.equal(sentryTransaction(downstream.baggage[0]), 'GET /proxy');
    });

    it('names the event of an error thrown in mounted middleware after its mount path', async () => {
      const span = await serverSpanOf('/fail', 500);
      assert.equal(span.attributes['http.route'], '/fail');
      const event = await kit.waitForEvent({ message: 'failed in mounted middleware' });
      assert.equal(event.transaction, 'GET /fail');
    });

    it('a route after middleware that passed the request on names it', async () => {
      assert.equal((await serverSpanOf('/users/5', 200)).name, 'GET /users/:id');
    });

    it('leaves unnamed what nothing routes: passed on by mounted middleware (a missing static file) or answered by a root catch-all 404', async () => {
      for (const path of ['/static/missing.css', '/users', '/nowhere']) {
        const span = await serverSpanOf(path, 404);
        assert.equal(span.attributes['http.route'], undefined, path);
        assert.equal(span.name, 'GET', path);
      }
    });
  });
}
