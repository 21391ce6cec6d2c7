/**
 * The OpenTelemetry SDK's own environment variables we honour, read as its specification has them:
 * OTEL_TRACES_SAMPLER (+ _ARG), OTEL_PROPAGATORS and OTEL_RESOURCE_ATTRIBUTES.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import { defaultScrubber } from '../scrub';
import { parseResourceAttributes } from './resource-attributes';
import type { PropagatorName } from './types';
import { ConfigError, nonEmpty, parseRate, RATE_FORM, type Env } from './values';

const FIXED_RATE_SAMPLERS: Record<string, number> = { always_on: 1, parentbased_always_on: 1, always_off: 0, parentbased_always_off: 0 };
const RATIO_SAMPLERS = new Set(['traceidratio', 'parentbased_traceidratio']);

/**
 * OTEL_TRACES_SAMPLER (+ _ARG), the variables an OpenTelemetry operator injects, as a rate: used when neither
 * the option nor SENTRY_TRACES_SAMPLE_RATE is set. Our sampler is always parent-based (a child never breaks
 * its parent's trace), so `always_on` and `traceidratio` count as their `parentbased_` forms.
 */
export function otelSamplerRate(env: Env, problems: ConfigError[]): number | undefined {
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
export function resolvePropagators(env: Env, problems: ConfigError[]): ReadonlyArray<PropagatorName> {
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

export function resolveResourceAttributes(env: Env, problems: ConfigError[]): Record<string, string> {
  const raw = nonEmpty(env.OTEL_RESOURCE_ATTRIBUTES);
  const { attributes, problem } = parseResourceAttributes(raw);
  if (problem) {
    // The value is printed: a token someone put in it must not be.
    problems.push(new ConfigError('OTEL_RESOURCE_ATTRIBUTES', defaultScrubber().scrubString(raw ?? ''), 'comma-separated key=value pairs, e.g. service.namespace=salon,k8s.pod.name=web-1', `It has ${problem}; none of its attributes are used.`));
  }
  return attributes;
}

/**
 * OTEL_TRACES_EXPORTER: `otlp` (the default) or `none`, the off switch platforms use: no spans leave, to
 * the collector or to Sentry (errors still go to Sentry). Other exporters (console, zipkin) are not built
 * in: reported, and the rest of the list is used.
 */
export function resolveTracesExporter(env: Env, problems: ConfigError[]): 'otlp' | 'none' {
  const raw = nonEmpty(env.OTEL_TRACES_EXPORTER);
  if (raw === undefined) return 'otlp';
  const names = raw.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  const unsupported = names.filter((name) => name !== 'otlp' && name !== 'none');
  if (unsupported.length > 0) problems.push(new ConfigError('OTEL_TRACES_EXPORTER', unsupported.join(','), 'otlp or none', 'Spans go to OTLP as configured.'));
  return names.includes('none') && !names.includes('otlp') ? 'none' : 'otlp';
}

/** OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL: spans are sent as OTLP/HTTP (JSON, which every OTLP/HTTP receiver accepts); gRPC cannot be. */
export function checkOtlpProtocol(env: Env, problems: ConfigError[]): void {
  const variable = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = nonEmpty(env[variable])?.toLowerCase();
  if (protocol === undefined || protocol === 'http/json' || protocol === 'http/protobuf') return;
  problems.push(new ConfigError(variable, protocol, 'http/protobuf or http/json', "Spans are sent as OTLP/HTTP JSON: point the endpoint at the collector's OTLP/HTTP port (4318), not gRPC's (4317)."));
}

/**
 * The batch span processor's OTEL_BSP_* settings: the sizes a positive integer, the delay and the timeout
 * 0 or more (the specification's Duration and Timeout: a 0 delay exports at once, a 0 timeout sets no limit
 * on an export, whose requests are still bounded by the exporter's own timeout). A bad one is reported and
 * left at our default.
 */
export interface BatchSettings {
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
}

const POSITIVE = { min: 1, form: 'a positive whole number' };
const MILLISECONDS = { min: 0, form: 'a whole number of milliseconds, 0 or more' };

const BATCH_VARIABLES: ReadonlyArray<[keyof BatchSettings, string, { min: number; form: string }]> = [
  ['maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE', POSITIVE],
  ['maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', POSITIVE],
  ['scheduledDelayMillis', 'OTEL_BSP_SCHEDULE_DELAY', MILLISECONDS],
  ['exportTimeoutMillis', 'OTEL_BSP_EXPORT_TIMEOUT', MILLISECONDS],
];

export function resolveBatchSettings(env: Env, problems: ConfigError[]): BatchSettings {
  const settings: BatchSettings = {};
  for (const [key, variable, { min, form }] of BATCH_VARIABLES) {
    const raw = nonEmpty(env[variable]);
    if (raw === undefined) continue;
    const value = Number(raw);
    if (/^\d+$/.test(raw) && value >= min && Number.isSafeInteger(value)) settings[key] = value;
    else problems.push(new ConfigError(variable, raw, form, 'Its default is used.'));
  }
  return settings;
}

/** The OTEL_SPAN_* / OTEL_ATTRIBUTE_* limits, as the TracerProvider takes them; unset ones are left to OpenTelemetry's defaults. */
export interface SpanLimitSettings {
  attributeCountLimit?: number;
  attributeValueLengthLimit?: number;
  eventCountLimit?: number;
  linkCountLimit?: number;
  attributePerEventCountLimit?: number;
  attributePerLinkCountLimit?: number;
}

/** Each limit's variables, the more specific first (NodeSDK's order). */
const SPAN_LIMIT_VARIABLES: ReadonlyArray<[keyof SpanLimitSettings, ReadonlyArray<string>]> = [
  ['attributeCountLimit', ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT']],
  ['attributeValueLengthLimit', ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT']],
  ['eventCountLimit', ['OTEL_SPAN_EVENT_COUNT_LIMIT']],
  ['linkCountLimit', ['OTEL_SPAN_LINK_COUNT_LIMIT']],
  ['attributePerEventCountLimit', ['OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', 'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT']],
  ['attributePerLinkCountLimit', ['OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT']],
];

/**
 * The span limits, each a number, 0 or more (a negative one is invalid and the default applies). A bad value is reported and the next variable or OpenTelemetry's default is
 * used: a negative count limit would otherwise strip every attribute from every span, silently.
 */
export function resolveSpanLimits(env: Env, problems: ConfigError[]): SpanLimitSettings {
  const limits: SpanLimitSettings = {};
  for (const [key, variables] of SPAN_LIMIT_VARIABLES) {
    for (const [index, variable] of variables.entries()) {
      const raw = nonEmpty(env[variable]);
      if (raw === undefined) continue;
      // Read as OpenTelemetry's own environment parsing reads numbers, which honoured them before this
      // check existed: `1e4`, `128.0`, `+4096`, `0x10`, and `Infinity` for no limit. Only a value it
      // cannot read, or a negative one (which strips every attribute), is refused.
      const value = Number(raw);
      if (value >= 0) {
        limits[key] = value;
        break;
      }
      const next = variables[index + 1];
      problems.push(new ConfigError(variable, raw, 'a number, 0 or more', next ? `${next} or the default applies.` : 'The default applies.'));
    }
  }
  return limits;
}

const OTLP_COMPRESSIONS = new Set(['gzip', 'none']);

/**
 * OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT and _COMPRESSION, which OpenTelemetry's exporter configuration reads
 * itself (for Sentry's spans and the collector's alike), rejecting what is checked here (a timeout that is
 * not a number above 0, a compression other than gzip or none) with a line on its diagnostic logger only,
 * which is silent unless OTEL_LOG_LEVEL is set. Reported here like any bad value; the same rule, so that
 * what is reported is exactly what is not used (the generic variable, then the default, applies).
 */
export function checkOtlpExportSettings(env: Env, problems: ConfigError[]): void {
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']) {
    const raw = nonEmpty(env[variable]);
    const value = Number(raw);
    if (raw !== undefined && !(Number.isFinite(value) && value > 0)) {
      problems.push(new ConfigError(variable, raw, 'a number of milliseconds above 0, e.g. 10000', variable.includes('TRACES') ? 'OTEL_EXPORTER_OTLP_TIMEOUT or the default (10000) applies.' : 'The default (10000) applies.'));
    }
  }
  for (const variable of ['OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION']) {
    const raw = nonEmpty(env[variable]);
    if (raw !== undefined && !OTLP_COMPRESSIONS.has(raw)) {
      problems.push(new ConfigError(variable, raw, 'gzip or none (lower case)', variable.includes('TRACES') ? 'OTEL_EXPORTER_OTLP_COMPRESSION or none applies.' : 'Spans are sent uncompressed.'));
    }
  }
}

const TLS_FILES: ReadonlyArray<[name: string, consequence: string]> = [
  ['CERTIFICATE', "The collector's certificate is checked against Node's CAs only."],
  ['CLIENT_CERTIFICATE', 'No client certificate is presented to the collector.'],
  ['CLIENT_KEY', 'No client certificate is presented to the collector.'],
];

/**
 * OTEL_EXPORTER_OTLP_(TRACES_)CERTIFICATE, CLIENT_CERTIFICATE and CLIENT_KEY name files the collector's
 * exporter reads; one that cannot be read is left out there with a line on OpenTelemetry's diagnostic
 * logger only (silent unless OTEL_LOG_LEVEL is set), and the connection then fails on TLS for no visible
 * reason. Only the variable that is read is checked: the TRACES_ one when set.
 */
export function checkOtlpTlsFiles(env: Env, problems: ConfigError[]): void {
  for (const [name, consequence] of TLS_FILES) {
    const specific = `OTEL_EXPORTER_OTLP_TRACES_${name}`;
    const variable = nonEmpty(env[specific]) !== undefined ? specific : `OTEL_EXPORTER_OTLP_${name}`;
    const path = nonEmpty(env[variable]);
    if (path === undefined) continue;
    try {
      accessSync(path, fsConstants.R_OK);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(new ConfigError(variable, path, `a readable PEM file (${reason})`, consequence));
    }
  }
}
