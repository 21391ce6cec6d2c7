import { AsyncResource } from 'node:async_hooks';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Connection, type Pending } from './connection';
import type { HttpResponse } from './response-parser';
import { clientError, requestHead, type HttpClientError, type HttpRequest } from './request';
import { connectThroughProxy, endpointOf, throughProxy } from './tunnel';
import { HTTP_CLIENT_DEFAULTS as DEFAULTS, type HttpClientOptions } from './types';

export { requestHead, type HttpClientError, type HttpRequest } from './request';
export { HOLD_PROCESS_MS, type HttpClientOptions } from './types';

/**
 * A listening server keeps the process up: waiting longer for a connection holds nothing that would end.
 * A cluster worker's listening socket is its primary's (pm2's cluster mode): a worker serves too.
 */
function processServes(): boolean {
  try {
    // Required here, at a hold's end, not at start-up: most processes never get there.
    if ((require('node:cluster') as { isWorker?: boolean }).isWorker === true) return true;
    return process.getActiveResourcesInfo().some((type) => type === 'TCPServerWrap' || type === 'PipeServerWrap');
  } catch {
    return false;
  }
}

/**
 * A small keep-alive HTTP/1.1 client for one origin, written on `net`/`tls` sockets rather than
 * `http.request`. Node's HTTP client shares its hot functions (OutgoingMessage, header writing, stream
 * callbacks) with the HTTP server: sending telemetry through it, even once a second, turns those
 * functions polymorphic and every request the app serves pays for it (bench/NOTES.md, item 25). One
 * request per connection at a time, no pipelining; connections are unreferenced while idle, so they
 * never hold the process open.
 */
export class HttpClient {
  private readonly url: URL;
  private readonly hostHeader: string;
  private readonly settings: Required<Pick<HttpClientOptions, 'maxSockets' | 'idleTimeoutMs' | 'keepAlive' | 'holdProcessMs'>>;
  private readonly idle: Connection[] = [];
  private readonly connections = new Set<Connection>();
  private readonly waiting: Pending[] = [];
  private closedForGood = false;
  /** A request's hold ran out before the server answered it, and the server has answered nothing since. */
  private unanswering = false;
  /**
   * Connections are opened in the context the client was made in (start-up), not in the one of the request
   * whose telemetry needed a connection: a socket keeps the async context it was opened in, so an idle
   * keep-alive connection would keep that request (its body included) alive until the socket closes.
   */
  private readonly opener = new AsyncResource('express-otel-sentry.HttpClient');
  private readonly proxy: URL | undefined;

  constructor(url: string | URL, private readonly options: HttpClientOptions = {}) {
    this.url = new URL(url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new TypeError(`HttpClient speaks http: and https: only, not ${this.url.protocol}`);
    }
    this.hostHeader = this.url.host;
    this.proxy = options.proxy === undefined ? undefined : new URL(options.proxy);
    if (this.proxy && this.proxy.protocol !== 'http:') throw new TypeError(`HttpClient tunnels through http: proxies only, not ${this.proxy.protocol}`);
    this.settings = {
      maxSockets: options.maxSockets ?? DEFAULTS.maxSockets,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
      keepAlive: options.keepAlive ?? DEFAULTS.keepAlive,
      holdProcessMs: options.holdProcessMs ?? DEFAULTS.holdProcessMs,
    };
  }

  /** Resolves with the response (any status); rejects on a network failure or timeout, never throws. */
  request(request: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      if (this.closedForGood) return reject(clientError('the client is closed', 'ERR_CLIENT_CLOSED'));
      try {
        requestHead(request, this.hostHeader, 0); // validates before anything is sent
        if (!(request.timeoutMs > 0 && Number.isFinite(request.timeoutMs))) {
          throw new TypeError(`timeoutMs must be a positive number of milliseconds, not ${request.timeoutMs}`);
        }
      } catch (error) {
        return reject(error as Error);
      }
      this.dispatch({ request, resolve, reject, retried: false });
    });
  }

  /** Closes every connection; requests in flight or waiting fail. */
  close(): void {
    this.closedForGood = true;
    for (const pending of this.waiting.splice(0)) pending.reject(clientError('the client is closed', 'ERR_CLIENT_CLOSED'));
    for (const connection of this.connections) connection.socket.destroy();
  }

  private dispatch(pending: Pending): void {
    let connection: Connection | undefined;
    try {
      connection = this.idle.pop()
        ?? (this.connections.size < this.settings.maxSockets ? this.opener.runInAsyncScope(this.open, this) : undefined);
    } catch (error) {
      // e.g. a CA that is not PEM: tls.connect throws at once. Also runs from socket events: never rethrow.
      pending.reject(error as HttpClientError);
      return;
    }
    if (connection) this.send(connection, pending);
    else this.waiting.push(pending);
  }

  private open(): Connection {
    if (this.proxy) return this.openTunnel(this.proxy);
    const { host, port } = endpointOf(this.url);
    const socket = this.url.protocol === 'https:' ? this.startTls({ host, port }, host) : net.connect({ host, port });
    const connection = new Connection(socket);
    this.connections.add(connection);
    this.listen(connection);
    return connection;
  }

  private startTls(transport: { host: string; port: number } | { socket: net.Socket }, host: string): tls.TLSSocket {
    return tls.connect({
      ...transport, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'],
      ca: this.options.ca, cert: this.options.cert, key: this.options.key,
    });
  }

  /** Reads the connection's socket; `withClose` false when the proxy connection under it is already listened to. */
  private listen(connection: Connection, withClose = true): void {
    const { socket } = connection;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(connection, chunk));
    socket.on('timeout', () => this.onTimeout(connection));
    socket.on('end', () => socket.end());
    if (!withClose) return;
    socket.on('error', (error: HttpClientError) => this.onClose(connection, error));
    socket.on('close', () => this.onClose(connection));
  }

  /**
   * A connection through an http: proxy: `CONNECT`, then, once the proxy answers 200, the request on
   * the same socket (over TLS for https, which shares the socket's handle: ref, unref and timeouts reach
   * it). A refusal, an error or a timeout before is the request's failure, as a refused connection is.
   */
  private openTunnel(proxy: URL): Connection {
    const { host } = endpointOf(this.url);
    const raw = connectThroughProxy(proxy, endpointOf(this.url), (error) => {
      raw.off('timeout', onTunnelTimeout);
      if (error) this.fail(connection, error);
      else this.openedTunnel(connection, raw, host);
    });
    const connection = new Connection(raw);
    connection.tunnelling = true;
    this.connections.add(connection);
    const onTunnelTimeout = () => this.onTimeout(connection);
    raw.on('timeout', onTunnelTimeout);
    // Until the tunnel is open the socket is the proxy's: its ECONNREFUSED names the proxy's address, not the destination's.
    raw.on('error', (error: HttpClientError) => this.onClose(connection, connection.tunnelling ? throughProxy(error, proxy) : error));
    raw.on('close', () => this.onClose(connection));
    return connection;
  }

  private openedTunnel(connection: Connection, raw: net.Socket, host: string): void {
    connection.tunnelling = false;
    if (this.url.protocol === 'https:') {
      raw.setTimeout(0); // the TLS socket keeps the request's timeout from here
      connection.socket = this.startTls({ socket: raw }, host);
    }
    this.listen(connection, this.url.protocol === 'https:');
    if (connection.pending) this.write(connection, connection.pending);
  }

  private send(connection: Connection, pending: Pending): void {
    connection.pending = pending;
    try {
      this.holdProcess(connection);
      connection.socket.setTimeout(pending.request.timeoutMs);
    } catch (error) {
      this.fail(connection, error as HttpClientError);
      return;
    }
    if (!connection.tunnelling) this.write(connection, pending);
  }

  private write(connection: Connection, pending: Pending): void {
    const { request } = pending;
    const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body;
    const { socket } = connection;
    try {
      socket.setTimeout(request.timeoutMs);
      socket.cork();
      socket.write(requestHead(request, this.hostHeader, body.byteLength, this.settings.keepAlive), 'latin1');
      if (body.byteLength > 0) socket.write(body);
      process.nextTick(() => socket.uncork());
    } catch (error) {
      // Called from socket events: a throw here must become this request's failure, not the process's.
      this.fail(connection, error as HttpClientError);
    }
  }

  /** Lets the request on `connection` hold the process, for holdProcessMs at most (see there). */
  private holdProcess(connection: Connection): void {
    const { socket } = connection;
    if (this.unanswering) socket.unref();
    else socket.ref();
    if (this.settings.holdProcessMs >= connection.pending!.request.timeoutMs) return;
    connection.holdTimer = setTimeout(() => {
      this.unanswering = true;
      // A connection still being made holds the process whatever its socket says (libuv keeps the
      // connect request alive), and a host that drops the packets makes it wait for the full timeout: a
      // server that has not taken the connection by now is given up on, unless the process serves
      // (a listening server keeps it up anyway): there a slow DNS or handshake only delays delivery.
      if (socket.connecting && !processServes()) this.fail(connection, clientError(`no connection within ${this.settings.holdProcessMs} ms (DNS or the connection itself)`, 'ETIMEDOUT'));
      else socket.unref();
    }, this.settings.holdProcessMs);
    connection.holdTimer.unref();
  }

  /** The request in flight on `connection`, now settled or failed: it no longer holds the process. */
  private settle(connection: Connection): Pending | undefined {
    const pending = connection.pending;
    connection.pending = undefined;
    if (connection.holdTimer) clearTimeout(connection.holdTimer);
    connection.holdTimer = undefined;
    return pending;
  }

  private onData(connection: Connection, chunk: Buffer): void {
    let responses: HttpResponse[];
    try {
      responses = connection.parser.push(chunk);
    } catch (error) {
      this.fail(connection, clientError(`malformed response: ${(error as Error).message}`, 'HPE_INVALID'));
      return;
    }
    for (const response of responses) this.finish(connection, response);
  }

  private finish(connection: Connection, response: HttpResponse): void {
    const pending = this.settle(connection);
    this.unanswering = false;
    connection.used = true;
    if (response.closes || !pending || !this.settings.keepAlive) connection.socket.destroy();
    else this.release(connection);
    pending?.resolve(response);
  }

  private release(connection: Connection): void {
    const next = this.waiting.shift();
    if (next) return this.send(connection, next);
    connection.socket.setTimeout(this.settings.idleTimeoutMs);
    connection.socket.unref();
    this.idle.push(connection);
  }

  private onTimeout(connection: Connection): void {
    const timeoutMs = connection.pending?.request.timeoutMs;
    if (timeoutMs === undefined) connection.socket.destroy();
    else this.fail(connection, clientError(`no response within ${timeoutMs} ms`, 'ETIMEDOUT'));
  }

  private fail(connection: Connection, error: HttpClientError): void {
    const pending = this.settle(connection);
    connection.socket.destroy();
    this.forget(connection);
    if (pending) pending.reject(error);
  }

  private onClose(connection: Connection, error?: HttpClientError): void {
    if (connection.closed) return;
    connection.closed = true;
    this.forget(connection);
    const pending = this.settle(connection);
    if (pending) {
      let response: HttpResponse | undefined;
      try {
        response = error ? undefined : connection.parser.end();
      } catch {
        // cut short: handled below as a hang-up
      }
      if (response) pending.resolve(response);
      else if (connection.used && !connection.parser.midResponse && !pending.retried && !this.closedForGood) {
        // The server closed a kept-alive connection as we reused it: the request never reached it.
        this.dispatch({ ...pending, retried: true });
      } else if (this.closedForGood) pending.reject(clientError('the client is closed', 'ERR_CLIENT_CLOSED')); // not worth a retry
      else pending.reject(error ?? clientError('socket hang up', 'ECONNRESET'));
    }
    this.drainWaiting();
  }

  private forget(connection: Connection): void {
    this.connections.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
  }

  /** A connection went away: a waiting request may now open a new one. */
  private drainWaiting(): void {
    while (this.waiting.length > 0 && this.connections.size < this.settings.maxSockets && !this.closedForGood) {
      this.dispatch(this.waiting.shift()!);
    }
  }
}
