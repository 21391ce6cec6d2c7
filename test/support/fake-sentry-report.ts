/** Human-readable summaries and leak searching over what the fake Sentry server received. */
import type { ReceivedRequest } from './fake-sentry-types';

export interface SecretHit {
  secret: string;
  /** e.g. `request #3 POST /api/42/envelope/ body (envelope, content-encoding gzip) @ byte 1234` */
  where: string;
  requestSeq: number;
  part: 'url' | 'headers' | 'body';
  /** The form that matched: the secret itself, JSON-escaped or URI-encoded. */
  form: 'raw' | 'json-escaped' | 'uri-encoded';
  offset: number;
}

function forms(secret: string): Array<[SecretHit['form'], string]> {
  const out: Array<[SecretHit['form'], string]> = [['raw', secret]];
  const json = JSON.stringify(secret).slice(1, -1);
  if (json !== secret) out.push(['json-escaped', json]);
  const uri = encodeURIComponent(secret);
  if (uri !== secret) out.push(['uri-encoded', uri]);
  return out;
}

/**
 * Byte search of every URL, header set and (decompressed) body. Protobuf strings are embedded
 * raw, so a byte search covers OTLP/protobuf too. One hit per (secret, request, part).
 */
export function searchSecrets(requests: ReceivedRequest[], secrets: string[]): SecretHit[] {
  const hits: SecretHit[] = [];
  for (const secret of secrets) {
    if (!secret) throw new Error('findSecrets: empty secret would match everything');
    const variants = forms(secret);
    for (const r of requests) {
      const headerText = Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`).join('\n');
      const parts: Array<[SecretHit['part'], Buffer | string]> = [['url', r.url], ['headers', headerText], ['body', r.body]];
      for (const [part, hay] of parts) {
        for (const [form, needle] of variants) {
          const offset = typeof hay === 'string' ? hay.indexOf(needle) : hay.indexOf(Buffer.from(needle, 'utf8'));
          if (offset < 0) continue;
          const enc = r.contentEncoding ? `, content-encoding ${r.contentEncoding}` : '';
          const ct = r.headers['content-type'] ? `, ${r.headers['content-type']}` : '';
          hits.push({
            secret, requestSeq: r.seq, part, form, offset,
            where: `request #${r.seq} ${r.method} ${r.path} ${part} (${r.route}${ct}${enc}${form === 'raw' ? '' : `, ${form}`}) @ ${part === 'body' ? 'byte' : 'char'} ${offset}`,
          });
          break;
        }
      }
    }
  }
  return hits;
}

const kb = (n: number): string => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`);

export function describeRequests(requests: ReceivedRequest[], spanCount: number, envelopeCount: number, max = 40): string {
  const lines = [`Received ${requests.length} request(s): ${envelopeCount} envelope(s) accepted, ${spanCount} span(s) recorded.`];
  const shown = requests.slice(-max);
  if (shown.length < requests.length) lines.push(`  ... ${requests.length - shown.length} earlier request(s) omitted`);
  for (const r of shown) {
    const enc = r.contentEncoding ? ` ${r.contentEncoding}` : '';
    const status = r.status === undefined ? (r.mode === 'blackhole' ? 'no answer (blackhole)' : 'pending') : String(r.status);
    let line = `  #${r.seq} ${r.method} ${r.path} [${r.route}, mode=${r.mode},${enc} ${kb(r.compressedBytes)}] -> ${status}`;
    if (r.note) line += `; ${r.note}`;
    if (r.error) line += `; ERROR: ${r.error}`;
    lines.push(line);
  }
  return lines.join('\n');
}
