/**
 * Header records merged as HTTP reads them: names are case-insensitive, so a later record's header
 * replaces an earlier one of the same name whatever its case (one header per name on the wire, with the
 * later record's spelling). Without it `authorization` and `Authorization` would both be written, and a
 * receiver that reads the first (Node's http, Go's Header.Get) would get the one that was meant to lose.
 */
export function mergeHeaders(...records: ReadonlyArray<Readonly<Record<string, string>> | undefined>): Record<string, string> {
  const byName = new Map<string, [string, string]>();
  for (const record of records) {
    for (const [name, value] of Object.entries(record ?? {})) {
      const lower = name.toLowerCase();
      // Deleted first so that the header takes its place in the order of the later record.
      byName.delete(lower);
      byName.set(lower, [name, value]);
    }
  }
  return Object.fromEntries(byName.values());
}
