import assert from 'node:assert/strict';
import { breadcrumbs, clientErrorFilter, errorHandler, observability, userContext } from '../../middleware';

const resolveUser = () => undefined;

/**
 * Every factory checks what it is given when it runs, JavaScript callers included: a wrong type or a
 * misspelt option name is a TypeError that names the option and says what it takes, never something
 * ignored until a request meets it.
 */
const invalid: Array<[string, () => unknown, RegExp]> = [
  ['breadcrumbs: max above the client limit', () => breadcrumbs({ max: 200 }), /breadcrumbs\(\{ max \}\): max must be an integer from 1 to 100, received 200/],
  ['breadcrumbs: queries not a boolean', () => breadcrumbs({ queries: 'no' as never }), /breadcrumbs\(\{ queries \}\): queries must be true or false, received string/],
  ['breadcrumbs: a misspelt option', () => breadcrumbs({ querys: false } as never), /breadcrumbs\(\{ querys \}\): unknown option; the options are max, request, queries, http/],
  ['errorHandler: respond not a boolean', () => errorHandler({ respond: 'no' as never }), /errorHandler\(\{ respond \}\): respond must be true or false/],
  ['errorHandler: exposeDetails not a boolean', () => errorHandler({ exposeDetails: 1 as never }), /exposeDetails must be true or false/],
  ['errorHandler: ignoreErrors with a number', () => errorHandler({ ignoreErrors: [5 as never] }), /ignoreErrors must be an array of strings or RegExps/],
  ['errorHandler: a misspelt option', () => errorHandler({ ignoreError: ['x'] } as never), /errorHandler\(\{ ignoreError \}\): unknown option/],
  ['clientErrorFilter: a misspelt option', () => clientErrorFilter({ reports: [429] } as never), /clientErrorFilter\(\{ reports \}\): unknown option/],
  ['userContext: a misspelt option', () => userContext(resolveUser, { timeout: 5 } as never), /userContext\(\{ timeout \}\): unknown option; the options are timeoutMs/],
  ['observability: a misspelt part', () => observability({ scrub: true } as never), /observability\(\{ scrub \}\): unknown option/],
  ['observability: a part with a bad option', () => observability({ breadcrumbs: { max: -1 } }), /breadcrumbs\(\{ max \}\)/],
];

describe('middleware options', () => {
  for (const [name, build, message] of invalid) {
    it(`rejected at construction: ${name}`, () => {
      assert.throws(build, (error: Error) => error instanceof TypeError && message.test(error.message));
    });
  }

  it('accepts every documented option', () => {
    assert.doesNotThrow(() => observability({
      user: resolveUser,
      breadcrumbs: { max: 100, request: true, queries: false, http: true },
      scrubbing: { maxBodyBytes: 1024, headers: ['accept'], body: false, routes: [{ path: /^\/pay/g, keys: ['iban'] }], keys: ['booking_ref'], patterns: [/BK-\d+/g], allowKeys: ['session_count'], maxDepth: 8 },
      clientErrorFilter: { report: [429] },
      errorHandler: { ignoreErrors: ['ECONNRESET', /timeout/gi], shouldReport: () => true, respond: false, exposeDetails: false },
    }));
    assert.doesNotThrow(() => userContext(resolveUser, { timeoutMs: 50 }));
  });
});
