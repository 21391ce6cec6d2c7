/**
 * Where each secret appears in the captured payloads. Payloads are JSON text, where `"`, `\` and control
 * characters are escaped, and URLs carry values percent- or form-encoded (`jane.doe%40example.com`,
 * `correct+horse`), so a value is searched as written, as JSON writes it and as a URL encodes it.
 */
export function findSecrets(payloads: ReadonlyArray<string>, values: ReadonlyArray<string>): string[] {
  const leaks: string[] = [];
  for (const value of values) {
    if (!value) continue;
    const forms = writtenForms(value);
    for (let index = 0; index < payloads.length; index++) {
      const form = forms.find((each) => payloads[index].includes(each));
      if (form === undefined) continue;
      leaks.push(`${JSON.stringify(value)} in payload ${index} (${describePayload(payloads[index])}): ${excerpt(payloads[index], form)}`);
      break;
    }
  }
  return leaks;
}

function writtenForms(value: string): string[] {
  const percent = encodeURIComponent(value);
  const forms = [value, JSON.stringify(value).slice(1, -1), percent, percent.replace(/%20/g, '+')];
  return forms.filter((form, at) => forms.indexOf(form) === at);
}

function describePayload(payload: string): string {
  if (payload.startsWith('{"resourceSpans"')) return 'OTLP spans';
  const itemType = /\n\{"type":"([^"]+)"/.exec(payload)?.[1];
  return itemType ? `Sentry envelope, ${itemType}` : 'Sentry envelope';
}

/** Up to 60 characters on either side of the first occurrence. */
function excerpt(payload: string, form: string): string {
  const at = payload.indexOf(form);
  return `…${payload.slice(Math.max(0, at - 60), at + form.length + 60)}…`;
}
