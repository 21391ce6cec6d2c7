import assert from 'node:assert/strict';
import { getTestDatabase } from '../support/database';
import { startChildApp } from '../support/child-app';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry';

const S = require('./fixtures/shared/secrets.cjs');

describe('wire-level leak test: planted secrets never reach Sentry or the collector', function () {
  let fake: FakeSentry;
  before(async () => {
    fake = await startFakeSentry();
  });
  after(async () => fake?.close());

  it('every byte received (envelopes and OTLP, decompressed) is free of secrets; the benign corpus survives', async () => {
    const app = await startChildApp({
      entry: 'express5/leaky.cjs',
      env: { SENTRY_DSN: fake.dsn, OTEL_EXPORTER_OTLP_ENDPOINT: fake.collectorBaseUrl, DATABASE_URL: (await getTestDatabase()).url },
    });
    const response = await app.fetch(`/leak?token=${S.userToken}&password=${S.password}&note=${encodeURIComponent(S.card)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${S.jwt}`,
        cookie: `session=${S.cookie}`,
        'x-api-key': S.apiKeyHeader,
        'x-forwarded-for': '203.0.113.9',
      },
      body: JSON.stringify({ password: S.password, card_number: S.cardInBody, nested: { deeper: { secret: S.slackToken, text: `key ${S.stripeKey}` } }, ...S.benign }),
    });
    assert.equal(response.status, 500);
    await fake.waitForEvents(4);
    await app.stop('SIGTERM');
    assert.ok(fake.spans().some((span) => span.attributes['db.query.text'] !== undefined), 'no DB span arrived');
    assert.ok(fake.spans().some((span) => span.source === 'collector'), 'the collector received nothing');

    const secrets = [
      S.password, S.card, S.card.replace(/ /g, ''), S.cardInBody, S.jwt, S.stripeKey, S.githubToken, S.awsKey, S.slackToken,
      S.dbPassword, S.cookie, S.apiKeyHeader, S.userToken, S.sqlLiteral, S.sqlParam, S.failedSqlLiteral, S.pemBody, '203.0.113.9',
    ];
    assert.deepEqual(fake.findSecrets(secrets).map((hit) => `${hit.secret} in ${hit.where}`), []);

    const everything = fake.rawBodies().map((request) => request.body.toString('utf8')).join('\n');
    for (const value of Object.values(S.benign as Record<string, string | number>)) {
      assert.ok(everything.includes(String(value)), `benign value ${value} was destroyed`);
    }
    assert.ok(everything.includes('"author"') && everything.includes('"keyboard"') && everything.includes('"monkey"'), 'benign keys were destroyed');
  });
});
