'use strict';
/**
 * Preload for bench/alloc.js: V8's sampling heap profiler *including objects already collected*, so the
 * profile shows what a request allocates (the garbage collector's work), not what stays alive. Started
 * after BENCH_ALLOC_DELAY_MS (start-up excluded), written to BENCH_ALLOC_OUT when the process exits.
 */
const inspector = require('node:inspector');
const fs = require('node:fs');

const session = new inspector.Session();
session.connect();
let sampling = false;
setTimeout(() => {
  session.post('HeapProfiler.enable', () => {
    session.post(
      'HeapProfiler.startSampling',
      { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !process.env.BENCH_ALLOC_SURVIVORS },
      (error) => { sampling = !error; },
    );
  });
}, Number(process.env.BENCH_ALLOC_DELAY_MS || 1500)).unref();

process.on('exit', () => {
  if (!sampling) return;
  // A main-thread inspector session answers synchronously, so this still runs before the exit.
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (!error) fs.writeFileSync(process.env.BENCH_ALLOC_OUT, JSON.stringify(result.profile));
  });
});
