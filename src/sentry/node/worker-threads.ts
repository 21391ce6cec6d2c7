/**
 * @sentry/node 11.12.0's WorkerThreads integration, built on @sentry/core alone: an error that ends a
 * worker thread is reported by the thread that started it (inside the worker, uncaught errors are left
 * to its parent: see global-handlers.ts). Node publishes every new Worker on the `worker_threads`
 * diagnostics channel. An app that does not listen for the worker's errors still crashes with it.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Worker } from 'node:worker_threads';
import { captureException, defineIntegration, isObjectLike } from '@sentry/core';

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

export const workerThreadsIntegration = defineIntegration(() => {
  return {
    name: 'WorkerThreads' as const,
    setup() {
      try {
        subscribe('worker_threads', (message) => {
          if (isObjectLike(message) && 'worker' in message) captureWorkerErrors(message.worker as Worker);
        });
      } catch {
        // A Node without the channel: worker errors stay the app's to report.
      }
    },
  };
});
