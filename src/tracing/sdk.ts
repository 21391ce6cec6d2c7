import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createAlwaysRecordSampler, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { getOtlpTracesEndpoint } from '@sentry/node';
import type { ResolvedConfig } from '../config/types';
import { createInstrumentations, OwnEndpoints } from './instrumentations';
import { SentryTraceHeaderPropagator } from './sentry-trace-propagator';
import type { SentryOtlpSpanProcessor } from './span-processor';

/**
 * OTEL_EXPORTER_OTLP_(TRACES_)HEADERS carry the collector's credentials. The OTLP exporter reads them at
 * construction and adds them to EVERY exporter, so Sentry's exporter is built with them hidden.
 */
const COLLECTOR_HEADER_VARIABLES = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'];

function withoutCollectorHeaders<T>(fn: () => T): T {
  const saved = COLLECTOR_HEADER_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return fn();
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

/** Adds the destinations the configuration names: Sentry's OTLP endpoint and/or a collector. */
export function addConfiguredExporters(config: ResolvedConfig, processor: SentryOtlpSpanProcessor, own: OwnEndpoints): void {
  if (config.dsn) {
    const endpoint = config.sendSpansToSentry ? getOtlpTracesEndpoint(config.dsn) : undefined;
    if (endpoint) {
      const exporter = withoutCollectorHeaders(() => new OTLPTraceExporter({ url: endpoint.url, headers: endpoint.headers, keepAlive: true }));
      processor.addExporter('sentry', exporter);
      own.add(endpoint.url);
    }
    own.add(config.dsn.replace(/\/\/[^@/]*@/, '//'));
  }
  if (config.otlpEndpoint) {
    processor.addExporter('otlp', new OTLPTraceExporter({ url: config.otlpEndpoint, headers: config.otlpHeaders, keepAlive: true }));
    own.add(config.otlpEndpoint);
  }
}

/**
 * OpenTelemetry owns tracing: ParentBased(TraceIdRatio) decides what is exported, but every span is
 * recorded so that each request's trail (breadcrumbs) is complete even when its trace is not kept.
 * No metrics or logs pipelines: NodeSDK would otherwise start OTLP exporters to localhost:4318.
 */
export function startTracing(config: ResolvedConfig, processor: SentryOtlpSpanProcessor, own: OwnEndpoints): NodeSDK {
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.name': config.serviceName,
      ...(config.release ? { 'service.version': config.release } : {}),
      'deployment.environment.name': config.environment,
    }),
    autoDetectResources: false,
    sampler: createAlwaysRecordSampler(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.tracesSampleRate) })),
    spanProcessors: [processor],
    textMapPropagator: new CompositePropagator({
      // Later propagators win on extract: W3C traceparent is preferred over sentry-trace when both arrive.
      propagators: [new SentryTraceHeaderPropagator(), new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    instrumentations: createInstrumentations(own),
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return sdk;
}
