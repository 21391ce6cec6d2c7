import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import type { Response } from 'express';
import request from 'supertest';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
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

    it('a listener added with once runs in the request\'s context, and is gone once it has run', async () => {
      const app = appRunning(async (res) => {
        const traceId = trace.getActiveSpan()?.spanContext().traceId;
        const seen: Array<string | undefined> = [];
        for (let i = 0; i < 200; i++) {
          const fired = once(res, 'tick');
          res.once('tick', () => seen.push(trace.getActiveSpan()?.spanContext().traceId));
          res.emit('tick');
          await fired;
        }
        return { left: res.listenerCount('tick'), sameTrace: seen.every((id) => id === traceId), runs: seen.length };
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, { left: 0, sameTrace: true, runs: 200 });
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

    it("once goes through the response's own on, as Node's does (compression's res.on sends 'drain' listeners to its gzip stream)", async () => {
      const app = appRunning(async (res) => {
        const seen: string[] = [];
        const gzip = new EventEmitter();
        const ownOn = res.on;
        res.on = function on(this: Response, event: string | symbol, listener: (...args: unknown[]) => void) {
          if (event !== 'drain') return ownOn.call(this, event, listener);
          seen.push('instance on');
          gzip.on(event, listener);
          return this;
        } as typeof res.on;
        const drained = once(res, 'drain');
        res.once('drain', function (this: unknown) {
          seen.push(this === res ? 'once: this is the response' : 'once: another this');
        });
        gzip.emit('drain');
        await drained;
        res.on = ownOn;
        return seen;
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, ['instance on', 'instance on', 'once: this is the response']);
    });

    it('a once-listener called through rawListeners() runs once, with the response as this', async () => {
      const app = appRunning((res) => {
        const calls: boolean[] = [];
        res.once('tick', function (this: unknown) {
          calls.push(this === res);
        });
        const [raw] = res.rawListeners('tick') as Array<() => void>;
        raw();
        raw();
        return { calls, left: res.listenerCount('tick') };
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, { calls: [true], left: 0 });
    });

    it('removeAllListeners, of one event and of all: what is left runs in the context', async () => {
      const app = appRunning((res) => {
        const traceId = trace.getActiveSpan()?.spanContext().traceId;
        let tockInContext = false;
        for (let i = 0; i < 5; i++) res.on('tick', () => undefined);
        res.on('tock', () => (tockInContext = trace.getActiveSpan()?.spanContext().traceId === traceId));
        res.removeAllListeners('tick');
        const afterOne = [res.listenerCount('tick'), res.listenerCount('tock')];
        res.emit('tock');
        res.removeAllListeners('tock');
        return { afterOne, afterAll: res.listenerCount('tock'), tockInContext };
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, { afterOne: [0, 1], afterAll: 0, tockInContext: true });
    });

    it("listeners(), listenerCount(event, listener), 'newListener' and 'removeListener' see the app's function, as without us", async () => {
      const app = appRunning((res) => {
        const listener = () => undefined;
        const once = () => undefined;
        const announced: unknown[] = [];
        res.on('newListener', (event, added) => event === 'tick' && announced.push(added === listener || added === once));
        res.on('removeListener', (event, removed) => event === 'tick' && announced.push(removed === listener || removed === once));
        res.on('tick', listener);
        res.once('tick', once);
        const seen = {
          listeners: res.listeners('tick').map((fn) => fn === listener || fn === once),
          counts: [res.listenerCount('tick'), (res.listenerCount as (event: string, fn: unknown) => number)('tick', listener), (res.listenerCount as (event: string, fn: unknown) => number)('tick', once)],
          onceRaw: (res.rawListeners('tick')[1] as { listener?: unknown }).listener === once,
        };
        res.off('tick', once);
        res.off('tick', listener);
        return { ...seen, announced, left: res.listenerCount('tick') };
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, { listeners: [true, true], counts: [2, 1, 1], onceRaw: true, announced: [true, true, true, true], left: 0 });
    });

    it("a listener added from a 'newListener' listener runs in the request's context too", async () => {
      const app = appRunning((res) => {
        const traceId = trace.getActiveSpan()?.spanContext().traceId;
        const inContext: Record<string, boolean> = {};
        const check = (name: string) => () => (inContext[name] = trace.getActiveSpan()?.spanContext().traceId === traceId);
        res.on('newListener', (event) => {
          if (event === 'tick') res.on('tock', check('added from newListener'));
        });
        res.on('tick', check('tick'));
        return new Promise((resolve) => setImmediate(() => {
          // Emitted outside the request's context, as a socket callback would.
          context.with(ROOT_CONTEXT, () => {
            res.emit('tick');
            res.emit('tock');
          });
          resolve(inContext);
        }));
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, { tick: true, 'added from newListener': true });
    });

    it('a listener removed through what listeners() returned, then added after the response and removed, is gone (no stale record)', async () => {
      let res: Response | undefined;
      const listener = () => undefined;
      const app = appRunning((response) => {
        res = response;
        response.on('tick', listener);
        for (const fn of response.listeners('tick')) response.off('tick', fn as () => void);
        return { left: response.listenerCount('tick') };
      });
      const { body } = await request(app).get('/t').expect(200);
      assert.deepEqual(body, { left: 0 });
      res!.on('tick', listener); // added as is: the response has finished
      res!.removeListener('tick', listener);
      assert.equal(res!.listenerCount('tick'), 0);
    });
  });
}
