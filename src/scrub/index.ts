/**
 * The one scrubber: every byte the library sends (Sentry events, breadcrumbs, span attributes,
 * URLs, SQL) passes through it. Standalone on purpose: it imports nothing else from src/.
 */
export { CIRCULAR, FILTERED, TRUNCATED } from './types';
export type { ScrubOptions, Scrubber } from './types';
export { createScrubber, defaultScrubber } from './scrubber';
export { luhnValid } from './luhn';
