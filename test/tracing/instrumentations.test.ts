import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { getTestDatabase } from '../support/database';
import { kit } from '../support/setup';

describe('pg and knex queries: traced inside a span, not on their own (as @sentry/node does)', () => {
  let db: Knex;
  let pool: pg.Pool;
  before(async () => {
    const { url } = await getTestDatabase();
    db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    pool = new pg.Pool({ connectionString: url, max: 1 });
  });
  after(async () => Promise.all([db?.destroy(), pool?.end()]));
  beforeEach(() => kit.reset());

  it('outside any span (a start-up migration, a timer\'s job): no span, so no trace and no Sentry transaction each', async () => {
    await db.raw('select 1 as outside_knex');
    await pool.query('select 2 as outside_pg');
    await kit.flush();
    assert.deepEqual(kit.spans().map((span) => span.name), []);
  });

  it('a query laid out with tabs and newlines: named by its first word, not by the statement and its values', async () => {
    await trace.getTracer('jobs').startActiveSpan('layout', async (job) => {
      await pool.query("SELECT\trolname\nFROM\tpg_roles\nWHERE\trolname = 'jane.doe@corp.example'");
      job.end();
    });
    const [query] = await kit.waitForSpans((span) => span.attributes['db.query.text'] !== undefined && String(span.attributes['db.query.text']).includes('pg_roles'));
    assert.equal(query.name, `pg.query:SELECT ${String(query.attributes['db.namespace'])}`);
    assert.doesNotMatch(JSON.stringify(query), /jane\.doe/i);
  });

  it('inside a span of the app\'s (a job): each query is a child of it, knex over pg', async () => {
    await trace.getTracer('jobs').startActiveSpan('nightly cleanup', async (job) => {
      await db.raw('select 1 as in_job_knex');
      await pool.query('select 2 as in_job_pg');
      job.end();
    });
    const [job] = await kit.waitForSpans((span) => span.name === 'nightly cleanup');
    const inTrace = kit.spans().filter((span) => span.traceId === job.traceId);
    const byId = new Map(inTrace.map((span) => [span.spanId, span]));
    const queries = inTrace.filter((span) => span.attributes['db.query.text'] !== undefined);
    assert.deepEqual(queries.map((span) => String(span.attributes['db.query.text'])).sort(), [
      'select 1 as in_job_knex', 'select 1 as in_job_knex', 'select 2 as in_job_pg',
    ]);
    for (const query of queries) {
      let ancestor = query;
      while (ancestor.parentSpanId !== undefined && byId.has(ancestor.parentSpanId)) ancestor = byId.get(ancestor.parentSpanId)!;
      assert.equal(ancestor.spanId, job.spanId, `${query.name} is not under the job's span`);
    }
  });
});
