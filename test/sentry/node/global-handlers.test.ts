import { strict as assert } from 'node:assert';
import { runBoth, type FixtureRun } from './fixtures/run';

/**
 * Each scenario runs in its own process (fixtures/global-handlers.ts) on a real @sentry/core
 * ServerRuntimeClient sending to a fake Sentry: once with our integrations, once with @sentry/node's,
 * which must end the same way (exit code, output, what reached Sentry).
 */
const FIXTURE = 'global-handlers.ts';
const REJECTION_WARNING =
  'This error originated either by throwing inside of an async function without a catch block, or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason:';

const INTEGRATION_FILES = /src\/sentry\/node\/global-handlers\.ts$|@sentry\/node\/src\/integrations\//;

/** What an event says about the error, without its ids and timestamps. */
function essence(event: any) {
  return {
    level: event.level,
    extra: event.extra,
    exceptions: (event.exception?.values ?? []).map((v: any) => ({
      type: v.type,
      value: v.value,
      mechanism: v.mechanism,
      // A synthetic exception (a string reason) is stacked where it was captured: in the integration itself.
      frames: (v.stacktrace?.frames ?? [])
        .filter((f: any) => !INTEGRATION_FILES.test(f.filename ?? ''))
        .map((f: any) => `${f.function} ${f.filename}:${f.lineno}:${f.colno}`),
    })),
  };
}

function assertSameAsUpstream(ours: FixtureRun, upstream: FixtureRun): void {
  const view = (run: FixtureRun) => ({
    code: run.code, signal: run.signal, stdout: run.stdout.replace(STAMPS, '$1 <stamp>'), stderr: run.stderr, events: run.events.map(essence),
  });
  assert.deepEqual(view(ours), view(upstream));
}

/** Lines where the fixture prints a time or an id, which differ from run to run. */
const STAMPS = /^(THROWN_AT|SPAN) \S+$/gm;

/** The first line of what the process printed about `message` (the stack follows). */
const printedError = (message: string) => new RegExp(`^Error: ${message}\\n    at `);

function stampOf(run: FixtureRun, label: string): string {
  const match = new RegExp(`^${label} (\\S+)$`, 'm').exec(run.stdout);
  assert.ok(match, `no ${label} line in: ${run.stdout}`);
  return match[1];
}

describe('global handlers (OnUncaughtException, OnUnhandledRejection) in real processes', function () {
  this.timeout(60_000);



  describe('uncaught exceptions', () => {
    it('capture a fatal, unhandled event, print the error and exit with 1 once it is delivered', async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'uncaught');
      assert.equal(ours.code, 1);
      assert.match(ours.stderr, printedError('boom: uncaught'));
      assert.equal(ours.events.length, 1);
      const [event] = ours.events;
      assert.equal(event.level, 'fatal');
      assert.deepEqual(event.exception.values[0].mechanism, { type: 'auto.node.onuncaughtexception', handled: false });
      assert.equal(event.exception.values[0].value, 'boom: uncaught');
      assertSameAsUpstream(ours, upstream);
    });

    it("do not end the process when the app has its own 'uncaughtException' listener", async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'uncaught-app-listener');
      assert.equal(ours.code, 0);
      assert.equal(ours.stdout, 'APP HANDLED boom: app handles it\nALIVE\n');
      assert.equal(ours.stderr, '');
      assert.equal(ours.events.length, 1, 'still reported');
      assert.equal(ours.events[0].level, 'fatal');
      assertSameAsUpstream(ours, upstream);
    });

    it('end it anyway with exitEvenIfOtherHandlersAreRegistered', async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'uncaught-exit-even-if-other-handlers');
      assert.equal(ours.code, 1);
      assert.equal(ours.stdout, 'APP HANDLED boom: exit anyway\n');
      assert.match(ours.stderr, printedError('boom: exit anyway'));
      assert.equal(ours.events.length, 1);
      assertSameAsUpstream(ours, upstream);
    });

    it("hand the error to the integration's onFatalError instead of exiting", async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'on-fatal-error-option');
      assert.equal(ours.code, 3, 'the callback decided the exit code');
      assert.equal(ours.stdout, 'ON FATAL (integration) boom: integration callback second=undefined\n');
      assert.equal(ours.stderr, '', 'the default logging is replaced, not added to');
      assert.equal(ours.events.length, 1);
      assertSameAsUpstream(ours, upstream);
    });

    it("fall back to the client's onFatalError option", async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'on-fatal-error-client-option');
      assert.equal(ours.code, 4);
      assert.equal(ours.stdout, 'ON FATAL (client) boom: client callback\n');
      assert.equal(ours.events.length, 1);
      assertSameAsUpstream(ours, upstream);
    });

    it('let a second error during the shutdown flush neither be captured nor cut the flush short', async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'second-error-while-flushing');
      assert.equal(ours.code, 1);
      assert.match(ours.stderr, printedError('boom: first'));
      assert.doesNotMatch(ours.stderr, /boom: second/);
      assert.deepEqual(ours.events.map((e) => e.exception.values[0].value), ['boom: first']);
      assertSameAsUpstream(ours, upstream);
    });

    it('call onFatalError with both errors, 2 s later, when the app handled the first and nothing handles the second', async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'second-error-after-app-handled-first');
      assert.equal(ours.code, 5);
      assert.equal(ours.stdout, 'APP HANDLED boom: handled by the app\nON FATAL boom: handled by the app second=boom: nobody handles this\n');
      assert.deepEqual(ours.events.map((e) => e.exception.values[0].value), ['boom: handled by the app']);
      assert.ok(ours.ms >= 2000, `exited after ${ours.ms} ms`);
      assertSameAsUpstream(ours, upstream);
    });

    it('treat an onFatalError that throws as a second error: the event is still delivered, exit 1 (upstream: exit 7, event lost)', async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'on-fatal-error-throws');
      assert.equal(ours.code, 1);
      assert.match(ours.stderr, printedError('the fatal callback broke'));
      assert.deepEqual(ours.events.map((e) => [e.level, e.exception.values[0].value]), [['fatal', 'boom: before the callback broke']]);
      // Why we differ: Node kills the process with 7 when a listener throws, before anything is sent.
      assert.equal(upstream.code, 7);
      assert.equal(upstream.events.length, 0);
    });

    it("wait at most the client's shutdownTimeout for delivery, else 2 s", async () => {
      for (const [scenario, min, max] of [['shutdown-timeout', 300, 1800], ['shutdown-default-timeout', 2000, 5000]] as const) {
        const { ours, upstream } = await runBoth(FIXTURE, scenario);
        for (const run of [ours, upstream]) {
          const waited = run.exitedAt - Number(stampOf(run, 'THROWN_AT'));
          assert.ok(waited >= min && waited < max, `${scenario}: exited ${waited} ms after the error`);
        }
        assert.equal(ours.code, 1);
        assert.equal(ours.events.length, 0, 'the transport never answers');
        assert.match(ours.stderr, printedError('boom: undeliverable'));
        assertSameAsUpstream(ours, upstream);
      }
    });
  });

  describe('unhandled rejections', () => {
    it("'warn' (default): capture as error, print the warning and the reason, keep running; the ignore lists hold", async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'rejection-warn');
      assert.equal(ours.code, 0);
      assert.equal(ours.stdout, 'ALIVE\n');
      const rejections = ours.events.map((e) => [e.level, e.exception.values[0].value, e.exception.values[0].mechanism, e.extra]);
      const extra = { unhandledPromiseRejection: true };
      assert.deepEqual(rejections, [
        ['error', 'visible rejection', { type: 'auto.node.onunhandledrejection', handled: false }, extra],
        ['error', 'a plain string', { type: 'auto.node.onunhandledrejection', handled: false, synthetic: true }, extra],
      ], 'AbortError and AI_NoOutputGeneratedError (defaults), a message and a name matcher (options) are ignored');
      const lines = ours.stderr.split('\n');
      assert.equal(lines[0], REJECTION_WARNING);
      assert.equal(lines[1], 'Error: visible rejection');
      assert.ok(ours.stderr.endsWith(`${REJECTION_WARNING}\na plain string\n`));
      assert.doesNotMatch(ours.stderr, /aborted stream|no output|skip me|by name/);
      assertSameAsUpstream(ours, upstream);
    });

    it("'strict' with an Error: capture as fatal, print its stack (no warning) and exit with 1", async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'rejection-strict-error');
      assert.equal(ours.code, 1);
      assert.match(ours.stderr, printedError('strict rejection'));
      assert.doesNotMatch(ours.stderr, /This error originated/);
      assert.deepEqual(ours.events.map((e) => [e.level, e.exception.values[0].mechanism.type]), [['fatal', 'auto.node.onunhandledrejection']]);
      assertSameAsUpstream(ours, upstream);
    });

    it("'strict' with a reason that has no stack: the warning first, then the reason, exit 1", async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'rejection-strict-string');
      assert.equal(ours.code, 1);
      assert.equal(ours.stderr, `${REJECTION_WARNING}\nstrict plain string\n`);
      assert.equal(ours.events[0].level, 'fatal');
      assertSameAsUpstream(ours, upstream);
    });

    it("'none': capture, print nothing, keep running", async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'rejection-none');
      assert.equal(ours.code, 0);
      assert.equal(ours.stderr, '');
      assert.equal(ours.stdout, 'ALIVE\n');
      assert.deepEqual(ours.events.map((e) => [e.level, e.exception.values[0].value]), [['error', 'quiet rejection']]);
      assertSameAsUpstream(ours, upstream);
    });

    it('do nothing when another client became the global one', async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'rejection-other-client');
      assert.equal(ours.code, 0);
      assert.equal(ours.stderr, '');
      assert.equal(ours.events.length, 0);
      assertSameAsUpstream(ours, upstream);
    });

    it('report the rejection under the span pinned on it (_sentry_active_span)', async () => {
      const { ours, upstream } = await runBoth(FIXTURE, 'rejection-active-span');
      for (const run of [ours, upstream]) {
        assert.equal(run.events.length, 1);
        assert.equal(run.events[0].contexts.trace.span_id, stampOf(run, 'SPAN'));
      }
      assert.equal(ours.code, 0);
      assert.deepEqual(ours.events.map(essence), upstream.events.map(essence));
      assert.equal(ours.stderr, upstream.stderr);
    });
  });
});
