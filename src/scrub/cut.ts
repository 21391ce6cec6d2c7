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
  return scrubbed.slice(0, Math.max(0, Math.min(max, scrubbed.length - CUT_MARGIN)));
}
