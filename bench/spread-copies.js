#!/usr/bin/env node
'use strict';
/**
 * node bench/spread-copies.js
 *
 * What a copy made with object spread costs when the literal also adds a key the copied object does not
 * have (bench/NOTES.md item 54), against the same copy made with Object.assign, a key overwritten, and the
 * key given in the original literal. Objects shaped like the ones our code copies: a query breadcrumb, a
 * stack frame (three shapes, as the stack parser makes them), an event's contexts. Nanoseconds per copy,
 * making the object included.
 */
const STEPS = 1e6;

const breadcrumb = (i) => ({ type: 'query', category: 'query', level: 'info', message: 'select 1', data: { duration_ms: i & 7 } });
const FRAME_SHAPES = [
  (i) => ({ filename: '/app/a.js', module: 'a', function: `f${i & 3}`, lineno: 10, colno: 5, in_app: true }),
  () => ({ filename: '/app/b.js', module: 'b', function: 'g', lineno: 20, colno: 7, in_app: true, abs_path: '/app/b.js' }),
  () => ({ filename: 'node:internal/x', function: 'h', lineno: 1, colno: 1, in_app: false }),
];
const frame = (i) => FRAME_SHAPES[i % 3](i);
const contexts = () => ({ app: {}, os: {}, device: {}, culture: {}, runtime: {}, trace: {} });
const LINES = { pre_context: ['a', 'b'], context_line: 'c', post_context: ['d'] };

const cases = {
  'breadcrumb: { ...b, timestamp } (a new key)': (i) => ({ ...breadcrumb(i), timestamp: i }),
  'breadcrumb: { ...b, level } (a key it has)': (i) => ({ ...breadcrumb(i), level: 'error' }),
  'breadcrumb: timestamp in its literal': (i) => ({ type: 'query', category: 'query', level: 'info', message: 'select 1', data: { duration_ms: i & 7 }, timestamp: i }),
  'frame: { ...frame, three context keys }': (i) => ({ ...frame(i), pre_context: LINES.pre_context, context_line: LINES.context_line, post_context: LINES.post_context }),
  'frame: Object.assign({}, frame, keys)': (i) => Object.assign({}, frame(i), { pre_context: LINES.pre_context, context_line: LINES.context_line, post_context: LINES.post_context }),
  'contexts: { ...contexts, response }': () => ({ ...contexts(), response: { status_code: 500 } }),
  'contexts: Object.assign({}, contexts, { response })': () => Object.assign({}, contexts(), { response: { status_code: 500 } }),
};

for (let round = 1; round <= 2; round++) {
  for (const [name, copy] of Object.entries(cases)) {
    const started = process.hrtime.bigint();
    let kept = 0;
    for (let i = 0; i < STEPS; i++) kept += Object.keys(copy(i)).length;
    const ns = Number(process.hrtime.bigint() - started) / STEPS;
    if (round === 2) console.log(`${name.padEnd(52)} ${ns.toFixed(1).padStart(7)} ns${kept > 0 ? '' : ' (?)'}`);
  }
}
