/**
 * @sentry/node 11.12.0's WorkerThreads integration, built on @sentry/core alone: an error that ends a
 * worker thread is reported by the thread that started it (inside the worker, uncaught errors are left
 * to its parent: see global-handlers.ts). Node publishes every new Worker on the `worker_threads`
 * diagnostics channel. An app that does not listen for the worker's errors still crashes with it.
 */
import { channel, subscribe, unsubscribe, type Channel } from 'node:diagnostics_channel';
import type { Worker } from 'node:worker_threads';
import { captureException, defineIntegration, isObjectLike, type Client } from '@sentry/core';

function captureWorkerErrors(worker: Worker): void {
  let threadId: number | undefined;
  worker
    .on('online', () => {
      threadId = worker.threadId;
    })
    .on('error', function onWorkerError(this: Worker, error: unknown) {
      captureException(error, {
        mechanism: { type: 'auto.node.worker_threads', handled: false, data: threadId !== undefined ? { threadId: String(threadId) } : undefined },
      });
      // Not upstream's: without a listener of the app's, Node makes a worker's error the parent's uncaught
      // exception (it crashes). Ours must not change that: rethrown, as an 'error' nobody listens to is.
      if (this.listenerCount('error') === 1) throw error;
    });
}

/** The subscription of the copy of this library that subscribed last (jest: one copy per test file). */
const CURRENT = Symbol.for('express-otel-sentry.worker-threads-listener');
type WorkerChannel = Channel & { [CURRENT]?: (message: unknown) => void };

export const workerThreadsIntegration = defineIntegration(() => {
  return {
    name: 'WorkerThreads' as const,
    setup(client: Client) {
      const onWorker = (message: unknown) => {
        if (isObjectLike(message) && 'worker' in message) captureWorkerErrors(message.worker as Worker);
      };
      try {
        // Not upstream's: the channel is the process's. One listener at a time, and none once the client
        // closes: each held its client, and under jest a whole test file's module graph, for good.
        const workers = channel('worker_threads') as WorkerChannel;
        const previous = workers[CURRENT];
        if (previous) unsubscribe('worker_threads', previous);
        subscribe('worker_threads', onWorker);
        workers[CURRENT] = onWorker;
        client.on('close', () => {
          unsubscribe('worker_threads', onWorker);
          if (workers[CURRENT] === onWorker) delete workers[CURRENT];
        });
      } catch {
        // A Node without the channel: worker errors stay the app's to report.
      }
    },
  };
});
