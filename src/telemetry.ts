import * as http from 'node:http';
import * as Sentry from '@sentry/core';
import { classifyWith } from './classify';
import { DatabaseEndpoints } from './tracing/database-endpoints';
import { entryIsEsm, isLoaderHooksThread, registerEsmHook } from './esm-hook';
import { resolveTelemetryOptions } from './config/resolve';
import { OTEL_BOOLEAN_WORDS, parseSwitch } from './config/switch';
import type { ResolvedConfig, TelemetryOptions } from './config/types';
import { createConsoleLogger, safeLogger, SILENT_LOGGER, type Logger } from './logger';
import { createScrubber, defaultScrubber, type Scrubber, type ScrubOptions } from './scrub';
import { initSentry } from './sentry/init';
import type { DeliveryFailures, EnvelopeSink } from './sentry/transport';
import { NodeRuntimeClient } from './sentry/node/client';
import { OwnEndpoints } from './tracing/instrumentations';
import { withTimeout } from './with-timeout';
import { givenOptionNames, ignoredOptionsWarning, loadedTooEarlyWarning, packagesLoadedBefore } from './startup-checks';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { addConfiguredExporters, configureDiagnostics, startTracing, type TracingHandle } from './tracing/sdk';
import { SentryOtlpSpanProcessor } from './tracing/span-processor';
import type { RequestContextHook } from './tracing/http-server';
import type { ExportQueueStats } from './tracing/export-queue';
import { attachRequestTrail } from './request-trail';
import { attachLocalView } from './local-view';

const DEFAULT_FLUSH_TIMEOUT_MS = 2000;

/** The handle `initTelemetry` returns: the one piece of global state of the library. */
export interface Telemetry {
  /** The configuration in force (after environment, defaults and validation). */
  readonly config: Readonly<ResolvedConfig>;
  /**
   * Resolves true when everything queued (events and spans) was delivered within `timeoutMs`: false on
   * a timeout, and when something sent meanwhile was refused or lost (a 5xx, a 429, a network error).
   */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Flushes both pipelines, then stops them. Safe to call twice. */
  shutdown(timeoutMs?: number): Promise<boolean>;
  /** The scrubber every outgoing byte passes through. */
  readonly scrubber: Scrubber;
  /** The extra rules it was built from (`options.scrub`; empty when none were given or they were rejected). */
  readonly scrubRules: Readonly<ScrubOptions>;
  /** Maps an error to its `error.category` (your classifier first, then the built-in rules). */
  categorize(error: unknown): string;
  /** Exported, failed and dropped spans per destination. */
  spanStats(): Record<string, ExportQueueStats>;
  /** @internal For the test kit and the local view. */
  readonly spanProcessor: SentryOtlpSpanProcessor;
  /** @internal For the test kit and the local view. */
  readonly envelopeSinks: Set<EnvelopeSink>;
  /** @internal For the test kit: the instrumentations tracing registered (none when tracing is off). */
  readonly instrumentations: readonly Instrumentation[];
  /** @internal The event each error object was last reported as, and in which request (see `safeCaptureException`). */
  readonly reportedErrors: WeakMap<object, ReportedError>;
  readonly logger: Logger;
}

/** @internal An error object's event, and the isolation scope (request) it was reported in. */
export interface ReportedError {
  eventId: string;
  isolationScope: WeakRef<Sentry.Scope>;
}

/** The share of a shutdown's time the span exports get before what is in flight is given up on. */
const SPANS_SHARE_OF_SHUTDOWN = 0.75;

const HANDLE = Symbol.for('express-otel-sentry.telemetry');
type GlobalWithHandle = typeof globalThis & { [HANDLE]?: Telemetry };

/** The handle of `initTelemetry`, or undefined before it ran. */
export function getTelemetry(): Telemetry | undefined {
  return (globalThis as GlobalWithHandle)[HANDLE];
}


const NO_EXTRA_RULES: Readonly<ScrubOptions> = Object.freeze({});

function buildScrubber(options: TelemetryOptions, logger: Logger, strict: boolean): { scrubber: Scrubber; scrubRules: Readonly<ScrubOptions> } {
  if (!options.scrub) return { scrubber: defaultScrubber(), scrubRules: NO_EXTRA_RULES };
  try {
    return { scrubber: createScrubber(options.scrub), scrubRules: Object.freeze({ ...options.scrub }) };
  } catch (error) {
    if (strict) throw error;
    logger.error(`${error instanceof Error ? error.message : String(error)} Using the default scrubbing rules.`);
    return { scrubber: defaultScrubber(), scrubRules: NO_EXTRA_RULES };
  }
}

/** Who starts telemetry: the app (its code or the preload), or the test kit, which keeps everything in memory. */
export type StartedBy = 'app' | 'testkit';

function logStartup(config: ResolvedConfig, logger: Logger, startedBy: StartedBy): void {
  for (const problem of config.problems) logger.error(problem);
  if (startedBy === 'testkit') {
    // The kit sets the DSN and the rate itself: advice about either would be advice the tests cannot take.
    logger.info('Test kit: events and spans are captured in memory; nothing is sent.');
    return;
  }
  if (config.dsn) logger.info(`Sentry initialized for environment: ${config.environment}`);
  // A rejected DSN was just reported as such: calling it empty as well would contradict that line.
  else if (!config.dsnRejected) logger.info(`Sentry is disabled: ${config.dsnSource === 'SENTRY_DSN' ? 'SENTRY_DSN' : 'the dsn option'} is empty, so no events or spans are sent to Sentry.`);
  if (config.dsn && !config.release) {
    logger.warn('No release: SENTRY_RELEASE is not set and no package.json with a name and version was found near the entry file or the working directory, so Sentry gets no release health (sessions). Set SENTRY_RELEASE.');
  }
  if (config.environment === 'production' && config.tracesSampleRate === 1) {
    logger.warn('The trace sample rate is 1.0 in production: every request is traced and exported. Set SENTRY_TRACES_SAMPLE_RATE to 0.2 or less (S4).');
  }
  if (config.dsn && config.propagators.length > 0 && !config.propagators.includes('sentry')) {
    logger.info("OTEL_PROPAGATORS leaves out 'sentry': traces started by Sentry-instrumented browsers and services will not continue here. Add sentry to the list to keep them.");
  }
}

/**
 * Sets up error monitoring (Sentry) and tracing (OpenTelemetry) once per process. Call it before
 * express, pg and knex are loaded (the `register` preload does). A second call returns the same handle.
 */
export function initTelemetry(options: TelemetryOptions = {}): Telemetry {
  return startTelemetry(options, 'app');
}

/** `initTelemetry`, saying who starts it (the test kit words its start-up lines itself). */
export function startTelemetry(given: TelemetryOptions, startedBy: StartedBy): Telemetry {
  const existing = getTelemetry();
  if (existing) {
    const ignored = ignoredOptionsWarning('initTelemetry', givenOptionNames(given));
    if (ignored) existing.logger.warn(ignored);
    return existing;
  }

  // Node's loader-hooks thread runs an app's own --require preload too: telemetry there is started
  // silent and sending nothing, so that the app's one telemetry is the main thread's.
  if (isLoaderHooksThread()) given = { ...given, dsn: '', otlpEndpoint: '', localView: false, logger: SILENT_LOGGER };
  // An ES module app: express, pg and knex imported from here on are instrumented only through the
  // loader hook (the preload and an app calling initTelemetry() before its dynamic imports alike).
  else if (startedBy === 'app' && entryIsEsm()) registerEsmHook();
  retirePreviousCopy();
  const loadedBefore = packagesLoadedBefore();
  configureDiagnostics();
  const { config, options } = resolveTelemetryOptions(given);
  const logger = safeLogger(options.logger ?? createConsoleLogger());
  const { scrubber, scrubRules } = buildScrubber(options, logger, config.strict);
  const envelopeSinks = new Set<EnvelopeSink>();
  const databases = new DatabaseEndpoints();
  const isDatabaseOutage = (error: unknown) => databases.refused(error);
  const categorize = (error: unknown) => classifyWith(options.classifyError, error, isDatabaseOutage);
  const spanProcessor = new SentryOtlpSpanProcessor({ scrubber, logger, maxQueueSize: config.maxQueuedSpans, ...config.batch });
  const own = new OwnEndpoints();
  addConfiguredExporters(config, spanProcessor, own, logger);

  const tracing = parseSwitch(process.env.OTEL_SDK_DISABLED, OTEL_BOOLEAN_WORDS) !== true;
  // With tracing, Sentry's request scopes ride in the server span's context (see RequestContextHook).
  const requestContext: RequestContextHook | undefined = tracing ? {} : undefined;
  const deliveryFailures: DeliveryFailures = { count: 0 };
  // What did not arrive, of events and of spans (each destination): flush compares it before and after.
  const undelivered = () => Object.values(spanProcessor.stats()).reduce((sum, stats) => sum + stats.failed + stats.dropped, deliveryFailures.count);
  // Said once, on the way out (a shutdown, the exit after an uncaught exception, a script's end): a
  // process stopped during an outage loses what waits, and the outage's warning may never have come.
  let undeliveredSaid = false;
  const sayUndelivered = () => {
    if (undeliveredSaid) return;
    undeliveredSaid = true;
    deliveryFailures.close?.();
    const lost = spanProcessor.takeUndelivered().map(({ destination, count, reason }) => `${count} span(s) to ${destination}${reason ? ` (${reason})` : ''}`);
    const events = deliveryFailures.undelivered?.();
    if (events) lost.unshift(`${events.count} envelope(s) to Sentry${events.reason ? ` (${events.reason})` : ''}`);
    if (lost.length > 0) logger.warn(`shutdown: not delivered, and not counted in an earlier line: ${lost.join(', ')}.`);
  };
  initSentry({ config, scrubber, logger, sinks: envelopeSinks, categorize, requestContext, deliveryFailures, onClose: sayUndelivered });
  attachRequestTrail(spanProcessor);
  if (config.localView) attachLocalView(spanProcessor, envelopeSinks, scrubber);
  let sdk: TracingHandle | undefined;
  if (tracing) sdk = startTracing(config, spanProcessor, own, scrubber, requestContext, databases);
  logStartup(config, logger, startedBy);
  const tooEarly = loadedTooEarlyWarning(loadedBefore);
  if (tooEarly) logger.warn(tooEarly);

  // A process that ends by draining its event loop (a script, a job) would leave the last spans in their
  // batch: the batch timer does not hold the process. Sentry's client flushes events on the same event.
  // Once, and bounded as a shutdown is: a collector that never answers must not hold the process.
  const exportSpansOnExit = () => {
    if (!Object.values(spanProcessor.stats()).some((stats) => stats.queued > 0)) return;
    process.off('beforeExit', exportSpansOnExit);
    void withTimeout(spanProcessor.forceFlush(), DEFAULT_FLUSH_TIMEOUT_MS).then(async (delivered) => {
      if (!delivered) await spanProcessor.abort();
      sayUndelivered();
    });
  };
  process.on('beforeExit', exportSpansOnExit);

  let stopped: Promise<boolean> | undefined;
  /**
   * Events leave while spans do. Spans get most of the time; an export still in flight then is given up
   * on (counted as lost). Sentry's client closes last, so that its final client report holds what the
   * last exports lost (a closed client sends nothing). Rejects when anything did not arrive.
   */
  const shutDown = async (timeoutMs: number): Promise<void> => {
    const before = undelivered();
    const deadline = Date.now() + timeoutMs;
    const eventsDone = Sentry.flush(timeoutMs);
    const spansDone = (sdk ? sdk.shutdown() : spanProcessor.shutdown()).catch(() => undefined);
    if (!(await withTimeout(spansDone, Math.floor(timeoutMs * SPANS_SHARE_OF_SHUTDOWN), false))) await spanProcessor.abort().catch(() => undefined);
    const [eventsFlushed, closed] = await Promise.all([eventsDone, Sentry.close(Math.max(deadline - Date.now(), 1))]);
    if (!eventsFlushed || !closed || undelivered() !== before) throw new Error('not everything arrived');
  };
  const telemetry: Telemetry = {
    config,
    scrubber,
    scrubRules,
    logger,
    spanProcessor,
    envelopeSinks,
    reportedErrors: new WeakMap(),
    instrumentations: sdk?.instrumentations ?? [],
    categorize,
    spanStats: () => spanProcessor.stats(),
    flush: async (timeoutMs = DEFAULT_FLUSH_TIMEOUT_MS) => {
      const before = undelivered();
      // Held open (the last argument) for as long as it was asked: telemetry in flight alone holds a
      // process only briefly (HOLD_PROCESS_MS), and a job awaiting its flush must get the answer.
      const drained = await withTimeout(Promise.all([spanProcessor.forceFlush(), Sentry.flush(timeoutMs).then((ok) => (ok ? undefined : Promise.reject()))]), timeoutMs, false);
      return drained && undelivered() === before;
    },
    shutdown: (timeoutMs = DEFAULT_FLUSH_TIMEOUT_MS) => {
      process.off('beforeExit', exportSpansOnExit);
      // Said when the client closes, or at the deadline if it has not closed by then.
      stopped ??= withTimeout(shutDown(timeoutMs), timeoutMs, false).finally(sayUndelivered);
      return stopped;
    },
  };
  (globalThis as GlobalWithHandle)[HANDLE] = telemetry;
  const client = Sentry.getClient();
  (http.Server.prototype as unknown as Record<symbol, unknown>)[RETIRE] = () => {
    // Synchronous: its patches, hooks and stores are released now (the sdk's shutdown starts with them).
    void (sdk ? sdk.shutdown() : spanProcessor.shutdown()).catch(() => undefined);
    if (client instanceof NodeRuntimeClient) client.retire();
  };
  return telemetry;
}

/**
 * A copy of this library started in the same process whose global is gone: jest loads each test file's
 * modules anew, with a fresh global, all sharing Node's own modules. The previous file's telemetry (its
 * timers, Sentry's client, its instrumentations' hooks) kept running and held that file's whole module
 * graph, ~6 MB per file. It is reached through Node's http, which every copy shares, and stopped
 * before this one starts (its patches are undone then, so this copy's are not).
 */
const RETIRE = Symbol.for('express-otel-sentry.retire-previous-copy');

function retirePreviousCopy(): void {
  const shared = http.Server.prototype as unknown as Record<symbol, unknown>;
  const retire = shared[RETIRE];
  delete shared[RETIRE];
  if (typeof retire !== 'function') return;
  try {
    retire();
  } catch {
    // What it still holds stays; this copy starts all the same.
  }
}
