import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { memoizeString } from '../scrub/memo';

/**
 * An OTLP/JSON ExportTraceServiceRequest written straight from the spans, with the same content as
 * `@opentelemetry/otlp-transformer`'s JsonTraceSerializer (hex ids, nanosecond strings, kind + 1,
 * flags with the is-remote bits). The transformer first builds a full object tree per batch and then
 * stringifies it; writing the string directly skips that tree, which at thousands of spans a second
 * is a large share of the export cost and of the garbage, and spares loading the transformer (and the
 * metrics SDK it pulls in) at start-up.
 *
 * Each span is written into its own small array of parts and joined to one string; the request is
 * those strings, encoded straight into one Buffer. One array and one string for a whole batch
 * (hundreds of spans once a backlog builds, up to 512) land in V8's large-object space, fresh pages
 * at every growth step: that made a span about twice as dear to write in the loaded server, four
 * times in isolation (bench/NOTES.md, item 30).
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
}

const quote = (value: string): string => JSON.stringify(value);
const PLAIN_TEXT: JsonText = { quoted: quote, stringValue: (value) => `{"stringValue":${quote(value)}}` };

/** Appends the JSON of an AnyValue to the span's parts (joined once: cheaper than growing a string). */
function anyValue(out: string[], value: AnyValue, text: JsonText): void {
  switch (typeof value) {
    case 'string':
      out.push(text.stringValue(value));
      return;
    case 'number':
      out.push(Number.isInteger(value) ? `{"intValue":${value}}` : `{"doubleValue":${JSON.stringify(value)}}`);
      return;
    case 'boolean':
      out.push(value ? '{"boolValue":true}' : '{"boolValue":false}');
      return;
    default:
      break;
  }
  if (value instanceof Uint8Array) {
    out.push(`{"bytesValue":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"}`);
  } else if (Array.isArray(value)) {
    out.push('{"arrayValue":{"values":[');
    value.forEach((item, i) => {
      if (i) out.push(',');
      anyValue(out, item as AnyValue, text);
    });
    out.push(']}}');
  } else if (value !== null && typeof value === 'object') {
    out.push('{"kvlistValue":{"values":');
    keyValues(out, value as Attributes, text);
    out.push('}}');
  } else {
    out.push('{}');
  }
}

function keyValues(out: string[], attributes: Attributes | undefined, text: JsonText): void {
  out.push('[');
  let first = true;
  if (attributes) {
    for (const key in attributes) {
      if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
      out.push(first ? '{"key":' : ',{"key":', text.quoted(key), ',"value":');
      anyValue(out, attributes[key] as AnyValue, text);
      out.push('}');
      first = false;
    }
  }
  out.push(']');
}

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

function spanJson(span: ReadableSpan, text: JsonText): string {
  const out: string[] = [];
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  const traceState = ctx.traceState?.serialize();
  const status = span.status;
  out.push('{"traceId":"', ctx.traceId, '","spanId":"', ctx.spanId, '"');
  if (parent?.spanId) out.push(',"parentSpanId":"', parent.spanId, '"');
  if (traceState) out.push(',"traceState":', JSON.stringify(traceState));
  out.push(',"name":', text.quoted(span.name), ',"kind":', String(span.kind == null ? 0 : span.kind + 1));
  out.push(',"startTimeUnixNano":"', nanos(span.startTime), '","endTimeUnixNano":"', nanos(span.endTime), '","attributes":');
  keyValues(out, span.attributes, text);
  out.push(',"droppedAttributesCount":', String(span.droppedAttributesCount), ',"events":[');
  span.events.forEach((event, i) => {
    out.push(i ? ',{"attributes":' : '{"attributes":');
    keyValues(out, event.attributes, text);
    out.push(',"name":', text.quoted(event.name), ',"timeUnixNano":"', nanos(event.time), '","droppedAttributesCount":', String(event.droppedAttributesCount || 0), '}');
  });
  out.push('],"droppedEventsCount":', String(span.droppedEventsCount), ',"status":{"code":', String(status.code));
  if (status.message !== undefined) out.push(',"message":', JSON.stringify(status.message));
  out.push('},"links":[');
  span.links.forEach((link, i) => {
    const linkState = link.context.traceState?.serialize();
    out.push(i ? ',{"attributes":' : '{"attributes":');
    keyValues(out, link.attributes, text);
    out.push(',"spanId":"', link.context.spanId, '","traceId":"', link.context.traceId, '"');
    if (linkState) out.push(',"traceState":', JSON.stringify(linkState));
    out.push(',"droppedAttributesCount":', String(link.droppedAttributesCount || 0), ',"flags":', String(flags(link.context.traceFlags, link.context.isRemote)), '}');
  });
  out.push('],"droppedLinksCount":', String(span.droppedLinksCount), ',"flags":', String(flags(ctx.traceFlags, parent?.isRemote)), '}');
  return out.join('');
}

function scopeJson(out: string[], scope: ReadableSpan['instrumentationScope'] & { attributes?: Attributes; droppedAttributesCount?: number }): void {
  out.push('{"name":', JSON.stringify(scope.name));
  if (scope.version !== undefined) out.push(',"version":', JSON.stringify(scope.version));
  if (scope.attributes && Object.keys(scope.attributes).length > 0) {
    out.push(',"attributes":');
    keyValues(out, scope.attributes, PLAIN_TEXT);
    out.push(',"droppedAttributesCount":', String(scope.droppedAttributesCount ?? 0));
  }
  out.push('}');
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
    const resourceSchema = resource.schemaUrl ? `,"schemaUrl":${JSON.stringify(resource.schemaUrl)}` : '';
    out.push(firstResource ? '{"resource":{"attributes":' : ',{"resource":{"attributes":');
    firstResource = false;
    keyValues(out, resource.attributes, PLAIN_TEXT);
    out.push(',"droppedAttributesCount":0', resourceSchema, '},"scopeSpans":[');
    let firstScope = true;
    for (const list of byScope.values()) {
      const scope = list[0].instrumentationScope;
      out.push(firstScope ? '{"scope":' : ',{"scope":');
      firstScope = false;
      scopeJson(out, scope);
      out.push(',"spans":[');
      list.forEach((span, i) => {
        if (i) out.push(',');
        out.push(spanJson(span, text));
      });
      out.push(']', scope.schemaUrl ? `,"schemaUrl":${JSON.stringify(scope.schemaUrl)}` : '', '}');
    }
    out.push(']', resourceSchema, '}');
  }
  out.push(']}');
  return out;
}

/** UTF-8 of the pieces in one Buffer, without joining them into one (large) string first. */
function encodePieces(pieces: string[]): Buffer {
  let length = 0;
  for (const piece of pieces) length += Buffer.byteLength(piece, 'utf8');
  const body = Buffer.allocUnsafe(length);
  let offset = 0;
  for (const piece of pieces) offset += body.write(piece, offset, 'utf8');
  return body;
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
  };
  return (spans) => encodePieces(writeTraces(spans, text));
}
