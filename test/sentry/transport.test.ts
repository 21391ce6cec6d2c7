import { strict as assert } from 'node:assert';
import { Scope, type Client } from '@sentry/core';
import { NodeRuntimeClient, nodeStackParser } from '../../src/sentry/node/client';
import { makeTeeTransportFactory, SENTRY_SEND_BUFFER_SIZE, type DeliveryFailures } from '../../src/sentry/transport';
import type { Logger } from '../../src/logger';
import { startFakeSentry, type FakeSentry } from '../support/fake-sentry';

function capture(client: Client, message: string): void {
  const scope = new Scope();
  scope.setClient(client);
  const error = new Error(message);
  client.captureException(error, { originalException: error }, scope);
}

function recordingLogger(): Logger & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, debug: () => undefined, info: (line) => infos.push(line), warn: (line) => warnings.push(line), error: (line) => warnings.push(line) };
}

describe("Sentry's transport (makeTeeTransportFactory): bursts and failures", () => {
  let sentry: FakeSentry;
  before(async () => {
    sentry = await startFakeSentry();
  });
  after(() => sentry.close());
  beforeEach(() => sentry.reset());

  const clientWith = (logger: Logger, bufferSize?: number) =>
    new NodeRuntimeClient({
      dsn: sentry.dsn,
      integrations: [],
      sendClientReports: false,
      stackParser: nodeStackParser,
      transport: makeTeeTransportFactory({ sinks: new Set(), sendToNetwork: true, logger }),
      ...(bufferSize === undefined ? {} : { transportOptions: { bufferSize } }),
    });

  it(`a burst of 150 errors against a slow Sentry arrives whole (the send buffer holds ${SENTRY_SEND_BUFFER_SIZE}, Sentry's own 64)`, async () => {
    await sentry.setMode({ delayMs: 300 });
    const logger = recordingLogger();
    const client = clientWith(logger);
    for (let i = 0; i < 150; i++) capture(client, `outage ${i}`);
    assert.equal(await client.close(10_000), true);
    assert.equal(sentry.events().length, 150, sentry.summary());
    assert.deepEqual(logger.warnings, []);
  });

  it('a full send buffer is warned of at once, and not once per dropped event', async () => {
    await sentry.setMode({ delayMs: 300 });
    const logger = recordingLogger();
    const client = clientWith(logger, 2);
    for (let i = 0; i < 10; i++) capture(client, `overflow ${i}`);
    await client.close(5000);
    assert.equal(sentry.events().length, 2);
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.match(logger.warnings[0], /send buffer is full \(2 envelopes waiting\): dropped 1 item/);
  });

  it('what a full send buffer dropped after its warning is summed up at shutdown, with the total', async () => {
    await sentry.setMode({ delayMs: 300 });
    const logger = recordingLogger();
    const failures: DeliveryFailures = { count: 0 };
    const client = new NodeRuntimeClient({
      dsn: sentry.dsn,
      integrations: [],
      sendClientReports: false,
      stackParser: nodeStackParser,
      transport: makeTeeTransportFactory({ sinks: new Set(), sendToNetwork: true, logger, failures }),
      transportOptions: { bufferSize: 2 },
    });
    for (let i = 0; i < 10; i++) capture(client, `overflow ${i}`);
    await client.close(5000);
    failures.close?.();
    assert.deepEqual(logger.warnings.map((line) => /dropped (\d+) item\(s\), (\d+) in total/.exec(line)?.slice(1).map(Number)), [[1, 1], [7, 8]]);
  });

  it('a refusing Sentry is warned of at the first failure, naming the status, and again only after one arrived', async () => {
    const logger = recordingLogger();
    const client = clientWith(logger);
    await sentry.setMode({ status: 403 });
    capture(client, 'refused 1');
    capture(client, 'refused 2');
    await client.flush(2000);
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.match(logger.warnings[0], /an envelope did not reach Sentry: 127\.0\.0\.1:\d+ answered 403: it refuses the DSN's key .*Nothing sent to Sentry arrives until the DSN is corrected/);
    await sentry.setMode('ok');
    capture(client, 'accepted');
    await client.flush(2000);
    await sentry.setMode('refuse');
    capture(client, 'unreachable');
    await client.close(2000);
    assert.equal(logger.warnings.length, 2, logger.warnings.join('\n'));
    assert.match(logger.warnings[1], /an envelope did not reach Sentry: .*ECONNREFUSED/);
    assert.doesNotMatch(logger.warnings.join('\n'), /public@|sentry_key/);
  });

  it('a 429 names the host and the rate limit, and what it drops is not called lost events (a client report is no event)', async () => {
    const logger = recordingLogger();
    const client = clientWith(logger);
    await sentry.setMode({ status: 429, retryAfter: 60 });
    capture(client, 'limited');
    await client.close(2000);
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.match(logger.warnings[0], /^an envelope did not reach Sentry: 127\.0\.0\.1:\d+ answered 429: Sentry is rate limiting events \(Retry-After: 60\)\. What is sent to Sentry is dropped while the limit lasts/);
    assert.doesNotMatch(logger.warnings.join('\n'), /Events are lost|public@|sentry_key|0123456789abcdef/);
  });

  it('delivery that resumes after a warned outage is said once, with the envelopes lost meanwhile', async () => {
    const logger = recordingLogger();
    const client = clientWith(logger);
    await sentry.setMode('refuse');
    capture(client, 'lost 1');
    await client.flush(2000);
    capture(client, 'lost 2');
    await client.flush(2000);
    await sentry.setMode('ok');
    capture(client, 'arrives 1');
    await client.flush(2000);
    capture(client, 'arrives 2');
    await client.close(2000);
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.deepEqual(logger.infos, ['delivery to Sentry resumed: 2 envelope(s) were lost while it failed.']);
  });
});
