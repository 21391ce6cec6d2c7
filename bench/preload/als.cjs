'use strict';
/**
 * A reference, not a product: bare Express plus one AsyncLocalStorage.run per request, the least any
 * per-request context (OpenTelemetry's, Sentry's isolation) costs. On Node 20 AsyncLocalStorage rides
 * on async_hooks, so every promise, tick and socket write of the request pays an init hook; on Node 24
 * it is AsyncContextFrame, close to free.
 */
const http = require('node:http');
const { AsyncLocalStorage } = require('node:async_hooks');

const storage = new AsyncLocalStorage();
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, ...args) {
  if (event !== 'request') return emit.call(this, event, ...args);
  return storage.run({ request: args[0] }, () => emit.call(this, event, ...args));
};
