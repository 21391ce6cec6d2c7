// @sentry/node 11 as its docs say: init in an --import preload, nothing else (expressIntegration is a
// default integration and captures Express errors by itself). Flushes on SIGTERM, as a server would.
import * as Sentry from '@sentry/node';

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  tracesSampleRate: Number(process.env.BENCH_RATE ?? 1),
});

process.once('SIGTERM', () => {
  Sentry.close(5000).finally(() => process.exit(0));
});
