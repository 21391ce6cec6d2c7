import type * as net from 'node:net';
import { ResponseParser, type HttpResponse } from './response-parser';
import type { HttpClientError, HttpRequest } from './request';

/** A request waiting for, or on, a connection. */
export interface Pending {
  request: HttpRequest;
  resolve: (response: HttpResponse) => void;
  reject: (error: HttpClientError) => void;
  /** A request on a reused connection that the server closed before answering is sent again, once. */
  retried: boolean;
}

export class Connection {
  readonly parser = new ResponseParser();
  pending: Pending | undefined;
  used = false;
  closed = false;
  /** Lets the socket stop holding the process once its request has held it long enough. */
  holdTimer: NodeJS.Timeout | undefined;
  /** Through a proxy: the tunnel is not open yet, and the request waits to be written. */
  tunnelling = false;
  /** `socket` is the proxy connection until the tunnel is open, then the one through it (TLS for https). */
  constructor(public socket: net.Socket) {}
}
