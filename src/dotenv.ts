import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

/** A byte order mark, which editors on Windows put first: parseEnv would make it part of the first name. */
const BOM = '\uFEFF';

/** Loads `.env` from `dir` into process.env without overriding variables that are already set. */
export function loadDotEnv(dir: string = process.cwd()): string[] {
  const file = join(dir, '.env');
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
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
