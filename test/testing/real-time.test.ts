/**
 * The kit under a test runner's fake timers (found by a runners audit): with the global setTimeout held
 * (vi.useFakeTimers(), jest's modern timers, @sinonjs/fake-timers), every wait of the kit hung past its own
 * timeout, because Sentry's flush and the kit's deadlines were both scheduled on it.
 */
import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import express from 'express';
import request from 'supertest';
import { observability } from '../../middleware';
import { kit } from '../support/setup';

describe('the test kit under fake timers that do not advance', () => {
  let clock: ReturnType<typeof FakeTimers.install> | undefined;
  beforeEach(() => kit.reset());
  afterEach(() => clock?.uninstall());

  it('waits, flushes and times out in real time, as without them', async () => {
    const obs = observability();
    const app = express();
    app.use(obs.request);
    app.get('/crash', () => {
      throw new Error('crash under fake timers');
    });
    app.use(obs.errors);
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });

    await request(app).get('/crash').expect(500);
    const events = await kit.waitForEvents(1);
    assert.equal(events[0].exception?.values?.[0]?.value, 'crash under fake timers');
    await kit.waitForEvent({ message: 'crash under fake timers' });
    const [server] = await kit.waitForSpans((span) => span.kind === 'SERVER');
    assert.equal(server.name, 'GET /crash');
    await kit.flush();
    await kit.expectNoSecrets(['hunter2']);
    await assert.rejects(kit.waitForEvents(2, { timeout: 300 }), /timed out after 300 ms waiting for 2 event\(s\); got 1/);
  });
});
