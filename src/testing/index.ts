import { AssertionError } from 'node:assert';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { getCurrentScope, getIsolationScope, parseEnvelope, serializeEnvelope, type Envelope } from '@sentry/core';
import { getTelemetry, startTelemetry, type Telemetry } from '../telemetry';
import { tracesRequestJson } from '../tracing/otlp-json';
import { isMessageEvent } from '../sentry/event-kind';
import { assertEvent, checkMatcher, eventMatches } from './matchers';
import { findSecrets } from './secrets';
import { normalizeTracesRequest, type NormalizedSpan } from './otlp-json';
import { SpanGenerations } from './generations';
import { globalTimersRun, realDelay } from './real-time';
import { instrumentRegistryModules, underJest } from './jest-registry';
import { givenOptionNames, ignoredOptionsWarning } from '../startup-checks';
import { registerEsmHook, testRunIsEsm } from '../esm-hook';
import type { CapturedEvent, SpanNode, Testkit, TestkitOptions, WaitOptions } from './types';

export type * from './types';
export { eventText } from './matchers';

const DEFAULT_TIMEOUT_MS = 5000;
const decoder = new TextDecoder();

function toText(payload: string | Uint8Array): string {
  return typeof payload === 'string' ? payload : decoder.decode(payload);
}

function buildTree(spans: NormalizedSpan[]): SpanNode[] {
  const nodes = new Map(spans.map((span) => [span.spanId, { span, children: [] as SpanNode[] }]));
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId ? nodes.get(node.span.parentSpanId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  const byStart = (a: SpanNode, b: SpanNode) => (BigInt(a.span.startTimeUnixNano) < BigInt(b.span.startTimeUnixNano) ? -1 : 1);
  const sort = (list: SpanNode[]) => {
    list.sort(byStart);
    list.forEach((node) => sort(node.children));
  };
  sort(roots);
  return roots;
}

/**
 * Captures events and spans in memory through the real pipelines: the same scrubbing, sampling,
 * filters and trace linking as production, serialized to the real wire formats (Sentry envelopes,
 * OTLP/JSON) and parsed back. No network, no DSN. Create it before express, pg and knex are loaded
 * (e.g. in a mocha `--require` file); creating it again returns the same kit.
 */
export function createTestkit(options: TestkitOptions = {}): Testkit {
  const global = globalThis as typeof globalThis & { [KIT]?: Testkit };
  const existing = getTelemetry();
  if (existing) {
    // Started before (an earlier kit, the preload, the app): this call's options change nothing.
    const ignored = ignoredOptionsWarning('createTestkit', givenOptionNames(options));
    if (ignored) existing.logger.warn(ignored);
  }
  if (global[KIT]) return global[KIT];
  if (existing) warnAboutKeptSettings(existing);
  // ESM test files import express, pg and knex after this runs: they need the loader hook, as with the preload.
  if (!existing && testRunIsEsm()) registerEsmHook();
  // Every trace by default, whatever the environment: a test must not pass or fail by the sampler's draw.
  const telemetry: Telemetry = existing ?? startTelemetry({ ...options, tracesSampleRate: options.tracesSampleRate ?? 1, dsn: '', otlpEndpoint: '', localView: false }, 'testkit');
  // jest's module registry is not Node's require: the instrumentations' hook never sees express, pg and knex.
  if (underJest()) instrumentRegistryModules(telemetry.instrumentations, require);

  let events: CapturedEvent[] = [];
  let spans: NormalizedSpan[] = [];
  let payloads: string[] = [];
  const arrivals = new Set<() => void>();
  const notify = () => arrivals.forEach((wake) => wake());

  const generations = new SpanGenerations();
  telemetry.spanProcessor.addListener(generations.listener);

  telemetry.envelopeSinks.add((envelope: Envelope) => {
    const text = toText(serializeEnvelope(envelope));
    const [, items] = parseEnvelope(text);
    const itemEvents = items.filter(([header]) => header.type === 'event').map(([, payload]) => payload as CapturedEvent);
    // An event of a previous test's request, captured after reset(): not this test's.
    if (itemEvents.length > 0 && itemEvents.every((event) => generations.isLateEvent(event))) return;
    payloads.push(text);
    events.push(...itemEvents);
    notify();
  });

  const exporter: SpanExporter = {
    export(spansEnded: ReadableSpan[], done) {
      try {
        const batch = spansEnded.filter((span) => !generations.isLateSpan(span));
        if (batch.length === 0) return done({ code: ExportResultCode.SUCCESS });
        // The body production sends (the same writer as the OTLP exporter), parsed back.
        const text = tracesRequestJson(batch);
        payloads.push(text);
        spans.push(...normalizeTracesRequest(JSON.parse(text)));
        done({ code: ExportResultCode.SUCCESS });
      } catch (error) {
        done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
      notify();
    },
    shutdown: async () => undefined,
  };
  telemetry.spanProcessor.addExporter('testkit', exporter);

  /**
   * Flushes both pipelines within `timeout`. Sentry's client flush polls on the global setTimeout: while
   * fake timers hold it, it is not waited for (what it would wait for is promise work, done by then).
   */
  async function settle(timeout: number, expired: Promise<void> = realDelay(timeout)): Promise<void> {
    await Promise.race([telemetry.spanProcessor.forceFlush(), expired]);
    const flushing = telemetry.flush(timeout);
    if (await Promise.race([flushing.then(() => true), globalTimersRun()])) await Promise.race([flushing, expired]);
  }

  const flush = () => settle(DEFAULT_TIMEOUT_MS);

  /** Re-checks `done` after every arrival; flushes first so that nothing waits on a batch timer. */
  async function waitUntil<T>(check: () => T | undefined, what: () => string, options: WaitOptions | undefined): Promise<T> {
    const timeout = checkWaitOptions(options);
    // The first flush counts against the timeout: the whole wait is bounded by it, in real time (see real-time.ts).
    const started = Date.now();
    const expired = realDelay(timeout);
    await settle(timeout, expired);
    const first = check();
    if (first !== undefined) return first;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      // A predicate that throws (on a span without the attribute it reads) fails the wait with its
      // error, at once: thrown from an arrival, it would leave the wait hanging past its timeout.
      const checked = (): { result: T | undefined } | undefined => {
        try {
          return { result: check() };
        } catch (error) {
          cleanup();
          reject(error);
          return undefined;
        }
      };
      const wake = () => {
        if (settled) return;
        const outcome = checked();
        if (outcome === undefined) return;
        if (outcome.result === undefined) {
          void flush();
          return;
        }
        cleanup();
        resolve(outcome.result);
      };
      const giveUp = () => {
        if (settled) return;
        const outcome = checked();
        if (outcome === undefined) return;
        cleanup();
        if (outcome.result !== undefined) resolve(outcome.result);
        else reject(new AssertionError({ message: `timed out after ${timeout} ms waiting for ${what()}` }));
      };
      // The global timer holds the process open while it waits (the real-time one does not); fake timers hold it back.
      const timer = setTimeout(giveUp, Math.max(0, started + timeout - Date.now()));
      void expired.then(giveUp);
      const cleanup = () => {
        settled = true;
        clearTimeout(timer);
        arrivals.delete(wake);
      };
      arrivals.add(wake);
      void flush().then(wake);
    });
  }

  const kit: Testkit = {
    events: () => [...events],
    messages: () => events.filter(isMessageEvent),
    exceptions: () => events.filter((event) => !isMessageEvent(event)),
    spans: () => [...spans],
    spansOf: (traceId) => spans.filter((span) => span.traceId === traceId),
    traceOf: (event) => {
      requireEvent('traceOf(event)', event);
      const traceId = event.contexts?.trace?.trace_id;
      return typeof traceId === 'string' ? buildTree(spans.filter((span) => span.traceId === traceId)) : [];
    },
    breadcrumbsOf: (event) => requireEvent('breadcrumbsOf(event)', event).breadcrumbs ?? [],
    waitForEvents: (count, options) => {
      if (!isCount(count)) return Promise.reject(misuse('waitForEvents(count)', 'a whole number of events, e.g. await kit.waitForEvents(1)', count));
      return waitUntil(() => (events.length >= count ? [...events] : undefined), () => `${count} event(s); got ${events.length}`, options);
    },
    waitForSpans: (predicate, options) => {
      if (typeof predicate !== 'function' && !isCount(predicate)) {
        return Promise.reject(misuse('waitForSpans(predicate)', "a function of a span or a whole number of spans, e.g. (span) => span.kind === 'SERVER'", predicate));
      }
      return waitUntil(
        () => {
          if (typeof predicate === 'number') return spans.length >= predicate ? [...spans] : undefined;
          const found = spans.filter(predicate);
          return found.length > 0 ? found : undefined;
        },
        () => `spans matching ${typeof predicate === 'number' ? `count ${predicate}` : predicate.toString()}; got ${spans.length}: ${spans.map((s) => s.name).join(', ')}`,
        options,
      );
    },
    expectEvent: (matcher) => {
      checkMatcher('expectEvent(expected)', matcher);
      return assertEvent(events, matcher);
    },
    waitForEvent: async (matcher, options) => {
      checkMatcher('waitForEvent(expected)', matcher);
      checkWaitOptions(options);
      try {
        return await waitUntil(() => events.find((event) => eventMatches(event, matcher)), () => 'a matching event', options);
      } catch (error) {
        // The timeout says what was captured instead, in the words of expectEvent.
        return assertEvent(events, matcher, error instanceof Error ? error.message : undefined);
      }
    },
    expectNoEvents: async () => {
      await flush();
      if (events.length > 0) {
        throw new AssertionError({ message: `expected no events, captured ${events.length}: ${events.map((e) => e.exception?.values?.[0]?.value ?? e.message).join('; ')}` });
      }
    },
    expectNoSecrets: async (values) => {
      if (!Array.isArray(values) || values.some((value) => typeof value !== 'string')) {
        throw misuse('expectNoSecrets(values)', "an array of the secret strings, e.g. await kit.expectNoSecrets(['hunter2'])", values);
      }
      await flush();
      const leaks = findSecrets(payloads, values);
      if (leaks.length > 0) {
        throw new AssertionError({ message: `secret value(s) left the process:\n${leaks.join('\n')}` });
      }
    },
    payloads: () => [...payloads],
    flush,
    reset: () => {
      generations.next();
      // A user and breadcrumbs a test set outside any request (a handler called with fake req/res, a
      // job) sit on the process's scope: not the next test's. (`{}`, not null: null leaves `user: {}`.)
      for (const scope of [getIsolationScope(), getCurrentScope()]) {
        scope.setUser({});
        scope.clearBreadcrumbs();
      }
      events = [];
      spans = [];
      payloads = [];
    },
  };
  global[KIT] = kit;
  return kit;
}

const KIT = Symbol.for('express-otel-sentry.testkit');

/**
 * Telemetry started before the kit (the register preload, the app's own `initTelemetry()` at import)
 * keeps its settings: its destinations, its sample rate, its local view.
 */
function warnAboutKeptSettings(telemetry: Telemetry): void {
  const destinations = [telemetry.config.dsn ? 'Sentry' : '', telemetry.config.otlpEndpoint ? 'the OTLP collector' : ''].filter(Boolean);
  if (destinations.length > 0) {
    telemetry.logger.warn(`createTestkit: telemetry started earlier sends to ${destinations.join(' and ')} as well as to the kit. Run tests without the register preload (and without SENTRY_DSN) so that nothing leaves the process.`);
  }
  const kept = [
    telemetry.config.tracesSampleRate < 1 ? `samples ${telemetry.config.tracesSampleRate} of traces (span assertions pass or fail by the sampler's draw)` : '',
    telemetry.config.localView ? 'prints every trace and event (the local view)' : '',
  ].filter(Boolean);
  if (kept.length > 0) {
    telemetry.logger.warn(`createTestkit: telemetry started earlier ${kept.join(' and ')}. Create the kit first (a --require or --import setup file, jest's or vitest's setupFiles), before the app calls initTelemetry().`);
  }
}

/** A kit method called with the wrong kind of argument (from JavaScript): say what to pass. */
function misuse(call: string, expected: string, received: unknown): TypeError {
  return new TypeError(`${call}: expected ${expected}; received ${received === null ? 'null' : typeof received}`);
}

/** The wait's timeout, or a TypeError saying what to pass. */
function checkWaitOptions(options: WaitOptions | undefined): number {
  const timeout = options?.timeout ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout)) throw misuse('{ timeout }', 'a number of milliseconds above 0, e.g. { timeout: 1000 }', timeout);
  return timeout;
}

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}

function requireEvent(call: string, event: CapturedEvent): CapturedEvent {
  if (event === null || typeof event !== 'object') throw misuse(call, 'an event from kit.events() or kit.waitForEvents()', event);
  return event;
}
