import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { createStackParser, Scope, type Client, type Event } from '@sentry/core';
import { nodeStackLineParser } from '@sentry/core/server';
import { defaultStackParser, getOtlpTracesEndpoint as sentryOtlpTracesEndpoint, getSentryRelease, makeNodeTransport, NodeClient } from '@sentry/node';
import { detectedRelease, NodeRuntimeClient, nodeStackParser } from '../../../src/sentry/node/client';
import { moduleFromFilename } from '../../../src/sentry/node/module-name';
import { getOtlpTracesEndpoint } from '../../../src/sentry/node/opentelemetry';
import { makeTeeTransportFactory, proxyFor } from '../../../src/sentry/transport';
import { startFakeSentry, type FakeSentry } from '../../support/fake-sentry';

/** One real error, thrown here, for both clients. */
function thrownHere(): Error {
  try {
    throw new TypeError('boom from the client test');
  } catch (error) {
    return error as Error;
  }
}

function captureWith(client: Client, error: Error): void {
  const scope = new Scope();
  scope.setClient(client);
  client.captureException(error, { originalException: error }, scope);
}

/** What may differ between two captures of one error by two clients. */
function comparable(event: Event): Event {
  const { event_id: _id, timestamp: _ts, contexts, ...rest } = event;
  const { trace: _trace, ...otherContexts } = contexts ?? {};
  return { ...rest, contexts: otherContexts };
}

describe('NodeRuntimeClient (@sentry/node\'s NodeClient built on @sentry/core alone)', () => {
  let sentry: FakeSentry;
  before(async () => {
    sentry = await startFakeSentry();
  });
  after(() => sentry.close());
  beforeEach(() => sentry.reset());

  it('sends the same event and envelope header as @sentry/node\'s NodeClient with its transport', async () => {
    const common = { dsn: sentry.dsn, integrations: [], sendClientReports: false, serverName: 'salon-1' };
    const theirs = new NodeClient({ ...common, transport: makeNodeTransport, stackParser: defaultStackParser, enableRuntimeChannelInjection: false });
    const ours = new NodeRuntimeClient({ ...common, transport: makeTeeTransportFactory({ sinks: new Set(), sendToNetwork: true }), stackParser: nodeStackParser });
    // Two error objects with one stack (Sentry skips an error object it captured already).
    const theirError = thrownHere();
    const ourError = Object.assign(new TypeError(theirError.message), { stack: theirError.stack });
    captureWith(theirs, theirError);
    await theirs.close(2000);
    captureWith(ours, ourError);
    await ours.close(2000);

    const [theirEnvelope, ourEnvelope] = sentry.envelopes();
    assert.ok(theirEnvelope && ourEnvelope, `both envelopes arrived: ${sentry.summary()}`);
    assert.deepEqual(ourEnvelope.header.sdk, theirEnvelope.header.sdk);
    assert.equal((ourEnvelope.header.sdk as { name: string }).name, 'sentry.javascript.node');
    assert.deepEqual(ourEnvelope.auth, theirEnvelope.auth, 'same auth, sentry_client included');
    const [theirEvent, ourEvent] = sentry.events() as Event[];
    assert.deepEqual(comparable(ourEvent), comparable(theirEvent));
    assert.equal(ourEvent.platform, 'node');
    assert.equal(ourEvent.server_name, 'salon-1');
    assert.deepEqual(ourEvent.contexts?.runtime, { name: 'node', version: process.version });
    const [ourRequest, theirRequest] = [sentry.rawBodies().at(-1), sentry.rawBodies().at(-2)];
    assert.equal(ourRequest?.headers['user-agent'], theirRequest?.headers['user-agent']);
  });

  it('gzips an envelope above 32 KB and delivers it whole, as Sentry\'s transport does', async () => {
    const client = new NodeRuntimeClient({ dsn: sentry.dsn, integrations: [], sendClientReports: false, transport: makeTeeTransportFactory({ sinks: new Set(), sendToNetwork: true }), stackParser: nodeStackParser, maxValueLength: 100_000 });
    const long = 'x'.repeat(40_000);
    captureWith(client, new Error(long));
    await client.close(2000);
    const request = sentry.rawBodies().find((r) => r.route === 'envelope');
    assert.equal(request?.contentEncoding, 'gzip');
    assert.equal((sentry.events()[0] as Event).exception?.values?.[0]?.value, long);
  });

  it('obeys Sentry\'s rate limits: events are dropped while the limit lasts', async () => {
    await sentry.setMode({ status: 429, retryAfter: 60 });
    const client = new NodeRuntimeClient({ dsn: sentry.dsn, integrations: [], sendClientReports: false, transport: makeTeeTransportFactory({ sinks: new Set(), sendToNetwork: true }), stackParser: nodeStackParser });
    captureWith(client, new Error('first'));
    await client.flush(2000);
    await sentry.setMode('ok');
    captureWith(client, new Error('second, rate limited'));
    await client.close(2000);
    assert.equal(sentry.rawBodies().filter((r) => r.route === 'envelope').length, 1, 'only the first reached Sentry');
  });

  it('stops its client-report timer and exit listeners on close', async () => {
    const before = process.listenerCount('beforeExit');
    const client = new NodeRuntimeClient({ dsn: sentry.dsn, integrations: [], sendClientReports: true, transport: makeTeeTransportFactory({ sinks: new Set(), sendToNetwork: true }), stackParser: nodeStackParser });
    client.startClientReportTracking();
    assert.equal(process.listenerCount('beforeExit'), before + 2);
    await client.close(2000);
    assert.equal(process.listenerCount('beforeExit'), before);
  });
});

describe('detectedRelease (Sentry.init\'s release when none is configured)', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, string | undefined]> = [
    ['none', {}, undefined],
    ['SENTRY_RELEASE', { SENTRY_RELEASE: 'salon@2.0.0', GITHUB_SHA: 'abc123' }, 'salon@2.0.0'],
    ['a CI commit', { GITHUB_SHA: 'abc123' }, 'abc123'],
    ['a host commit', { VERCEL_GIT_COMMIT_SHA: 'def456' }, 'def456'],
  ];
  for (const [name, env, expected] of cases) {
    it(`${name}: as @sentry/node's`, () => {
      const keys = ['SENTRY_RELEASE', 'GITHUB_SHA', 'VERCEL_GIT_COMMIT_SHA'];
      const saved = keys.map((key) => [key, process.env[key]] as const);
      for (const key of keys) delete process.env[key];
      Object.assign(process.env, env);
      try {
        assert.equal(detectedRelease(), expected);
        assert.equal(detectedRelease(), getSentryRelease());
      } finally {
        for (const [key, value] of saved) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
    });
  }
});

describe('proxyFor (which proxy Sentry\'s transport would use)', () => {
  const cases: Array<[string, string, string | undefined, NodeJS.ProcessEnv, string | undefined]> = [
    ['no proxy anywhere', 'https://o1.ingest.sentry.io/api/1/envelope/', undefined, {}, undefined],
    ['the option wins', 'https://o1.ingest.sentry.io/', 'http://opt:3128', { https_proxy: 'http://env:3128' }, 'http://opt:3128'],
    ['https_proxy for https', 'https://o1.ingest.sentry.io/', undefined, { https_proxy: 'http://s:3128', http_proxy: 'http://p:3128' }, 'http://s:3128'],
    ['http_proxy for http', 'http://sentry.local/', undefined, { https_proxy: 'http://s:3128', http_proxy: 'http://p:3128' }, 'http://p:3128'],
    ['http_proxy for https when no https_proxy', 'https://o1.ingest.sentry.io/', undefined, { http_proxy: 'http://p:3128' }, 'http://p:3128'],
    ['no_proxy exempts the host', 'https://o1.ingest.sentry.io/', undefined, { https_proxy: 'http://s:3128', no_proxy: 'localhost,sentry.io' }, undefined],
    ['no_proxy for another host', 'https://o1.ingest.sentry.io/', undefined, { https_proxy: 'http://s:3128', no_proxy: 'example.com' }, 'http://s:3128'],
  ];
  for (const [name, url, option, env, expected] of cases) {
    it(name, () => assert.equal(proxyFor(new URL(url), option, env), expected));
  }
});

describe('moduleFromFilename (the frame `module` Sentry groups issues by)', () => {
  const base = '/srv/salon';
  const cases: Array<[string, string | undefined]> = [
    ['/srv/salon/routes/bookings.js', 'routes:bookings'],
    ['/srv/salon/server.mjs', 'server'],
    ['/srv/salon/lib/deep/a%20b.cjs', 'lib.deep:a b'],
    ['/srv/salon/node_modules/knex/lib/runner.js', 'knex.lib:runner'],
    ['/srv/salon/node_modules/@scope/pkg/index.js', '@scope.pkg:index'],
    ['/elsewhere/tool.ts', 'tool.ts'],
    ['/srv/salon/bad%zzname.js', 'bad%zzname'],
  ];
  const ours = moduleFromFilename(base, false);
  for (const [file, expected] of cases) it(file, () => assert.equal(ours(file), expected));

  it('names frames as @sentry/node\'s default stack parser does', () => {
    const stack = [
      'Error: x',
      `    at handler (${path.join(__dirname, 'client.test.ts')}:10:5)`,
      `    at Layer.handle (${path.join(process.cwd(), 'node_modules', 'router', 'lib', 'layer.js')}:152:17)`,
      '    at node:internal/process/task_queues:95:5',
    ].join('\n');
    assert.deepEqual(nodeStackParser(stack), defaultStackParser(stack));
    assert.notDeepEqual(createStackParser(nodeStackLineParser())(stack), nodeStackParser(stack), 'modules are named');
  });
});

describe('getOtlpTracesEndpoint', () => {
  it('is Sentry\'s OTLP endpoint and auth for a DSN', () => {
    assert.deepEqual(getOtlpTracesEndpoint('https://abc@o1.ingest.sentry.io:8443/sub/42'), {
      url: 'https://o1.ingest.sentry.io:8443/sub/api/42/integration/otlp/v1/traces/',
      headers: { 'X-Sentry-Auth': 'Sentry sentry_version=7, sentry_key=abc' },
    });
    assert.equal(getOtlpTracesEndpoint('not a dsn'), undefined);
    for (const dsn of ['http://k@127.0.0.1:9000/7', 'https://abc@o1.ingest.sentry.io/42']) assert.deepEqual(getOtlpTracesEndpoint(dsn), sentryOtlpTracesEndpoint(dsn));
  });
});
