import assert from 'node:assert/strict';
import { CUT_MARGIN, keptOfCutText, sliceToBytes, sliceWhole, wellFormed } from '../../src/scrub/cut';

describe('scrub/cut: cuts that keep whole characters', () => {
  const slices: Array<[name: string, text: string, end: number, expected: string]> = [
    ['ASCII', 'abcdef', 3, 'abc'],
    ['past the end', 'abc', 10, 'abc'],
    ['at 0', 'abc', 0, ''],
    ['between two characters of a pair', 'ab💅c', 3, 'ab'],
    ['after a whole pair', 'ab💅c', 4, 'ab💅'],
    ['after a lone low surrogate', 'a\udc00b', 2, 'a\udc00'],
  ];
  for (const [name, text, end, expected] of slices) {
    it(`sliceWhole: ${name}`, () => assert.equal(sliceWhole(text, end), expected));
  }

  const byteSlices: Array<[name: string, text: string, maxBytes: number, expected: string]> = [
    ['short enough in any encoding', 'héllo', 15, 'héllo'],
    ['ASCII', 'abcdef', 4, 'abcd'],
    ['2-byte characters', 'éééé', 5, 'éé'],
    ['3-byte characters', '€€€', 7, '€€'],
    ['4-byte characters: never half of one', '💅💅💅', 7, '💅'],
    ['4-byte characters, exactly', '💅💅💅', 8, '💅💅'],
    ['a lone surrogate counts as the 3 bytes of U+FFFD', 'a\ud800bcdef', 4, 'a\ud800'],
    ['the text fits exactly', 'aé€💅', 10, 'aé€💅'],
  ];
  for (const [name, text, maxBytes, expected] of byteSlices) {
    it(`sliceToBytes: ${name}`, () => {
      assert.equal(sliceToBytes(text, maxBytes), expected);
      assert.ok(Buffer.byteLength(expected) <= maxBytes);
    });
  }

  const texts: Array<[name: string, text: string, expected: string]> = [
    ['well-formed text is returned as it is', 'Dilnoza 💅', 'Dilnoza 💅'],
    ['a lone high surrogate', 'a\ud800b', 'a\ufffdb'],
    ['a lone low surrogate', 'a\udc00', 'a\ufffd'],
    ['reversed pair', '\udc00\ud800', '\ufffd\ufffd'],
  ];
  for (const [name, text, expected] of texts) {
    it(`wellFormed: ${name}`, () => assert.equal(wellFormed(text), expected));
  }

  it('keptOfCutText leaves out the margin and never ends in half a character', () => {
    const scrubbed = `${'a'.repeat(9)}💅${'b'.repeat(CUT_MARGIN + 10)}`;
    assert.equal(keptOfCutText(scrubbed, 10), 'a'.repeat(9));
    assert.equal(keptOfCutText(scrubbed, 11), `${'a'.repeat(9)}💅`);
  });
});
