import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/**
 * An OTLP/JSON ExportTraceServiceRequest written straight from the spans, with the same content as
 * `@opentelemetry/otlp-transformer`'s JsonTraceSerializer (hex ids, nanosecond strings, kind + 1,
 * flags with the is-remote bits). The transformer first builds a full object tree per batch and then
 * stringifies it; writing the string directly skips that tree, which at thousands of spans a second
 * is a large share of the export cost and of the garbage, and spares loading the transformer (and the
 * metrics SDK it pulls in) at start-up.
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

function anyValue(value: AnyValue): string {
  switch (typeof value) {
    case 'string':
      return `{"stringValue":${JSON.stringify(value)}}`;
    case 'number':
      return Number.isInteger(value) ? `{"intValue":${value}}` : `{"doubleValue":${JSON.stringify(value)}}`;
    case 'boolean':
      return `{"boolValue":${value}}`;
    default:
      break;
  }
  if (value instanceof Uint8Array) return `{"bytesValue":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"}`;
  if (Array.isArray(value)) return `{"arrayValue":{"values":[${value.map((item) => anyValue(item as AnyValue)).join(',')}]}}`;
  if (value !== null && typeof value === 'object') return `{"kvlistValue":{"values":${keyValues(value as Attributes)}}}`;
  return '{}';
}

function keyValues(attributes: Attributes | undefined): string {
  if (!attributes) return '[]';
  let out = '[';
  let first = true;
  for (const key of Object.keys(attributes)) {
    out += `${first ? '' : ','}{"key":${JSON.stringify(key)},"value":${anyValue(attributes[key] as AnyValue)}}`;
    first = false;
  }
  return `${out}]`;
}

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

function spanJson(span: ReadableSpan): string {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext;
  const traceState = ctx.traceState?.serialize();
  const status = span.status;
  let out = `{"traceId":"${ctx.traceId}","spanId":"${ctx.spanId}"`;
  if (parent?.spanId) out += `,"parentSpanId":"${parent.spanId}"`;
  if (traceState) out += `,"traceState":${JSON.stringify(traceState)}`;
  out += `,"name":${JSON.stringify(span.name)},"kind":${span.kind == null ? 0 : span.kind + 1}`;
  out += `,"startTimeUnixNano":"${nanos(span.startTime)}","endTimeUnixNano":"${nanos(span.endTime)}"`;
  out += `,"attributes":${keyValues(span.attributes)},"droppedAttributesCount":${span.droppedAttributesCount}`;
  out += ',"events":[';
  span.events.forEach((event, i) => {
    out += `${i ? ',' : ''}{"attributes":${keyValues(event.attributes)},"name":${JSON.stringify(event.name)},"timeUnixNano":"${nanos(event.time)}","droppedAttributesCount":${event.droppedAttributesCount || 0}}`;
  });
  out += `],"droppedEventsCount":${span.droppedEventsCount},"status":{"code":${status.code}`;
  if (status.message !== undefined) out += `,"message":${JSON.stringify(status.message)}`;
  out += '},"links":[';
  span.links.forEach((link, i) => {
    const linkState = link.context.traceState?.serialize();
    out += `${i ? ',' : ''}{"attributes":${keyValues(link.attributes)},"spanId":"${link.context.spanId}","traceId":"${link.context.traceId}"`;
    if (linkState) out += `,"traceState":${JSON.stringify(linkState)}`;
    out += `,"droppedAttributesCount":${link.droppedAttributesCount || 0},"flags":${flags(link.context.traceFlags, link.context.isRemote)}}`;
  });
  return `${out}],"droppedLinksCount":${span.droppedLinksCount},"flags":${flags(ctx.traceFlags, parent?.isRemote)}}`;
}

function scopeJson(scope: ReadableSpan['instrumentationScope'] & { attributes?: Attributes; droppedAttributesCount?: number }): string {
  let out = `{"name":${JSON.stringify(scope.name)}`;
  if (scope.version !== undefined) out += `,"version":${JSON.stringify(scope.version)}`;
  if (scope.attributes && Object.keys(scope.attributes).length > 0) {
    out += `,"attributes":${keyValues(scope.attributes)},"droppedAttributesCount":${scope.droppedAttributesCount ?? 0}`;
  }
  return `${out}}`;
}

/** The JSON text of an ExportTraceServiceRequest for these spans, grouped by resource and scope. */
export function tracesRequestJson(spans: ReadableSpan[]): string {
  const byResource = new Map<ReadableSpan['resource'], Map<string, ReadableSpan[]>>();
  for (const span of spans) {
    let byScope = byResource.get(span.resource);
    if (!byScope) {
      byScope = new Map();
      byResource.set(span.resource, byScope);
    }
    const scope = span.instrumentationScope;
    const key = `${scope.name}@${scope.version || ''}:${scope.schemaUrl || ''}`;
    const list = byScope.get(key);
    if (list) list.push(span);
    else byScope.set(key, [span]);
  }
  const resources: string[] = [];
  for (const [resource, byScope] of byResource) {
    const scopes: string[] = [];
    for (const list of byScope.values()) {
      const scope = list[0].instrumentationScope;
      const schema = scope.schemaUrl ? `,"schemaUrl":${JSON.stringify(scope.schemaUrl)}` : '';
      scopes.push(`{"scope":${scopeJson(scope)},"spans":[${list.map(spanJson).join(',')}]${schema}}`);
    }
    const resourceSchema = resource.schemaUrl ? `,"schemaUrl":${JSON.stringify(resource.schemaUrl)}` : '';
    resources.push(
      `{"resource":{"attributes":${keyValues(resource.attributes)},"droppedAttributesCount":0${resourceSchema}},"scopeSpans":[${scopes.join(',')}]${resourceSchema}}`,
    );
  }
  return `{"resourceSpans":[${resources.join(',')}]}`;
}
