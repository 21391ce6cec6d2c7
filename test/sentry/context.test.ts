import assert from 'node:assert/strict';
import * as Sentry from '@sentry/node';
import type { Client, Event } from '@sentry/core';
import { contextWithThrottledMemory } from '../../src/sentry/context';

const client = Sentry.getClient() as Client;

async function contextsFrom(integration: ReturnType<typeof Sentry.nodeContextIntegration>, event: Event): Promise<NonNullable<Event['contexts']>> {
  const processed = await integration.processEvent?.(event, {}, client);
  return processed?.contexts ?? {};
}

/** Sentry's per-event readings, which differ between two calls by nature. */
function withoutMemoryReadings(contexts: NonNullable<Event['contexts']>) {
  const copy = structuredClone(contexts) as Record<string, Record<string, unknown>>;
  delete copy.app?.app_memory;
  delete copy.app?.free_memory;
  delete copy.device?.free_memory;
  return copy;
}

describe('contextWithThrottledMemory (Sentry\'s Context integration, memory read at most once a second)', () => {
  it('adds the same contexts as Sentry\'s own integration, with current memory figures', async () => {
    const event = (): Event => ({ contexts: { app: { app_name: 'salon' }, trace: { trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) } } });
    // One instance of Sentry's integration for both: it fixes boot and start times when it is made.
    const sentryContext = Sentry.nodeContextIntegration();
    const sentry = await contextsFrom(sentryContext, event());
    const ours = await contextsFrom(contextWithThrottledMemory(sentryContext) as typeof sentryContext, event());

    assert.deepEqual(withoutMemoryReadings(ours), withoutMemoryReadings(sentry));
    assert.equal(ours.app?.app_name, 'salon', 'the event\'s own context wins');
    const memory = ours.app?.app_memory as number;
    assert.ok(memory > 0 && Math.abs(memory - process.memoryUsage.rss()) < 256 * 1024 * 1024, `app_memory is the process RSS: ${memory}`);
    assert.equal(typeof ours.device?.free_memory, 'number');
    assert.ok(ours.os?.name, 'the os context is there');
  });

  it('gives every event its own context objects (nothing shared between events)', async () => {
    const integration = contextWithThrottledMemory(Sentry.nodeContextIntegration()) as ReturnType<typeof Sentry.nodeContextIntegration>;
    const first = await contextsFrom(integration, {});
    const second = await contextsFrom(integration, {});
    assert.notEqual(first.app, second.app);
    assert.notEqual(first.device, second.device);
    assert.equal(typeof second.app?.app_memory, 'number');
  });

  it('reuses a memory reading younger than the limit, and reads again once it is older', async () => {
    // Counts the reads (RSS itself may not move between two events, so its value cannot tell).
    const readRss = process.memoryUsage.rss;
    let reads = 0;
    process.memoryUsage.rss = () => {
      reads++;
      return readRss();
    };
    try {
      const sentryContext = Sentry.nodeContextIntegration();
      const hourly = contextWithThrottledMemory(sentryContext, 3_600_000) as typeof sentryContext;
      const first = await contextsFrom(hourly, {});
      const second = await contextsFrom(hourly, {});
      assert.equal(reads, 1, 'within the hour: one reading for both events');
      assert.equal(second.app?.app_memory, first.app?.app_memory);
      const always = contextWithThrottledMemory(sentryContext, 0) as typeof sentryContext;
      await contextsFrom(always, {});
      await contextsFrom(always, {});
      assert.equal(reads, 3, 'a limit of 0 reads for every event');
    } finally {
      process.memoryUsage.rss = readRss;
    }
  });

  it('an event still goes out when the wrapped integration fails', async () => {
    const broken = { name: 'Context', processEvent: () => Promise.reject(new Error('no contexts')) };
    const event: Event = { message: 'still sent' };
    assert.equal(await contextWithThrottledMemory(broken).processEvent?.(event, {}, client), event);
  });
});
