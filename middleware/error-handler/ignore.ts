import { isError } from '@sentry/core';
import { copyRegExp } from '../../src/scrub/options';
import { readProperty } from './respond';

export type IgnoreRule = string | RegExp;

export function isIgnoreRule(rule: unknown): rule is IgnoreRule {
  return typeof rule === 'string' || rule instanceof RegExp;
}

function matches(texts: ReadonlyArray<unknown>, rules: ReadonlyArray<IgnoreRule>): boolean {
  return rules.some((rule) => texts.some((text) => typeof text === 'string' && (typeof rule === 'string' ? text.includes(rule) : rule.test(text))));
}

/** errorHandler's own `ignoreErrors`: against the message, the name, and `name: message`. */
export function matchesOwnRules(error: unknown, rules: ReadonlyArray<IgnoreRule>): boolean {
  if (rules.length === 0) return false;
  const message = typeof error === 'string' ? error : readProperty(error, 'message');
  const name = readProperty(error, 'name');
  return matches([message, name, typeof name === 'string' && typeof message === 'string' ? `${name}: ${message}` : undefined], rules);
}

/**
 * The texts Sentry's own `ignoreErrors` filter (initTelemetry's) tests for this error: the exception's
 * value and `type: value`, when the value is not empty; a primitive is captured as `new Error(String(v))`.
 * Plain objects get a message Sentry words itself: not predicted (none).
 */
function sentryMessagesOf(error: unknown): string[] {
  try {
    if (error === null || (typeof error !== 'object' && typeof error !== 'function')) {
      const value = String(error);
      return value ? [value, `Error: ${value}`] : [];
    }
    if (!isError(error)) return [];
    const message = readProperty(error, 'message');
    const value = typeof message === 'string' ? message : '';
    if (!value) return [];
    const name = readProperty(error, 'name');
    const type = typeof name === 'string' && name ? name : (error as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof type === 'string' && type ? [value, `${type}: ${value}`] : [value];
  } catch {
    return [];
  }
}

/** Whether Sentry would drop this error's event by initTelemetry's `ignoreErrors`. */
export function matchesSentryRules(error: unknown, rules: ReadonlyArray<IgnoreRule>): boolean {
  return rules.length > 0 && matches(sentryMessagesOf(error), rules);
}

/** Strings and RegExps only, the RegExps copied without g/y (whose lastIndex would make every other test fail). */
export function statelessRules(rules: unknown): IgnoreRule[] {
  if (!Array.isArray(rules)) return [];
  return (rules as unknown[]).filter(isIgnoreRule).map((rule) => (typeof rule === 'string' ? rule : copyRegExp(rule, 'gy')));
}
