import assert from 'node:assert/strict';
import { describeThrown } from '../../../middleware/shared/request-scope';

describe('describeThrown (what a debug line says about a callback that threw)', () => {
  const cases: Array<[string, unknown, string]> = [
    // The message may hold what the callback read: it is not logged.
    ['an Error', new Error('no account for API key sk_live_51Habc'), 'Error (message not logged)'],
    ['a TypeError', new TypeError('cannot read token of undefined'), 'TypeError (message not logged)'],
    ['a string', 'secret-token-value', 'string'],
    ['undefined', undefined, 'undefined'],
    ['an error whose name throws', Object.defineProperty(new Error('x'), 'name', { get() { throw new Error('no'); } }), 'an error that cannot be described'],
  ];
  for (const [name, thrown, expected] of cases) {
    it(name, () => assert.equal(describeThrown(thrown), expected));
  }
});
