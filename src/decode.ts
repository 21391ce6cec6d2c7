/** Percent-decoded, or as written when it is not valid percent-encoding (`p%ss`): never throws. */
export function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
