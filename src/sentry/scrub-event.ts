import type { Breadcrumb, Event, StackFrame } from '@sentry/node';
import { FILTERED, type Scrubber } from '../scrub';
import { scrubCodeLines } from '../scrub/code-lines';
import { CUT_MARGIN, keptOfCutText, sliceWhole, wellFormed } from '../scrub/cut';
import { compileRouteParamMask, maskRouteParams, type RouteParamMask } from '../scrub/route-params';
import { frameTextScrubberOf, type FrameTextScrubber } from '../scrub/scrubber';
import { scrubSourceLines } from '../scrub/source-lines';

/** Longest exception value (message) and request URL sent; the rest is cut with an ellipsis. */
export const MAX_VALUE_LENGTH = 8192;

/**
 * What Sentry's client keeps of them before `beforeSend` (its `maxValueLength`, which bounds the
 * scrubbing's work): our cut is made after scrubbing, and of a value Sentry cut it never keeps the last
 * CUT_MARGIN characters of the scrubbed text, where a part of a secret left by Sentry's cut would be
 * (see keptOfCutText).
 */
export const CLIENT_MAX_VALUE_LENGTH = MAX_VALUE_LENGTH + CUT_MARGIN;

function scrubQueryString(scrubber: Scrubber, query: unknown): unknown {
  if (typeof query === 'string') return scrubber.scrubUrl(`?${query.replace(/^\?/, '')}`).slice(1);
  return scrubber.scrubValue(query);
}

function scrubRequest(scrubber: Scrubber, request: NonNullable<Event['request']>): Event['request'] {
  // Cookies and the client's address are personal data; they never leave, whatever was collected.
  const { cookies: _cookies, env: _env, ...rest } = request;
  return {
    ...(scrubber.scrubValue(rest) as Event['request']),
    url: request.url === undefined ? undefined : scrubber.scrubUrl(request.url),
    query_string: request.query_string === undefined ? undefined : (scrubQueryString(scrubber, request.query_string) as string),
    headers: request.headers === undefined ? undefined : (scrubber.scrubHeaders(request.headers) as Record<string, string>),
  };
}

/** A scrubbed copy of a breadcrumb: its message, its data, and any URL in it. */
export function scrubBreadcrumb(scrubber: Scrubber, breadcrumb: Breadcrumb): Breadcrumb {
  try {
    const data = breadcrumb.data === undefined ? undefined : (scrubber.scrubValue(breadcrumb.data) as Record<string, unknown>);
    if (data && typeof breadcrumb.data?.url === 'string') data.url = scrubber.scrubUrl(breadcrumb.data.url);
    if (data && typeof breadcrumb.data?.query === 'string') data.query = scrubber.scrubSql(breadcrumb.data.query);
    return {
      ...breadcrumb,
      message:
        breadcrumb.message === undefined
          ? undefined
          : breadcrumb.category === 'query'
            ? scrubber.scrubSql(breadcrumb.message)
            : scrubber.scrubString(breadcrumb.message),
      data,
    };
  } catch {
    return { timestamp: breadcrumb.timestamp, category: breadcrumb.category, message: FILTERED };
  }
}

/**
 * Set by the `scrubbing` middleware on events whose request snapshot it already scrubbed with the
 * route's own rules (which may relax the defaults with `allowKeys`); the snapshot is then kept as is.
 */
export const SCRUBBED_REQUEST_MARK = 'expressOtelSentryScrubbedRequest';

/**
 * The last step before an event leaves the process: every string, key and URL in it passes the one scrubber.
 * Returns a new event; fails closed (a part that cannot be scrubbed is replaced, never sent as is).
 */
export function scrubEvent(scrubber: Scrubber, event: Event): Event {
  const { request, breadcrumbs, user, ...rest } = event;
  const scrubbed = scrubber.scrubValue(rest) as Event;
  keepIdentifiers(event, scrubbed);
  keepKeyListTitles(scrubber, event, scrubbed);
  if (request) {
    const alreadyScrubbed = event.sdkProcessingMetadata?.[SCRUBBED_REQUEST_MARK] === true;
    scrubbed.request = alreadyScrubbed ? request : guard(() => scrubRequest(scrubber, request), {});
  }
  if (breadcrumbs) scrubbed.breadcrumbs = breadcrumbs.map((crumb) => scrubBreadcrumb(scrubber, crumb));
  if (user) {
    const { ip_address: _ip, ...userRest } = user;
    scrubbed.user = guard(() => scrubber.scrubValue(userRest), {});
  }
  filterRouteParams(scrubber, scrubbed);
  scrubFrames(scrubber, event, scrubbed);
  cutLongValues(event, scrubbed);
  return scrubbed;
}

/** A frame's names: Sentry's module is `dir.sub:file` (`auth:login`), no `name: value` pair. */
const FRAME_NAMES = ['module', 'function', 'filename', 'abs_path'] as const;

/**
 * A frame's names and source lines, from the original event: the walker read them as free text, whose
 * `name: value` rule cuts module names (`auth:login`) and code (`session: Session`). Names get the value
 * rules; source lines are read as code (code-lines.ts), then together (scrubSourceLines), where a
 * secret written on the line after its name, or after `process.env.X ||`, is found. Anything else in
 * the frame (`vars` included) keeps the walker's scrubbing; so does a frame that cannot be read.
 */
function scrubFrames(scrubber: Scrubber, original: Event, scrubbed: Event): void {
  const rules = frameTextScrubberOf(scrubber);
  const values = scrubbed.exception?.values;
  if (!Array.isArray(values)) return;
  values.forEach((exception, index) => {
    const frames = exception?.stacktrace?.frames;
    if (!Array.isArray(frames)) return;
    frames.forEach((target, at) => {
      if (typeof target !== 'object' || target === null) return;
      try {
        const frame = original.exception?.values?.[index]?.stacktrace?.frames?.[at];
        if (rules && frame) return scrubFrame(scrubber, rules, frame, target);
      } catch {
        // The frame as the walker scrubbed it: its lines still read together below.
      }
      scrubSourceLinesOf(scrubber, target);
    });
  });
}

function scrubFrame(scrubber: Scrubber, rules: FrameTextScrubber, frame: StackFrame, target: StackFrame): void {
  for (const field of FRAME_NAMES) {
    const name = frame[field];
    if (typeof name === 'string') target[field] = wellFormed(rules.name(name));
  }
  if (typeof frame.context_line !== 'string') return;
  const pre = Array.isArray(frame.pre_context) ? frame.pre_context : [];
  const post = Array.isArray(frame.post_context) ? frame.post_context : [];
  const code = scrubCodeLines([...pre, frame.context_line, ...post], rules).map((line) => (typeof line === 'string' ? wellFormed(line) : FILTERED));
  const lines = scrubSourceLines(code, scrubber.isSensitiveKey);
  if (Array.isArray(target.pre_context)) target.pre_context = lines.slice(0, pre.length);
  target.context_line = lines[pre.length];
  if (Array.isArray(target.post_context)) target.post_context = lines.slice(pre.length + 1);
}

/** Source lines scrubbed as text by the walker (a scrubber not made by createScrubber), read together as code. */
function scrubSourceLinesOf(scrubber: Scrubber, frame: StackFrame): void {
  if (typeof frame.context_line !== 'string') return;
  const pre = frame.pre_context ?? [];
  const lines = scrubSourceLines([...pre, frame.context_line, ...(frame.post_context ?? [])], scrubber.isSensitiveKey);
  if (frame.pre_context) frame.pre_context = lines.slice(0, pre.length);
  frame.context_line = lines[pre.length];
  if (frame.post_context) frame.post_context = lines.slice(pre.length + 1);
}

/** A request's transaction as the request isolation names it: `GET /reset/:token`. */
const ROUTE_TRANSACTION = /^[A-Z][A-Z-]* (\/.*)$/;

/**
 * The path segments the request's route names with a sensitive parameter (`/reset/:token`), filtered
 * in its URL and in the breadcrumbs of requests to paths of that route.
 */
function filterRouteParams(scrubber: Scrubber, scrubbed: Event): void {
  const route = typeof scrubbed.transaction === 'string' ? ROUTE_TRANSACTION.exec(scrubbed.transaction)?.[1] : undefined;
  const mask = route === undefined ? undefined : compileRouteParamMask(route, scrubber.isSensitiveKey);
  if (!mask) return;
  if (typeof scrubbed.request?.url === 'string') scrubbed.request = { ...scrubbed.request, url: maskRouteParams(scrubbed.request.url, mask) };
  if (scrubbed.breadcrumbs) scrubbed.breadcrumbs = scrubbed.breadcrumbs.map((crumb) => (crumb.type === 'http' ? maskBreadcrumb(crumb, mask) : crumb));
}

function maskBreadcrumb(crumb: Breadcrumb, mask: RouteParamMask): Breadcrumb {
  const url = crumb.data?.url;
  return {
    ...crumb,
    message: crumb.message === undefined ? undefined : maskRouteParams(crumb.message, mask),
    data: typeof url === 'string' ? { ...crumb.data, url: maskRouteParams(url, mask) } : crumb.data,
  };
}

const ELLIPSIS = '...';
/** Sentry's `truncate` (the first `max` characters and an ellipsis), without splitting a character in two. */
const truncate = (text: string, max: number): string => (text.length <= max ? text : `${sliceWhole(text, max)}${ELLIPSIS}`);
const cutBySentry = (original: unknown): boolean =>
  typeof original === 'string' && original.length === CLIENT_MAX_VALUE_LENGTH + ELLIPSIS.length && original.endsWith(ELLIPSIS);

/** The value scrubbed from `original`, cut to MAX_VALUE_LENGTH; a value Sentry cut loses its last CUT_MARGIN characters. */
function cutScrubbedValue(original: unknown, scrubbed: string): string {
  if (!cutBySentry(original)) return truncate(scrubbed, MAX_VALUE_LENGTH);
  const text = scrubbed.endsWith(ELLIPSIS) ? scrubbed.slice(0, -ELLIPSIS.length) : scrubbed;
  return keptOfCutText(text, MAX_VALUE_LENGTH) + ELLIPSIS;
}

/** Sentry's own cut (`maxValueLength`), made here after scrubbing; the parts cut are scrubbed copies. */
function cutLongValues(original: Event, scrubbed: Event): void {
  scrubbed.exception?.values?.forEach((exception, index) => {
    if (typeof exception.value === 'string') exception.value = cutScrubbedValue(original.exception?.values?.[index]?.value, exception.value);
  });
  const url = scrubbed.request?.url;
  // The request may be the event's own (a snapshot the scrubbing middleware made): replaced, not changed.
  if (typeof url === 'string' && (url.length > MAX_VALUE_LENGTH || cutBySentry(original.request?.url))) {
    scrubbed.request = { ...scrubbed.request, url: cutScrubbedValue(original.request?.url, url) };
  }
  // The same URL again, which Sentry does not cut: a server whose maxHeaderSize was raised took a 209 KB query.
  const query = scrubbed.request?.query_string;
  if (typeof query === 'string' && query.length > MAX_VALUE_LENGTH) scrubbed.request = { ...scrubbed.request, query_string: truncate(query, MAX_VALUE_LENGTH) };
  if (scrubbed.breadcrumbs?.some(hasLongUrl)) {
    scrubbed.breadcrumbs = scrubbed.breadcrumbs.map((crumb) => (hasLongUrl(crumb) ? { ...crumb, data: { ...crumb.data, url: truncate(crumb.data?.url as string, MAX_VALUE_LENGTH) } } : crumb));
  }
}

const hasLongUrl = (crumb: Breadcrumb): boolean => typeof crumb.data?.url === 'string' && crumb.data.url.length > MAX_VALUE_LENGTH;

/** A generated id: 16 or 32 lowercase hex digits (event, trace and span ids), never a secret. */
const HEX_ID = /^[0-9a-f]{16}(?:[0-9a-f]{16})?$/;
const TRACE_ID_FIELDS = ['trace_id', 'span_id', 'parent_span_id'] as const;
const DSC_ID_FIELDS = ['trace_id', 'public_key'] as const;

/**
 * Generated ids are put back as they were: a random hex id can contain a run of 13-19 digits that passes
 * the Luhn check, and a "card number" scrubbed out of `event_id` would make the event invalid (and the
 * id the error handler answered with would not find it).
 */
function keepIdentifiers(original: Event, scrubbed: Event): void {
  if (typeof original.event_id === 'string' && HEX_ID.test(original.event_id)) scrubbed.event_id = original.event_id;
  keepHexFields(original.contexts?.trace, scrubbed.contexts?.trace, TRACE_ID_FIELDS);
  // The envelope's trace header: its `public_key` is the DSN's public key (in every request's URL too), and
  // Sentry discards a header whose key names no project, with the trace's sampling data in it.
  keepHexFields(original.sdkProcessingMetadata?.dynamicSamplingContext, scrubbed.sdkProcessingMetadata?.dynamicSamplingContext, DSC_ID_FIELDS);
}

function keepHexFields(original: object | undefined, scrubbed: object | undefined, fields: readonly string[]): void {
  if (!original || !scrubbed) return;
  for (const field of fields) {
    const value = (original as Record<string, unknown>)[field];
    if (typeof value === 'string' && HEX_ID.test(value)) (scrubbed as Record<string, unknown>)[field] = value;
  }
}

/** Sentry's title for a thrown plain object: `Object captured as exception with keys: code, detail`. */
const KEY_LIST_TITLE = /^((?:Object|'[^'\n]{1,128}') captured as exception with keys: )([^\n]*)$/;

/**
 * Sentry names a thrown object by its property names, after `keys:`, which the scrubber reads as a
 * sensitive key and filters ("with keys: [Filtered], detail"): each name is scrubbed on its own instead.
 * They are names, not values; one that looks like a token is still filtered.
 */
function keepKeyListTitles(scrubber: Scrubber, original: Event, scrubbed: Event): void {
  const values = original.exception?.values;
  const scrubbedValues = scrubbed.exception?.values;
  if (!values || !scrubbedValues) return;
  values.forEach((exception, index) => {
    const match = typeof exception.value === 'string' ? KEY_LIST_TITLE.exec(exception.value) : null;
    if (!match || !scrubbedValues[index]) return;
    const names = match[2].split(', ').map((name) => scrubber.scrubString(name));
    scrubbedValues[index].value = scrubber.scrubString(match[1]) + names.join(', ');
  });
}

function guard<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
