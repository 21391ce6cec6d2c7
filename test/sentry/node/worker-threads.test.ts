import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFakeSentry, type FakeSentry } from '../../support/fake-sentry';
import { startReliabilityApp } from '../../reliability/support';

describe('worker threads (WorkerThreads integration, in a child process)', function () {
  this.timeout(60_000);
  let fake: FakeSentry;
  before(async () => {
    fake = await startFakeSentry();
  });
  after(async () => fake?.close());

  it('an error that ends a worker thread is reported by the thread that started it, unhandled', async () => {
    const app = await startReliabilityApp(fake, {}, join(__dirname, '..', '..', 'reliability', 'fixtures', 'lifecycle-app.cjs'));
    try {
      assert.deepEqual(await (await app.fetch('/worker-crash')).json(), { workerFailed: true });
      const [event] = await fake.waitForEvents(1);
      const exception = event.exception.values.at(-1);
      assert.equal(exception.value, 'worker thread crashed');
      assert.equal(exception.mechanism.type, 'auto.node.worker_threads');
      assert.equal(exception.mechanism.handled, false);
      assert.match(exception.mechanism.data.threadId, /^\d+$/);
    } finally {
      await app.stop();
    }
  });

  it('an app that does not listen for its worker\'s errors still crashes with it, the error reported once', async () => {
    const app = await startReliabilityApp(fake, {}, join(__dirname, '..', '..', 'reliability', 'fixtures', 'lifecycle-app.cjs'));
    fake.reset();
    assert.equal((await app.fetch('/worker-crash-unheard')).status, 200);
    const exit = await app.exited;
    assert.equal(exit.code, 1, app.output());
    const events = fake.events().filter((event) => event.exception?.values?.at(-1)?.value === 'unheard worker crashed');
    assert.equal(events.length, 1, fake.summary());
    assert.equal(events[0].exception.values.at(-1).mechanism.type, 'auto.node.worker_threads');
  });
});
