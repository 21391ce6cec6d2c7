/**
 * Requests Node hands to a 'checkContinue' or 'checkExpectation' listener instead of 'request' (found by a
 * protocol audit): apps answer them with their request handler, as Node's documentation shows
 * (`res.writeContinue(); app(req, res)`), and those requests had no server span and no isolation scope, so
 * one request's user and breadcrumbs reached another's events.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { addBreadcrumb, setUserContext } from '../../src';
import { observability } from '../../middleware';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

/** A POST sent as `Expect: <expect>`, its body after the 100 (Node's client waits for it), outside this process's traces. */
function post(port: number, path: string, expect: string): Promise<number> {
  return context.with(suppressTracing(context.active()), () => new Promise<number>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { Expect: expect, 'Content-Type': 'text/plain' } });
    const sendBody = () => request.end('body');
    request.on('continue', sendBody);
    // An expectation the server does not answer with 100 (the checkExpectation case) gets its body at once.
    if (expect !== '100-continue') sendBody();
    request.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    request.on('error', reject);
  }));
}

type Handover = (server: http.Server, app: http.RequestListener) => void;

const HANDOVERS: Array<[string, string, Handover]> = [
  ['checkContinue, answered by the app', '100-continue', (server, app) => server.on('checkContinue', (req, res) => {
    res.writeContinue();
    app(req, res);
  })],
  ["checkContinue, handed on as 'request'", '100-continue', (server) => server.on('checkContinue', (req, res) => {
    res.writeContinue();
    server.emit('request', req, res);
  })],
  ['checkExpectation, answered by the app', 'x-audit', (server, app) => server.on('checkExpectation', app)],
];

describe("requests handed over by 'checkContinue' and 'checkExpectation'", () => {
  beforeEach(() => kit.reset());

  for (const { name, express } of EXPRESS_VERSIONS) {
    for (const [handover, expect, install] of HANDOVERS) {
      it(`${name}, ${handover}: one server span each, and one request's user and breadcrumbs stay out of another's event`, async () => {
        const obs = observability();
        const app = express();
        app.use(obs.request);
        app.post('/upload/:id', (req, res) => {
          setUserContext({ id: `user-${req.params.id}` });
          addBreadcrumb({ message: `uploading ${req.params.id}` });
          if (req.params.id === 'b') throw new Error('upload b failed');
          res.json({ ok: true });
        });
        app.use(obs.errors);
        const server = http.createServer();
        install(server, app as unknown as http.RequestListener);
        server.on('request', app);
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const { port } = server.address() as AddressInfo;
        try {
          assert.equal(await post(port, '/upload/a', expect), 200);
          assert.equal(await post(port, '/upload/b', expect), 500);
          assert.equal(await post(port, '/upload/c', expect), 200);
        } finally {
          server.close();
        }

        const event = await kit.waitForEvent({ message: 'upload b failed' });
        assert.equal(event.user?.id, 'user-b');
        assert.deepEqual(kit.breadcrumbsOf(event).map((crumb) => crumb.message).filter((message) => /^uploading/.test(message ?? '')), ['uploading b']);
        assert.equal(event.transaction, 'POST /upload/:id');

        await kit.waitForSpans((span) => span.kind === 'SERVER' && span.attributes['url.path'] === '/upload/c');
        const servers = kit.spans().filter((span) => span.kind === 'SERVER');
        assert.deepEqual(servers.map((span) => `${span.name} ${span.attributes['http.response.status_code']}`), ['POST /upload/:id 200', 'POST /upload/:id 500', 'POST /upload/:id 200']);
        assert.equal(event.contexts?.trace?.trace_id, servers[1].traceId);
      });
    }
  }
});
