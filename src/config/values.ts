/** What every part of the configuration shares: the rejected-value error and how values are read. */

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

export type Env = NodeJS.ProcessEnv;

export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = typeof value === 'string' ? value.trim() : undefined;
  return trimmed ? trimmed : undefined;
}

export const RATE_FORM = 'a number from 0 to 1, e.g. 0.2';

/** A rate in [0, 1] from an option (number) or a variable (decimal text only: no hex, exponents or blanks). */
export function parseRate(raw: unknown): number | undefined {
  if (typeof raw === 'string' && !/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(raw)) return undefined;
  const value = typeof raw === 'number' ? raw : Number(raw);
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
}

export const SHUTDOWN_TIMEOUT_VARIABLE = 'EXPRESS_OTEL_SENTRY_SHUTDOWN_TIMEOUT_MS';
/** The preload's flush bound on SIGTERM/SIGINT, in ms. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 2000;

/** EXPRESS_OTEL_SENTRY_SHUTDOWN_TIMEOUT_MS: a finite number of milliseconds above 0; undefined when unset or not that. */
export function parseShutdownTimeout(raw: string | undefined): number | undefined {
  const text = nonEmpty(raw);
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}
