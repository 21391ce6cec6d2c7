/** Scrubbing of finished spans for export (src/tracing/scrub-span.ts): per-key rules, table-driven. */
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, type Attributes, type AttributeValue } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { TraceState } from '@opentelemetry/core';
import { defaultScrubber } from '../../src/scrub';
import { compileAttributesScrubber, compileSpanScrubber } from '../../src/tracing/scrub-span';

const SQL = "select * from users where email = 'ann@example.com' and id = 5";

describe('compileAttributesScrubber: what each attribute key gets', () => {
  const scrub = compileAttributesScrubber(defaultScrubber());
  // [key, value, on a server span, on any other span]; `undefined` means the key is not sent.
  const cases: Array<[key: string, value: AttributeValue, server: AttributeValue | undefined, other: AttributeValue | undefined]> = [
    ['http.route', '/users/:id', '/users/:id', '/users/:id'],
    ['http.response.status_code', 200, 200, 200],
    ['http.request.header.authorization', 'Bearer abc', '[Filtered]', '[Filtered]'],
    ['db.password', 'hunter2', '[Filtered]', '[Filtered]'],
    ['app.flags', [true, false], [true, false], [true, false]],
    ['db.query.text', SQL, 'select * from users where email = ? and id = 5', 'select * from users where email = ? and id = 5'],
    ['db.statement', SQL, 'select * from users where email = ? and id = 5', 'select * from users where email = ? and id = 5'],
    ['url.full', 'https://x.test/a?token=abc&page=2', 'https://x.test/a?token=[Filtered]&page=2', 'https://x.test/a?token=[Filtered]&page=2'],
    ['http.target', '/a?token=abc', '/a?token=[Filtered]', '/a?token=[Filtered]'],
    ['app.note', 'card 4111 1111 1111 1111 ok', 'card [Filtered] ok', 'card [Filtered] ok'],
    ['app.notes', ['card 4111 1111 1111 1111', 'fine'], ['card [Filtered]', 'fine'], ['card [Filtered]', 'fine']],
    ['client.address', '203.0.113.7', undefined, '203.0.113.7'],
    ['network.peer.port', 51234, undefined, 51234],
    ['net.sock.peer.addr', '203.0.113.7', undefined, '203.0.113.7'],
    // url.query holds the query without its '?': scrubbed as one, percent-encoded values decoded.
    ['url.query', 'token=abc&page=2', 'token=[Filtered]&page=2', 'token=[Filtered]&page=2'],
    ['url.query', 'next=%2Faccount%3Faccess_token%3Dq-secret-1', 'next=[Filtered]', 'next=[Filtered]'],
    // Values the API accepts beyond strings: numbers that are card numbers, maps, nested arrays.
    ['app.input', 4111111111111111, '[Filtered]', '[Filtered]'],
    ['app.order_total', 1799.5, 1799.5, 1799.5],
    ['app.started_ms', 1796603269051, 1796603269051, 1796603269051],
    ['app.request', { headers: { authorization: 'Bearer abc' }, password: 'p', page: 2 } as unknown as AttributeValue, { headers: { authorization: '[Filtered]' }, password: '[Filtered]', page: 2 } as unknown as AttributeValue, { headers: { authorization: '[Filtered]' }, password: '[Filtered]', page: 2 } as unknown as AttributeValue],
    ['app.matrix', [['password=p-secret', 'ok']] as unknown as AttributeValue, [['password=[Filtered]', 'ok']] as unknown as AttributeValue, [['password=[Filtered]', 'ok']] as unknown as AttributeValue],
  ];
  for (const [key, value, server, other] of cases) {
    it(`${key}: ${JSON.stringify(value)}`, () => {
      // Twice each: the second answer comes from the per-key rule cache.
      for (let round = 0; round < 2; round++) {
        assert.deepEqual(scrub({ [key]: value }, true)[key], server);
        assert.deepEqual(scrub({ [key]: value }, false)[key], other);
        assert.deepEqual(scrub({ [key]: value })[key], other);
      }
    });
  }

  it('never changes its input, and a value it cannot read is filtered, not thrown', () => {
    const input: Attributes = { 'url.full': 'https://x.test/?token=abc', 'client.address': '203.0.113.7' };
    Object.defineProperty(input, 'app.trap', { enumerable: true, get: () => { throw new Error('hostile getter'); } });
    const out = scrub(input, true);
    assert.deepEqual(Object.keys(out), ['url.full', 'app.trap']);
    assert.equal(out['app.trap'], '[Filtered]');
    assert.equal(Object.getOwnPropertyDescriptor(input, 'url.full')?.value, 'https://x.test/?token=abc');
    assert.equal(Object.getOwnPropertyDescriptor(input, 'client.address')?.value, '203.0.113.7');
  });

  it('always returns a copy, in the input key order, also when nothing needed scrubbing', () => {
    const input: Attributes = { 'http.route': '/a', 'http.response.status_code': 200, 'app.flags': [true] };
    for (const isServer of [true, false]) {
      const out = scrub(input, isServer);
      assert.notEqual(out, input);
      assert.deepEqual(out, input);
      out['http.route'] = '/changed';
      assert.equal(input['http.route'], '/a');
    }
    const server = scrub({ 'url.path': '/x', 'client.address': '203.0.113.7', 'http.route': '/x' }, true);
    assert.deepEqual(Object.keys(server), ['url.path', 'http.route']);
  });

  it('sends the value it checked: a getter read once per scrub, whatever it returns the next time', () => {
    const values = ['harmless', 'password=p-secret-1'];
    const input: Attributes = {};
    let reads = 0;
    Object.defineProperty(input, 'app.note', { enumerable: true, get: () => values[reads++ % 2] });
    const out = scrub(input);
    assert.equal(reads, 1);
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, 'app.note'), { value: 'harmless', writable: true, enumerable: true, configurable: true });
    assert.deepEqual(scrub(input), { 'app.note': 'password=[Filtered]' });
  });
});

describe('compileSpanScrubber: a scrubbed copy of the whole span', () => {
  const span = {
    name: 'GET /pay?token=abc',
    kind: SpanKind.SERVER,
    spanContext: () => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }),
    parentSpanContext: undefined,
    startTime: [1, 0],
    endTime: [2, 0],
    status: { code: SpanStatusCode.ERROR, message: 'card 4111 1111 1111 1111 declined' },
    attributes: { 'client.address': '203.0.113.7', 'url.path': '/pay' },
    links: [{ context: { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 }, attributes: { password: 'x' } }],
    events: [{ name: 'exception', time: [1, 5], attributes: { 'exception.message': 'token=abc failed' } }],
    duration: [1, 0],
    ended: true,
    resource: { attributes: {} },
    instrumentationScope: { name: 'test' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  } as unknown as ReadableSpan;

  it('scrubs the name, status, attributes, events and links, and leaves the original alone', () => {
    const before = JSON.stringify(span);
    const copy = compileSpanScrubber(defaultScrubber())(span);
    assert.equal(copy.name, 'GET /pay?token=[Filtered]');
    assert.equal(copy.status.message, 'card [Filtered] declined');
    assert.deepEqual(copy.attributes, { 'url.path': '/pay' });
    assert.deepEqual(copy.links[0].attributes, { password: '[Filtered]' });
    assert.equal(copy.events[0].attributes?.['exception.message'], 'token=[Filtered] failed');
    assert.deepEqual(copy.spanContext(), span.spanContext());
    assert.equal(JSON.stringify(span), before);
  });

  it('scrubs the tracestate a caller sent (copied into every span of the trace), and only when it holds a secret', () => {
    const withState = (state: string) => {
      const context = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1, traceState: new TraceState(state) };
      return { ...span, spanContext: () => context } as unknown as ReadableSpan;
    };
    const scrub = compileSpanScrubber(defaultScrubber());
    const secret = withState('acme=sk_live_51Habcdefghijklmnop,congo=t61rcWkgMzE');
    assert.equal(scrub(secret).spanContext().traceState?.serialize(), 'acme=[Filtered],congo=t61rcWkgMzE');
    assert.equal(secret.spanContext().traceState?.serialize(), 'acme=sk_live_51Habcdefghijklmnop,congo=t61rcWkgMzE');
    const plain = withState('congo=t61rcWkgMzE');
    assert.equal(scrub(plain).spanContext(), plain.spanContext());
  });
});
