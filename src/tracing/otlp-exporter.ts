import { readFileSync } from 'node:fs';
import { diag } from '@opentelemetry/api';
import { createOtlpNetworkExportDelegate, OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions, createOtlpHttpExportDelegate, createOtlpHttpExporterMetrics, type OTLPExporterNodeConfigBase,
} from '@opentelemetry/otlp-exporter-base/node-http';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { nonEmpty } from '../config/values';
import { mergeHeaders } from '../http-client/headers';
import { createTracesJsonWriter } from './otlp-json';
import { createOtlpHttpTransport, withRetries, type RetryingTransport } from './otlp-transport';
import { SentryRateLimits } from './sentry-rate-limits';

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
  return { serializeRequest: createTracesJsonWriter(), deserializeResponse };
}

const spanCount = { name: 'span' as const, countItems: (spans: ReadableSpan[]) => spans.length };

/**
 * OTEL_EXPORTER_OTLP_(TRACES_)CERTIFICATE, CLIENT_KEY and CLIENT_CERTIFICATE: file paths, read once, for
 * our client (OpenTelemetry's own transport would read them too, but only when no agent options are given).
 * A file that cannot be read is left out, as OpenTelemetry does; resolveConfig has reported it (checkOtlpTlsFiles).
 */
export function tlsFromEnv(env: NodeJS.ProcessEnv = process.env): { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined {
  const read = (name: string): Buffer | undefined => {
    // Trimmed, as resolveConfig checks it: a path ending in a newline (a YAML block) or a blank (.env) is the file's.
    const path = nonEmpty(env[`OTEL_EXPORTER_OTLP_TRACES_${name}`]) ?? nonEmpty(env[`OTEL_EXPORTER_OTLP_${name}`]);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      diag.warn(`Failed to read ${name.toLowerCase().replace('_', ' ')} file ${path}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };
  const tls = { ca: read('CERTIFICATE'), cert: read('CLIENT_CERTIFICATE'), key: read('CLIENT_KEY') };
  return tls.ca || tls.cert || tls.key ? tls : undefined;
}

const REQUIRED_HEADERS = { 'Content-Type': 'application/json' };

function staticHeaders(given: OTLPExporterNodeConfigBase['headers']): () => Promise<Record<string, string>> {
  return async () => mergeHeaders(typeof given === 'function' ? await given() : given, REQUIRED_HEADERS);
}

/** An app's own agent (options beyond keepAlive, or an agent function) needs OpenTelemetry's transport. */
function needsAgentTransport(config: OTLPExporterNodeConfigBase): boolean {
  const agent = config.httpAgentOptions;
  return typeof agent === 'function' || Object.keys(agent ?? {}).some((option) => option !== 'keepAlive');
}

/**
 * OTLP/HTTP JSON span exporter: `@opentelemetry/exporter-trace-otlp-http`'s OTLPTraceExporter (same
 * configuration from otlp-exporter-base: options, OTEL_EXPORTER_OTLP_* variables, timeout, retries,
 * compression), with the request body written by {@link tracesRequestJson} and sent on our keep-alive
 * client rather than `http.request` (see HttpClient). JSON rather than protobuf: measured in
 * bench/NOTES.md, protobuf encoding cost more CPU per span here.
 */
export class OtlpJsonTraceExporter extends OTLPExporterBase<ReadableSpan[]> implements SpanExporter {
  private readonly transport: RetryingTransport | undefined;

  /**
   * @param config as for OTLPTraceExporter: url, headers, keepAlive, timeoutMillis, ...
   * @param destination `sentry` obeys Sentry's rate limits (see SentryRateLimits); `proxy` is an http:
   *   proxy to tunnel through
   */
  constructor(config: OTLPExporterNodeConfigBase = {}, destination: { sentry?: boolean; proxy?: string | undefined } = {}) {
    const options = convertLegacyHttpOptions(config, 'TRACES', 'v1/traces', REQUIRED_HEADERS);
    // The given headers only: OpenTelemetry's merge would add OTEL_EXPORTER_OTLP_(TRACES_)HEADERS again beneath
    // them, unvalidated and by exact name, so that `authorization` from one and `Authorization` from the other
    // both went out. resolveConfig reads those variables (otlpHeaders), once, for the collector.
    options.headers = staticHeaders(config.headers);
    const sentryRateLimits = destination.sentry ? new SentryRateLimits() : undefined;
    const transport = needsAgentTransport(config)
      ? undefined
      : withRetries(createOtlpHttpTransport({ ...options, tls: tlsFromEnv(), sentryRateLimits, proxy: destination.proxy }));
    super(
      transport
        ? createOtlpNetworkExportDelegate(
          options,
          createSerializer(),
          createOtlpHttpExporterMetrics('otlp_http_span_exporter', spanCount, options.url, undefined),
          transport,
        )
        : createOtlpHttpExportDelegate(options, createSerializer(), 'otlp_http_span_exporter', spanCount, undefined),
    );
    this.transport = transport;
  }

  /**
   * Closes the connection now: an export in flight fails at once instead of waiting for its answer
   * (`shutdown` waits for it first). With an app's own agent (OpenTelemetry's transport) there is no
   * connection of ours to close, and exports run their course.
   */
  abort(): void {
    this.transport?.shutdown();
  }

  /** The last failed attempt's reason (a retry's included), for the line at shutdown (see ExportQueue.abort). */
  lastFailure(): string | undefined {
    return this.transport?.lastFailure();
  }
}
