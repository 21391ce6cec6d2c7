import assert from 'node:assert/strict';
import request from 'supertest';
import { errorHandler, scrubbing } from '../../middleware';
import { EXPRESS_VERSIONS } from '../support/express-versions';
import { kit } from '../support/setup';

const CARD = '4242 4242 4242 4242';

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`scrubbing (${name})`, () => {
    beforeEach(() => kit.reset());

    function app(options?: Parameters<typeof scrubbing>[0], mountBeforeParser = true) {
      const instance = express();
      if (mountBeforeParser) instance.use(scrubbing(options));
      instance.use(express.json());
      if (!mountBeforeParser) instance.use(scrubbing(options));
      instance.post('/payments', () => {
        throw new Error('gateway down');
      });
      instance.use(errorHandler());
      return instance;
    }

    it('attaches a scrubbed snapshot: method, URL, query, safe headers, body (read when the event is built)', async () => {
      await request(app())
        .post('/payments?booking=7&token=tok_123456789&card=4111111111111111')
        .set('authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl')
        .set('cookie', 'session=s3cr3t-session')
        .set('x-request-id', 'req-1')
        // A login redirect's shape: the secret is percent-encoded inside a query value of a URL-valued header.
        .set('referer', 'https://salon.example/login?next=%2Freset%3Freset_token%3Dref-secret-41')
        .send({ amount: 150000, card_number: CARD, password: 'hunter2', note: `my card is ${CARD}`, author: 'Dilnoza' })
        .expect(500);
      const [event] = await kit.waitForEvents(1);
      const req = event.request!;
      assert.equal(req.method, 'POST');
      assert.match(String(req.url), /^http:\/\/127\.0\.0\.1:\d+\/payments$/, 'with scheme and host, as Sentry has it');
      assert.match(String(req.query_string), /booking=7/);
      assert.doesNotMatch(String(req.query_string), /tok_123456789|4111111111111111/);
      assert.deepEqual(Object.keys(req.headers ?? {}).sort().includes('authorization'), false);
      assert.equal(req.headers?.['x-request-id'], 'req-1');
      assert.equal(req.headers?.cookie, undefined);
      assert.equal(req.cookies, undefined);
      const body = req.data as Record<string, unknown>;
      assert.equal(body.amount, 150000);
      assert.equal(body.author, 'Dilnoza');
      assert.equal(body.card_number, '[Filtered]');
      assert.equal(body.password, '[Filtered]');
      assert.doesNotMatch(String(body.note), /4242/);
      assert.match(String(req.headers?.referer), /^https:\/\/salon\.example\/login\?next=/);
      await kit.expectNoSecrets(['hunter2', 'tok_123456789', 's3cr3t-session', '4242 4242 4242 4242', '4111111111111111', 'c2lnbmF0dXJl', 'ref-secret-41']);
    });

    it('the URL behind a proxy: the forwarded scheme and host', async () => {
      await request(app()).post('/payments?booking=7').set('x-forwarded-proto', 'https').set('x-forwarded-host', 'salon.example').expect(500);
      const [event] = await kit.waitForEvents(1);
      assert.equal(event.request?.url, 'https://salon.example/payments');
      assert.equal(event.request?.query_string, 'booking=7');
    });

    it('caps the body at maxBodyBytes', async () => {
      await request(app({ maxBodyBytes: 64 }, false))
        .post('/payments')
        .send({ note: 'x'.repeat(500) })
        .expect(500);
      const [event] = await kit.waitForEvents(1);
      assert.match(String(event.request?.data), /…\[truncated\]$/);
      assert.ok(String(event.request?.data).length < 100);
      assert.ok(String(event.request?.data).length > 64, 'a body cut after scrubbing keeps maxBodyBytes of it');
    });

    it('counts maxBodyBytes in UTF-8 bytes and cuts at a character boundary', async () => {
      await request(app({ maxBodyBytes: 64 }, false))
        .post('/payments')
        .send({ note: '💅'.repeat(100) })
        .expect(500);
      const [event] = await kit.waitForEvents(1);
      const data = String(event.request?.data);
      const kept = data.replace(/…\[truncated\]$/, '');
      assert.notEqual(kept, data);
      assert.ok(Buffer.byteLength(kept) <= 64 && Buffer.byteLength(kept) > 60, `${Buffer.byteLength(kept)} bytes kept`);
      assert.ok(kept.isWellFormed(), 'no half of an emoji at the cut');
    });

    it('sends a lone surrogate from the client as U+FFFD (Sentry refuses an event that is not valid Unicode)', async () => {
      const instance = express();
      instance.use(scrubbing());
      instance.use(express.json());
      instance.post('/bookings', (req) => {
        throw new Error(`no client named ${String((req.body as { name: string }).name)}`);
      });
      instance.use(errorHandler());
      await request(instance).post('/bookings').set('content-type', 'application/json').send('{"name":"Ann \\ud800"}').expect(500);
      const [event] = await kit.waitForEvents(1);
      assert.equal(event.exception?.values?.[0]?.value, 'no client named Ann \ufffd');
      assert.deepEqual(event.request?.data, { name: 'Ann \ufffd' });
    });

    /** A parsed body of `fields` fields that counts how many of them are read. */
    function countingBody(fields: number): { body: Record<string, string>; reads: () => number } {
      let reads = 0;
      const body: Record<string, string> = {};
      for (let i = 0; i < fields; i++) {
        Object.defineProperty(body, `field${i}`, { enumerable: true, get: () => ((reads += 1), `value ${i}`) });
      }
      return { body, reads: () => reads };
    }

    function appWithBody(body: object, options: Parameters<typeof scrubbing>[0]) {
      const instance = express();
      instance.use(scrubbing(options));
      instance.post('/payments', (req) => {
        req.body = body;
        throw new Error('gateway down');
      });
      instance.use(errorHandler());
      return instance;
    }

    it('a large body is read only as far as maxBodyBytes needs, not scrubbed whole for one event (a 5 MB body stalled the loop for 1.5 s)', async () => {
      const { body, reads } = countingBody(20_000);
      await request(appWithBody(body, { maxBodyBytes: 64 })).post('/payments').expect(500);
      const [event] = await kit.waitForEvents(1);
      assert.match(String(event.request?.data), /^\{"field0":"value 0",.*…\[truncated\]$/);
      assert.ok(reads() < 200, `${reads()} of 20000 fields read`);
    });

    it('an empty Buffer (what serverless-http sets for a request without a body) is no body; a non-empty one is described', async () => {
      await request(appWithBody(Buffer.alloc(0), {})).post('/payments').expect(500);
      assert.equal((await kit.waitForEvents(1))[0].request?.data, undefined);
      kit.reset();
      await request(appWithBody(Buffer.from('%PDF-1.7'), {})).post('/payments').expect(500);
      assert.equal((await kit.waitForEvents(1))[0].request?.data, '[binary body, 8 bytes]');
    });

    it('body: false never reads the body', async () => {
      const { body, reads } = countingBody(1_000);
      await request(appWithBody(body, { body: false })).post('/payments').expect(500);
      const [event] = await kit.waitForEvents(1);
      assert.equal(event.request?.data, undefined);
      assert.equal(reads(), 0);
    });

    it('a card number across a cut leaves no digits of it: the text body and the exception value are scrubbed before they are cut', async () => {
      const instance = express();
      instance.use(scrubbing({ maxBodyBytes: 64 }));
      instance.use(express.text());
      instance.post('/notes', () => {
        // Its card number straddles the 8192 characters an exception value is cut to.
        throw new Error(`${'x'.repeat(8176)} 5555555555554444 end`);
      });
      instance.use(errorHandler());
      await request(instance).post('/notes').set('content-type', 'text/plain').send(`${'a'.repeat(48)} 5555555555554444 end`).expect(500);
      const [event] = await kit.waitForEvents(1);
      // 69 bytes, 63 once scrubbed: the whole body fits the cap, and nothing is marked as cut.
      assert.equal(String(event.request?.data), `${'a'.repeat(48)} [Filtered] end`);
      assert.ok(String(event.exception?.values?.[0]?.value).length <= 8192 + 3);
      await kit.expectNoSecrets(['555555555555', '555555555544']);
    });

    it('a card number across the body\'s cut stays out however much scrubbing shortened what came before', async () => {
      const instance = express();
      instance.use(scrubbing({ maxBodyBytes: 64 }));
      instance.use(express.text());
      instance.post('/notes', () => {
        throw new Error('boom');
      });
      instance.use(errorHandler());
      // The JWT shrinks to [Filtered]; the card straddles the scrubbed window's end (64 + 1024).
      const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJ${'a'.repeat(1000)}.sig`;
      const body = `${jwt} ${'b'.repeat(64 + 1024 - 15 - jwt.length - 2)} 4111111111111111 end`;
      await request(instance).post('/notes').set('content-type', 'text/plain').send(body).expect(500);
      await kit.waitForEvents(1);
      await kit.expectNoSecrets(['41111111']);
    });

    it('per-route allowKeys relax the defaults for that route only (and expectNoSecrets notices)', async () => {
      const instance = app({ routes: [{ path: '/payments', allowKeys: ['password'] }] });
      await request(instance).post('/payments').send({ password: 'route-allowed-value' }).expect(500);
      const [event] = await kit.waitForEvents(1);
      assert.equal((event.request?.data as Record<string, unknown>).password, 'route-allowed-value');
      await assert.rejects(kit.expectNoSecrets(['route-allowed-value']), /secret value\(s\) left the process/);
    });

    it('a route RegExp with the g flag matches every request, not every other one', async () => {
      const instance = app({ routes: [{ path: /^\/payments/g, keys: ['amount'] }] });
      for (let i = 0; i < 2; i++) await request(instance).post('/payments').send({ amount: 150000 }).expect(500);
      const events = await kit.waitForEvents(2);
      assert.deepEqual(events.map((event) => (event.request?.data as Record<string, unknown>).amount), ['[Filtered]', '[Filtered]']);
    });

    it('applies per-route extra rules', async () => {
      await request(app({ routes: [{ path: '/payments', keys: ['amount'] }] }))
        .post('/payments')
        .send({ amount: 150000, comment: 'ok' })
        .expect(500);
      const [event] = await kit.waitForEvents(1);
      assert.deepEqual(event.request?.data, { amount: '[Filtered]', comment: 'ok' });
    });
  });
}

describe('scrubbing options', () => {
  const invalid: Array<[string, unknown, RegExp]> = [
    ['maxBodyBytes 0', { maxBodyBytes: 0 }, /maxBodyBytes must be a positive integer/],
    ['keys as a string', { keys: 'password' }, /createScrubber: .*keys/],
    ['headers as a string', { headers: 'accept' }, /headers must be an array of header names/],
    ['headers with a number', { headers: ['accept', 5] }, /headers must be an array of header names/],
    ['body as a string', { body: 'no' }, /body must be true or false/],
    ['routes as an object', { routes: { path: '/x' } }, /routes must be an array of rules/],
    ['a route without a usable path', { routes: [{ path: 5 }] }, /routes must be an array of rules/],
    ['a route with a bad rule', { routes: [{ path: '/x', keys: [5] }] }, /createScrubber: options.keys\[0\]/],
    ['an unknown option', { bodies: true }, /scrubbing\(\{ bodies \}\): unknown option/],
  ];
  for (const [name, options, message] of invalid) {
    it(`rejects at construction, with how to fix it: ${name}`, () => {
      assert.throws(() => scrubbing(options as never), (error: Error) => error instanceof TypeError && message.test(error.message));
    });
  }
});
