import assert from 'node:assert/strict';
import { DatabaseEndpoints } from '../../src/tracing/database-endpoints';

const refusedAt = (address: string, port?: number) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED', syscall: 'connect', address, port });
const notFound = (hostname: string) => Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname });

describe('DatabaseEndpoints: a socket error told as a failure to reach the database pg connects to', () => {
  const endpoints = new DatabaseEndpoints();
  endpoints.add('10.0.0.5', 5432);
  endpoints.add('db.internal', 6432);
  endpoints.add('/var/run/postgresql', 5432);
  const hostile = new Proxy({}, { get: () => { throw new Error('no'); } });

  const cases: Array<[string, unknown, boolean]> = [
    ['refused at an address pg was given', refusedAt('10.0.0.5', 5432), true],
    ['refused at another address, same port', refusedAt('10.0.0.9', 5432), false],
    ['refused at what a name pg was given resolved to', refusedAt('10.1.2.3', 6432), true],
    ['refused at another port (another service)', refusedAt('10.0.0.5', 8080), false],
    ['Node\'s AggregateError of several attempts', Object.assign(new AggregateError([refusedAt('::1', 6432), refusedAt('10.1.2.3', 6432)]), { code: 'ECONNREFUSED' }), true],
    ['the name pg was given not found', notFound('db.internal'), true],
    ['another name not found', notFound('rates.internal'), false],
    ['the Unix socket missing', refusedAt('/var/run/postgresql/.s.PGSQL.5432'), true],
    ['another socket in the same folder', refusedAt('/var/run/postgresql/other-service.sock'), false],
    ['a timeout reading (no syscall connect)', Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT', syscall: 'read' }), false],
    ['not an error', 'connect ECONNREFUSED 10.0.0.5:5432', false],
    ['a value whose fields throw', hostile, false],
  ];
  for (const [name, error, expected] of cases) it(name, () => assert.equal(endpoints.refused(error), expected));

  it('knows nothing before pg connects anywhere', () => assert.equal(new DatabaseEndpoints().refused(refusedAt('10.0.0.5', 5432)), false));
});
