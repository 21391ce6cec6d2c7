import type { ScrubOptions } from '../scrub';
import type { Logger } from '../logger';
import type { SpanLimitSettings } from './otel-env';

/** What `classifyError` may return: one of the built-in categories or your own. */
export type ErrorCategory = 'payment' | 'database' | 'auth' | 'http_4xx' | 'http_5xx' | (string & {});

/** Options of {@link initTelemetry}. Every field is optional; the environment fills the gaps. */
export interface TelemetryOptions {
  /** Sentry DSN. Empty: nothing goes to Sentry (spans may still go to OTLP). @default process.env.SENTRY_DSN */
  dsn?: string | undefined;
  /** @default process.env.SENTRY_ENVIRONMENT, else NODE_ENV, else `deployment.environment.name` in OTEL_RESOURCE_ATTRIBUTES, else 'development' */
  environment?: string | undefined;
  /** @default process.env.SENTRY_RELEASE, else `service.version` in OTEL_RESOURCE_ATTRIBUTES, else `<name>@<version>` of the app's package.json */
  release?: string | undefined;
  /**
   * Share of traces kept, in [0, 1].
   * @default SENTRY_TRACES_SAMPLE_RATE, else OTEL_TRACES_SAMPLER (+ _ARG), else 1.0 (0.2 in production)
   */
  tracesSampleRate?: number | undefined;
  /** Share of sessions profiled, in [0, 1]. @default SENTRY_PROFILES_SAMPLE_RATE, else 0 */
  profilesSampleRate?: number | undefined;
  /**
   * OpenTelemetry `service.name`.
   * @default OTEL_SERVICE_NAME, else `service.name` in OTEL_RESOURCE_ATTRIBUTES, else the app's package.json name
   */
  serviceName?: string | undefined;
  /**
   * An OTLP/HTTP traces endpoint that also receives every exported span (e.g. an OpenTelemetry Collector).
   * @default OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + '/v1/traces', else none
   */
  otlpEndpoint?: string | undefined;
  /**
   * Export spans to Sentry's OTLP endpoint. Turn off when a collector forwards them to Sentry (errors
   * still go to the DSN). @default EXPRESS_OTEL_SENTRY_SPANS_TO_SENTRY, else true
   */
  sendSpansToSentry?: boolean | undefined;
  /** Extra scrubbing rules on top of the defaults. @default {} */
  scrub?: ScrubOptions | undefined;
  /** Your error categories; the built-in rules apply when it returns undefined. @default undefined */
  classifyError?: ((error: unknown) => string | undefined) | undefined;
  /** Throw on a bad configuration value instead of logging it and disabling that part. @default EXPRESS_OTEL_SENTRY_STRICT=1 */
  strict?: boolean | undefined;
  /** Where the library's own log lines go. @default console */
  logger?: Logger | undefined;
  /**
   * Show captured events and traces in the terminal. @default SENTRY_LOCAL_VIEW, else on when no DSN is set
   * and the environment is not production
   */
  localView?: boolean | undefined;
  /** Upper bound for spans waiting to be exported; beyond it spans are dropped and counted. @default OTEL_BSP_MAX_QUEUE_SIZE, else 2048 */
  maxQueuedSpans?: number | undefined;
  /** Messages matching one of these (substring or RegExp) are not reported (S15). @default [] */
  ignoreErrors?: ReadonlyArray<string | RegExp> | undefined;
  /** Forward events to Sentry Spotlight at this URL (or `true` for its default). @default SENTRY_SPOTLIGHT */
  spotlight?: boolean | string | undefined;
}

/** A propagator OTEL_PROPAGATORS may name; `sentry` is Sentry's `sentry-trace` header. */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'sentry';

/** The configuration after defaults, environment and validation. */
export interface ResolvedConfig {
  dsn: string | undefined;
  /** A DSN was given but is not one (the reason is in `problems`), as opposed to none given. */
  dsnRejected: boolean;
  /** Where the DSN (or its absence) came from, for the start-up line. */
  dsnSource: 'dsn option' | 'SENTRY_DSN';
  environment: string;
  release: string | undefined;
  tracesSampleRate: number;
  profilesSampleRate: number;
  serviceName: string;
  /**
   * OTEL_RESOURCE_ATTRIBUTES, parsed. Its `service.name`, `service.version` and `deployment.environment.name`
   * are used when nothing more specific sets the service name, release and environment; the resource then
   * carries this configuration's values, so that spans and Sentry's events agree.
   */
  resourceAttributes: Record<string, string>;
  /** From OTEL_PROPAGATORS, in its order; empty for `none`. @default ['sentry', 'tracecontext', 'baggage'] */
  propagators: ReadonlyArray<PropagatorName>;
  otlpEndpoint: string | undefined;
  otlpHeaders: Record<string, string>;
  sendSpansToSentry: boolean;
  strict: boolean;
  localView: boolean;
  maxQueuedSpans: number;
  /** OTEL_BSP_MAX_EXPORT_BATCH_SIZE, _SCHEDULE_DELAY, _EXPORT_TIMEOUT when set (OTEL_BSP_MAX_QUEUE_SIZE is maxQueuedSpans). */
  batch: { maxExportBatchSize?: number; scheduledDelayMillis?: number; exportTimeoutMillis?: number };
  /** OTEL_SPAN_* / OTEL_ATTRIBUTE_* limits that are set and valid (a number, 0 or more, as OpenTelemetry reads it); the rest are OpenTelemetry's defaults. */
  spanLimits: SpanLimitSettings;
  ignoreErrors: ReadonlyArray<string | RegExp>;
  spotlight: boolean | string;
  /** Lines to log once set-up is done (warnings about values that were rejected, and so on). */
  problems: string[];
}
