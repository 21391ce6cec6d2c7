#!/usr/bin/env node
'use strict';
/**
 * node bench/memory.js [--setups bare,ours-1.0] [--routes /hello,/work,/db,/error] [--duration 3] [--compare <build dir>]
 * (--compare adds cmp-1.0, cmp-0.2: ours from another build, as in bench/run.js)
 * Where "RSS after load" comes from, per setup (any key of bench/lib/setups.js), on the bench's app and
 * load: the live heap after a full GC at listening and after the load, RSS at the end of the load (the
 * bench's figure), and from V8's GC trace during the load what the young generation promoted per
 * request and where the mark-compacts started and ended. V8 sets the old generation's next limit from
 * the live heap after a mark-compact times a growing factor, which is larger the more is promoted
 * per unit of marking speed: so RSS follows the live heap and the promotion rate.
 */
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { createSink } = require('./sink');
const { SETUPS, compareSetups, comparedKeys } = require('./lib/setups');
const fs = require('node:fs');
const { startServer, loadServer, stopServer, readRssMb } = require('./lib/server');
const { startDatabase } = require('./lib/database');

const MB = 1024 * 1024;

function parseArgs(argv) {
  const args = { setups: ['bare', 'ours-1.0'], routes: ['/hello', '/work', '/db', '/error'], duration: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i].replace(/^--/, ''), argv[i + 1]];
    if (name === 'setups' || name === 'routes') args[name] = value.split(',');
    else if (name === 'duration') args.duration = Number(value);
    else if (name === 'compare') args.compare = value;
    else throw new TypeError(`unknown option ${argv[i]}: use --setups, --routes, --duration or --compare`);
  }
  return args;
}

/** Anonymous memory (heaps, malloc) and file-backed pages (the node binary, ICU data, libraries) in RSS. */
function readRssParts(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]) / 1024;
  return { anon: kb('RssAnon'), file: kb('RssFile') };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

/** --trace-gc-nvp lines between two process-uptime marks (ms): scavenges and mark-compacts. */
function summarizeGc(lines, from, to) {
  let scavenges = 0;
  let promoted = 0;
  const compactions = [];
  for (const line of lines) {
    const at = Number(/\]\s+(\d+) ms: /.exec(line)?.[1]);
    if (!(at >= from && at <= to)) continue;
    const field = (name) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(line)?.[1]);
    if (/ gc=s /.test(line)) {
      scavenges++;
      promoted += field('promoted') || 0;
    } else if (/ gc=mc /.test(line)) {
      compactions.push({ before: field('total_size_before'), after: field('total_size_after') });
    }
  }
  return { scavenges, promoted, compactions };
}

const MEMORY_LINE_TIMEOUT_MS = 15_000;

/** The next `MEMORY` line's numbers; rejects if the app prints none in time (it died, or hangs in GC). */
function waitForMemoryLine(lines) {
  const deadline = Date.now() + MEMORY_LINE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const check = () => {
      const line = lines.shift();
      if (line) return resolve(line.split(' ').slice(1).map(Number));
      if (Date.now() > deadline) return reject(new Error(`no MEMORY line from the app within ${MEMORY_LINE_TIMEOUT_MS} ms`));
      setTimeout(check, 50);
    };
    check();
  });
}

/** Live heap at listening, the load, RSS at its end, live heap after it. */
async function loadWithReadings(server, memoryLines, options, pinning) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  server.child.kill('SIGUSR2');
  const [listeningAt, listeningHeap, listeningRss] = await waitForMemoryLine(memoryLines);
  const results = await loadServer(server, { routes: options.routes, connections: 10, duration: options.duration, warmup: 1, pinning });
  const rssAfterLoad = readRssMb(server.child.pid);
  const parts = readRssParts(server.child.pid);
  server.child.kill('SIGUSR2');
  const [loadedAt, loadedHeap] = await waitForMemoryLine(memoryLines);
  return { listeningAt, listeningHeap, listeningRss, results, rssAfterLoad, parts, loadedAt, loadedHeap };
}

async function measure(setup, { sink, projectId, databaseUrl, pinning, options }) {
  const nodeArgs = ['--expose-gc', '--trace-gc-nvp', '--require', path.join(__dirname, 'preload', 'memory-report.cjs')];
  const server = await startServer(setup, { sink, projectId, databaseUrl, pinning, nodeArgs });
  const gcLines = [];
  const memoryLines = [];
  let pending = '';
  server.child.stdout.on('data', (chunk) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) if (line.includes(' ms: pause=')) gcLines.push(line);
  });
  server.child.stderr.on('data', (chunk) => {
    for (const line of chunk.toString().split('\n')) if (line.startsWith('MEMORY ')) memoryLines.push(line);
  });
  let readings;
  try {
    readings = await loadWithReadings(server, memoryLines, options, pinning);
  } catch (error) {
    server.child.kill('SIGKILL');
    throw error;
  }
  await stopServer(server);
  const { listeningAt, listeningHeap, listeningRss, results, rssAfterLoad, parts, loadedAt, loadedHeap } = readings;
  const requests = results.reduce((total, result) => total + result.answered, 0);
  const gc = summarizeGc(gcLines, listeningAt + 1, loadedAt - 1);
  return {
    key: setup.key, anon: parts.anon, file: parts.file,
    listeningHeap: listeningHeap / MB, listeningRss: listeningRss / MB, loadedHeap: loadedHeap / MB, rssAfterLoad,
    requests, scavenges: gc.scavenges, promotedPerRequest: gc.promoted / requests / 1024,
    compactions: gc.compactions.length,
    triggerMedian: median(gc.compactions.map((c) => c.before)) / MB, afterMedian: median(gc.compactions.map((c) => c.after)) / MB,
  };
}

function table(rows) {
  const header = ['setup', 'live heap at listening', 'RSS at listening', 'live heap after load', 'RSS after load (bench figure): anonymous + file-backed',
    'requests', 'scavenges', 'promoted KB/req', 'mark-compacts', 'heap at MC start (median)', 'heap after MC (median)'];
  const f = (n) => n.toFixed(1);
  const lines = rows.map((r) => [r.key, `${f(r.listeningHeap)} MB`, `${Math.round(r.listeningRss)} MB`, `${f(r.loadedHeap)} MB`, `${Math.round(r.rssAfterLoad)} MB: ${Math.round(r.anon)} + ${Math.round(r.file)}`,
    String(r.requests), String(r.scavenges), f(r.promotedPerRequest), String(r.compactions), `${f(r.triggerMedian)} MB`, `${f(r.afterMedian)} MB`]);
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const compared = options.compare ? compareSetups(options.compare) : [];
  if (options.compare) options.setups.push(...comparedKeys(options.setups).filter((key) => !options.setups.includes(key)));
  const chosen = options.setups.map((key) => {
    const setup = [...SETUPS, ...compared].find((candidate) => candidate.key === key);
    if (!setup) throw new TypeError(`unknown setup ${key}: one of ${SETUPS.map((s) => s.key).join(', ')}`);
    return setup;
  });
  const pinning = process.platform === 'linux' && spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
  const sink = await createSink().listen();
  const database = options.routes.includes('/db') ? await startDatabase() : undefined;
  try {
    const rows = [];
    for (const [index, setup] of chosen.entries()) {
      rows.push(await measure(setup, { sink, projectId: 200 + index, databaseUrl: database?.url ?? 'postgres://bench@127.0.0.1:1/none', pinning, options }));
    }
    console.log(`routes ${options.routes.join(', ')}, ${options.duration} s each, 10 connections\n`);
    console.log(table(rows));
  } finally {
    await sink.close();
    await database?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
