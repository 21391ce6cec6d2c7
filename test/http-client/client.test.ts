import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HttpClient, requestHead, type HttpClientOptions, type HttpRequest } from '../../src/http-client/client';
import { startConnectProxy } from '../support/connect-proxy';
import { slowAccept } from '../support/syn-hole';

const BUILT_CLIENT = join(__dirname, '..', '..', 'dist', 'src', 'http-client', 'client.js');

/** A request as the server saw it; nth: 1 for the first request on its connection, 2 for the second... */
interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer; nth: number; socket: net.Socket }
type Handler = (res: http.ServerResponse, request: Seen) => void;

const cleanups: Array<() => void> = [];


/** A full garbage collection, after the current job (WeakRefs are cleared only between jobs). */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

const answer: Handler = (res, { body }) => res.end(`re: ${body}`);

/** A real node:http (or https) server on 127.0.0.1 that records every request and connection. */
async function serve(handler: Handler = answer, tlsOptions?: https.ServerOptions) {
  const requests: Seen[] = [];
  const sockets: net.Socket[] = [];
  const perSocket = new WeakMap<net.Socket, number>();
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const nth = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, nth);
      const seen = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks), nth, socket: req.socket };
      requests.push(seen);
      handler(res, seen);
    });
  };
  const server = tlsOptions ? https.createServer(tlsOptions, listener) : http.createServer(listener);
  server.on('connection', (socket: net.Socket) => sockets.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { server, requests, sockets, port, url: `${tlsOptions ? 'https' : 'http'}://127.0.0.1:${port}` };
}

function clientFor(url: string, options?: HttpClientOptions): HttpClient {
  const client = new HttpClient(url, options);
  cleanups.push(() => client.close());
  return client;
}

const post = (body: string | Uint8Array, extra: Partial<HttpRequest> = {}): HttpRequest =>
  ({ path: '/v1/traces', headers: {}, body, timeoutMs: 5000, ...extra });

async function connectProxy(refuseWith?: string) {
  const proxy = await startConnectProxy(refuseWith);
  cleanups.push(() => proxy.close());
  return proxy;
}

/** A child process makes one request with the built client and must then exit on its own. */
async function expectChildExitsAfterOneRequest(url: string, options: HttpClientOptions): Promise<void> {
  const child = spawn(process.execPath, ['-e', `
    const { HttpClient } = require(${JSON.stringify(BUILT_CLIENT)});
    new HttpClient(${JSON.stringify(url)}, ${JSON.stringify(options)})
      .request({ path: '/', headers: {}, body: 'child', timeoutMs: 5000 })
      .then((r) => console.log(r.statusCode, r.body.toString()), (e) => { console.error(e); process.exitCode = 1; });`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (data: Buffer) => (out += data));
  const exit = await new Promise<number | string | null>((resolve) => {
    const guard = setTimeout(() => resolve('still running after 10 s'), 10_000);
    child.once('exit', (code) => resolve(code)).once('exit', () => clearTimeout(guard));
  });
  if (exit !== 0) child.kill('SIGKILL');
  assert.equal(exit, 0, 'the child exits on its own (it needs dist/: npm run build)');
  assert.equal(out.trim(), '200 re: child');
}

async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await once(server.close(), 'close');
  return port;
}

describe('requestHead', () => {
  it('writes the request line, Host, the given headers and Content-Length, dropping framing headers', () => {
    const request = post('', {
      method: 'PUT', path: '/p?q=1',
      headers: { 'X-A': '1', Host: 'evil', 'content-length': '99', Connection: 'upgrade', 'Transfer-Encoding': 'chunked', 'X-B': 'b c' },
    });
    assert.equal(requestHead(request, 'h:1', 3), 'PUT /p?q=1 HTTP/1.1\r\nHost: h:1\r\nX-A: 1\r\nX-B: b c\r\nContent-Length: 3\r\n\r\n');
    assert.equal(requestHead(post(''), 'h', 0, false), 'POST /v1/traces HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  const invalid: Array<[string, Partial<HttpRequest>]> = [
    ['CRLF in a header value', { headers: { 'X-A': 'v\r\nX-Injected: 1' } }],
    ['LF in a header value', { headers: { 'X-A': 'v\nX-Injected: 1' } }],
    ['NUL in a header value', { headers: { 'X-A': 'v\0' } }],
    ['U+010D U+010A in a header value (latin1 writes them as CR LF)', { headers: { 'X-A': 'a\u010d\u010aX-Injected: yes' } }],
    ['a CJK header value (latin1 keeps only the low byte)', { headers: { 'X-Tenant': '\u6771\u4eac' } }],
    ['another control character in a header value', { headers: { 'X-A': 'a\u0007' } }],
    ['U+010A in the path', { path: '/a\u010aX' }],
    ['space in a header name', { headers: { 'X A': 'v' } }],
    ['colon in a header name', { headers: { 'X-Injected: 1\r\nX-A': 'v' } }],
    ['CRLF in the method', { method: 'GET / HTTP/1.1\r\nX-Injected: 1\r\n' }],
    ['whitespace in the path', { path: '/a HTTP/1.1\r\nX-Injected: 1' }],
    ['a path not starting with /', { path: 'http://elsewhere/' }],
  ];
  for (const [name, fields] of invalid) {
    it(`throws a TypeError for ${name}`, () => assert.throws(() => requestHead(post('x', fields), 'h', 1), TypeError));
  }
});

describe('HttpClient', () => {
  it('sends a POST with the exact body, Content-Length, Host and given headers', async () => {
    const { url, port, requests } = await serve((res) => res.writeHead(201, 'Created', { 'X-Reply': 'yes' }).end('done'));
    const client = clientFor(url);
    for (const body of ['héllo ✓', new Uint8Array([0, 1, 0xfe, 0xff, 0x0d, 0x0a])]) {
      const response = await client.request(post(body, { path: '/v1/traces?x=1', headers: { 'Content-Type': 'application/json', 'X-Custom': 'a b' } }));
      const { statusCode, statusMessage, closes, headers } = response;
      assert.deepEqual({ statusCode, statusMessage, closes, reply: headers['x-reply'], body: response.body.toString() },
        { statusCode: 201, statusMessage: 'Created', closes: false, reply: 'yes', body: 'done' });
      const { method, url: path, headers: h, body: received } = requests.at(-1)!;
      assert.deepEqual(received, Buffer.from(body));
      assert.deepEqual([method, path, h['content-length'], h.host, h['content-type'], h['x-custom']],
        ['POST', '/v1/traces?x=1', String(Buffer.byteLength(body)), `127.0.0.1:${port}`, 'application/json', 'a b']);
    }
  });

  it('reuses one connection for sequential requests', async () => {
    const { url, sockets } = await serve();
    const client = clientFor(url);
    for (const body of ['1', '2', '3']) assert.equal((await client.request(post(body))).body.toString(), `re: ${body}`);
    assert.equal(sockets.length, 1);
  });

  it('with maxSockets 1 answers concurrent requests over one connection, one at a time, in order', async () => {
    const log: string[] = [];
    const { url, sockets } = await serve((res, { body }) => {
      log.push(`in ${body}`);
      setTimeout(() => {
        log.push(`out ${body}`);
        res.end(`re: ${body}`);
      }, body.toString() === 'a' ? 50 : 0);
    });
    const client = clientFor(url, { maxSockets: 1 });
    const responses = await Promise.all(['a', 'b', 'c'].map((body) => client.request(post(body))));
    assert.deepEqual(responses.map((r) => r.body.toString()), ['re: a', 're: b', 're: c']);
    assert.deepEqual(log, ['in a', 'out a', 'in b', 'out b', 'in c', 'out c']);
    assert.equal(sockets.length, 1);
  });

  it('opens a new connection after a response with Connection: close', async () => {
    const { url, sockets } = await serve((res) => res.setHeader('Connection', 'close').end('bye'));
    const client = clientFor(url, { maxSockets: 1 });
    const first = await client.request(post('1'));
    assert.equal(first.closes, true);
    assert.equal((await client.request(post('2'))).body.toString(), 'bye');
    assert.equal(sockets.length, 2);
  });

  it('sends again, once, when the server closes a reused connection before answering', async () => {
    const { url, sockets, requests } = await serve((res, seen) => (seen.nth === 1 ? answer(res, seen) : seen.socket.destroy()));
    const client = clientFor(url);
    assert.equal((await client.request(post('1'))).statusCode, 200);
    assert.equal((await client.request(post('2'))).body.toString(), 're: 2');
    assert.deepEqual(requests.map((r) => `${r.body}#${r.nth}`), ['1#1', '2#2', '2#1']);
    assert.equal(sockets.length, 2);
  });

  it('does not send a second time when the retry is cut short too, nor on a fresh connection', async () => {
    const { url, sockets, requests } = await serve((res, seen) => (seen.nth === 1 && seen.body.toString() !== 'fresh' ? answer(res, seen) : seen.socket.destroy()));
    const client = clientFor(url, { maxSockets: 2 });
    await Promise.all([client.request(post('a')), client.request(post('b'))]); // two idle connections
    await assert.rejects(client.request(post('c')), { code: 'ECONNRESET' });
    assert.deepEqual(requests.map((r) => `${r.body}#${r.nth}`).slice(2), ['c#2', 'c#2']);
    assert.equal(sockets.length, 2);
    await assert.rejects(client.request(post('fresh')), { code: 'ECONNRESET' });
    assert.equal(requests.filter((r) => r.body.toString() === 'fresh').length, 1);
  });

  it('rejects with ETIMEDOUT when the server never answers', async () => {
    const { url } = await serve(() => {});
    await assert.rejects(clientFor(url).request(post('x', { timeoutMs: 200 })), { code: 'ETIMEDOUT' });
  });

  it('in a process that serves, a connection slower than the process hold (slow DNS, a dropped SYN) is waited for, not given up on at 2 s', async function () {
    this.timeout(20_000);
    // A listener whose backlog is full drops SYNs; after 2.5 s it accepts and answers, and the client's
    // retransmitted SYN (at ~3 s) gets through. Node cannot make such a listener (it accepts everything).
    const slow = spawn('python3', ['-c', slowAccept(2.5)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const app = net.createServer().listen(0, '127.0.0.1'); // the app this client would run in
    cleanups.push(() => slow.kill(), () => app.close());
    const [line] = (await once(slow.stdout, 'data')) as [Buffer];
    const response = await clientFor(`http://127.0.0.1:${line.toString().trim()}`).request(post('late', { timeoutMs: 10_000 }));
    assert.equal(response.statusCode, 200);
  });

  for (const [name, inWorker, expected] of [
    ['a job (no listening server) gives a slow connection up at the 2 s hold, so that it can end', false, 'ETIMEDOUT'],
    ['a cluster worker (its listening socket is its primary\'s) waits for it', true, '200'],
  ] as const) {
    it(`${name} (needs dist/)`, async function () {
      this.timeout(20_000);
      const slow = spawn('python3', ['-c', slowAccept(2.5)], { stdio: ['ignore', 'pipe', 'inherit'] });
      cleanups.push(() => slow.kill());
      const [line] = (await once(slow.stdout, 'data')) as [Buffer];
      const dir = mkdtempSync(join(tmpdir(), 'cluster-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const script = join(dir, 'worker.cjs');
      writeFileSync(script, `
        const cluster = require('node:cluster');
        if (${inWorker} && cluster.isPrimary) cluster.fork().on('exit', () => process.exit());
        else {
          // A worker's server listens through its primary: no listening handle of its own.
          if (cluster.isWorker) require('node:http').createServer().listen(0, '127.0.0.1');
          const { HttpClient } = require(${JSON.stringify(BUILT_CLIENT)});
          new HttpClient('http://127.0.0.1:${line.toString().trim()}')
            .request({ path: '/', headers: {}, body: 'x', timeoutMs: 10000 })
            .then((r) => console.log(r.statusCode), (e) => console.log(e.code))
            .finally(() => process.exit(0));
        }`);
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
      cleanups.push(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL'); // the primary and its worker
        } catch {
          // already gone
        }
      });
      let out = '';
      child.stdout.on('data', (data: Buffer) => (out += data));
      await once(child, 'exit');
      assert.equal(out.trim(), expected);
    });
  }

  it('rejects with ECONNREFUSED on a closed port', async () => {
    await assert.rejects(clientFor(`http://127.0.0.1:${await closedPort()}`).request(post('x')), { code: 'ECONNREFUSED' });
  });

  it('rejects a malformed response', async () => {
    const server = net.createServer((socket) => socket.end('HTTP/1.1 OK\r\n\r\n')).listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await assert.rejects(clientFor(url).request(post('x')), { code: 'HPE_INVALID' });
  });

  it('rejects header injection with a TypeError and sends nothing', async () => {
    const { url, requests, sockets } = await serve();
    const client = clientFor(url);
    await assert.rejects(client.request(post('x', { headers: { 'X-A': 'v\r\nX-Injected: 1' } })), TypeError);
    await assert.rejects(client.request(post('x', { path: '/ HTTP/1.1\r\nX-Injected: 1' })), TypeError);
    await client.request(post('after'));
    assert.deepEqual(requests.map((r) => r.body.toString()), ['after']);
    assert.equal(requests[0].headers['x-injected'], undefined);
    assert.equal(sockets.length, 1);
  });

  for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`rejects timeoutMs ${timeoutMs} with a TypeError, and the connection serves the next request`, async () => {
      const { url, requests } = await serve();
      const client = clientFor(url, { maxSockets: 1 });
      const first = client.request(post('first'));
      const bad = client.request(post('bad', { timeoutMs }));
      await assert.rejects(bad, TypeError);
      assert.equal((await first).statusCode, 200);
      assert.equal((await client.request(post('after'))).body.toString(), 're: after');
      assert.deepEqual(requests.map((r) => r.body.toString()), ['first', 'after']);
    });
  }

  it('rejects HEAD (its response announces a body it does not send)', async () => {
    const { url, requests } = await serve();
    await assert.rejects(clientFor(url).request(post('', { method: 'HEAD' })), TypeError);
    assert.equal(requests.length, 0);
  });

  it('reads a chunked response in full', async () => {
    const { url } = await serve((res) => {
      res.write('hello, ');
      setImmediate(() => res.end('world'));
    });
    const response = await clientFor(url).request(post('x'));
    assert.equal(response.headers['transfer-encoding'], 'chunked');
    assert.equal(response.body.toString(), 'hello, world');
  });

  it('close() fails requests in flight and waiting, destroys the connections, refuses new requests', async () => {
    let arrived!: () => void;
    const first = new Promise<void>((resolve) => (arrived = resolve));
    const { url, sockets } = await serve(() => arrived());
    const client = clientFor(url, { maxSockets: 1 });
    const inFlight = client.request(post('a'));
    const waiting = client.request(post('b'));
    await first;
    const serverSideClosed = once(sockets[0], 'close');
    client.close();
    await assert.rejects(waiting, { code: 'ERR_CLIENT_CLOSED' });
    // Cut by our own close, not by the network: not a failure worth a retry.
    await assert.rejects(inFlight, { code: 'ERR_CLIENT_CLOSED' });
    await serverSideClosed;
    await assert.rejects(client.request(post('c')), { code: 'ERR_CLIENT_CLOSED' });
    assert.equal(sockets.length, 1);
  });

  it('closes a connection idle for idleTimeoutMs', async () => {
    const { url, sockets } = await serve();
    const client = clientFor(url, { idleTimeoutMs: 50 });
    await client.request(post('1'));
    await once(sockets[0], 'close');
    assert.equal((await client.request(post('2'))).statusCode, 200);
    assert.equal(sockets.length, 2);
  });

  it('keeps no request context alive on an idle connection (it was opened for that request\'s telemetry)', async () => {
    const { url, sockets } = await serve();
    const client = clientFor(url, { idleTimeoutMs: 60_000 });
    const storage = new AsyncLocalStorage<object>();
    let store: object | undefined = { request: 'a served request, with its body' };
    const released = new WeakRef(store);
    await storage.run(store, () => client.request(post('1')));
    store = undefined;
    await collectGarbage();
    assert.equal(sockets.length, 1, 'the connection is still open, idle');
    assert.equal(released.deref(), undefined, 'the request context was collected');
    storage.disable();
  });

  it('tunnels through an http: proxy (CONNECT, its credentials), one tunnel for sequential requests', async () => {
    const { url, port } = await serve();
    const proxy = await connectProxy();
    const client = clientFor(url, { proxy: proxy.url.replace('//', '//egress%40corp:p%3Ass@') });
    assert.equal((await client.request(post('1'))).body.toString(), 're: 1');
    assert.equal((await client.request(post('2'))).body.toString(), 're: 2');
    assert.equal(proxy.heads.length, 1);
    assert.match(proxy.heads[0], new RegExp(`^CONNECT 127\\.0\\.0\\.1:${port} HTTP/1\\.1\r\nHost: 127\\.0\\.0\\.1:${port}\r\n`));
    assert.match(proxy.heads[0], new RegExp(`Proxy-Authorization: Basic ${Buffer.from('egress@corp:p:ss').toString('base64')}`));
  });

  it('rejects with EPROXY when the proxy refuses the tunnel, and sends nothing', async () => {
    const { url, requests } = await serve();
    const proxy = await connectProxy('407 Proxy Authentication Required');
    const error = await clientFor(url, { proxy: proxy.url }).request(post('x')).then(() => assert.fail('resolved'), (e: NodeJS.ErrnoException) => e);
    assert.equal(error.code, 'EPROXY');
    assert.match(error.message, /407 Proxy Authentication Required/);
    assert.equal(requests.length, 0);
  });

  it('says that a refused connection is the proxy\'s, keeping its code (the address alone read as the destination\'s)', async () => {
    const { url } = await serve();
    const proxyPort = await closedPort();
    const error = await clientFor(url, { proxy: `http://user:secret@127.0.0.1:${proxyPort}` }).request(post('x')).then(() => assert.fail('resolved'), (e: NodeJS.ErrnoException) => e);
    assert.equal(error.code, 'ECONNREFUSED');
    assert.match(error.message, new RegExp(`^the proxy at 127\\.0\\.0\\.1:${proxyPort}: connect ECONNREFUSED`));
    assert.doesNotMatch(error.message, /secret/);
  });

  it('a proxy password that is not valid percent-encoding is sent as written, and the tunnel opens', async () => {
    const { url } = await serve();
    const proxy = await connectProxy();
    const client = clientFor(url, { proxy: proxy.url.replace('//', '//user:p%ss@') });
    assert.equal((await client.request(post('1'))).body.toString(), 're: 1');
    assert.match(proxy.heads[0], new RegExp(`Proxy-Authorization: Basic ${Buffer.from('user:p%ss').toString('base64')}`));
  });

  it('takes http: proxies only', () => {
    assert.throws(() => new HttpClient('https://sentry.example', { proxy: 'socks5://127.0.0.1:1080' }), /http: proxies only/);
  });

  it('through a proxy, does not keep the process alive once idle', async () => {
    const { server, url } = await serve();
    server.keepAliveTimeout = 60_000;
    const proxy = await connectProxy();
    await expectChildExitsAfterOneRequest(url, { idleTimeoutMs: 60000, proxy: proxy.url });
    assert.equal(proxy.heads.length, 1);
  });

  describe('https with a self-signed certificate', () => {
    let tlsOptions: { key: Buffer; cert: Buffer };
    before(function () {
      const dir = mkdtempSync(join(tmpdir(), 'http-client-test-'));
      try {
        const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
          '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
        if (made.error || made.status !== 0) this.skip(); // no openssl (or one without -addext)
        tlsOptions = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('works when the certificate is given as ca', async () => {
      const { url, sockets } = await serve(answer, tlsOptions);
      const client = clientFor(url, { ca: tlsOptions.cert });
      assert.equal((await client.request(post('1'))).body.toString(), 're: 1');
      assert.equal((await client.request(post('2'))).body.toString(), 're: 2');
      assert.equal(sockets.length, 1);
    });

    it('through an http: proxy: TLS inside the tunnel, one tunnel for sequential requests', async () => {
      const { url, sockets } = await serve(answer, tlsOptions);
      const proxy = await connectProxy();
      const client = clientFor(url, { ca: tlsOptions.cert, proxy: proxy.url });
      assert.equal((await client.request(post('1'))).body.toString(), 're: 1');
      assert.equal((await client.request(post('2'))).body.toString(), 're: 2');
      assert.equal(proxy.heads.length, 1);
      assert.equal(sockets.length, 1);
    });

    it('rejects, without crashing, when it is not trusted', async () => {
      const { url, requests } = await serve(answer, tlsOptions);
      const error = await clientFor(url).request(post('x')).then(() => assert.fail('resolved'), (e: NodeJS.ErrnoException) => e);
      assert.match(String(error.code), /SELF_SIGNED|UNABLE_TO_VERIFY/);
      assert.equal(requests.length, 0);
    });
  });

  it('does not keep the process alive once idle', async () => {
    const { server, url, sockets } = await serve();
    server.keepAliveTimeout = 60_000; // neither side closes the idle connection: only unref lets the child exit
    await expectChildExitsAfterOneRequest(url, { idleTimeoutMs: 60000 });
    assert.equal(sockets.length, 1);
  });
});
