/** Options and defaults of the HTTP client (client.ts). */

/** Options of {@link HttpClient}. */
export interface HttpClientOptions {
  /** Trusted CA certificates for https (replacing Node's defaults). @default undefined: Node's CAs */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate and key for https (mutual TLS). @default undefined */
  cert?: string | Buffer;
  /** @default undefined */
  key?: string | Buffer;
  /** Connections opened at most; more requests wait for one. @default 8 */
  maxSockets?: number;
  /** An unused connection is closed after this long (below the usual 5 s of servers). @default 4000 */
  idleTimeoutMs?: number;
  /** Reuse connections; false sends `Connection: close` and opens one per request. @default true */
  keepAlive?: boolean;
  /**
   * How long a request in flight keeps the process alive. Past it the request carries on but no longer
   * holds a process that has nothing else to do, and until the server answers something again, later
   * requests do not hold it at all: a job that ends while its telemetry waits on a backend that does not
   * answer ends then, not when each request times out (10 s for each envelope or export, and its exit
   * sends more: a session, a client report). A connection not made by then is given up on (ETIMEDOUT):
   * one being made holds the process whatever its socket says.
   * @default 2000, Sentry's default shutdown timeout (see {@link HOLD_PROCESS_MS})
   */
  holdProcessMs?: number;
  /**
   * An http: proxy to tunnel through (`CONNECT`), e.g. `http://user:pass@proxy.internal:3128`: what
   * `https_proxy` names for a process whose egress goes through one. @default undefined: direct
   */
  proxy?: string | URL | undefined;
}

/**
 * How long telemetry in flight holds a process that has finished its work: the bound Sentry gives a close
 * by default, and the one our exit flush has. A flush or shutdown that was asked for holds it for its own
 * timeout instead.
 */
export const HOLD_PROCESS_MS = 2_000;

export const HTTP_CLIENT_DEFAULTS = { maxSockets: 8, idleTimeoutMs: 4000, keepAlive: true, holdProcessMs: HOLD_PROCESS_MS };
