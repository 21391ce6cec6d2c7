import assert from 'node:assert/strict';
import { createContextKey, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { isTracingSuppressed, suppressTracing } from '@opentelemetry/core';
import { LeanContextManager, REQUEST_ROOT_CONTEXT } from '../../src/tracing/lean-context';

const A = createContextKey('a');
const B = createContextKey('b');

describe('lean context', () => {
  // Each case runs the same operations on the API's ROOT_CONTEXT and on ours: the results must agree.
  const cases: Array<[string, (root: Context) => Context, Array<[symbol, unknown]>]> = [
    ['empty', (root) => root, [[A, undefined], [B, undefined]]],
    ['one value', (root) => root.setValue(A, 1), [[A, 1], [B, undefined]]],
    ['two values', (root) => root.setValue(A, 1).setValue(B, 'b'), [[A, 1], [B, 'b']]],
    ['overwritten', (root) => root.setValue(A, 1).setValue(A, 2), [[A, 2]]],
    ['deleted', (root) => root.setValue(A, 1).setValue(B, 2).deleteValue(A), [[A, undefined], [B, 2]]],
    ['deleting what is not there', (root) => root.deleteValue(A), [[A, undefined]]],
  ];
  for (const [name, build, expected] of cases) {
    it(`behaves as the API's context: ${name}`, () => {
      const ours = build(REQUEST_ROOT_CONTEXT);
      const theirs = build(ROOT_CONTEXT);
      for (const [key, value] of expected) {
        assert.equal(ours.getValue(key), value);
        assert.equal(theirs.getValue(key), value);
      }
    });
  }

  it('is immutable: deriving never changes the context derived from', () => {
    const parent = REQUEST_ROOT_CONTEXT.setValue(A, 1);
    const child = parent.setValue(A, 2).setValue(B, 3);
    const without = parent.deleteValue(A);
    assert.equal(parent.getValue(A), 1);
    assert.equal(parent.getValue(B), undefined);
    assert.equal(child.getValue(A), 2);
    assert.equal(without.getValue(A), undefined);
    assert.equal(REQUEST_ROOT_CONTEXT.getValue(A), undefined);
  });

  it('works with what OpenTelemetry keeps in a context (spans, suppression)', () => {
    const span = trace.wrapSpanContext({ traceId: '771a43a4192642f0b136d5159a501700', spanId: 'b7ad6b7169203331', traceFlags: 1 });
    const withSpan = trace.setSpan(REQUEST_ROOT_CONTEXT, span);
    assert.equal(trace.getSpan(withSpan), span);
    assert.equal(isTracingSuppressed(suppressTracing(withSpan)), true);
    assert.equal(isTracingSuppressed(withSpan), false);
  });

  it('the manager gives the lean root outside any context, and the context entered inside one', () => {
    const manager = new LeanContextManager().enable();
    try {
      assert.equal(manager.active(), REQUEST_ROOT_CONTEXT);
      assert.equal(manager.with(ROOT_CONTEXT, () => manager.active()), REQUEST_ROOT_CONTEXT);
      const entered = REQUEST_ROOT_CONTEXT.setValue(A, 'request');
      assert.equal(manager.with(entered, () => manager.active()), entered);
      assert.equal(manager.with(entered, () => manager.active().setValue(B, 1).getValue(A)), 'request');
    } finally {
      manager.disable();
    }
  });
});
