import { isSpanContextValid, trace } from '@opentelemetry/api';
import { defineIntegration, dsnFromString, registerExternalPropagationContext, SENTRY_API_VERSION } from '@sentry/core';

/**
 * Every event carries the active OpenTelemetry span's trace and span id, as @sentry/node's
 * `openTelemetryIntegration()` does (same name, so Sentry sees the same integration list).
 */
export const openTelemetryIntegration = defineIntegration(() => ({
  name: 'OpenTelemetry',
  setup() {
    registerExternalPropagationContext(() => {
      const spanContext = trace.getActiveSpan()?.spanContext();
      if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
      return { traceId: spanContext.traceId, spanId: spanContext.spanId };
    });
  },
}));

/** Sentry's OTLP traces endpoint for a DSN, and its auth header (@sentry/node's `getOtlpTracesEndpoint`). */
export function getOtlpTracesEndpoint(dsn: string): { url: string; headers: Record<string, string> } | undefined {
  const parsed = dsnFromString(dsn);
  if (!parsed) return undefined;
  const { protocol, host, port, path, projectId, publicKey } = parsed;
  return {
    url: `${protocol}://${host}${port ? `:${port}` : ''}${path ? `/${path}` : ''}/api/${projectId}/integration/otlp/v1/traces/`,
    headers: { 'X-Sentry-Auth': `Sentry sentry_version=${SENTRY_API_VERSION}, sentry_key=${publicKey}` },
  };
}
