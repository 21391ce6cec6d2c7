/**
 * OTEL_RESOURCE_ATTRIBUTES, read as the OpenTelemetry specification has it: `key1=value1,key2=value2`,
 * keys and values trimmed and percent-decoded, at most 255 characters each. Any malformed entry
 * discards the whole value (the specification's rule), and the reason is returned for the start-up log,
 * where the SDK's own detector only writes it to the diagnostic logger at debug level.
 */
const MAX_LENGTH = 255;

export type ResourceAttributesResult =
  | { attributes: Record<string, string>; problem?: undefined }
  | { attributes: Record<string, string>; problem: string };

export function parseResourceAttributes(raw: string | undefined): ResourceAttributesResult {
  const attributes: Record<string, string> = {};
  for (const entry of (raw ?? '').split(',')) {
    if (entry.trim() === '') continue;
    const parts = entry.split('=');
    if (parts.length !== 2) return { attributes: {}, problem: 'an entry that is not key=value (percent-encode "," and "=" inside values)' };
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(parts[0].trim());
      value = decodeURIComponent(parts[1].trim());
    } catch {
      return { attributes: {}, problem: 'an entry that is not valid percent-encoding' };
    }
    if (key === '') return { attributes: {}, problem: 'an entry with an empty key' };
    if (key.length > MAX_LENGTH || value.length > MAX_LENGTH) return { attributes: {}, problem: `a key or value longer than ${MAX_LENGTH} characters` };
    attributes[key] = value;
  }
  return { attributes };
}
