import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { gunzipSync } from 'node:zlib';
import { OTLPExporterError, type ExportResponse, type IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { createOtlpHttpTransport, retryAfterMillis, withRetries, type OtlpTransportSettings } from '../../src/tracing/otlp-transport';
import { SentryRateLimits } from '../../src/tracing/sentry-rate-limits';

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
/** Answers the nth request (0-based) of the test server. */
type Handler = (res: http.ServerResponse, nth: number) => void;

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

const PAYLOAD = new TextEncoder().encode(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'GET /ä' }] }] }] }));

/** A real collector stand-in on 127.0.0.1 that records what it receives. */
async function collector(handler: Handler) {
  const requests: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      handler(res, requests.length - 1);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { requests, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces` };
}

function transportTo(url: string, settings: Partial<OtlpTransportSettings> = {}): IExporterTransport {
  const transport = createOtlpHttpTransport({ url, headers: async () => ({}), compression: 'none', ...settings });
  cleanups.push(() => transport.shutdown());
  return transport;
}

const status = (code: number, headers: http.OutgoingHttpHeaders = {}, body = ''): Handler => (res) => res.writeHead(code, headers).end(body);

async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('retryAfterMillis', () => {
  const cases: Array<[string, string | undefined, number | undefined]> = [
    ['seconds', '2', 2000],
    ['seconds, large', '120', 120_000],
    ['zero seconds: retry at once', '0', -1],
    ['negative seconds', '-5', -1],
    ['absent', undefined, undefined],
    ['a date in the past', new Date(Date.now() - 60_000).toUTCString(), 0],
    ['not a date', 'soon', 0],
  ];
  for (const [name, value, expected] of cases) it(name, () => assert.equal(retryAfterMillis(value), expected));

  it('a date in the future: about the time until then', () => {
    const delay = retryAfterMillis(new Date(Date.now() + 30_000).toUTCString())!;
    // HTTP dates have whole seconds: up to 1 s is lost to rounding down, a little more to the test's own run time.
    assert.ok(delay > 28_000 && delay <= 30_000, `${delay}`);
  });
});

describe('createOtlpHttpTransport', () => {
  it('answers a 2xx with success and the response body as data', async () => {
    const { url, requests } = await collector(status(200, { 'Content-Type': 'application/json' }, '{"partialSuccess":{}}'));
    const result = await transportTo(`${url}?tenant=a`).send(PAYLOAD, 2000);
    assert.equal(result.status, 'success');
    assert.equal(Buffer.from((result as { data: Uint8Array }).data).toString(), '{"partialSuccess":{}}');
    assert.equal(requests[0].url, '/v1/traces?tenant=a');
    assert.deepEqual(requests[0].body, Buffer.from(PAYLOAD));
  });

  const retryable: Array<[number, string | undefined, number | undefined]> = [
    [503, '1', 1000],
    [429, '3', 3000],
    [502, undefined, undefined],
    [504, undefined, undefined],
  ];
  for (const [code, retryAfter, retryInMillis] of retryable) {
    it(`answers ${code}${retryAfter ? ` with Retry-After: ${retryAfter}` : ''} as retryable`, async () => {
      const { url } = await collector(status(code, retryAfter ? { 'Retry-After': retryAfter } : {}));
      const result = (await transportTo(url).send(PAYLOAD, 2000)) as Extract<ExportResponse, { status: 'retryable' }>;
      assert.equal(result.status, 'retryable');
      assert.equal(result.retryInMillis, retryInMillis);
      // What the warning says when the retries are spent: the status, and the server's Retry-After.
      const answer = `${new URL(url).host} answered ${code} ${http.STATUS_CODES[code]}`;
      assert.equal(result.error?.message, retryAfter ? `${answer} (Retry-After: ${retryAfter})` : answer);
    });
  }

  const partialAnswers: Array<[string, string, string | undefined]> = [
    ['rejected spans with a reason', '{"partialSuccess":{"rejectedSpans":"3","errorMessage":"span too old"}}', 'rejected 3 of the spans: span too old'],
    ['rejected spans as a number, no reason', '{"partialSuccess":{"rejectedSpans":2}}', 'rejected 2 of the spans: no reason given'],
    ['a warning without rejections', '{"partialSuccess":{"errorMessage":"deprecated field"}}', undefined],
    ['zero rejected', '{"partialSuccess":{"rejectedSpans":"0"}}', undefined],
    ['not JSON', 'ok', undefined],
  ];
  for (const [name, body, failure] of partialAnswers) {
    it(`a 200 with partial success: ${name}`, async () => {
      const { url } = await collector(status(200, { 'Content-Type': 'application/json' }, body));
      const result = await transportTo(url).send(PAYLOAD, 2000);
      if (failure === undefined) assert.equal(result.status, 'success');
      else assert.deepEqual([result.status, (result as { error?: Error }).error?.message], ['failure', `${new URL(url).host} ${failure}`]);
    });
  }

  for (const code of [400, 401, 404, 413, 500]) {
    it(`answers ${code} as a failure carrying the status code and body`, async () => {
      const { url } = await collector(status(code, {}, `{"message":"no ${code}"}`));
      const result = await transportTo(url).send(PAYLOAD, 2000);
      assert.equal(result.status, 'failure');
      const { error } = result as Extract<ExportResponse, { status: 'failure' }>;
      assert.ok(error instanceof OTLPExporterError);
      assert.equal(error.code, code);
      assert.equal(error.data, `{"message":"no ${code}"}`);
      assert.equal(error.message, `${new URL(url).host} answered ${code} ${http.STATUS_CODES[code]}`);
    });
  }

  it('answers a closed port as retryable', async () => {
    const result = await transportTo(`http://127.0.0.1:${await closedPort()}/v1/traces`).send(PAYLOAD, 2000);
    assert.equal(result.status, 'retryable');
    assert.equal((result as { error?: NodeJS.ErrnoException }).error?.code, 'ECONNREFUSED');
  });

  it('answers a collector that never responds as retryable, after the timeout', async () => {
    const { url } = await collector(() => {});
    const result = await transportTo(url).send(PAYLOAD, 200);
    assert.equal(result.status, 'retryable');
    assert.equal((result as { error?: NodeJS.ErrnoException }).error?.code, 'ETIMEDOUT');
  });

  it('gzips the body with compression gzip', async () => {
    const { url, requests } = await collector(status(200));
    await transportTo(url, { compression: 'gzip' }).send(PAYLOAD, 2000);
    assert.equal(requests[0].headers['content-encoding'], 'gzip');
    assert.equal(requests[0].headers['content-length'], String(requests[0].body.length));
    assert.deepEqual(gunzipSync(requests[0].body), Buffer.from(PAYLOAD));
  });

  it('sends the body as is with compression none', async () => {
    const { url, requests } = await collector(status(200));
    await transportTo(url).send(PAYLOAD, 2000);
    assert.equal(requests[0].headers['content-encoding'], undefined);
    assert.deepEqual(requests[0].body, Buffer.from(PAYLOAD));
  });

  it('sends the configured headers and a User-Agent, read for every export', async () => {
    const { url, requests } = await collector(status(200));
    let n = 0;
    const headers = async () => ({ 'Content-Type': 'application/json', Authorization: `Bearer t${++n}` });
    await transportTo(url, { headers }).send(PAYLOAD, 2000);
    await transportTo(url, { headers, userAgent: 'OTel-OTLP-Exporter-JavaScript/0.301.0' }).send(PAYLOAD, 2000);
    assert.deepEqual(requests.map((r) => [r.headers['content-type'], r.headers.authorization, r.headers['user-agent']]), [
      ['application/json', 'Bearer t1', 'express-otel-sentry OTLP/HTTP'],
      ['application/json', 'Bearer t2', 'OTel-OTLP-Exporter-JavaScript/0.301.0 express-otel-sentry OTLP/HTTP'],
    ]);
  });

  it('answers headers that would split the request as a failure, sending nothing', async () => {
    const { url, requests } = await collector(status(200));
    const result = await transportTo(url, { headers: async () => ({ 'X-Tenant': 'a\r\nX-Injected: 1' }) }).send(PAYLOAD, 2000);
    assert.equal(result.status, 'failure');
    assert.ok((result as { error: Error }).error instanceof TypeError);
    assert.equal(requests.length, 0);
  });
});

describe("createOtlpHttpTransport to Sentry: its rate limits are obeyed", () => {
  const cases: Array<[string, Handler, boolean]> = [
    ['a 429 with Retry-After', status(429, { 'Retry-After': '30' }), false],
    ['a 429 without headers (60 s)', status(429), false],
    ['a span limit stated on a 200', status(200, { 'X-Sentry-Rate-Limits': '60:span:organization:usage_exceeded' }), false],
    ['a limit of every category', status(200, { 'X-Sentry-Rate-Limits': '60::organization' }), false],
    ['a limit of errors only', status(200, { 'X-Sentry-Rate-Limits': '60:error:organization' }), true],
    ['no limit', status(200), true],
  ];
  for (const [name, handler, sendsAgain] of cases) {
    it(`${name}: the next batch is ${sendsAgain ? 'sent' : 'dropped, not sent'}`, async () => {
      const { url, requests } = await collector(handler);
      const transport = withRetries(transportTo(url, { sentryRateLimits: new SentryRateLimits() }));
      await transport.send(PAYLOAD, 2000);
      assert.equal(requests.length, 1, 'a 429 from Sentry is not retried within the export');
      const next = await transport.send(PAYLOAD, 2000);
      assert.equal(requests.length, sendsAgain ? 2 : 1);
      if (!sendsAgain) assert.match(String((next as { error?: Error }).error?.message), /^not sent: Sentry's rate limit for spans lasts until \d{4}-/);
    });
  }

  for (const code of [401, 403, 404]) {
    it(`Sentry's ${code} to spans names the host and points at the DSN, as the events' warning does`, async () => {
      const { url } = await collector(status(code, {}, '{"detail":"bad key"}'));
      const result = await transportTo(url, { sentryRateLimits: new SentryRateLimits() }).send(PAYLOAD, 2000);
      const { error } = result as Extract<ExportResponse, { status: 'failure' }>;
      assert.equal(result.status, 'failure');
      assert.match(error.message, new RegExp(`^127\\.0\\.0\\.1:\\d+ answered ${code}: .*compare SENTRY_DSN`));
    });
  }

  it('a limit ends: batches are sent again', () => {
    const limits = new SentryRateLimits();
    limits.update(429, { 'retry-after': '2' }, 1_000_000);
    assert.equal(limits.spansLimitedUntil(1_001_000), 1_002_000);
    assert.equal(limits.spansLimitedUntil(1_002_001), undefined);
  });
});

describe('withRetries', () => {
  it('retries a 503 until the collector answers 200', async () => {
    const { url, requests } = await collector((res, nth) => status(nth < 2 ? 503 : 200, nth < 2 ? { 'Retry-After': '0' } : {}, 'ok')(res, nth));
    const result = await withRetries(transportTo(url)).send(PAYLOAD, 5000);
    assert.equal(result.status, 'success');
    assert.equal(requests.length, 3);
    for (const { body } of requests) assert.deepEqual(body, Buffer.from(PAYLOAD));
  });

  it('gives up when Retry-After exceeds the remaining timeout', async () => {
    const { url, requests } = await collector(status(503, { 'Retry-After': '10' }));
    const result = await withRetries(transportTo(url)).send(PAYLOAD, 2000);
    assert.deepEqual([result.status, (result as { retryInMillis?: number }).retryInMillis], ['retryable', 10_000]);
    assert.equal(requests.length, 1);
  });

  it('gives each retry the time left before its wait, as OpenTelemetry does', async () => {
    const timeouts: number[] = [];
    let calls = 0;
    const inner = {
      send: async (_data: Uint8Array, timeoutMillis: number) => {
        timeouts.push(timeoutMillis);
        return calls++ === 0 ? { status: 'retryable' as const, retryInMillis: 100 } : { status: 'success' as const };
      },
      shutdown: () => undefined,
    };
    // A wait well inside the timeout: a wait equal to it would retry or not depending on whether the clock ticked.
    assert.equal((await withRetries(inner).send(PAYLOAD, 1000)).status, 'success');
    assert.equal(timeouts.length, 2);
    assert.ok(timeouts[1] > 0 && timeouts[1] <= 1000, `the retry got ${timeouts[1]} ms`);
  });

  it('does not retry once the timeout is spent, even with Retry-After: 0', async () => {
    const timeouts: number[] = [];
    const inner = {
      send: async (_data: Uint8Array, timeoutMillis: number) => {
        timeouts.push(timeoutMillis);
        await new Promise((resolve) => setTimeout(resolve, 60));
        return { status: 'retryable' as const, retryInMillis: -1 };
      },
      shutdown: () => undefined,
    };
    assert.equal((await withRetries(inner).send(PAYLOAD, 50)).status, 'retryable');
    assert.deepEqual(timeouts, [50]);
  });

  it('does not retry a failure', async () => {
    const { url, requests } = await collector(status(400));
    assert.equal((await withRetries(transportTo(url)).send(PAYLOAD, 5000)).status, 'failure');
    assert.equal(requests.length, 1);
  });
});
