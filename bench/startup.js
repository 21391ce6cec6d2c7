#!/usr/bin/env node
'use strict';
/**
 * node bench/startup.js [--runs N] [--setups a,b] [--compare <build dir>]
 * Start-up only: starts each setup N times (interleaved, pinned to CPU 0 when possible) and prints the
 * median wall time and CPU time until the app listens. CPU time is the steadier figure on a busy machine.
 */
const { spawnSync } = require('node:child_process');
const { SETUPS, oursSetup } = require('./lib/setups');
const { startServer } = require('./lib/server');
const { median } = require('./lib/report');
const { createSink } = require('./sink');

async function main() {
  const argv = process.argv.slice(2);
  const value = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const runs = Number(value('--runs', 5));
  const wanted = value('--setups', undefined)?.split(',');
  const compare = value('--compare', undefined);
  // --compare <dir>: ours at 1.0 from another build (e.g. a copy of dist/ made before a change) in the same runs.
  const all = compare ? [...SETUPS, oursSetup(1, { prefix: 'cmp', dist: compare, label: `ours from ${compare}` })] : SETUPS;
  const setups = all.filter((setup) => setup.key === 'bare' || (!wanted && !setup.optIn) || wanted?.includes(setup.key) || setup.key.startsWith('cmp-'));
  const pinning = spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
  const sink = await createSink().listen();
  const figures = new Map(setups.map((setup) => [setup.key, { wall: [], cpu: [] }]));
  for (let run = 0; run < runs; run++) {
    for (const setup of setups) {
      const server = await startServer(setup, {
        sink, projectId: 100 + all.indexOf(setup), databaseUrl: 'postgres://bench@127.0.0.1:1/none', pinning,
      });
      figures.get(setup.key).wall.push(server.startupSeconds);
      figures.get(setup.key).cpu.push(server.startupCpuSeconds);
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }
  await sink.close();
  for (const setup of setups) {
    const { wall, cpu } = figures.get(setup.key);
    console.log(`${setup.key.padEnd(14)} wall ${median(wall).toFixed(2)} s  cpu ${median(cpu).toFixed(2)} s  (runs: ${wall.map((w) => w.toFixed(2)).join(' ')})`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
