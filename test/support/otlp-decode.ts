/**
 * Decoding of OTLP/HTTP trace export requests (ExportTraceServiceRequest) as sent by
 * @opentelemetry/exporter-trace-otlp-{http,proto}, into one normalized span shape.
 *
 * Protobuf is decoded by a small wire-format reader written here (otlp-transformer only
 * exposes serializers and a *response* deserializer). The protobuf path first builds the
 * OTLP/JSON object shape (camelCase), so both encodings share one normalizer.
 * JSON: ids are accepted as hex (OTLP/JSON spec, what the JS exporter sends) or base64
 * (proto3 default JSON mapping); int64 as string or number; enums as number or name.
 */

import { normalizeTracesRequest, type NormalizedSpan } from '../../src/testing/otlp-json';
export { normalizeTracesRequest, flattenAttributes, flattenAnyValue } from '../../src/testing/otlp-json';
export type { NormalizedSpan, NormalizedSpanEvent, NormalizedSpanLink, SpanKindName } from '../../src/testing/otlp-json';

// ---------------------------------------------------------------- protobuf wire reader
class PbReader {
  pos: number;
  constructor(private readonly buf: Buffer, start = 0, readonly end = buf.length) { this.pos = start; }
  atEnd(): boolean { return this.pos >= this.end; }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new Error('protobuf: truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new Error('protobuf: varint too long');
  }
  tag(): { field: number; wire: number } {
    const t = Number(this.varint());
    return { field: t >>> 3, wire: t & 7 };
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.end) throw new Error('protobuf: length-delimited field overruns message');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  sub(): PbReader {
    const b = this.bytes();
    return new PbReader(b);
  }
  fixed64(): bigint { this.need(8); const v = this.buf.readBigUInt64LE(this.pos); this.pos += 8; return v; }
  double(): number { this.need(8); const v = this.buf.readDoubleLE(this.pos); this.pos += 8; return v; }
  fixed32(): number { this.need(4); const v = this.buf.readUInt32LE(this.pos); this.pos += 4; return v; }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) { this.need(8); this.pos += 8; }
    else if (wire === 2) this.bytes();
    else if (wire === 5) { this.need(4); this.pos += 4; }
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
  private need(n: number): void { if (this.pos + n > this.end) throw new Error('protobuf: truncated fixed field'); }
}

type Obj = Record<string, any>;
type FieldHandler = (r: PbReader, wire: number, o: Obj) => void;

/** Decodes one message; `fields` maps field number -> handler. Unknown fields are skipped (like real decoders). */
function msg(r: PbReader, fields: Record<number, FieldHandler>): Obj {
  const o: Obj = {};
  while (!r.atEnd()) {
    const { field, wire } = r.tag();
    const h = fields[field];
    if (h) h(r, wire, o); else r.skip(wire);
  }
  return o;
}
const push = (o: Obj, k: string, v: unknown): void => { (o[k] ??= []).push(v); };
const str = (k: string): FieldHandler => (r, _w, o) => { o[k] = r.bytes().toString('utf8'); };
const hex = (k: string): FieldHandler => (r, _w, o) => { o[k] = r.bytes().toString('hex'); };
const uvar = (k: string): FieldHandler => (r, _w, o) => { o[k] = Number(r.varint()); };
const fx64 = (k: string): FieldHandler => (r, _w, o) => { o[k] = r.fixed64().toString(); };
const fx32 = (k: string): FieldHandler => (r, _w, o) => { o[k] = r.fixed32(); };
const rep = (k: string, dec: (r: PbReader) => Obj): FieldHandler => (r, _w, o) => push(o, k, dec(r.sub()));
const one = (k: string, dec: (r: PbReader) => Obj): FieldHandler => (r, _w, o) => { o[k] = dec(r.sub()); };

const anyValue = (r: PbReader): Obj => msg(r, {
  1: str('stringValue'),
  2: (x, _w, o) => { o.boolValue = x.varint() !== 0n; },
  3: (x, _w, o) => { o.intValue = BigInt.asIntN(64, x.varint()); },
  4: (x, _w, o) => { o.doubleValue = x.double(); },
  5: one('arrayValue', (x) => msg(x, { 1: rep('values', anyValue) })),
  6: one('kvlistValue', (x) => msg(x, { 1: rep('values', keyValue) })),
  7: (x, _w, o) => { o.bytesValue = Buffer.from(x.bytes()); },
});
const keyValue = (r: PbReader): Obj => msg(r, { 1: str('key'), 2: one('value', anyValue) });
const attrs = (k = 'attributes'): FieldHandler => rep(k, keyValue);

const pbSpan = (r: PbReader): Obj => msg(r, {
  1: hex('traceId'), 2: hex('spanId'), 3: str('traceState'), 4: hex('parentSpanId'), 5: str('name'),
  6: uvar('kind'), 7: fx64('startTimeUnixNano'), 8: fx64('endTimeUnixNano'), 9: attrs(),
  10: uvar('droppedAttributesCount'),
  11: rep('events', (x) => msg(x, { 1: fx64('timeUnixNano'), 2: str('name'), 3: attrs(), 4: uvar('droppedAttributesCount') })),
  12: uvar('droppedEventsCount'),
  13: rep('links', (x) => msg(x, { 1: hex('traceId'), 2: hex('spanId'), 3: str('traceState'), 4: attrs(), 5: uvar('droppedAttributesCount'), 6: fx32('flags') })),
  14: uvar('droppedLinksCount'),
  15: one('status', (x) => msg(x, { 2: str('message'), 3: uvar('code') })),
  16: fx32('flags'),
});

/** ExportTraceServiceRequest (protobuf) -> OTLP/JSON-shaped object. */
export function protobufTracesToJsonShape(body: Buffer): Obj {
  return msg(new PbReader(body), {
    1: rep('resourceSpans', (rs) => msg(rs, {
      1: one('resource', (x) => msg(x, { 1: attrs(), 2: uvar('droppedAttributesCount') })),
      2: rep('scopeSpans', (ss) => msg(ss, {
        1: one('scope', (x) => msg(x, { 1: str('name'), 2: str('version'), 3: attrs(), 4: uvar('droppedAttributesCount') })),
        2: rep('spans', pbSpan),
        3: str('schemaUrl'),
      })),
      3: str('schemaUrl'),
    })),
  });
}

/** Decodes an (already decompressed) ExportTraceServiceRequest body. */
export function decodeTracesRequest(body: Buffer, encoding: 'json' | 'protobuf'): NormalizedSpan[] {
  const shape = encoding === 'json' ? (JSON.parse(body.toString('utf8')) as Obj) : protobufTracesToJsonShape(body);
  return normalizeTracesRequest(shape);
}
