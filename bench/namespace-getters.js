#!/usr/bin/env node
'use strict';
/**
 * node bench/namespace-getters.js
 *
 * What one read of `@opentelemetry/api` costs in the files rolldown built (bench/NOTES.md item 51): through
 * rolldown's own `__toESM` namespace (each export behind a getter made with `bind`, which V8's inline
 * caches do not hold), through the plain copy `src/tracing/plain-api-namespace.ts` makes, and on the
 * module itself. Three reads a call, nanoseconds per read; needs a build (dist/).
 */
const path = require('node:path');

const api = require('@opentelemetry/api');
const { __toESM } = require(path.join(path.dirname(require.resolve('@opentelemetry/sdk-trace')), '_virtual', '_rolldown', 'runtime.cjs'));
const { plainNamespace } = require('../dist/src/tracing/plain-api-namespace');

const CALLS = 3e6;
const READS_PER_CALL = 3;

function reader(namespace) {
  return () => namespace.context && namespace.trace && namespace.SpanKind;
}

const readers = {
  "rolldown's __toESM namespace": reader(__toESM(api)),
  'the plain copy (ours)': reader(plainNamespace(api)),
  'the module itself': reader(api),
};

for (let round = 1; round <= 2; round++) {
  for (const [name, read] of Object.entries(readers)) {
    const started = process.hrtime.bigint();
    let kept;
    for (let i = 0; i < CALLS; i++) kept = read();
    const ns = Number(process.hrtime.bigint() - started) / CALLS / READS_PER_CALL;
    if (round === 2) console.log(`${name.padEnd(30)} ${ns.toFixed(1).padStart(6)} ns per read${kept ? '' : ' (?)'}`);
  }
}
