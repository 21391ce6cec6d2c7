import assert from 'node:assert/strict';
import { Scope } from '@sentry/core';
import { LazyRequestScopes, MAX_PENDING_WRITES, writeTo } from '../../src/sentry/otel-scopes';

/** A request's scopes whose isolation scope is a real Sentry Scope, counting how often it is made. */
function lazyScopes(): { scopes: LazyRequestScopes; made: () => number } {
  let made = 0;
  const scopes = new LazyRequestScopes(() => {
    made++;
    return new Scope();
  });
  return { scopes, made: () => made };
}

describe('LazyRequestScopes: writes wait until the request scope is read', () => {
  it('makes no scope for writes alone, then applies them in order on the first read', () => {
    const { scopes, made } = lazyScopes();
    writeTo(scopes, (scope) => scope.setUser({ id: 'first' }));
    writeTo(scopes, (scope) => scope.addBreadcrumb({ message: 'one' }));
    writeTo(scopes, (scope) => scope.setUser({ id: 'second' }));
    writeTo(scopes, (scope) => scope.addBreadcrumb({ message: 'two' }));
    assert.equal(made(), 0);
    assert.equal(scopes.isolationScopeIfMade(), undefined);

    const data = scopes.isolationScope.getScopeData();
    assert.equal(made(), 1);
    assert.deepEqual(data.user, { id: 'second' });
    assert.deepEqual(data.breadcrumbs.map((crumb) => crumb.message), ['one', 'two']);
  });

  it('applies a write at once when the scope is already made', () => {
    const { scopes, made } = lazyScopes();
    const scope = scopes.isolationScope;
    writeTo(scopes, (target) => target.setTag('now', 'yes'));
    assert.equal(scope.getScopeData().tags.now, 'yes');
    assert.equal(scopes.isolationScope, scope);
    assert.equal(made(), 1);
  });

  it('a throwing write is skipped; the ones around it still apply and the reader never sees the throw', () => {
    const { scopes } = lazyScopes();
    writeTo(scopes, (scope) => scope.setTag('before', '1'));
    writeTo(scopes, () => {
      throw new Error('user callback broke');
    });
    writeTo(scopes, (scope) => scope.setTag('after', '1'));
    const tags = scopes.isolationScope.getScopeData().tags;
    assert.deepEqual({ before: tags.before, after: tags.after }, { before: '1', after: '1' });
  });

  it('a long request does not pile up writes: past the limit the scope is made and takes them', () => {
    const { scopes, made } = lazyScopes();
    for (let i = 0; i < MAX_PENDING_WRITES - 1; i++) writeTo(scopes, (scope) => scope.addBreadcrumb({ message: `query ${i}` }, 100));
    assert.equal(made(), 0);
    for (let i = MAX_PENDING_WRITES - 1; i < 10_000; i++) writeTo(scopes, (scope) => scope.addBreadcrumb({ message: `query ${i}` }, 100));
    assert.equal(made(), 1);
    const crumbs = scopes.isolationScope.getScopeData().breadcrumbs;
    assert.equal(crumbs.length, 100, 'the scope keeps its usual last 100');
    assert.equal(crumbs.at(-1)?.message, 'query 9999');
  });

  it('a throwing write never reaches the writer, whether the scope is made or not', () => {
    const { scopes } = lazyScopes();
    const scope = scopes.isolationScope;
    scope.addScopeListener(() => {
      throw new Error('an app scope listener broke');
    });
    assert.doesNotThrow(() => writeTo(scopes, (target) => target.setTag('made', 'yes')));
    assert.doesNotThrow(() => writeTo(scope, (target) => target.setTag('plain', 'yes')));
    assert.deepEqual([scope.getScopeData().tags.made, scope.getScopeData().tags.plain], ['yes', 'yes']);
  });

  it('writes to a plain Scope target directly', () => {
    const scope = new Scope();
    writeTo(scope, (target) => target.setTag('direct', 'yes'));
    assert.equal(scope.getScopeData().tags.direct, 'yes');
  });
});
