import assert from 'node:assert/strict';
import * as Sentry from '@sentry/node';
import { addBreadcrumb, captureException, captureMessage, setUserContext } from '../src';
import { kit } from './support/setup';

class PaymentError extends Error {
  override name = 'PaymentError';
}

describe('helpers (the seed’s app.core.sentry)', () => {
  beforeEach(() => kit.reset());

  it('captureException: the context lands in contexts.details, scrubbed; the category is tagged (S6)', async () => {
    const id = captureException(new PaymentError('Payment processing failed'), {
      booking_id: 17,
      amount: 150000,
      payment_method: 'payme',
      card_number: '4111 1111 1111 1111',
    });
    const [event] = await kit.waitForEvents(1);
    assert.equal(event.event_id, id);
    kit.expectEvent({ type: 'PaymentError', category: 'payment', details: { booking_id: 17, amount: 150000, payment_method: 'payme', card_number: '[Filtered]' } });
  });

  it('captureException of an Error sends the event Sentry.captureException sends (without its synthetic error)', async () => {
    const paymentFailure = () => new PaymentError('Payment processing failed');
    const ourId = captureException(paymentFailure(), { booking_id: 17 });
    const sentryId = Sentry.captureException(paymentFailure(), { contexts: { details: { booking_id: 17 } } });
    const events = await kit.waitForEvents(2);
    const ours = events.find((event) => event.event_id === ourId);
    const sentrys = events.find((event) => event.event_id === sentryId);
    assert.ok(ours && sentrys, 'both events arrive under the ids the calls returned');
    const [oursException, sentrysException] = [ours.exception?.values?.[0], sentrys.exception?.values?.[0]];
    assert.equal(oursException?.type, 'PaymentError');
    assert.equal(oursException?.value, sentrysException?.value);
    assert.deepEqual(oursException?.mechanism, sentrysException?.mechanism);
    // The same stack but for the line each capture was called from.
    const frameNames = (exception: Sentry.Exception | undefined) => exception?.stacktrace?.frames?.map((frame) => `${frame.function} ${frame.filename}`);
    assert.deepEqual(frameNames(oursException), frameNames(sentrysException));
    assert.deepEqual(ours.contexts?.details, sentrys.contexts?.details);
    assert.equal(ours.tags?.['error.category'], sentrys.tags?.['error.category']);
  });

  it('captureException of a string still gets a stack from the capture site', async () => {
    captureException('plain string thrown');
    const [event] = await kit.waitForEvents(1);
    const exception = event.exception?.values?.[0];
    assert.equal(exception?.value, 'plain string thrown');
    assert.equal(exception?.mechanism?.synthetic, true);
    assert.ok((exception?.stacktrace?.frames?.length ?? 0) > 0, 'a synthetic stack');
  });

  it('captureException of a string keeps the app frames Sentry.captureException keeps, none of ours', async () => {
    // Eight calls deep, with V8's 10 frames (mocha keeps all): our own frames on top would spend them.
    const nested = (depth: number, capture: () => string): string => (depth === 0 ? capture() : nested(depth - 1, capture));
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 10;
    let ourId: string;
    let sentryId: string;
    try {
      ourId = nested(8, () => captureException('a string'));
      sentryId = nested(8, () => Sentry.captureException('a string'));
    } finally {
      Error.stackTraceLimit = limit;
    }
    const events = await kit.waitForEvents(2);
    const framesOf = (id: string) => events.find((event) => event.event_id === id)?.exception?.values?.[0]?.stacktrace?.frames ?? [];
    const appFrames = (id: string) => framesOf(id).filter((frame) => frame.filename === __filename).map((frame) => `${frame.function}`);
    assert.equal(appFrames(ourId).filter((name) => name === 'nested').length, 9, 'all nine calls of nested');
    assert.deepEqual(framesOf(ourId).filter((frame) => frame.filename?.includes('helpers.ts')), [], 'none of our frames');
    // Sentry's synthetic error is made two of its calls deep: its frames are the innermost of ours.
    assert.deepEqual(appFrames(ourId).slice(-appFrames(sentryId).length), appFrames(sentryId));
  });

  it('captureMessage: level and context (S5)', async () => {
    captureMessage('Suspicious payment amount: 15000000', 'warning', { user_id: 5, amount: 15000000 });
    await kit.waitForEvents(1);
    const [event] = kit.messages();
    assert.equal(event.level, 'warning');
    assert.equal(event.tags?.['error.category'], undefined, 'messages are not errors: no category');
    assert.deepEqual(event.contexts?.details, { user_id: 5, amount: 15000000 });
  });

  it('captureMessage with a bad level falls back to info', async () => {
    captureMessage('odd level', 'loud' as never);
    const [event] = await kit.waitForEvents(1);
    assert.equal(event.level, 'info');
  });

  // Built from pieces: stack frames carry the source lines around each call, and a literal secret there
  // would be found by expectNoSecrets although the value itself was scrubbed.
  const SECRET = ['hun', 'ter2'].join('');
  const circular: Record<string, unknown> = { name: 'loop', password: SECRET };
  circular.self = circular;
  const weird: Array<[string, unknown]> = [
    ['a string', 'plain string thrown'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a plain object', { reason: 'not an error', password: SECRET }],
    ['a circular object', circular],
    ['an error whose getters throw', Object.defineProperty(new Error('x'), 'message', { get() { throw new Error('getter'); } })],
  ];
  for (const [name, value] of weird) {
    it(`captureException never throws on ${name}, and an event is sent`, async () => {
      assert.doesNotThrow(() => captureException(value, circular));
      await kit.waitForEvents(1);
      await kit.expectNoSecrets([SECRET]);
    });
  }

  it('setUserContext and addBreadcrumb outside a request apply to the process, and survive garbage', async () => {
    try {
      setUserContext({ id: 7, email: 'anna@example.com', username: 'anna' });
      addBreadcrumb({ message: 'User initiated booking cancellation', category: 'booking', data: { booking_id: 3 } });
      addBreadcrumb(null as never);
      addBreadcrumb({ message: 'odd', level: 'loud' as never });
      captureException(new Error('outside a request'));
      const [event] = await kit.waitForEvents(1);
      assert.deepEqual(event.user, { id: '7', email: 'anna@example.com', username: 'anna' });
      const crumbs = kit.breadcrumbsOf(event);
      assert.ok(crumbs.some((crumb) => crumb.message === 'User initiated booking cancellation'));
      assert.equal(crumbs.find((crumb) => crumb.message === 'odd')?.level, 'info');
      setUserContext('garbage' as never);
    } finally {
      // The process-wide scope is shared with every later test: leave it as it was found.
      setUserContext(null);
      Sentry.getIsolationScope().clearBreadcrumbs();
    }
  });

});
