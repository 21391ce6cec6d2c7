'use strict';
/**
 * The load generator, run as its own process (pinned to the other core by run.js):
 *   node bench/load.js '{"base":"http://127.0.0.1:1234","routes":["/hello"],"connections":10,"duration":5,"warmup":1}'
 * For each route: a warm-up (discarded), then the measured autocannon run (at least 1 s: autocannon's
 * own minimum). Prints one JSON line per route with req/s, p50/p99 latency (ms, from every response's
 * own timing, not autocannon's 1 ms buckets), the number of requests the server answered (warm-up
 * included) and any errors/non-2xx answers.
 */
const http = require('node:http');
const autocannon = require('autocannon');

/**
 * Warm-up without autocannon (whose runs last at least a second): `connections` keep-alive loops of
 * plain requests for `seconds`. Resolves with the number of answers.
 */
function warmUp(url, connections, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const until = Date.now() + seconds * 1000;
  let answered = 0;
  const loop = () =>
    new Promise((resolve) => {
      const next = () => {
        if (Date.now() >= until) return resolve();
        http
          .get(url, { agent }, (res) => {
            res.resume();
            res.on('end', () => {
              answered++;
              next();
            });
          })
          .on('error', () => resolve());
      };
      next();
    });
  return Promise.all(Array.from({ length: connections }, loop)).then(() => {
    agent.destroy();
    return answered;
  });
}

function run(url, connections, duration, onLatency) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections, duration, excludeErrorStats: false }, (error, result) => {
      if (error) reject(error);
      else resolve(result);
    });
    if (onLatency) instance.on('response', (_client, _status, _bytes, responseTime) => onLatency(responseTime));
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

async function main() {
  const options = JSON.parse(process.argv[2]);
  for (const route of options.routes) {
    const url = options.base + route;
    const warmed = options.warmup > 0 ? await warmUp(url, options.connections, options.warmup) : 0;
    let latencies = new Float64Array(1 << 16);
    let n = 0;
    process.stdout.write(`${JSON.stringify({ measuring: route })}\n`);
    const started = process.hrtime.bigint();
    const result = await run(url, options.connections, options.duration, (ms) => {
      if (n === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[n++] = ms;
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const sorted = latencies.subarray(0, n).sort();
    const answered = (r) => (r ? r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'] : 0);
    process.stdout.write(
      `${JSON.stringify({
        route,
        rps: n / (result.duration || seconds),
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        measured: n,
        answered: warmed + answered(result),
        errors: result.errors + result.timeouts,
        status: { '2xx': result['2xx'], '5xx': result['5xx'], other: result['1xx'] + result['3xx'] + result['4xx'] },
      })}\n`,
    );
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
