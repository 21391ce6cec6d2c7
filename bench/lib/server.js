'use strict';
/**
 * One setup's life within a rotation: start it pinned to the server core, time start → listening,
 * load every route from a second process (pinned to the other core), read RSS and CPU from /proc, stop
 * it with SIGTERM (each setup flushes its telemetry on SIGTERM) and wait for it to exit.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ROOT, CONFIG_VARIABLES } = require('./setups');

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** `taskset -c <cpu>` prefix when pinning is possible, else nothing. */
function pinned(cpu, command, args, pinning) {
  return pinning ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

function readRssMb(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) used so far by a process. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return NaN;
  }
}

function baseEnv(extra) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) if (!CONFIG_VARIABLES.test(name)) env[name] = value;
  return { ...env, NODE_ENV: 'production', PORT: '0', ...extra };
}

/**
 * Starts the app; resolves once it printed LISTENING, with the measured start-up time.
 * `nodeArgs` go before the preload (e.g. --cpu-prof); `launcher` before node itself (e.g. valgrind).
 */
function startServer(setup, { sink, projectId, databaseUrl, pinning, nodeArgs = [], extraEnv = {}, launcher = [], startTimeoutMs = START_TIMEOUT_MS }) {
  const env = baseEnv({ BENCH_SETUP: setup.key, DATABASE_URL: databaseUrl, ...setup.env(sink, projectId), ...extraEnv });
  const nodeCommand = [...launcher, process.execPath, ...nodeArgs, ...setup.args, path.join(ROOT, 'bench', 'app.js')];
  const [command, args] = pinned(0, nodeCommand[0], nodeCommand.slice(1), pinning);
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail(`did not listen within ${startTimeoutMs} ms`), startTimeoutMs);
    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${setup.key} ${why}:\n${output}`));
    };
    child.stdout.on('data', (chunk) => {
      keep(chunk);
      const match = /LISTENING (\d+) ([\d.]+)/.exec(output);
      if (!match || settled) return;
      settled = true;
      clearTimeout(timer);
      const startupSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ child, port: Number(match[1]), startupSeconds, startupCpuSeconds: Number(match[2]), exited, output: () => output });
    });
    exited.then(({ code, signal }) => fail(`exited early (code ${code}, signal ${signal})`));
  });
}

/** Loads each route from a separate process; resolves with one result per route (and server CPU use). */
function loadServer(server, { routes, connections, duration, warmup, pinning }) {
  const options = JSON.stringify({ base: `http://127.0.0.1:${server.port}`, routes, connections, duration, warmup });
  const [command, args] = pinned(1, process.execPath, [path.join(__dirname, '..', 'load.js'), options], pinning);
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = server.child.pid;
  const results = [];
  let buffer = '';
  let cpuAtStart = cpuSeconds(pid);
  let timeAtStart = process.hrtime.bigint();
  child.stdout.on('data', (chunk) => {
    buffer += chunk.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const message = JSON.parse(line);
      if (message.measuring) {
        cpuAtStart = cpuSeconds(pid);
        timeAtStart = process.hrtime.bigint();
        continue;
      }
      const wall = Number(process.hrtime.bigint() - timeAtStart) / 1e9;
      const cpu = cpuSeconds(pid) - cpuAtStart;
      // CPU per request is the figure least disturbed by other load on the machine (10 ms ticks).
      results.push({ ...message, serverCpu: cpu / wall, cpuUsPerRequest: (cpu * 1e6) / message.measured });
    }
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(results) : reject(new Error(`load generator exited with ${code}`))));
  });
}

/** SIGTERM (the setups flush on it), then waits; SIGKILL after a while. */
async function stopServer(server, signal = 'SIGTERM') {
  const started = Date.now();
  server.child.kill(signal);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const how = await server.exited;
  clearTimeout(timer);
  return { ...how, stopSeconds: (Date.now() - started) / 1000 };
}

module.exports = { startServer, loadServer, stopServer, readRssMb, cpuSeconds, pinned };
