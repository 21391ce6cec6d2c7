#!/usr/bin/env node
'use strict';
/**
 * node bench/alloc.js [bare|ours] [route=/hello] [top=30]   (BENCH_ALLOC_RATE=0.2: ours at that sample rate;
 *   BENCH_ALLOC_SURVIVORS=1: only allocations that survived a scavenge, what the old generation grows by;
 *   BENCH_ALLOC_KEEP=1: the sampled profile is left in the temp folder, for your own call-tree queries)
 * What one request allocates: runs bench/app.js (bare, or ours at rate 1.0 from dist/ with the full
 * middleware) under V8's sampling heap profiler with collected objects included, loads it for 3 s, and
 * prints bytes per request by package and by function. Telemetry goes to the counting sink, as in the bench.
 */
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { spawn } = require('node:child_process');
const autocannon = require('autocannon');
const { createSink } = require('./sink');
const { startDatabase } = require('./lib/database');

const ROOT = path.resolve(__dirname, '..');

function summarize(profile, requests, top) {
  const byPackage = new Map();
  const byFunction = new Map();
  let total = 0;
  const visit = (node) => {
    const frame = node.callFrame;
    const url = frame.url.replace(/.*node_modules\//, '').replace(`file://${ROOT}/`, '').replace(`${ROOT}/`, '');
    const owner = url.startsWith('@') ? url.split('/').slice(0, 2).join('/') : url.startsWith('dist/') ? url.split('/').slice(0, 3).join('/') : url.split('/')[0] || '(native)';
    const name = `${frame.functionName || '(anonymous)'} ${url}:${frame.lineNumber}`;
    total += node.selfSize;
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + node.selfSize);
    byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
    node.children.forEach(visit);
  };
  visit(profile.head);
  const rows = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, bytes]) => `${String(Math.round(bytes / requests)).padStart(8)} B/req  ${key}`);
  return [`${(total / requests / 1024).toFixed(1)} KB allocated per request (${requests} requests)`, '', 'by package:', ...rows(byPackage), '', 'by function:', ...rows(byFunction)].join('\n');
}

async function main() {
  const [setup = 'ours', route = '/hello', top = '30'] = process.argv.slice(2);
  const out = path.join(os.tmpdir(), `alloc-${process.pid}.json`);
  const sink = await createSink().listen();
  // /hello and /work never connect; /db gets the bench's database (DATABASE_URL or the embedded server).
  const database = route === '/db' ? await startDatabase() : undefined;
  const env = {
    DATABASE_URL: database?.url ?? 'postgres://bench@127.0.0.1:1/none',
    ...process.env, NODE_ENV: 'production', PORT: '0', BENCH_EXIT_ON_SIGUSR2: '1', BENCH_ALLOC_OUT: out,
    SENTRY_DSN: sink.dsnFor('alloc', 100), SENTRY_TRACES_SAMPLE_RATE: process.env.BENCH_ALLOC_RATE ?? '1', SENTRY_LOCAL_VIEW: '0', SENTRY_ENVIRONMENT: 'bench',
  };
  const args = ['--require', path.join(__dirname, 'preload', 'alloc-sampling.cjs')];
  if (setup === 'ours') {
    env.BENCH_DIST = path.join(ROOT, 'dist');
    args.push('--import', path.join(ROOT, 'dist', 'src', 'register.js'));
  }
  const child = spawn(process.execPath, [...args, path.join(__dirname, 'app.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.on('data', (data) => {
    const match = /LISTENING (\d+)/.exec(String(data));
    if (match) resolve(Number(match[1]));
  }));
  await new Promise((resolve) => setTimeout(resolve, Number(env.BENCH_ALLOC_DELAY_MS || 1500) + 200));
  const result = await autocannon({ url: `http://127.0.0.1:${port}${route}`, connections: 10, duration: 3 });
  child.kill('SIGUSR2');
  await new Promise((resolve) => child.on('exit', resolve));
  await sink.close();
  await database?.stop?.();
  // A route that fails allocates for the error path instead: say so rather than print a wrong profile.
  if (result.non2xx > 0) console.log(`warning: ${result.non2xx} of ${result.requests.total} responses were not 2xx`);
  console.log(summarize(JSON.parse(fs.readFileSync(out, 'utf8')), result.requests.total, Number(top)));
  if (process.env.BENCH_ALLOC_KEEP) console.log(`\nprofile kept: ${out}`);
  else fs.rmSync(out, { force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
