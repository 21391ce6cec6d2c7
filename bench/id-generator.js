#!/usr/bin/env node
'use strict';
/**
 * node bench/id-generator.js
 *
 * What a request's ids cost (bench/NOTES.md item 53): the SDK's RandomIdGenerator against ours
 * (`src/tracing/id-generator.ts`), each id then validated as the SDK validates a parent's and read as the
 * sampler reads a trace id, so that a kind of string that is cheap to make but slow to read shows. Per
 * round, a span id for every step and a trace id for every other; nanoseconds per step. Needs a build (dist/).
 */
const { RandomIdGenerator } = require('@opentelemetry/sdk-trace');
const { isValidSpanId, isValidTraceId } = require('@opentelemetry/api');
const { BatchedIdGenerator } = require('../dist/src/tracing/id-generator');

const STEPS = 2e6;

function step(ids, i) {
  const spanId = ids.generateSpanId();
  let kept = isValidSpanId(spanId) ? spanId.charCodeAt(3) : 0;
  if ((i & 1) === 0) {
    const traceId = ids.generateTraceId();
    kept += isValidTraceId(traceId) ? parseInt(traceId.slice(16, 30), 16) & 1 : 0;
  }
  return kept;
}

const generators = {
  "the SDK's RandomIdGenerator": new RandomIdGenerator(),
  'BatchedIdGenerator (ours)': new BatchedIdGenerator(),
};

for (let round = 1; round <= 3; round++) {
  for (const [name, ids] of Object.entries(generators)) {
    const started = process.hrtime.bigint();
    let kept = 0;
    for (let i = 0; i < STEPS; i++) kept += step(ids, i);
    const ns = Number(process.hrtime.bigint() - started) / STEPS;
    if (round === 3) console.log(`${name.padEnd(30)} ${ns.toFixed(1).padStart(6)} ns per span id and half a trace id${kept >= 0 ? '' : ' (?)'}`);
  }
}
