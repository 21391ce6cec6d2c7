/**
 * Hostile input through real HTTP (issue 7) against an app with the full observability() suite and
 * express.json(): each case answers sensibly (status + JSON body), produces at most one event, and the
 * process stays up without an unhandled rejection.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { ChildApp } from '../support/child-app';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry';
import { CLASSIFY_APP, assertHealthy, flushChild, startReliabilityApp } from './support';

interface Case {
  name: string;
  path: string;
  init?: RequestInit;
  status: number;
  /** Events expected: exactly this many (0 or 1). */
  events: 0 | 1;
  /** Extra checks on the JSON body and the event. */
  check?: (body: any, event: any) => void;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const INTERNAL = { error: 'Internal Server Error' };

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

function bigObject(bytes: number): string {
  const entries: string[] = [];
  for (let i = 0, size = 2; size < bytes; i++) {
    const entry = `"k${i}":"${'v'.repeat(100)}"`;
    entries.push(entry);
    size += entry.length + 1;
  }
  return `{${entries.join(',')}}`;
}

/** Asks the child to finish sending, then returns what the fake got: the barrier for "at most one". */
async function eventsAfter(app: ChildApp, fake: FakeSentry): Promise<any[]> {
  assert.deepEqual(await flushChild(app), { ok: true });
  return fake.events();
}

async function runCase(app: ChildApp, fake: FakeSentry, c: Case): Promise<void> {
  fake.reset();
  const from = app.output().length;
  const response = await app.fetch(c.path, { ...c.init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  assert.equal(response.status, c.status, `${c.name}: status ${response.status}, body ${text.slice(0, 300)}`);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/, `${c.name}: not JSON: ${text.slice(0, 300)}`);
  const body = JSON.parse(text);
  const events = await eventsAfter(app, fake);
  assert.equal(events.length, c.events, `${c.name}: ${events.length} events\n${fake.summary()}`);
  if (c.status >= 500) {
    assert.equal(body.error, INTERNAL.error, `${c.name}: ${text.slice(0, 300)}`);
    assert.equal(body.stack, undefined, `${c.name}: a stack trace reached the client`);
    if (c.events === 1) assert.equal(body.eventId, events[0].event_id, `${c.name}: the eventId answered is not the event's`);
  } else {
    assert.equal(typeof body.error, 'string');
  }
  c.check?.(body, events[0]);
  assertHealthy(app, from);
}

/** Node's default header limit (16 KiB) answers 431 before Express sees the request; fetch may see a reset. */
function requestWithHugeHeader(app: ChildApp, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${app.url}/ok`, { headers: { 'x-huge': 'h'.repeat(bytes) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

const exceptionValue = (event: any): string => String(event.exception?.values?.[0]?.value ?? '');

const CASES: Case[] = [
  { name: 'malformed JSON', path: '/echo', init: { method: 'POST', headers: JSON_HEADERS, body: '{"amount": 12,' }, status: 400, events: 0 },
  { name: '1 MB body over the parser limit', path: '/echo', init: { method: 'POST', headers: JSON_HEADERS, body: bigObject(1024 * 1024) }, status: 413, events: 0 },
  {
    name: '1 MB body accepted, then a 500: the event carries a capped body',
    path: '/big', init: { method: 'POST', headers: JSON_HEADERS, body: bigObject(1024 * 1024) }, status: 500, events: 1,
    check: (_body, event) => {
      const data = event.request?.data;
      assert.equal(typeof data, 'string');
      assert.ok(data.length <= 16 * 1024 + 32, `body snapshot of ${data.length} chars`);
      assert.match(data, /…\[truncated]$/);
    },
  },
  { name: '10 000 nested objects', path: '/echo', init: { method: 'POST', headers: JSON_HEADERS, body: nested(10_000) }, status: 500, events: 1 },
  {
    name: '10 000 nested arrays', path: '/echo',
    init: { method: 'POST', headers: JSON_HEADERS, body: `${'['.repeat(10_000)}${']'.repeat(10_000)}` }, status: 500, events: 1,
  },
  { name: 'thrown string', path: '/throw/string', status: 500, events: 1, check: (_b, e) => assert.match(exceptionValue(e), /a thrown string/) },
  { name: 'thrown number', path: '/throw/number', status: 500, events: 1 },
  // Express treats a synchronous `throw null/undefined` as "no error": the request goes on to the 404.
  { name: 'thrown null (sync)', path: '/throw/null', status: 404, events: 0 },
  { name: 'thrown undefined (sync)', path: '/throw/undefined', status: 404, events: 0 },
  { name: 'rejected with null', path: '/reject/null', status: 500, events: 1 },
  { name: 'rejected with undefined', path: '/reject/undefined', status: 500, events: 1 },
  { name: 'next(number)', path: '/next/number', status: 500, events: 1 },
  { name: 'thrown circular object', path: '/throw/circular', status: 500, events: 1 },
  { name: 'error whose message/stack/name getters throw', path: '/throw/getters', status: 500, events: 1 },
  { name: 'rejected with an error whose getters throw', path: '/reject/getters', status: 500, events: 1 },
  {
    name: 'error with a cause chain that loops', path: '/throw/cause-loop', status: 500, events: 1,
    check: (_b, e) => assert.ok(e.exception.values.length <= 6, `${e.exception.values.length} linked exceptions`),
  },
  {
    name: '1 MB error message: the value is cut so that the event stays under Sentry\'s 1 MiB limit', path: '/throw/huge-message', status: 500, events: 1,
    check: (body, e) => {
      assert.ok(JSON.stringify(body).length < 200, 'the client got the huge message');
      assert.match(exceptionValue(e), /^huge:x+/);
      assert.ok(exceptionValue(e).length <= 8192 + 3, `exception value of ${exceptionValue(e).length} chars`);
      assert.ok(JSON.stringify(e).length < 256 * 1024, `event of ${JSON.stringify(e).length} bytes`);
    },
  },
  {
    name: '1 MB thrown string', path: '/throw/huge-string', status: 500, events: 1,
    check: (_b, e) => assert.ok(JSON.stringify(e).length < 256 * 1024, `event of ${JSON.stringify(e).length} bytes`),
  },
];

const USER_MODES = ['throw', 'throw-hostile', 'reject', 'reject-hostile', 'hang', 'garbage'];
const SHOULD_REPORT: Array<[string, 0 | 1]> = [['throw', 1], ['throw-hostile', 1], ['hang', 1], ['false', 0]];

describe('reliability: hostile input through real HTTP (full observability() suite + express.json())', function () {
  this.timeout(60_000);
  let fake: FakeSentry;
  let app: ChildApp;

  before(async () => {
    fake = await startFakeSentry();
    app = await startReliabilityApp(fake);
  });
  after(async () => {
    await app?.stop('SIGKILL');
    await fake?.close();
  });

  for (const c of CASES) {
    const title = `${c.name}: ${c.status}, ${c.events} event(s), process up`;
    it(title, () => runCase(app, fake, c));
  }

  it('huge headers: 431 from Node before the app, no event, process up; the next request is served', async () => {
    fake.reset();
    assert.equal(await requestWithHugeHeader(app, 64 * 1024), 431);
    assert.equal((await eventsAfter(app, fake)).length, 0);
    assert.equal((await app.fetch('/ok')).status, 200);
    assertHealthy(app);
  });

  for (const mode of USER_MODES) {
    it(`user resolver that ${mode}s: the request goes on without a user, one event`, () =>
      runCase(app, fake, {
        name: `user ${mode}`, path: '/error', init: { headers: { 'x-user-mode': mode } }, status: 500, events: 1,
        check: (_b, e) => assert.equal(e.user?.id, undefined),
      }));
  }

  for (const [mode, events] of SHOULD_REPORT) {
    it(`errorHandler shouldReport that ${mode === 'false' ? 'returns false' : `${mode}s`}: 500 JSON, ${events} event(s)`, () =>
      runCase(app, fake, { name: `shouldReport ${mode}`, path: '/error', init: { headers: { 'x-should-report': mode } }, status: 500, events }));
  }

  it('ignoreErrors given to initTelemetry: answered without an eventId (no event is sent); other errors keep theirs', async () => {
    const own = await startReliabilityApp(fake, { RELIABILITY_IGNORE_ERRORS: 'ignored-by-configuration' }, CLASSIFY_APP);
    try {
      await runCase(own, fake, {
        name: 'ignored by initTelemetry', path: '/error?n=ignored-by-configuration', status: 500, events: 0,
        check: (body) => assert.equal(body.eventId, undefined, 'the answer names an event that is never sent'),
      });
      await runCase(own, fake, { name: 'not ignored', path: '/error?n=kept', status: 500, events: 1 });
    } finally {
      await own.stop('SIGKILL');
    }
  });

  describe('classifyError given to initTelemetry (no preload: the app calls initTelemetry before requiring express)', () => {
    let own: ChildApp;
    before(async () => {
      own = await startReliabilityApp(fake, {}, CLASSIFY_APP);
    });
    after(async () => own?.stop('SIGKILL'));

    for (const [message, category] of [
      ['classify-throw', 'http_5xx'],
      ['classify-throw-hostile', 'http_5xx'],
      ['classify-hang', 'http_5xx'],
      ['classify-custom', 'custom_category'],
    ]) {
      it(`a classifier that ${message.replace('classify-', '')}s: one event tagged ${category}`, () =>
        runCase(own, fake, {
          name: message, path: `/classify/${message}`, status: 500, events: 1,
          check: (_b, e) => {
            assert.equal(e.tags['error.category'], category);
            assert.ok(fake.spans().some((s) => s.attributes['http.route'] === '/classify/:message'), 'express was not instrumented');
          },
        }));
    }
  });
});
