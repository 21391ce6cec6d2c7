#!/usr/bin/env node
'use strict';
/**
 * node bench/instructions.js [--setups bare,ours-1.0,ours-0.2] [--routes /hello,/work,/db]
 *                            [--requests 1000] [--warmup 10000] [--repeat 3] [--compare <build dir>]
 *                            [--variant name:VAR=value,...]  (repeatable: ours at 1.0 with extra environment)
 *
 * Machine instructions per request, counted by valgrind's callgrind: the same count for the same code
 * and load whatever else the VM is doing, where req/s and CPU time here swing by 2x within minutes.
 * Each setup serves bench/app.js under callgrind. After the warm-up, windows of `--requests` requests
 * (one at a time, keep-alive, so that each request is one turn of the event loop whatever the timing)
 * are counted: counters zeroed, requests sent, counters dumped. A window in which V8's optimizing
 * compiler still ran is warm-up too (under callgrind it keeps compiling for a long while). Each count
 * is everything the server executed in the window (request path, export batches, timers), split by
 * function name into the program, the garbage collector and the compilers, divided by the requests.
 * Instructions are not time (cache misses and page faults are not in them): this tells whether a
 * change does less work, and how much, not how much faster it is.
 *
 * Environment: BENCH_NODE_ARGS (extra node flags, e.g. --perf-basic-prof to name JIT code),
 * BENCH_KEEP_DUMPS=1 (keep the callgrind files), BENCH_CONCURRENCY (requests in flight, default 1).
 * Needs valgrind (with callgrind_control). Under callgrind the server runs ~50x slower: ~5 min a setup.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { execFileSync } = require('node:child_process');
const { createSink } = require('./sink');
const { SETUPS, compareSetups, comparedKeys, parseVariant, variantSetup } = require('./lib/setups');
const { startServer, stopServer } = require('./lib/server');
const { startDatabase } = require('./lib/database');
const { selfCosts } = require('./lib/callgrind');

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 1);
const START_TIMEOUT_MS = 600_000;
const DUMP_TIMEOUT_MS = 120_000;
const COMPILING_SHARE = 0.02;
const MAX_EXTRA_WARMUP_WINDOWS = 12;

function parseArgs(argv) {
  const args = { setups: ['bare', 'ours-1.0', 'ours-0.2'], routes: ['/hello'], requests: 1000, warmup: 10000, repeat: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i].replace(/^--/, ''), argv[i + 1]];
    if (name === 'setups' || name === 'routes') args[name] = value.split(',');
    else if (name === 'requests' || name === 'warmup' || name === 'repeat') args[name] = Number(value);
    else if (name === 'compare') args.compare = value;
    else if (name === 'variant') (args.variants ??= []).push(parseVariant(value));
    else throw new TypeError(`unknown option ${argv[i]}: use --setups, --routes, --requests, --warmup, --repeat, --compare or --variant`);
  }
  return args;
}

/** Sends `count` GETs, `CONCURRENCY` at a time over keep-alive connections; rejects on a failed request. */
function sendRequests(port, route, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let sent = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: route, agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
  const worker = async () => {
    while (sent < count) {
      sent++;
      await one();
    }
  };
  return Promise.all(Array.from({ length: CONCURRENCY }, worker)).finally(() => agent.destroy());
}

function callgrindControl(pid, option) {
  execFileSync('callgrind_control', [option, String(pid)], { stdio: 'ignore', timeout: DUMP_TIMEOUT_MS });
}

// Where V8's own work lands by function name: its optimizing compilers (still catching up long after
// warm-up under callgrind, and finished in a real server), and the garbage collector.
const COMPILER = /v8::internal::(compiler|maglev|baseline|interpreter)::|v8::internal::(Compiler|Parser|Scanner|Zone|OptimizedCompilationJob|TurbofanCompilationJob)\b/;
const GARBAGE_COLLECTOR = /Scaveng|Marking|MarkCompact|Sweep|Evacuat|v8::internal::(Heap|GCTracer|MemoryAllocator|MemoryChunk|PagedSpace|NewSpace|SemiSpace|RememberedSet|SlotSet|ConcurrentMarking|MinorMarkCompact|LocalHeap|Safepoint)\b/;

/**
 * Exclusive instruction counts of one callgrind dump, in three parts: `compile`, `gc` and `rest` (the
 * program itself: JavaScript, builtins, Node and libuv, the kernel interface).
 */
function parseDump(text) {
  const parts = { compile: 0, gc: 0, rest: 0 };
  for (const [name, cost] of selfCosts(text)) {
    parts[COMPILER.test(name) ? 'compile' : GARBAGE_COLLECTOR.test(name) ? 'gc' : 'rest'] += cost;
  }
  return parts;
}

/** The parts of the one dump of `pid` under `dir` that is not in `before`. */
function readNewDump(dir, pid, before) {
  const dumps = fs.readdirSync(dir).filter((name) => name.startsWith(`cg.${pid}.`) && !before.has(name));
  if (dumps.length !== 1) throw new Error(`expected one new callgrind dump of ${pid}, found ${dumps.length}`);
  return parseDump(fs.readFileSync(path.join(dir, dumps[0]), 'utf8'));
}

async function measure(setup, { sink, projectId, databaseUrl, options, dir }) {
  const launcher = ['valgrind', '--tool=callgrind', '--dump-instr=no', '--compress-strings=no', '--smc-check=all-non-file',
    `--callgrind-out-file=${path.join(dir, 'cg.%p')}`];
  // Extra node flags; V8's own log (which --perf-basic-prof turns on) goes beside the dumps, not into the repository.
  const nodeArgs = [`--logfile=${path.join(dir, 'v8.log')}`, '--no-logfile-per-isolate', ...(process.env.BENCH_NODE_ARGS || '').split(' ').filter(Boolean)];
  const server = await startServer(setup, { sink, projectId, databaseUrl, pinning: false, launcher, nodeArgs, startTimeoutMs: START_TIMEOUT_MS });
  const pid = server.child.pid;
  const perRoute = {};
  try {
    for (const route of options.routes) {
      await sendRequests(server.port, route, options.warmup);
      perRoute[route] = [];
      let windows = 0;
      while (perRoute[route].length < options.repeat) {
        if (++windows > options.repeat + MAX_EXTRA_WARMUP_WINDOWS) throw new Error(`${setup.key} ${route}: V8 still compiling after ${windows - 1} windows`);
        callgrindControl(pid, '--zero');
        await sendRequests(server.port, route, options.requests);
        const before = new Set(fs.readdirSync(dir));
        callgrindControl(pid, '--dump');
        const parts = readNewDump(dir, pid, before);
        // A window in which the optimizing compiler still ran also runs unoptimized code: more warm-up.
        if (parts.compile > COMPILING_SHARE * (parts.rest + parts.gc + parts.compile)) continue;
        const perRequest = (n) => n / options.requests;
        perRoute[route].push({ rest: perRequest(parts.rest), gc: perRequest(parts.gc), compile: perRequest(parts.compile) });
      }
      const k = (n) => Math.round(n / 1000);
      process.stderr.write(`${setup.key} ${route}: k instructions/request (program + gc + compile): ${perRoute[route].map((p) => `${k(p.rest)}+${k(p.gc)}+${k(p.compile)}`).join(', ')} (${windows - options.repeat} windows of more warm-up)\n`);
    }
  } finally {
    await stopServer(server);
  }
  return { setup, perRoute, sink: sink.snapshot(setup.key, true) };
}

/** Per route: the median of the program's count over the windows, and the mean of the collector's. */
function summarizeRoute(windows) {
  const programs = windows.map((w) => w.rest).sort((a, b) => a - b);
  return { program: programs[Math.floor(programs.length / 2)], gc: windows.reduce((sum, w) => sum + w.gc, 0) / windows.length };
}

function render(rows, routes) {
  const k = (n) => Math.round(n / 1000);
  const bare = rows.find((row) => row.setup.key === 'bare');
  const lines = [
    `| setup | ${routes.map((route) => `${route}: program (over bare) + gc, k instr/req`).join(' | ')} | spans received |`,
    `|---|${routes.map(() => '---|').join('')}---|`,
  ];
  for (const row of rows) {
    const cells = routes.map((route) => {
      const own = summarizeRoute(row.perRoute[route]);
      const over = bare && row !== bare ? ` (+${k(own.program - summarizeRoute(bare.perRoute[route]).program)})` : '';
      return `${k(own.program)}${over} + ${k(own.gc)}`;
    });
    lines.push(`| ${row.setup.label} | ${cells.join(' | ')} | ${row.sink.spans} |`);
  }
  return lines.join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const known = [...SETUPS];
  if (options.compare) known.push(...compareSetups(options.compare));
  // As in bench/run.js: --compare counts the other build beside each named `ours-<rate>`.
  const compared = options.compare ? comparedKeys(options.setups).filter((key) => !options.setups.includes(key)) : [];
  const setups = [...options.setups, ...compared].map((key) => {
    const setup = known.find((candidate) => candidate.key === key);
    if (!setup) throw new TypeError(`unknown setup ${key}: one of ${known.map((s) => s.key).join(', ')}`);
    return setup;
  });
  // As in bench/run.js: each --variant runs too, after the named setups.
  setups.push(...(options.variants ?? []).map(variantSetup));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-callgrind-'));
  const sink = await createSink().listen();
  const database = options.routes.includes('/db') ? await startDatabase() : undefined;
  const rows = [];
  try {
    for (const [index, setup] of setups.entries()) {
      rows.push(await measure(setup, { sink, projectId: 300 + index, databaseUrl: database?.url ?? 'postgres://bench@127.0.0.1:1/none', options, dir }));
    }
  } finally {
    await sink.close();
    await database?.stop?.();
    if (process.env.BENCH_KEEP_DUMPS) console.log(`callgrind dumps kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${options.requests} requests per count after ${options.warmup} of warm-up, ${CONCURRENCY} at a time; Node ${process.version}\n`);
  console.log(render(rows, options.routes));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
