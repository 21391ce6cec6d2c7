import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { wellFormed } from '../scrub/cut';
import { memoizeString, memoizeStringPair } from '../scrub/memo';

/**
 * An OTLP/JSON ExportTraceServiceRequest written straight from the spans, with the same content as
 * `@opentelemetry/otlp-transformer`'s JsonTraceSerializer (hex ids, nanosecond strings, kind + 1,
 * flags with the is-remote bits). The transformer first builds a full object tree per batch and then
 * stringifies it; writing the string directly skips that tree, which at thousands of spans a second
 * is a large share of the export cost and of the garbage, and spares loading the transformer (and the
 * metrics SDK it pulls in) at start-up.
 *
 * Each span is written as one string by concatenation, its string attributes as one cached piece
 * each (V8 links the parts and copies them once, when the string is encoded; pushing parts into an
 * array and joining it cost more: bench/NOTES.md item 33). The request is those strings, encoded
 * straight into one Buffer. One string for a whole batch (hundreds of spans once a backlog builds,
 * up to 512) lands in V8's large-object space, fresh pages at every growth step: that made a span
 * about twice as dear to write in the loaded server, four times in isolation (item 30).
 */

const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

type AnyValue = AttributeValue | Uint8Array | null | undefined | { [key: string]: AnyValue } | AnyValue[];

function nanos(time: HrTime): string {
  const seconds = Math.trunc(time[0]);
  const fraction = Math.trunc(time[1]);
  // Same value as BigInt(seconds) * 1e9 + BigInt(fraction), without the BigInts.
  if (seconds > 0 && fraction >= 0 && fraction < 1e9) return `${seconds}${String(fraction).padStart(9, '0')}`;
  return (BigInt(seconds) * 1_000_000_000n + BigInt(fraction)).toString();
}

/** How string fragments are turned into JSON; the exporter caches them (see {@link createTracesJsonWriter}). */
interface JsonText {
  /** `"..."` for an attribute key or a name. */
  quoted(value: string): string;
  /** `{"stringValue":"..."}` */
  stringValue(value: string): string;
  /** `{"key":"...","value":{"stringValue":"..."}}`: most attributes, in one piece. */
  stringAttribute(key: string, value: string): string;
}

const quote = (value: string): string => JSON.stringify(wellFormed(value));
const PLAIN_TEXT: JsonText = {
  quoted: quote,
  stringValue: (value) => '{"stringValue":' + quote(value) + '}',
  stringAttribute: (key, value) => '{"key":' + quote(key) + ',"value":{"stringValue":' + quote(value) + '}}',
};

/** The JSON of an AnyValue. */
function anyValue(value: AnyValue, text: JsonText): string {
  switch (typeof value) {
    case 'string':
      return text.stringValue(value);
    case 'number':
      return Number.isInteger(value) ? `{"intValue":${value}}` : `{"doubleValue":${JSON.stringify(value)}}`;
    case 'boolean':
      return value ? '{"boolValue":true}' : '{"boolValue":false}';
    default:
      break;
  }
  if (value instanceof Uint8Array) {
    return `{"bytesValue":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"}`;
  }
  if (Array.isArray(value)) {
    let json = '{"arrayValue":{"values":[';
    for (let i = 0; i < value.length; i++) json += (i ? ',' : '') + anyValue(value[i] as AnyValue, text);
    return json + ']}}';
  }
  if (value !== null && typeof value === 'object') return '{"kvlistValue":{"values":' + keyValues(value as Attributes, text) + '}}';
  return '{}';
}

function keyValues(attributes: Attributes | undefined, text: JsonText): string {
  let json = '[';
  let separator = '';
  if (attributes) {
    for (const key in attributes) {
      if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
      const value = attributes[key];
      json += separator + (typeof value === 'string' ? text.stringAttribute(key, value) : '{"key":' + text.quoted(key) + ',"value":' + anyValue(value as AnyValue, text) + '}');
      separator = ',';
    }
  }
  return json + ']';
}

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

/** The span's JSON, after `separator` (the comma between spans, so that a span is one piece). */
function spanJson(span: ReadableSpan, text: JsonText, separator: string): string {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  const traceState = ctx.traceState?.serialize();
  const status = span.status;
  let json = separator + '{"traceId":"' + ctx.traceId + '","spanId":"' + ctx.spanId + '"';
  if (parent?.spanId) json += ',"parentSpanId":"' + parent.spanId + '"';
  if (traceState) json += ',"traceState":' + quote(traceState);
  json += ',"name":' + text.quoted(span.name) + ',"kind":' + (span.kind == null ? 0 : span.kind + 1);
  json += ',"startTimeUnixNano":"' + nanos(span.startTime) + '","endTimeUnixNano":"' + nanos(span.endTime) + '","attributes":' + keyValues(span.attributes, text);
  json += ',"droppedAttributesCount":' + span.droppedAttributesCount + ',"events":[';
  const events = span.events;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    json += (i ? ',{"attributes":' : '{"attributes":') + keyValues(event.attributes, text) + ',"name":' + text.quoted(event.name) +
      ',"timeUnixNano":"' + nanos(event.time) + '","droppedAttributesCount":' + (event.droppedAttributesCount || 0) + '}';
  }
  json += '],"droppedEventsCount":' + span.droppedEventsCount + ',"status":{"code":' + status.code;
  if (status.message !== undefined) json += ',"message":' + quote(status.message);
  json += '},"links":[';
  const links = span.links;
  for (let i = 0; i < links.length; i++) {
    const link = links[i];
    const linkState = link.context.traceState?.serialize();
    json += (i ? ',{"attributes":' : '{"attributes":') + keyValues(link.attributes, text) + ',"spanId":"' + link.context.spanId + '","traceId":"' + link.context.traceId + '"';
    if (linkState) json += ',"traceState":' + quote(linkState);
    json += ',"droppedAttributesCount":' + (link.droppedAttributesCount || 0) + ',"flags":' + flags(link.context.traceFlags, link.context.isRemote) + '}';
  }
  return json + '],"droppedLinksCount":' + span.droppedLinksCount + ',"flags":' + flags(ctx.traceFlags, parent?.isRemote) + '}';
}

function scopeJson(scope: ReadableSpan['instrumentationScope'] & { attributes?: Attributes; droppedAttributesCount?: number }): string {
  let json = '{"name":' + quote(scope.name);
  if (scope.version !== undefined) json += ',"version":' + quote(scope.version);
  if (scope.attributes && Object.keys(scope.attributes).length > 0) {
    json += ',"attributes":' + keyValues(scope.attributes, PLAIN_TEXT) + ',"droppedAttributesCount":' + (scope.droppedAttributesCount ?? 0);
  }
  return json + '}';
}

type Scope = ReadableSpan['instrumentationScope'];

function scopeKey(scope: Scope): string {
  return `${scope.name}@${scope.version || ''}:${scope.schemaUrl || ''}`;
}

/** Spans grouped by resource, then by scope; tracers share their scope object, so identity groups first. */
function groupSpans(spans: ReadableSpan[]): Map<ReadableSpan['resource'], Map<string, ReadableSpan[]>> {
  const byResource = new Map<ReadableSpan['resource'], Map<Scope, ReadableSpan[]>>();
  for (const span of spans) {
    let byScope = byResource.get(span.resource);
    if (!byScope) {
      byScope = new Map();
      byResource.set(span.resource, byScope);
    }
    const list = byScope.get(span.instrumentationScope);
    if (list) list.push(span);
    else byScope.set(span.instrumentationScope, [span]);
  }
  const grouped = new Map<ReadableSpan['resource'], Map<string, ReadableSpan[]>>();
  for (const [resource, byScope] of byResource) {
    const byKey = new Map<string, ReadableSpan[]>();
    for (const [scope, list] of byScope) {
      const key = scopeKey(scope);
      const existing = byKey.get(key);
      if (existing) existing.push(...list);
      else byKey.set(key, list);
    }
    grouped.set(resource, byKey);
  }
  return grouped;
}

/** The request's text in pieces (one per span, plus the structure around them). */
function writeTraces(spans: ReadableSpan[], text: JsonText): string[] {
  const out: string[] = ['{"resourceSpans":['];
  let firstResource = true;
  for (const [resource, byScope] of groupSpans(spans)) {
    const resourceSchema = resource.schemaUrl ? `,"schemaUrl":${quote(resource.schemaUrl)}` : '';
    out.push(firstResource ? '{"resource":{"attributes":' : ',{"resource":{"attributes":', keyValues(resource.attributes, PLAIN_TEXT));
    firstResource = false;
    out.push(',"droppedAttributesCount":0', resourceSchema, '},"scopeSpans":[');
    let firstScope = true;
    for (const list of byScope.values()) {
      const scope = list[0].instrumentationScope;
      out.push(firstScope ? '{"scope":' : ',{"scope":', scopeJson(scope), ',"spans":[');
      firstScope = false;
      for (let i = 0; i < list.length; i++) out.push(spanJson(list[i], text, i ? ',' : ''));
      out.push(']', scope.schemaUrl ? `,"schemaUrl":${quote(scope.schemaUrl)}` : '', '}');
    }
    out.push(']', resourceSchema, '}');
  }
  out.push(']}');
  return out;
}

/** UTF-8 of the pieces in one Buffer measured first, without joining them into one (large) string. */
function encodeMeasured(pieces: string[]): Buffer {
  let length = 0;
  for (const piece of pieces) length += Buffer.byteLength(piece, 'utf8');
  const body = Buffer.allocUnsafe(length);
  let offset = 0;
  for (const piece of pieces) offset += body.write(piece, offset, 'utf8');
  return body;
}

/** Bytes a piece's write must leave free to prove that it was not cut: a character takes at most 4. */
const UTF8_PROOF = 4;

/**
 * UTF-8 of the pieces in one Buffer. Nearly all of this text is ASCII, one byte a character, so the
 * pieces are written in one pass into a Buffer of their length (plus a margin) instead of being
 * measured first (a second pass and a second native call per piece). A write stops before a character
 * that does not fit, so one that leaves at least 4 bytes free wrote its whole piece; if one does not,
 * the text was not all ASCII and it is done again, measured.
 */
export function encodePieces(pieces: string[]): Buffer {
  let capacity = UTF8_PROOF;
  for (const piece of pieces) capacity += piece.length;
  const body = Buffer.allocUnsafe(capacity);
  let offset = 0;
  for (const piece of pieces) {
    const room = capacity - offset;
    const written = body.write(piece, offset, room, 'utf8');
    if (room - written < UTF8_PROOF) return encodeMeasured(pieces);
    offset += written;
  }
  return body.subarray(0, offset);
}

/** The JSON text of an ExportTraceServiceRequest for these spans, grouped by resource and scope. */
export function tracesRequestJson(spans: ReadableSpan[]): string {
  return writeTraces(spans, PLAIN_TEXT).join('');
}

const MEMO_ENTRIES = 4096;
const MEMO_MAX_LENGTH = 512;

/**
 * {@link tracesRequestJson} as the UTF-8 request body, with the JSON of repeated strings (attribute
 * keys, span names, attribute values) cached: one writer per exporter, so that each keeps its own
 * bounded cache.
 */
export function createTracesJsonWriter(): (spans: ReadableSpan[]) => Buffer {
  const text: JsonText = {
    quoted: memoizeString(quote, MEMO_ENTRIES, MEMO_MAX_LENGTH),
    stringValue: memoizeString(PLAIN_TEXT.stringValue, MEMO_ENTRIES, MEMO_MAX_LENGTH),
    stringAttribute: memoizeStringPair(PLAIN_TEXT.stringAttribute, MEMO_ENTRIES, MEMO_MAX_LENGTH),
  };
  return (spans) => encodePieces(writeTraces(spans, text));
}
