import { strict as assert } from 'node:assert';
import { sentryRefusal, type RefusalLasts } from '../src/sentry-refusal';

describe('sentryRefusal: what a refusing status means to an operator', () => {
  const HOST = 'o1.ingest.sentry.io';
  const cases: Array<[number, 'events' | 'spans', string | undefined, RegExp, RefusalLasts]> = [
    [401, 'events', undefined, /^o1\.ingest\.sentry\.io answered 401: it does not know the DSN's key; compare SENTRY_DSN/, 'until-dsn-fixed'],
    [403, 'events', undefined, /^o1\.ingest\.sentry\.io answered 403: it refuses the DSN's key \(disabled, or not this project's\); compare SENTRY_DSN/, 'until-dsn-fixed'],
    [404, 'events', undefined, /^o1\.ingest\.sentry\.io answered 404: no project matches the DSN's project id; compare SENTRY_DSN/, 'until-dsn-fixed'],
    // A Sentry without OTLP ingestion takes events from the same DSN: the spans' 404 says so too.
    [404, 'spans', undefined, /^o1\.ingest\.sentry\.io answered 404: no project matches the DSN's project id, or this Sentry takes no OTLP spans .*sendSpansToSentry: false\); compare SENTRY_DSN/, 'until-dsn-fixed'],
    [429, 'events', '60', /^o1\.ingest\.sentry\.io answered 429: Sentry is rate limiting events \(Retry-After: 60\)$/, 'while-rate-limited'],
    [429, 'spans', undefined, /^o1\.ingest\.sentry\.io answered 429: Sentry is rate limiting spans$/, 'while-rate-limited'],
    [500, 'events', undefined, /^o1\.ingest\.sentry\.io answered 500$/, 'until-recovered'],
    [413, 'events', undefined, /^o1\.ingest\.sentry\.io answered 413$/, 'until-recovered'],
  ];
  for (const [status, items, retryAfter, reason, lasts] of cases) {
    it(`${status} (${items}${retryAfter ? `, Retry-After ${retryAfter}` : ''}): ${lasts}`, () => {
      const refusal = sentryRefusal(status, HOST, items, retryAfter);
      assert.match(refusal.reason, reason);
      assert.equal(refusal.lasts, lasts);
    });
  }
});
