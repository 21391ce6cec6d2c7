import assert from 'node:assert/strict';
import { MAX_BODY_BYTES, MAX_HEAD_BYTES, ResponseParser, type HttpResponse } from '../../src/http-client/response-parser';

interface Seen {
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
  body: string;
  closes: boolean;
}

const seen = (r: HttpResponse): Seen => ({ ...r, body: r.body.toString('latin1') });

/** Feeds the chunks in order, then (if asked) ends the connection; returns every response completed. */
function parse(chunks: Buffer[], end: boolean): Seen[] {
  const parser = new ResponseParser();
  const out = chunks.flatMap((chunk) => parser.push(chunk));
  if (end) {
    const last = parser.end();
    if (last) out.push(last);
  }
  assert.equal(parser.midResponse, false, 'the parser is between responses at the end');
  return out.map(seen);
}

/** The same bytes whole, one byte at a time, and split in two at every position. */
function feedings(input: string): Array<[string, Buffer[]]> {
  const bytes = Buffer.from(input, 'latin1');
  const ways: Array<[string, Buffer[]]> = [['whole', [bytes]], ['byte by byte', [...bytes].map((b) => Buffer.from([b]))]];
  for (let at = 1; at < bytes.length; at++) ways.push([`split at ${at}`, [bytes.subarray(0, at), bytes.subarray(at)]]);
  return ways;
}

const ok = (body: string, headers: Record<string, string>, extra: Partial<Seen> = {}): Seen =>
  ({ statusCode: 200, statusMessage: 'OK', headers, body, closes: false, ...extra });

describe('ResponseParser: responses', () => {
  const cases: Array<{ name: string; input: string; end?: boolean; expected: Seen[] }> = [
    {
      name: 'Content-Length body',
      input: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
      expected: [ok('hello', { 'content-type': 'text/plain', 'content-length': '5' })],
    },
    {
      name: 'Content-Length: 0',
      input: 'HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n',
      expected: [ok('', { 'content-length': '0' }, { statusCode: 202, statusMessage: 'Accepted' })],
    },
    {
      name: 'chunked body with chunk extensions and trailers',
      input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'
        + '5;name=value\r\nhello\r\n1;x\r\n,\r\nA\r\n world!!!!\r\n0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n',
      expected: [ok('hello, world!!!!', { 'transfer-encoding': 'chunked' })],
    },
    {
      name: 'chunked body, no trailers',
      input: 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      expected: [ok('abc', { 'transfer-encoding': 'gzip, chunked' })],
    },
    {
      name: '100 Continue skipped before a 200',
      input: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
      expected: [ok('ok', { 'content-length': '2' })],
    },
    {
      name: '204 without body (its Content-Length ignored)',
      input: 'HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx',
      expected: [
        ok('', { 'content-length': '10' }, { statusCode: 204, statusMessage: 'No Content' }),
        ok('x', { 'content-length': '1' }),
      ],
    },
    {
      name: '304 without body',
      input: 'HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n',
      expected: [ok('', { etag: '"a"' }, { statusCode: 304, statusMessage: 'Not Modified' })],
    },
    {
      name: 'close-delimited body completed by end()',
      input: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of\r\nthis',
      end: true,
      expected: [ok('all of\r\nthis', { 'content-type': 'text/plain' }, { closes: true })],
    },
    {
      name: 'two responses back to back',
      input: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 2\r\n\r\nbc',
      expected: [
        ok('a', { 'content-length': '1' }),
        ok('bc', { 'retry-after': '2', 'content-length': '2' }, { statusCode: 503, statusMessage: 'Service Unavailable' }),
      ],
    },
    {
      name: 'repeated headers joined, names lower-cased, values trimmed',
      input: 'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Mixed-Case:   v  \r\nset-cookie: b=2\r\nSET-COOKIE: c=3\r\nContent-Length: 0\r\n\r\n',
      expected: [ok('', { 'set-cookie': 'a=1, b=2, c=3', 'x-mixed-case': 'v', 'content-length': '0' })],
    },
    {
      name: 'status line without a reason phrase',
      input: 'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n',
      expected: [ok('', { 'content-length': '0' }, { statusMessage: '' })],
    },
    {
      name: 'closes: Connection: close',
      input: 'HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n',
      expected: [ok('', { connection: 'Close', 'content-length': '0' }, { closes: true })],
    },
    {
      name: 'closes: HTTP/1.0 without keep-alive',
      input: 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n',
      expected: [ok('', { 'content-length': '0' }, { closes: true })],
    },
    {
      name: 'does not close: HTTP/1.0 with keep-alive',
      input: 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n',
      expected: [ok('', { connection: 'keep-alive', 'content-length': '0' })],
    },
  ];

  for (const { name, input, end = false, expected } of cases) {
    it(name, () => {
      for (const [how, chunks] of feedings(input)) assert.deepEqual(parse(chunks, end), expected, how);
    });
  }

  it('keeps a binary body byte for byte', () => {
    const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const parser = new ResponseParser();
    const [response] = parser.push(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 256\r\n\r\n'), body]));
    assert.deepEqual(response.body, body);
  });

  it('accepts a body of exactly MAX_BODY_BYTES', () => {
    const parser = new ResponseParser();
    const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY_BYTES}\r\n\r\n`);
    const [response] = parser.push(Buffer.concat([head, Buffer.alloc(MAX_BODY_BYTES, 0x61)]));
    assert.equal(response.body.length, MAX_BODY_BYTES);
  });

  it('end() between responses returns nothing', () => {
    const parser = new ResponseParser();
    assert.equal(parser.end(), undefined);
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    assert.equal(parser.end(), undefined);
  });
});

describe('ResponseParser: midResponse', () => {
  const steps: Array<[string, boolean]> = [
    ['', false],
    ['HTTP/1.1 200 OK\r\n', true],
    ['Content-Length: 3\r\n\r\n', true],
    ['ab', true],
    ['c', false],
    ['H', true],
    ['TTP/1.1 204 No Content\r\n\r\n', false],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n', true],
    ['\r\n', false],
  ];
  it('is true from the first byte of a response until it is complete', () => {
    const parser = new ResponseParser();
    for (const [bytes, expected] of steps) {
      parser.push(Buffer.from(bytes));
      assert.equal(parser.midResponse, expected, `after ${JSON.stringify(bytes)}`);
    }
  });
});

describe('ResponseParser: errors', () => {
  const bigHead = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n`;
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['bad status line', 'HTTP/2 200 OK\r\n\r\n', /status line/],
    ['not HTTP at all', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', /status line/],
    ['malformed header line (no colon)', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /header line/],
    ['malformed header line (empty name)', 'HTTP/1.1 200 OK\r\n: value\r\n\r\n', /header line/],
    ['non-numeric Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n', /Content-Length/],
    ['negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /Content-Length/],
    ['conflicting repeated Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', /Content-Length/],
    ['bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size/],
    ['empty chunk size line', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n', /chunk size/],
    ['chunk data not followed by CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcde\r\n', /CRLF/],
    ['head over MAX_HEAD_BYTES (before its end)', bigHead, /head over/],
    ['head over MAX_HEAD_BYTES (complete, in one read)', `${bigHead}Content-Length: 0\r\n\r\n`, /head over/],
    ['trailer over MAX_HEAD_BYTES', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`, /trailers too long/],
    ['Content-Length over MAX_BODY_BYTES', `HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`, /body over/],
    [
      'chunked body over MAX_BODY_BYTES',
      Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${(MAX_BODY_BYTES / 2).toString(16)}\r\n`),
        Buffer.alloc(MAX_BODY_BYTES / 2), Buffer.from(`\r\n${(MAX_BODY_BYTES / 2 + 1).toString(16)}\r\n`), Buffer.alloc(MAX_BODY_BYTES / 2 + 1)]),
      /body over/,
    ],
    [
      'close-delimited body over MAX_BODY_BYTES',
      Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), Buffer.alloc(MAX_BODY_BYTES + 1)]),
      /body over/,
    ],
  ];

  for (const [name, input, message] of cases) {
    it(name, () => {
      const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
      assert.throws(() => new ResponseParser().push(bytes), message, 'whole');
      // Byte by byte for the small inputs, 64 KiB reads for the big ones: the same error either way.
      const step = bytes.length > 100_000 ? 65536 : 1;
      const parser = new ResponseParser();
      assert.throws(() => {
        for (let at = 0; at < bytes.length; at += step) parser.push(bytes.subarray(at, at + step));
      }, message, step === 1 ? 'byte by byte' : 'in 64 KiB reads');
    });
  }

  const cutShort: Array<[string, string]> = [
    ['in the status line', 'HTTP/1.1 2'],
    ['in the head', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n'],
    ['in a Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel'],
    ['in a chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe'],
    ['before the last chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'],
    ['in the trailers', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n'],
    ['after a complete response', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n'],
  ];
  for (const [name, input] of cutShort) {
    it(`end() ${name} throws`, () => {
      const parser = new ResponseParser();
      parser.push(Buffer.from(input, 'latin1'));
      assert.equal(parser.midResponse, true);
      assert.throws(() => parser.end(), /closed in the middle of a response/);
    });
  }
});
