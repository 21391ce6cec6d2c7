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

  const untouched = ['event', 'session', 'sessions', 'client_report', 'attachment', 'log', 'trace_metric'];
  for (const type of untouched) {
    it(`${type}: passed as it is (scrubbed before, or the SDK's own counts)`, () => {
      const input = envelopeOf(type, { untouched: true });
      assert.equal(scrubEnvelope(scrubber, input), input);
    });
  }

  it('logs and metrics: message and attributes scrubbed; null when they cannot be', () => {
    const log = scrubLog(scrubber, { level: 'info', message: `charging with token=${SECRET}`, attributes: { api_key: SECRET, amount: 5 } });
    assert.doesNotMatch(JSON.stringify(log), /sk_live/);
    assert.equal(log?.attributes?.amount, 5);
    const metric = scrubMetric(scrubber, { name: 'payments', value: 1, type: 'counter', attributes: { token: SECRET, route: '/pay' } });
    assert.deepEqual(metric?.attributes, { token: '[Filtered]', route: '/pay' });
    const hostile = { get message(): string { throw new Error('no'); }, level: 'info' } as never;
    assert.equal(scrubLog(scrubber, hostile), null);
  });
});

describe("Sentry's own API past beforeSend, through the real client (test kit)", () => {
  beforeEach(() => kit.reset());

  it('user feedback, logs and metrics leave scrubbed', async () => {
    Sentry.withScope((scope) => {
      scope.setContext('payment', { card_number: '4111111111111111' });
      scope.addBreadcrumb({ message: 'checkout', data: { password: 'crumb-secret-77' } });
      Sentry.captureFeedback({ message: `my password=${SECRET} is rejected`, email: 'bob@example.com' });
    });
    Sentry.logger.info(`charging with token=${SECRET}`, { api_key: 'log-attr-secret-88' });
    Sentry.metrics.count('payments', 1, { attributes: { token: 'metric-secret-99' } });
    await kit.flush();
    const types = kit.payloads().flatMap((payload) => [...payload.matchAll(/\n\{"type":"([a-z_]+)"/g)].map((match) => match[1]));
    for (const type of ['feedback', 'log', 'trace_metric']) assert.ok(types.includes(type), `no ${type} item was sent: ${types.join(', ')}`);
    await kit.expectNoSecrets([SECRET, '4111111111111111', 'crumb-secret-77', 'log-attr-secret-88', 'metric-secret-99']);
  });
});
