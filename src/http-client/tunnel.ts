import * as net from 'node:net';
import { decodeOrKeep } from '../decode';

/** The longest answer to a CONNECT read before the tunnel is given up on. */
const MAX_PROXY_ANSWER_BYTES = 16 * 1024;

/** Host (IPv6 without brackets) and port of a URL, defaults by scheme. */
export function endpointOf(url: URL): { host: string; port: number } {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
}

/** `CONNECT`'s request: the target, and the proxy's credentials from its URL's user info. Never throws. */
export function connectRequest(proxy: URL, target: { host: string; port: number }): string {
  const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const credentials = proxy.username
    ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeOrKeep(proxy.username)}:${decodeOrKeep(proxy.password)}`).toString('base64')}\r\n`
    : '';
  return `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${credentials}\r\n`;
}

/**
 * Opens a tunnel through an http: proxy. The proxy connection is returned at once (its errors, close
 * and timeouts are the caller's to listen to); `answered` is called once the proxy has answered:
 * without an error, the socket now speaks to the target.
 */
export function connectThroughProxy(proxy: URL, target: { host: string; port: number }, answered: (error?: Error & { code?: string }) => void): net.Socket {
  const request = connectRequest(proxy, target);
  const socket = net.connect(endpointOf(proxy));
  socket.write(request, 'latin1');
  let answer = '';
  const onAnswer = (chunk: Buffer) => {
    answer += chunk.toString('latin1');
    if (!answer.includes('\r\n\r\n')) {
      if (answer.length > MAX_PROXY_ANSWER_BYTES) {
        socket.off('data', onAnswer);
        answered(Object.assign(new Error('the proxy sent no answer to CONNECT'), { code: 'EPROXY' }));
      }
      return;
    }
    socket.off('data', onAnswer);
    const statusLine = answer.slice(0, answer.indexOf('\r\n'));
    answered(/^HTTP\/1\.[01] 200\b/.test(statusLine) ? undefined : Object.assign(new Error(`the proxy refused the tunnel: ${statusLine}`), { code: 'EPROXY' }));
  };
  socket.on('data', onAnswer);
  return socket;
}

/** A failure of the proxy connection itself, said to be the proxy's (its code, e.g. ECONNREFUSED, is kept). */
export function throughProxy<E extends Error>(error: E, proxy: URL): E {
  error.message = `the proxy at ${proxy.host}: ${error.message}`;
  return error;
}
