/**
 * Where each secret appears in the captured payloads. Payloads are JSON text, where `"`, `\` and control
 * characters are escaped, so a value is searched as written and as JSON writes it.
 */
export function findSecrets(payloads: ReadonlyArray<string>, values: ReadonlyArray<string>): string[] {
  const leaks: string[] = [];
  for (const value of values) {
    if (!value) continue;
    const escaped = JSON.stringify(value).slice(1, -1);
    const index = payloads.findIndex((payload) => payload.includes(value) || payload.includes(escaped));
    if (index >= 0) leaks.push(`${JSON.stringify(value)} in payload ${index} (${describePayload(payloads[index])}): ${excerpt(payloads[index], value, escaped)}`);
  }
  return leaks;
}

function describePayload(payload: string): string {
  if (payload.startsWith('{"resourceSpans"')) return 'OTLP spans';
  const itemType = /\n\{"type":"([^"]+)"/.exec(payload)?.[1];
  return itemType ? `Sentry envelope, ${itemType}` : 'Sentry envelope';
}

/** Up to 60 characters on either side of the first occurrence. */
function excerpt(payload: string, value: string, escaped: string): string {
  const at = payload.includes(value) ? payload.indexOf(value) : payload.indexOf(escaped);
  const length = payload.includes(value) ? value.length : escaped.length;
  return `…${payload.slice(Math.max(0, at - 60), at + length + 60)}…`;
}
