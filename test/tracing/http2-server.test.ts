/**
 * http2 servers hand requests to the app through their own `emit`, not http.Server's (found by an
 * unusual-HTTP-exchanges audit): HTTP/1.1 requests served through `allowHTTP1` had no server span and no
 * isolation scope, so one request's user and breadcrumbs reached the next request's error event. Node 20
 * serves `allowHTTP1` only over TLS, so the server gets a self-signed certificate made with openssl.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { addBreadcrumb, captureException, setUserContext } from '../../src';
import { observability } from '../../middleware';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

interface Certificate { key: Buffer; cert: Buffer }

function selfSigned(): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'http2-server-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { cwd: dir, stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function listen(server: http2.Http2SecureServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** An HTTP/1.1 request, outside this process's traces (the test kit instruments the client too). */
function getHttp1(port: number, path: string): Promise<{ status: number; version: string }> {
  return context.with(suppressTracing(context.active()), () => new Promise<{ status: number; version: string }>((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, version: res.httpVersion }));
    }).on('error', reject);
  }));
}

/** A request on a real HTTP/2 stream; a POST's body ends a moment later, so that the server reads its end from the socket. */
async function requestHttp2(port: number, method: string, path: string): Promise<number> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
  try {
    const stream = session.request({ ':method': method, ':path': path }, { endStream: method === 'GET' });
    if (method === 'POST') {
      stream.write('body');
      setTimeout(() => stream.end(), 50);
    }
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
    stream.resume();
    await once(stream, 'end');
    return Number(headers[':status']);
  } finally {
    session.close();
  }
}

describe('http2 servers', () => {
  let certificate: Certificate;
  before(() => {
    certificate = selfSigned();
  });
  beforeEach(() => kit.reset());

  for (const { name, express } of EXPRESS_VERSIONS) {
    it(`${name}, HTTP/1.1 through allowHTTP1: a server span per request, and one request's user and breadcrumbs stay out of the next one's event`, async () => {
      const obs = observability();
      const app = express();
      app.use(obs.request);
      app.get('/login', (_req, res) => {
        setUserContext({ id: 'alice' });
        addBreadcrumb({ message: 'crumb from alice' });
        res.json({ ok: true });
      });
      app.get('/fail', () => {
        addBreadcrumb({ message: 'crumb from anonymous' });
        throw new Error('anonymous failure');
      });
      app.use(obs.errors);
      // Typed for HTTP/2 streams, which Express cannot serve; the HTTP/1.1 requests it gets are http's.
      const server = http2.createSecureServer({ ...certificate, allowHTTP1: true }, app as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
      const port = await listen(server);
      try {
        assert.deepEqual(await getHttp1(port, '/login'), { status: 200, version: '1.1' });
        assert.deepEqual(await getHttp1(port, '/fail'), { status: 500, version: '1.1' });
      } finally {
        server.close();
      }

      const event = await kit.waitForEvent({ message: 'anonymous failure' });
      assert.equal(event.user?.id, undefined, `the event carries another request's user: ${JSON.stringify(event.user)}`);
      assert.deepEqual(kit.breadcrumbsOf(event).map((crumb) => crumb.message).filter((message) => /crumb from/.test(message ?? '')), ['crumb from anonymous']);
      assert.equal(event.transaction, 'GET /fail');
      assert.match(String(event.request?.url), /^https:\/\/127\.0\.0\.1:\d+\/fail$/);

      const spans = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.attributes['http.route'] === '/fail');
      const servers = kit.spans().filter((span) => span.kind === 'SERVER');
      assert.deepEqual(servers.map((span) => span.name).sort(), ['GET /fail', 'GET /login']);
      assert.equal(spans[0].attributes['url.scheme'], 'https');
      assert.equal(spans[0].attributes['network.protocol.version'], '1.1');
      assert.equal(event.contexts?.trace?.trace_id, spans[0].traceId);
    });
  }

  it('HTTP/2 streams (which Express cannot serve) get their own scope and a server span, their listeners the request\'s context', async () => {
    const server = http2.createSecureServer(certificate, (req, res) => {
      if (req.url === '/login') {
        setUserContext({ id: 'alice' });
        addBreadcrumb({ message: 'crumb from alice' });
        res.end('ok');
        return;
      }
      addBreadcrumb({ message: 'crumb from anonymous' });
      // The body ends later, read from the session's socket: outside the handler's context unless the request carries it.
      req.on('end', () => {
        captureException(new Error('h2 anonymous failure'));
        res.statusCode = 500;
        res.end();
      });
      req.resume();
    });
    const port = await listen(server);
    try {
      assert.equal(await requestHttp2(port, 'GET', '/login'), 200);
      assert.equal(await requestHttp2(port, 'POST', '/fail'), 500);
    } finally {
      server.close();
    }

    const event = await kit.waitForEvent({ message: 'h2 anonymous failure' });
    assert.equal(event.user?.id, undefined, `the event carries another request's user: ${JSON.stringify(event.user)}`);
    assert.deepEqual(kit.breadcrumbsOf(event).map((crumb) => crumb.message).filter((message) => /crumb from/.test(message ?? '')), ['crumb from anonymous']);
    assert.equal(event.transaction, 'POST');

    const [failed] = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.attributes['url.path'] === '/fail');
    assert.equal(kit.spans().filter((span) => span.kind === 'SERVER').length, 2);
    assert.equal(failed.attributes['http.response.status_code'], 500);
    assert.equal(failed.attributes['network.protocol.version'], '2.0');
    assert.equal(failed.attributes['server.address'], '127.0.0.1');
    assert.equal(event.contexts?.trace?.trace_id, failed.traceId);
  });

  it('a method an HTTP/2 client makes up is named HTTP in spans and events, not as sent (each would be a new transaction name)', async () => {
    const server = http2.createSecureServer(certificate, (req, res) => {
      captureException(new Error(`h2 made-up method ${req.method}`));
      res.end('ok');
    });
    const port = await listen(server);
    try {
      for (const method of ['X-RANDOM-1', 'get']) assert.equal(await requestHttp2(port, method, '/any'), 200);
    } finally {
      server.close();
    }
    // A known method in another case is that method (upper case, as OpenTelemetry's HttpInstrumentation has it).
    for (const [method, named] of [['X-RANDOM-1', 'HTTP'], ['get', 'GET']]) {
      const event = await kit.waitForEvent({ message: `h2 made-up method ${method}` });
      assert.equal(event.transaction, named);
    }
    await kit.waitForSpans((span) => span.kind === 'SERVER' && span.name === 'HTTP');
    await kit.waitForSpans((span) => span.kind === 'SERVER' && span.name === 'GET');
    const servers = kit.spans().filter((span) => span.kind === 'SERVER');
    assert.deepEqual(servers.map((span) => span.name).sort(), ['GET', 'HTTP']);
    assert.deepEqual(servers.map((span) => [span.attributes['http.request.method'], span.attributes['http.request.method_original']]).sort(), [['GET', 'get'], ['_OTHER', 'X-RANDOM-1']]);
  });
});
