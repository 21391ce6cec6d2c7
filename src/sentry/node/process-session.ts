/** @sentry/node 11.12.0's ProcessSession integration, built on @sentry/core alone. */
import { closeSession, defineIntegration, endSession, getIsolationScope, startSession, type Client } from '@sentry/core';

/**
 * Release health for a process that serves no requests (a worker, a CLI): one session from start-up
 * to exit, `exited` when the event loop drains, `crashed` or `errored` by what was captured.
 * Once request sessions start, they report health instead and the process session is dropped.
 */
export const processSessionIntegration = defineIntegration(() => {
  return {
    name: 'ProcessSession' as const,
    setup(client: Client) {
      startSession();
      // Request sessions live on per-request clones; the process session stays on this scope.
      const processIsolationScope = getIsolationScope();

      // 'beforeExit' is a clean drain of the event loop; process.exit() and crashes skip it, and a
      // crash already sent its session as 'crashed'.
      process.on('beforeExit', () => {
        const session = getIsolationScope().getSession();
        if (session?.status === 'ok') endSession();
      });

      const unsubscribe = client.on('startRequestSession', () => {
        unsubscribe();
        const session = processIsolationScope.getSession();
        if (!session) return;
        // A session Sentry has already seen (an error updated it) is closed there; one never sent is just dropped.
        if (!session.init && session.status === 'ok') {
          closeSession(session);
          client.captureSession(session);
        }
        processIsolationScope.setSession();
      });
    },
  };
});
