/** Trace and span ids (src/tracing/id-generator.ts): their form, their spread, and the invalid all-zero id. */
import assert from 'node:assert/strict';
import { isValidSpanId, isValidTraceId, ROOT_CONTEXT } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { BatchedIdGenerator } from '../../src/tracing/id-generator';
import { createTrailSampler } from '../../src/tracing/sampler';

const zeros = (bytes: Buffer) => bytes.fill(0);

describe('BatchedIdGenerator', () => {
  const cases: Array<[name: string, make: (ids: BatchedIdGenerator) => string, pattern: RegExp, valid: (id: string) => boolean]> = [
    ['trace id', (ids) => ids.generateTraceId(), /^[0-9a-f]{32}$/, isValidTraceId],
    ['span id', (ids) => ids.generateSpanId(), /^[0-9a-f]{16}$/, isValidSpanId],
  ];
  for (const [name, make, pattern, valid] of cases) {
    it(`${name}s: lowercase hex of the right length, valid, all different across many batches`, () => {
      const ids = new BatchedIdGenerator();
      const seen = new Set<string>();
      for (let i = 0; i < 5000; i++) {
        const id = make(ids);
        assert.match(id, pattern);
        assert.ok(valid(id), id);
        seen.add(id);
      }
      assert.equal(seen.size, 5000);
    });

    it(`${name}s: never the all-zero id, which is invalid (its last digit becomes 1, as in the SDK)`, () => {
      const ids = new BatchedIdGenerator(zeros);
      for (let i = 0; i < 200; i++) {
        const id = make(ids);
        assert.ok(valid(id), id);
        assert.equal(id, `${'0'.repeat(id.length - 1)}1`);
      }
    });
  }

  it('each id is its bytes in hex, as Buffer#toString writes them, for every byte value', () => {
    const batches: Buffer[] = [];
    const ids = new BatchedIdGenerator((bytes) => {
      for (let k = 0; k < bytes.length; k++) bytes[k] = (k * 7 + batches.length) & 0xff;
      batches.push(Buffer.from(bytes));
    });
    // A batch is 1 KB: 64 trace ids fill the first, 128 span ids the second.
    const drawn = [...Array.from({ length: 64 }, () => ids.generateTraceId()), ...Array.from({ length: 128 }, () => ids.generateSpanId())];
    assert.equal(batches.length, 2);
    assert.equal(drawn.join(''), Buffer.concat(batches).toString('hex'));
  });

  it("a failing random source does not stop spans: the batch is drawn from Math.random, as the SDK's are", () => {
    const ids = new BatchedIdGenerator(() => {
      throw new Error('no entropy');
    });
    const drawn = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? ids.generateTraceId() : ids.generateSpanId()));
    for (const id of drawn) assert.ok(id.length === 32 ? isValidTraceId(id) : isValidSpanId(id), id);
    assert.equal(new Set(drawn).size, drawn.length);
  });

  it('trace and span ids drawn in turn share batches without overlapping', () => {
    let batch = 0;
    const ids = new BatchedIdGenerator((bytes) => bytes.fill(++batch));
    const drawn = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? ids.generateTraceId() : ids.generateSpanId()));
    // Each batch is one repeated byte, so an id that straddled two batches would mix two digit pairs.
    for (const id of drawn) assert.equal(new Set(id.match(/../g)).size, 1, id);
    assert.ok(batch > 1);
  });

  it('spread evenly enough for sampling: a 0.2 rate keeps about a fifth of new traces', () => {
    const provider = new TracerProvider({ sampler: createTrailSampler({ rate: 0.2 }), idGenerator: new BatchedIdGenerator() });
    const tracer = provider.getTracer('id-test');
    let sampled = 0;
    const traces = 20_000;
    for (let i = 0; i < traces; i++) {
      const span = tracer.startSpan('root', {}, ROOT_CONTEXT);
      if (span.isRecording() && (span.spanContext().traceFlags & 1) === 1) sampled++;
      span.end();
    }
    // Binomial(20 000, 0.2): standard deviation ~57; ±400 is seven of them.
    assert.ok(Math.abs(sampled - traces * 0.2) < 400, `${sampled} of ${traces} sampled`);
  });
});
