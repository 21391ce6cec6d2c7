import {
  eventFiltersIntegration, functionToStringIntegration, getClient, linkedErrorsIntegration, requestDataIntegration,
  type Client, type ErrorEvent, type EventHint, type Integration,
} from '@sentry/core';
import type { ResolvedConfig } from '../config/types';
import type { Logger } from '../logger';
import type { Scrubber } from '../scrub';
import { CATEGORY_TAG } from '../classify';
import { CLIENT_MAX_VALUE_LENGTH, scrubEvent } from './scrub-event';
import { scrubEnvelope, scrubLog, scrubMetric } from './scrub-envelope';
import { makeTeeTransportFactory, SENTRY_SEND_BUFFER_SIZE, type DeliveryFailures, type EnvelopeSink } from './transport';
import { profilingIntegration } from './profiling';
import type { RequestContextHook } from '../tracing/http-server';
import { initNodeClient, NodeRuntimeClient } from './node/client';
import { nodeContextIntegration } from './node/context';
import { contextLinesIntegration } from './node/context-lines';
import { onUncaughtExceptionIntegration, onUnhandledRejectionIntegration } from './node/global-handlers';
import { workerThreadsIntegration } from './node/worker-threads';
import { modulesIntegration } from './node/modules';
import { openTelemetryIntegration } from './node/opentelemetry';
import { processSessionIntegration } from './node/process-session';
import { systemErrorIntegration } from './node/system-error';
import { requestIsolationIntegration } from './request-isolation';
import { isMessageEvent } from './event-kind';


/** Used when no DSN is set: the pipeline runs (local view, test kit) but the transport sends nothing. */
export const LOCAL_DSN = 'http://local@127.0.0.1/0';

/** Headers that say nothing secret and help debugging; Sentry sends every other one by name only, valued [Filtered]. */
export const SAFE_REQUEST_HEADERS = [
  'accept', 'accept-encoding', 'accept-language', 'content-length', 'content-type', 'host', 'origin',
  'referer', 'user-agent', 'x-request-id', 'x-correlation-id', 'traceparent', 'sentry-trace',
];

/**
 * Sentry's Node defaults we keep, in @sentry/node's order. Left out: framework error handlers and
 * fetch/console wrappers (OpenTelemetry and our middleware own those), local variables (values of
 * secrets), child-process hooks, and Dedupe: on a server, the same bug hit by two requests in a row
 * is two occurrences (two users affected), and "reported once" is guaranteed by marking each captured
 * error instead. Context reads memory figures at most once a second (see node/context.ts).
 */
function keptDefaultIntegrations(): Integration[] {
  return [
    eventFiltersIntegration(), functionToStringIntegration(), linkedErrorsIntegration(), requestDataIntegration(),
    systemErrorIntegration(), onUncaughtExceptionIntegration(), onUnhandledRejectionIntegration(),
    contextLinesIntegration(), nodeContextIntegration(), processSessionIntegration(), modulesIntegration(),
    workerThreadsIntegration(),
  ];
}

/** Spotlight (a local dev UI) is @sentry/node's: loaded only when it is switched on. */
function spotlightIntegrations(spotlight: boolean | string): Integration[] {
  if (!spotlight) return [];
  const { spotlightIntegration } = require('@sentry/node') as typeof import('@sentry/node');
  return [spotlightIntegration(typeof spotlight === 'string' ? { sidecarUrl: spotlight } : undefined)];
}

export interface SentrySetup {
  config: ResolvedConfig;
  scrubber: Scrubber;
  logger: Logger;
  sinks: Set<EnvelopeSink>;
  categorize: (error: unknown) => string;
  /** Given when tracing runs: Sentry's request scopes then ride in the server span's context. */
  requestContext?: RequestContextHook;
  /** Counts envelopes that were sent and did not arrive (for `flush`'s answer). */
  deliveryFailures?: DeliveryFailures;
  /** Runs when the client closes (a shutdown, and the exit after an uncaught exception). */
  onClose?: () => void;
}

/**
 * Tags the category and scrubs the event; fails closed (an event we cannot scrub is dropped). What it
 * returns is marked in `scrubbed`, so that the envelope scrubber scrubs an event it did not (an app that
 * replaced `beforeSend` on the client's options after start-up).
 */
export function makeBeforeSend(setup: Pick<SentrySetup, 'scrubber' | 'categorize' | 'logger'>, scrubbed: WeakSet<object> = new WeakSet()) {
  return (event: ErrorEvent, hint: EventHint): ErrorEvent | null => {
    try {
      if (!isMessageEvent(event) && !event.tags?.[CATEGORY_TAG]) {
        event.tags = { ...event.tags, [CATEGORY_TAG]: setup.categorize(hint.originalException) };
      }
      const result = scrubEvent(setup.scrubber, event) as ErrorEvent;
      scrubbed.add(result);
      return result;
    } catch (error) {
      setup.logger.warn(`an event was dropped because it could not be scrubbed: ${error instanceof Error ? error.name : typeof error}`);
      return null;
    }
  };
}

const OWN_INIT_ADVICE =
  'Remove that Sentry.init: initTelemetry() initializes Sentry (its options and SENTRY_* variables: README, Configuration), '
  + 'and Sentry.* calls reach our client.';

/** A client an app's own `Sentry.init` made (@sentry/node's), not ours. */
const isForeignClient = (client: Client | undefined): boolean => client !== undefined && !(client instanceof NodeRuntimeClient);

/** An app that kept its own `Sentry.init` after switching: that client replaced ours, silently. */
function warnIfReplaced(logger: Logger): void {
  if (isForeignClient(getClient())) {
    logger.warn(`Sentry.init() was called after express-otel-sentry started Sentry: that client replaced ours, and its events skip our scrubbing, user context, categories and trace ids. ${OWN_INIT_ADVICE}`);
  }
}

/**
 * Errors go through Sentry's Node client (`node/client.ts`, built on @sentry/core) with tracing left to
 * OpenTelemetry: no Sentry tracer provider, no Sentry sampling, no load-time rewriting of express/pg/knex,
 * and `openTelemetryIntegration()` so that every event carries the active OpenTelemetry span's trace and
 * span id.
 */
export function initSentry(setup: SentrySetup): void {
  const { config } = setup;
  if (isForeignClient(getClient())) {
    setup.logger.warn(`Sentry.init() ran before express-otel-sentry started Sentry: our client replaces that one, whose OpenTelemetry setup now competes with ours. ${OWN_INIT_ADVICE}`);
  }
  const scrubbedEvents = new WeakSet<object>();
  const profiling = profilingIntegration(config.profilesSampleRate, setup.logger);
  const keep = (integrations: Integration[]): Integration[] => [
    // Per-request isolation scopes and sessions (first: RequestData reads the request data it adds to
    // events); spans, breadcrumbs and header propagation come from OpenTelemetry.
    requestIsolationIntegration({ requestContext: setup.requestContext, onFirstRequest: () => warnIfReplaced(setup.logger) }),
    ...(profiling ? [profiling] : []),
    ...integrations,
    openTelemetryIntegration(),
    ...spotlightIntegrations(config.spotlight),
  ];
  // No tracesSampleRate: Sentry's own tracing stays off (unlike Sentry.init, the client reads no
  // SENTRY_TRACES_SAMPLE_RATE; ours is OpenTelemetry's sampler's).
  const client = initNodeClient({
    defaultIntegrations: keptDefaultIntegrations(),
    dsn: config.dsn ?? LOCAL_DSN,
    environment: config.environment,
    release: config.release,
    integrations: keep,
    ignoreErrors: [...config.ignoreErrors],
    maxBreadcrumbs: 100,
    // Unreachable today (no @sentry/profiling-node matches our @sentry/node). When it is: 'trace' starts
    // profiles on the client's spanStart hook, which OpenTelemetry spans never fire (README, Profiling).
    ...(profiling ? { profileSessionSampleRate: config.profilesSampleRate, profileLifecycle: 'trace' as const } : {}),
    normalizeDepth: 5,
    // Sentry ingestion refuses events over 1 MiB: one 1 MB error message would cost the whole event.
    // Cut to MAX_VALUE_LENGTH after scrubbing (scrubEvent); this first cut bounds the scrubbing's work.
    maxValueLength: CLIENT_MAX_VALUE_LENGTH,
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: { request: { allow: SAFE_REQUEST_HEADERS }, response: false },
      httpBodies: [],
      urlQueryParams: true,
      databaseQueryData: false,
      stackFrameVariables: false,
      genAI: { inputs: false, outputs: false },
    },
    // The client's own processing buffer is sized by this too (64 by default): past it a burst of errors
    // was dropped before our transport's 256 ever saw it.
    transportOptions: { bufferSize: SENTRY_SEND_BUFFER_SIZE },
    transport: makeTeeTransportFactory({
      sinks: setup.sinks,
      sendToNetwork: config.dsn !== undefined,
      failures: setup.deliveryFailures,
      prepare: (envelope) => scrubEnvelope(setup.scrubber, envelope, scrubbedEvents),
      logger: setup.logger,
    }),
    // Breadcrumbs are scrubbed with the event they leave in (scrubEvent), not one by one on the request path.
    beforeSend: makeBeforeSend(setup, scrubbedEvents),
    // Sentry.logger.* and Sentry.metrics.* (sent without an opt-in in Sentry 11) leave scrubbed too.
    beforeSendLog: (log) => scrubLog(setup.scrubber, log),
    beforeSendMetric: (metric) => scrubMetric(setup.scrubber, metric),
  });
  if (setup.onClose) client.on('close', setup.onClose);
}
