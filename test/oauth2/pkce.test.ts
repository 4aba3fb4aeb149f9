import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isValidCodeChallenge,
  isValidCodeVerifier,
  s256Challenge,
  verifyCodeVerifier,
} from '../../src/oauth2/pkce.ts';

// RFC 7636 appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE', () => {
  it('computes the RFC 7636 appendix B S256 challenge', () => {
    assert.equal(s256Challenge(VERIFIER), CHALLENGE);
  });

  it('verifies S256 and plain, and refuses mismatches', () => {
    assert.equal(verifyCodeVerifier('S256', CHALLENGE, VERIFIER), true);
    assert.equal(verifyCodeVerifier('S256', CHALLENGE, `${VERIFIER.slice(0, -1)}l`), false);
    assert.equal(verifyCodeVerifier('plain', VERIFIER, VERIFIER), true);
    assert.equal(verifyCodeVerifier('plain', CHALLENGE, VERIFIER), false);
    // plain with the S256 challenge as verifier is not S256.
    assert.equal(verifyCodeVerifier('S256', CHALLENGE, CHALLENGE), false);
  });

  it('checks the verifier charset and 43..128 length', () => {
    assert.equal(isValidCodeVerifier('a'.repeat(42)), false);
    assert.equal(isValidCodeVerifier('a'.repeat(43)), true);
    assert.equal(isValidCodeVerifier('a'.repeat(128)), true);
    assert.equal(isValidCodeVerifier('a'.repeat(129)), false);
    assert.equal(isValidCodeVerifier(`${'a'.repeat(42)}+`), false);
    assert.equal(isValidCodeVerifier(`${'a'.repeat(42)}~`), true);
    assert.equal(verifyCodeVerifier('plain', 'short', 'short'), false);
  });

  it('checks challenge shapes', () => {
    assert.equal(isValidCodeChallenge(CHALLENGE, 'S256'), true);
    assert.equal(isValidCodeChallenge(`${CHALLENGE}A`, 'S256'), false);
    assert.equal(isValidCodeChallenge(VERIFIER, 'plain'), true);
  });
});
