// Proof Key for Code Exchange (RFC 7636): checking a `code_verifier` against the stored
// `code_challenge`. Discovery advertises `plain` and `S256` (as MAS); whether a client may use
// `plain` is the authorization endpoint's decision.

import { createHash, timingSafeEqual } from 'node:crypto';

export const CODE_CHALLENGE_METHODS = ['plain', 'S256'] as const;
export type CodeChallengeMethod = (typeof CODE_CHALLENGE_METHODS)[number];

/** code-verifier = 43*128unreserved (§4.1); a challenge has the same shape (§4.2). */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export function isCodeChallengeMethod(value: string): value is CodeChallengeMethod {
  return (CODE_CHALLENGE_METHODS as readonly string[]).includes(value);
}

export function isValidCodeVerifier(verifier: string): boolean {
  return VERIFIER.test(verifier);
}

/** A challenge as sent to /authorize: S256 challenges are 43 base64url characters. */
export function isValidCodeChallenge(challenge: string, method: CodeChallengeMethod): boolean {
  return method === 'S256' ? /^[A-Za-z0-9_-]{43}$/.test(challenge) : VERIFIER.test(challenge);
}

/** BASE64URL(SHA256(ASCII(verifier))). */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** True when `verifier` is well formed and matches `challenge` under `method` (constant time). */
export function verifyCodeVerifier(
  method: CodeChallengeMethod,
  challenge: string,
  verifier: string,
): boolean {
  if (!isValidCodeVerifier(verifier)) return false;
  const expected = method === 'S256' ? s256Challenge(verifier) : verifier;
  const a = Buffer.from(expected, 'ascii');
  const b = Buffer.from(challenge, 'ascii');
  return a.length === b.length && timingSafeEqual(a, b);
}
