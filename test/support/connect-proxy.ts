import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';

/** An egress proxy stand-in on 127.0.0.1: what `https_proxy` names. */
export interface ConnectProxy {
  /** The head of each CONNECT request received (request line and headers). */
  heads: string[];
  url: string;
  close(): void;
}

/**
 * A CONNECT proxy that records each CONNECT head, then pipes to the target (or refuses with the given
 * status). `hosts` maps names only the proxy can resolve (`sentry.invalid` -> 127.0.0.1): a client that
 * goes around the proxy cannot reach them.
 */
export async function startConnectProxy(refuseWith?: string, hosts: Record<string, string> = {}): Promise<ConnectProxy> {
  const heads: string[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((client) => {
    sockets.push(client);
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      client.off('data', onData);
      heads.push(head.slice(0, end));
      if (refuseWith) return void client.end(`HTTP/1.1 ${refuseWith}\r\nContent-Length: 0\r\n\r\n`);
      const [host, port] = head.split(' ')[1].split(':');
      const upstream = net.connect(Number(port), hosts[host] ?? host, () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        upstream.pipe(client).pipe(upstream);
      });
      sockets.push(upstream);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    };
    client.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    heads,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
