/**
 * On/off variables (EXPRESS_OTEL_SENTRY_STRICT, _DEBUG, _SPANS_TO_SENTRY, _ESM_HOOK, SENTRY_LOCAL_VIEW,
 * OTEL_SDK_DISABLED), read one way everywhere: trimmed (a YAML or compose value may carry a blank) and in
 * any case. A value that is neither on nor off is not guessed at: the caller reports it and keeps its default.
 * No imports: register.ts and the logger read switches before anything else is loaded.
 */

export interface SwitchWords {
  on: ReadonlyArray<string>;
  off: ReadonlyArray<string>;
}

export const SWITCH_WORDS: SwitchWords = { on: ['1', 'true', 'yes', 'on'], off: ['0', 'false', 'no', 'off'] };

/**
 * OpenTelemetry's Boolean variables (OTEL_SDK_DISABLED): its specification knows `true` and `false` only
 * and reads anything else as false (so `1` does not disable the SDK, in any OpenTelemetry SDK).
 */
export const OTEL_BOOLEAN_WORDS: SwitchWords = { on: ['true'], off: ['false'] };

/** The accepted form, for the log line about a bad value. */
export function switchForm(words: SwitchWords = SWITCH_WORDS): string {
  return `${words.on.join(', ')} (on) or ${words.off.join(', ')} (off), in any case`;
}

/** true or false; undefined when unset or blank; null for a value that is neither (to be reported). */
export function parseSwitch(raw: string | undefined, words: SwitchWords = SWITCH_WORDS): boolean | null | undefined {
  const value = raw?.trim().toLowerCase();
  if (!value) return undefined;
  if (words.on.includes(value)) return true;
  if (words.off.includes(value)) return false;
  return null;
}
