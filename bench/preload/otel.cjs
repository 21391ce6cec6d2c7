'use strict';
/**
 * OpenTelemetry's NodeSDK, as its getting-started guide shows it, exporting OTLP/HTTP JSON to the
 * bench sink. BENCH_OTEL=auto: getNodeAutoInstrumentations() defaults; BENCH_OTEL=minimal: http and
 * express only. BENCH_RATE < 1 uses ParentBased(TraceIdRatio). No metrics or logs pipelines (they would
 * export to localhost:4318, which is not part of the measurement).
 */
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { ParentBasedSampler, TraceIdRatioBasedSampler } = require('@opentelemetry/sdk-trace');

function instrumentations() {
  if (process.env.BENCH_OTEL === 'auto') {
    const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
    return [getNodeAutoInstrumentations()];
  }
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
  return [new HttpInstrumentation(), new ExpressInstrumentation()];
}

const rate = Number(process.env.BENCH_RATE ?? 1);
const sdk = new NodeSDK({
  serviceName: 'bench-app',
  traceExporter: new OTLPTraceExporter({ url: process.env.BENCH_OTLP_URL }),
  instrumentations: instrumentations(),
  ...(rate < 1 ? { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(rate) }) } : {}),
  metricReaders: [],
  logRecordProcessors: [],
});
sdk.start();

process.once('SIGTERM', () => {
  sdk.shutdown().finally(() => process.exit(0));
});
