/**
 * examples/otel-collector: no collector binary can run here, so this checks our side of the contract.
 * An app started with the preload, `OTEL_EXPORTER_OTLP_ENDPOINT` and no `SENTRY_DSN` at all must deliver
 * standard OTLP/HTTP (what any collector's `otlp` receiver accepts), and collector.yaml must hang together.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, startChildApp, type ChildApp } from '../support/child-app';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry';

// mocha's own YAML parser (no types shipped): only used to read collector.yaml.
const yaml: { load(text: string): any } = require('js-yaml');

const GATEWAY = join(ROOT, 'examples', 'payment-gateway', 'server.js');
const COLLECTOR_YAML = join(ROOT, 'examples', 'otel-collector', 'collector.yaml');
const SPAN_KIND_SERVER = 2;
const STATUS_ERROR = 2;

interface OtlpKeyValue {
  key: string;
  value: Record<string, unknown>;
}

const attributesOf = (list: OtlpKeyValue[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, Object.values(value)[0]]));

describe('examples/otel-collector: our exporter speaks standard OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT', function () {
  let fake: FakeSentry;
  let app: ChildApp;
  let cwd: string;

  before(async () => {
    fake = await startFakeSentry();
    // A working directory without a .env file, so that no SENTRY_DSN can come from one.
    cwd = mkdtempSync(join(tmpdir(), 'otlp-only-'));
    app = await startChildApp({
      entry: GATEWAY,
      cwd,
      execArgv: ['--import', pathToFileURL(join(ROOT, 'dist', 'src', 'register.js')).href],
      env: {
        SENTRY_DSN: undefined,
        OTEL_EXPORTER_OTLP_ENDPOINT: fake.collectorBaseUrl,
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20collector-test-token',
        OTEL_SERVICE_NAME: 'payment-gateway',
        SENTRY_RELEASE: 'payment-gateway@2.0.0',
        SENTRY_ENVIRONMENT: 'staging',
        // A platform's resource: kept, except what our configuration names (so spans and events agree) and secrets.
        OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=salon,k8s.pod.name=gateway-7f9c%2Cb,deployment.environment.name=prod,api.token=resource-secret-77',
      },
    });
  });

  after(async () => {
    await app?.stop();
    await fake?.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('delivers decodable ExportTraceServiceRequests (JSON) to <endpoint>/v1/traces, with the resource, and nothing elsewhere', async () => {
    assert.match(app.output(), /Sentry is disabled/);
    const charge = async (amount: number, card: string) => {
      const traceId = randomBytes(16).toString('hex');
      const parentId = randomBytes(8).toString('hex');
      const response = await app.fetch('/charges', {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${parentId}-01` },
        body: JSON.stringify({ amount, card_number: card, reference: 'otlp-test' }),
      });
      return { status: response.status, traceId, parentId };
    };
    const approved = await charge(5000, '4111111111111111');
    const failed = await charge(5013, '4111111111111111');
    const declined = await charge(5000, '4000000000000002');
    assert.deepEqual([approved.status, failed.status, declined.status], [201, 500, 402]);

    const traceIds = [approved, failed, declined].map((c) => c.traceId);
    await fake.waitForSpans((spans) => traceIds.every((id) => spans.some((s) => s.traceId === id && s.kind === 'SERVER')), { source: 'collector' });

    const requests = fake.rawBodies();
    assert.doesNotMatch(requests.map((r) => r.body.toString('utf8')).join('\n'), /resource-secret-77/);
    assert.deepEqual([...new Set(requests.map((r) => r.route))], ['collector-traces'], 'something was sent somewhere else');
    const serverSpans = new Map<string, any>();
    for (const request of requests) {
      assert.equal(request.method, 'POST');
      assert.equal(request.path, '/collector/v1/traces');
      assert.match(request.headers['content-type'], /^application\/json\b/);
      assert.equal(request.headers.authorization, 'Bearer collector-test-token');
      assert.equal(request.headers['x-sentry-auth'], undefined);
      const body = JSON.parse(request.body.toString('utf8'));
      assert.ok(Array.isArray(body.resourceSpans) && body.resourceSpans.length > 0, 'not an ExportTraceServiceRequest');
      for (const resourceSpans of body.resourceSpans) {
        const resource = attributesOf(resourceSpans.resource?.attributes);
        assert.equal(resource['service.name'], 'payment-gateway');
        assert.equal(resource['service.version'], 'payment-gateway@2.0.0');
        assert.equal(resource['deployment.environment.name'], 'staging');
        assert.equal(resource['service.namespace'], 'salon');
        assert.equal(resource['k8s.pod.name'], 'gateway-7f9c,b');
        assert.equal(resource['api.token'], '[Filtered]');
        // OpenTelemetry's default resource, as NodeSDK sends it (Sentry reads its platform from the language).
        assert.equal(resource['telemetry.sdk.language'], 'nodejs');
        assert.equal(resource['telemetry.sdk.name'], 'opentelemetry');
        assert.match(String(resource['telemetry.sdk.version']), /^\d+\.\d+\.\d+/);
        for (const scopeSpans of resourceSpans.scopeSpans) {
          assert.equal(typeof scopeSpans.scope?.name, 'string');
          for (const span of scopeSpans.spans) {
            assert.match(span.traceId, /^[0-9a-f]{32}$/);
            assert.match(span.spanId, /^[0-9a-f]{16}$/);
            assert.match(String(span.startTimeUnixNano), /^\d+$/);
            assert.ok(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano));
            if (span.kind === SPAN_KIND_SERVER) serverSpans.set(span.traceId, span);
          }
        }
      }
    }

    // The incoming traceparent is continued, and span status is what a tail-sampling policy keys on.
    for (const { traceId, parentId } of [approved, failed, declined]) {
      assert.equal(serverSpans.get(traceId)?.parentSpanId, parentId);
    }
    assert.equal(serverSpans.get(failed.traceId).status?.code, STATUS_ERROR, '5xx answer: span status ERROR');
    assert.notEqual(serverSpans.get(approved.traceId).status?.code, STATUS_ERROR);
    assert.notEqual(serverSpans.get(declined.traceId).status?.code, STATUS_ERROR, '4xx answer: not an error span');
  });
});

describe('examples/otel-collector/collector.yaml', () => {
  const config = yaml.load(readFileSync(COLLECTOR_YAML, 'utf8'));

  it('has a traces pipeline naming only components it defines: otlp in, memory_limiter first, batch last, two otlphttp exporters', () => {
    const pipeline = config.service.pipelines.traces;
    for (const [kind, names] of [['receivers', pipeline.receivers], ['processors', pipeline.processors], ['exporters', pipeline.exporters]] as const) {
      for (const name of names) assert.ok(config[kind]?.[name] !== undefined, `${kind}.${name} is used but not defined`);
    }
    for (const name of config.service.extensions) assert.ok(config.extensions?.[name] !== undefined, `extensions.${name} is not defined`);
    assert.deepEqual(pipeline.receivers, ['otlp']);
    assert.equal(config.receivers.otlp.protocols.http.endpoint, '0.0.0.0:4318');
    assert.deepEqual(pipeline.processors, ['memory_limiter', 'tail_sampling', 'batch']);
    assert.deepEqual(pipeline.exporters.map((name: string) => name.split('/')[0]), ['otlphttp', 'otlphttp']);
  });

  it('tail-samples every trace with an error plus 20 % of the rest, and exports to Sentry with X-Sentry-Auth from the environment', () => {
    const policies = config.processors.tail_sampling.policies;
    assert.deepEqual(policies.find((p: any) => p.type === 'status_code')?.status_code, { status_codes: ['ERROR'] });
    assert.deepEqual(policies.find((p: any) => p.type === 'probabilistic')?.probabilistic, { sampling_percentage: 20 });
    const sentry = config.exporters['otlphttp/sentry'];
    assert.equal(sentry.traces_endpoint, '${env:SENTRY_OTLP_TRACES_URL}');
    assert.equal(sentry.headers['x-sentry-auth'], 'sentry sentry_key=${env:SENTRY_PUBLIC_KEY}');
    assert.match(config.exporters['otlphttp/backend'].endpoint, /^\$\{env:[A-Z_]+\}$/);
  });
});
