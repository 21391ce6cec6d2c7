import * as os from 'node:os';
import type { Client, Event, EventHint, Integration } from '@sentry/core';

type Contexts = NonNullable<Event['contexts']>;
type Context = Record<string, unknown>;

/** The contexts Sentry's integration adds to every event: `{ ...ours, ...the event's }` each. */
const CONTEXT_NAMES = ['app', 'os', 'device', 'culture', 'cloud_resource'] as const;

/** How old a memory reading may be when an event reports it. */
export const MEMORY_READING_MAX_AGE_MS = 1000;

interface MemoryReading {
  at: number;
  rss: number;
  available: number | undefined;
  free: number;
}

/** Process RSS, memory available to the process (cgroup-aware) and free system memory, read now. */
function readMemory(at: number): MemoryReading {
  return {
    at,
    rss: process.memoryUsage.rss(),
    available: typeof process.availableMemory === 'function' ? process.availableMemory() : undefined,
    free: os.freemem(),
  };
}

/** Sentry's contexts with the memory figures it reports per event replaced by `memory`'s. */
function withMemory(contexts: Contexts, memory: MemoryReading): Contexts {
  const app = contexts.app as Context | undefined;
  const device = contexts.device as Context | undefined;
  const now: Contexts = { ...contexts };
  if (app?.app_memory || app?.free_memory) {
    const current: Context = { ...app };
    if (app.app_memory) current.app_memory = memory.rss;
    if (app.free_memory && memory.available != null) current.free_memory = memory.available;
    now.app = current as Contexts['app'];
  }
  if (device?.free_memory) now.device = { ...device, free_memory: memory.free } as Contexts['device'];
  return now;
}

/**
 * Sentry's Context integration (app, os, device, culture and cloud resource contexts) with its memory
 * figures read at most once a second. Sentry's reads them for every event (process RSS, available and
 * free memory: files under /proc and /sys each time), about a tenth of an error event's CPU here
 * (`bench/NOTES.md`), so an error storm paid it hundreds of times a second for the same numbers.
 * Everything else is Sentry's own, computed once by its integration; the event's own contexts win, as
 * with Sentry's.
 */
export function contextWithThrottledMemory(sentryContext: Integration, maxAgeMs = MEMORY_READING_MAX_AGE_MS): Integration {
  let base: Promise<Contexts> | undefined;
  let memory: MemoryReading | undefined;
  const currentMemory = (): MemoryReading => {
    const now = performance.now();
    if (!memory || now - memory.at >= maxAgeMs) memory = readMemory(now);
    return memory;
  };
  const baseContexts = (client: Client): Promise<Contexts> =>
    (base ??= Promise.resolve(sentryContext.processEvent?.({}, {}, client)).then((event) => event?.contexts ?? {}));
  return {
    name: sentryContext.name,
    processEvent(event: Event, _hint: EventHint, client: Client): PromiseLike<Event> {
      return baseContexts(client).then(
        (contexts) => {
          const current = withMemory(contexts, currentMemory());
          const merged: Contexts = { ...event.contexts };
          for (const name of CONTEXT_NAMES) merged[name] = { ...current[name], ...event.contexts?.[name] };
          event.contexts = merged;
          return event;
        },
        // Without its contexts the event is still worth sending.
        () => event,
      );
    },
  };
}
