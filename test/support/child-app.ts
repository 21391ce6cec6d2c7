import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

export const ROOT = join(__dirname, '..', '..');
export const FIXTURES = join(ROOT, 'test', 'integration', 'fixtures');

export interface ChildApp {
  port: number;
  url: string;
  process: ChildProcess;
  /** fetch() against the app, untraced: this test process's own trace context must not reach the child. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Sends a signal and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ChildAppOptions {
  /** The app file, relative to the fixtures folder or absolute. */
  entry: string;
  env?: Record<string, string | undefined>;
  /** Node flags; by default the library's preload. */
  execArgv?: string[];
  cwd?: string;
  /** How long to wait for the app's LISTENING line. @default 30000 */
  startTimeoutMs?: number;
}

/** Variables of this test process that must not leak into a child's configuration. */
const CONFIG_VARIABLES = [
  'SENTRY_DSN', 'SENTRY_ENVIRONMENT', 'SENTRY_RELEASE', 'SENTRY_TRACES_SAMPLE_RATE', 'SENTRY_PROFILES_SAMPLE_RATE',
  'OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'EXPRESS_OTEL_SENTRY_STRICT',
  'NODE_ENV', 'SENTRY_LOCAL_VIEW', 'SENTRY_SPOTLIGHT',
  'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG', 'OTEL_PROPAGATORS', 'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_KEY',
];

/** fetch() outside any trace of this process (the test kit instruments it). */
export function untracedFetch(url: string, init?: RequestInit): Promise<Response> {
  return context.with(suppressTracing(context.active()), () => fetch(url, init));
}

/** Starts an app with `node --import express-otel-sentry/register` and waits until it listens. */
export function startChildApp(options: ChildAppOptions): Promise<ChildApp> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARIABLES) delete env[name];
  Object.assign(env, { SENTRY_LOCAL_VIEW: '0', PORT: '0' }, options.env);
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const entry = options.entry.startsWith('/') ? options.entry : join(FIXTURES, options.entry);
  const child = spawn(process.execPath, [...(options.execArgv ?? ['--import', 'express-otel-sentry/register']), entry], {
    cwd: options.cwd ?? ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`app ${options.entry} did not start within ${options.startTimeoutMs ?? 30000} ms:\n${output}`));
    }, options.startTimeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LISTENING (\d+)/.exec(output);
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        const port = Number(match[1]);
        resolve({
          port,
          url: `http://127.0.0.1:${port}`,
          process: child,
          output: () => output,
          fetch: (path, init) => untracedFetch(`http://127.0.0.1:${port}${path}`, init),
          exited,
          stop: async (signal = 'SIGTERM') => {
            const started = Date.now();
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            const result = await exited;
            return { ...result, ms: Date.now() - started };
          },
        });
      }
    };
    let settled = false;
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(({ code, signal }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`app ${options.entry} exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}
