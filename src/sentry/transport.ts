import type { BaseTransportOptions, Envelope, Transport, TransportMakeRequestResponse } from '@sentry/core';
import { makeNodeTransport } from '@sentry/node';

/** Receives every envelope the SDK sends (the test kit, the local view). */
export type EnvelopeSink = (envelope: Envelope) => void;

/**
 * Sends envelopes to Sentry when a DSN is configured, and hands each one to the registered sinks.
 * Without a DSN the pipeline still runs (so the local view and the test kit see real events), but
 * nothing leaves the machine.
 */
export function makeTeeTransportFactory(sinks: Set<EnvelopeSink>, sendToNetwork: boolean) {
  return (options: BaseTransportOptions): Transport => {
    const network = sendToNetwork ? makeNodeTransport(options as Parameters<typeof makeNodeTransport>[0]) : undefined;
    return {
      send(envelope: Envelope): PromiseLike<TransportMakeRequestResponse> {
        for (const sink of sinks) {
          try {
            sink(envelope);
          } catch {
            // A sink is an observer; it cannot stop delivery.
          }
        }
        return network ? network.send(envelope) : Promise.resolve({});
      },
      flush(timeout?: number): PromiseLike<boolean> {
        return network ? network.flush(timeout) : Promise.resolve(true);
      },
    };
  };
}
