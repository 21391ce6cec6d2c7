/**
 * dataCollection and PII on the wire (S13, issue 7): what leaves the process, searched in every byte the
 * fake received (events, spans, URLs, headers), and what the library prints. Client IP addresses
 * (`user.ip_address`, `x-forwarded-for`, `x-real-ip`), cookies, credentials in request headers and raw
 * bodies are not sent; a body is attached only through the scrubbing middleware (the opt-in), scrubbed.
 * The DSN's key and secrets in configuration are never printed.
 */
import assert from 'node:assert/strict';
import type { ChildApp } from '../support/child-app';
import { startFakeSentry, type FakeSentry, type ReceivedRequest } from '../support/fake-sentry';
import { CLASSIFY_APP, assertHealthy, flushChild, startReliabilityApp } from './support';

const FORWARDED_IP = '203.0.113.77';
const REAL_IP = '198.51.100.23';
const COOKIE_VALUE = 'cookie-value-7f3a9c';
const HEADER_TOKEN = 'header-token-5d1e8b';
const BODY_PASSWORD = 'body-password-2c4f6a';
const BODY_NOTE = 'visible-note-9b8d7e';
const COLLECTOR_TOKEN = 'abc-collector-token-4e5f6a7b';
const COLLECTOR_PASSWORD = 'collector-userinfo-pw-1a2b';

const CLIENT_HEADERS = {
  'x-forwarded-for': `${FORWARDED_IP}, 10.0.0.1`,
  'x-real-ip': REAL_IP,
  forwarded: `for=${FORWARDED_IP};proto=https`,
  cookie: `session=${COOKIE_VALUE}; theme=dark`,
  authorization: `Bearer ${HEADER_TOKEN}`,
  'x-user-id': 'u-42',
  'user-agent': 'privacy-test/1.0',
};
const CLIENT_SECRETS = [FORWARDED_IP, REAL_IP, COOKIE_VALUE, HEADER_TOKEN, BODY_PASSWORD];

/** One failing GET and one failing POST with a JSON body, both with every identifying header. */
async function sendIdentifiedErrors(app: ChildApp, fake: FakeSentry): Promise<any[]> {
  assert.equal((await app.fetch('/error?n=privacy', { headers: CLIENT_HEADERS })).status, 500);
  const post = await app.fetch('/echo', {
    method: 'POST',
    headers: { ...CLIENT_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'anna', password: BODY_PASSWORD, note: BODY_NOTE }),
  });
  assert.equal(post.status, 500);
  await flushChild(app);
  await fake.waitForEvents(2);
  // The server spans of both requests, from Sentry's OTLP endpoint and the collector.
  await fake.waitForSpans((spans) => spans.filter((s) => s.kind === 'SERVER' && /\/error|\/echo/.test(s.name)).length >= 4);
  return fake.events();
}

const sentryBound = (r: ReceivedRequest): boolean => r.route === 'envelope' || r.route === 'sentry-otlp-traces';

describe('reliability: PII and secrets on the wire and in the logs', function () {
  this.timeout(60_000);
  let fake: FakeSentry;

  before(async () => {
    fake = await startFakeSentry();
  });
  after(async () => fake?.close());

  describe('with the scrubbing middleware (the opt-in for request bodies)', () => {
    let app: ChildApp;
    let events: any[];
    before(async () => {
      app = await startReliabilityApp(fake, {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://collector-user:${COLLECTOR_PASSWORD}@127.0.0.1:${fake.port}/collector`,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${COLLECTOR_TOKEN},x-tenant=salon`,
        // Every debug line of the library on, so that what it prints is all there is to search.
        EXPRESS_OTEL_SENTRY_DEBUG: '1',
      });
      fake.reset();
      events = await sendIdentifiedErrors(app, fake);
    });
    after(async () => app?.stop('SIGTERM'));

    it('sends no client IP address: no user.ip_address, no x-forwarded-for / x-real-ip / forwarded, in events or spans', () => {
      for (const event of events) {
        assert.equal(event.user?.ip_address, undefined);
        assert.equal(event.user?.id, 'u-42', 'the user context itself is kept');
        for (const name of ['x-forwarded-for', 'x-real-ip', 'forwarded']) assert.equal(event.request?.headers?.[name], undefined, name);
      }
      const servers = fake.spans().filter((s) => s.kind === 'SERVER');
      assert.ok(servers.length >= 4);
      for (const span of servers) {
        for (const key of ['client.address', 'network.peer.address', 'http.client_ip', 'net.peer.ip', 'net.sock.peer.addr']) {
          assert.equal(span.attributes[key], undefined, `${span.source} span "${span.name}" carries ${key}`);
        }
      }
      assert.deepEqual(fake.findSecrets([FORWARDED_IP, REAL_IP]), []);
    });

    it('sends no cookies and no credentials from request headers', () => {
      for (const event of events) {
        assert.equal(event.request?.cookies, undefined);
        assert.equal(event.request?.headers?.cookie, undefined);
        assert.equal(event.request?.headers?.authorization, undefined);
        assert.equal(event.request?.headers?.['user-agent'], 'privacy-test/1.0', 'safe headers are kept');
      }
      assert.deepEqual(fake.findSecrets([COOKIE_VALUE, HEADER_TOKEN]), []);
    });

    it('attaches the body scrubbed: ordinary fields kept, the password filtered, never on the wire', () => {
      const echo = events.find((e) => e.request?.url?.endsWith('/echo'));
      assert.ok(echo, 'no event for POST /echo');
      assert.equal(echo.request.data.note, BODY_NOTE);
      assert.equal(echo.request.data.username, 'anna');
      assert.equal(echo.request.data.password, '[Filtered]');
      assert.deepEqual(fake.findSecrets([BODY_PASSWORD]), []);
    });

    it('sends the collector credentials to the collector only, never to Sentry', () => {
      const toCollector = fake.rawBodies().filter((r) => r.route === 'collector-traces');
      assert.ok(toCollector.length > 0);
      for (const r of toCollector) assert.equal(r.headers.authorization, `Bearer ${COLLECTOR_TOKEN}`);
      // Allowed: the collector's own Authorization header. Anything else is a leak.
      const leaks = fake.findSecrets([COLLECTOR_TOKEN, COLLECTOR_PASSWORD]).filter((hit) => {
        const request = fake.rawBodies().find((r) => r.seq === hit.requestSeq);
        return !request || sentryBound(request) || hit.part !== 'headers';
      });
      assert.deepEqual(leaks, []);
    });

    it('prints neither the DSN key nor configured secrets, even with debug logging on', () => {
      assertHealthy(app);
      const output = app.output();
      assert.match(output, /Sentry initialized for environment: test/);
      for (const secret of [fake.publicKey, COLLECTOR_TOKEN, COLLECTOR_PASSWORD, ...CLIENT_SECRETS]) {
        assert.ok(!output.includes(secret), `printed: ${secret}\n${output}`);
      }
    });
  });

  describe('without the scrubbing middleware', () => {
    it('sends no request body at all, and still no IPs, cookies or credentials', async () => {
      const app = await startReliabilityApp(fake, { RELIABILITY_SCRUBBING: '0' });
      try {
        fake.reset();
        const events = await sendIdentifiedErrors(app, fake);
        for (const event of events) {
          assert.equal(event.request?.data, undefined, `a body was sent: ${JSON.stringify(event.request)}`);
          assert.equal(event.request?.cookies, undefined);
          assert.equal(event.user?.ip_address, undefined);
        }
        assert.deepEqual(fake.findSecrets([...CLIENT_SECRETS, BODY_NOTE]), []);
        assertHealthy(app);
      } finally {
        await app.stop('SIGTERM');
      }
    });
  });

  describe('rules added with initTelemetry({ scrub }) (no preload: the app calls it)', () => {
    it('filter the request snapshot the scrubbing middleware attaches too: body, query, and every other byte', async () => {
      const app = await startReliabilityApp(fake, { RELIABILITY_SCRUB_KEYS: 'booking_ref' }, CLASSIFY_APP);
      try {
        fake.reset();
        const post = await app.fetch('/echo?booking_ref=BK-QUERY-7731&page=2', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ booking_ref: 'BK-BODY-7731', note: BODY_NOTE }),
        });
        assert.equal(post.status, 500);
        await flushChild(app);
        const [event] = await fake.waitForEvents(1);
        assert.equal(event.request.data.booking_ref, '[Filtered]');
        assert.equal(event.request.data.note, BODY_NOTE, 'ordinary fields are kept');
        assert.match(event.request.query_string, /page=2/);
        assert.deepEqual(fake.findSecrets(['BK-QUERY-7731', 'BK-BODY-7731']), []);
        assertHealthy(app);
      } finally {
        await app.stop('SIGTERM');
      }
    });
  });

  describe('bad configuration values are reported without their secrets', () => {
    it('a malformed DSN and a non-HTTP collector URL with a password: logged, key and password redacted', async () => {
      const app = await startReliabilityApp(fake, {
        SENTRY_DSN: 'https://leaky-dsn-key-8c7d6e@',
        OTEL_EXPORTER_OTLP_ENDPOINT: `ftp://user:${COLLECTOR_PASSWORD}@collector.internal:4318`,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${COLLECTOR_TOKEN}`,
      });
      try {
        assert.equal((await app.fetch('/error')).status, 500);
        const output = app.output();
        assert.match(output, /Invalid SENTRY_DSN/);
        assert.match(output, /Invalid OTEL_EXPORTER_OTLP_ENDPOINT/);
        for (const secret of ['leaky-dsn-key-8c7d6e', COLLECTOR_PASSWORD, COLLECTOR_TOKEN]) {
          assert.ok(!output.includes(secret), `printed: ${secret}\n${output}`);
        }
        assertHealthy(app);
      } finally {
        await app.stop('SIGTERM');
      }
    });
  });
});
