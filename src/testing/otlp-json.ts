/**
 * OTLP/JSON ExportTraceServiceRequest (as @opentelemetry/exporter-trace-otlp-http sends it) decoded into
 * one normalized span shape, shared by the test kit and the project's fake Sentry server.
 * Ids are accepted as hex (the OTLP/JSON spec) or base64 (proto3 JSON); int64 as string or number.
 */
type Obj = Record<string, any>;

export type SpanKindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
const KINDS: SpanKindName[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

export interface NormalizedSpanEvent { name: string; timeUnixNano: string; attributes: Record<string, unknown> }
export interface NormalizedSpanLink { traceId: string; spanId: string; traceState?: string; attributes: Record<string, unknown> }

export interface NormalizedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: SpanKindName;
  /** Flattened AnyValue: string | boolean | number | bigint (int64 outside the safe range) | Buffer | unknown[] | object | null */
  attributes: Record<string, unknown>;
  /** code is the OTLP/OTel SpanStatusCode: 0 UNSET, 1 OK, 2 ERROR */
  status: { code: number; message?: string };
  /** Decimal strings (exact; compare with BigInt(...) if needed). */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationMs: number;
  flags?: number;
  events: NormalizedSpanEvent[];
  links: NormalizedSpanLink[];
  resource: Record<string, unknown>;
  scope: string;
  scopeVersion?: string;
}

function toInt(v: unknown): number | bigint {
  const b = BigInt(v as string | number | bigint);
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

export function flattenAnyValue(v: Obj | undefined | null): unknown {
  if (v == null) return null;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('intValue' in v) return toInt(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return ((v.arrayValue?.values ?? []) as Obj[]).map(flattenAnyValue);
  if ('kvlistValue' in v) return flattenAttributes(v.kvlistValue?.values);
  if ('bytesValue' in v) return typeof v.bytesValue === 'string' ? Buffer.from(v.bytesValue, 'base64') : Buffer.from(v.bytesValue);
  return null;
}

export function flattenAttributes(kvs: Obj[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs ?? []) out[String(kv.key)] = flattenAnyValue(kv.value);
  return out;
}

/** Accepts lowercase/uppercase hex or base64 (proto3 JSON bytes); returns lowercase hex or undefined when empty. */
function idToHex(v: unknown, bytes: number, what: string): string | undefined {
  if (v == null || v === '') return undefined;
  if (typeof v !== 'string') throw new Error(`OTLP: ${what} must be a string, got ${typeof v}`);
  if (v.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(v)) return v.toLowerCase();
  const b = Buffer.from(v, 'base64');
  if (b.length === bytes && b.toString('base64').replace(/=+$/, '') === v.replace(/=+$/, '')) return b.toString('hex');
  throw new Error(`OTLP: ${what} ${JSON.stringify(v)} is neither ${bytes * 2}-char hex nor base64 of ${bytes} bytes`);
}

function enumValue(v: unknown, names: string[], prefix: string): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  const i = names.indexOf(String(v));
  if (i >= 0) return i;
  const j = names.indexOf(`${prefix}${String(v)}`);
  if (j >= 0) return j;
  throw new Error(`OTLP: unknown enum value ${JSON.stringify(v)}`);
}

const nanos = (v: unknown): string => (v == null ? '0' : BigInt(v as string | number | bigint).toString());

export function normalizeTracesRequest(req: Obj): NormalizedSpan[] {
  if (req == null || typeof req !== 'object') throw new Error('OTLP: request body is not an object');
  const out: NormalizedSpan[] = [];
  for (const rs of (req.resourceSpans ?? []) as Obj[]) {
    const resource = flattenAttributes(rs.resource?.attributes);
    for (const ss of (rs.scopeSpans ?? []) as Obj[]) {
      for (const s of (ss.spans ?? []) as Obj[]) {
        const traceId = idToHex(s.traceId, 16, 'traceId');
        const spanId = idToHex(s.spanId, 8, 'spanId');
        if (!traceId || !spanId) throw new Error(`OTLP: span ${JSON.stringify(s.name)} lacks traceId/spanId`);
        const start = nanos(s.startTimeUnixNano);
        const end = nanos(s.endTimeUnixNano);
        const span: NormalizedSpan = {
          traceId,
          spanId,
          name: String(s.name ?? ''),
          kind: KINDS[enumValue(s.kind, KINDS.map((k) => `SPAN_KIND_${k}`), 'SPAN_KIND_')] ?? 'UNSPECIFIED',
          attributes: flattenAttributes(s.attributes),
          status: { code: enumValue(s.status?.code, STATUS_CODES, 'STATUS_CODE_') },
          startTimeUnixNano: start,
          endTimeUnixNano: end,
          durationMs: Number(BigInt(end) - BigInt(start)) / 1e6,
          events: ((s.events ?? []) as Obj[]).map((e) => ({
            name: String(e.name ?? ''), timeUnixNano: nanos(e.timeUnixNano), attributes: flattenAttributes(e.attributes),
          })),
          links: ((s.links ?? []) as Obj[]).map((l) => {
            const link: NormalizedSpanLink = {
              traceId: idToHex(l.traceId, 16, 'link.traceId') ?? '', spanId: idToHex(l.spanId, 8, 'link.spanId') ?? '',
              attributes: flattenAttributes(l.attributes),
            };
            if (l.traceState) link.traceState = String(l.traceState);
            return link;
          }),
          resource,
          scope: String(ss.scope?.name ?? ''),
        };
        const parent = idToHex(s.parentSpanId, 8, 'parentSpanId');
        if (parent) span.parentSpanId = parent;
        if (s.traceState) span.traceState = String(s.traceState);
        if (s.status?.message) span.status.message = String(s.status.message);
        if (s.flags != null) span.flags = Number(s.flags);
        if (ss.scope?.version) span.scopeVersion = String(ss.scope.version);
        out.push(span);
      }
    }
  }
  return out;
}

