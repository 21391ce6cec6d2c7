import assert from 'node:assert/strict';
import { makeDsn } from '@sentry/core';
import { resolveConfig, isValidDsn, redactDsn } from '../../src/config/resolve';

const DSN = 'https://0123456789abcdef@o1.ingest.sentry.io/42';

describe('resolveConfig', () => {
  const cases: Array<[string, Parameters<typeof resolveConfig>[0], NodeJS.ProcessEnv, Partial<ReturnType<typeof resolveConfig>>]> = [
    ['defaults in development', {}, {}, { dsn: undefined, dsnRejected: false, dsnSource: 'SENTRY_DSN', environment: 'development', tracesSampleRate: 1, profilesSampleRate: 0, localView: true }],
    ['an empty dsn option wins over SENTRY_DSN, and is named as the source (the test kit passes one)', { dsn: '' }, { SENTRY_DSN: DSN }, { dsn: undefined, dsnSource: 'dsn option' }],
    ['NODE_ENV production lowers the default rate to 0.2', {}, { NODE_ENV: 'production' }, { environment: 'production', tracesSampleRate: 0.2, localView: false }],
    ['SENTRY_ENVIRONMENT wins over NODE_ENV', {}, { NODE_ENV: 'production', SENTRY_ENVIRONMENT: 'staging' }, { environment: 'staging', tracesSampleRate: 1 }],
    ['options win over the environment', { tracesSampleRate: 0.5, environment: 'qa' }, { SENTRY_TRACES_SAMPLE_RATE: '0.1', SENTRY_ENVIRONMENT: 'x' }, { tracesSampleRate: 0.5, environment: 'qa' }],
    ['a DSN turns the local view off', {}, { SENTRY_DSN: DSN }, { dsn: DSN, dsnRejected: false, localView: false }],
    ['SENTRY_LOCAL_VIEW forces it', {}, { SENTRY_DSN: DSN, SENTRY_LOCAL_VIEW: '1' }, { localView: true }],
    ['SENTRY_LOCAL_VIEW off, with a blank, in capitals', {}, { SENTRY_LOCAL_VIEW: 'OFF ' }, { localView: false }],
    ['EXPRESS_OTEL_SENTRY_SPANS_TO_SENTRY off with a trailing blank (a YAML value)', {}, { SENTRY_DSN: DSN, EXPRESS_OTEL_SENTRY_SPANS_TO_SENTRY: 'off ' }, { sendSpansToSentry: false }],
    ['EXPRESS_OTEL_SENTRY_SPANS_TO_SENTRY on', {}, { SENTRY_DSN: DSN, EXPRESS_OTEL_SENTRY_SPANS_TO_SENTRY: 'Yes' }, { sendSpansToSentry: true }],
    ['EXPRESS_OTEL_SENTRY_STRICT on, and with a leading blank', {}, { EXPRESS_OTEL_SENTRY_STRICT: ' on' }, { strict: true }],
    ['EXPRESS_OTEL_SENTRY_STRICT off', {}, { EXPRESS_OTEL_SENTRY_STRICT: 'false' }, { strict: false }],
    ['SENTRY_SPOTLIGHT on, trimmed; any other value is its URL', {}, { SENTRY_SPOTLIGHT: ' TRUE ' }, { spotlight: true }],
    ['SENTRY_SPOTLIGHT with a URL', {}, { SENTRY_SPOTLIGHT: 'http://localhost:8969/stream' }, { spotlight: 'http://localhost:8969/stream' }],
    ['switches read elsewhere, well formed: nothing reported', {}, { EXPRESS_OTEL_SENTRY_DEBUG: '0', EXPRESS_OTEL_SENTRY_ESM_HOOK: 'on', OTEL_SDK_DISABLED: 'true ' }, {}],
    ['OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces', {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, { otlpEndpoint: 'http://collector:4318/v1/traces' }],
    ['the traces endpoint is taken as is', {}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom' }, { otlpEndpoint: 'http://c:4318/custom' }],
    ['OTLP headers are parsed', {}, { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20x,team=a' }, { otlpHeaders: { authorization: 'Bearer x', team: 'a' } }],
    ['OTLP trace headers win over the generic ones by name, whatever its case; the others are kept', {}, { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=generic,team=a', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'Authorization=traces' }, { otlpHeaders: { team: 'a', Authorization: 'traces' } }],
    ['SENTRY_RELEASE wins', {}, { SENTRY_RELEASE: 'salon@2.0.0' }, { release: 'salon@2.0.0' }],
    ['the release defaults to the package name@version', {}, {}, { release: 'express-otel-sentry@0.1.0', serviceName: 'express-otel-sentry' }],
    ['OTEL_SERVICE_NAME', {}, { OTEL_SERVICE_NAME: 'salon-api' }, { serviceName: 'salon-api' }],
    ['OTEL_TRACES_SAMPLER parentbased_traceidratio with its argument', {}, { NODE_ENV: 'production', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.05' }, { tracesSampleRate: 0.05 }],
    ['OTEL_TRACES_SAMPLER traceidratio without an argument: the specification\'s 1.0', {}, { NODE_ENV: 'production', OTEL_TRACES_SAMPLER: 'traceidratio' }, { tracesSampleRate: 1 }],
    ['OTEL_TRACES_SAMPLER always_off', {}, { OTEL_TRACES_SAMPLER: 'always_off' }, { tracesSampleRate: 0 }],
    ['OTEL_TRACES_SAMPLER parentbased_always_on', {}, { NODE_ENV: 'production', OTEL_TRACES_SAMPLER: 'parentbased_always_on' }, { tracesSampleRate: 1 }],
    ['SENTRY_TRACES_SAMPLE_RATE wins over OTEL_TRACES_SAMPLER (which is then not read)', {}, { SENTRY_TRACES_SAMPLE_RATE: '0.3', OTEL_TRACES_SAMPLER: 'xray', OTEL_TRACES_SAMPLER_ARG: 'x' }, { tracesSampleRate: 0.3 }],
    ['the option wins over OTEL_TRACES_SAMPLER', { tracesSampleRate: 0.4 }, { OTEL_TRACES_SAMPLER: 'always_on' }, { tracesSampleRate: 0.4 }],
    ['propagators: Sentry\'s header, then W3C trace context and baggage', {}, {}, { propagators: ['sentry', 'tracecontext', 'baggage'] }],
    ['OTEL_PROPAGATORS in its order, any case, repeats once', {}, { OTEL_PROPAGATORS: ' B3, tracecontext ,b3,sentry' }, { propagators: ['b3', 'tracecontext', 'sentry'] }],
    ['OTEL_PROPAGATORS none', {}, { OTEL_PROPAGATORS: 'none' }, { propagators: [] }],
    ['OTEL_TRACES_EXPORTER none: no spans leave, to the collector or to Sentry', {}, { SENTRY_DSN: DSN, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }, { otlpEndpoint: undefined, sendSpansToSentry: false, dsn: DSN }],
    ['OTEL_TRACES_EXPORTER otlp: as without it', {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'otlp' }, { otlpEndpoint: 'http://c:4318/v1/traces', sendSpansToSentry: true }],
    ['the options win over OTEL_TRACES_EXPORTER none', { otlpEndpoint: 'http://c:4318/v1/traces', sendSpansToSentry: true }, { OTEL_TRACES_EXPORTER: 'none' }, { otlpEndpoint: 'http://c:4318/v1/traces', sendSpansToSentry: true }],
    ['OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf: accepted (JSON is sent, which OTLP/HTTP receivers take)', {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }, { otlpEndpoint: 'http://c:4318/v1/traces' }],
    ['OTEL_BSP_* settings', {}, { OTEL_BSP_MAX_QUEUE_SIZE: '4096', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '256', OTEL_BSP_SCHEDULE_DELAY: '500', OTEL_BSP_EXPORT_TIMEOUT: '30000' }, { maxQueuedSpans: 4096, batch: { maxExportBatchSize: 256, scheduledDelayMillis: 500, exportTimeoutMillis: 30000 } }],
    ["OTEL_BSP_SCHEDULE_DELAY and _EXPORT_TIMEOUT 0 (the specification's Duration and Timeout: at once, no limit)", {}, { OTEL_BSP_SCHEDULE_DELAY: '0', OTEL_BSP_EXPORT_TIMEOUT: '0' }, { batch: { maxExportBatchSize: undefined, scheduledDelayMillis: 0, exportTimeoutMillis: 0 } }],
    ['span limits, the specific variable first; 0 is a limit', {}, { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '64', OTEL_ATTRIBUTE_COUNT_LIMIT: '32', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: ' 256 ', OTEL_SPAN_LINK_COUNT_LIMIT: '0' }, { spanLimits: { attributeCountLimit: 64, attributeValueLengthLimit: 256, linkCountLimit: 0 } }],
    ['no span limit set: OpenTelemetry\'s defaults', {}, {}, { spanLimits: {} }],
    ['span limits in the forms OpenTelemetry reads as whole numbers', {}, { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '128.0', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '1e4', OTEL_SPAN_EVENT_COUNT_LIMIT: '+64' }, { spanLimits: { attributeCountLimit: 128, attributeValueLengthLimit: 10000, eventCountLimit: 64 } }],
    ['span limits OpenTelemetry honours: Infinity for none, 0x10', {}, { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: 'Infinity', OTEL_SPAN_LINK_COUNT_LIMIT: '0x10' }, { spanLimits: { attributeCountLimit: Infinity, linkCountLimit: 16 } }],
    ['OTLP export timeout and compression as OpenTelemetry takes them', {}, { OTEL_EXPORTER_OTLP_TIMEOUT: '30000', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '2500', OTEL_EXPORTER_OTLP_COMPRESSION: ' gzip ', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none' }, {}],
    ['collector TLS files that can be read; the TRACES_ variable is the one read', {}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318', OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: __filename, OTEL_EXPORTER_OTLP_CERTIFICATE: '/no/such/ca.pem' }, {}],
    ['collector TLS files are not read without a collector', {}, { OTEL_EXPORTER_OTLP_CLIENT_KEY: '/no/such/key.pem' }, {}],
    ['the preload\'s flush bound, blanks trimmed', {}, { EXPRESS_OTEL_SENTRY_SHUTDOWN_TIMEOUT_MS: ' 5000 ' }, {}],
    ['the maxQueuedSpans option wins over OTEL_BSP_MAX_QUEUE_SIZE', { maxQueuedSpans: 100 }, { OTEL_BSP_MAX_QUEUE_SIZE: '4096' }, { maxQueuedSpans: 100 }],
    ['service.name from OTEL_RESOURCE_ATTRIBUTES', {}, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=salon-web,team=a' }, { serviceName: 'salon-web', resourceAttributes: { 'service.name': 'salon-web', team: 'a' } }],
    ['environment and release from OTEL_RESOURCE_ATTRIBUTES when nothing more specific sets them', {}, { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=production,service.version=2.4.1' }, { environment: 'production', release: '2.4.1', tracesSampleRate: 0.2, localView: false }],
    ['SENTRY_ENVIRONMENT, NODE_ENV and SENTRY_RELEASE win over OTEL_RESOURCE_ATTRIBUTES', {}, { NODE_ENV: 'staging', SENTRY_RELEASE: 'r@1', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=production,service.version=2.4.1' }, { environment: 'staging', release: 'r@1' }],
    ['OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES', {}, { OTEL_SERVICE_NAME: 'salon-api', OTEL_RESOURCE_ATTRIBUTES: 'service.name=salon-web' }, { serviceName: 'salon-api' }],
  ];
  for (const [name, options, env, expected] of cases) {
    it(name, () => {
      const config = resolveConfig(options, env);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(config[key as keyof typeof config], value, key);
      assert.deepEqual(config.problems, []);
    });
  }

  it('keeps the strings and RegExps of ignoreErrors and reports the rest (an unset variable, a lone string)', () => {
    const fromList = resolveConfig({ ignoreErrors: [undefined, 'ECONNRESET', /timeout/i, ''] as never }, {});
    assert.deepEqual(fromList.ignoreErrors, ['ECONNRESET', /timeout/i]);
    assert.equal(fromList.problems.length, 1);
    assert.match(fromList.problems[0], /Invalid ignoreErrors: received "\[undefined, string, object, string\]"; expected an array of non-empty strings and RegExps/);
    assert.deepEqual(resolveConfig({ ignoreErrors: 'ECONNRESET' as never }, {}).ignoreErrors, ['ECONNRESET']);
    assert.throws(() => resolveConfig({ ignoreErrors: [undefined] as never, strict: true }, {}), /Invalid ignoreErrors/);
  });

  const invalid: Array<[string, NodeJS.ProcessEnv, RegExp, Partial<ReturnType<typeof resolveConfig>>]> = [
    ['a non-numeric rate', { SENTRY_TRACES_SAMPLE_RATE: 'abc' }, /Invalid SENTRY_TRACES_SAMPLE_RATE: received "abc"; expected a number from 0 to 1/, { tracesSampleRate: 0 }],
    ['a rate above 1', { SENTRY_TRACES_SAMPLE_RATE: '1.5' }, /SENTRY_TRACES_SAMPLE_RATE: received "1.5"/, { tracesSampleRate: 0 }],
    ['a negative profiles rate', { SENTRY_PROFILES_SAMPLE_RATE: '-1' }, /SENTRY_PROFILES_SAMPLE_RATE/, { profilesSampleRate: 0 }],
    ['an unparsable DSN (its key is not echoed)', { SENTRY_DSN: 'not a dsn' }, /Invalid SENTRY_DSN/, { dsn: undefined, dsnRejected: true }],
    ['malformed OTEL_RESOURCE_ATTRIBUTES (a token in it is not echoed)', { OTEL_RESOURCE_ATTRIBUTES: 'team=a,token=sk_live_51Habc,b' }, /Invalid OTEL_RESOURCE_ATTRIBUTES: received "team=a,token=\[Filtered\],b"; expected comma-separated key=value pairs.*not key=value/, { resourceAttributes: {} }],
    ['an OTEL_TRACES_SAMPLER we cannot honour', { NODE_ENV: 'production', OTEL_TRACES_SAMPLER: 'jaeger_remote' }, /Invalid OTEL_TRACES_SAMPLER: received "jaeger_remote"; expected parentbased_traceidratio.*The default rate is used/, { tracesSampleRate: 0.2 }],
    ['an invalid OTEL_TRACES_SAMPLER_ARG', { NODE_ENV: 'production', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '5%' }, /Invalid OTEL_TRACES_SAMPLER_ARG: received "5%"; expected a number from 0 to 1.*specification's default/, { tracesSampleRate: 1 }],
    ['OTEL_PROPAGATORS with a propagator we do not have', { OTEL_PROPAGATORS: 'tracecontext,xray' }, /Invalid OTEL_PROPAGATORS: received "xray"; expected a list of tracecontext, baggage, b3, b3multi, sentry, or none\. Those are skipped/, { propagators: ['tracecontext'] }],
    ['OTEL_PROPAGATORS with none we have', { OTEL_PROPAGATORS: 'jaeger' }, /Invalid OTEL_PROPAGATORS: received "jaeger".*The default list is used/, { propagators: ['sentry', 'tracecontext', 'baggage'] }],
    ['OTEL_EXPORTER_OTLP_PROTOCOL grpc', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /Invalid OTEL_EXPORTER_OTLP_PROTOCOL: received "grpc"; expected http\/protobuf or http\/json\. Spans are sent as OTLP\/HTTP JSON/, { otlpEndpoint: 'http://c:4317/v1/traces' }],
    ['OTEL_TRACES_EXPORTER console (not built in)', { OTEL_TRACES_EXPORTER: 'console' }, /Invalid OTEL_TRACES_EXPORTER: received "console"; expected otlp or none/, { sendSpansToSentry: true }],
    ['an OTEL_BSP_* duration that is not a whole number of milliseconds', { OTEL_BSP_SCHEDULE_DELAY: '1s' }, /Invalid OTEL_BSP_SCHEDULE_DELAY: received "1s"; expected a whole number of milliseconds, 0 or more\. Its default is used/, { batch: { maxExportBatchSize: undefined, scheduledDelayMillis: undefined, exportTimeoutMillis: undefined } }],
    ['a negative OTEL_BSP_EXPORT_TIMEOUT', { OTEL_BSP_EXPORT_TIMEOUT: '-1' }, /Invalid OTEL_BSP_EXPORT_TIMEOUT: received "-1"; expected a whole number of milliseconds, 0 or more/, { batch: { maxExportBatchSize: undefined, scheduledDelayMillis: undefined, exportTimeoutMillis: undefined } }],
    ['an OTEL_BSP_* size of 0', { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '0' }, /Invalid OTEL_BSP_MAX_EXPORT_BATCH_SIZE: received "0"; expected a positive whole number\. Its default is used/, { batch: { maxExportBatchSize: undefined, scheduledDelayMillis: undefined, exportTimeoutMillis: undefined } }],
    ['an OTLP header that cannot be written (its value is not echoed)', { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cr3t,x-note=a%C4%8D%C4%8AX-Injected%3A%20yes' }, /Invalid OTEL_EXPORTER_OTLP_HEADERS: received "x-note=<value not shown>"; expected name=value pairs.*That header is not sent\.$/, { otlpHeaders: { authorization: 'Bearer s3cr3t' } }],
    ['an OTLP header that cannot be decoded', { OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-a=%E0%A4%A,x-b=ok' }, /Invalid OTEL_EXPORTER_OTLP_TRACES_HEADERS: received "x-a=<value not shown>"/, { otlpHeaders: { 'x-b': 'ok' } }],
    ['an OTLP endpoint that is no URL', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT/, { otlpEndpoint: undefined }],
    ['a negative span attribute count limit (it would strip every attribute)', { OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '-1' }, /Invalid OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: received "-1"; expected a number, 0 or more\. OTEL_ATTRIBUTE_COUNT_LIMIT or the default applies\./, { spanLimits: {} }],
    ['a bad specific limit falls back to the generic one', { OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: 'big', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100' }, /Invalid OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: received "big"/, { spanLimits: { attributeValueLengthLimit: 100 } }],
    ['a span event count limit that is no number', { OTEL_SPAN_EVENT_COUNT_LIMIT: '12abc' }, /Invalid OTEL_SPAN_EVENT_COUNT_LIMIT: received "12abc"; expected a number, 0 or more\. The default applies\./, { spanLimits: {} }],
    ['an OTLP export timeout that is no number', { OTEL_EXPORTER_OTLP_TIMEOUT: 'ten seconds' }, /Invalid OTEL_EXPORTER_OTLP_TIMEOUT: received "ten seconds"; expected a number of milliseconds above 0, e\.g\. 10000\. The default \(10000\) applies\./, {}],
    ['an OTLP traces export timeout of 0', { OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '0' }, /Invalid OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: received "0".*OTEL_EXPORTER_OTLP_TIMEOUT or the default \(10000\) applies/, {}],
    ['an OTLP compression in capitals (OpenTelemetry takes lower case only)', { OTEL_EXPORTER_OTLP_COMPRESSION: 'GZIP' }, /Invalid OTEL_EXPORTER_OTLP_COMPRESSION: received "GZIP"; expected gzip or none \(lower case\)\. Spans are sent uncompressed\./, {}],
    ["a collector CA file that does not exist (OpenTelemetry's diagnostic logger alone said so)", { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318', OTEL_EXPORTER_OTLP_CERTIFICATE: '/no/such/ca.pem' }, /Invalid OTEL_EXPORTER_OTLP_CERTIFICATE: received "\/no\/such\/ca\.pem"; expected a readable PEM file \(ENOENT\)\. The collector's certificate is checked against Node's CAs only\.$/, { otlpEndpoint: 'https://c:4318/v1/traces' }],
    ['a collector client key that does not exist', { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318', OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: '/no/such/key.pem' }, /Invalid OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: .*No client certificate is presented to the collector\.$/, {}],
    ['a flush bound that is no number', { EXPRESS_OTEL_SENTRY_SHUTDOWN_TIMEOUT_MS: '5s' }, /Invalid EXPRESS_OTEL_SENTRY_SHUTDOWN_TIMEOUT_MS: received "5s"; expected a number of milliseconds above 0, e\.g\. 5000\. On SIGTERM\/SIGINT the preload flushes for at most 2000 ms, its default\.$/, {}],
    ['a flush bound of 0', { EXPRESS_OTEL_SENTRY_SHUTDOWN_TIMEOUT_MS: '0' }, /Invalid EXPRESS_OTEL_SENTRY_SHUTDOWN_TIMEOUT_MS: received "0"/, {}],
    ['an on/off variable that is neither', { SENTRY_DSN: DSN, EXPRESS_OTEL_SENTRY_SPANS_TO_SENTRY: 'maybe' }, /Invalid EXPRESS_OTEL_SENTRY_SPANS_TO_SENTRY: received "maybe"; expected 1, true, yes, on \(on\) or 0, false, no, off \(off\), in any case\. Spans go to Sentry, as by default\.$/, { sendSpansToSentry: true }],
    ['SENTRY_LOCAL_VIEW neither on nor off', { SENTRY_LOCAL_VIEW: 'maybe' }, /Invalid SENTRY_LOCAL_VIEW: received "maybe".*The default applies/, { localView: true }],
  ];
  // Read elsewhere, each falls back to what it means unset: logged, never thrown on, even in strict mode.
  const loggedOnly: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
    ['EXPRESS_OTEL_SENTRY_DEBUG neither on nor off', { EXPRESS_OTEL_SENTRY_DEBUG: 'verbose' }, /Invalid EXPRESS_OTEL_SENTRY_DEBUG: received "verbose".*Debug lines stay off\.$/],
    ['EXPRESS_OTEL_SENTRY_ESM_HOOK neither on nor off', { EXPRESS_OTEL_SENTRY_ESM_HOOK: 'auto' }, /Invalid EXPRESS_OTEL_SENTRY_ESM_HOOK: received "auto"/],
    ["OTEL_SDK_DISABLED=1 (the specification's Boolean is true or false)", { OTEL_SDK_DISABLED: '1' }, /Invalid OTEL_SDK_DISABLED: received "1"; expected true \(on\) or false \(off\), in any case\. Read as false/],
    ['OTEL_SDK_DISABLED=0, a common "not disabled"', { OTEL_SDK_DISABLED: '0' }, /Invalid OTEL_SDK_DISABLED: received "0".*Read as false/],
  ];
  for (const [name, env, message] of loggedOnly) {
    it(`logs, and starts even in strict mode: ${name}`, () => {
      for (const config of [resolveConfig({}, env), resolveConfig({ strict: true }, env)]) {
        assert.equal(config.problems.length, 1);
        assert.match(config.problems[0], message);
      }
    });
  }

  for (const [name, env, message, expected] of invalid) {
    it(`logs and disables: ${name}`, () => {
      const config = resolveConfig({}, env);
      assert.equal(config.problems.length, 1);
      assert.match(config.problems[0], message);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(config[key as keyof typeof config], value, key);
    });
    it(`throws in strict mode: ${name}`, () => {
      assert.throws(() => resolveConfig({ strict: true }, env), message);
      assert.throws(() => resolveConfig({}, { ...env, EXPRESS_OTEL_SENTRY_STRICT: '1' }), TypeError);
    });
  }

  it('EXPRESS_OTEL_SENTRY_STRICT neither on nor off: reported, and not strict', () => {
    const config = resolveConfig({}, { EXPRESS_OTEL_SENTRY_STRICT: 'sometimes', SENTRY_TRACES_SAMPLE_RATE: 'abc' });
    assert.equal(config.strict, false);
    assert.match(config.problems[0], /Invalid EXPRESS_OTEL_SENTRY_STRICT: received "sometimes"; expected 1, true, yes, on \(on\) or 0, false, no, off \(off\).*Not strict/);
  });

  it('rejects non-object options with a TypeError that shows the fix', () => {
    assert.throws(() => resolveConfig('dsn' as never), /options must be an object/);
  });

  it('never mutates the options it is given', () => {
    const options = Object.freeze({ tracesSampleRate: 0.3, scrub: Object.freeze({ keys: Object.freeze(['pin']) }) });
    resolveConfig(options, {});
  });

  it('validates and redacts DSNs', () => {
    assert.equal(isValidDsn(DSN), true);
    assert.equal(isValidDsn('http://127.0.0.1/0'), false);
    assert.doesNotMatch(redactDsn(DSN), /0123456789abcdef/);
  });

  /** What Sentry's own parser makes of a DSN, and what it printed doing so. */
  function sentryParses(dsn: string): { accepted: boolean; printed: string[] } {
    const original = console.error;
    const printed: string[] = [];
    console.error = (...args: unknown[]) => printed.push(args.join(' '));
    try {
      return { accepted: makeDsn(dsn) !== undefined, printed };
    } finally {
      console.error = original;
    }
  }

  const HEX_KEY = '0123456789abcdef0123456789abcdef';
  const dsns: Array<[string, string, boolean]> = [
    ['a SaaS DSN', `https://${HEX_KEY}@o1.ingest.sentry.io/42`, true],
    ['a self-hosted DSN with a port and a path', `http://${HEX_KEY}@sentry.internal:9000/sentry/7`, true],
    ['a key and a secret', `https://${HEX_KEY}:abc123@o1.ingest.sentry.io/42`, true],
    ['an IPv6 host', `http://${HEX_KEY}@[::1]:9000/42`, true],
    ['a project id followed by text (Sentry keeps its digits)', `https://${HEX_KEY}@o1.ingest.sentry.io/42abc`, true],
    ['a stray character in the key', `http://${HEX_KEY}-@127.0.0.1:9000/42`, false],
    ['a secret with a dash', 'http://pub:se-cret@127.0.0.1:9000/42', false],
    ['a project id that is not a number', `http://${HEX_KEY}@127.0.0.1:9000/my-project`, false],
    ['a trailing slash after the project id', `https://${HEX_KEY}@o1.ingest.sentry.io/42/`, false],
    ['no key', 'http://127.0.0.1/0', false],
    ['no project', `https://${HEX_KEY}@o1.ingest.sentry.io`, false],
    ['another protocol', `ftp://${HEX_KEY}@host/1`, false],
    ['a percent-encoded key', 'https://a%2Db@o1.ingest.sentry.io/42', false],
  ];
  for (const [name, dsn, valid] of dsns) {
    it(`a DSN is accepted exactly when Sentry's parser takes it: ${name}`, () => {
      const sentry = sentryParses(dsn);
      assert.equal(sentry.accepted, valid, "@sentry/core's verdict");
      assert.equal(isValidDsn(dsn), valid);
    });
  }

  it('a DSN Sentry rejects is reported once, redacted, and Sentry export is off', () => {
    const config = resolveConfig({}, { SENTRY_DSN: `http://${HEX_KEY}-@127.0.0.1:9000/42` });
    assert.deepEqual([config.dsn, config.dsnRejected], [undefined, true]);
    assert.deepEqual(config.problems, ['Invalid SENTRY_DSN: received "http://***@127.0.0.1:9000/42"; expected a DSN like https://<key>@o0.ingest.sentry.io/<project>. Sentry export is disabled.']);
  });

  const KEY = '0123456789abcdef0123456789abcdef';
  const unparsable: Array<[string, string, string]> = [
    ['a DSN', `https://${KEY}@o0.ingest.sentry.io/42`, 'https://***@o0.ingest.sentry.io/42'],
    ['no scheme', 'abc123key@o0.ingest.sentry.io/42', '***@o0.ingest.sentry.io/42'],
    ['a scheme without its colon', 'https//abc123key@o0.ingest.sentry.io/42', 'https//***@o0.ingest.sentry.io/42'],
    ['a key and a secret', 'https//abc123key:s3cr3t@o0.ingest.sentry.io/42', 'https//***@o0.ingest.sentry.io/42'],
    ['a doubled @', 'https//abc123key:s3cr3t@@o0.ingest.sentry.io/42', 'https//***@o0.ingest.sentry.io/42'],
    ['an @ in the query', 'https//abc123key@o0.ingest.sentry.io/42?x=a@b', 'https//***@b'],
    ['a slash before the @', 'https//abc123key/@o0.ingest.sentry.io/42', 'https//***@o0.ingest.sentry.io/42'],
    ['an opaque prefix that parses as a URL', `dsn:https://${KEY}@o0.ingest.sentry.io/42`, '***@o0.ingest.sentry.io/42'],
    ['the key where the host goes', `https://${KEY}.o0.ingest.sentry.io/42`, 'https://***.o0.ingest.sentry.io/42'],
    ['no @: a token pasted in its place', 'sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_abc', '[unparsable DSN]'],
    ['no @: a key and secret without it', 'https://abc123key:s3cr3texample.com/1', '[unparsable DSN]'],
    ['no @: a URL without credentials', 'https://o0.ingest.sentry.io/42', 'https://o0.ingest.sentry.io/42'],
    ['a key one hex digit longer', `https://${KEY}f.o0.ingest.sentry.io/42`, 'https://***.o0.ingest.sentry.io/42'],
  ];
  for (const [name, dsn, shown] of unparsable) {
    it(`a DSN in a log line shows where its typo is, never its key: ${name}`, () => assert.equal(redactDsn(dsn), shown));
  }
});
