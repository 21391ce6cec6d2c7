import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate, type OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base/node-http';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { createTracesJsonWriter } from './otlp-json';

function deserializeResponse(data: Uint8Array): object {
  if (data.length === 0) return {};
  try {
    return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as object;
  } catch {
    return {};
  }
}

/** One per exporter: the writer caches the JSON of repeated strings. */
function createSerializer() {
  const write = createTracesJsonWriter();
  return { serializeRequest: (spans: ReadableSpan[]): Uint8Array => Buffer.from(write(spans), 'utf8'), deserializeResponse };
}

const spanCount = { name: 'span' as const, countItems: (spans: ReadableSpan[]) => spans.length };

/**
 * OTLP/HTTP JSON span exporter: `@opentelemetry/exporter-trace-otlp-http`'s OTLPTraceExporter (same
 * transport from otlp-exporter-base: options, OTEL_EXPORTER_OTLP_* variables, keep-alive, timeout,
 * retries, compression), with the request body written by {@link tracesRequestJson}. JSON rather than
 * protobuf: measured in bench/NOTES.md, protobuf encoding cost more CPU per span here.
 */
export class OtlpJsonTraceExporter extends OTLPExporterBase<ReadableSpan[]> implements SpanExporter {
  /** @param config as for OTLPTraceExporter: url, headers, keepAlive, timeoutMillis, ... */
  constructor(config: OTLPExporterNodeConfigBase = {}) {
    super(
      createOtlpHttpExportDelegate(
        convertLegacyHttpOptions(config, 'TRACES', 'v1/traces', { 'Content-Type': 'application/json' }),
        createSerializer(),
        'otlp_http_span_exporter',
        spanCount,
        undefined,
      ),
    );
  }
}
