import { strict as assert } from 'node:assert';
import { runBoth, type FixtureRun } from './fixtures/run';

/**
 * Each scenario runs in its own process (fixtures/process-session.ts) on a real @sentry/core
 * ServerRuntimeClient sending to a fake Sentry: once with our integration, once with @sentry/node's.
 */
const FIXTURE = 'process-session.ts';

/** The sessions sent, without ids and times; all of a run's updates must be of one session. */
function sessionsOf(run: FixtureRun) {
  assert.ok(new Set(run.sessions.map((s) => s.sid)).size <= 1, `one session per process: ${JSON.stringify(run.sessions)}`);
  return run.sessions.map(({ init, status, errors, attrs }) => ({ init, status, errors, attrs }));
}

async function scenario(name: string) {
  const { ours, upstream } = await runBoth(FIXTURE, name);
  assert.deepEqual(
    { code: ours.code, stderr: ours.stderr, events: ours.events.length, sessions: sessionsOf(ours) },
    { code: upstream.code, stderr: upstream.stderr, events: upstream.events.length, sessions: sessionsOf(upstream) },
    'same as @sentry/node',
  );
  return { run: ours, sessions: sessionsOf(ours) };
}

/** Sentry adds the runtime's user agent where there is a global `navigator` (Node 21 and later). */
const userAgent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent;
const attrs = { release: 'fixture@1.0.0', environment: 'production', ...(userAgent ? { user_agent: userAgent } : {}) };

describe('process session (ProcessSession) in real processes', function () {
  this.timeout(60_000);



  it("starts a session at set-up and ends it 'exited' when the event loop drains", async () => {
    const { run, sessions } = await scenario('clean-exit');
    assert.equal(run.code, 0);
    assert.deepEqual(sessions, [{ init: true, status: 'exited', errors: 0, attrs }]);
    assert.ok(run.sessions[0].duration >= 0);
  });

  it('sends an update on the first handled error, then ends it with the error counted', async () => {
    const { run, sessions } = await scenario('handled-error');
    assert.equal(run.events.length, 1);
    assert.deepEqual(sessions, [
      { init: true, status: 'ok', errors: 1, attrs },
      { init: false, status: 'exited', errors: 1, attrs },
    ]);
  });

  it("is 'crashed' by an uncaught exception, and not ended again on the way out", async () => {
    const { run, sessions } = await scenario('crash');
    assert.equal(run.code, 1);
    assert.deepEqual(sessions, [{ init: true, status: 'crashed', errors: 1, attrs }]);
  });

  it('is not ended when the process leaves through process.exit()', async () => {
    const { run, sessions } = await scenario('process-exit');
    assert.equal(run.code, 0);
    assert.deepEqual(sessions, []);
  });

  it('is dropped, never sent, when request sessions start before it was sent', async () => {
    const { run, sessions } = await scenario('requests-start');
    assert.equal(run.code, 0);
    assert.deepEqual(sessions, []);
  });

  it("is ended 'exited' once when request sessions start after it was sent", async () => {
    const { sessions } = await scenario('requests-start-after-error');
    assert.deepEqual(sessions, [
      { init: true, status: 'ok', errors: 1, attrs },
      { init: false, status: 'exited', errors: 1, attrs },
    ]);
  });
});
