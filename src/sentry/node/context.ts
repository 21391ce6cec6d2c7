import * as os from 'node:os';
import {
  defineIntegration, safeSetSpanJSONAttributes, type AppContext, type CloudResourceContext, type Contexts,
  type CultureContext, type DeviceContext, type Event, type StreamedSpanJSON,
} from '@sentry/core';
import { osContext } from './os-context';

/**
 * Port of @sentry/node 11.12.0's Context integration (`integrations/context.js`): app, os, device, culture
 * and cloud resource contexts on every event, and the same figures as attributes on segment spans.
 * Two deliberate differences. The memory figures (process RSS, memory available to the process, free system
 * memory) are read at most once per `maxMemoryAgeMs`, not for every event and span: each reading opens
 * files under /proc and /sys, about a tenth of an error event's CPU here (`bench/NOTES.md`), so an error
 * storm paid it hundreds of times a second for the same numbers. And the culture context is read on the
 * first event instead of at set-up: same values, but Intl's date formatting maps ~8 MB of ICU data.
 */

/** How old a memory reading may be when an event or span reports it. */
export const MEMORY_READING_MAX_AGE_MS = 1000;

export interface DeviceContextOptions {
  cpu?: boolean;
  memory?: boolean;
}

/** Sentry's options (each context on by default) plus how old a memory reading may get. */
export interface NodeContextOptions {
  app?: boolean;
  os?: boolean;
  device?: DeviceContextOptions | boolean;
  culture?: boolean;
  cloudResource?: boolean;
  /** @default MEMORY_READING_MAX_AGE_MS; 0 reads memory for every event, as Sentry does */
  maxMemoryAgeMs?: number;
}

interface MemoryReading {
  /** `performance.now()` when read. */
  at: number;
  rss: number;
  /** Memory available to the process (cgroup-aware); undefined where Node cannot tell. */
  available: number | undefined;
  free: number;
}

function readMemory(at: number): MemoryReading {
  // `memoryUsage.rss()` is the figure Sentry reads through `memoryUsage().rss`, without the heap statistics.
  const available = typeof process.availableMemory === 'function' ? process.availableMemory() : undefined;
  return { at, rss: process.memoryUsage.rss(), available: available ?? undefined, free: os.freemem() };
}

/** The last reading while it is younger than `maxAgeMs`, else a new one. */
function memoryReader(maxAgeMs: number): () => MemoryReading {
  let last: MemoryReading | undefined;
  return () => {
    const now = performance.now();
    if (!last || now - last.at >= maxAgeMs) last = readMemory(now);
    return last;
  };
}

/** `read`, called at most once: one reading serves every figure of one event, span or setup. */
function once<T>(read: () => T): () => T {
  let value: { read: T } | undefined;
  return () => (value ??= { read: read() }).read;
}

function appContext(memory: MemoryReading, nowMs = Date.now(), uptimeS = process.uptime()): AppContext {
  const app: AppContext = { app_start_time: new Date(nowMs - uptimeS * 1000).toISOString(), app_memory: memory.rss };
  if (memory.available != null) app.free_memory = memory.available;
  return app;
}

function deviceContext(option: DeviceContextOptions | true, memory: () => MemoryReading, nowMs = Date.now()): DeviceContext {
  const device: DeviceContext = {};
  let uptime: number | undefined;
  try {
    uptime = os.uptime();
  } catch {
    // Some sandboxes refuse it; the rest of the device context stands.
  }
  if (typeof uptime === 'number') device.boot_time = new Date(nowMs - uptime * 1000).toISOString();
  device.arch = os.arch();
  if (option === true || option.memory) {
    device.memory_size = os.totalmem();
    device.free_memory = memory().free;
  }
  if (option === true || option.cpu) {
    const cpus = os.cpus();
    const first = cpus?.[0];
    if (first) {
      device.processor_count = cpus.length;
      device.cpu_description = first.model;
      device.processor_frequency = first.speed;
    }
  }
  return device;
}

/** Locale and time zone, only where Intl has real locale data (a small-ICU build formats every locale as English). */
function cultureContext(): CultureContext | undefined {
  try {
    if (typeof process.versions.icu !== 'string') return undefined;
    if (new Intl.DateTimeFormat('es', { month: 'long' }).format(new Date(9e8)) === 'enero') {
      const options = Intl.DateTimeFormat().resolvedOptions();
      return { locale: options.locale, timezone: options.timeZone };
    }
  } catch {
    // No culture context rather than no event.
  }
  return undefined;
}

type Env = Record<string, string | undefined>;

/** Sentry's cloud detection, first match wins, in its order: [detected?, context]. */
const CLOUDS: Array<[(env: Env) => unknown, (env: Env) => CloudResourceContext]> = [
  [(env) => env.VERCEL, (env) => ({ 'cloud.provider': 'vercel', 'cloud.region': env.VERCEL_REGION })],
  [(env) => env.AWS_REGION, (env) => ({
    'cloud.provider': 'aws',
    'cloud.region': env.AWS_REGION,
    'cloud.platform': env.AWS_EXECUTION_ENV?.startsWith('AWS_Lambda') ? 'aws_lambda' : env.AWS_EXECUTION_ENV,
  })],
  [(env) => env.GCP_PROJECT, () => ({ 'cloud.provider': 'gcp' })],
  [(env) => env.ALIYUN_REGION_ID, (env) => ({ 'cloud.provider': 'alibaba_cloud', 'cloud.region': env.ALIYUN_REGION_ID })],
  [(env) => env.WEBSITE_SITE_NAME && env.REGION_NAME, (env) => ({ 'cloud.provider': 'azure', 'cloud.region': env.REGION_NAME })],
  [(env) => env.IBM_CLOUD_REGION, (env) => ({ 'cloud.provider': 'ibm_cloud', 'cloud.region': env.IBM_CLOUD_REGION })],
  [(env) => env.TENCENTCLOUD_REGION, (env) => ({
    'cloud.provider': 'tencent_cloud',
    'cloud.region': env.TENCENTCLOUD_REGION,
    'cloud.account.id': env.TENCENTCLOUD_APPID,
    'cloud.availability_zone': env.TENCENTCLOUD_ZONE,
  })],
  [(env) => env.NETLIFY, () => ({ 'cloud.provider': 'netlify' })],
  [(env) => env.FLY_REGION, (env) => ({ 'cloud.provider': 'fly.io', 'cloud.region': env.FLY_REGION })],
  [(env) => env.DYNO, () => ({ 'cloud.provider': 'heroku' })],
];

export function cloudResourceContext(env: Env = process.env): CloudResourceContext | undefined {
  const cloud = CLOUDS.find(([detected]) => detected(env));
  return cloud?.[1](env);
}

/** Sentry's span attributes for the contexts that do not change while the process runs. */
export function contextsToSpanAttributes({ app, device, os: system, culture, cloud_resource }: Contexts): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  const ifTruthy = (key: string, value: unknown): void => {
    if (value) attributes[key] = value;
  };
  const ifSet = (key: string, value: unknown): void => {
    if (value != null) attributes[key] = value;
  };
  ifTruthy('app.start_time', app?.app_start_time);
  if (device?.arch) attributes['device.archs'] = [device.arch];
  ifTruthy('device.boot_time', device?.boot_time);
  ifSet('device.memory_size', device?.memory_size);
  ifSet('device.processor_count', device?.processor_count);
  ifTruthy('device.cpu_description', device?.cpu_description);
  ifSet('device.processor_frequency', device?.processor_frequency);
  ifTruthy('os.name', system?.name);
  ifTruthy('os.version', system?.version);
  ifTruthy('os.kernel_version', system?.kernel_version);
  ifTruthy('os.build', system?.build);
  ifTruthy('culture.locale', culture?.locale);
  ifTruthy('culture.timezone', culture?.timezone);
  for (const [key, value] of Object.entries(cloud_resource ?? {})) ifSet(key, value);
  return attributes;
}

/** Sentry's memory span attributes, from one reading through `currentMemory`. */
function memorySpanAttributes(app: AppContext | undefined, device: DeviceContext | undefined, currentMemory: () => MemoryReading): Record<string, unknown> {
  const memory = once(currentMemory);
  const attributes: Record<string, unknown> = {};
  if (app) {
    const reading = memory();
    attributes['app.memory'] = reading.rss;
    if (reading.available != null) attributes['app.free_memory'] = reading.available;
  }
  if (device?.free_memory != null) attributes['device.free_memory'] = memory().free;
  return attributes;
}

/** `contexts` with the memory figures Sentry refreshes per event from one reading (taken only if one is there). */
export function withCurrentMemory(contexts: Contexts, currentMemory: () => MemoryReading): Contexts {
  const { app, device } = contexts;
  const memory = once(currentMemory);
  const current: Contexts = { ...contexts };
  if (app?.app_memory || app?.free_memory) {
    const reading = memory();
    current.app = { ...app };
    if (app.app_memory) current.app.app_memory = reading.rss;
    if (app.free_memory && reading.available != null) current.app.free_memory = reading.available;
  }
  if (device?.free_memory) current.device = { ...device, free_memory: memory().free };
  return current;
}

// Object.assign rather than a spread followed by keys: on Node 20, a spread copy that gains a key the
// copied object lacked costs V8 a fresh map, ~1 µs each (bench/NOTES.md item 54).
function withCulture(contexts: Contexts, culture: CultureContext | undefined): Contexts {
  return culture ? Object.assign({}, contexts, { culture }) : contexts;
}

/** The event with `ours` under each context name, new objects each, the event's own fields winning. */
function addContexts(event: Event, ours: Contexts): Event {
  const own = event.contexts;
  event.contexts = Object.assign({}, own, {
    app: { ...ours.app, ...own?.app },
    os: { ...ours.os, ...own?.os },
    device: { ...ours.device, ...own?.device },
    culture: { ...ours.culture, ...own?.culture },
    cloud_resource: { ...ours.cloud_resource, ...own?.cloud_resource },
  });
  return event;
}

/** Sentry's option defaults: every context on. */
const DEFAULTS = { app: true, os: true, device: true as DeviceContextOptions | boolean, culture: true, cloudResource: true };

/**
 * Capture context about the environment and the device the process runs on, for every event (as
 * `@sentry/node`'s `nodeContextIntegration`), with memory figures at most `maxMemoryAgeMs` old.
 */
export const nodeContextIntegration = defineIntegration((options: NodeContextOptions = {}) => {
  const { maxMemoryAgeMs, ...contextOptions } = options;
  const chosen = { ...DEFAULTS, ...contextOptions };
  const memory = memoryReader(typeof maxMemoryAgeMs === 'number' && maxMemoryAgeMs >= 0 ? maxMemoryAgeMs : MEMORY_READING_MAX_AGE_MS);

  // Everything but the OS and memory is fixed for the process's life: computed once, here. The culture
  // context waits for the first event: Intl's date formatting maps about 8 MB of ICU data into the
  // process, which an app that never reports anything should not carry.
  const setupMemory = once(memory);
  const app = chosen.app ? appContext(setupMemory()) : undefined;
  const device = chosen.device ? deviceContext(chosen.device, setupMemory) : undefined;
  const culture = chosen.culture ? once(cultureContext) : () => undefined;
  const cloudResource = chosen.cloudResource ? cloudResourceContext() : undefined;
  const osPromise = chosen.os ? osContext() : undefined;

  const spanAttributes: Record<string, unknown> = {
    'process.runtime.engine.name': 'v8',
    'process.runtime.engine.version': process.versions.v8,
    ...contextsToSpanAttributes({ app, device, cloud_resource: cloudResource }),
  };
  osPromise?.then((system) => Object.assign(spanAttributes, contextsToSpanAttributes({ os: system }))).catch(() => {});
  const spanAttributesWithCulture = once(() => Object.assign(spanAttributes, contextsToSpanAttributes({ culture: culture() })));

  const contexts: Promise<Contexts> = (async () => {
    const all: Contexts = {};
    if (osPromise) all.os = await osPromise;
    if (app) all.app = app;
    if (device) all.device = device;
    if (cloudResource) all.cloud_resource = cloudResource;
    return all;
  })();
  // Handled here so that a failure is never an unhandled rejection, even before the first event.
  contexts.catch(() => {});

  return {
    name: 'Context' as const,
    processEvent(event: Event): Promise<Event> {
      // Without its contexts the event is still worth sending.
      return contexts.then((base) => addContexts(event, withCurrentMemory(withCulture(base, culture()), memory))).catch(() => event);
    },
    processSegmentSpan(span: StreamedSpanJSON): void {
      try {
        safeSetSpanJSONAttributes(span, spanAttributesWithCulture());
        safeSetSpanJSONAttributes(span, memorySpanAttributes(app, device, memory));
      } catch {
        // A span without these attributes is better than a span processor that throws.
      }
    },
  };
});
