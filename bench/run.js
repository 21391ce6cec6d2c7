#!/usr/bin/env node
'use strict';
/**
 * npm run bench [-- --quick] [--rotations N] [--duration S] [--warmup S] [--setups a,b] [--routes /hello,/db]
 *               [--connections N] [--profile setup,setup] [--nice N] [--compare <build dir>] [--no-build]
 *               [--variant name:VAR=value,VAR2=value]  (repeatable: ours at 1.0 with extra environment)
 *
 * Starts each setup as its own process on the same app (bench/app.js), pinned to CPU 0, and loads it
 * with autocannon from a second process on CPU 1 (this runner, the sink and PostgreSQL share CPU 1).
 * Setups are interleaved: each rotation runs every setup once, in a rotated order, and ratios to bare
 * Express are taken within a rotation; the table shows medians over rotations. Telemetry goes to a
 * local sink that counts it. Results: bench/results/<date>.{json,md} and bench/results/latest.md.
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { SETUPS, ROOT, compareSetups, comparedKeys, parseVariant, variantSetup } = require('./lib/setups');
const { startServer, loadServer, stopServer, readRssMb } = require('./lib/server');
const { summarize, render } = require('./lib/report');
const { createSink } = require('./sink');

function parseArgs(argv) {
  const args = { quick: false, build: true, profile: undefined };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    const takeValue = () => {
      const value = argv[++i];
      if (value === undefined) throw new TypeError(`--${name} needs a value`);
      return value;
    };
    if (name === 'quick') args.quick = true;
    else if (name === 'no-build') args.build = false;
    else if (['rotations', 'duration', 'warmup', 'connections'].includes(name)) args[name] = Number(takeValue());
    else if (name === 'setups' || name === 'routes') args[name] = takeValue().split(',').filter(Boolean);
    else if (name === 'profile') args.profile = takeValue().split(',');
    else if (name === 'nice') args.nice = Number(takeValue());
    else if (name === 'compare') args.compare = takeValue();
    else if (name === 'variant') (args.variants ??= []).push(parseVariant(takeValue()));
    else throw new TypeError(`unknown option ${argv[i]}: see the comment at the top of bench/run.js`);
  }
  const defaults = args.quick ? { rotations: 2, duration: 1, warmup: 0.2 } : { rotations: 6, duration: 3, warmup: 1 };
  return { connections: 10, routes: ['/hello', '/work', '/db', '/error'], ...defaults, ...args };
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(file));
    else if (/\.ts$/.test(entry.name)) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than the sources (ours runs from dist). */
function ensureBuild(wanted) {
  const marker = path.join(ROOT, 'dist', 'src', 'register.js');
  const stale = !fs.existsSync(marker) ||
    fs.statSync(marker).mtimeMs < Math.max(newestMtime(path.join(ROOT, 'src')), newestMtime(path.join(ROOT, 'middleware')));
  if (!stale) return;
  if (!wanted) throw new Error('dist/ is missing or older than src/: run `npm run build` (or drop --no-build)');
  console.log('building dist/ (npm run build)...');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}

/** Pins this process (and so the sink, PostgreSQL and the load generator it spawns) to CPU 1. */
function pinSelf() {
  if (process.platform !== 'linux' || require('node:os').availableParallelism() < 2) return false;
  const result = spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  return result.status === 0;
}

async function runSetup(setup, rotationIndex, context) {
  const { sink, options, databaseUrl, pinning } = context;
  const nodeArgs = options.profile?.includes(setup.key)
    ? ['--cpu-prof', '--cpu-prof-dir', path.join(ROOT, 'bench', 'results', 'profiles'), `--cpu-prof-name=${setup.key}-r${rotationIndex}.cpuprofile`]
    : [];
  const profiling = nodeArgs.length > 0;
  const server = await startServer(setup, {
    sink, projectId: context.projectIds.get(setup.key), databaseUrl, pinning, nodeArgs,
    extraEnv: profiling ? { BENCH_EXIT_ON_SIGUSR2: '1' } : {},
  });
  try {
    const results = await loadServer(server, { ...options, pinning });
    const rssMb = readRssMb(server.child.pid);
    // Profiles are written on a normal exit only: the app exits on SIGUSR2 after its telemetry flushed.
    const stopped = await stopServer(server, profiling ? 'SIGUSR2' : 'SIGTERM');
    const routes = Object.fromEntries(results.map((result) => [result.route, result]));
    const answered = results.reduce((total, result) => total + result.answered, 0);
    return { startupSeconds: server.startupSeconds, startupCpuSeconds: server.startupCpuSeconds, rssMb, routes, answered, stopped, sink: sink.snapshot(setup.key, true) };
  } catch (error) {
    server.child.kill('SIGKILL');
    throw error;
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const all = options.compare ? [...SETUPS, ...compareSetups(options.compare)] : [...SETUPS];
  all.push(...(options.variants ?? []).map(variantSetup));
  // --variant setups always run; --compare runs the other build beside each selected `ours-<rate>`.
  const compared = options.compare ? comparedKeys(options.setups ?? ['ours-1.0', 'ours-0.2']) : [];
  const variantKeys = new Set([...(options.variants ?? []).map((variant) => variant.name), ...compared]);
  const selected = (setup) => (options.setups ? options.setups.includes(setup.key) : !setup.optIn);
  const setups = all.filter((setup) => setup.key === 'bare' || selected(setup) || variantKeys.has(setup.key));
  const unknown = (options.setups ?? []).filter((key) => !all.some((setup) => setup.key === key));
  if (unknown.length) throw new TypeError(`unknown setup(s) ${unknown.join(', ')}; known: ${all.map((s) => s.key).join(', ')}`);
  ensureBuild(options.build);
  const pinning = pinSelf();
  // A negative nice (root only) shields the measured processes from the rest of a shared machine.
  if (options.nice !== undefined && spawnSync('renice', ['-n', String(options.nice), '-p', String(process.pid)], { stdio: 'ignore' }).status !== 0) {
    console.warn(`warning: renice ${options.nice} failed; running at the default priority`);
  }
  if (!pinning) console.warn('warning: could not pin to CPUs 0/1 (taskset, 2 CPUs needed): figures are less stable');
  const database = await require('./lib/database').startDatabase();
  const sink = await createSink().listen();
  const context = { sink, options, databaseUrl: database.url, pinning, projectIds: new Map(all.map((setup, i) => [setup.key, 100 + i])) };
  const began = Date.now();
  const rotations = [];
  try {
    for (let r = 0; r < options.rotations; r++) {
      // Rotate the order so that no setup always runs first (or right after a heavy one).
      const order = setups.map((_, i) => setups[(i + r) % setups.length]);
      const rotation = { order: order.map((setup) => setup.key), setups: {} };
      for (const setup of order) {
        rotation.setups[setup.key] = await runSetup(setup, r, context);
        const run = rotation.setups[setup.key];
        const figures = options.routes.map((route) => `${route} ${Math.round(run.routes[route]?.rps ?? NaN)}`).join(', ');
        console.log(`rotation ${r + 1}/${options.rotations} ${setup.key.padEnd(12)} start ${run.startupSeconds.toFixed(2)} s (cpu ${run.startupCpuSeconds.toFixed(2)} s), ` +
          `rss ${Math.round(run.rssMb)} MB, req/s ${figures}, ${run.answered} answered; sink: ${run.sink.spans} spans, ${run.sink.events} events`);
      }
      rotations.push(rotation);
    }
  } finally {
    await sink.close();
    await database.stop();
  }
  const summary = summarize(rotations, setups, options.routes);
  const date = new Date().toISOString();
  const meta = { mode: options.quick ? 'quick' : 'full', date, ...options, pinning, node: process.version, seconds: (Date.now() - began) / 1000 };
  const markdown = render(summary, setups, options.routes, meta);
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = date.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(dir, `${stamp}.json`), JSON.stringify({ meta, summary, rotations }, null, 2));
  fs.writeFileSync(path.join(dir, `${stamp}.md`), `${markdown}\n`);
  fs.writeFileSync(path.join(dir, 'latest.md'), `${markdown}\n`);
  console.log(`\n${markdown}\n\n(${meta.seconds.toFixed(0)} s; bench/results/${stamp}.{json,md})`);
}

main().catch((error) => {
  console.error(error instanceof TypeError ? `bench: ${error.message}` : error);
  process.exit(1);
});
