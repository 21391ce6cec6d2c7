import { AsyncLocalStorage } from 'node:async_hooks';
import { context, createContextKey, type Context } from '@opentelemetry/api';
import {
  _INTERNAL_safeMathRandom, generateTraceId, getDefaultCurrentScope, getDefaultIsolationScope, getIsolationScope,
  isContinuingTrace, setAsyncContextStrategy, type AsyncContextStrategy, type Scope,
} from '@sentry/core';
import { OPENTELEMETRY_TRACING } from './otel-tracing';

/** Where Sentry's scopes ride in an OpenTelemetry context. */
const SCOPES = createContextKey('express-otel-sentry.sentry-scopes');

/** The scopes of a context; a request's are made on first use (see {@link LazyRequestScopes}). */
export interface ContextScopes {
  readonly scope: Scope;
  readonly isolationScope: Scope;
}

/** Writes a request's scopes hold before they are made anyway (see writeIsolationScope). */
export const MAX_PENDING_WRITES = 64;

/**
 * A request's scopes, made when first asked for: a request that never touches its scopes (no
 * middleware, no event) costs no clone. The current scope is cloned from the process-wide one, as
 * Sentry does when it forks an isolation scope.
 */
export class LazyRequestScopes implements ContextScopes {
  private isolation: Scope | undefined;
  private current: Scope | undefined;
  private pendingWrites: Array<(scope: Scope) => void> | undefined;

  constructor(private readonly makeIsolationScope: () => Scope) {}

  get isolationScope(): Scope {
    if (this.isolation === undefined) {
      const made = (this.isolation = this.makeIsolationScope());
      const pending = this.pendingWrites;
      this.pendingWrites = undefined;
      if (pending) for (const write of pending) applyQuietly(write, made);
    }
    return this.isolation;
  }

  /**
   * Runs `write` on the isolation scope: now if it is made, else when something first reads it (an
   * event, a `Sentry.*` call). Writes keep their order, so a reader sees exactly what it would have.
   */
  writeIsolationScope(write: (scope: Scope) => void): void {
    if (this.isolation !== undefined) {
      applyQuietly(write, this.isolation);
      return;
    }
    const pending = (this.pendingWrites ??= []);
    pending.push(write);
    // A long request (a stream, thousands of queries) would hold every write; the scope keeps only the
    // last breadcrumbs, so past a few dozen writes it is made and takes them, and later ones go straight in.
    if (pending.length >= MAX_PENDING_WRITES) void this.isolationScope;
  }

  get scope(): Scope {
    return (this.current ??= getDefaultCurrentScope().clone());
  }

  /** The isolation scope if something made it (else the request captured and set nothing). */
  isolationScopeIfMade(): Scope | undefined {
    return this.isolation;
  }
}

function applyQuietly(write: (scope: Scope) => void, scope: Scope): void {
  try {
    write(scope);
  } catch {
    // A write must not break the request, nor (when deferred) whatever first reads the scope, often an
    // event capture: a scope listener of the app's may throw, for one.
  }
}

function scopesOf(ctx: Context): ContextScopes | undefined {
  return ctx.getValue(SCOPES) as ContextScopes | undefined;
}

/**
 * The request's scopes in `ctx` while they are the request's own (not a `withScope` fork of them).
 * Only requests handled with scopes in OpenTelemetry's context have them.
 */
function lazyRequestScopesOf(ctx: Context): LazyRequestScopes | undefined {
  const scopes = scopesOf(ctx);
  return scopes instanceof LazyRequestScopes ? scopes : undefined;
}

/**
 * Where one request's Sentry data goes: its isolation scope, or its scopes not made yet, which keep the
 * writes until something reads them (see {@link LazyRequestScopes#writeIsolationScope}).
 */
export type RequestTarget = Scope | LazyRequestScopes;

/** The request being handled in `ctx`, or undefined outside a request (the process-wide isolation scope). */
export function currentRequestTarget(ctx: Context = context.active()): RequestTarget | undefined {
  const lazy = lazyRequestScopesOf(ctx);
  if (lazy) return lazy;
  const scope = getIsolationScope();
  return scope === getDefaultIsolationScope() ? undefined : scope;
}

/** Writes to a request's isolation scope (a throwing write is skipped); a scope not made yet gets the write when it is. */
export function writeTo(target: RequestTarget, write: (scope: Scope) => void): void {
  if (target instanceof LazyRequestScopes) target.writeIsolationScope(write);
  else applyQuietly(write, target);
}

/**
 * Writes to the current isolation scope (the request's, else the process-wide one). Most requests
 * never produce an event: a request-scoped write then costs a closure, not a scope clone.
 */
export function writeIsolationScope(write: (scope: Scope) => void): void {
  writeTo(lazyRequestScopesOf(context.active()) ?? getIsolationScope(), write);
}

/** The isolation scope of a context (the process-wide one when it has none). */
export function isolationScopeIn(ctx: Context): Scope {
  return scopesOf(ctx)?.isolationScope ?? getDefaultIsolationScope();
}

/** Where a scope strategy keeps the current scopes: what is current, and running with others. */
interface ScopesStore {
  current(): ContextScopes | undefined;
  runWith<T>(scopes: ContextScopes, callback: () => T): T;
}

const OPENTELEMETRY_CONTEXT_STORE: ScopesStore = {
  current: () => scopesOf(context.active()),
  runWith: (scopes, callback) => context.with(context.active().setValue(SCOPES, scopes), callback),
};

/**
 * Sentry's scope strategy over a store, with @sentry/node's semantics: fork on `withScope` and
 * `withIsolationScope`, the process-wide scopes outside any.
 */
function useScopesStore(store: ScopesStore, tracing: Partial<AsyncContextStrategy> = {}): void {
  const currentScope = (): Scope => store.current()?.scope ?? getDefaultCurrentScope();
  const isolationScope = (): Scope => store.current()?.isolationScope ?? getDefaultIsolationScope();
  setAsyncContextStrategy({
    getCurrentScope: currentScope,
    getIsolationScope: isolationScope,
    withScope: (callback) => {
      const scope = currentScope().clone();
      return store.runWith({ scope, isolationScope: isolationScope() }, () => callback(scope));
    },
    withSetScope: (scope, callback) => store.runWith({ scope, isolationScope: isolationScope() }, () => callback(scope)),
    withIsolationScope: (callback) => {
      const scope = currentScope().clone();
      const isolation = isolationScope().clone();
      if (!isContinuingTrace(scope.getPropagationContext())) {
        scope.setPropagationContext({ traceId: generateTraceId(), sampleRand: _INTERNAL_safeMathRandom() });
      }
      return store.runWith({ scope, isolationScope: isolation }, () => callback(isolation));
    },
    withSetIsolationScope: (isolation, callback) =>
      store.runWith({ scope: currentScope().clone(), isolationScope: isolation }, () => callback(isolation)),
    ...tracing,
  });
}

/**
 * Sentry's scopes in an AsyncLocalStorage of their own (what @sentry/node installs): the strategy when
 * tracing is off, since OpenTelemetry's context then does not follow async work.
 */
export function useAsyncLocalStorageForScopes(): void {
  const storage = new AsyncLocalStorage<ContextScopes>();
  useScopesStore({ current: () => storage.getStore(), runWith: (scopes, callback) => storage.run(scopes, callback) });
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
  useScopesStore(OPENTELEMETRY_CONTEXT_STORE, OPENTELEMETRY_TRACING);
}
