/** The pure parts of server span attributes (src/tracing/http-attributes.ts), table-driven. */
import assert from 'node:assert/strict';
import { methodForName, normalizedMethod, parseHost, requestUrlParts } from '../../src/tracing/http-attributes';

describe('parseHost: server.address and server.port as HttpInstrumentation reads a Host header', () => {
  const cases: Array<[header: string, proto: string | undefined, expected: { host: string; port?: string }]> = [
    ['example.com', 'http', { host: 'example.com', port: '80' }],
    ['example.com', 'https', { host: 'example.com', port: '443' }],
    ['example.com', undefined, { host: 'example.com', port: undefined }],
    ['example.com:8080', 'http', { host: 'example.com', port: '8080' }],
    ['127.0.0.1:3000', 'https', { host: '127.0.0.1', port: '3000' }],
    ['host:', 'http', { host: 'host', port: '' }],
    [':80', 'http', { host: '', port: '80' }],
    ['[::1]:3000', 'http', { host: '[::1]', port: '3000' }],
    ['[::1]', 'https', { host: '[::1]', port: '443' }],
    ['[2001:db8::1]:8443', 'http', { host: '[2001:db8::1]', port: '8443' }],
    ['::1', 'http', { host: '::1' }],
  ];
  for (const [header, proto, expected] of cases) {
    it(`${JSON.stringify(header)} over ${proto ?? 'an unknown scheme'}`, () => {
      assert.deepEqual(parseHost(header, proto), expected);
    });
  }
});

describe('request methods: the attribute by the conventions, the name as @sentry/node shows it', () => {
  const cases: Array<[method: string, attribute: string, name: string]> = [
    ['GET', 'GET', 'GET'],
    ['get', 'GET', 'GET'],
    ['QUERY', 'QUERY', 'QUERY'],
    // Node's HTTP/1 parser accepts these and no others: named as sent (a WebDAV or cache-purging app's routes).
    ['PROPFIND', '_OTHER', 'PROPFIND'],
    ['PURGE', '_OTHER', 'PURGE'],
    ['REPORT', '_OTHER', 'REPORT'],
    // An HTTP/2 client's made-up method: one name for all of them.
    ['X-RANDOM-1', '_OTHER', 'HTTP'],
    ['BREW', '_OTHER', 'HTTP'],
  ];
  for (const [method, attribute, name] of cases) {
    it(`${method}: http.request.method ${attribute}, named ${name}`, () => {
      assert.equal(normalizedMethod(method), attribute);
      assert.equal(methodForName(method), name);
    });
  }
});

describe('requestUrlParts: url.path and url.query of a request target', () => {
  const cases: Array<[target: string, expected: { path?: string; query?: string }]> = [
    ['/bookings/7', { path: '/bookings/7' }],
    ['/bookings?page=2', { path: '/bookings', query: 'page=2' }],
    ['/a/../b', { path: '/b' }],
    ['/files/a b.png', { path: '/files/a%20b.png' }],
    // An origin-form target is a path whole (found by a protocol audit): the plain path and the one needing parsing agree.
    ['//cdn.example/img/a.png', { path: '//cdn.example/img/a.png' }],
    ['//cdn.example/img/a b.png', { path: '//cdn.example/img/a%20b.png' }],
    ['//evil.example/p%20q', { path: '//evil.example/p%20q' }],
    ['http://salon.example/p?x=1', { path: '/p', query: 'x=1' }],
  ];
  for (const [target, expected] of cases) {
    it(JSON.stringify(target), () => {
      const { path, query } = requestUrlParts(target, 'http', 'salon.example');
      assert.deepEqual({ path, query }, { query: undefined, ...expected });
    });
  }
});
