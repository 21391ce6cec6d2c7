import { context, createContextKey, type Context } from '@opentelemetry/api';
import {
  _INTERNAL_safeMathRandom, generateTraceId, getDefaultCurrentScope, getDefaultIsolationScope, isContinuingTrace,
  setAsyncContextStrategy, type Scope,
} from '@sentry/core';

/** Where Sentry's scopes ride in an OpenTelemetry context. */
const SCOPES = createContextKey('express-otel-sentry.sentry-scopes');

/** The scopes of a context; a request's are made on first use (see {@link LazyRequestScopes}). */
export interface ContextScopes {
  readonly scope: Scope;
  readonly isolationScope: Scope;
}

/**
 * A request's scopes, made when first asked for: a request that never touches its scopes (no
 * middleware, no event) costs no clone. The current scope is cloned from the process-wide one, as
 * Sentry does when it forks an isolation scope.
 */
export class LazyRequestScopes implements ContextScopes {
  private isolation: Scope | undefined;
  private current: Scope | undefined;

  constructor(private readonly makeIsolationScope: () => Scope) {}

  get isolationScope(): Scope {
    return (this.isolation ??= this.makeIsolationScope());
  }

  get scope(): Scope {
    return (this.current ??= getDefaultCurrentScope().clone());
  }

  /** The isolation scope if something made it (else the request captured and set nothing). */
  isolationScopeIfMade(): Scope | undefined {
    return this.isolation;
  }
}

function scopesOf(ctx: Context): ContextScopes | undefined {
  return ctx.getValue(SCOPES) as ContextScopes | undefined;
}

function currentScope(): Scope {
  return scopesOf(context.active())?.scope ?? getDefaultCurrentScope();
}

function isolationScope(): Scope {
  return scopesOf(context.active())?.isolationScope ?? getDefaultIsolationScope();
}

function runWith<T>(scopes: ContextScopes, callback: () => T): T {
  return context.with(context.active().setValue(SCOPES, scopes), callback);
}

/** The context for a request: its scopes are made on first use. */
export function withRequestScopes(ctx: Context, scopes: LazyRequestScopes): Context {
  return ctx.setValue(SCOPES, scopes);
}

/**
 * Sentry's scopes kept in OpenTelemetry's context instead of a second AsyncLocalStorage: one store
 * follows every async hop of a request instead of two, and a request's Sentry scopes live in the same
 * context as its span. Same semantics as @sentry/node's own strategy (fork on `withScope` and
 * `withIsolationScope`, the process-wide scopes outside any context). Needs a real context manager
 * (OpenTelemetry's AsyncLocalStorage one), so it is installed only when tracing runs.
 */
export function useOpenTelemetryContextForScopes(): void {
  setAsyncContextStrategy({
    getCurrentScope: currentScope,
    getIsolationScope: isolationScope,
    withScope: (callback) => {
      const scope = currentScope().clone();
      return runWith({ scope, isolationScope: isolationScope() }, () => callback(scope));
    },
    withSetScope: (scope, callback) => runWith({ scope, isolationScope: isolationScope() }, () => callback(scope)),
    withIsolationScope: (callback) => {
      const scope = currentScope().clone();
      const isolation = isolationScope().clone();
      if (!isContinuingTrace(scope.getPropagationContext())) {
        scope.setPropagationContext({ traceId: generateTraceId(), sampleRand: _INTERNAL_safeMathRandom() });
      }
      return runWith({ scope, isolationScope: isolation }, () => callback(isolation));
    },
    withSetIsolationScope: (isolation, callback) =>
      runWith({ scope: currentScope().clone(), isolationScope: isolation }, () => callback(isolation)),
  });
}
