/**
 * The test database: `DATABASE_URL` if set, otherwise an embedded PostgreSQL
 * (examples/embedded-postgres.js) in the shared, git-ignored `.data/pg-test` directory.
 *
 * - Started once per process (memoized); a warm start takes ~0.1-0.3 s, the very first ~1-2 s.
 * - While it runs, `process.env.DATABASE_URL` is set to its URL, so child processes spawned
 *   with the inherited environment (example app, fixtures) use the same server instead of
 *   starting their own. Keep this process alive until those children are done.
 * - `.data/pg-test` is protected by a lock file: a second test run at the same time gets a
 *   throw-away directory of its own (see examples/embedded-postgres.js).
 * - Forgetting stopTestDatabase() is harmless: the server stops when this process exits.
 */
import * as path from 'node:path';

export interface TestDatabase {
  url: string;
  kind: string;
}

interface Handle {
  url: string;
  kind: 'external' | 'postgres' | 'pglite';
  stop(): Promise<void>;
}

interface EmbeddedPostgresModule {
  resolveDatabase(options?: {
    dataDir?: string;
    port?: number;
    maxConnections?: number;
    log?: { info?: (...args: unknown[]) => void; warn?: (...args: unknown[]) => void; error?: (...args: unknown[]) => void } | null;
  }): Promise<Handle>;
}

// Plain CommonJS file shared with the example app (no .d.ts: typed by the interface above).
const embedded: EmbeddedPostgresModule = require('../../examples/embedded-postgres.js');

const repoRoot = path.resolve(__dirname, '..', '..');

let pending: Promise<Handle> | undefined;
let exportedUrl: string | undefined;

export function getTestDatabase(): Promise<TestDatabase> {
  if (!pending) {
    const started = embedded
      .resolveDatabase({
        dataDir: path.join(repoRoot, '.data', 'pg-test'),
        // Several pg/knex pools (10 each by default) plus child processes share it.
        maxConnections: 100,
        log: process.env.EMBEDDED_PG_VERBOSE ? console : { warn: console.warn, error: console.error },
      })
      .then((handle) => {
        if (handle.kind !== 'external') {
          process.env.DATABASE_URL = handle.url;
          exportedUrl = handle.url;
        }
        return handle;
      });
    started.catch(() => {
      if (pending === started) pending = undefined;
    });
    pending = started;
  }
  return pending.then(({ url, kind }) => ({ url, kind }));
}

export async function stopTestDatabase(): Promise<void> {
  const current = pending;
  pending = undefined;
  if (!current) return;
  const handle = await current.catch(() => undefined);
  if (exportedUrl !== undefined && process.env.DATABASE_URL === exportedUrl) delete process.env.DATABASE_URL;
  exportedUrl = undefined;
  await handle?.stop();
}
