/**
 * Control characters (C0, DEL, C1), line and paragraph separators and bidirectional overrides. Captured
 * text is the app's and its users' (an error message quoting input, a username): printed raw, an escape
 * sequence in it would drive the developer's terminal and a newline could forge a line of
 * the local view or of our log.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is what it is for
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Captured text made safe for one line of a terminal: what cannot be shown is written as an escape.
 * Not only strings: an event's fields are whatever an app or integration put there.
 */
export function printable(text: unknown): string {
  let value: string;
  try {
    value = typeof text === 'string' ? text : String(text);
  } catch {
    return '[unprintable]';
  }
  return value.replace(UNPRINTABLE, (char) => NAMED_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
