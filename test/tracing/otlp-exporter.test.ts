import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { resolveConfig } from '../../src/config/resolve';
import { OtlpJsonTraceExporter, tlsFromEnv } from '../../src/tracing/otlp-exporter';

function oneSpan(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  provider.getTracer('test').startSpan('GET /health').end();
  return exporter.getFinishedSpans();
}

/** A collector stand-in that keeps each request's raw header lines (every one, as written: duplicates too). */
async function collector() {
  const heads: string[][] = [];
  const server = http.createServer((req, res) => {
    heads.push(req.rawHeaders);
    req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { heads, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, close: () => { server.closeAllConnections(); server.close(); } };
}

const HEADER_VARIABLES = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'];

/** The header lines (name: value) the collector received for one export, built as addConfiguredExporters builds it. */
async function headersSent(env: Record<string, string>): Promise<string[]> {
  const saved = HEADER_VARIABLES.map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, env);
  const target = await collector();
  try {
    const config = resolveConfig({}, process.env);
    const exporter = new OtlpJsonTraceExporter({ url: target.url, headers: config.otlpHeaders, keepAlive: true });
    const result = await new Promise<{ code: number }>((resolve) => exporter.export(oneSpan(), resolve));
    assert.equal(result.code, 0);
    await exporter.shutdown();
    const raw = target.heads[0];
    return raw.flatMap((value, i) => (i % 2 === 0 ? [`${value}: ${raw[i + 1]}`] : []));
  } finally {
    target.close();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('OtlpJsonTraceExporter: headers on the wire', () => {
  const cases: Array<[string, Record<string, string>, RegExp, string[]]> = [
    ['generic and trace-specific headers of one name in different case: the trace-specific one only',
      { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20generic', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'Authorization=Bearer%20traces' },
      /^authorization:/i, ['Authorization: Bearer traces']],
    ['a generic header the trace-specific variable does not name is still sent',
      { OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=salon,authorization=a', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'authorization=b' },
      /^(authorization|x-tenant):/i, ['x-tenant: salon', 'authorization: b']],
    ['a header left out as unwritable is not sent by another way',
      { OTEL_EXPORTER_OTLP_HEADERS: 'x-note=a%0D%0Ab' },
      /^x-note:/i, []],
    ['one Content-Type and one User-Agent, ours, whatever the variables say',
      { OTEL_EXPORTER_OTLP_HEADERS: 'content-type=text/plain,user-agent=mine' },
      /^(content-type|user-agent):/i, ['Content-Type: application/json', 'User-Agent: express-otel-sentry OTLP/HTTP']],
  ];
  for (const [name, env, pick, expected] of cases) {
    it(name, async () => {
      assert.deepEqual((await headersSent(env)).filter((line) => pick.test(line)), expected);
    });
  }
});

describe('tlsFromEnv: the collector TLS files OpenTelemetry variables name', () => {
  it('reads a path as resolveConfig checks it: trimmed (a YAML block ends it with a newline), the TRACES_ variable first', () => {
    const tls = tlsFromEnv({ OTEL_EXPORTER_OTLP_CERTIFICATE: `${__filename}\n`, OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: ` ${__filename} `, OTEL_EXPORTER_OTLP_CLIENT_KEY: '/no/such/key.pem' });
    assert.equal(tls?.ca?.toString(), readFileSync(__filename, 'utf8'));
    assert.equal(tls?.key?.toString(), readFileSync(__filename, 'utf8'));
    assert.equal(tls?.cert, undefined);
  });

  it('no variable set: nothing', () => {
    assert.equal(tlsFromEnv({}), undefined);
  });
});
