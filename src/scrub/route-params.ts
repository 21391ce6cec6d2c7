import { decodeOrKeep } from '../decode';
import { FILTERED } from './types';

/**
 * A route template lined up with the paths it matches: each segment's literal text (lowercase, as
 * Express matches without case), or undefined for a segment holding a parameter, and the segments whose
 * parameter has a sensitive name (`/reset/:token`, `/invite/:inviteSecret`).
 */
export interface RouteParamMask {
  readonly literals: ReadonlyArray<string | undefined>;
  readonly sensitive: readonly number[];
}

const PARAMETER = /:([A-Za-z0-9_$]+)/g;
/**
 * Express 4's pattern of a parameter (`:token([0-9a-f]{32})`, `:token([^/]+)`): one segment still, when it
 * cannot match a `/` (none outside a negated character class). A class is read one way only (a negated one
 * is never also taken for a plain one): two ways each made a template of 25 `[^-]` classes take seconds.
 */
const PARAMETER_PATTERN = /(:[A-Za-z0-9_$]+)\((?:\[\^(?:[^\]\\]|\\.){0,64}\]|\[(?!\^)(?:[^\]\\/]|\\.){0,64}\]|[^()/\\[]|\\.){0,256}\)/g;
/** A segment from which the template no longer lines up with the path: wildcards, optional groups, regexes. */
const UNALIGNED = /[*{}()[\]+]/;
/** Express 4's optional last parameter (`/reset/:token?`): lined up, and nothing after it is. */
const OPTIONAL_PARAMETER = /^:[A-Za-z0-9_$]+\?$/;
const URL_ORIGIN = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * The mask of a route template, or undefined when no parameter in it has a sensitive name (most
 * routes: nothing to do). Segments are lined up from the start up to the first that cannot be.
 */
export function compileRouteParamMask(route: string, isSensitiveKey: (key: string) => boolean): RouteParamMask | undefined {
  if (!route.includes(':')) return undefined;
  const literals: Array<string | undefined> = [];
  const sensitive: number[] = [];
  const segments = route.replace(PARAMETER_PATTERN, '$1').split('/');
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index];
    const optional = OPTIONAL_PARAMETER.test(segment);
    if (!optional && (UNALIGNED.test(segment) || segment.includes('?'))) break;
    const names = [...segment.matchAll(PARAMETER)].map((match) => match[1]);
    literals.push(names.length === 0 ? segment.toLowerCase() : undefined);
    if (names.some((name) => isSensitiveKey(name))) sensitive.push(index);
    if (optional) break;
  }
  return sensitive.length > 0 ? { literals, sensitive } : undefined;
}

/**
 * A path (or absolute URL, or `METHOD /path` or `METHOD http://host/path` line) with the segments the mask names filtered, when its
 * literal segments are the template's; any other path is returned as it is.
 */
export function maskRouteParams(text: string, mask: RouteParamMask): string {
  // A request line's target may be absolute (`GET http://host/reset/<token>`: a forward proxy's form).
  const method = /^[A-Z][A-Z-]* (?=\/|[A-Za-z][A-Za-z0-9+.-]*:\/\/)/.exec(text)?.[0] ?? '';
  const target = method === '' ? text : text.slice(method.length);
  const host = URL_ORIGIN.exec(target)?.[0] ?? (target.startsWith('/') ? '' : undefined);
  if (host === undefined) return text;
  const origin = method + host;
  const queryAt = text.slice(origin.length).search(/[?#]/);
  const end = queryAt === -1 ? text.length : origin.length + queryAt;
  const segments = text.slice(origin.length, end).split('/');
  const { literals, sensitive } = mask;
  if (segments.length < literals.length) return text;
  for (let index = 0; index < literals.length; index++) {
    const literal = literals[index];
    if (literal !== undefined && decodeOrKeep(segments[index]).toLowerCase() !== literal) return text;
  }
  for (const index of sensitive) if (segments[index] !== '') segments[index] = FILTERED;
  return origin + segments.join('/') + text.slice(end);
}
