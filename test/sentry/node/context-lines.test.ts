import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as Sentry from '@sentry/node';
import { createStackParser, type Event, type Integration, type StackFrame } from '@sentry/core';
import { nodeStackLineParser, ServerRuntimeClient } from '@sentry/core/server';
import {
  contextLinesIntegration, frameWithContext, lineRanges, MAX_CONTEXTLINES_COLNO, MAX_CONTEXTLINES_LINENO, resetFileContentCache, shouldSkipFile,
} from '../../../src/sentry/node/context-lines';

/** A real client that never sends anything (no DSN, a transport that drops). */
function makeClient(frameContextLines?: number): ServerRuntimeClient {
  return new ServerRuntimeClient({
    dsn: undefined,
    integrations: [],
    transport: () => ({ send: async () => ({}), flush: async () => true }),
    stackParser: createStackParser(nodeStackLineParser()),
    ...(frameContextLines === undefined ? {} : { dataCollection: { frameContextLines } }),
  });
}
const client = makeClient();

let dir: string;
let fixtures = 0;

/** Writes a CommonJS file whose `fail()` throws on line `throwLine` (1-based), and returns the error it throws. */
function errorFromFile(lines: string[]): { file: string; error: Error; throwLine: number } {
  const file = path.join(dir, `fixture-${++fixtures}.js`);
  fs.writeFileSync(file, lines.join('\n'));
  const { fail } = require(file) as { fail: () => void };
  try {
    fail();
  } catch (error) {
    return { file, error: error as Error, throwLine: lines.findIndex((line) => line.includes('throw new Error')) + 1 };
  }
  throw new Error('the fixture did not throw');
}

const SOURCE = [
  '\'use strict\';',
  '// one',
  '// two',
  '// three',
  '// four',
  'function fail() {',
  '  throw new Error(\'from a real file\');',
  '}',
  '// after one',
  '// after two',
  'module.exports = { fail };',
];

async function eventFor(error: Error): Promise<Event> {
  return client.eventFromException(error);
}

async function processed(integration: Integration, event: Event, withClient = client): Promise<Event> {
  const result = await integration.processEvent?.(structuredClone(event), {}, withClient);
  assert.ok(result, 'the event is kept');
  return result;
}

const framesOf = (event: Event): StackFrame[] => event.exception?.values?.[0]?.stacktrace?.frames ?? [];
const frameIn = (event: Event, file: string): StackFrame | undefined => framesOf(event).find((frame) => frame.filename === file);
const CONTEXT_FIELDS = ['pre_context', 'context_line', 'post_context'];

/** Ours and Sentry's on the same event: the results must be the same. */
async function bothOn(event: Event, options?: { frameContextLines?: number }, withClient = client): Promise<Event> {
  const sentry = await processed(Sentry.contextLinesIntegration(options), event, withClient);
  const ours = await processed(contextLinesIntegration(options), event, withClient);
  assert.deepEqual(ours, sentry);
  return ours;
}

describe('contextLinesIntegration (port of @sentry/node\'s ContextLines)', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'context-lines-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is named ContextLines, as Sentry\'s', () => {
    assert.equal(contextLinesIntegration().name, 'ContextLines');
    assert.equal(MAX_CONTEXTLINES_LINENO, 10_000);
    assert.equal(MAX_CONTEXTLINES_COLNO, 1000);
  });

  it('adds the lines around a real error\'s frames, as Sentry\'s does', async () => {
    const { file, error, throwLine } = errorFromFile(SOURCE);
    const event = await bothOn(await eventFor(error));
    const frame = frameIn(event, file);
    assert.equal(frame?.lineno, throwLine);
    assert.deepEqual(frame?.pre_context, SOURCE.slice(throwLine - 6, throwLine - 1));
    assert.equal(frame?.context_line, '  throw new Error(\'from a real file\');');
    assert.deepEqual(frame?.post_context, SOURCE.slice(throwLine, throwLine + 5));
    const nodeFrame = framesOf(event).find((candidate) => candidate.filename?.startsWith('node:'));
    if (nodeFrame) assert.equal(nodeFrame.context_line, undefined, 'node internals get no context');
    // This file's frames (TypeScript run through tsx): its own lines, as on disk.
    const ownLines = fs.readFileSync(__filename, 'utf8').split('\n');
    const ownFrames = framesOf(event).filter((candidate) => candidate.filename === __filename);
    assert.ok(ownFrames.length > 0);
    for (const own of ownFrames) assert.equal(own.context_line, ownLines[(own.lineno ?? 0) - 1]);
  });

  const LINE_COUNTS: Array<number | undefined> = [undefined, 0, 1, 3, 7];
  for (const frameContextLines of LINE_COUNTS) {
    it(`frameContextLines ${frameContextLines ?? '(the client\'s: 5)'}: as Sentry's`, async () => {
      const { file, error } = errorFromFile(SOURCE);
      const frame = frameIn(await bothOn(await eventFor(error), frameContextLines === undefined ? undefined : { frameContextLines }), file);
      const expected = frameContextLines ?? 5;
      if (expected === 0) for (const field of CONTEXT_FIELDS) assert.equal(field in (frame ?? {}), false, field);
      else assert.equal(frame?.pre_context?.length, Math.min(expected, (frame?.lineno ?? 0) - 1));
    });
  }

  it('takes the client\'s dataCollection.frameContextLines when the option is not given', async () => {
    const { file, error } = errorFromFile(SOURCE);
    const twoLines = makeClient(2);
    const frame = frameIn(await bothOn(await eventFor(error), undefined, twoLines), file);
    assert.equal(frame?.pre_context?.length, 2);
    assert.equal(frame?.post_context?.length, 2);
  });

  it('cuts a very long line as Sentry does (the start of it, then {snip})', async () => {
    const long = `  throw new Error('long'); // ${'a'.repeat(5000)}`;
    const { file, error } = errorFromFile(['function fail() {', `  // ${'b'.repeat(300)}`, long, '}', 'module.exports = { fail };']);
    const frame = frameIn(await bothOn(await eventFor(error)), file);
    assert.equal(frame?.context_line, `${long.slice(0, 140)} {snip}`);
    assert.equal(frame?.pre_context?.[1], `  // ${'b'.repeat(135)} {snip}`);
  });

  const SKIPPED: Array<{ name: string; lines: string[] }> = [
    { name: `a frame past column ${MAX_CONTEXTLINES_COLNO}`, lines: ['function fail() {', `${' '.repeat(1100)}throw new Error('wide');`, '}', 'module.exports = { fail };'] },
    { name: `a frame past line ${MAX_CONTEXTLINES_LINENO}`, lines: ['function fail() {', ...Array<string>(10_001).fill(''), 'throw new Error(\'deep\');', '}', 'module.exports = { fail };'] },
  ];
  for (const { name, lines } of SKIPPED) {
    it(`${name} gets no context, as with Sentry's`, async () => {
      const { file, error } = errorFromFile(lines);
      const frame = frameIn(await bothOn(await eventFor(error)), file);
      assert.ok(frame);
      for (const field of CONTEXT_FIELDS) assert.equal(field in frame, false, field);
    });
  }

  it('leaves a frame whose file is missing without context, sends the event, and does not try that file again', async () => {
    const { file, error } = errorFromFile(SOURCE);
    const missing = path.join(dir, 'gone', 'missing.js');
    const event = await eventFor(error);
    framesOf(event).push({ filename: missing, lineno: 3, colno: 1, function: 'gone', in_app: true });

    const first = await bothOn(event);
    assert.ok(frameIn(first, file)?.context_line, 'the other frames still get theirs');
    for (const field of CONTEXT_FIELDS) assert.equal(field in frameIn(first, missing)!, false, field);

    // A failed read is remembered: the file appearing later changes nothing until the cache forgets it.
    fs.mkdirSync(path.dirname(missing));
    fs.writeFileSync(missing, SOURCE.join('\n'));
    assert.equal(frameIn(await bothOn(event), missing)?.context_line, undefined);
    resetFileContentCache();
    assert.equal(frameIn(await processed(contextLinesIntegration(), event), missing)?.context_line, '// two');
  });

  it('sends the event, as Sentry\'s does, when a path cannot even be opened', async () => {
    const { error } = errorFromFile(SOURCE);
    const event = await eventFor(error);
    const refused = path.join(dir, 'nul\0byte.js');
    framesOf(event).push({ filename: refused, lineno: 3, colno: 1, function: 'refused', in_app: true });
    const result = await bothOn(event);
    assert.equal(frameIn(result, refused)?.context_line, undefined);
  });

  it('sends events without exceptions or frames unchanged', async () => {
    for (const event of [{ message: 'no exception' }, { exception: { values: [{ type: 'Error', value: 'no stack' }] } }] as Event[]) {
      assert.deepEqual(await bothOn(event), event);
    }
  });

  it('merges overlapping line ranges as Sentry does', () => {
    const CASES: Array<{ lines: number[]; context: number; ranges: Array<[number, number]> }> = [
      { lines: [], context: 5, ranges: [] },
      { lines: [3], context: 5, ranges: [[1, 8]] },
      { lines: [10, 12], context: 5, ranges: [[5, 17]] },
      { lines: [10, 15, 19], context: 5, ranges: [[5, 24]] },
      { lines: [10, 12, 30], context: 5, ranges: [[5, 17], [25, 35]] },
      // Sentry merges only when the next frame's line falls inside the range, not when the ranges overlap.
      { lines: [10, 16], context: 5, ranges: [[5, 15], [11, 21]] },
    ];
    for (const { lines, context, ranges } of CASES) assert.deepEqual(lineRanges(lines, context), ranges, JSON.stringify(lines));
  });

  it('builds each frame with its context anew, never changing the parsed frame', () => {
    const lines = { 1: 'a', 2: 'b', 3: 'c', 4: 'd', 6: 'f' };
    const frame: StackFrame = { filename: '/app/x.js', function: 'f', lineno: 2, colno: 1, in_app: true };
    const stale: StackFrame = { ...frame, lineno: 5, pre_context: ['old'], context_line: 'old', post_context: [] };
    const CASES: Array<{ name: string; frame: StackFrame; context: number; expected: StackFrame }> = [
      { name: 'lines before, the line, lines after up to the end', frame, context: 2, expected: { ...frame, pre_context: ['a'], context_line: 'b', post_context: ['c', 'd'] } },
      { name: 'no context lines asked', frame: { ...frame, lineno: 3 }, context: 0, expected: { ...frame, lineno: 3, pre_context: [], context_line: 'c', post_context: [] } },
      { name: 'after-lines stop at the first missing one', frame: { ...frame, lineno: 4 }, context: 3, expected: { ...frame, lineno: 4, pre_context: ['a', 'b', 'c'], context_line: 'd', post_context: [] } },
      { name: 'a missing line before: no context at all', frame: { ...frame, lineno: 6 }, context: 2, expected: { ...frame, lineno: 6 } },
      { name: 'its own line missing: earlier context removed', frame: stale, context: 1, expected: { ...frame, lineno: 5 } },
    ];
    for (const { name, frame: input, context, expected } of CASES) {
      const before = structuredClone(input);
      assert.deepEqual(frameWithContext(input, input.lineno as number, context, lines), expected, name);
      assert.deepEqual(input, before, `${name}: the parsed frame is left as it was`);
    }
  });

  it('skips the files Sentry skips', () => {
    const CASES: Array<[string, boolean]> = [
      ['node:internal/process/task_queues', true],
      ['data:text/javascript,throw 1', true],
      ['/app/dist/bundle.min.js', true],
      ['/app/dist/bundle.MIN.CJS', true],
      ['/app/dist/bundle.min.mjs', true],
      ['/app/data.json', true],
      ['/app/native.node', true],
      ['/app/server.js', false],
      ['/app/server.mjs', false],
      ['/app/server.cts', false],
      ['/app/view.tsx', false],
      ['/app/page.svelte', false],
      ['file:///app/server.js?v=1#x', false],
      ['/app/node_modules/express/lib/router.js', false],
    ];
    for (const [file, skipped] of CASES) assert.equal(shouldSkipFile(file), skipped, file);
  });
});
