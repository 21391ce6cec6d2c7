import assert from 'node:assert/strict';
import type { Event, StackFrame } from '@sentry/node';
import { defaultScrubber } from '../../src/scrub';
import { truncate } from '@sentry/core';
import { CLIENT_MAX_VALUE_LENGTH, MAX_VALUE_LENGTH, scrubEvent } from '../../src/sentry/scrub-event';
import { captureException } from '../../src';
import { kit } from '../support/setup';

/** A Visa test number: 16 digits that pass the Luhn check, as a random hex id sometimes contains. */
const CARD = '4111111111111111';

const CASES: Array<{ name: string; event: Event; kept: (e: Event) => unknown; expected: unknown }> = [
  { name: 'event_id with a Luhn-valid digit run', event: { event_id: `ac72e854ccbf${CARD}b0bc` }, kept: (e) => e.event_id, expected: `ac72e854ccbf${CARD}b0bc` },
  {
    name: 'trace_id, span_id and parent_span_id with digit runs',
    event: { contexts: { trace: { trace_id: `${CARD}${CARD}`, span_id: CARD, parent_span_id: CARD } } },
    kept: (e) => e.contexts?.trace,
    expected: { trace_id: `${CARD}${CARD}`, span_id: CARD, parent_span_id: CARD },
  },
  {
    name: "the envelope's trace header: the DSN's public key and the trace id (outside a request, Sentry sends it)",
    event: { sdkProcessingMetadata: { dynamicSamplingContext: { trace_id: `${CARD}${CARD}`, public_key: 'd'.repeat(32), release: 'salon@1.0.0', environment: 'test' } } },
    kept: (e) => e.sdkProcessingMetadata?.dynamicSamplingContext,
    expected: { trace_id: `${CARD}${CARD}`, public_key: 'd'.repeat(32), release: 'salon@1.0.0', environment: 'test' },
  },
  {
    name: 'a public_key that is not a generated key is scrubbed like any value (a token shape filtered)',
    event: { sdkProcessingMetadata: { dynamicSamplingContext: { public_key: 'sk_live_abcdefghijklmnop1234' } } },
    kept: (e) => e.sdkProcessingMetadata?.dynamicSamplingContext,
    expected: { public_key: '[Filtered]' },
  },
  {
    name: "Sentry's title for a thrown plain object names its keys, which are no values",
    event: { exception: { values: [{ type: 'Error', value: 'Object captured as exception with keys: code, detail, keys' }] } },
    kept: (e) => e.exception?.values?.[0]?.value,
    expected: 'Object captured as exception with keys: code, detail, keys',
  },
  {
    name: '…a class name kept, and a name that looks like a token still filtered',
    event: { exception: { values: [{ type: 'Error', value: "'GatewayReply' captured as exception with keys: status, sk_live_abcdefghijklmnop1234" }] } },
    kept: (e) => e.exception?.values?.[0]?.value,
    expected: "'GatewayReply' captured as exception with keys: status, [Filtered]",
  },
  { name: 'a card in the message is still scrubbed', event: { event_id: 'a'.repeat(32), message: `paid with ${CARD}` }, kept: (e) => e.message, expected: 'paid with [Filtered]' },
  { name: 'a non-hex "id" is scrubbed like any value', event: { event_id: `card ${CARD}` }, kept: (e) => e.event_id, expected: 'card [Filtered]' },
  {
    name: 'a card in another trace context field is scrubbed',
    event: { contexts: { trace: { trace_id: 'b'.repeat(32), span_id: 'c'.repeat(16), data: { note: `card ${CARD}` } } } },
    kept: (e) => (e.contexts?.trace as { data?: unknown }).data,
    expected: { note: 'card [Filtered]' },
  },
];

describe('scrubEvent: generated ids survive, secrets do not', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const original = structuredClone(c.event);
      const scrubbed = scrubEvent(defaultScrubber(), c.event);
      assert.deepEqual(c.kept(scrubbed), c.expected);
      assert.deepEqual(c.event, original, 'the input event is not mutated');
    });
  }
});

describe('scrubEvent: source context lines are read as code', () => {
  beforeEach(() => kit.reset());

  it('a secret on the line after its name, or after process.env.X ||, is not sent with a frame', async () => {
    const { verify } = require('./fixtures/secrets-in-source.cjs') as { verify: () => void };
    try {
      verify();
    } catch (error) {
      captureException(error);
    }
    const [event] = await kit.waitForEvents(1);
    const frame = event.exception?.values?.[0]?.stacktrace?.frames?.find((f) => f.filename?.endsWith('secrets-in-source.cjs'));
    assert.match(String(frame?.context_line), /throw new Error/, 'the frame has its context lines');
    assert.ok((frame?.pre_context ?? []).some((line) => line.includes("'[Filtered]'")));
    await kit.expectNoSecrets(['ctx-fallback-secret-71', 'ctx-wrapped-secret-72']);
  });
});

describe('scrubEvent: values Sentry cut before scrubbing', () => {
  // A long JWT first: scrubbing it shortens the text by ~1.5 KB, which must not bring the part of a card
  // number left at Sentry's cut under ours.
  const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJ${'a'.repeat(1500)}.sig`;
  const card = '4111111111111111';
  const beforeCard = CLIENT_MAX_VALUE_LENGTH - 15 - jwt.length - 2;
  const value = `${jwt} ${'x'.repeat(beforeCard)} ${card} end`;

  it('no digits of a card across Sentry\'s cut reach the event, however much scrubbing shortened the text', () => {
    const cut = truncate(value, CLIENT_MAX_VALUE_LENGTH); // what Sentry's maxValueLength leaves
    assert.ok(cut.includes('411111111111111') && !cut.includes(card), 'the card straddles the cut');
    const scrubbed = scrubEvent(defaultScrubber(), { exception: { values: [{ type: 'Error', value: cut }] } });
    const sent = String(scrubbed.exception?.values?.[0]?.value);
    assert.doesNotMatch(sent, /41111111/);
    assert.ok(sent.length <= MAX_VALUE_LENGTH + 3 && sent.endsWith('...'));
  });

  it('a value Sentry did not cut is cut at 8192 after scrubbing, its end kept', () => {
    const scrubbed = scrubEvent(defaultScrubber(), { exception: { values: [{ type: 'Error', value: `boom ${'y'.repeat(9000)}` }] } });
    assert.equal(scrubbed.exception?.values?.[0]?.value, `boom ${'y'.repeat(MAX_VALUE_LENGTH - 5)}...`);
  });

  it('a long query string and a breadcrumb\'s long URL are cut at 8192 too (the URL once more, which Sentry leaves whole)', () => {
    const query = `q=${'x'.repeat(20_000)}`;
    const scrubbed = scrubEvent(defaultScrubber(), {
      request: { url: 'http://salon.example/search', query_string: query },
      breadcrumbs: [{ category: 'request', data: { url: `/search?${query}` } }, { category: 'short', data: { url: '/hello' } }],
    });
    assert.equal(scrubbed.request?.query_string, `${query.slice(0, MAX_VALUE_LENGTH)}...`);
    assert.equal(scrubbed.breadcrumbs?.[0]?.data?.url, `/search?${query.slice(0, MAX_VALUE_LENGTH - 8)}...`);
    assert.equal(scrubbed.breadcrumbs?.[1]?.data?.url, '/hello');
  });

  it('the cut at 8192 never leaves half an emoji (a lone surrogate gets the event refused)', () => {
    const scrubbed = scrubEvent(defaultScrubber(), { exception: { values: [{ type: 'Error', value: `${'y'.repeat(MAX_VALUE_LENGTH - 1)}💅 and more ${'z'.repeat(900)}` }] } });
    assert.equal(scrubbed.exception?.values?.[0]?.value, `${'y'.repeat(MAX_VALUE_LENGTH - 1)}...`);
  });
});

/** One frame with these fields, as @sentry/node makes it. */
const frameEvent = (frame: StackFrame): Event => ({ exception: { values: [{ type: 'Error', value: 'x', stacktrace: { frames: [frame] } }] } });
const frameOf = (event: Event): StackFrame | undefined => event.exception?.values?.[0]?.stacktrace?.frames?.[0];

describe("scrubEvent: a frame's module, function and file names are names, not `name: value` text", () => {
  const rows: Array<[string, StackFrame, StackFrame]> = [
    ["Sentry's `dir:file` module of a folder with a sensitive name", { module: 'auth:login' }, { module: 'auth:login' }],
    ['…nested, and in node_modules', { module: 'controllers.auth:session', filename: '/app/node_modules/jsonwebtoken/verify.js' }, { module: 'controllers.auth:session', filename: '/app/node_modules/jsonwebtoken/verify.js' }],
    ['…packages named for what they guard', { module: 'express-session:index', function: 'TokenService.refreshToken' }, { module: 'express-session:index', function: 'TokenService.refreshToken' }],
    ['…a service named token', { module: 'services.token:issue', abs_path: '/app/dist/services/token/issue.js' }, { module: 'services.token:issue', abs_path: '/app/dist/services/token/issue.js' }],
    ['a card number in a name is still filtered', { module: 'builds.4111-1111-1111-1111:server', function: `handle_${CARD}` }, { module: 'builds.[Filtered]:server', function: 'handle_[Filtered]' }],
    ['a token in a name is still filtered', { module: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789:index' }, { module: '[Filtered]:index' }],
    ['a file URL\'s credentials and sensitive query parameters are still filtered', { abs_path: 'https://ann:pw-1@cdn.example.com/app.js?token=t-1' }, { abs_path: 'https://ann:[Filtered]@cdn.example.com/app.js?token=[Filtered]' }],
  ];
  for (const [name, frame, expected] of rows) it(name, () => assert.deepEqual(frameOf(scrubEvent(defaultScrubber(), frameEvent(frame))), expected));
});

describe("scrubEvent: a frame's context lines are code: the code is sent, the secrets in it are not", () => {
  const contextLine = (line: string): unknown => frameOf(scrubEvent(defaultScrubber(), frameEvent({ pre_context: ['// a'], context_line: line, post_context: ['// b'] })))?.context_line;
  // [line, sent]: what must go is [Filtered] in what is sent, what must stay is sent as it is.
  const mustGo: Array<[string, string]> = [
    ["const password = 'hunter2';", "const password = '[Filtered]';"],
    ['  apiKey: "sk_live_abcdefghijklmnop1234",', "  apiKey: '[Filtered]',"],
    ["  Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz',", "  Authorization: '[Filtered]',"],
    ["fetchJson(url, { headers: { 'X-Note': 'Bearer abc123def456ghi' } })", "fetchJson(url, { headers: { 'X-Note': 'Bearer [Filtered]' } })"],
    ["const db = 'postgres://app:s3cr3t@db/app';", "const db = 'postgres://app:[Filtered]@db/app';"],
    ["fetch('https://api.example.com/v1?token=abc123');", "fetch('https://api.example.com/v1?token=[Filtered]');"],
    ["const next = 'https://x.io/cb?next=%2Fcb%3Ftoken%3Dabc';", "const next = 'https://x.io/cb?next=[Filtered]';"],
    ["throw new Error('token=abc123 expired');", "throw new Error('token=[Filtered] expired');"],
    ['log.info("password: hunter2");', 'log.info("password: [Filtered]");'],
    ['// password=hunter2', '// password=[Filtered]'],
    ['x(); /* token: abc123 */ y();', 'x(); /* token: [Filtered] */ y();'],
    [' * @example password: hunter2', ' * @example password: [Filtered]'],
    ['const pin = 4829;', 'const pin = [Filtered];'],
    ['  cvv: 123,', '  cvv: [Filtered],'],
    [`charge(${CARD});`, 'charge([Filtered]);'],
    ["const GH = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';", "const GH = '[Filtered]';"],
    ["const token = process.env.TOKEN || 'dev-token-1';", "const token = process.env.TOKEN || '[Filtered]';"],
    ["client.login({ user: 'ann', password: 'p@ss' })", "client.login({ user: 'ann', password: '[Filtered]' })"],
    ['const x={password:e,token:t};', 'const x={password:[Filtered],token:[Filtered]};'],
    ["db.query(\"select * from users where password = 'x'\")", "db.query(\"select * from users where password = '[Filtered]'\")"],
    // Lines of a YAML or .env text in a template literal whose backticks are outside the lines shown.
    ['  password: Sup3rS3cret', '  password: [Filtered]'],
    ['DB_PASSWORD = Sup3rS3cret', 'DB_PASSWORD = [Filtered]'],
    ['SESSION_SECRET = correcthorse # prod', 'SESSION_SECRET = [Filtered] # prod'],
    ['  password: Winter.2024', '  password: [Filtered]'],
    ['  api_key: sk.live.4f9a8b77', '  api_key: [Filtered]'],
    ['  redis: { host: cache, password: R3disPass, db: 0 }', '  redis: { host: cache, password: [Filtered], db: 0 }'],
    ['  "token": abc123,', '  "token": [Filtered],'],
    ['  password: hunter2,', '  password: [Filtered],'],
    ['DB_PASSWORD = s3cret - prod', 'DB_PASSWORD = [Filtered] - prod'],
    ['password = hunter2 ; prod', 'password = [Filtered] ; prod'],
    ['  secret: Sup3rS3cret. Rotate monthly', '  secret: [Filtered] Rotate monthly'],
    ['  password: hunter2 | base64', '  password: [Filtered] | base64'],
    ['token = abc123;', 'token = [Filtered];'],
    ['  password: [hunter2]', '  password: [Filtered]'],
    ['  password: p@ss.word', '  password: [Filtered]'],
    ['  password: S3cret == x', '  password: [Filtered] == x'],
  ];
  const mustStay = [
    'export async function verifyToken(token: string, secret: string): Promise<User> {',
    '  const session: Session = await store.get(sessionId);',
    '  const session = (0, session_1.requireSession)(String(req.query.sid));',
    '  password: z.string().min(8),',
    '  cookie: { secure: true, httpOnly: true },',
    '  private readonly apiKey: string;',
    '  const { token, refreshToken } = await issueTokens(user);',
    "  case 'token': return refresh();",
    "  if (!auth) throw new AuthError('missing auth header');",
    '  if (password === confirmPassword) {',
    '  const ok = secret === provided',
    '  private token: string',
    '  ids: number[],',
    '  const session: Session = requireSession(id);',
    '  password: await hash(pw),',
    "  case 'token': break",
  ];
  // An identifier as a sensitive key's value (`password: hashed`) reads as a YAML text's bare word
  // would: filtered, the price of never sending one.
  for (const [line, sent] of mustGo) it(`goes: ${line}`, () => assert.equal(contextLine(line), sent));
  for (const line of mustStay) it(`stays: ${line}`, () => assert.equal(contextLine(line), line));

  it("a frame's local variables are scrubbed as values, sensitive names filtered", () => {
    const frame = frameOf(scrubEvent(defaultScrubber(), frameEvent({ context_line: 'f(x)', vars: { password: 'hunter2', note: `card ${CARD}`, user: 'ann' } })));
    assert.deepEqual(frame?.vars, { password: '[Filtered]', note: 'card [Filtered]', user: 'ann' });
  });

  it('through the real pipeline: the code around the throw is sent, the secret above it is not', async () => {
    kit.reset();
    const { requireSession } = require('./fixtures/code-in-source.cjs') as { requireSession: (sid: string) => void };
    try {
      requireSession('sid-1');
    } catch (error) {
      captureException(error);
    }
    const [event] = await kit.waitForEvents(1);
    const frame = event.exception?.values?.[0]?.stacktrace?.frames?.find((f) => f.filename?.endsWith('code-in-source.cjs'));
    // `token: sid`, an identifier given to a sensitive name, reads as a YAML text's bare word would: filtered.
    assert.equal(frame?.pre_context?.at(-1), '  const session = { password: hashPassword(sid), cookie: { secure: true }, token: [Filtered] };');
    assert.equal(frame?.context_line, '  throw new Error(`no session (${session.cookie.secure}, ${SESSION_SECRET.length})`);');
    await kit.expectNoSecrets(['ctx-session-secret-73']);
  });
});
