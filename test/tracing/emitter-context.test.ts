import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Response } from 'express';
import request from 'supertest';
import { trace } from '@opentelemetry/api';
import { recordedListenerCount } from '../../src/tracing/emitter-context';
import { EXPRESS_VERSIONS } from '../support/express-versions';

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`emitter context: listeners on the request and response (${name})`, () => {
    /** An app whose one route runs `handle` and answers what it returns. */
    function appRunning(handle: (res: Response) => Promise<unknown> | unknown) {
      const app = express();
      app.get('/t', async (_req, res) => {
        res.json(await handle(res));
      });
      return app;
    }

    it('a listener added with once runs in the request\'s context, and its record goes once it has run', async () => {
      const app = appRunning(async (res) => {
        const traceId = trace.getActiveSpan()?.spanContext().traceId;
        const seen: Array<string | undefined> = [];
        for (let i = 0; i < 200; i++) {
          const fired = once(res, 'tick');
          res.once('tick', () => seen.push(trace.getActiveSpan()?.spanContext().traceId));
          res.emit('tick');
          await fired;
        }
        return { recorded: recordedListenerCount(res), sameTrace: seen.every((id) => id === traceId), runs: seen.length };
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, { recorded: 0, sameTrace: true, runs: 200 });
    });

    it('once, emit, on, removeListener: the listener runs once and is gone, as without us', async () => {
      const app = appRunning((res) => {
        let runs = 0;
        const listener = () => (runs += 1);
        res.once('tick', listener);
        res.emit('tick');
        res.on('tick', listener);
        res.removeListener('tick', listener);
        res.emit('tick');
        return { runs, left: res.listenerCount('tick') };
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, { runs: 1, left: 0 });
    });

    it('on, once, removeListener of one listener: the once (added last) goes, as without us', async () => {
      const app = appRunning((res) => {
        let runs = 0;
        const listener = () => (runs += 1);
        res.on('tick', listener);
        res.once('tick', listener);
        res.removeListener('tick', listener);
        res.emit('tick');
        res.emit('tick');
        return { runs, left: res.listenerCount('tick') };
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, { runs: 2, left: 1 });
    });

    it('prepended listeners: removeListener takes the one Node takes (the last in the list)', async () => {
      const app = appRunning((res) => {
        const runs: number[] = [];
        const first = () => runs.push(1);
        res.on('a', first);
        res.prependOnceListener('a', first);
        res.removeListener('a', first); // Node removes the `on` (last in the list); the prepended once stays
        res.emit('a');
        res.emit('a');
        const second = () => runs.push(2);
        res.once('b', second);
        res.prependListener('b', second);
        res.removeListener('b', second); // Node removes the once: the prepended `on` runs on every emit
        res.emit('b');
        res.emit('b');
        return { runs, left: res.listenerCount('a') + res.listenerCount('b') };
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, { runs: [1, 2, 2], left: 1 });
    });

    it('removeAllListeners forgets what it removed', async () => {
      const app = appRunning((res) => {
        for (let i = 0; i < 5; i++) res.on('tick', () => undefined);
        res.on('tock', () => undefined);
        res.removeAllListeners('tick');
        const afterOne = recordedListenerCount(res);
        res.removeAllListeners();
        return { afterOne, afterAll: recordedListenerCount(res) };
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, { afterOne: 1, afterAll: 0 });
    });
  });
}
