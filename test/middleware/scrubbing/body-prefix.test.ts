import assert from 'node:assert/strict';
import { bodyPrefix } from '../../../middleware/scrubbing/body-prefix';
import { CUT_MARGIN } from '../../../src/scrub/cut';
import { createScrubber, FILTERED, TRUNCATED } from '../../../src/scrub';

const scrubber = createScrubber();
const MAX = 256;

/** What an event would show of the prefix: scrubbed, as JSON. */
const shown = (body: object): string => JSON.stringify(scrubber.scrubValue(bodyPrefix(body, MAX, scrubber).value));

class Booking {
  constructor(readonly id: number) {}
}

describe('bodyPrefix', () => {
  const small = { booking: 7, services: ['cut', 'colour'], client: { name: 'Dilnoza', vip: true }, note: null };
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  let deep: unknown = 'bottom';
  for (let i = 0; i < 10_000; i++) deep = [deep];
  const booking = new Booking(7);
  const rows: Array<[string, object, (value: unknown, cut: boolean) => void]> = [
    ['a body within the budget is copied whole', small, (value, cut) => {
      assert.deepEqual(JSON.parse(JSON.stringify(value)), small);
      assert.equal(cut, false);
    }],
    ['a sensitive field is filtered without being copied, and the fields after it are kept', { password: 'x'.repeat(1_000_000), booking: 7 }, (value, cut) => {
      assert.deepEqual({ ...(value as object) }, { password: FILTERED, booking: 7 });
      assert.equal(cut, false);
    }],
    ['a boolean under a sensitive name stays (it holds no secret)', { has_password: true }, (value) => assert.deepEqual({ ...(value as object) }, { has_password: true })],
    ['an own __proto__ field stays a field', JSON.parse('{"__proto__":{"polluted":1},"b":2}') as object, (value) => {
      assert.deepEqual(Object.keys(value as object), ['__proto__', 'b']);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    }],
    ['a cycle is cut, not followed', cycle, (value, cut) => {
      assert.equal((value as Record<string, unknown>).self, TRUNCATED);
      assert.equal(cut, true);
    }],
    ['nesting past any scrubber depth is cut, without a stack overflow', [deep], (_value, cut) => assert.equal(cut, true)],
    ['a getter that throws is filtered', Object.defineProperty({ ok: 1 }, 'bad', { enumerable: true, get: () => { throw new Error('no'); } }), (value) => {
      assert.deepEqual({ ...(value as object) }, { ok: 1, bad: FILTERED });
    }],
    ['a class instance is left to the scrubber, by reference', { booking }, (value) => assert.equal((value as Record<string, unknown>).booking, booking)],
  ];
  for (const [name, body, check] of rows) {
    it(name, () => {
      const { value, cut } = bodyPrefix(body, MAX, scrubber);
      check(value, cut);
    });
  }

  it('a large body is copied up to about the budget, whatever its size', () => {
    for (const fields of [1_000, 100_000]) {
      const body = Object.fromEntries(Array.from({ length: fields }, (_, i) => [`field${i}`, `value ${i}`]));
      const { value, cut } = bodyPrefix(body, MAX, scrubber);
      const length = JSON.stringify(value).length;
      assert.equal(cut, true);
      assert.ok(length >= MAX && length <= MAX + CUT_MARGIN + 64, `${fields} fields: ${length} characters copied`);
    }
    const long = bodyPrefix(Array.from({ length: 100_000 }, (_, i) => i), MAX, scrubber);
    assert.ok(JSON.stringify(long.value).length <= MAX + CUT_MARGIN + 64);
  });

  const BIG = 4096;
  const fitting = [Array(2_000).fill(0), Array(800).fill(true), Array(800).fill(null), Array(500).fill({ a: 1 })];

  it('a body whose JSON fits is not cut, whatever its elements (numbers, booleans, null, small objects)', () => {
    for (const body of fitting) {
      assert.ok(JSON.stringify(body).length <= BIG, 'the row fits');
      const { value, cut } = bodyPrefix(body, BIG, scrubber);
      assert.equal(cut, false, JSON.stringify(body).slice(0, 20));
      assert.deepEqual(JSON.parse(JSON.stringify(value)), body);
    }
  });

  it('escapes count: a body of control characters keeps about maxChars of JSON, not six times as much', () => {
    const { value, cut } = bodyPrefix(Array(2_000).fill('\u0001\u0002'), BIG, scrubber);
    assert.equal(cut, true);
    const length = JSON.stringify(value).length;
    assert.ok(length >= BIG && length <= BIG + CUT_MARGIN + 64, `${length} characters of JSON copied`);
  });

  it('a body whose JSON does not fit keeps at least maxChars of it', () => {
    for (const body of fitting.map((rows) => [...rows, ...rows, ...rows])) {
      const { value, cut } = bodyPrefix(body, BIG, scrubber);
      assert.equal(cut, true);
      assert.ok(JSON.stringify(value).length >= BIG, `${JSON.stringify(value).length} characters kept of ${JSON.stringify(body).length}`);
    }
  });

  it('a card number across a long string\'s cut leaves no digits of it, however much scrubbing shortened what came before', () => {
    // The JWT shrinks to [Filtered]; the card straddles the scrubbed window's end (MAX + CUT_MARGIN).
    const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJ${'a'.repeat(1000)}.sig`;
    const note = `${jwt} ${'b'.repeat(MAX + CUT_MARGIN - 15 - jwt.length - 2)} 4111111111111111 end`;
    assert.doesNotMatch(shown({ note }), /41111111/);
    assert.doesNotMatch(shown({ notes: [note] }), /41111111/);
  });
});
