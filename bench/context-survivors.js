#!/usr/bin/env node
'use strict';
/**
 * node bench/context-survivors.js [--duration 4] [--modes none,api,prototype]   (any Node binary runs it)
 *
 * What one OpenTelemetry context per request does to V8's young generation, without Express, Sentry or
 * any tracer: a plain http server answers a tiny JSON, each request inside `AsyncLocalStorage#run` with
 * - none:      no context at all;
 * - api:       the API's ROOT_CONTEXT.setValue(key, req): the API's context class, three closures each;
 * - prototype: the same value in a context whose methods are on the prototype (src/tracing/lean-context.ts).
 * Each mode is its own process, pinned to CPU 0 and loaded for `--duration` seconds with autocannon (10
 * connections, CPU 1). Printed per mode: requests, scavenges, bytes that survived a scavenge (mean, and
 * how many scavenges kept over 2 MB), mark-compacts, the young generation's final capacity and RSS
 * after the load. On Node 24 `api` keeps megabytes per scavenge and RSS grows by ~100 MB; on Node 20 it
 * does not (bench/NOTES.md item 39).
 */
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const { pinned, readRssMb } = require('./lib/server');

const ROOT = path.resolve(__dirname, '..');

function serve(mode) {
  const http = require('node:http');
  const { AsyncLocalStorage } = require('node:async_hooks');
  const { ROOT_CONTEXT, createContextKey } = require('@opentelemetry/api');
  const { REQUEST_ROOT_CONTEXT } = require(path.join(ROOT, 'dist', 'src', 'tracing', 'lean-context.js'));
  const storage = new AsyncLocalStorage();
  const key = createContextKey('request');
  const roots = { api: ROOT_CONTEXT, prototype: REQUEST_ROOT_CONTEXT };
  const answer = (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"hello":"world"}');
  };
  const server = http.createServer((req, res) => {
    if (mode === 'none') return answer(req, res);
    return storage.run(roots[mode].setValue(key, req), answer, req, res);
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
}


async function measure(mode, duration, pinning) {
  const [command, args] = pinned(0, process.execPath, ['--trace-gc-nvp', __filename, '--serve', mode], pinning);
  // V8's GC trace goes to a file: a pipe that nobody reads while autocannon runs would stall the server.
  const traceFile = path.join(os.tmpdir(), `context-survivors-${process.pid}-${mode}.log`);
  const trace = fs.openSync(traceFile, 'w');
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', trace, 'inherit'] });
  fs.closeSync(trace);
  const port = await new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /LISTENING (\d+)/.exec(fs.readFileSync(traceFile, 'utf8'));
      if (match) {
        clearInterval(timer);
        resolve(Number(match[1]));
      }
    }, 20);
    child.once('exit', () => reject(new Error(`${mode}: the server exited before listening`)));
  });
  const [loadCommand, loadArgs] = pinned(1, path.join(ROOT, 'node_modules', '.bin', 'autocannon'), ['-j', '-c', '10', '-d', String(duration), `http://127.0.0.1:${port}/`], pinning);
  const load = spawnSync(loadCommand, loadArgs, { cwd: ROOT, encoding: 'utf8' });
  const requests = JSON.parse(load.stdout).requests.total;
  const rssMb = readRssMb(child.pid);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const output = fs.readFileSync(traceFile, 'utf8');
  fs.rmSync(traceFile);
  const field = (line, name) => Number(new RegExp(`\\b${name}=([\\d.]+)`).exec(line)?.[1]);
  const scavenges = output.split('\n').filter((line) => / gc=s /.test(line));
  const survived = scavenges.map((line) => field(line, 'new_space_survived'));
  return {
    mode,
    requests,
    scavenges: scavenges.length,
    meanSurvivedKb: Math.round(survived.reduce((a, b) => a + b, 0) / Math.max(survived.length, 1) / 1024),
    over2Mb: survived.filter((bytes) => bytes > 2 * 1024 * 1024).length,
    markCompacts: output.split('\n').filter((line) => / gc=mc /.test(line)).length,
    youngCapacityMb: field(scavenges.at(-1) ?? '', 'new_space_capacity') / 1024 / 1024 || '—', // Node 24's V8 prints it
    rssMb: Math.round(rssMb),
  };
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--serve') return serve(argv[1]);
  const option = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
  const duration = Number(option('duration', '4'));
  const modes = option('modes', 'none,api,prototype').split(',');
  // Pinned to a core each, as in bench/run.js, where `taskset` works here.
  const pinning = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  console.log(`Node ${process.version}, ${duration} s per mode\n`);
  console.log('| mode | requests | scavenges | survived per scavenge (mean KB) | scavenges > 2 MB | mark-compacts | young generation (MB) | RSS after load (MB) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const mode of modes) {
    const r = await measure(mode, duration, pinning);
    console.log(`| ${r.mode} | ${r.requests} | ${r.scavenges} | ${r.meanSurvivedKb} | ${r.over2Mb} | ${r.markCompacts} | ${r.youngCapacityMb} | ${r.rssMb} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
