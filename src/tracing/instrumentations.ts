import type { RequestOptions } from 'node:http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { DatabaseEndpoints } from './database-endpoints';
import { LeanExpressInstrumentation } from './express-instrumentation';
import { pgQuerySpanName } from './pg-span-name';
import { loadKnexInstrumentation } from './plain-api-namespace';

/** Where the telemetry itself is sent: requests there are never traced (no spans about spans). */
export class OwnEndpoints {
  private readonly targets: Array<{ host: string; port: string; pathPrefix: string }> = [];

  add(url: string | undefined): void {
    if (!url) return;
    try {
      const parsed = new URL(url);
      const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
      // Sentry's envelope and OTLP endpoints share the `/api/<project>/` prefix.
      const apiPrefix = /^(\/.*?\/api\/[^/]+\/|\/api\/[^/]+\/)/.exec(parsed.pathname)?.[1];
      this.targets.push({ host: parsed.hostname.toLowerCase(), port, pathPrefix: apiPrefix ?? parsed.pathname });
    } catch {
      // An unparsable URL is rejected by config validation before it gets here.
    }
  }

  matches(host: string | undefined | null, port: string | number | undefined | null, path: string | undefined | null): boolean {
    if (!host) return false;
    const normalizedHost = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/:\d+$/, '');
    const normalizedPort = port === undefined || port === null || port === '' ? undefined : String(port);
    return this.targets.some(
      (target) =>
        target.host === normalizedHost &&
        (normalizedPort === undefined || normalizedPort === target.port) &&
        (path ?? '/').startsWith(target.pathPrefix),
    );
  }
}

function isOwnHttpRequest(own: OwnEndpoints, request: RequestOptions): boolean {
  const host = request.hostname ?? request.host?.replace(/:\d+$/, '');
  return own.matches(host, request.port ?? request.host?.match(/:(\d+)$/)?.[1], request.path) || /[?&]sentry_key=/.test(request.path ?? '');
}

/**
 * Only what matters for an Express app: outgoing HTTP (node:http and fetch/undici),
 * Express routes, pg and knex. `getNodeAutoInstrumentations()` would load ~40 packages for this.
 */
export function createInstrumentations(own: OwnEndpoints, databases?: DatabaseEndpoints): Instrumentation[] {
  return [
    // Outgoing calls only: server spans come from traceIncomingRequests (http-server.ts), which is cheaper.
    new HttpInstrumentation({
      disableIncomingRequestInstrumentation: true,
      ignoreOutgoingRequestHook: (request) => isOwnHttpRequest(own, request),
    }),
    new UndiciInstrumentation({
      ignoreRequestHook: (request) => {
        try {
          const origin = new URL(request.origin);
          return own.matches(origin.hostname, origin.port || (origin.protocol === 'https:' ? '443' : '80'), request.path);
        } catch {
          return false;
        }
      },
    }),
    // Route handler spans only, as @opentelemetry/instrumentation-express with ignoreLayersType
    // [MIDDLEWARE, ROUTER] made them, without its work on every middleware layer of every request.
    new LeanExpressInstrumentation(),
    // Queries with no span around them (a start-up migration, a timer's job, the pool's own work) are not
    // traced, as @sentry/node's integrations do: each would be a trace and a Sentry transaction of its own.
    new PgInstrumentation({
      enhancedDatabaseReporting: false,
      requireParentSpan: true,
      // Where the database is, so that failing to reach it is told from other socket errors (classify.ts).
      connectionHook: (_span, { connection }) => databases?.add(connection.host, connection.port),
      requestHook: (span, { connection, query }) => {
        const name = pgQuerySpanName(query.text, query.name, connection.database);
        if (name !== undefined) span.updateName(name);
      },
    }),
    new (loadKnexInstrumentation().KnexInstrumentation)({ requireParentSpan: true }),
  ];
}
