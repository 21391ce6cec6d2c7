import type { Request } from 'express';
import { createScrubber, defaultScrubber, type Scrubber, type ScrubOptions } from '../../src/scrub';
import { copyRegExp, normalizeOptions } from '../../src/scrub/options';

/** Extra rules for the routes whose path matches. */
export interface RouteScrubRule extends ScrubOptions {
  /** A path prefix ('/payments') or a RegExp tested against the path. */
  path: string | RegExp;
}

const NO_RULES: Readonly<ScrubOptions> = Object.freeze({});

function hasRules(options: Readonly<ScrubOptions>): boolean {
  return Boolean(options.keys?.length || options.patterns?.length || options.allowKeys?.length || options.maxDepth !== undefined);
}

/** Rule sets applied together: their lists joined, the last `maxDepth` given wins. */
function mergeRules(parts: ReadonlyArray<Readonly<ScrubOptions>>): ScrubOptions {
  const merged: ScrubOptions = {
    keys: parts.flatMap((part) => part.keys ?? []),
    patterns: parts.flatMap((part) => part.patterns ?? []),
    allowKeys: parts.flatMap((part) => part.allowKeys ?? []),
  };
  const maxDepth = parts.map((part) => part.maxDepth).filter((depth) => depth !== undefined).at(-1);
  return maxDepth === undefined ? merged : { ...merged, maxDepth };
}

function scrubberOf(parts: ReadonlyArray<Readonly<ScrubOptions>>): Scrubber {
  // Each part is checked as given: merged, a string of keys would pass as a list of one.
  parts.forEach((part) => normalizeOptions(part));
  return parts.some(hasRules) ? createScrubber(mergeRules(parts)) : defaultScrubber();
}

/** A route's path test; a RegExp is copied without `g`/`y`, whose `lastIndex` would make tests alternate. */
function pathMatcher(path: string | RegExp): (requestPath: string) => boolean {
  if (typeof path === 'string') return (requestPath) => requestPath.startsWith(path);
  const pattern = copyRegExp(path, 'gy');
  return (requestPath) => pattern.test(requestPath);
}

/** Picks the scrubber for a request: the first matching route's, else the middleware's own. */
export type ScrubberFor = (req: Request) => Scrubber;

/**
 * The scrubbers of one `scrubbing()` middleware, each with the telemetry's extra rules (`initTelemetry({ scrub })`)
 * first, then the middleware's, then the route's: the snapshot it attaches is final (a route's `allowKeys`
 * may relax what the rest filter), so it must already apply every rule that the global scrubber would.
 * Throws the scrubber's TypeError for a bad rule.
 */
export function compileScrubbers(global: Readonly<ScrubOptions> | undefined, own: Readonly<ScrubOptions>, routes: ReadonlyArray<RouteScrubRule>): ScrubberFor {
  const shared = [global ?? NO_RULES, own];
  const base = scrubberOf(shared);
  const compiled = routes.map(({ path, ...routeRules }) => ({ matches: pathMatcher(path), scrubber: scrubberOf([...shared, routeRules]) }));
  return (req) => compiled.find((route) => route.matches(req.path))?.scrubber ?? base;
}
