/**
 * How much more of a long text is scrubbed than is kept: more than any card number or token spans.
 */
export const CUT_MARGIN = 1024;

/**
 * What may be kept, at most `max` characters, of a text that was cut before it was scrubbed (to bound
 * the work) `CUT_MARGIN` characters past `max`. The cut may have left part of a secret at its end that
 * no rule recognises (15 digits of a card number); scrubbing leaves such a part as it is, at the very
 * end, however much it shortened what came before it. So the last `CUT_MARGIN` characters of the
 * scrubbed text are never kept.
 */
export function keptOfCutText(scrubbed: string, max: number): string {
  return sliceWhole(scrubbed, Math.max(0, Math.min(max, scrubbed.length - CUT_MARGIN)));
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** The first `end` UTF-16 units of `text`, one fewer where the cut would split a character in two. */
export function sliceWhole(text: string, end: number): string {
  if (end >= text.length) return text;
  return text.slice(0, end > 0 && isHighSurrogate(text.charCodeAt(end - 1)) ? end - 1 : end);
}

/**
 * The longest start of `text` whose UTF-8 encoding fits in `maxBytes`, whole characters only (a lone
 * surrogate counts as the three bytes of the U+FFFD it is sent as).
 */
export function sliceToBytes(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const pair = isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(i + 1));
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes > maxBytes) return text.slice(0, i);
    if (pair) i++;
  }
  return text;
}

/**
 * `text` with each lone surrogate replaced by U+FFFD. Sentry's ingestion and protobuf's string fields
 * take valid Unicode only: one `"\ud800"` from a client could get an event, or a whole batch of spans,
 * refused.
 */
export function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}
