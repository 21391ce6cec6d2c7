/**
 * LeanExpressInstrumentation (src/tracing/express-instrumentation.ts) against real Express 4 and 5,
 * loaded through CommonJS and through the ESM loader hook, each in a child process
 * (fixtures/express-spans-app.ts) with a real TracerProvider and our server spans: this mocha process
 * already has @opentelemetry/instrumentation-express on every express it loads. The last suite runs
 * the same requests against that upstream instrumentation and compares the spans.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FIXTURES, ROOT, untracedFetch } from '../support/child-app';
import type { ChildSpan, Introspection, SpansReply } from './fixtures/express-spans-app';

const APP = join(__dirname, 'fixtures', 'express-spans-app.ts');
const EXPRESS_5 = require.resolve('express');
const EXPRESS_4 = createRequire(join(FIXTURES, 'express4', 'package.json')).resolve('express');
const SERVER = 1; // SpanKind.SERVER
const ERROR = 2; // SpanStatusCode.ERROR

interface Traced {
  status: number;
  spans: ChildSpan[];
  server: ChildSpan;
  /** The spans of the Express instrumentation, oldest first. */
  express: ChildSpan[];
}

/** One child app: an Express version, loaded one way, with one instrumentation. */
class SpansApp {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly version: string,
    /** How express-async-errors was applied, when it was. */
    readonly asyncErrors: string | undefined,
  ) {}

  static start(options: { main: string; esm?: boolean; instrumentation?: 'lean' | 'upstream'; asyncErrors?: boolean }): Promise<SpansApp> {
    const child = fork(APP, [], {
      cwd: ROOT,
      execArgv: ['--require', 'tsx/cjs'],
      env: {
        ...process.env,
        EXPRESS_MAIN: options.main,
        EXPRESS_ESM: options.esm ? '1' : '',
        EXPRESS_INSTRUMENTATION: options.instrumentation ?? 'lean',
        EXPRESS_ASYNC_ERRORS: options.asyncErrors ? '1' : '',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the span app did not start:\n${output}`));
      }, 30_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the span app exited (${code}) before listening:\n${output}`));
      });
      child.on('message', (message: { type?: string; port?: number; version?: string; asyncErrors?: string }) => {
        if (message.type !== 'listening') return;
        clearTimeout(timer);
        resolve(new SpansApp(child, `http://127.0.0.1:${message.port}`, message.version ?? '?', message.asyncErrors));
      });
    });
  }

  private ask(traceId?: string): Promise<SpansReply> {
    return new Promise((resolve) => {
      const onMessage = (message: SpansReply) => {
        if (message.type !== 'spans') return;
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'spans', traceId });
    });
  }

  /** Unhandled rejections and uncaught exceptions the app has seen so far. */
  async problems(): Promise<string[]> {
    return (await this.ask()).problems;
  }

  /**
   * Sends a request on a trace of its own and waits until its server span has ended (route spans end
   * at the latest in the same 'close' event).
   */
  async trace(path: string, init: RequestInit = {}): Promise<Traced> {
    const traceId = randomBytes(16).toString('hex');
    const headers = { ...(init.headers as Record<string, string>), traceparent: `00-${traceId}-00f067aa0ba902b7-01` };
    let status = 0;
    try {
      const response = await untracedFetch(`${this.url}${path}`, { ...init, headers });
      status = response.status;
      await response.arrayBuffer();
    } catch (error) {
      if (!init.signal?.aborted) throw error;
    }
    const deadline = Date.now() + 5000;
    for (;;) {
      const { spans } = await this.ask(traceId);
      const server = spans.find((span) => span.kind === SERVER);
      if (server) {
        const express = spans.filter((span) => span.scope === 'express-otel-sentry/express' || span.scope === '@opentelemetry/instrumentation-express');
        return { status, spans, server, express: express.sort((a, b) => a.start - b.start) };
      }
      if (Date.now() > deadline) throw new Error(`no server span for ${path}; spans: ${spans.map((s) => s.name).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async introspect(): Promise<Introspection> {
    return (await (await untracedFetch(`${this.url}/introspect`)).json()) as Introspection;
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
    setTimeout(() => this.child.kill('SIGKILL'), 2000).unref();
  }
}

function only(traced: Traced): ChildSpan {
  assert.equal(traced.express.length, 1, `express spans: ${traced.express.map((s) => s.name).join(', ')}`);
  return traced.express[0];
}

const VARIANTS = [
  { name: 'Express 5, CommonJS', main: EXPRESS_5, esm: false, major: 5 },
  { name: 'Express 5, ESM (loader hook)', main: EXPRESS_5, esm: true, major: 5 },
  { name: 'Express 4, CommonJS', main: EXPRESS_4, esm: false, major: 4 },
  { name: 'Express 4, ESM (loader hook)', main: EXPRESS_4, esm: true, major: 4 },
];

describe('LeanExpressInstrumentation (child processes: real TracerProvider, express loaded after registration)', function () {
  for (const variant of VARIANTS) {
    describe(variant.name, () => {
      let app: SpansApp;
      /** Upstream names the span after the route only where Express 4's Layer records the matched path. */
      const spanName = (route: string) => (variant.major === 4 ? `request handler - ${route}` : 'request handler');
      before(async () => {
        app = await SpansApp.start({ main: variant.main, esm: variant.esm });
        assert.equal(app.version.split('.')[0], String(variant.major));
      });
      after(() => app?.stop());
      afterEach(async () => {
        assert.deepEqual(await app.problems(), [], 'unhandled rejections or uncaught exceptions in the app');
      });

      it('gives a route one span, child of the server span, with http.route, express.name and express.type; the server span gets http.route', async () => {
        const traced = await app.trace('/hello');
        assert.equal(traced.status, 200);
        const span = only(traced);
        assert.equal(span.name, spanName('/hello'));
        assert.equal(span.scope, 'express-otel-sentry/express');
        assert.equal(span.parentSpanId, traced.server.spanId);
        assert.deepEqual(span.attributes, { 'http.route': '/hello', 'express.name': '/hello', 'express.type': 'request_handler' });
        assert.equal(span.status.code, 0);
        assert.equal(traced.server.attributes['http.route'], '/hello');
        assert.equal(traced.server.name, 'GET /hello');
      });

      it('makes no span for middleware (express.json, plain functions, a path-mounted function, routers)', async () => {
        const traced = await app.trace('/api/users/42');
        assert.deepEqual(
          traced.spans.map((span) => span.name).sort(),
          [spanName('/api/users/:id'), 'GET /api/users/:id'].sort(),
        );
      });

      it('builds the template across nested routers mounted with params, not the actual path', async () => {
        const users = only(await app.trace('/api/users/42'));
        assert.equal(users.attributes['http.route'], '/api/users/:id');
        const members = await app.trace('/orgs/o1/teams/t2/members/m3');
        const template = '/orgs/:orgId/teams/:teamId/members/:memberId';
        assert.equal(only(members).attributes['http.route'], template);
        assert.equal(only(members).attributes['express.name'], template);
        assert.equal(only(members).name, spanName(template));
        assert.equal(members.server.name, `GET ${template}`);
      });

      it('includes the mount path of a sub-app (upstream drops it)', async () => {
        const traced = await app.trace('/admin/stats/7');
        assert.equal(only(traced).attributes['http.route'], '/admin/stats/:id');
        assert.equal(traced.server.attributes['http.route'], '/admin/stats/:id');
      });

      it('forgets routers that were entered and left without a match (upstream keeps their paths)', async () => {
        assert.equal(only(await app.trace('/shop/special')).attributes['http.route'], '/shop/special');
        assert.equal(only(await app.trace('/shop/items')).attributes['http.route'], '/shop/items');
        // Left through a router mounted without a path.
        assert.equal(only(await app.trace('/deep/y')).attributes['http.route'], '/deep/y');
        assert.equal(only(await app.trace('/deep/x')).attributes['http.route'], '/deep/x');
        assert.equal(only(await app.trace('/rooted/5')).attributes['http.route'], '/rooted/:id');
      });

      it('writes array and regexp paths as upstream does', async () => {
        assert.equal(only(await app.trace('/alpha')).attributes['http.route'], '/alpha,/beta');
        assert.equal(only(await app.trace('/beta')).attributes['http.route'], '/alpha,/beta');
        const regexp = await app.trace('/re/12');
        assert.equal(only(regexp).attributes['http.route'], String(/^\/re\/(\d+)$/));
        assert.equal(regexp.server.attributes['http.route'], String(/^\/re\/(\d+)$/));
      });

      it('gives the root route http.route "/" with a query string too (upstream gives none)', async () => {
        const traced = await app.trace('/?page=2');
        assert.equal(only(traced).attributes['http.route'], '/');
        assert.equal(traced.server.name, 'GET /');
      });

      it('traces app.route(path).get().post() as one route', async () => {
        const get = await app.trace('/things');
        const post = await app.trace('/things', { method: 'POST' });
        assert.deepEqual([get.status, post.status], [200, 201]);
        assert.equal(only(get).attributes['http.route'], '/things');
        assert.equal(only(post).attributes['http.route'], '/things');
        assert.deepEqual([get.server.name, post.server.name], ['GET /things', 'POST /things']);
      });

      it('records an error passed to next: exception event and error status with its message', async () => {
        const traced = await app.trace('/next-error');
        assert.equal(traced.status, 500);
        const span = only(traced);
        assert.deepEqual(span.status, { code: ERROR, message: 'next error' });
        assert.equal(span.events.length, 1);
        assert.equal(span.events[0].name, 'exception');
        assert.equal(span.events[0].attributes?.['exception.type'], 'Error');
        assert.equal(span.events[0].attributes?.['exception.message'], 'next error');
        assert.match(String(span.events[0].attributes?.['exception.stacktrace']), /next error/);
      });

      it('records a non-Error passed to next as its string', async () => {
        const span = only(await app.trace('/next-string'));
        assert.deepEqual(span.status, { code: ERROR, message: 'a string' });
        assert.deepEqual(span.events[0].attributes, { 'exception.message': 'a string' });
      });

      it('records a synchronous throw', async () => {
        const traced = await app.trace('/throw');
        assert.equal(traced.status, 500);
        assert.deepEqual(only(traced).status, { code: ERROR, message: 'thrown error' });
        assert.equal(only(traced).events[0].attributes?.['exception.message'], 'thrown error');
      });

      if (variant.major === 5) {
        it('records an async handler’s rejection', async () => {
          const traced = await app.trace('/reject');
          assert.equal(traced.status, 500);
          assert.deepEqual(only(traced).status, { code: ERROR, message: 'rejected error' });
        });
      }

      for (const path of variant.major === 5 ? ['/next-hostile', '/throw-hostile', '/reject-hostile'] : ['/next-hostile', '/throw-hostile']) {
        it(`survives an error whose message/name/stack getters throw (${path}): answered, recorded by class name`, async () => {
          const traced = await app.trace(path);
          assert.equal(traced.status, 500);
          const span = only(traced);
          assert.equal(span.status.code, ERROR);
          assert.deepEqual(span.events.map((event) => event.attributes), [{ 'exception.type': 'Error' }]);
          assert.equal((await app.trace('/hello')).status, 200);
        });
      }

      it('ends the span when the response closes without next (client gone)', async () => {
        const traced = await app.trace('/hang', { signal: AbortSignal.timeout(300) });
        const span = only(traced);
        assert.equal(span.attributes['http.route'], '/hang');
        assert.equal(span.parentSpanId, traced.server.spanId);
        assert.ok(span.end >= span.start);
      });

      it('adds no property to the request or the response once Express has set their prototypes, also when the app adds listeners (each would give them a new hidden class)', async () => {
        const response = await untracedFetch(`${app.url}/api/added-keys`, {
          headers: { traceparent: `00-${randomBytes(16).toString('hex')}-00f067aa0ba902b7-01` },
        });
        assert.deepEqual(await response.json(), { request: [], response: [] });
      });

      it('without the server span’s record in the context, keeps route spans whole: ended by next or by close', async () => {
        const traced = await app.trace('/without-record/7');
        assert.equal(traced.status, 200);
        const span = only(traced);
        assert.equal(span.attributes['http.route'], '/without-record/:id');
        assert.equal(span.parentSpanId, traced.server.spanId);
        assert.equal(traced.server.attributes['http.route'], undefined, 'the route reaches the server span through the record only');

        const hung = only(await app.trace('/without-record/hang', { signal: AbortSignal.timeout(300) }));
        assert.equal(hung.attributes['http.route'], '/without-record/hang');
        assert.ok(hung.end >= hung.start);
      });

      it('makes no express span and sets no http.route when no route matches', async () => {
        for (const path of ['/nope', '/api/nope', '/shop/nope']) {
          const traced = await app.trace(path);
          assert.equal(traced.status, 404);
          assert.deepEqual(traced.express, [], path);
          assert.equal(traced.server.attributes['http.route'], undefined, path);
          assert.equal(traced.server.name, 'GET', path);
        }
      });

      it('makes no span where routing runs outside any span', async () => {
        const traced = await app.trace('/detached');
        assert.equal(traced.status, 200);
        assert.deepEqual(traced.express, []);
      });

      it('keeps the route span active in its handler: spans made there are its children, after an await too', async () => {
        const traced = await app.trace('/db');
        const route = only(traced);
        const db = traced.spans.find((span) => span.name === 'db-query');
        assert.ok(db, 'no db span');
        assert.equal(db.parentSpanId, route.spanId);
        // The SDK starts each span at Date.now() (whole milliseconds) and adds a precise duration, so two
        // spans' times can disagree by up to 1 ms; the route span ends microseconds after its child.
        assert.ok(route.end >= db.end - 1, `the route span ended before its child (${route.end} < ${db.end})`);
      });

      it('runs next() in the parent context, after ending the route span', async () => {
        const traced = await app.trace('/continue');
        const route = only(traced);
        const after = traced.spans.find((span) => span.name === 'after-next');
        assert.ok(after, 'no span from the middleware after next()');
        assert.equal(after.parentSpanId, traced.server.spanId);
        // The middleware waits 20 ms before its span: a route span ended at next() ends well before it.
        assert.ok(route.end < after.start - 10, `the route span was still open when routing went on (${route.end} vs ${after.start})`);
        assert.equal(route.status.code, 0);
      });

      it("ends a route on next('route') without error; the next route gets its own span", async () => {
        const traced = await app.trace('/skip');
        assert.equal(traced.express.length, 2);
        for (const span of traced.express) {
          assert.equal(span.attributes['http.route'], '/skip');
          assert.equal(span.status.code, 0);
          assert.deepEqual(span.events, []);
        }
      });

      it('leaves middleware and error handlers unwrapped, and a mounted router’s properties reachable', async () => {
        const view = await app.introspect();
        assert.equal(view.middlewareUntouched, true);
        assert.equal(view.errorHandlerUntouched, true);
        assert.deepEqual(view.apiMount, { name: 'router', length: 3, stackIsRouters: true, sameStack: true });
        assert.deepEqual(view.helloRoute, { length: 3, hasRoute: true });
      });

      it('runs handlers in a context without closures of its own (they cost ~150 MB of RSS under load on Node 24)', async () => {
        assert.equal((await app.introspect()).contextHasOwnMethods, false);
      });
    });
  }

  describe('Express 4 with express-async-errors (its wrapper hides what a router or a sub-app is from the handle)', () => {
    let app: SpansApp;
    before(async () => {
      app = await SpansApp.start({ main: EXPRESS_4, asyncErrors: true });
      assert.ok(app.asyncErrors, 'express-async-errors was not applied');
    });
    after(() => app?.stop());

    it('keeps the mount paths of routers, nested routers and sub-apps in http.route and the server span name', async () => {
      for (const [path, template] of [
        ['/api/users/42', '/api/users/:id'],
        ['/orgs/o1/teams/t2/members/m3', '/orgs/:orgId/teams/:teamId/members/:memberId'],
        ['/admin/stats/7', '/admin/stats/:id'],
        ['/rooted/5', '/rooted/:id'],
        ['/shop/special', '/shop/special'],
      ]) {
        const traced = await app.trace(path);
        assert.equal(traced.status, 200, path);
        assert.equal(only(traced).attributes['http.route'], template, path);
        assert.equal(traced.server.attributes['http.route'], template, path);
        assert.equal(traced.server.name, `GET ${template}`, path);
      }
    });

    it('an async middleware mounted at a path that rejects: its failure reaches the error handler once', async () => {
      const traced = await app.trace('/mounted-reject');
      assert.equal(traced.status, 500);
      assert.equal(traced.server.attributes['http.route'], '/mounted-reject');
      assert.deepEqual(await app.problems(), []);
    });

    it('still records a thrown error and an async handler’s rejection (which the package passes to next)', async () => {
      for (const [path, message] of [['/throw', 'thrown error'], ['/reject', 'rejected error']]) {
        const traced = await app.trace(path);
        assert.equal(traced.status, 500, path);
        assert.deepEqual(only(traced).status, { code: ERROR, message }, path);
      }
      assert.deepEqual(await app.problems(), []);
    });
  });

  describe('same spans as @opentelemetry/instrumentation-express 0.72 (ignoreLayersType MIDDLEWARE, ROUTER)', () => {
    const SAME = [
      '/', '/hello', '/api/users/42', '/orgs/o1/teams/t2/members/m3', '/shop/items', '/rooted/5', '/alpha', '/re/12', '/things',
      'POST /things', '/next-error', '/next-string', '/throw', '/db', '/continue', '/skip', '/nope',
    ];
    /** Name, attributes, status, exception type and message, parent (by name): what the two must agree on. */
    const shape = (traced: Traced) => {
      const byId = new Map(traced.spans.map((span) => [span.spanId, span]));
      return {
        server: { name: traced.server.name, route: traced.server.attributes['http.route'] },
        spans: traced.spans
          .filter((span) => span !== traced.server)
          .map((span) => ({
            name: span.name,
            parent: byId.get(span.parentSpanId ?? '')?.name,
            attributes: span.attributes,
            status: span.status,
            events: span.events.map((event) => [event.attributes?.['exception.type'], event.attributes?.['exception.message']]),
          }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      };
    };

    for (const [name, main] of [['Express 5', EXPRESS_5], ['Express 4', EXPRESS_4]]) {
      describe(name, () => {
        let lean: SpansApp;
        let upstream: SpansApp;
        before(async () => {
          [lean, upstream] = await Promise.all([SpansApp.start({ main }), SpansApp.start({ main, instrumentation: 'upstream' })]);
        });
        after(() => {
          lean?.stop();
          upstream?.stop();
        });

        for (const entry of name === 'Express 5' ? [...SAME, '/reject'] : SAME) {
          const [method, path] = entry.includes(' ') ? entry.split(' ') : ['GET', entry];
          it(`${method} ${path}`, async () => {
            const [ours, theirs] = await Promise.all([lean.trace(path, { method }), upstream.trace(path, { method })]);
            assert.equal(ours.status, theirs.status);
            assert.deepEqual(shape(ours), shape(theirs));
          });
        }
      });
    }
  });
});
