// zxcvbn password complexity: the minimum score and the reason shown.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkPasswordComplexity,
  complexityMessage,
} from '../../src/policy/password-complexity.ts';

describe('password complexity', () => {
  it('refuses a common password with zxcvbn’s warning and suggestions', async () => {
    const result = await checkPasswordComplexity('password1', 3);
    assert.equal(result.ok, false);
    assert.ok(result.score < 3);
    assert.match(
      result.reason!,
      /^This password is too weak: .*commonly used password|heavily used|common/i,
    );
    assert.ok(result.suggestions.length > 0);
    assert.match(complexityMessage(result), /too weak/);
  });

  it('accepts a long passphrase', async () => {
    const result = await checkPasswordComplexity('correct horse battery staple 1987', 3);
    assert.deepEqual(result, {
      ok: true,
      score: 4,
      reason: null,
      suggestions: [],
      warningCode: null,
      suggestionCodes: [],
    });
  });

  it('the minimum is configurable: 0 accepts anything', async () => {
    assert.equal((await checkPasswordComplexity('a', 0)).ok, true);
    assert.equal((await checkPasswordComplexity('a', 1)).ok, false);
  });

  it('counts the user’s own inputs as guessable', async () => {
    const password = 'zanzibarquokka';
    const without = await checkPasswordComplexity(password, 3);
    const withInput = await checkPasswordComplexity(password, 3, ['zanzibarquokka']);
    assert.ok(withInput.score < without.score, `${withInput.score} < ${without.score}`);
    assert.equal(withInput.ok, false);
  });
});
