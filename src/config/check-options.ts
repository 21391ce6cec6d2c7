import type { TelemetryOptions } from './types';
import { ConfigError } from './values';

type OptionName = keyof TelemetryOptions;

/** What each option takes, as a check and as the words a log line uses for it. */
interface OptionShape {
  accepts(value: unknown): boolean;
  accepted: string;
}

const STRING: OptionShape = { accepts: (value) => typeof value === 'string', accepted: 'a string' };
const BOOLEAN: OptionShape = { accepts: (value) => typeof value === 'boolean', accepted: 'true or false' };
// Ranges are checked where the value is resolved (with the same words as for the variables).
const NUMBER: OptionShape = { accepts: (value) => typeof value === 'number', accepted: 'a number' };
// A rate may come straight from a variable of the app's own (`Number()` forgotten): its text is read as a variable's is.
const RATE: OptionShape = { accepts: (value) => typeof value === 'number' || typeof value === 'string', accepted: 'a number from 0 to 1' };
const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

const OPTION_SHAPES: Record<OptionName, OptionShape> = {
  dsn: STRING,
  environment: STRING,
  release: STRING,
  tracesSampleRate: RATE,
  profilesSampleRate: RATE,
  serviceName: STRING,
  otlpEndpoint: STRING,
  sendSpansToSentry: BOOLEAN,
  scrub: { accepts: (value) => value !== null && typeof value === 'object', accepted: 'an object of scrubbing rules, e.g. { keys: [\'iban\'] }' },
  classifyError: { accepts: (value) => typeof value === 'function', accepted: "a function of the error returning a category, e.g. (error) => error instanceof BookingError ? 'booking' : undefined" },
  strict: BOOLEAN,
  logger: {
    accepts: (value) => value !== null && typeof value === 'object' && LOGGER_METHODS.every((method) => typeof (value as Record<string, unknown>)[method] === 'function'),
    accepted: 'an object with debug, info, warn and error functions, e.g. console or a pino logger',
  },
  localView: BOOLEAN,
  maxQueuedSpans: NUMBER,
  // Its items are checked where it is resolved (the strings and RegExps are kept, the rest reported).
  ignoreErrors: { accepts: () => true, accepted: 'an array of strings and RegExps' },
  spotlight: { accepts: (value) => typeof value === 'boolean' || typeof value === 'string', accepted: 'true, false or a URL' },
};

const OPTION_NAMES = Object.keys(OPTION_SHAPES) as OptionName[];

/** A value's kind in words: 'a string', 'an object', 'an array', 'null'. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** How a rejected value is printed: a primitive as it is (cut short), an object or function by its kind only. */
function describe(value: unknown): string {
  if (value === null || typeof value === 'object' || typeof value === 'function') return kindOf(value);
  const text = String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Edit distance, for "did you mean": option names are short, so the plain table is fine. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function closestOption(name: string): OptionName | undefined {
  const lower = name.toLowerCase();
  let best: OptionName | undefined;
  let bestDistance = 3;
  for (const option of OPTION_NAMES) {
    const d = distance(lower, option.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [option, d];
  }
  return best;
}

/**
 * The options of `initTelemetry` as a JavaScript caller may pass them: an unknown name (a misspelt
 * `tracesSamplerate`) or a value of the wrong type (`sendSpansToSentry: 'false'`) is reported and left
 * out, so that the environment and the defaults apply, as for a bad variable. Never mutates `options`.
 */
export function checkTelemetryOptions(options: TelemetryOptions): { options: TelemetryOptions; problems: ConfigError[] } {
  const checked: Record<string, unknown> = {};
  const problems: ConfigError[] = [];
  for (const name of Object.keys(options)) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    const shape = OPTION_SHAPES[name as OptionName] as OptionShape | undefined;
    if (!shape) {
      const closest = closestOption(name);
      // Its type only: an unknown name says nothing about whether its value is a secret (a misspelt dsn).
      problems.push(new ConfigError(`option ${name}`, kindOf(value), closest ? `an option of initTelemetry (did you mean ${closest}?)` : `an option of initTelemetry (${OPTION_NAMES.join(', ')})`, 'It is ignored.'));
    } else if (!shape.accepts(value)) {
      problems.push(new ConfigError(name, describe(value), shape.accepted, 'The environment or the default applies instead.'));
    } else {
      checked[name] = value;
    }
  }
  return { options: checked as TelemetryOptions, problems };
}
