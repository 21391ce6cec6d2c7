export { initTelemetry, getTelemetry, type Telemetry } from './telemetry';
export type { TelemetryOptions, ResolvedConfig, ErrorCategory } from './config/types';
export { ConfigError } from './config/resolve';
export { captureException, captureMessage, setUserContext, addBreadcrumb, withoutTracing, type UserContext, type BreadcrumbInput } from './helpers';
export { categorizeError, CATEGORY_TAG, statusOf } from './classify';
export { createScrubber, defaultScrubber, FILTERED, type Scrubber, type ScrubOptions } from './scrub';
export { SentryOtlpSpanProcessor, type SentryOtlpSpanProcessorOptions } from './tracing/span-processor';
export { SentryTraceHeaderPropagator } from './tracing/sentry-trace-propagator';
export type { Logger } from './logger';
