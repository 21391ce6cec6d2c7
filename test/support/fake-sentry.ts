/**
 * A fake of Sentry's SaaS ingestion for tests: a real HTTP server on 127.0.0.1 that speaks the
 * wire protocols the real senders use. It is the ONLY stand-in allowed in our tests; never mock the SDK.
 *
 *  - POST /api/<project>/envelope/                          Sentry envelopes (@sentry/node transport)
 *  - POST /api/<project>/integration/otlp/v1/traces[/]      Sentry's OTLP/HTTP traces endpoint
 *                                                           (URL + X-Sentry-Auth from Sentry.getOtlpTracesEndpoint(dsn))
 *  - POST /collector/v1/traces[/]                           a generic OTLP collector (spans get source 'collector')
 *  - POST /collector/v1/{logs,metrics}                      accepted, only kept as raw bodies
 * Bodies are decompressed per Content-Encoding (gzip/deflate/br). OTLP in JSON or protobuf.
 * Every received body (decompressed), URL and header set is kept for leak searching, capped at
 * `maxRawBytes` (default 200 MiB; oldest bodies are evicted and findSecrets() then refuses to
 * claim "no leak" unless told `allowIncomplete`).
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { decompressBody, keyFromDsn, parseEnvelope, parseSentryAuthHeader } from './envelope';
import { decodeTracesRequest } from './otlp-decode';
import { describeRequests, searchSecrets, type SecretHit } from './fake-sentry-report';
import { describeItem, modeName, routeOf } from './fake-sentry-types';
import type {
  EnvelopeItem, FakeSentryMode, FakeSentryOptions, FakeSentryStats, ReceivedRequest, RecordedEnvelope, RecordedSpan, WaitOptions,
} from './fake-sentry-types';

export type { Envelope, EnvelopeItem } from './envelope';
export type { NormalizedSpan, SpanKindName } from './otlp-decode';
export type { SecretHit } from './fake-sentry-report';
export type {
  FakeSentryMode, FakeSentryOptions, FakeSentryStats, ReceivedRequest, RecordedEnvelope, RecordedSpan, Route, WaitOptions,
} from './fake-sentry-types';

type Reply = { status: number; body: string | Buffer; headers?: Record<string, string> };
type Waiter = { check: () => void; fail: (why: string) => void };

const JSON_CT = { 'content-type': 'application/json' };
const bump = (o: Record<string, number>, k: string): void => { o[k] = (o[k] ?? 0) + 1; };

export class FakeSentry {
  readonly publicKey: string;
  readonly projectId: string;
  port = 0;
  private readonly server = http.createServer((req, res) => this.onRequest(req, res));
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<Waiter>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private mode: FakeSentryMode = 'ok';
  private seq = 0;
  private requests: ReceivedRequest[] = [];
  private envelopeList: RecordedEnvelope[] = [];
  private spanList: RecordedSpan[] = [];
  private counters = this.freshStats();
  private evictCursor = 0;

  constructor(private readonly options: FakeSentryOptions = {}) {
    this.publicKey = options.publicKey ?? '0123456789abcdef0123456789abcdef';
    this.projectId = options.projectId ?? '42';
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
  }

  get url(): string { return `http://127.0.0.1:${this.port}`; }
  get dsn(): string { return `http://${this.publicKey}@127.0.0.1:${this.port}/${this.projectId}`; }
  /** What Sentry.getOtlpTracesEndpoint(dsn).url returns. */
  get otlpTracesUrl(): string { return `${this.url}/api/${this.projectId}/integration/otlp/v1/traces/`; }
  get collectorBaseUrl(): string { return `${this.url}/collector`; }
  get otlpCollectorUrl(): string { return `${this.collectorBaseUrl}/v1/traces`; }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => { this.server.off('error', reject); resolve(); });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  // ------------------------------------------------------------ recorded data
  envelopes(): RecordedEnvelope[] { return [...this.envelopeList]; }
  items(type?: string): EnvelopeItem[] { return this.envelopeList.flatMap((e) => e.items).filter((i) => !type || i.header.type === type); }
  events(): any[] { return this.items('event').map((i) => i.json); }
  spans(): RecordedSpan[] { return [...this.spanList]; }
  rawBodies(): ReceivedRequest[] { return [...this.requests]; }
  stats(): FakeSentryStats { return { ...structuredClone(this.counters), openConnections: this.sockets.size }; }
  summary(): string { return describeRequests(this.requests, this.spanList.length, this.envelopeList.length); }

  findSecrets(secrets: string[], opts: { allowIncomplete?: boolean } = {}): SecretHit[] {
    if (this.counters.evictedBodies > 0 && !opts.allowIncomplete) {
      throw new Error(`fake-sentry: ${this.counters.evictedBodies} raw bodies were evicted (maxRawBytes); leak search would be incomplete. Call reset() more often or pass { allowIncomplete: true }.`);
    }
    return searchSecrets(this.requests, secrets);
  }

  /** Clears recorded requests, envelopes, spans and stats (the mode is kept). */
  reset(): void {
    this.requests = [];
    this.envelopeList = [];
    this.spanList = [];
    this.counters = this.freshStats();
    this.evictCursor = 0;
  }

  // ------------------------------------------------------------ waiting (event-driven, no polling)
  waitFor(predicate: (fake: FakeSentry) => boolean, opts: WaitOptions = {}): Promise<void> {
    const timeout = opts.timeout ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      let lastError: unknown;
      const test = (): boolean => {
        try { return Boolean(predicate(this)); } catch (err) { lastError = err; return false; }
      };
      if (test()) { resolve(); return; }
      const finish = (): void => { clearTimeout(timer); this.waiters.delete(waiter); };
      const waiter: Waiter = {
        check: () => { if (test()) { finish(); resolve(); } },
        fail: (why) => {
          finish();
          const desc = opts.description ?? predicate.toString().replace(/\s+/g, ' ').slice(0, 200);
          const errText = lastError ? `\nLast predicate error: ${String(lastError)}` : '';
          reject(new Error(`fake-sentry: waitFor(${desc}) ${why}.${errText}\n${this.summary()}`));
        },
      };
      const timer = setTimeout(() => waiter.fail(`timed out after ${timeout}ms`), timeout);
      this.waiters.add(waiter);
    });
  }

  async waitForEvents(n = 1, opts: WaitOptions = {}): Promise<any[]> {
    await this.waitFor((f) => f.events().length >= n, { description: `>= ${n} event(s)`, ...opts });
    return this.events();
  }

  async waitForSpans(
    what: number | ((spans: RecordedSpan[]) => boolean) = 1,
    opts: WaitOptions & { source?: 'sentry' | 'collector' } = {},
  ): Promise<RecordedSpan[]> {
    const pick = (): RecordedSpan[] => this.spanList.filter((s) => !opts.source || s.source === opts.source);
    const pred = typeof what === 'number' ? () => pick().length >= what : () => what(pick());
    await this.waitFor(pred, { description: typeof what === 'number' ? `>= ${what} span(s)` : undefined, ...opts });
    return pick();
  }

  // ------------------------------------------------------------ fault modes
  async setMode(mode: FakeSentryMode): Promise<void> {
    const valid = typeof mode === 'string'
      ? ['ok', 'blackhole', 'refuse'].includes(mode)
      : 'delayMs' in mode ? Number.isFinite(mode.delayMs) && mode.delayMs >= 0 : Number.isInteger(mode.status) && mode.status >= 100;
    if (!valid) throw new Error(`fake-sentry: invalid mode ${JSON.stringify(mode)}`);
    const wasRefusing = this.mode === 'refuse';
    if (mode === 'refuse' && !wasRefusing) {
      this.mode = mode;
      await this.stopListening();
    } else if (mode !== 'refuse' && wasRefusing) {
      await this.listen(this.port); // the same port; throws (staying in 'refuse') if it was taken meanwhile
      this.mode = mode;
    } else this.mode = mode;
  }

  getMode(): FakeSentryMode { return this.mode; }

  /** Destroys all sockets (incl. blackholed requests), rejects pending waits and closes the server. */
  async close(): Promise<void> {
    for (const w of [...this.waiters]) w.fail('aborted: fake closed');
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.mode !== 'refuse') await this.stopListening();
    this.mode = 'refuse';
  }

  private stopListening(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private maxBodyBytes(): number { return this.options.maxBodyBytes ?? 64 * 1024 * 1024; }

  private freshStats(): Omit<FakeSentryStats, 'openConnections'> {
    return { requests: 0, byMode: {}, byRoute: {}, byStatus: {}, errors: 0, rawBytes: 0, evictedBodies: 0 };
  }

  // ------------------------------------------------------------ request handling
  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const limit = this.maxBodyBytes();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size <= limit) chunks.push(c); });
    req.on('error', () => { /* client went away mid-body */ });
    req.on('end', () => this.onBody(req, res, Buffer.concat(chunks), size, size > limit));
  }

  private onBody(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer, size: number, tooBig: boolean): void {
    const mode = this.mode;
    const url = new URL(req.url ?? '/', 'http://fake');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const r: ReceivedRequest = {
      seq: ++this.seq, method: req.method ?? '', url: req.url ?? '', path: url.pathname, route: routeOf(url.pathname),
      mode: modeName(mode), headers, contentEncoding: headers['content-encoding'], compressedBytes: size,
      body: raw, evicted: false, receivedAt: Date.now(),
    };
    this.requests.push(r);
    this.counters.requests++;
    bump(this.counters.byMode, r.mode);
    bump(this.counters.byRoute, r.route);

    const limit = this.maxBodyBytes();
    let reply: Reply | undefined;
    if (tooBig) reply = this.fail(r, 413, `body larger than maxBodyBytes (${size} bytes)`);
    else {
      try {
        r.body = decompressBody(raw, r.contentEncoding, limit);
      } catch (err) {
        reply = this.fail(r, 400, `cannot decode content-encoding ${r.contentEncoding}: ${(err as Error).message}`);
      }
    }
    this.accountBody(r);

    if (mode === 'blackhole') { this.notify(); return; } // never answer; close()/refuse destroys the socket
    if (!reply && typeof mode === 'object' && 'status' in mode && (mode.only === undefined || mode.only === r.route)) {
      const h: Record<string, string> = { ...JSON_CT };
      if (mode.retryAfter !== undefined) h['retry-after'] = String(mode.retryAfter);
      if (mode.rateLimits !== undefined) h['x-sentry-rate-limits'] = mode.rateLimits;
      reply = { status: mode.status, headers: h, body: JSON.stringify({ detail: `fake-sentry: forced ${mode.status}` }) };
    }
    if (!reply) {
      try { reply = this.handle(r, url); } catch (err) { reply = this.fail(r, 400, (err as Error).message); }
    }
    this.notify();
    const send = (): void => this.respond(res, r, reply);
    if (typeof mode === 'object' && 'delayMs' in mode) {
      const t = setTimeout(() => { this.timers.delete(t); send(); }, mode.delayMs);
      this.timers.add(t);
    } else send();
  }

  private handle(r: ReceivedRequest, url: URL): Reply {
    if (r.method !== 'POST') return this.fail(r, 405, `method ${r.method} not allowed`);
    const project = /^\/api\/([^/]+)\//.exec(r.path)?.[1];
    if (project !== undefined && project !== this.projectId) return this.fail(r, 404, `unknown project ${project}`);
    const headerAuth = parseSentryAuthHeader(r.headers['x-sentry-auth']);
    const auth: Record<string, string> = { ...Object.fromEntries(url.searchParams), ...headerAuth };

    if (r.route === 'envelope') {
      const env = parseEnvelope(r.body);
      auth.sentry_key ??= keyFromDsn(env.header.dsn) ?? '';
      if (!this.authOk(auth)) return this.fail(r, 401, `bad or missing sentry_key ${JSON.stringify(auth.sentry_key)}`);
      this.envelopeList.push({ ...env, requestSeq: r.seq, auth });
      r.note = `items: ${env.items.map((i) => describeItem(i)).join(', ') || '(none)'}`;
      return { status: 200, headers: JSON_CT, body: JSON.stringify(env.header.event_id ? { id: env.header.event_id } : {}) };
    }
    if (r.route === 'sentry-otlp-traces' || r.route === 'collector-traces') {
      const source = r.route === 'collector-traces' ? 'collector' : 'sentry';
      if (source === 'sentry' && !this.authOk(auth)) return this.fail(r, 401, `bad or missing X-Sentry-Auth sentry_key ${JSON.stringify(auth.sentry_key)}`);
      const ct = (r.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      const encoding = ct === 'application/json' ? 'json' : ct === 'application/x-protobuf' || ct === 'application/protobuf' ? 'protobuf' : undefined;
      if (!encoding) return this.fail(r, 415, `unsupported content-type ${JSON.stringify(r.headers['content-type'])}`);
      const spans = decodeTracesRequest(r.body, encoding);
      for (const s of spans) this.spanList.push({ ...s, source, encoding, sentryAuth: r.headers['x-sentry-auth'], requestSeq: r.seq });
      r.note = `${encoding} spans: ${spans.map((s) => s.name).join(', ') || '(none)'}`;
      return encoding === 'json'
        ? { status: 200, headers: JSON_CT, body: '{}' }
        : { status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.alloc(0) };
    }
    if (r.route === 'collector-other') return { status: 200, headers: JSON_CT, body: '{}' };
    return this.fail(r, 404, `no route for ${r.path}`);
  }

  private authOk(auth: Record<string, string>): boolean {
    return this.options.strictAuth === false || auth.sentry_key === this.publicKey;
  }

  private fail(r: ReceivedRequest, status: number, message: string): Reply {
    r.error = message;
    this.counters.errors++;
    return { status, headers: JSON_CT, body: JSON.stringify({ detail: `fake-sentry: ${message}` }) };
  }

  private respond(res: http.ServerResponse, r: ReceivedRequest, reply: Reply): void {
    if (res.destroyed || res.writableEnded) return;
    r.status = reply.status;
    bump(this.counters.byStatus, String(reply.status));
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  }

  private accountBody(r: ReceivedRequest): void {
    this.counters.rawBytes += r.body.length;
    const max = this.options.maxRawBytes ?? 200 * 1024 * 1024;
    while (this.counters.rawBytes > max && this.evictCursor < this.requests.length) {
      const old = this.requests[this.evictCursor++];
      this.counters.rawBytes -= old.body.length;
      old.body = Buffer.alloc(0);
      old.evicted = true;
      this.counters.evictedBodies++;
    }
  }

  private notify(): void {
    for (const w of [...this.waiters]) w.check();
  }
}

export async function startFakeSentry(options: FakeSentryOptions = {}): Promise<FakeSentry> {
  const fake = new FakeSentry(options);
  await fake.listen();
  return fake;
}
