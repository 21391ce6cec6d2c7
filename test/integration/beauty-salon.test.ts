/**
 * The beauty-salon example (S20) and its payment gateway, each a child process started with the
 * preload, against the fake Sentry and a real PostgreSQL: every seed behaviour, and one trace over
 * two services. Each request starts its own trace (a `traceparent` we make up), so its events are
 * found by trace id, and "reported nothing" is checked once both services have flushed on SIGTERM.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ROOT, startChildApp, type ChildApp } from '../support/child-app';
import { getTestDatabase } from '../support/database';
import { startFakeSentry, type FakeSentry, type RecordedSpan } from '../support/fake-sentry';

const SALON = join(ROOT, 'examples', 'beauty-salon', 'server.js');
const GATEWAY = join(ROOT, 'examples', 'payment-gateway', 'server.js');
const TOKEN = 'demo-token-malika';
const CARD = '4111111111111111';
const DECLINED_CARD = '4000000000000002';
const HOUR_MS = 60 * 60 * 1000;

interface Answer {
  status: number;
  json: any;
  traceId: string;
}

describe('examples/beauty-salon + payment-gateway (child processes, fake Sentry, real PostgreSQL)', function () {
  let fake: FakeSentry;
  let gateway: ChildApp;
  let salon: ChildApp;
  let malikaId: number;
  /** Trace id of each request made → how many events it must have produced once everything is flushed. */
  const expected = new Map<string, number>();

  const eventsOf = (traceId: string): any[] => fake.events().filter((event) => event.contexts?.trace?.trace_id === traceId);

  async function call(method: string, path: string, options: { body?: unknown; token?: string } = {}): Promise<Answer> {
    const traceId = randomBytes(16).toString('hex');
    const headers: Record<string, string> = { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await salon.fetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, json, traceId };
  }

  async function eventsFor(answer: Answer, count: number): Promise<any[]> {
    expected.set(answer.traceId, count);
    await fake.waitFor(() => eventsOf(answer.traceId).length >= count, { description: `${count} event(s) on trace ${answer.traceId}` });
    return eventsOf(answer.traceId);
  }

  function reportsNothing(answer: Answer): void {
    expected.set(answer.traceId, 0);
  }

  async function book(hoursAhead: number): Promise<number> {
    const startsAt = new Date(Date.now() + hoursAhead * HOUR_MS).toISOString();
    const answer = await call('POST', '/bookings', { token: TOKEN, body: { master_id: 1, service_id: 1, starts_at: startsAt } });
    assert.equal(answer.status, 201, JSON.stringify(answer.json));
    reportsNothing(answer);
    return answer.json.id;
  }

  const exceptionOf = (event: any, type: string) => event.exception?.values?.find((value: any) => value.type === type);

  before(async function () {
    this.timeout(120_000);
    fake = await startFakeSentry();
    const { url } = await getTestDatabase();
    gateway = await startChildApp({ entry: GATEWAY, env: { SENTRY_DSN: fake.dsn, OTEL_SERVICE_NAME: 'payment-gateway' } });
    salon = await startChildApp({
      entry: SALON,
      env: { SENTRY_DSN: fake.dsn, DATABASE_URL: url, PAYMENT_GATEWAY_URL: gateway.url, OTEL_SERVICE_NAME: 'beauty-salon' },
      startTimeoutMs: 90_000,
    });
    const profile = await call('GET', '/profile', { token: TOKEN });
    assert.equal(profile.status, 200, JSON.stringify(profile.json));
    reportsNothing(profile);
    malikaId = profile.json.id;
  });

  after(async () => {
    await salon?.stop();
    await gateway?.stop();
    await fake?.close();
  });

  it('GET /health answers from the database', async () => {
    const answer = await call('GET', '/health');
    assert.deepEqual([answer.status, answer.json], [200, { status: 'ok', database: 'up' }]);
    reportsNothing(answer);
  });

  it('POST /bookings: a validation error answers 400 with its message and is not reported (S14); a good booking 201', async () => {
    const invalid = await call('POST', '/bookings', { token: TOKEN, body: { master_id: 1 } });
    assert.equal(invalid.status, 400);
    assert.match(invalid.json.error, /service_id must be a positive integer/);
    reportsNothing(invalid);
    const past = await call('POST', '/bookings', { token: TOKEN, body: { master_id: 1, service_id: 1, starts_at: '2001-01-01T10:00:00Z' } });
    assert.deepEqual([past.status, past.json], [400, { error: 'starts_at must be in the future' }]);
    reportsNothing(past);
    assert.ok(Number.isInteger(await book(72)));
  });

  it('POST /bookings/:id/cancel: a late cancellation is reported with the seed breadcrumbs in order and the queries between them (S8)', async () => {
    const id = await book(2);
    const answer = await call('POST', `/bookings/${id}/cancel`);
    assert.equal(answer.status, 500);
    assert.match(answer.json.error, /cannot be cancelled less than 24 hours/);
    const [event] = await eventsFor(answer, 1);
    assert.equal(event.event_id, answer.json.eventId);
    assert.ok(exceptionOf(event, 'CancellationPolicyError'), JSON.stringify(event.exception));
    const crumbs: any[] = event.breadcrumbs ?? [];
    const first = crumbs.findIndex((crumb) => crumb.message === 'User initiated booking cancellation');
    const second = crumbs.findIndex((crumb) => crumb.message === 'Booking found, checking cancellation policy');
    assert.ok(first >= 0 && second > first, `seed breadcrumbs missing or out of order: ${crumbs.map((c) => c.message).join(' | ')}`);
    assert.equal(crumbs[first].category, 'booking');
    assert.deepEqual(crumbs[first].data, { booking_id: id });
    const queries = crumbs.slice(first + 1, second).filter((crumb) => crumb.category === 'query');
    assert.ok(queries.some((crumb) => /select .* from "bookings"/i.test(crumb.message)), `no booking query between them: ${JSON.stringify(queries)}`);

    const inTime = await call('POST', `/bookings/${await book(72)}/cancel`);
    assert.deepEqual([inTime.status, inTime.json.status], [200, 'cancelled']);
    reportsNothing(inTime);
  });

  it('POST /payments over 10,000,000 first sends the warning "Suspicious payment amount: N" with { user_id, amount } (S5)', async () => {
    const bookingId = await book(96);
    const answer = await call('POST', '/payments', { body: { booking_id: bookingId, amount: 12_500_000, card_number: CARD } });
    assert.equal(answer.status, 201, JSON.stringify(answer.json));
    assert.deepEqual([answer.json.amount, answer.json.card_last4, answer.json.method], [12_500_000, '1111', 'payme']);
    const [event] = await eventsFor(answer, 1);
    assert.equal(event.level, 'warning');
    assert.equal(event.message ?? event.logentry?.message, 'Suspicious payment amount: 12500000');
    assert.deepEqual(event.contexts.details, { user_id: malikaId, amount: 12_500_000 });
  });

  it('POST /payments: a gateway failure is a PaymentError with { booking_id, amount, payment_method: "payme" }, tagged payment; 500 "Payment processing failed" (S6)', async () => {
    const bookingId = await book(100);
    const answer = await call('POST', '/payments', { body: { booking_id: bookingId, amount: 150_013, card_number: CARD } });
    assert.equal(answer.status, 500);
    assert.equal(answer.json.error, 'Payment processing failed');
    const events = await eventsFor(answer, 2); // the salon's PaymentError and the gateway's GatewayError
    const event = events.find((e) => exceptionOf(e, 'PaymentError'));
    assert.ok(event, `no PaymentError among ${events.map((e) => e.exception?.values?.map((v: any) => v.type)).join(', ')}`);
    assert.equal(event.event_id, answer.json.eventId);
    assert.deepEqual(event.contexts.details, { booking_id: bookingId, amount: 150_013, payment_method: 'payme' });
    assert.equal(event.tags['error.category'], 'payment');
  });

  it('POST /payments: a declined card answers 402 and neither service reports it', async () => {
    const bookingId = await book(104);
    const answer = await call('POST', '/payments', { body: { booking_id: bookingId, amount: 150_000, card_number: DECLINED_CARD } });
    assert.deepEqual([answer.status, answer.json], [402, { error: 'Card declined' }]);
    reportsNothing(answer);
  });

  it('one payment, one trace over two services: server spans of both (own service.name), and an error event in each on that trace id', async () => {
    const bookingId = await book(108);
    const answer = await call('POST', '/payments', { body: { booking_id: bookingId, amount: 250_013, card_number: CARD } });
    assert.equal(answer.status, 500);
    const events = await eventsFor(answer, 2);
    const servers = (spans: RecordedSpan[]) => spans.filter((s) => s.traceId === answer.traceId && s.kind === 'SERVER' && s.source === 'sentry');
    await fake.waitForSpans((spans) => new Set(servers(spans).map((s) => s.resource['service.name'])).size === 2);
    const spans = fake.spans().filter((s) => s.traceId === answer.traceId && s.source === 'sentry');
    const salonServer = servers(spans).find((s) => s.resource['service.name'] === 'beauty-salon');
    const gatewayServer = servers(spans).find((s) => s.resource['service.name'] === 'payment-gateway');
    assert.ok(salonServer && gatewayServer);
    assert.equal(salonServer.attributes['http.route'], '/payments');
    assert.equal(gatewayServer.attributes['http.route'], '/charges');
    // The gateway's server span is the child of the salon's outgoing fetch.
    const fetchSpan = spans.find((s) => s.spanId === gatewayServer.parentSpanId);
    assert.ok(fetchSpan, 'the gateway server span has no parent in the salon');
    assert.equal(fetchSpan.kind, 'CLIENT');
    assert.equal(fetchSpan.resource['service.name'], 'beauty-salon');

    const salonEvent = events.find((e) => exceptionOf(e, 'PaymentError'));
    const gatewayEvent = events.find((e) => exceptionOf(e, 'GatewayError'));
    assert.ok(salonEvent && gatewayEvent, 'expected a PaymentError (salon) and a GatewayError (gateway)');
    const gatewaySpanIds = new Set(spans.filter((s) => s.resource['service.name'] === 'payment-gateway').map((s) => s.spanId));
    const salonSpanIds = new Set(spans.filter((s) => s.resource['service.name'] === 'beauty-salon').map((s) => s.spanId));
    assert.ok(gatewaySpanIds.has(gatewayEvent.contexts.trace.span_id), 'the gateway event is not linked to a gateway span');
    assert.ok(salonSpanIds.has(salonEvent.contexts.trace.span_id), 'the salon event is not linked to a salon span');
  });

  it('GET /profile: 401 without or with a wrong token (not reported); with a token the user is on the events of that request (S7)', async () => {
    const anonymous = await call('GET', '/profile');
    assert.equal(anonymous.status, 401);
    reportsNothing(anonymous);
    const wrong = await call('GET', '/profile', { token: 'not-a-real-token' });
    assert.deepEqual([wrong.status, wrong.json], [401, { error: 'Invalid or expired token' }]);
    reportsNothing(wrong);

    const answer = await call('GET', '/profile?include=loyalty', { token: TOKEN });
    assert.equal(answer.status, 500);
    const [event] = await eventsFor(answer, 1);
    assert.deepEqual(event.user, { id: String(malikaId), email: 'malika@example.uz', username: 'Malika Yusupova' });
    assert.equal(event.tags['error.category'], 'database');
  });

  it('GET /sentry-test sends exactly two events, a message and an exception, and answers {"status":"Check Sentry dashboard"} (S10)', async () => {
    const answer = await call('GET', '/sentry-test');
    assert.deepEqual([answer.status, answer.json], [200, { status: 'Check Sentry dashboard' }]);
    const events = await eventsFor(answer, 2);
    const message = events.find((e) => e.message === 'Sentry test message from the beauty salon');
    const exception = events.find((e) => exceptionOf(e, 'Error')?.value === 'Sentry test exception from the beauty salon');
    assert.ok(message && exception && message !== exception, JSON.stringify(events.map((e) => e.message ?? e.exception)));
    assert.equal(message.level, 'info');
  });

  it('GET /crash is reported with "Test error - this should appear in Sentry!" and a stack trace (S9, S10)', async () => {
    const answer = await call('GET', '/crash');
    assert.equal(answer.status, 500);
    const [event] = await eventsFor(answer, 1);
    assert.equal(event.event_id, answer.json.eventId);
    const exception = event.exception.values.at(-1);
    assert.equal(exception.value, 'Test error - this should appear in Sentry!');
    assert.ok(exception.stacktrace.frames.some((frame: any) => /beauty-salon[\\/]routes[\\/]checks\.js$/.test(frame.filename ?? frame.abs_path ?? '')));
    assert.equal(event.tags['error.category'], 'http_5xx');
  });

  it('on SIGTERM both services flush: every request left exactly its expected events, and no card number or token left', async () => {
    await salon.stop('SIGTERM');
    await gateway.stop('SIGTERM');
    assert.ok(expected.size >= 15, `only ${expected.size} requests were tracked`);
    const wrong = [...expected].filter(([traceId, count]) => eventsOf(traceId).length !== count);
    assert.deepEqual(
      wrong.map(([traceId, count]) => ({ traceId, expected: count, got: eventsOf(traceId).map((e) => e.exception?.values?.at(-1)?.value ?? e.message) })),
      [],
    );
    assert.deepEqual(fake.findSecrets([CARD, DECLINED_CARD, TOKEN]), []);
  });
});

describe('examples/beauty-salon in development: without PAYMENT_GATEWAY_URL it runs the gateway itself', function () {
  let fake: FakeSentry;
  let salon: ChildApp | undefined;

  before(async () => {
    fake = await startFakeSentry();
  });
  after(async () => {
    await salon?.stop();
    await fake?.close();
  });

  it('starts the gateway as a traced child process (service.name payment-gateway) and stops it on SIGTERM', async function () {
    this.timeout(120_000);
    const { url } = await getTestDatabase();
    salon = await startChildApp({ entry: SALON, env: { SENTRY_DSN: fake.dsn, DATABASE_URL: url, OTEL_SERVICE_NAME: 'beauty-salon' }, startTimeoutMs: 90_000 });
    const gatewayPort = /payment gateway: +http:\/\/127\.0\.0\.1:(\d+) \(child process/.exec(salon.output())?.[1];
    assert.ok(gatewayPort, `the salon did not say where its gateway is:\n${salon.output()}`);
    assert.match(salon.output(), /curl -X POST http:\/\/localhost:\d+\/bookings\/1\/cancel/);

    const response = await salon.fetch('/payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ booking_id: 1, amount: 50_000, card_number: CARD }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    await fake.waitForSpans((spans) => spans.some((s) => s.kind === 'SERVER' && s.resource['service.name'] === 'payment-gateway'));

    const { code } = await salon.stop('SIGTERM');
    assert.equal(code, 0);
    await assert.rejects(fetch(`http://127.0.0.1:${gatewayPort}/health`), 'the gateway outlived the salon');
  });
});
