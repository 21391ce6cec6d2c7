import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace';

/** Random bytes drawn at a time: 64 trace ids or 128 span ids. */
const BATCH_BYTES = 1024;
const SPAN_ID_BYTES = 8;
const TRACE_ID_BYTES = 16;
const INVALID_SPAN_ID = '0'.repeat(SPAN_ID_BYTES * 2);
const INVALID_TRACE_ID = '0'.repeat(TRACE_ID_BYTES * 2);
const ZERO_DIGIT = 0x30;

/** The character codes of each byte's two hex digits: high at `2 * byte`, low at `2 * byte + 1`. */
const HEX_DIGITS = Uint8Array.from({ length: 512 }, (_, k) => '0123456789abcdef'.charCodeAt(k & 1 ? (k >> 1) & 15 : k >> 5));
const high = (byte: number): number => HEX_DIGITS[byte * 2]!;
const low = (byte: number): number => HEX_DIGITS[byte * 2 + 1]!;

/**
 * Trace and span ids from a batch of random bytes. The SDK's RandomIdGenerator writes `Math.random` into
 * a shared Buffer 4 bytes at a time and has each id converted to hex by a native call (~120 ns an id; a
 * request makes two or three, a query one more). Here the bytes come from the OS's generator 1 KB at a
 * time and each id is written as one flat string from a digit table. Not slices of one long hex string:
 * the API's id validation and the sampler read a sliced string more slowly than they saved
 * (bench/NOTES.md item 53). Same values as the SDK's: lowercase hex, never the all-zero (invalid) id.
 */
export class BatchedIdGenerator implements IdGenerator {
  private readonly bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private at = BATCH_BYTES;

  /** @param fill writes random bytes into the batch (tests give their own). */
  constructor(private readonly fill: (bytes: Buffer) => unknown = randomFillSync) {}

  generateSpanId(): string {
    const b = this.bytes;
    const i = this.take(SPAN_ID_BYTES);
    const id = String.fromCharCode(
      high(b[i]!), low(b[i]!), high(b[i + 1]!), low(b[i + 1]!), high(b[i + 2]!), low(b[i + 2]!), high(b[i + 3]!), low(b[i + 3]!),
      high(b[i + 4]!), low(b[i + 4]!), high(b[i + 5]!), low(b[i + 5]!), high(b[i + 6]!), low(b[i + 6]!), high(b[i + 7]!), low(b[i + 7]!),
    );
    return validId(id, INVALID_SPAN_ID);
  }

  // Spelled out rather than two span ids joined: a joined 32-digit id is a cons string, which the API's
  // validation (charCodeAt per digit) and the sampler first flatten, as they unwrap the sliced ones of item 53.
  generateTraceId(): string {
    const b = this.bytes;
    const i = this.take(TRACE_ID_BYTES);
    const id = String.fromCharCode(
      high(b[i]!), low(b[i]!), high(b[i + 1]!), low(b[i + 1]!), high(b[i + 2]!), low(b[i + 2]!), high(b[i + 3]!), low(b[i + 3]!),
      high(b[i + 4]!), low(b[i + 4]!), high(b[i + 5]!), low(b[i + 5]!), high(b[i + 6]!), low(b[i + 6]!), high(b[i + 7]!), low(b[i + 7]!),
      high(b[i + 8]!), low(b[i + 8]!), high(b[i + 9]!), low(b[i + 9]!), high(b[i + 10]!), low(b[i + 10]!), high(b[i + 11]!), low(b[i + 11]!),
      high(b[i + 12]!), low(b[i + 12]!), high(b[i + 13]!), low(b[i + 13]!), high(b[i + 14]!), low(b[i + 14]!), high(b[i + 15]!), low(b[i + 15]!),
    );
    return validId(id, INVALID_TRACE_ID);
  }

  /** Where the next `count` unused bytes start, drawing a new batch when too few are left. */
  private take(count: number): number {
    if (this.at + count > BATCH_BYTES) {
      try {
        this.fill(this.bytes);
      } catch {
        fillWithMathRandom(this.bytes); // what the SDK uses: a span must start even if the OS's generator fails
      }
      this.at = 0;
    }
    const at = this.at;
    this.at += count;
    return at;
  }
}

function fillWithMathRandom(bytes: Buffer): void {
  for (let k = 0; k + 4 <= bytes.length; k += 4) bytes.writeUInt32BE((Math.random() * 2 ** 32) >>> 0, k);
}

/** As the SDK does: the all-zero id is invalid, so its last digit becomes 1 (the last digit is read first: cheap). */
function validId(id: string, invalid: string): string {
  return id.charCodeAt(id.length - 1) === ZERO_DIGIT && id === invalid ? `${invalid.slice(0, -1)}1` : id;
}
