import assert from 'node:assert/strict';
import * as Sentry from '@sentry/core';
import type { Envelope } from '@sentry/core';
import { defaultScrubber } from '../../src/scrub';
import { scrubEnvelope, scrubLog, scrubMetric } from '../../src/sentry/scrub-envelope';
import { kit } from '../support/setup';

const scrubber = defaultScrubber();
const SECRET = 'sk_live_51Hsecretvalue00';

describe('scrubEnvelope: what skips beforeSend is scrubbed on its way out', () => {
  const envelopeOf = (type: string, payload: unknown): Envelope => [{ event_id: 'e1' }, [[{ type }, payload]]] as unknown as Envelope;
  const payloadOf = (envelope: Envelope) => (envelope[1] as unknown as Array<[unknown, unknown]>)[0]?.[1];

  const scrubbedTypes: Array<[string, unknown]> = [
    ['feedback', { type: 'feedback', contexts: { feedback: { message: `my password=${SECRET}` } }, breadcrumbs: [{ message: 'x', data: { token: SECRET } }] }],
    ['transaction', { type: 'transaction', request: { url: `https://salon.example/pay?token=${SECRET}` } }],
    ['check_in', { monitor_slug: 'nightly', contexts: { job: { api_key: SECRET } } }],
    ['some_future_item', { nested: { authorization: `Bearer ${SECRET}` } }],
    ['text_item', `password=${SECRET}`],
  ];
  for (const [type, payload] of scrubbedTypes) {
    it(`${type}: scrubbed`, () => {
      const input = envelopeOf(type, payload);
      const before = JSON.stringify(input);
      const output = scrubEnvelope(scrubber, input);
      assert.doesNotMatch(JSON.stringify(payloadOf(output)), /sk_live_51Hsecretvalue00/);
      assert.equal(JSON.stringify(input), before, 'the input envelope was changed');
    });
  }

  it('session: its user (did) and attributes scrubbed, its counts kept', () => {
    const session = { sid: 's1', did: `password=${SECRET}`, status: 'ok', errors: 0, attrs: { release: 'salon@1', user_agent: `token=${SECRET}` } };
    const output = payloadOf(scrubEnvelope(scrubber, envelopeOf('session', session))) as typeof session;
    assert.doesNotMatch(JSON.stringify(output), /sk_live_51Hsecretvalue00/);
    assert.deepEqual({ sid: output.sid, status: output.status, errors: output.errors, release: output.attrs.release }, { sid: 's1', status: 'ok', errors: 0, release: 'salon@1' });
  });

  const untouched = ['client_report', 'attachment', 'log', 'trace_metric'];
  for (const type of untouched) {
    it(`${type}: passed as it is (scrubbed before, or the SDK's own counts)`, () => {
      const input = envelopeOf(type, { untouched: true });
      assert.equal(scrubEnvelope(scrubber, input), input);
    });
  }

  it("the envelope header's trace (its transaction is the active span's name) is scrubbed; unchanged headers stay the same object", () => {
    const input = [{ event_id: 'e1', trace: { trace_id: 'a'.repeat(32), transaction: `GET /pay?api_key=${SECRET}`, public_key: 'k' } }, [[{ type: 'check_in' }, { check_in_id: 'c1', status: 'ok' }]]] as unknown as Envelope;
    const [headers] = scrubEnvelope(scrubber, input) as unknown as [{ trace: { transaction: string; trace_id: string } }];
    assert.doesNotMatch(headers.trace.transaction, /sk_live/);
    assert.equal(headers.trace.trace_id, 'a'.repeat(32));
    const clean = envelopeOf('client_report', { discarded_events: [] });
    assert.equal(scrubEnvelope(scrubber, clean), clean);
  });

  it('event: passed as it is when beforeSend scrubbed it, scrubbed here when it did not', () => {
    const scrubbed = { message: 'already scrubbed' };
    const marked = new WeakSet<object>([scrubbed]);
    const input = envelopeOf('event', scrubbed);
    assert.equal(scrubEnvelope(scrubber, input, marked), input);
    const unmarked = payloadOf(scrubEnvelope(scrubber, envelopeOf('event', { message: `password=${SECRET}`, extra: { token: SECRET } }), marked));
    assert.doesNotMatch(JSON.stringify(unmarked), /sk_live_51Hsecretvalue00/);
  });

  it('logs and metrics: message and attributes scrubbed; null when they cannot be', () => {
    const log = scrubLog(scrubber, { level: 'info', message: `charging with token=${SECRET}`, attributes: { api_key: SECRET, amount: 5 } });
    assert.doesNotMatch(JSON.stringify(log), /sk_live/);
    assert.equal(log?.attributes?.amount, 5);
    const metric = scrubMetric(scrubber, { name: 'payments', value: 1, type: 'counter', attributes: { token: SECRET, route: '/pay' } });
    assert.deepEqual(metric?.attributes, { token: '[Filtered]', route: '/pay' });
    const hostile = { get message(): string { throw new Error('no'); }, level: 'info' } as never;
    assert.equal(scrubLog(scrubber, hostile), null);
  });

  // A parameter whose place in the body was filtered (logger.fmt`password=${x}`) is filtered in its attribute.
  const parameterRows: Array<[string, Record<string, unknown>, string, Record<string, unknown>]> = [
    ['fmt template', { 'sentry.message.template': 'login password=%s for %s', 'sentry.message.parameter.0': 'hunter2x', 'sentry.message.parameter.1': 'ann' }, 'login password=hunter2x for ann',
      { 'sentry.message.parameter.0': '[Filtered]', 'sentry.message.parameter.1': 'ann' }],
    ['a one-character value', { 'sentry.message.template': 'pin=%s attempt %s', 'sentry.message.parameter.0': '1', 'sentry.message.parameter.1': 1 }, 'pin=1 attempt 1',
      { 'sentry.message.parameter.0': '[Filtered]', 'sentry.message.parameter.1': 1 }],
    ['literal %% before the placeholder', { 'sentry.message.template': '100%% token=%s', 'sentry.message.parameter.0': 'abc123' }, '100% token=abc123',
      { 'sentry.message.parameter.0': '[Filtered]' }],
    ['console template', { 'sentry.message.template': 'secret= {}', 'sentry.message.parameter.0': 'abc123' }, 'secret= abc123',
      { 'sentry.message.parameter.0': '[Filtered]' }],
    ['no template', { 'sentry.message.parameter.0': 'abc123', 'sentry.message.parameter.1': 'visible' }, 'token=abc123 visible',
      { 'sentry.message.parameter.0': '[Filtered]', 'sentry.message.parameter.1': 'visible' }],
    ['a key that is itself a parameter', { 'sentry.message.template': '%s=%s', 'sentry.message.parameter.0': 'password', 'sentry.message.parameter.1': 'hunter2x' }, 'password=hunter2x',
      { 'sentry.message.parameter.0': 'password', 'sentry.message.parameter.1': '[Filtered]' }],
    ['a key that is a parameter, its value also elsewhere in the body',
      { 'sentry.message.template': 'user %s %s=%s', 'sentry.message.parameter.0': 'admin', 'sentry.message.parameter.1': 'password', 'sentry.message.parameter.2': 'admin' },
      'user admin password=admin',
      { 'sentry.message.parameter.0': 'admin', 'sentry.message.parameter.1': 'password', 'sentry.message.parameter.2': '[Filtered]' }],
    ['a literal {} in the template: the places cannot be told, every parameter filtered',
      { 'sentry.message.template': 'user %s {} password=%s', 'sentry.message.parameter.0': 'admin', 'sentry.message.parameter.1': 'admin' },
      'user admin {} password=admin',
      { 'sentry.message.parameter.0': '[Filtered]', 'sentry.message.parameter.1': '[Filtered]' }],
    ['nothing filtered', { 'sentry.message.template': 'booked %s', 'sentry.message.parameter.0': 'slot-9' }, 'booked slot-9',
      { 'sentry.message.parameter.0': 'slot-9' }],
  ];
  it('log parameters: the work is bounded (64 parameters of 64 KB, a 1 MB template)', () => {
    const big = 'p'.repeat(64 * 1024);
    const attributes: Record<string, unknown> = { 'sentry.message.template': `${'%s '.repeat(64)}token=%s` };
    for (let i = 0; i <= 64; i++) attributes[`sentry.message.parameter.${i}`] = i === 64 ? 'tok-1' : big;
    const log = scrubLog(scrubber, { level: 'info', message: `${`${big} `.repeat(64)}token=tok-1`, attributes });
    assert.equal(log?.attributes?.['sentry.message.parameter.64'], '[Filtered]');
    const template = `${'a'.repeat(1_000_000)} password=%s`;
    const one = scrubLog(scrubber, { level: 'info', message: template.replace('%s', 'pw-1'), attributes: { 'sentry.message.template': template, 'sentry.message.parameter.0': 'pw-1' } });
    assert.equal(one?.attributes?.['sentry.message.parameter.0'], '[Filtered]');
  });

  for (const [name, attributes, message, expected] of parameterRows) {
    it(`log parameters: ${name}`, () => {
      const log = scrubLog(scrubber, { level: 'info', message, attributes });
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(log?.attributes?.[key], value, key);
    });
  }
});

describe("Sentry's own API past beforeSend, through the real client (test kit)", () => {
  beforeEach(() => kit.reset());

  it('an event still leaves scrubbed when the app replaced beforeSend on the client after start-up', async () => {
    const options = Sentry.getClient()!.getOptions();
    const ours = options.beforeSend;
    options.beforeSend = (event) => event;
    try {
      Sentry.withScope((scope) => {
        scope.setExtra('api_key', SECRET);
        Sentry.captureException(new Error(`charge failed with token=${SECRET}`));
      });
      await kit.flush();
      assert.ok(kit.payloads().some((payload) => payload.includes('"type":"event"')), 'the event was sent');
      await kit.expectNoSecrets([SECRET]);
    } finally {
      options.beforeSend = ours;
    }
  });

  it('user feedback, logs and metrics leave scrubbed', async () => {
    Sentry.withScope((scope) => {
      scope.setContext('payment', { card_number: '4111111111111111' });
      scope.addBreadcrumb({ message: 'checkout', data: { password: 'crumb-secret-77' } });
      Sentry.captureFeedback({ message: `my password=${SECRET} is rejected`, email: 'bob@example.com' });
    });
    Sentry.logger.info(`charging with token=${SECRET}`, { api_key: 'log-attr-secret-88' });
    Sentry.logger.warn(Sentry.logger.fmt`login failed password=${'fmt-param-66'}`);
    Sentry.metrics.count('payments', 1, { attributes: { token: 'metric-secret-99' } });
    await kit.flush();
    const types = kit.payloads().flatMap((payload) => [...payload.matchAll(/\n\{"type":"([a-z_]+)"/g)].map((match) => match[1]));
    for (const type of ['feedback', 'log', 'trace_metric']) assert.ok(types.includes(type), `no ${type} item was sent: ${types.join(', ')}`);
    await kit.expectNoSecrets([SECRET, '4111111111111111', 'crumb-secret-77', 'log-attr-secret-88', 'fmt-param-66', 'metric-secret-99']);
  });
});
