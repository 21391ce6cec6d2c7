import * as fs from 'node:fs';
import { createInterface } from 'node:readline';
import { defineIntegration, LRUMap, snipLine, stripUrlQueryAndFragment, type Client, type Event, type StackFrame } from '@sentry/core';

/**
 * Port of @sentry/node 11.12.0's ContextLines integration (`integrations/contextlines.js`): the source
 * lines around each stack frame (`pre_context`, `context_line`, `post_context`), read asynchronously from
 * the files on disk, only the lines needed, with the same limits and caches as Sentry's.
 */

/** Lines of a file by line number (1-based), only those read so far, each cut to Sentry's line length. */
type FileLines = Record<number, string>;

/** Frames in files with other extensions (compiled templates, native code, `.json`) get no context. */
const SOURCE_FILE_EXTENSION = /\.(?:[cm]?[jt]sx?|vue|svelte|astro|mdx)$/;
/** Frames deeper or wider than this are minified or generated code, whose lines mean nothing to a reader. */
export const MAX_CONTEXTLINES_LINENO = 10_000;
export const MAX_CONTEXTLINES_COLNO = 1000;
const DEFAULT_LINES_OF_CONTEXT = 5;

// Shared by every instance, as Sentry's: the same files serve every event in a process.
const fileLines = new LRUMap<string, FileLines>(10);
/** Files that could not be read are not tried again while they stay in here. */
const unreadable = new LRUMap<string, 1>(20);

/** Forgets every file read or found unreadable (for tests). */
export function resetFileContentCache(): void {
  fileLines.clear();
  unreadable.clear();
}

export function shouldSkipFile(path: string): boolean {
  if (path.startsWith('node:') || path.startsWith('data:')) return true;
  const pathname = stripUrlQueryAndFragment(path).toLowerCase();
  if (/\.min\.[cm]?js$/.test(pathname)) return true;
  return !SOURCE_FILE_EXTENSION.test(pathname);
}

function shouldSkipFrame(frame: StackFrame): boolean {
  return (frame.lineno !== undefined && frame.lineno > MAX_CONTEXTLINES_LINENO)
    || (frame.colno !== undefined && frame.colno > MAX_CONTEXTLINES_COLNO);
}

type Range = [start: number, end: number];

const rangeAround = (line: number, context: number): Range => [Math.max(1, line - context), line + context];

/** The line ranges to read for these (sorted) frame lines, overlapping ranges merged. */
export function lineRanges(lines: number[], context: number): Range[] {
  const ranges: Range[] = [];
  for (const line of lines) {
    const last = ranges[ranges.length - 1];
    // Sentry merges a line into the previous range when the line itself falls inside it.
    if (last && line <= last[1]) last[1] = line + context;
    else ranges.push(rangeAround(line, context));
  }
  return ranges;
}

function rangesCached(lines: FileLines | undefined, ranges: Range[]): boolean {
  if (!lines) return false;
  return ranges.every(([start, end]) => {
    for (let line = start; line <= end; line++) if (lines[line] === undefined) return false;
    return true;
  });
}

/**
 * Streams `path` line by line into `output`, only lines within `ranges`, and stops after the last range.
 * A read error marks the file unreadable and resolves; only a path `createReadStream` refuses outright rejects.
 */
function readLines(path: string, ranges: Range[], output: FileLines): Promise<void> {
  return new Promise((resolve) => {
    if (!ranges.length) return resolve();
    const stream = fs.createReadStream(path);
    const reader = createInterface({ input: stream });
    const done = (): void => {
      stream.destroy();
      resolve();
    };
    const stop = (): void => {
      reader.close();
      reader.removeAllListeners();
    };
    const failed = (): void => {
      unreadable.set(path, 1);
      stop();
      done();
    };
    stream.on('error', failed);
    reader.on('error', failed);
    reader.on('close', done);

    let lineNumber = 0;
    let rangeIndex = 0;
    reader.on('line', (line) => {
      lineNumber++;
      const range = ranges[rangeIndex];
      if (!range || lineNumber < range[0]) return;
      // The column is unknown for context lines: Sentry keeps the start of a long line.
      output[lineNumber] = snipLine(line, 0);
      if (lineNumber >= range[1] && ++rangeIndex === ranges.length) stop();
    });
  });
}

/** The frame without any line context (a copy only when it has some). */
function withoutLineContext(frame: StackFrame): StackFrame {
  if (frame.pre_context === undefined && frame.context_line === undefined && frame.post_context === undefined) return frame;
  const { pre_context: _pre, context_line: _line, post_context: _post, ...rest } = frame;
  return rest;
}

/**
 * The frame with its context from `lines`: all of the lines before it or none (a missing one leaves the
 * frame without context), its own line, and the lines after it up to the first missing one (the end of
 * the file). A new frame, where Sentry's adds the three fields to the parsed one: the parser's frames come
 * in many shapes, and adding fields to them costs V8 a map migration each, about four times the copy.
 */
export function frameWithContext(frame: StackFrame, lineno: number, contextLines: number, lines: FileLines): StackFrame {
  const [start, end] = rangeAround(lineno, contextLines);
  const preContext: string[] = [];
  for (let line = start; line < lineno; line++) {
    const text = lines[line];
    if (text === undefined) return withoutLineContext(frame);
    preContext.push(text);
  }
  const contextLine = lines[lineno];
  if (contextLine === undefined) return withoutLineContext(frame);
  const postContext: string[] = [];
  for (let line = lineno + 1; line <= end; line++) {
    const text = lines[line];
    if (text === undefined) break;
    postContext.push(text);
  }
  // Object.assign, not a spread with the three fields after it: V8 (Node 20) gives a spread copy that
  // gains properties the copied object lacked a fresh map each time, ~2 µs a frame (bench/NOTES.md item 54).
  return Object.assign({}, frame, { pre_context: preContext, context_line: contextLine, post_context: postContext });
}

const framesOf = (event: Event): StackFrame[][] =>
  (event.exception?.values ?? []).map((exception) => exception.stacktrace?.frames ?? []).filter((frames) => frames.length > 0);

/**
 * The frame lines wanted, by file, for frames worth reading. Files come in Sentry's order (each
 * exception's frames from the innermost out), which decides what the 10-file cache keeps.
 */
function linesByFile(event: Event): Map<string, number[]> {
  const wanted = new Map<string, number[]>();
  for (const frames of framesOf(event)) {
    for (let i = frames.length - 1; i >= 0; i--) {
      const frame = frames[i];
      const { filename, lineno } = frame;
      if (typeof filename !== 'string' || typeof lineno !== 'number' || shouldSkipFile(filename) || shouldSkipFrame(frame)) continue;
      const lines = wanted.get(filename);
      if (lines === undefined) wanted.set(filename, [lineno]);
      else lines.push(lineno);
    }
  }
  return wanted;
}

async function addSourceContext(event: Event, contextLines: number): Promise<Event> {
  if (!(contextLines > 0)) return event;
  const wanted = linesByFile(event);
  if (!wanted.size) return event;

  const reads: Array<Promise<void>> = [];
  for (const [file, lines] of wanted) {
    if (unreadable.get(file)) continue;
    const ranges = lineRanges(lines.sort((a, b) => a - b), contextLines);
    if (rangesCached(fileLines.get(file), ranges)) continue;
    let cached = fileLines.get(file);
    if (cached === undefined) fileLines.set(file, (cached = {}));
    reads.push(readLines(file, ranges, cached));
  }
  // As Sentry's: a path refused outright ends the wait, and frames get the lines read by then.
  await Promise.all(reads).catch(() => undefined);

  for (const frames of framesOf(event)) {
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i];
      if (!frame.filename || frame.context_line !== undefined || typeof frame.lineno !== 'number') continue;
      const lines = fileLines.get(frame.filename);
      if (lines !== undefined) frames[i] = frameWithContext(frame, frame.lineno, contextLines, lines);
    }
  }
  return event;
}

export interface ContextLinesOptions {
  /**
   * Lines of source before and after each frame's line; 0 reads no file.
   * @default the client's `dataCollection.frameContextLines` (5)
   */
  frameContextLines?: number;
}

/** Capture the lines before and after each stack frame's line, as `@sentry/node`'s `contextLinesIntegration`. */
export const contextLinesIntegration = defineIntegration((options: ContextLinesOptions = {}) => ({
  name: 'ContextLines' as const,
  processEvent(event: Event, _hint: unknown, client: Client | undefined): Promise<Event> {
    // An event without source lines is still worth sending.
    return Promise.resolve()
      .then(() => addSourceContext(event, options.frameContextLines ?? client?.getDataCollectionOptions().frameContextLines ?? DEFAULT_LINES_OF_CONTEXT))
      .catch(() => event);
  },
}));
