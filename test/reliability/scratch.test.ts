import { startFakeSentry } from '../support/fake-sentry';
import { runLoad, startReliabilityApp, rssOf, spanStatsOf, flushChild, assertHealthy } from './support';

describe('scratch', function () {
  this.timeout(300000);
  it('measures', async () => {
    const fake = await startFakeSentry();
    const app = await startReliabilityApp(fake);
    await runLoad(app, '/work', 2);
    const modes: any[] = ['ok', 'ok', 'refuse', 'ok', { delayMs: 5000 }, 'ok', { status: 429, retryAfter: 2 }, 'ok', { status: 500 }, 'ok', 'ok', 'blackhole', 'ok'];
    for (const mode of modes) {
      await fake.setMode(mode);
      fake.reset();
      const r = await runLoad(app, '/work', 4, 10, Number(process.env.RATE) || undefined);
      const rss = await rssOf(app);
      console.log(JSON.stringify(mode), JSON.stringify(r), 'rss', (rss / 1048576).toFixed(1), JSON.stringify(await spanStatsOf(app)), 'events', fake.events().length, JSON.stringify(fake.stats().byStatus));
    }
    const f = await flushChild(app);
    console.log('flush', f);
    assertHealthy(app);
    await app.stop();
    await fake.close();
  });
});
