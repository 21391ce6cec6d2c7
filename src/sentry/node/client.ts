import * as os from 'node:os';
import {
  applySdkMetadata, createStackParser, debug, envToBool, getCurrentScope, getIntegrationsToSetup, GLOBAL_OBJ,
  type Integration, type Options,
} from '@sentry/core';
import {
  _INTERNAL_getReleaseFromCommitEnv, nodeStackLineParser, ServerRuntimeClient, type ServerRuntimeClientOptions,
} from '@sentry/core/server';
import { moduleFromFilename } from './module-name';
import { useAsyncLocalStorageForScopes } from '../otel-scopes';

/** As @sentry/node: discarded-event counts go out once a minute and when the process is about to exit. */
const CLIENT_REPORT_FLUSH_INTERVAL_MS = 60_000;

/** A flush's hold on the process is a timer that never needs to fire: it only keeps the event loop open. */
const HOLD_TICK_MS = 60_000;
const noop = (): void => {};

/** The Node stack parser of @sentry/node (frames' `module` named from their file path). */
export const nodeStackParser = createStackParser(nodeStackLineParser(moduleFromFilename()));

type ClientOptions = ServerRuntimeClientOptions & { includeServerName?: boolean };

/**
 * @sentry/node's `NodeClient` without what its package entry drags in (620 modules, about a third of a
 * second of start-up and 7 MB of heap, for integrations we switch off): the same `platform`, `runtime`,
 * `server_name`, SDK metadata and client reports, built on @sentry/core's server client. What NodeClient
 * adds for Sentry's own tracing (its tracer provider, span streaming hooks) is not needed: OpenTelemetry
 * owns tracing here.
 */
export class NodeRuntimeClient extends ServerRuntimeClient<ClientOptions> {
  private readonly emitFlushOnExit = (): void => void this.emit('flush');
  private readonly flushOutcomesOnExit = (): void => this.flushClientReports();
  private clientReportTimer: NodeJS.Timeout | undefined;

  constructor(options: ClientOptions) {
    const serverName = options.includeServerName === false ? undefined : options.serverName || process.env.SENTRY_NAME || os.hostname();
    const clientOptions: ClientOptions = {
      ...options,
      platform: 'node',
      runtime: options.runtime || { name: 'node', version: process.version },
      serverName,
    };
    applySdkMetadata(clientOptions, 'node');
    super(clientOptions);
    process.on('beforeExit', this.emitFlushOnExit);
  }

  /** Starts the periodic client reports, as Sentry.init does; `close()` stops them. */
  startClientReportTracking(): void {
    if (!this.getOptions().sendClientReports) return;
    this.clientReportTimer = setInterval(this.flushOutcomesOnExit, CLIENT_REPORT_FLUSH_INTERVAL_MS);
    this.clientReportTimer.unref();
    // Once, unlike @sentry/node: when Sentry cannot be reached, each report of what failed to arrive
    // fails too and is itself an outcome to report at the next 'beforeExit', which kept a job from ending.
    process.once('beforeExit', this.flushOutcomesOnExit);
  }

  /**
   * Keeps the process alive while it flushes: envelopes in flight hold it only briefly (see
   * HOLD_PROCESS_MS), and a flush that was asked for is waited for, up to its own timeout.
   */
  override async flush(timeout?: number): Promise<boolean> {
    this.flushClientReports();
    const hold = setInterval(noop, HOLD_TICK_MS);
    try {
      return await super.flush(timeout);
    } finally {
      clearInterval(hold);
    }
  }

  /**
   * Stops at once, without a flush: what a later copy of the library in the same process does to this
   * one (see telemetry.ts). A flush there can hang (jest has torn down this copy's globals, timers among
   * them), and this client's timers and 'close' listeners held the copy's whole module graph.
   */
  retire(): void {
    if (this.clientReportTimer) clearInterval(this.clientReportTimer);
    this.getOptions().enabled = false;
    this.emit('close');
  }

  override async close(timeout?: number): Promise<boolean> {
    if (this.clientReportTimer) clearInterval(this.clientReportTimer);
    process.off('beforeExit', this.flushOutcomesOnExit);
    process.off('beforeExit', this.emitFlushOnExit);
    return super.close(timeout);
  }

  private flushClientReports(): void {
    if (this.getOptions().sendClientReports) this._flushOutcomes();
  }
}

/**
 * The release Sentry.init falls back to when none is given: SENTRY_RELEASE, one injected by Sentry's
 * bundler plugins, else the commit CI or the host is building (GITHUB_SHA, VERCEL_GIT_COMMIT_SHA, ...).
 */
export function detectedRelease(): string | undefined {
  return process.env.SENTRY_RELEASE || (GLOBAL_OBJ as { SENTRY_RELEASE?: { id?: string } }).SENTRY_RELEASE?.id || _INTERNAL_getReleaseFromCommitEnv();
}

/** What `initNodeClient` takes: Sentry.init's options, integrations as a function of the defaults given. */
export type NodeClientInit = Omit<Options, 'integrations' | 'stackParser' | 'transport'> &
  Pick<ServerRuntimeClientOptions, 'transport'> & {
    defaultIntegrations: Integration[];
    integrations?: (defaults: Integration[]) => Integration[];
  };

/**
 * Sentry.init for this library: builds and binds the client as @sentry/node's `init` does with Sentry's
 * own tracing off (`SENTRY_DEBUG`, SDK metadata, client reports, an AsyncLocalStorage scope strategy
 * until tracing installs its own), from the integrations we keep.
 */
export function initNodeClient(init: NodeClientInit): NodeRuntimeClient {
  const { defaultIntegrations, integrations, ...options } = init;
  const debugEnabled = envToBool(options.debug ?? process.env.SENTRY_DEBUG);
  if (debugEnabled) debug.enable();
  const client = new NodeRuntimeClient({
    ...options,
    debug: debugEnabled,
    release: options.release ?? detectedRelease(),
    sendClientReports: options.sendClientReports ?? true,
    // Sentry.init's default; our Sentry tracing stays off (no sample rate), as it did.
    traceLifecycle: options.traceLifecycle ?? 'stream',
    stackParser: nodeStackParser,
    integrations: getIntegrationsToSetup({ defaultIntegrations, integrations }),
  } as ClientOptions);
  getCurrentScope().setClient(client);
  useAsyncLocalStorageForScopes();
  client.init();
  client.startClientReportTracking();
  return client;
}
