import assert from 'node:assert/strict';
import { matchesOwnRules, matchesSentryRules, statelessRules } from '../../middleware/error-handler/ignore';

class QuotaError extends Error {
  override name = 'QuotaError';
}

describe('errorHandler ignore rules', () => {
  // initTelemetry's ignoreErrors are Sentry's: matched where Sentry's filter looks, so that an error is
  // counted as dropped exactly when Sentry drops its event (value and `type: value`, never the name alone).
  const sentryCases: Array<[string, unknown, Array<string | RegExp>, boolean]> = [
    ['a message substring', new Error('connect ECONNRESET 10.0.0.1'), ['ECONNRESET'], true],
    ['type: value', new QuotaError('monthly quota used up'), ['QuotaError: monthly'], true],
    ['a RegExp on the value', new Error('timeout after 5 s'), [/^timeout/], true],
    ['the name alone is not looked at', new QuotaError('monthly quota used up'), [/^QuotaError$/], false],
    ['an empty message is not looked at', new QuotaError(''), ['QuotaError'], false],
    ['a string passed to next, as Error: value', 'boom', ['Error: boom'], true],
    ['a number', 42, ['42'], true],
    ['a plain object: Sentry words its own message', { code: 7 }, ['code'], false],
    ['no rules', new Error('x'), [], false],
  ];
  for (const [name, error, rules, expected] of sentryCases) {
    it(`initTelemetry's rules: ${name}`, () => assert.equal(matchesSentryRules(error, statelessRules(rules)), expected));
  }

  const ownCases: Array<[string, unknown, Array<string | RegExp>, boolean]> = [
    ['the message', new Error('internals leaked'), ['internals'], true],
    ['the name', new QuotaError('x'), ['QuotaError'], true],
    ['name: message', new QuotaError('x'), ['QuotaError: x'], true],
    ['a string error', 'plain failure', [/failure$/], true],
    ['nothing matches', new Error('x'), ['y'], false],
  ];
  for (const [name, error, rules, expected] of ownCases) {
    it(`errorHandler's own rules: ${name}`, () => assert.equal(matchesOwnRules(error, statelessRules(rules)), expected));
  }

  it('a RegExp with g or y matches every time; what is not a rule is left out', () => {
    const rules = statelessRules([/boom/g, /boom/y, undefined, 5, 'boom']);
    assert.equal(rules.length, 3);
    for (let i = 0; i < 3; i++) assert.equal(matchesSentryRules(new Error('boom'), rules.slice(0, 1)), true);
    assert.deepEqual(statelessRules('boom'), []);
  });
});
