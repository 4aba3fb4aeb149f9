import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '../../src/oauth2/errors.ts';
import { formatScope, isScopeToken, parseScope, scopeIncludes } from '../../src/oauth2/scope.ts';

describe('scope', () => {
  it('parses, dedupes and sorts', () => {
    assert.deepEqual(parseScope('openid email openid urn:matrix:client:api:*'), [
      'email',
      'openid',
      'urn:matrix:client:api:*',
    ]);
    assert.deepEqual(parseScope(undefined), []);
    assert.deepEqual(parseScope(''), []);
    assert.equal(formatScope(['b', 'a', 'b']), 'a b');
  });

  it('refuses characters outside the RFC 6749 scope-token set and bad separators', () => {
    for (const bad of ['open"id', 'a\\b', 'a  b', ' a', 'a\tb', 'é']) {
      assert.throws(
        () => parseScope(bad),
        (e: unknown) => e instanceof OAuthError && e.error === 'invalid_scope',
        bad,
      );
    }
    assert.equal(isScopeToken('!#[]~'), true);
  });

  it('checks inclusion', () => {
    assert.equal(scopeIncludes(['openid', 'email'], ['email']), true);
    assert.equal(scopeIncludes(['openid'], ['openid', 'email']), false);
  });
});
