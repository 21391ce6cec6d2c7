import { context, diag, DiagConsoleLogger, propagation, trace, type TextMapPropagator } from '@opentelemetry/api';
import {
  CompositePropagator, diagLogLevelFromString, getStringFromEnv, W3CBaggagePropagator, W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { getClient } from '@sentry/core';
import type { Logger } from '../logger';
import { getOtlpTracesEndpoint } from '../sentry/node/opentelemetry';
import { proxyFor } from '../sentry/transport';
import type { PropagatorName, ResolvedConfig } from '../config/types';
import type { Scrubber } from '../scrub';
import { HTTP_SERVER_SCOPE, traceIncomingRequests, type RequestContextHook } from './http-server';
import { BatchedIdGenerator } from './id-generator';
import type { DatabaseEndpoints } from './database-endpoints';
import { instrumentCommonJsImports } from './imported-commonjs';
import { createInstrumentations, OwnEndpoints } from './instrumentations';
import { OtlpJsonTraceExporter } from './otlp-exporter';
import { createTrailSampler } from './sampler';
import { SentryTraceHeaderPropagator } from './sentry-trace-propagator';
import { dscSettingsFrom, SentryBaggagePropagator } from './sentry-baggage-propagator';
import type { SentryOtlpSpanProcessor } from './span-processor';
import { LeanContextManager } from './lean-context';
import { loadSdkTrace } from './plain-api-namespace';

/**
 * OTEL_EXPORTER_OTLP_(TRACES_)HEADERS carry the collector's credentials, and the TLS variables its CA and
 * client certificate. The OTLP exporter reads them at construction, for EVERY exporter, so Sentry's
 * exporter is built with them hidden (Sentry is reached with its own key and the public CAs).
 */
const COLLECTOR_VARIABLES = ['HEADERS', 'CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE'].flatMap((name) => [
  `OTEL_EXPORTER_OTLP_${name}`, `OTEL_EXPORTER_OTLP_TRACES_${name}`,
]);

function withoutCollectorSettings<T>(fn: () => T): T {
  const saved = COLLECTOR_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return fn();
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

/** OTEL_LOG_LEVEL, before anything is built: the exporters report their configuration problems as they are made. */
export function configureDiagnostics(): void {
  const logLevel = getStringFromEnv('OTEL_LOG_LEVEL');
  if (logLevel) diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) });
}

/**
 * The proxy Sentry's envelopes go through (`https_proxy`, `http_proxy`, `no_proxy`), for its spans too;
 * an https: proxy is reached by Sentry's transport only, so spans then go direct, and say so.
 */
function sentrySpansProxy(url: string, logger: Logger): string | undefined {
  const proxy = proxyFor(new URL(url), undefined);
  if (proxy === undefined) return undefined;
  if (/^http:\/\//i.test(proxy)) return proxy;
  logger.warn('spans to Sentry do not go through the configured proxy (only http:// proxies are tunnelled to); errors do.');
  return undefined;
}

/** Adds the destinations the configuration names: Sentry's OTLP endpoint and/or a collector. */
export function addConfiguredExporters(config: ResolvedConfig, processor: SentryOtlpSpanProcessor, own: OwnEndpoints, logger: Logger): void {
  if (config.dsn) {
    const endpoint = config.sendSpansToSentry ? getOtlpTracesEndpoint(config.dsn) : undefined;
    if (endpoint) {
      const destination = { sentry: true, proxy: sentrySpansProxy(endpoint.url, logger) };
      const exporter = withoutCollectorSettings(() => new OtlpJsonTraceExporter({ url: endpoint.url, headers: endpoint.headers, keepAlive: true }, destination));
      // Spans lost on the way to Sentry are counted in its client reports, as its own SDK counts events.
      processor.addExporter('sentry', exporter, (reason, count) => getClient()?.recordDroppedEvent(reason, 'span', count));
      own.add(endpoint.url);
    }
    own.add(config.dsn.replace(/\/\/[^@/]*@/, '//'));
  }
  if (config.otlpEndpoint) {
    processor.addExporter('otlp', new OtlpJsonTraceExporter({ url: config.otlpEndpoint, headers: config.otlpHeaders, keepAlive: true }));
    own.add(config.otlpEndpoint);
  }
}

/**
 * Later propagators win on extract, so by default (sentry, tracecontext, baggage) W3C traceparent is
 * preferred over sentry-trace when both arrive. B3 is loaded only when OTEL_PROPAGATORS names it.
 */
function createPropagator(name: PropagatorName): TextMapPropagator {
  switch (name) {
    case 'sentry': return new SentryTraceHeaderPropagator();
    case 'tracecontext': return new W3CTraceContextPropagator();
    case 'baggage': return new W3CBaggagePropagator();
    case 'b3':
    case 'b3multi': {
      const { B3Propagator, B3InjectEncoding } = require('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
      return new B3Propagator({ injectEncoding: name === 'b3' ? B3InjectEncoding.SINGLE_HEADER : B3InjectEncoding.MULTI_HEADER });
    }
  }
}

/**
 * The propagators OTEL_PROPAGATORS names, in its order. With `sentry`, Sentry's dynamic sampling context
 * goes out in `baggage` as Sentry's SDKs send it: its propagator takes the place of W3C's (one writer
 * of the header, merging; W3C's entries still pass when `baggage` is named) and goes last, so that it
 * sees the span context that won extraction. Release and environment are the app's strings: scrubbed
 * once here, as the resource is.
 */
function createPropagators(config: ResolvedConfig, scrubber: Scrubber): TextMapPropagator[] {
  const names = config.propagators;
  if (!names.includes('sentry')) return names.map(createPropagator);
  const sentryBaggage = new SentryBaggagePropagator({
    w3c: names.includes('baggage'),
    ...dscSettingsFrom(config.dsn),
    environment: scrubber.scrubString(config.environment),
    release: config.release === undefined ? undefined : scrubber.scrubString(config.release),
    rate: config.tracesSampleRate,
  });
  return [...names.filter((name) => name !== 'baggage').map(createPropagator), sentryBaggage];
}

/** What `startTracing` returns; `shutdown()` flushes and stops the span pipeline. */
export interface TracingHandle {
  shutdown(): Promise<void>;
  /** The instrumentations registered (see instrumentations.ts); their patches are undone at shutdown. */
  readonly instrumentations: readonly Instrumentation[];
}

/**
 * OpenTelemetry owns tracing: ParentBased(sample_rand < rate) decides what is exported; client spans of
 * unexported traces are still recorded so that each request's trail (breadcrumbs) is complete.
 *
 * The pieces NodeSDK would assemble, assembled directly: NodeSDK's module loads every exporter it might
 * be configured with (OTLP gRPC/proto/JSON for traces, metrics and logs, Zipkin, Prometheus), which
 * costs start-up time for nothing here. Same behaviour: the resource from OTEL_RESOURCE_ATTRIBUTES and our
 * configuration (no host or process detectors: a process's command line may hold secrets), the sampler,
 * propagators, AsyncLocalStorage context, OTEL_LOG_LEVEL and OTEL_SPAN_* limits; no metrics or logs.
 * Incoming requests get their server spans from `traceIncomingRequests`, not HttpInstrumentation.
 */
export function startTracing(
  config: ResolvedConfig, processor: SentryOtlpSpanProcessor, own: OwnEndpoints, scrubber: Scrubber, requestContext?: RequestContextHook, databases?: DatabaseEndpoints,
): TracingHandle {
  const instrumentations = createInstrumentations(own, databases);
  const unregister = registerInstrumentations({ instrumentations });
  const unwatchImports = instrumentCommonJsImports(instrumentations);
  const contextManager = new LeanContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: createPropagators(config, scrubber) }));
  const { TracerProvider } = loadSdkTrace();
  const provider = new TracerProvider({
    // OpenTelemetry's default resource first (telemetry.sdk.*: Sentry sets a span's platform from
    // telemetry.sdk.language), as NodeSDK has it; our attributes win.
    resource: defaultResource().merge(resourceFromAttributes({
      // Scrubbed once here: the resource is written into every export as it is.
      ...scrubber.scrubValue(config.resourceAttributes),
      'service.name': config.serviceName,
      ...(config.release ? { 'service.version': config.release } : {}),
      'deployment.environment.name': config.environment,
    })),
    sampler: createTrailSampler({ rate: config.tracesSampleRate, recordAll: config.localView }),
    idGenerator: new BatchedIdGenerator(),
    // OTEL_SPAN_* / OTEL_ATTRIBUTE_*, validated by resolveConfig (NodeSDK's variables, in its order).
    spanLimits: { ...config.spanLimits },
    spanProcessors: [processor],
  });
  trace.setGlobalTracerProvider(provider);
  const untrace = traceIncomingRequests(provider.getTracer(HTTP_SERVER_SCOPE), requestContext);
  const handle: TracingHandle = {
    instrumentations,
    shutdown: async () => {
      untrace();
      // Their patches and channel subscriptions would otherwise keep this provider (and all it holds) alive,
      // and an enabled AsyncLocalStorage hands its last values to every async resource made after.
      unregister();
      unwatchImports();
      contextManager.disable();
      await provider.shutdown();
    },
  };
  return handle;
}
