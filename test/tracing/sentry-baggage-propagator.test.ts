import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  context, defaultTextMapGetter, defaultTextMapSetter, propagation, ROOT_CONTEXT, trace, TraceFlags,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { sampleRandOf } from '../../src/tracing/sentry-baggage';
import { dscSettingsFrom, SentryBaggagePropagator } from '../../src/tracing/sentry-baggage-propagator';
import { untracedFetch } from '../support/child-app';
import { EXPRESS_VERSIONS } from '../support/express-versions';

const TRACE = '771a43a4192642f0b136d5159a501700';
const SPAN = 'b7ad6b7169203331';

/** The members of a `baggage` value, decoded. */
function members(header: string | string[] | undefined): Record<string, string> {
  const value = Array.isArray(header) ? header.join(',') : header ?? '';
  return Object.fromEntries(value.split(',').filter(Boolean).map((entry) => {
    const [key, raw] = entry.split(';')[0].split('=');
    return [decodeURIComponent(key.trim()), decodeURIComponent(raw.trim())];
  }));
}

function sentryMembers(header: string | string[] | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(members(header)).filter(([key]) => key.startsWith('sentry-')));
}

/** A server that answers every request with 200 and keeps the headers it received. */
async function recordingServer(): Promise<{ url: string; received: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const received: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    received.push(req.headers);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function httpGet(url: string, headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
}

describe('SentryBaggagePropagator: Sentry\'s dynamic sampling context on outgoing calls', () => {
  const propagator = new SentryBaggagePropagator({ w3c: true, publicKey: 'pk', environment: 'prod', release: 'r@1', rate: 0.5 });
  const sampledHere = (traceId = TRACE) => trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: SPAN, traceFlags: TraceFlags.SAMPLED });

  it('a trace started here: trace_id, public_key, sample_rate, sampled, sample_rand, environment, release', () => {
    const carrier: Record<string, string> = {};
    propagator.inject(sampledHere(), carrier, defaultTextMapSetter);
    assert.deepEqual(sentryMembers(carrier.baggage), {
      'sentry-environment': 'prod', 'sentry-release': 'r@1', 'sentry-public_key': 'pk', 'sentry-trace_id': TRACE,
      'sentry-sampled': 'true', 'sentry-sample_rand': String(sampleRandOf(TRACE)), 'sentry-sample_rate': '0.5',
    });
  });

  it('nothing when tracing is suppressed or there is no span', () => {
    const carrier: Record<string, string> = {};
    propagator.inject(suppressTracing(sampledHere()), carrier, defaultTextMapSetter);
    propagator.inject(ROOT_CONTEXT, carrier, defaultTextMapSetter);
    assert.deepEqual(carrier, {});
  });

  it('merged with the context\'s W3C baggage and an app\'s own header (under its own name); their sentry-* members replaced by ours', () => {
    const withBaggage = propagation.setBaggage(sampledHere(), propagation.createBaggage({
      tenant: { value: 'acme' }, 'sentry-sample_rate': { value: '0.9' },
    }));
    const carrier: Record<string, string> = { Baggage: 'app=1,sentry-release=stale' };
    propagator.inject(withBaggage, carrier, defaultTextMapSetter);
    assert.deepEqual(Object.keys(carrier), ['Baggage']);
    const sent = members(carrier.Baggage);
    assert.equal(sent.app, '1');
    assert.equal(sent.tenant, 'acme');
    assert.equal(sent['sentry-sample_rate'], '0.5');
    assert.equal(sent['sentry-release'], 'r@1');
  });

  it('without W3C baggage propagation (OTEL_PROPAGATORS has no `baggage`): only Sentry\'s members, in and out', () => {
    const sentryOnly = new SentryBaggagePropagator({ w3c: false, environment: 'prod', rate: 1 });
    const extracted = sentryOnly.extract(ROOT_CONTEXT, { baggage: `tenant=acme,sentry-trace_id=${TRACE}` }, defaultTextMapGetter);
    assert.deepEqual(propagation.getBaggage(extracted)?.getAllEntries().map(([key]) => key), ['sentry-trace_id']);
    const carrier: Record<string, string> = {};
    const withBaggage = propagation.setBaggage(sampledHere('f'.repeat(32)), propagation.createBaggage({ tenant: { value: 'acme' } }));
    sentryOnly.inject(withBaggage, carrier, defaultTextMapSetter);
    assert.deepEqual(Object.keys(members(carrier.baggage)).filter((key) => !key.startsWith('sentry-')), []);
  });

  it('the public key and organisation come from the DSN', () => {
    assert.deepEqual(dscSettingsFrom('https://abc123@o42.ingest.sentry.io/7'), { publicKey: 'abc123', orgId: '42' });
    assert.deepEqual(dscSettingsFrom('http://key@localhost:9000/3'), { publicKey: 'key', orgId: undefined });
    assert.deepEqual(dscSettingsFrom(undefined), {});
  });

  describe('through the real pipeline (the test kit): outgoing http and fetch', () => {
    const { express } = EXPRESS_VERSIONS[0];
    let downstream: Awaited<ReturnType<typeof recordingServer>>;
    let app: http.Server;
    let appUrl: string;
    before(async () => {
      downstream = await recordingServer();
      const expressApp = express();
      expressApp.get('/users/:id', async (_req, res) => {
        await fetch(`${downstream.url}/fetch`);
        await httpGet(`${downstream.url}/http`);
        res.end('done');
      });
      app = http.createServer(expressApp);
      await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
      appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    });
    after(async () => {
      await downstream.close();
      await new Promise((resolve) => app.close(resolve));
    });
    beforeEach(() => downstream.received.splice(0));

    it('a job of the app (a trace started here): both calls carry the DSC, merged with the context\'s baggage and the app\'s header', async () => {
      const traceId = await trace.getTracer('jobs').startActiveSpan('job', async (span) => {
        const withBaggage = propagation.setBaggage(context.active(), propagation.createBaggage({ tenant: { value: 'acme' } }));
        await context.with(withBaggage, async () => {
          await fetch(`${downstream.url}/fetch`);
          await httpGet(`${downstream.url}/http`, { baggage: 'app=1' });
        });
        span.end();
        return span.spanContext().traceId;
      });
      assert.equal(downstream.received.length, 2);
      for (const headers of downstream.received) {
        const sent = members(headers.baggage);
        assert.equal(sent['sentry-trace_id'], traceId);
        assert.equal(sent['sentry-sampled'], 'true');
        assert.equal(sent['sentry-sample_rate'], '1');
        assert.equal(sent['sentry-sample_rand'], String(sampleRandOf(traceId)));
        assert.equal(sent['sentry-environment'], 'test');
        assert.equal(sent.tenant, 'acme');
        assert.equal(sent['sentry-transaction'], undefined, 'a job has no route');
      }
      assert.equal(members(downstream.received[1].baggage).app, '1');
    });

    it('a request started here: the transaction is the route template, and one DSC serves every call', async () => {
      await untracedFetch(`${appUrl}/users/42`);
      assert.equal(downstream.received.length, 2);
      const [viaFetch, viaHttp] = downstream.received.map((headers) => sentryMembers(headers.baggage));
      assert.equal(viaFetch['sentry-transaction'], 'GET /users/:id');
      assert.equal(viaFetch['sentry-sample_rate'], '1');
      assert.deepEqual(viaHttp, viaFetch);
    });

    it('a request continued from a Sentry caller: the caller\'s DSC, unchanged, with the other baggage members', async () => {
      const caller = `sentry-trace_id=${TRACE},sentry-public_key=theirs,sentry-sample_rate=0.1,sentry-sampled=true,sentry-sample_rand=0.05,sentry-transaction=GET%20%2Fcheckout,other=1`;
      await untracedFetch(`${appUrl}/users/42`, { headers: { 'sentry-trace': `${TRACE}-${SPAN}-1`, baggage: caller } });
      for (const headers of downstream.received) {
        assert.deepEqual(sentryMembers(headers.baggage), sentryMembers(caller));
        assert.equal(members(headers.baggage).other, '1');
      }
    });

    it('a request continued from an OpenTelemetry caller (no DSC): ours, on its trace, with its decision and no rate', async () => {
      await untracedFetch(`${appUrl}/users/42`, { headers: { traceparent: `00-${TRACE}-${SPAN}-01` } });
      const sent = sentryMembers(downstream.received[0].baggage);
      assert.equal(sent['sentry-trace_id'], TRACE);
      assert.equal(sent['sentry-sampled'], 'true');
      assert.equal(sent['sentry-sample_rate'], undefined);
      assert.equal(sent['sentry-transaction'], 'GET /users/:id');
    });

    it('a request whose Sentry caller left the decision open: our decision at our rate, downstream in sentry-trace and the DSC', async () => {
      // The kit samples at 1: a flagless header is sampled, with the caller's sample_rand.
      const caller = `sentry-trace_id=${TRACE},sentry-public_key=theirs,sentry-environment=web,sentry-sample_rand=0.7`;
      await untracedFetch(`${appUrl}/users/42`, { headers: { 'sentry-trace': `${TRACE}-${SPAN}`, baggage: caller } });
      const [headers] = downstream.received;
      assert.match(String(headers['sentry-trace']), new RegExp(`^${TRACE}-[0-9a-f]{16}-1$`));
      assert.deepEqual(sentryMembers(headers.baggage), {
        ...sentryMembers(caller), 'sentry-sampled': 'true', 'sentry-sample_rand': '0.7', 'sentry-sample_rate': '1',
      });
    });

    it('a caller\'s baggage of another trace (a gateway started its own) is not forwarded as this trace\'s DSC', async () => {
      const stale = `sentry-trace_id=${'c'.repeat(32)},sentry-sampled=false,sentry-sample_rate=0.1`;
      await untracedFetch(`${appUrl}/users/42`, { headers: { traceparent: `00-${TRACE}-${SPAN}-01`, baggage: stale } });
      const sent = sentryMembers(downstream.received[0].baggage);
      assert.equal(sent['sentry-trace_id'], TRACE);
      assert.equal(sent['sentry-sampled'], 'true');
    });
  });
});
