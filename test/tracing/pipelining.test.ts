/**
 * Pipelined HTTP/1.1 requests (found by a protocol audit): a request queued behind an unfinished response
 * gets its response only once those before it are done. When the connection went first, Node closed the
 * request but never its response, and the request's server span (and its route span) stayed open for good.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import express from 'express';
import { kit } from '../support/setup';

async function listen(app: express.Express): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/** Writes `requests` at once on one connection; returns the socket and what came back. */
async function pipeline(port: number, requests: string[]): Promise<{ socket: net.Socket; received: () => string }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.write(requests.join(''));
  return { socket, received: () => text };
}

const body = '{"name":"Anna"}';
const REQUESTS = [
  'GET /slow HTTP/1.1\r\nHost: salon.example\r\n\r\n',
  `POST /bookings HTTP/1.1\r\nHost: salon.example\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  'GET /fast/2 HTTP/1.1\r\nHost: salon.example\r\n\r\n',
];

describe('pipelined requests', () => {
  beforeEach(() => kit.reset());

  function salon(handled: string[]): express.Express {
    const app = express();
    app.use(express.json());
    app.get('/slow', (_req, res) => {
      setTimeout(() => res.send('slow'), 300);
    });
    app.post('/bookings', (req, res) => {
      handled.push('/bookings');
      res.status(201).json(req.body);
    });
    app.get('/fast/:id', (_req, res) => {
      handled.push('/fast');
      res.send('fast');
    });
    return app;
  }

  it('answered in order: one span per request, each named by its route', async () => {
    const handled: string[] = [];
    const { server, port } = await listen(salon(handled));
    try {
      const { socket, received } = await pipeline(port, REQUESTS);
      while ((received().match(/HTTP\/1\.1 \d{3}/g)?.length ?? 0) < 3) await new Promise((resolve) => setTimeout(resolve, 10));
      socket.destroy();
      assert.deepEqual(received().match(/HTTP\/1\.1 \d{3}/g), ['HTTP/1.1 200', 'HTTP/1.1 201', 'HTTP/1.1 200']);
    } finally {
      server.close();
    }
    await kit.waitForSpans((span) => span.kind === 'SERVER' && span.name === 'GET /slow');
    const servers = kit.spans().filter((span) => span.kind === 'SERVER').map((span) => `${span.name} ${span.attributes['http.response.status_code']}`);
    assert.deepEqual(servers.sort(), ['GET /fast/:id 200', 'GET /slow 200', 'POST /bookings 201']);
  });

  it('the connection closed while later requests waited for the first: every server and route span still ends', async () => {
    const handled: string[] = [];
    const { server, port } = await listen(salon(handled));
    try {
      const { socket } = await pipeline(port, REQUESTS);
      while (handled.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      socket.destroy(); // the client gives up while /slow runs: /bookings and /fast/2 were answered into their queue
      const servers = await kit.waitForSpans((span) => span.kind === 'SERVER' && span.name !== 'GET /slow', { timeout: 3000 }).catch(() => []);
      assert.deepEqual(servers.map((span) => span.name).sort(), ['GET /fast/:id', 'POST /bookings']);
      // Their route spans too: nothing of theirs is left open.
      const traces = new Set(servers.map((span) => span.traceId));
      const routeSpans = kit.spans().filter((span) => traces.has(span.traceId) && span.kind !== 'SERVER');
      assert.equal(routeSpans.length, 2, JSON.stringify(routeSpans.map((span) => span.name)));
    } finally {
      server.close();
    }
  });
});
