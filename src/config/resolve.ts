import { defaultScrubber } from '../scrub';
import { readNearestPackage } from './package-info';
import { parseResourceAttributes } from './resource-attributes';
import type { PropagatorName, ResolvedConfig, TelemetryOptions } from './types';

const DEFAULT_ENVIRONMENT = 'development';
const PRODUCTION = 'production';
const DEFAULT_TRACES_SAMPLE_RATE = 1.0;
const PRODUCTION_TRACES_SAMPLE_RATE = 0.2;
const DEFAULT_PROFILES_SAMPLE_RATE = 0;
const DEFAULT_MAX_QUEUED_SPANS = 2048;
const FALLBACK_SERVICE_NAME = 'express-app';

/** A configuration value that was rejected: the variable, what was received, what is accepted. */
export class ConfigError extends TypeError {
  constructor(
    readonly variable: string,
    readonly received: unknown,
    readonly accepted: string,
    readonly consequence: string,
  ) {
    super(`Invalid ${variable}: received ${JSON.stringify(String(received))}; expected ${accepted}. ${consequence}`);
    this.name = 'ConfigError';
  }
}

type Env = NodeJS.ProcessEnv;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Parses a DSN the way Sentry does: `<protocol>://<publicKey>@<host>[:port]/<projectId>`. */
export function isValidDsn(dsn: string): boolean {
  try {
    const url = new URL(dsn);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.username.length > 0 &&
      /\/\d+$|\/[\w-]+$/.test(url.pathname)
    );
  } catch {
    return false;
  }
}

/** Replaces the DSN's public key so that log lines never carry it. */
export function redactDsn(dsn: string): string {
  try {
    const url = new URL(dsn);
    url.username = '***';
    url.password = '';
    return url.toString();
  } catch {
    return '[unparsable DSN]';
  }
}

function isValidHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** `OTEL_EXPORTER_OTLP_HEADERS` style: `k1=v1,k2=v2`, values URL-encoded. */
function parseOtlpHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    try {
      headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // An undecodable header is skipped rather than sent half-broken.
    }
  }
  return headers;
}

const RATE_FORM = 'a number from 0 to 1, e.g. 0.2';

/** A rate in [0, 1] from an option (number) or a variable (decimal text only: no hex, exponents or blanks). */
function parseRate(raw: unknown): number | undefined {
  if (typeof raw === 'string' && !/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(raw)) return undefined;
  const value = typeof raw === 'number' ? raw : Number(raw);
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
}

function resolveRate(
  option: number | undefined,
  variable: string,
  env: Env,
  fallback: number,
  consequence: string,
  problems: ConfigError[],
): number {
  const raw: unknown = option ?? nonEmpty(env[variable]);
  if (raw === undefined) return fallback;
  const value = parseRate(raw);
  if (value === undefined) {
    problems.push(new ConfigError(variable, raw, RATE_FORM, consequence));
    return 0;
  }
  return value;
}

const FIXED_RATE_SAMPLERS: Record<string, number> = { always_on: 1, parentbased_always_on: 1, always_off: 0, parentbased_always_off: 0 };
const RATIO_SAMPLERS = new Set(['traceidratio', 'parentbased_traceidratio']);

/**
 * OTEL_TRACES_SAMPLER (+ _ARG), the variables an OpenTelemetry operator injects, as a rate: used when neither
 * the option nor SENTRY_TRACES_SAMPLE_RATE is set. Our sampler is always parent-based (a child never breaks
 * its parent's trace), so `always_on` and `traceidratio` count as their `parentbased_` forms.
 */
function otelSamplerRate(env: Env, problems: ConfigError[]): number | undefined {
  const sampler = nonEmpty(env.OTEL_TRACES_SAMPLER)?.toLowerCase();
  if (sampler === undefined) return undefined;
  if (sampler in FIXED_RATE_SAMPLERS) return FIXED_RATE_SAMPLERS[sampler];
  if (!RATIO_SAMPLERS.has(sampler)) {
    problems.push(new ConfigError('OTEL_TRACES_SAMPLER', sampler, 'parentbased_traceidratio, traceidratio, parentbased_always_on/off or always_on/off', 'The default rate is used.'));
    return undefined;
  }
  // The specification's default ratio when the argument is missing or invalid is 1.0.
  const arg = nonEmpty(env.OTEL_TRACES_SAMPLER_ARG);
  if (arg === undefined) return 1;
  const ratio = parseRate(arg);
  if (ratio === undefined) problems.push(new ConfigError('OTEL_TRACES_SAMPLER_ARG', arg, RATE_FORM, "Using 1.0, the specification's default."));
  return ratio ?? 1;
}

const KNOWN_PROPAGATORS: ReadonlySet<string> = new Set<PropagatorName>(['tracecontext', 'baggage', 'b3', 'b3multi', 'sentry']);
export const DEFAULT_PROPAGATORS: ReadonlyArray<PropagatorName> = ['sentry', 'tracecontext', 'baggage'];

/** OTEL_PROPAGATORS, as the specification has it: a list in order, `none` for no propagation; unknown names are reported and skipped. */
function resolvePropagators(env: Env, problems: ConfigError[]): ReadonlyArray<PropagatorName> {
  const raw = nonEmpty(env.OTEL_PROPAGATORS);
  if (raw === undefined) return DEFAULT_PROPAGATORS;
  const names = [...new Set(raw.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean))];
  if (names.includes('none')) return [];
  const known = names.filter((name): name is PropagatorName => KNOWN_PROPAGATORS.has(name));
  if (known.length !== names.length) {
    const unknown = names.filter((name) => !KNOWN_PROPAGATORS.has(name)).join(',');
    problems.push(new ConfigError('OTEL_PROPAGATORS', unknown, `a list of ${[...KNOWN_PROPAGATORS].join(', ')}, or none`, known.length ? 'Those are skipped.' : 'The default list is used.'));
  }
  return known.length ? known : DEFAULT_PROPAGATORS;
}

function resolveOtlpEndpoint(options: TelemetryOptions, env: Env, problems: ConfigError[]): string | undefined {
  if (options.otlpEndpoint !== undefined) {
    return checkEndpoint(options.otlpEndpoint, 'otlpEndpoint', problems);
  }
  const traces = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  if (traces) return checkEndpoint(traces, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', problems);
  const base = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (base) {
    // Per the OTLP spec the signal path is appended to the base endpoint.
    const endpoint = `${base.replace(/\/+$/, '')}/v1/traces`;
    return checkEndpoint(endpoint, 'OTEL_EXPORTER_OTLP_ENDPOINT', problems);
  }
  return undefined;
}

/** Strings and RegExps only (a JavaScript caller may pass `[process.env.UNSET]` or one string); the rest is dropped and reported. */
function resolveIgnoreErrors(value: unknown, problems: ConfigError[]): ReadonlyArray<string | RegExp> {
  if (value === undefined) return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  const rules = list.filter((rule): rule is string | RegExp => (typeof rule === 'string' && rule !== '') || rule instanceof RegExp);
  if (!Array.isArray(value) || rules.length !== list.length) {
    problems.push(new ConfigError('ignoreErrors', Array.isArray(value) ? `[${list.map((rule) => typeof rule).join(', ')}]` : typeof value, "an array of non-empty strings and RegExps, e.g. ['ECONNRESET', /timeout/i]", 'Using its strings and RegExps only.'));
  }
  return rules;
}

function resolveResourceAttributes(env: Env, problems: ConfigError[]): Record<string, string> {
  const raw = nonEmpty(env.OTEL_RESOURCE_ATTRIBUTES);
  const { attributes, problem } = parseResourceAttributes(raw);
  if (problem) {
    // The value is printed: a token someone put in it must not be.
    problems.push(new ConfigError('OTEL_RESOURCE_ATTRIBUTES', defaultScrubber().scrubString(raw ?? ''), 'comma-separated key=value pairs, e.g. service.namespace=salon,k8s.pod.name=web-1', `It has ${problem}; none of its attributes are used.`));
  }
  return attributes;
}

function checkEndpoint(value: string, variable: string, problems: ConfigError[]): string | undefined {
  if (!value) return undefined;
  if (isValidHttpUrl(value)) return value;
  // The value is printed: a password or token in it (user:password@, ?api_key=) must not be.
  problems.push(new ConfigError(variable, defaultScrubber().scrubUrl(value), 'an http(s) URL such as http://collector:4318/v1/traces', 'OTLP export is disabled.'));
  return undefined;
}

/**
 * Merges options, environment and defaults, and validates every value. In strict mode the first
 * invalid value throws a {@link ConfigError}; otherwise it is reported in `problems` and that part is disabled.
 */
export function resolveConfig(options: TelemetryOptions = {}, env: Env = process.env): ResolvedConfig {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('initTelemetry(options): options must be an object, e.g. initTelemetry({ dsn: process.env.SENTRY_DSN })');
  }
  const problems: ConfigError[] = [];
  const strict = options.strict ?? /^(1|true|yes)$/i.test(env.EXPRESS_OTEL_SENTRY_STRICT ?? '');
  const pkg = readNearestPackage();

  const environment = nonEmpty(options.environment) ?? nonEmpty(env.SENTRY_ENVIRONMENT) ?? nonEmpty(env.NODE_ENV) ?? DEFAULT_ENVIRONMENT;
  const isProduction = environment === PRODUCTION;

  let dsn = nonEmpty(options.dsn ?? env.SENTRY_DSN);
  const dsnRejected = dsn !== undefined && !isValidDsn(dsn);
  if (dsn && dsnRejected) {
    problems.push(new ConfigError(options.dsn !== undefined ? 'dsn' : 'SENTRY_DSN', redactDsn(dsn), 'a DSN like https://<key>@o0.ingest.sentry.io/<project>', 'Sentry export is disabled.'));
    dsn = undefined;
  }

  const sentryRateGiven = options.tracesSampleRate !== undefined || nonEmpty(env.SENTRY_TRACES_SAMPLE_RATE) !== undefined;
  const tracesSampleRate = resolveRate(
    options.tracesSampleRate, 'SENTRY_TRACES_SAMPLE_RATE', env,
    (sentryRateGiven ? undefined : otelSamplerRate(env, problems)) ?? (isProduction ? PRODUCTION_TRACES_SAMPLE_RATE : DEFAULT_TRACES_SAMPLE_RATE),
    'Tracing is disabled (rate 0); errors are still reported.', problems,
  );
  const profilesSampleRate = resolveRate(
    options.profilesSampleRate, 'SENTRY_PROFILES_SAMPLE_RATE', env, DEFAULT_PROFILES_SAMPLE_RATE,
    'Profiling is disabled.', problems,
  );

  let maxQueuedSpans = options.maxQueuedSpans ?? DEFAULT_MAX_QUEUED_SPANS;
  if (!Number.isInteger(maxQueuedSpans) || maxQueuedSpans < 1) {
    problems.push(new ConfigError('maxQueuedSpans', maxQueuedSpans, 'a positive integer', `Using ${DEFAULT_MAX_QUEUED_SPANS}.`));
    maxQueuedSpans = DEFAULT_MAX_QUEUED_SPANS;
  }

  const release = nonEmpty(options.release) ?? nonEmpty(env.SENTRY_RELEASE) ?? (pkg.name && pkg.version ? `${pkg.name}@${pkg.version}` : undefined);
  const localViewEnv = nonEmpty(env.SENTRY_LOCAL_VIEW);
  const localView = options.localView ?? (localViewEnv !== undefined ? /^(1|true|yes|on)$/i.test(localViewEnv) : !dsn && !isProduction);
  const spotlightEnv = nonEmpty(env.SENTRY_SPOTLIGHT);

  const ignoreErrors = resolveIgnoreErrors(options.ignoreErrors, problems);
  const otlpEndpoint = resolveOtlpEndpoint(options, env, problems);
  const resourceAttributes = resolveResourceAttributes(env, problems);
  const propagators = resolvePropagators(env, problems);
  if (strict && problems.length > 0) throw problems[0];

  return {
    dsn,
    dsnRejected,
    dsnSource: options.dsn !== undefined ? 'dsn option' : 'SENTRY_DSN',
    environment,
    release,
    tracesSampleRate,
    profilesSampleRate,
    // The specification's order for the two variables; the package name stands in for its `unknown_service`.
    serviceName: nonEmpty(options.serviceName) ?? nonEmpty(env.OTEL_SERVICE_NAME) ?? nonEmpty(resourceAttributes['service.name']) ?? pkg.name ?? FALLBACK_SERVICE_NAME,
    resourceAttributes,
    propagators,
    otlpEndpoint,
    sendSpansToSentry: options.sendSpansToSentry ?? !/^(0|false|no|off)$/i.test(env.EXPRESS_OTEL_SENTRY_SPANS_TO_SENTRY ?? ''),
    otlpHeaders: parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS),
    strict,
    localView,
    maxQueuedSpans,
    ignoreErrors,
    spotlight: options.spotlight ?? (spotlightEnv === undefined ? false : /^(1|true|yes|on)$/i.test(spotlightEnv) ? true : /^(0|false|no|off)$/i.test(spotlightEnv) ? false : spotlightEnv),
    problems: problems.map((p) => p.message),
  };
}
