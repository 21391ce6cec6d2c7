/**
 * What a status Sentry refused a send with means, in words an operator can act on. A wrong key or
 * project lasts until the DSN is corrected (saying "until Sentry accepts one again" would read as an
 * outage to wait out); a 429 is a rate limit, not an outage. Names the host only: the DSN's key is a
 * secret and stays out of the log.
 */
export type RefusalLasts = 'until-dsn-fixed' | 'while-rate-limited' | 'until-recovered';

export interface SentryRefusal {
  reason: string;
  lasts: RefusalLasts;
}

const CHECK_DSN = "compare SENTRY_DSN (or the dsn option) with the project's Settings > Client Keys";

export function sentryRefusal(status: number, host: string, items: 'events' | 'spans', retryAfter?: string | null): SentryRefusal {
  const answered = `${host} answered ${status}`;
  switch (status) {
    case 401:
      return { reason: `${answered}: it does not know the DSN's key; ${CHECK_DSN}`, lasts: 'until-dsn-fixed' };
    case 403:
      return { reason: `${answered}: it refuses the DSN's key (disabled, or not this project's); ${CHECK_DSN}`, lasts: 'until-dsn-fixed' };
    case 404:
      // Spans go to Sentry's OTLP endpoint, which a Sentry without OTLP ingestion (an older self-hosted
      // one) does not have, while it takes events from the same DSN.
      return items === 'spans'
        ? { reason: `${answered}: no project matches the DSN's project id, or this Sentry takes no OTLP spans (self-hosted before OTLP ingestion: set sendSpansToSentry: false); ${CHECK_DSN}`, lasts: 'until-dsn-fixed' }
        : { reason: `${answered}: no project matches the DSN's project id; ${CHECK_DSN}`, lasts: 'until-dsn-fixed' };
    case 429:
      return { reason: `${answered}: Sentry is rate limiting ${items}${retryAfter ? ` (Retry-After: ${retryAfter})` : ''}`, lasts: 'while-rate-limited' };
    default:
      return { reason: answered, lasts: 'until-recovered' };
  }
}
