import { makeDsn } from '@sentry/core';
import { defaultScrubber } from '../scrub';
import { checkTelemetryOptions } from './check-options';
import { readAppPackage } from './package-info';
import {
  checkOtlpExportSettings, checkOtlpProtocol, checkOtlpTlsFiles, otelSamplerRate, resolveBatchSettings, resolvePropagators, resolveResourceAttributes, resolveSpanLimits, resolveTracesExporter,
} from './otel-env';
import type { ResolvedConfig, TelemetryOptions } from './types';
import { mergeHeaders } from '../http-client/headers';
import { isWritableHeader } from '../http-client/request';
import { OTEL_BOOLEAN_WORDS, parseSwitch, switchForm, SWITCH_WORDS, type SwitchWords } from './switch';
import { ConfigError, DEFAULT_SHUTDOWN_TIMEOUT_MS, nonEmpty, parseRate, parseShutdownTimeout, RATE_FORM, SHUTDOWN_TIMEOUT_VARIABLE, type Env } from './values';

export { ConfigError } from './values';

const DEFAULT_ENVIRONMENT = 'development';
const PRODUCTION = 'production';
const DEFAULT_TRACES_SAMPLE_RATE = 1.0;
const PRODUCTION_TRACES_SAMPLE_RATE = 0.2;
const DEFAULT_PROFILES_SAMPLE_RATE = 0;
const DEFAULT_MAX_QUEUED_SPANS = 2048;
const FALLBACK_SERVICE_NAME = 'express-app';
const HEADER_FORM = 'name=value pairs, percent-encoded, whose decoded value holds latin1 characters only, no control characters';

/**
 * @sentry/core's DSN_REGEX (utils/dsn), as installed: its parser `console.error`s a DSN that does not match,
 * key and secret in full, so a DSN is held to the same shape here first and Sentry's parser only ever sees
 * one it accepts. test/config/resolve.test.ts keeps the two in step.
 */
const SENTRY_DSN_SHAPE = /^(?:(\w+):)\/\/(?:(\w+)(?::(\w+)?)?@)((?:\[[:.%\w]+\]|[\w.-]+))(?::(\d+))?\/(.+)/;

/**
 * A DSN Sentry's client takes (`makeDsn`: its shape, then `validateDsn`: a numeric project id, http(s)) and
 * that is a URL our transport can send to. Anything else would leave Sentry initialized and sending nothing.
 */
export function isValidDsn(dsn: string): boolean {
  if (!SENTRY_DSN_SHAPE.test(dsn) || makeDsn(dsn) === undefined) return false;
  try {
    new URL(dsn);
    return true;
  } catch {
    return false;
  }
}

/** A scheme as typed, colon or not (`https://`, `https//`): kept, since a typo there is what the line shows. */
const TYPED_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]{0,31}:?\/\//;
/** A Sentry key's shape (32 hex digits or more), wherever a typo put it (`https://<key>.o0.ingest…`). */
const KEY_SHAPED = /[0-9a-f]{32,}/gi;

/**
 * The DSN for a log line, never with its key or secret: everything between the scheme and the last '@'
 * is masked, whatever the typo (no scheme, `https//`, a doubled '@', an '@' in the path). Without an '@'
 * only an http(s) URL with no credentials is shown (its origin and path, runs of 32 hex digits masked):
 * anything else may be a token pasted in its place. Text and one URL parse, no regex that backtracks.
 */
export function redactDsn(dsn: string): string {
  const at = dsn.lastIndexOf('@');
  if (at !== -1) return `${TYPED_SCHEME.exec(dsn)?.[0] ?? ''}***${dsn.slice(at)}`.replace(KEY_SHAPED, '***');
  try {
    const url = new URL(dsn);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '') {
      return `${url.protocol}//${url.host}${url.pathname}`.replace(KEY_SHAPED, '***');
    }
  } catch {
    // not a URL
  }
  return '[unparsable DSN]';
}

function isValidHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * `OTEL_EXPORTER_OTLP_HEADERS` style: `k1=v1,k2=v2`, values URL-encoded. A header that cannot be decoded
 * or written as it is (a name that is not a token, a value outside latin1 or with control characters) is
 * left out and reported by name: its value may be a credential.
 */
function parseHeaderVariable(env: Env, variable: string, problems: ConfigError[]): Record<string, string> {
  const headers: Array<Record<string, string>> = [];
  for (const pair of (env[variable] ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    let name: string | undefined;
    try {
      name = decodeURIComponent(pair.slice(0, at).trim());
      const value = decodeURIComponent(pair.slice(at + 1).trim());
      if (isWritableHeader(name, value)) {
        headers.push({ [name]: value });
        continue;
      }
    } catch {
      // reported below, as one that cannot be written
    }
    problems.push(new ConfigError(variable, `${name ?? pair.slice(0, at).trim()}=<value not shown>`, HEADER_FORM, 'That header is not sent.'));
  }
  return mergeHeaders(...headers);
}

/**
 * The collector's headers: OTEL_EXPORTER_OTLP_HEADERS, with OTEL_EXPORTER_OTLP_TRACES_HEADERS over it (as
 * OpenTelemetry's exporter merges them), one header per name whatever its case: the trace-specific one wins.
 * The only source of them: the exporter does not read the variables again (see OtlpJsonTraceExporter).
 */
function parseOtlpHeaders(env: Env, problems: ConfigError[]): Record<string, string> {
  return mergeHeaders(
    parseHeaderVariable(env, 'OTEL_EXPORTER_OTLP_HEADERS', problems),
    parseHeaderVariable(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', problems),
  );
}

function resolveRate(
  option: { name: string; value: number | undefined },
  variable: string,
  env: Env,
  fallback: number,
  consequence: string,
  problems: ConfigError[],
): number {
  const raw: unknown = option.value ?? nonEmpty(env[variable]);
  if (raw === undefined) return fallback;
  const value = parseRate(raw);
  if (value === undefined) {
    problems.push(new ConfigError(option.value !== undefined ? option.name : variable, raw, RATE_FORM, consequence));
    return 0;
  }
  return value;
}

/** An on/off variable (see parseSwitch); a value that is neither is reported and the caller's default applies. */
function resolveSwitch(env: Env, variable: string, consequence: string, problems: ConfigError[], words: SwitchWords = SWITCH_WORDS): boolean | undefined {
  const value = parseSwitch(env[variable], words);
  if (value !== null) return value;
  problems.push(new ConfigError(variable, env[variable], switchForm(words), consequence));
  return undefined;
}

/** Switches read elsewhere (the logger, the ESM hook, telemetry's start), checked here so that a bad value is reported like any other. */
function checkOtherSwitches(env: Env, problems: ConfigError[]): void {
  resolveSwitch(env, 'EXPRESS_OTEL_SENTRY_DEBUG', 'Debug lines stay off.', problems);
  resolveSwitch(env, 'EXPRESS_OTEL_SENTRY_ESM_HOOK', 'The ESM loader hook is registered when the entry file is ESM, as by default.', problems);
  resolveSwitch(env, 'OTEL_SDK_DISABLED', 'Read as false, as the OpenTelemetry specification has it: tracing runs.', problems, OTEL_BOOLEAN_WORDS);
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

function checkShutdownTimeout(env: Env, problems: ConfigError[]): void {
  const raw = nonEmpty(env[SHUTDOWN_TIMEOUT_VARIABLE]);
  if (raw !== undefined && parseShutdownTimeout(raw) === undefined) {
    problems.push(new ConfigError(SHUTDOWN_TIMEOUT_VARIABLE, raw, 'a number of milliseconds above 0, e.g. 5000', `On SIGTERM/SIGINT the preload flushes for at most ${DEFAULT_SHUTDOWN_TIMEOUT_MS} ms, its default.`));
  }
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
export function resolveConfig(given: TelemetryOptions = {}, env: Env = process.env): ResolvedConfig {
  return resolveTelemetryOptions(given, env).config;
}

/** {@link resolveConfig}, with the options it kept (what it reported, an unknown name or a wrong type, left out). */
export function resolveTelemetryOptions(given: TelemetryOptions = {}, env: Env = process.env): { config: ResolvedConfig; options: TelemetryOptions } {
  if (given === null || typeof given !== 'object') {
    throw new TypeError('initTelemetry(options): options must be an object, e.g. initTelemetry({ dsn: process.env.SENTRY_DSN })');
  }
  const { options, problems } = checkTelemetryOptions(given);
  const strict = options.strict ?? resolveSwitch(env, 'EXPRESS_OTEL_SENTRY_STRICT', 'Not strict: bad values are logged and that part disabled.', problems) ?? false;
  const pkg = readAppPackage();

  // A platform's OTEL_RESOURCE_ATTRIBUTES fill in what nothing more specific sets (the resource then
  // carries the same values as Sentry's events).
  const resourceAttributes = resolveResourceAttributes(env, problems);
  const environment = nonEmpty(options.environment) ?? nonEmpty(env.SENTRY_ENVIRONMENT) ?? nonEmpty(env.NODE_ENV)
    ?? nonEmpty(resourceAttributes['deployment.environment.name'] ?? resourceAttributes['deployment.environment']) ?? DEFAULT_ENVIRONMENT;
  const isProduction = environment === PRODUCTION;

  let dsn = nonEmpty(options.dsn ?? env.SENTRY_DSN);
  const dsnRejected = dsn !== undefined && !isValidDsn(dsn);
  if (dsn && dsnRejected) {
    problems.push(new ConfigError(options.dsn !== undefined ? 'dsn' : 'SENTRY_DSN', redactDsn(dsn), 'a DSN like https://<key>@o0.ingest.sentry.io/<project>', 'Sentry export is disabled.'));
    dsn = undefined;
  }

  const sentryRateGiven = options.tracesSampleRate !== undefined || nonEmpty(env.SENTRY_TRACES_SAMPLE_RATE) !== undefined;
  const tracesSampleRate = resolveRate(
    { name: 'tracesSampleRate', value: options.tracesSampleRate }, 'SENTRY_TRACES_SAMPLE_RATE', env,
    (sentryRateGiven ? undefined : otelSamplerRate(env, problems)) ?? (isProduction ? PRODUCTION_TRACES_SAMPLE_RATE : DEFAULT_TRACES_SAMPLE_RATE),
    'Tracing is disabled (rate 0); errors are still reported.', problems,
  );
  const profilesSampleRate = resolveRate(
    { name: 'profilesSampleRate', value: options.profilesSampleRate }, 'SENTRY_PROFILES_SAMPLE_RATE', env, DEFAULT_PROFILES_SAMPLE_RATE,
    'Profiling is disabled.', problems,
  );

  const batch = resolveBatchSettings(env, problems);
  const spanLimits = resolveSpanLimits(env, problems);
  let maxQueuedSpans = options.maxQueuedSpans ?? batch.maxQueueSize ?? DEFAULT_MAX_QUEUED_SPANS;
  if (!Number.isInteger(maxQueuedSpans) || maxQueuedSpans < 1) {
    problems.push(new ConfigError('maxQueuedSpans', maxQueuedSpans, 'a positive integer', `Using ${DEFAULT_MAX_QUEUED_SPANS}.`));
    maxQueuedSpans = DEFAULT_MAX_QUEUED_SPANS;
  }

  const release = nonEmpty(options.release) ?? nonEmpty(env.SENTRY_RELEASE) ?? nonEmpty(resourceAttributes['service.version'])
    ?? (pkg.name && pkg.version ? `${pkg.name}@${pkg.version}` : undefined);
  const localView = options.localView
    ?? resolveSwitch(env, 'SENTRY_LOCAL_VIEW', 'The default applies: on when no DSN is set and the environment is not production.', problems)
    ?? (!dsn && !isProduction);
  const spotlightEnv = nonEmpty(env.SENTRY_SPOTLIGHT);

  const ignoreErrors = resolveIgnoreErrors(options.ignoreErrors, problems);
  const tracesExporter = resolveTracesExporter(env, problems);
  const otlpEndpoint = options.otlpEndpoint === undefined && tracesExporter === 'none' ? undefined : resolveOtlpEndpoint(options, env, problems);
  if (otlpEndpoint) {
    checkOtlpProtocol(env, problems);
    checkOtlpTlsFiles(env, problems);
  }
  checkOtlpExportSettings(env, problems);
  checkShutdownTimeout(env, problems);
  const propagators = resolvePropagators(env, problems);
  const otlpHeaders = parseOtlpHeaders(env, problems);
  const sendSpansToSentry = options.sendSpansToSentry
    ?? (tracesExporter !== 'none' && (resolveSwitch(env, 'EXPRESS_OTEL_SENTRY_SPANS_TO_SENTRY', 'Spans go to Sentry, as by default.', problems) ?? true));
  if (strict && problems.length > 0) throw problems[0];
  // Logged, never thrown on, even in strict mode: each already falls back to what it means when unset
  // (OTEL_SDK_DISABLED=0 is a common "not disabled", read as false by every OpenTelemetry SDK).
  checkOtherSwitches(env, problems);

  const config: ResolvedConfig = {
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
    sendSpansToSentry,
    otlpHeaders,
    strict,
    localView,
    maxQueuedSpans,
    batch: { maxExportBatchSize: batch.maxExportBatchSize, scheduledDelayMillis: batch.scheduledDelayMillis, exportTimeoutMillis: batch.exportTimeoutMillis },
    spanLimits,
    ignoreErrors,
    // On, off, or (anything else) the sidecar's URL, as @sentry/node reads it.
    spotlight: options.spotlight ?? (spotlightEnv === undefined ? false : parseSwitch(spotlightEnv) ?? spotlightEnv),
    problems: problems.map((p) => p.message),
  };
  return { config, options };
}
