import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { createConsoleLogger } from './logger';

/** A byte order mark, which editors on Windows put first: parseEnv would make it part of the first name. */
const BOM = '\uFEFF';

/**
 * Loads `.env` from `dir` into process.env without overriding variables that are already set. A `.env` that
 * cannot be read (a directory of that name, a file the process may not read) is skipped with one warning,
 * as the dotenv package does: the real environment (a platform's SENTRY_DSN) still configures telemetry.
 */
export function loadDotEnv(dir: string = process.cwd(), warn: (message: string) => void = (message) => createConsoleLogger().warn(message)): string[] {
  const file = join(dir, '.env');
  if (!existsSync(file)) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    warn(`${file} was not loaded (${error instanceof Error ? error.message : String(error)}); telemetry is configured from the environment alone.`);
    return [];
  }
  const parsed = parseEnv(text.startsWith(BOM) ? text.slice(BOM.length) : text) as Record<string, string>;
  const loaded: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (process.env[name] === undefined) {
      process.env[name] = value;
      loaded.push(name);
    }
  }
  return loaded;
}
