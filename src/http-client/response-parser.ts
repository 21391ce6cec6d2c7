/** One complete HTTP/1.1 response as the client needs it. */
export interface HttpResponse {
  statusCode: number;
  statusMessage: string;
  /** Header names in lower case; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
  /** The server will close the connection after this response (or HTTP/1.0 without keep-alive). */
  closes: boolean;
}

/** Largest response head accepted (Node's own default limit). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Largest response body accepted, as OpenTelemetry's OTLP HTTP transport (4 MiB). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

type State =
  | { kind: 'head' }
  | { kind: 'length'; head: Head; remaining: number }
  | { kind: 'chunk-size'; head: Head }
  | { kind: 'chunk-data'; head: Head; remaining: number }
  | { kind: 'trailers'; head: Head }
  | { kind: 'until-close'; head: Head };

type Head = Omit<HttpResponse, 'body'> & { parts: Buffer[]; size: number };

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!status) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 40))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error('malformed response header line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const connection = (headers.connection ?? '').toLowerCase();
  const closes = connection.includes('close') || (status[1] === '0' && !connection.includes('keep-alive'));
  return { statusCode: Number(status[2]), statusMessage: status[3] ?? '', headers, closes, parts: [], size: 0 };
}

/** Written out, not a rest copy plus `body`: a copy that gains a key costs V8 a fresh map (bench/NOTES.md item 54). */
function complete(head: Head): HttpResponse {
  const parts = head.parts;
  const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return { statusCode: head.statusCode, statusMessage: head.statusMessage, headers: head.headers, body, closes: head.closes };
}

/**
 * Incremental parser of the responses on one connection (Content-Length, chunked and close-delimited
 * bodies; 1xx interim responses skipped). Pure bookkeeping over the bytes given, so it can be tested
 * byte by byte without a socket. Throws on anything malformed or over the limits: the caller then drops
 * the connection.
 */
export class ResponseParser {
  private state: State = { kind: 'head' };
  private buffered: Buffer = Buffer.alloc(0);

  /** True while a response has started but not finished (a close now cuts it short). */
  get midResponse(): boolean {
    return this.state.kind !== 'head' || this.buffered.length > 0;
  }

  /** Feeds bytes from the socket; returns the responses they complete. */
  push(chunk: Buffer): HttpResponse[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const done: HttpResponse[] = [];
    for (;;) {
      const response = this.step();
      if (response === 'more') return done;
      if (response) done.push(response);
    }
  }

  /** The connection ended: completes a close-delimited body, or says the response was cut short. */
  end(): HttpResponse | undefined {
    if (this.state.kind === 'until-close') {
      const response = complete(this.state.head);
      this.state = { kind: 'head' };
      return response;
    }
    if (this.midResponse) throw new Error('the connection closed in the middle of a response');
    return undefined;
  }

  private take(count: number): Buffer {
    const taken = this.buffered.subarray(0, count);
    this.buffered = this.buffered.subarray(count);
    return taken;
  }

  private addBody(head: Head, bytes: Buffer): void {
    head.size += bytes.length;
    if (head.size > MAX_BODY_BYTES) throw new Error(`response body over ${MAX_BODY_BYTES} bytes`);
    if (bytes.length > 0) head.parts.push(Buffer.from(bytes));
  }

  /** Advances by one state; 'more' when it needs more bytes, a response when one is complete. */
  private step(): HttpResponse | undefined | 'more' {
    const state = this.state;
    switch (state.kind) {
      case 'head': {
        const end = this.buffered.indexOf(HEAD_END);
        if (end > MAX_HEAD_BYTES || (end < 0 && this.buffered.length > MAX_HEAD_BYTES)) {
          throw new Error(`response head over ${MAX_HEAD_BYTES} bytes`);
        }
        if (end < 0) return 'more';
        const head = parseHead(this.take(end + HEAD_END.length).toString('latin1', 0, end));
        if (head.statusCode < 200) return undefined; // 100 Continue and friends: the real response follows
        const length = head.headers['content-length'];
        if (/\bchunked\b/i.test(head.headers['transfer-encoding'] ?? '')) this.state = { kind: 'chunk-size', head };
        else if (head.statusCode === 204 || head.statusCode === 304) return complete(head);
        else if (length !== undefined) {
          if (!/^\d+$/.test(length)) throw new Error('malformed Content-Length');
          const remaining = Number(length);
          if (remaining > MAX_BODY_BYTES) throw new Error(`response body over ${MAX_BODY_BYTES} bytes`);
          if (remaining === 0) return complete(head);
          this.state = { kind: 'length', head, remaining };
        } else this.state = { kind: 'until-close', head: { ...head, closes: true } };
        return undefined;
      }
      case 'length': {
        if (this.buffered.length === 0) return 'more';
        const bytes = this.take(Math.min(state.remaining, this.buffered.length));
        this.addBody(state.head, bytes);
        state.remaining -= bytes.length;
        if (state.remaining > 0) return 'more';
        this.state = { kind: 'head' };
        return complete(state.head);
      }
      case 'chunk-size': {
        const end = this.buffered.indexOf(CRLF);
        if (end < 0) return this.buffered.length > 1024 ? this.fail('chunk size line too long') : 'more';
        const line = this.take(end + 2).toString('latin1', 0, end);
        const size = /^([0-9a-fA-F]+)(?:;.*)?$/.exec(line.trim());
        if (!size) throw new Error('malformed chunk size');
        const remaining = parseInt(size[1], 16);
        this.state = remaining === 0 ? { kind: 'trailers', head: state.head } : { kind: 'chunk-data', head: state.head, remaining };
        return undefined;
      }
      case 'chunk-data': {
        if (state.remaining > 0) {
          if (this.buffered.length === 0) return 'more';
          const bytes = this.take(Math.min(state.remaining, this.buffered.length));
          this.addBody(state.head, bytes);
          state.remaining -= bytes.length;
          return undefined;
        }
        if (this.buffered.length < 2) return 'more';
        if (!this.take(2).equals(CRLF)) throw new Error('chunk not followed by CRLF');
        this.state = { kind: 'chunk-size', head: state.head };
        return undefined;
      }
      case 'trailers': {
        const end = this.buffered.indexOf(CRLF);
        if (end > MAX_HEAD_BYTES || (end < 0 && this.buffered.length > MAX_HEAD_BYTES)) this.fail('trailers too long');
        if (end < 0) return 'more';
        this.take(end + 2);
        if (end > 0) return undefined; // a trailer field: ignored
        this.state = { kind: 'head' };
        return complete(state.head);
      }
      case 'until-close': {
        if (this.buffered.length === 0) return 'more';
        this.addBody(state.head, this.take(this.buffered.length));
        return 'more';
      }
    }
  }

  private fail(reason: string): never {
    throw new Error(reason);
  }
}
