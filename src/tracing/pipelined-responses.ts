import type * as http from 'node:http';
import type { RequestRecord } from './request-record';

const QUEUED = Symbol('express-otel-sentry.queued-responses');
/** The pipelined responses of a connection still waiting for it, as flat pairs (record, response). */
interface QueuedResponses {
  pairs: unknown[];
  /** Those already answered are let go when the list reaches this: twice what was left the last time. */
  pruneAt: number;
  /** Ends a response's spans (http-server.ts's 'close' listener). */
  end: (this: http.ServerResponse) => void;
}
export type PipelinedSocket = { [QUEUED]?: QueuedResponses; once(event: 'close', listener: () => void): unknown };
const MIN_PRUNE_AT = 32;

/**
 * A pipelined request's response waits for those before it on the connection (Node gives it no socket
 * yet). When the connection goes first, Node closes the request (maybe long before: once its body was
 * read) but never that response, and its span stayed open for good. The connection's close ends them.
 */
export function watchQueuedResponse(socket: PipelinedSocket, record: RequestRecord, response: http.ServerResponse, end: (this: http.ServerResponse) => void): void {
  let queued = socket[QUEUED];
  if (queued === undefined) {
    queued = socket[QUEUED] = { pairs: [], pruneAt: MIN_PRUNE_AT, end };
    socket.once('close', endQueued);
  } else if (queued.pairs.length >= queued.pruneAt) {
    // A client that keeps pipelining on one connection: those answered are let go, at most once per
    // doubling (a filter on every request was quadratic while the earlier ones were still open).
    const pairs = queued.pairs;
    queued.pairs = pairs.filter((_, i) => !(pairs[i - (i % 2)] as RequestRecord).serverSpanEnded);
    queued.pruneAt = Math.max(MIN_PRUNE_AT, queued.pairs.length * 2);
  }
  queued.pairs.push(record, response);
}

function endQueued(this: PipelinedSocket): void {
  const queued = this[QUEUED];
  this[QUEUED] = undefined;
  if (!queued) return;
  for (let i = 1; i < queued.pairs.length; i += 2) queued.end.call(queued.pairs[i] as http.ServerResponse);
}
