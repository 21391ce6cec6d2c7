import { decodeOrKeep } from '../decode';
import { FILTERED } from './types';

/*
 * URLs are split by hand rather than with `new URL()`: WHATWG parsing rejects relative and malformed
 * input and re-encodes what it accepts, while the output here must stay byte-for-byte the input
 * except for the secrets removed.
 */

/** Optional scheme, `//`, then everything up to the LAST '@' before the first '/' (passwords may hold '@'). */
const AUTHORITY_RE = /^((?:[A-Za-z][A-Za-z0-9+.-]{0,31}:)?\/\/)([^\s/]*)@/;

/** A query component: `+` is a space there. */
function decodeComponent(raw: string): string {
  return decodeOrKeep(raw.replace(/\+/g, ' '));
}

export function compileUrlScrubber(
  isSensitiveKey: (key: string) => boolean,
  scrubString: (text: string) => string,
): (url: string) => string {
  function scrubParam(part: string): string {
    const eq = part.indexOf('=');
    if (eq < 0) return scrubString(part);
    const rawKey = part.slice(0, eq);
    const rawValue = part.slice(eq + 1);
    const key = scrubString(rawKey);
    if (rawValue === '') return `${key}=`;
    if (isSensitiveKey(decodeComponent(rawKey))) return `${key}=${FILTERED}`;
    const decoded = decodeComponent(rawValue);
    // A secret hidden by percent-encoding cannot be cut out of the encoded form reliably: drop the value.
    if (decoded !== rawValue && scrubString(decoded) !== decoded) return `${key}=${FILTERED}`;
    return `${key}=${scrubString(rawValue)}`;
  }

  function scrubQuery(query: string): string {
    const parts = query.split(/([&;])/);
    for (let i = 0; i < parts.length; i += 2) parts[i] = scrubParam(parts[i]);
    return parts.join('');
  }

  return function scrubUrl(url: string): string {
    let prefix = '';
    let rest = url;
    const m = AUTHORITY_RE.exec(url);
    if (m !== null) {
      const userinfo = m[2];
      const colon = userinfo.indexOf(':');
      const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
      // A '?' or '#' before the '@' means the '@' sits in the query or fragment: no userinfo at all.
      if (!/[?#]/.test(user)) {
        prefix = m[1] + scrubString(user) + (colon >= 0 ? `:${FILTERED}` : '') + '@';
        rest = url.slice(m[0].length);
      }
    }
    const hash = rest.indexOf('#');
    const beforeHash = hash >= 0 ? rest.slice(0, hash) : rest;
    const fragment = hash >= 0 ? rest.slice(hash + 1) : null;
    const q = beforeHash.indexOf('?');
    const base = q >= 0 ? beforeHash.slice(0, q) : beforeHash;
    const query = q >= 0 ? beforeHash.slice(q + 1) : null;

    let out = prefix === '' ? scrubString(base) : prefix + scrubString(base);
    if (query !== null) out += `?${scrubQuery(query)}`;
    // OAuth implicit flow puts tokens in the fragment (#access_token=...), so parse it like a query.
    if (fragment !== null) out += `#${fragment.includes('=') ? scrubQuery(fragment) : scrubString(fragment)}`;
    return out;
  };
}
