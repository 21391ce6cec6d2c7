/**
 * Helpers of the reliability tests: the fixture app as a child process, load from a second process,
 * and the child's own view of itself (RSS, span queue stats, a flush barrier).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startChildApp, type ChildApp } from '../support/child-app';
import type { FakeSentry } from '../support/fake-sentry';

export const FIXTURES = join(__dirname, 'fixtures');
export const APP = join(FIXTURES, 'app.cjs');
export const CLASSIFY_APP = join(FIXTURES, 'classify-app.cjs');
const LOADER = join(FIXTURES, 'load.cjs');
const { MARKERS } = require('./fixtures/harness.cjs') as { MARKERS: Record<string, string> };

/** Longer soak runs only when asked: RELIABILITY_LONG=1. */
export const LONG = /^(1|true|yes)$/i.test(process.env.RELIABILITY_LONG ?? '');

export interface LoadResult {
  requests: number;
  rps: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  p50: number;
  p99: number;
  max: number;
}

export interface QueueStats {
  queued: number;
  exported: number;
  failed: number;
  dropped: number;
}

/**
 * Starts a fixture app, its DSN and OTLP endpoint pointing at the fake: with the preload, except for the
 * classify app, which calls initTelemetry itself.
 */
export function startReliabilityApp(fake: FakeSentry, env: Record<string, string | undefined> = {}, entry = APP): Promise<ChildApp> {
  return startChildApp({
    entry,
    ...(entry === CLASSIFY_APP ? { execArgv: [] } : {}),
    env: { SENTRY_DSN: fake.dsn, OTEL_EXPORTER_OTLP_ENDPOINT: fake.collectorBaseUrl, SENTRY_ENVIRONMENT: 'test', ...env },
  });
}

/** autocannon in a second process, bounded in time. */
export function runLoad(app: ChildApp, path: string, seconds: number, connections = 10, rate?: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [LOADER, `${app.url}${path}`, String(seconds), String(connections), ...(rate ? [String(rate)] : [])],
      { cwd: join(__dirname, '..', '..'), timeout: (seconds + 30) * 1000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`load failed: ${error.message}\n${stderr}`));
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as LoadResult);
        } catch {
          reject(new Error(`load printed no result: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

export async function getJson<T>(app: ChildApp, path: string, init?: RequestInit): Promise<T> {
  const response = await app.fetch(path, init);
  assert.equal(response.status, 200, `${path} answered ${response.status}`);
  return (await response.json()) as T;
}

export const rssOf = async (app: ChildApp): Promise<number> => (await getJson<{ rss: number }>(app, '/__rss')).rss;

export const spanStatsOf = async (app: ChildApp): Promise<Record<string, QueueStats>> =>
  (await getJson<{ spanStats: Record<string, QueueStats> }>(app, '/__stats')).spanStats;

/** Waits until every event the child captured so far was processed and handed to the transport. */
export const flushChild = (app: ChildApp, timeoutMs = 5000): Promise<{ ok: boolean }> =>
  getJson<{ ok: boolean }>(app, `/__flush?timeout=${timeoutMs}`, { method: 'POST' });

/**
 * The child is alive and printed no unhandled rejection or uncaught exception (since `from`, an offset
 * into its output, so that a shared child attributes a marker to the case that caused it).
 */
export function assertHealthy(app: ChildApp, from = 0): void {
  assert.equal(app.process.exitCode, null, `the app exited (${app.process.exitCode}):\n${app.output()}`);
  assert.equal(app.process.signalCode, null, `the app was killed (${app.process.signalCode}):\n${app.output()}`);
  const output = app.output().slice(from);
  for (const marker of Object.values(MARKERS)) {
    assert.ok(!output.includes(marker), `the app printed ${marker}:\n${output.slice(-4000)}`);
  }
}

export const MB = 1024 * 1024;
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
