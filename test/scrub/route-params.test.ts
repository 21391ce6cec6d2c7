import assert from 'node:assert/strict';
import { defaultScrubber } from '../../src/scrub';
import { compileRouteParamMask, maskRouteParams } from '../../src/scrub/route-params';

const { isSensitiveKey } = defaultScrubber();
const F = '[Filtered]';

describe('route parameters with sensitive names', () => {
  const rows: Array<[string, string, string, string]> = [
    ['a token', '/reset/:token', '/reset/9f86d0', `/reset/${F}`],
    ['query and fragment kept', '/reset/:token', '/reset/9f86d0?lang=en#top', `/reset/${F}?lang=en#top`],
    ['an absolute URL', '/reset/:token', 'https://salon.example/reset/9f86d0?x=1', `https://salon.example/reset/${F}?x=1`],
    ['a breadcrumb line', '/reset/:token', 'GET /reset/9f86d0', `GET /reset/${F}`],
    ['a breadcrumb line with an absolute-form target (a forward proxy\'s)', '/reset/:token', 'GET http://api.example/reset/9f86d0?x=1', `GET http://api.example/reset/${F}?x=1`],
    ['a method with a hyphen (M-SEARCH, which Node accepts and app.all serves)', '/reset/:token', 'M-SEARCH /reset/9f86d0', `M-SEARCH /reset/${F}`],
    ['a method before text that is no target', '/reset/:token', 'GET reset/9f86d0', 'GET reset/9f86d0'],
    ['Express matches without case', '/reset/:token', '/Reset/9f86d0', `/Reset/${F}`],
    ['a percent-encoded literal', '/réinitialiser/:token', '/r%C3%A9initialiser/9f86d0', `/r%C3%A9initialiser/${F}`],
    ['mounted, several parameters', '/users/:id/invites/:inviteSecret/accept', '/users/42/invites/abc/accept', `/users/42/invites/${F}/accept`],
    ['two parameters in one segment', '/files/:name.:apiKey', '/files/report.k-1', `/files/${F}`],
    ['an optional last parameter (Express 4)', '/confirm/:code?/:otp?', '/confirm/123456', '/confirm/123456'],
    ['optional sensitive last parameter', '/reset/:token?', '/reset/abc', `/reset/${F}`],
    ['a trailing slash', '/reset/:token', '/reset/abc/', `/reset/${F}/`],
    ['an empty segment stays empty', '/reset/:token', '/reset/', '/reset/'],
    ['other literals: another path, left alone', '/reset/:token', '/invite/abc', '/invite/abc'],
    ['shorter path, left alone', '/a/b/:token', '/a/b', '/a/b'],
    ['after a wildcard nothing lines up', '/files/*path/:token', '/files/a/b/c', '/files/a/b/c'],
    ['before a wildcard it does', '/s/:secret/*rest', '/s/abc/x/y', `/s/${F}/x/y`],
    ['not a path', '/reset/:token', 'reset link expired', 'reset link expired'],
    ['a parameter with a pattern (Express 4)', '/reset/:token([0-9a-f]{32})/confirm', '/reset/9f86d0/confirm', `/reset/${F}/confirm`],
    ['an escaped pattern', '/u/:id(\\d+)/:apiKey(\\w+)', '/u/7/k-1', `/u/7/${F}`],
    ['a pattern holding a slash: nothing lines up from there', '/f/:token(a/b)', '/f/a/b', '/f/a/b'],
    ['one segment said as a negated class', '/reset/:token([^/]+)/go', '/reset/abc/go', `/reset/${F}/go`],
    ['a class with no slash', '/r/:token([A-Za-z0-9_-]+)', '/r/k-1', `/r/${F}`],
    ['a class that takes a slash: nothing lines up', '/r/:token([a/]+)', '/r/a', '/r/a'],
  ];
  for (const [name, route, path, expected] of rows) {
    it(name, () => {
      const mask = compileRouteParamMask(route, isSensitiveKey);
      assert.equal(mask ? maskRouteParams(path, mask) : path, expected);
    });
  }

  const harmless = ['/bookings/:id', '/users/:userId/bookings/:bookingId', '/search', '/authors/:author', '/files/*path'];
  for (const route of harmless) it(`no mask: ${route}`, () => assert.equal(compileRouteParamMask(route, isSensitiveKey), undefined));

  it('hostile paths stay linear', () => {
    const mask = compileRouteParamMask('/reset/:token', isSensitiveKey)!;
    assert.equal(typeof maskRouteParams(`/reset/${'/'.repeat(1_000_000)}`, mask), 'string');
    assert.equal(typeof maskRouteParams(`http://${'a'.repeat(1_000_000)}`, mask), 'string');
  });

  it('a template of many negated classes compiles in linear time (each class was read two ways: exponential)', () => {
    const mask = compileRouteParamMask(`/r/:token(${'[^-]'.repeat(64)}(?:x))`, isSensitiveKey);
    assert.equal(mask, undefined); // a group inside the pattern: it no longer lines up
  });
});
