import { parseSwitch } from './config/switch';
import { printable } from './printable';

/** Where the library's own log lines go. `console` fits; so do pino and winston loggers. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const PREFIX = '[express-otel-sentry]';

/**
 * Logs through `console`, one prefixed line each (messages may quote what an app threw: made printable);
 * `debug` only when `EXPRESS_OTEL_SENTRY_DEBUG` is on (1, true, yes, on).
 */
export function createConsoleLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  // Switched on by an on word only: `0` and `false` are off (a value that is neither is reported by resolveConfig).
  const verbose = parseSwitch(env.EXPRESS_OTEL_SENTRY_DEBUG) === true;
  return {
    debug: (message) => {
      if (verbose) console.debug(`${PREFIX} ${printable(message)}`);
    },
    info: (message) => console.info(`${PREFIX} ${printable(message)}`),
    warn: (message) => console.warn(`${PREFIX} ${printable(message)}`),
    error: (message) => console.error(`${PREFIX} ${printable(message)}`),
  };
}

/** Says nothing (a telemetry that must stay silent, a transport nobody listens to). */
export const SILENT_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Wraps a user logger so that a throwing logger never breaks the caller. */
export function safeLogger(logger: Logger): Logger {
  const guard = (level: keyof Logger) => (message: string) => {
    try {
      logger[level](message);
    } catch {
      // A broken logger must not take the app down; there is nowhere left to report it.
    }
  };
  return { debug: guard('debug'), info: guard('info'), warn: guard('warn'), error: guard('error') };
}
