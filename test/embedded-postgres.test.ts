import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';
import { knex, type Knex } from 'knex';
import { getTestDatabase, stopTestDatabase } from './support/database';

const ROOT = path.resolve(__dirname, '..');
const MODULE = path.join(ROOT, 'examples', 'embedded-postgres.js');
/** DATABASE_URL as given to this run (getTestDatabase sets it while the embedded server runs). */
const GIVEN_URL = process.env.DATABASE_URL;

interface EmbeddedHandle {
  url: string;
  kind: 'postgres' | 'pglite';
  dataDir: string;
  stop(): Promise<void>;
}
const embedded: {
  startEmbeddedPostgres(o?: { dataDir?: string; log?: unknown; maxConnections?: number }): Promise<EmbeddedHandle>;
} = require(MODULE);

function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
}

describe('test database (resolveDatabase)', () => {
  let url: string;
  let kind: string;

  before(async () => {
    ({ url, kind } = await getTestDatabase());
  });
  after(() => stopTestDatabase());

  it('uses DATABASE_URL when set, an embedded server otherwise', async () => {
    if (GIVEN_URL) {
      assert.equal(kind, 'external');
      assert.equal(url, GIVEN_URL);
    } else {
      assert.ok(kind === 'postgres' || kind === 'pglite', kind);
      assert.match(url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+$/);
      assert.equal(process.env.DATABASE_URL, url, 'exported for child processes');
    }
    assert.deepEqual(await getTestDatabase(), { url, kind }, 'memoized');
  });

  it('runs parameterized queries through pg over TCP', async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const one = await client.query('SELECT $1::int AS v', [42]);
      assert.equal(one.rows[0].v, 42);
      const many = await client.query<{ a: string; b: number; c: null; d: boolean }>(
        'SELECT $1::text AS a, $2::int + 1 AS b, $3::text AS c, $4::boolean AS d',
        ["it's \"quoted\"", 41, null, true],
      );
      assert.deepEqual(many.rows[0], { a: "it's \"quoted\"", b: 42, c: null, d: true });
      const named = { name: 'embedded_pg_named', text: 'SELECT $1::int * 2 AS v', values: [21] };
      assert.equal((await client.query(named)).rows[0].v, 42);
      assert.equal((await client.query({ ...named, values: [50] })).rows[0].v, 100);
      await assert.rejects(client.query('SELECT $1::int AS v', ['not a number']), /invalid input syntax/);
      assert.equal((await client.query('SELECT 1 AS ok')).rows[0].ok, 1, 'connection usable after an error');
    } finally {
      await client.end();
    }
  });

  it('answers 20 concurrent knex queries through a pool of 10', async () => {
    const db = knex({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db.raw<{ rows: Array<{ v: number; pid: number }> }>('SELECT ?::int AS v, pg_backend_pid() AS pid, pg_sleep(0.05)', [i]),
        ),
      );
      results.forEach((r, i) => assert.equal(r.rows[0].v, i));
      const pids = new Set(results.map((r) => r.rows[0].pid));
      assert.ok(pids.size <= 10, `pool of 10 used ${pids.size} connections`);
      if (kind !== 'pglite') assert.ok(pids.size > 1, 'queries ran on several connections');
    } finally {
      await db.destroy();
    }
  });

  it('creates, fills, reads and drops a table with knex', async () => {
    const table = uniqueName('embedded_pg');
    const db: Knex = knex({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
    try {
      await db.schema.createTable(table, (t) => {
        t.increments('id');
        t.string('name').notNullable();
        t.integer('qty').defaultTo(0);
        t.timestamp('created_at').defaultTo(db.fn.now());
      });
      await db(table).insert([{ name: 'cut', qty: 1 }, { name: 'colour', qty: 3 }]);
      await db.transaction(async (trx) => {
        await trx(table).where({ name: 'cut' }).update({ qty: 2 });
      });
      const rows = await db(table).select('name', 'qty').where('qty', '>', 1).orderBy('id');
      assert.deepEqual(rows, [{ name: 'cut', qty: 2 }, { name: 'colour', qty: 3 }]);
    } finally {
      await db.schema.dropTableIfExists(table);
      const left = await db.raw('SELECT to_regclass(?) AS t', [table]);
      await db.destroy();
      assert.equal(left.rows[0].t, null, 'table dropped');
    }
  });
});

describe('startEmbeddedPostgres lifecycle', function () {
  const dataDir = path.join(ROOT, '.data', `pg-lifecycle-${process.pid}`);
  let first: EmbeddedHandle | undefined;

  before(async function () {
    first = await embedded.startEmbeddedPostgres({ dataDir, log: null });
    // Process-level behaviour only matters for the real server (PGlite runs in-process).
    if (first.kind !== 'postgres') {
      await first.stop();
      first = undefined;
      fs.rmSync(dataDir, { recursive: true, force: true });
      this.skip();
    }
  });
  after(async () => {
    await first?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('shares one server per directory within a process, stopping it with the last user', async () => {
    const again = await embedded.startEmbeddedPostgres({ dataDir, log: null });
    assert.equal(again.url, first!.url);
    await again.stop();
    assert.equal(await queryInt(first!.url, 'SELECT 7 AS v'), 7, 'still running for the first user');
  });

  it('gives a second process a throw-away directory while the data directory is locked', async () => {
    const child = await runChild(`
      const m = require(${JSON.stringify(MODULE)});
      m.startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, log: null }).then(async (db) => {
        console.log(JSON.stringify({ url: db.url, dataDir: db.dataDir }));
        await db.stop();
        console.log(JSON.stringify({ stopped: true, exists: require('fs').existsSync(db.dataDir) }));
      });`);
    const [started, stopped] = child.lines.map((l) => JSON.parse(l));
    assert.equal(started.dataDir, `${dataDir}.pid-${child.pid}`);
    assert.notEqual(started.url, first!.url);
    assert.deepEqual(stopped, { stopped: true, exists: false }, 'throw-away directory removed on stop');
    assert.equal(await queryInt(first!.url, 'SELECT 8 AS v'), 8, 'the owner is undisturbed');
  });

  it('leaves no server running after stop()', async () => {
    const pidFile = path.join(first!.dataDir, 'pgdata', 'postmaster.pid');
    const postmaster = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    const { url } = first!;
    await first!.stop();
    first = undefined;
    assert.equal(alive(postmaster), false, 'postmaster exited');
    assert.equal(fs.existsSync(pidFile), false);
    assert.equal(fs.existsSync(path.join(dataDir, 'lock')), false, 'lock released');
    assert.equal(await portOpen(Number(new URL(url).port)), false, 'port closed');
  });

  it('stops the server when its parent process is killed with SIGKILL', async () => {
    const child = spawn(process.execPath, ['-e', `
      const m = require(${JSON.stringify(MODULE)});
      m.startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, log: null }).then((db) => {
        const pm = require('fs').readFileSync(db.dataDir + '/pgdata/postmaster.pid', 'utf8').split('\\n')[0];
        console.log(JSON.stringify({ url: db.url, postmaster: Number(pm) }));
        setInterval(() => {}, 1000);
      });`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ url: string; postmaster: number }>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
      });
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    assert.equal(await queryInt(info.url, 'SELECT 9 AS v'), 9);
    child.kill('SIGKILL');
    const deadline = Date.now() + 20_000;
    while (alive(info.postmaster) && Date.now() < deadline) await sleep(100);
    assert.equal(alive(info.postmaster), false, 'orphaned postmaster shut down by the watchdog');
    // The stale lock of the dead process is taken over by the next start.
    first = await embedded.startEmbeddedPostgres({ dataDir, log: null });
    assert.equal(first.dataDir, dataDir);
    assert.equal(await queryInt(first.url, 'SELECT 10 AS v'), 10);
  });
});

async function queryInt(url: string, sql: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0].v;
  } finally {
    await client.end();
  }
}

function runChild(script: string): Promise<{ pid: number; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) =>
      code === 0
        ? resolve({ pid: child.pid!, lines: out.trim().split('\n') })
        : reject(new Error(`child failed (${code}): ${err}`)),
    );
  });
}

/** Whether a process exists and is not a zombie (an exited orphan that init has not reaped yet). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return !fs.existsSync('/proc/self');
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
