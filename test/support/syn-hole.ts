/**
 * Python listeners whose backlog is full, so that the kernel drops connection attempts (a firewall DROP,
 * or a connection slower than it should be). Node cannot make one: it accepts everything. Each prints its
 * port on its first line.
 */
const FULL_BACKLOG = [
  'import socket, time',
  's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
  'fill = [socket.socket() for _ in range(3)]',
  'for c in fill:',
  '    c.setblocking(False)',
  '    try: c.connect(s.getsockname())',
  '    except BlockingIOError: pass',
  'print(s.getsockname()[1], flush=True)',
];

/** Never accepts: connection attempts go unanswered. */
export const SYN_HOLE = [...FULL_BACKLOG, 'time.sleep(120)'].join('\n');

/** Drops connection attempts for `seconds`, then accepts and answers each request 200. */
export function slowAccept(seconds: number): string {
  return [
    ...FULL_BACKLOG,
    `time.sleep(${seconds})`,
    's.settimeout(15)',
    'while True:',
    '    c, _ = s.accept()',
    '    c.settimeout(0.3)',
    '    try: c.recv(65536)',
    '    except Exception: pass',
    '    c.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok")',
    '    c.close()',
  ].join('\n');
}
