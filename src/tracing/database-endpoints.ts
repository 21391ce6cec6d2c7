import { isIP } from 'node:net';
import { readSafely } from '../safe-read';

/**
 * Where the app's database is, as pg connects to it (host and port of each connection): a socket error
 * names only an address (`connect ECONNREFUSED 127.0.0.1:5432`), so without this the commonest database
 * outage read as no database at all. Bounded: an app talks to a handful of databases.
 */
const MAX_ENDPOINTS = 32;

export class DatabaseEndpoints {
  /** `host port` of each, and the host names (not addresses: a socket error holds what they resolved to). */
  private readonly endpoints = new Set<string>();
  private readonly names = new Map<string, Set<number>>();
  private readonly socketPaths = new Set<string>();

  add(host: unknown, port: unknown): void {
    if (typeof host !== 'string' || host === '' || typeof port !== 'number' || this.endpoints.size >= MAX_ENDPOINTS) return;
    this.endpoints.add(`${host} ${port}`);
    // pg's path for a socket directory: `<dir>/.s.PGSQL.<port>`.
    if (host.startsWith('/')) this.socketPaths.add(`${host}/.s.PGSQL.${port}`);
    else if (isIP(host) === 0) this.names.set(host, (this.names.get(host) ?? new Set()).add(port));
  }

  /**
   * A socket error (or Node's AggregateError of several) connecting to one of them, or looking one up.
   * Given a host name, pg's addresses are not known: a refusal at any address on its port counts, and so
   * does a failed lookup of that name by another client (a service sharing the database's host name).
   */
  refused(error: unknown): boolean {
    if (this.endpoints.size === 0) return false;
    const inner = readSafely(error, 'errors');
    return this.reaches(error) || (Array.isArray(inner) && inner.some((each) => this.reaches(each)));
  }

  private reaches(error: unknown): boolean {
    const syscall = readSafely(error, 'syscall');
    if (syscall === 'getaddrinfo') {
      const hostname = readSafely(error, 'hostname');
      return typeof hostname === 'string' && this.names.has(hostname);
    }
    if (syscall !== 'connect') return false;
    const address = readSafely(error, 'address');
    const port = readSafely(error, 'port');
    if (typeof address !== 'string') return false;
    if (port === undefined) return this.socketPaths.has(address);
    if (typeof port !== 'number') return false;
    // An address it was given, or any address of a name it was given (what the name resolved to is not known).
    return this.endpoints.has(`${address} ${port}`) || [...this.names.values()].some((ports) => ports.has(port));
  }
}
