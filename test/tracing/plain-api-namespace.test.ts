import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { plainNamespace } from '../../src/tracing/plain-api-namespace';

// rolldown's own helper, as the SDK's files call it: the copy must read exactly as its namespace does.
const { __toESM: rolldownToEsm } = require(join(dirname(require.resolve('@opentelemetry/sdk-trace')), '_virtual', '_rolldown', 'runtime.cjs')) as {
  __toESM: (mod: unknown, isNodeMode?: unknown) => Record<string, unknown>;
};

function describeNamespace(namespace: object): unknown {
  return {
    prototype: Object.getPrototypeOf(namespace),
    keys: Object.getOwnPropertyNames(namespace),
    enumerable: Object.keys(namespace),
    values: Object.getOwnPropertyNames(namespace).map((key) => (namespace as Record<string, unknown>)[key]),
  };
}

function assignmentError(namespace: object): string | undefined {
  try {
    (namespace as Record<string, unknown>).trace = 'replaced';
    return undefined;
  } catch (error) {
    return (error as Error).constructor.name;
  }
}

describe('plainNamespace: rolldown\'s __toESM namespace, with values instead of bound getters', () => {
  const helper = () => 'helper';
  const cases: Array<[string, () => object, unknown]> = [
    ['an ES module build with a default export', () => Object.defineProperty({ trace: 1, default: 'd' }, '__esModule', { value: true }), undefined],
    ['an ES module build without a default', () => Object.defineProperty({ trace: 1, context: 2 }, '__esModule', { value: true }), undefined],
    ['plain CommonJS: the module is the default', () => ({ trace: 1, helper }), undefined],
    ['node mode: the module is the default even with its own', () => Object.defineProperty({ trace: 1, default: 'd' }, '__esModule', { value: true }), true],
    ['a non-enumerable export stays non-enumerable', () => Object.defineProperty({ trace: 1 }, 'hidden', { value: 3, enumerable: false }), undefined],
    ['a null-prototype exports object', () => Object.assign(Object.create(null) as object, { trace: 1 }), undefined],
    ['the real @opentelemetry/api', () => require('@opentelemetry/api') as object, undefined],
  ];
  for (const [name, make, isNodeMode] of cases) {
    it(name, () => {
      const mod = make();
      const ours = plainNamespace(mod, isNodeMode);
      assert.deepEqual(describeNamespace(ours), describeNamespace(rolldownToEsm(mod, isNodeMode)));
      assert.equal(assignmentError(ours), assignmentError(rolldownToEsm(mod, isNodeMode)), 'read-only as the getters are');
    });
  }
});

describe('loadSdkTrace, loadKnexInstrumentation: their files read the API as values, and rolldown\'s helper is put back', () => {
  it('loads both with the API copied, other namespaces left to rolldown, and spans still made', () => {
    const dist = join(__dirname, '..', '..', 'dist', 'src', 'tracing', 'plain-api-namespace.js');
    // A fresh process: neither package is loaded yet. Each package's rolldown helper is wrapped to see what reaches it.
    const script = `
      const path = require('node:path');
      const api = require('@opentelemetry/api');
      const seen = [];
      const spies = ['@opentelemetry/sdk-trace', '@opentelemetry/instrumentation-knex'].map((name) => {
        const runtime = require(path.join(path.dirname(require.resolve(name)), '_virtual', '_rolldown', 'runtime.cjs'));
        const original = runtime.__toESM;
        const spy = (mod, ...rest) => { seen.push(mod === api ? 'api' : 'other'); return original(mod, ...rest); };
        runtime.__toESM = spy;
        return () => runtime.__toESM === spy;
      });
      const ours = require(${JSON.stringify(dist)});
      const sdk = ours.loadSdkTrace();
      const { KnexInstrumentation } = ours.loadKnexInstrumentation();
      const provider = new sdk.TracerProvider({});
      const span = provider.getTracer('t').startSpan('s', { kind: api.SpanKind.SERVER });
      console.log(JSON.stringify({
        seen, restored: spies.map((check) => check()), recording: span.isRecording(), kind: span.kind,
        knex: new KnexInstrumentation({ enabled: false }).instrumentationName, again: sdk === ours.loadSdkTrace(),
      }));
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: join(__dirname, '..', '..') });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      seen: [], restored: [true, true], recording: true, kind: 1, knex: '@opentelemetry/instrumentation-knex', again: true,
    });
  });
});
