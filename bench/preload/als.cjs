'use strict';
/**
 * A reference, not a product: bare Express plus one AsyncLocalStorage context per request, the least any
 * per-request context (OpenTelemetry's, Sentry's isolation) costs. On Node 20 AsyncLocalStorage rides
 * on async_hooks, so every promise, tick and socket write of the request pays an init hook; on Node 24
 * it is AsyncContextFrame, close to free.
 *
 * BENCH_SERVER_HOOK=diagnostics_channel enters the context from the `http.server.request.start` channel
 * (`enterWith`, the only way a subscriber can set it) instead of running the app inside
 * `AsyncLocalStorage.run` from a patched `Server#emit`.
 */
const http = require('node:http');
const diagnostics = require('node:diagnostics_channel');
const { AsyncLocalStorage } = require('node:async_hooks');

const storage = new AsyncLocalStorage();
if (process.env.BENCH_SERVER_HOOK === 'diagnostics_channel') {
  diagnostics.subscribe('http.server.request.start', ({ request }) => storage.enterWith({ request }));
} else {
  // BENCH_OWN_PROPERTIES=n: also add n symbol-keyed properties to the request and the response before
  // Express runs (what a tracer that keeps its per-request state on them does).
  const symbols = Array.from({ length: Number(process.env.BENCH_OWN_PROPERTIES || 0) }, (_, i) => Symbol(`bench.${i}`));
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, ...args) {
    if (event !== 'request') return emit.call(this, event, ...args);
    const store = { request: args[0] };
    for (const symbol of symbols) {
      args[0][symbol] = store;
      args[1][symbol] = store;
    }
    return storage.run(store, () => emit.call(this, event, ...args));
  };
}
