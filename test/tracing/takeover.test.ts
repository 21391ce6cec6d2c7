/**
 * A second copy of the library in one process, with a fresh global (jest loads every test file's modules
 * anew, all sharing Node's http; found by a runners audit): its server spans, scopes and listener binding
 * must be the live copy's. The first copy's patches stayed, so every test file after the first in a jest
 * worker got no spans, events without their user, and another request's breadcrumbs.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { traceIncomingRequests } from '../../src/tracing/http-server';
import { kit } from '../support/setup';

async function get(server: http.Server, path: string): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await context.with(suppressTracing(context.active()), () => new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    }));
  } finally {
    // Closed once its connection is: the response's close, which ends the server span, has run.
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Answers with the trace id active in the handler and in a listener on the response, run later from outside it. */
function traceIdsServer(): http.Server {
  return http.createServer((req, res) => {
    const inHandler = trace.getActiveSpan()?.spanContext().traceId;
    res.on('tick', () => res.end(JSON.stringify({ inHandler, inListener: trace.getActiveSpan()?.spanContext().traceId })));
    setImmediate(() => context.with(context.active(), () => res.emit('tick')));
    req.resume();
  });
}

describe('a second copy of the library in the same process (jest: one per test file)', () => {
  beforeEach(() => kit.reset());

  it("takes over the server spans and the listeners' context; its undo gives them back", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const undo = traceIncomingRequests(provider.getTracer('second copy'));
    let seen: { inHandler?: string; inListener?: string };
    try {
      seen = JSON.parse(await get(traceIdsServer(), '/second')) as typeof seen;
    } finally {
      undo();
    }
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.instrumentationScope.name, 'second copy', 'the live copy made the server span');
    assert.deepEqual(seen, { inHandler: span.spanContext().traceId, inListener: span.spanContext().traceId });
    await kit.flush();
    assert.deepEqual(kit.spans().filter((s) => s.kind === 'SERVER'), [], 'the first copy made none');

    // Undone: the first copy's patches are back.
    const back = JSON.parse(await get(traceIdsServer(), '/first')) as typeof seen;
    const [server] = await kit.waitForSpans((s) => s.kind === 'SERVER');
    assert.deepEqual(back, { inHandler: server.traceId, inListener: server.traceId });
    assert.equal(exporter.getFinishedSpans().length, 1);
  });
});
