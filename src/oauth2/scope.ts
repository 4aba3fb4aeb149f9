// Scopes (RFC 6749 §3.3): a space-delimited list of scope tokens, each made of printable ASCII
// except space, `"` and `\`. Gatehouse keeps them as a sorted set (as MAS does), so the same scopes
// always have the same string form.

import { OAuthError } from './errors.ts';

/** scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export function isScopeToken(token: string): boolean {
  return SCOPE_TOKEN.test(token);
}

/**
 * The scope tokens of `value`, deduplicated and sorted. Tokens are separated by single spaces;
 * anything else (tabs, double spaces, leading spaces) or a bad character is `invalid_scope`.
 * An absent or empty value is the empty list.
 */
export function parseScope(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  const tokens = value.split(' ');
  for (const token of tokens) {
    if (!isScopeToken(token)) {
      throw new OAuthError('invalid_scope', 'the scope parameter is malformed');
    }
  }
  return normaliseScope(tokens);
}

/** Sorted and without duplicates. */
export function normaliseScope(tokens: Iterable<string>): string[] {
  return [...new Set(tokens)].sort();
}

/** The wire form: normalised tokens joined by spaces. */
export function formatScope(tokens: Iterable<string>): string {
  return normaliseScope(tokens).join(' ');
}

/** True when every token of `requested` is in `granted`. */
export function scopeIncludes(granted: Iterable<string>, requested: Iterable<string>): boolean {
  const have = new Set(granted);
  for (const token of requested) if (!have.has(token)) return false;
  return true;
}
