'use strict';
/**
 * For bench/memory.js: on each SIGUSR2, two full garbage collections (the process runs with
 * --expose-gc), then one line on stderr: `MEMORY <uptime ms> <live heap bytes> <rss bytes>`.
 */
process.on('SIGUSR2', () => {
  const at = Math.round(process.uptime() * 1000);
  globalThis.gc();
  globalThis.gc();
  const usage = process.memoryUsage();
  process.stderr.write(`MEMORY ${at} ${usage.heapUsed} ${usage.rss}\n`);
});
