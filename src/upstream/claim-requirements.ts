// Gatehouse-only tests on upstream claims (beyond MAS): `claims_requirements` that must all hold
// for a login through a provider to go on, and `admin_claim`, which grants (and optionally
// revokes) admin rights on login. Pure functions over the claims the provider sent.
//
// A matcher names a claim by key; a key that is not itself a claim is read as a dotted path into
// nested objects (`realm_access.roles`), so URL-shaped claim names with dots still work.

import type { AdminClaim, ClaimMatcher, ClaimRequirement } from '../model/upstream-oauth.ts';

export type Claims = Readonly<Record<string, unknown>>;

/** The claim at `path`: the key itself first, then a dotted path; undefined when absent. */
export function claimAt(claims: Claims, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let current: unknown = claims;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** A scalar as text for comparison (strings as is, numbers and booleans in JSON form). */
function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

export function claimMatches(matcher: ClaimMatcher, claims: Claims): boolean {
  const value = claimAt(claims, matcher.claim);
  if (matcher.contains !== null) {
    const items = Array.isArray(value) ? value : [value];
    return items.some((item) => scalarText(item) === matcher.contains);
  }
  if (matcher.equals !== null) return scalarText(value) === matcher.equals;
  return false;
}

export type RequirementsOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly failed: ClaimRequirement;
      /** For the user: the requirement's own message, or a generic one. */
      readonly message: string;
    };

export const DEFAULT_REQUIREMENT_MESSAGE =
  'Your account at this provider is not allowed to sign in here.';

/** Whether every requirement holds; the first one that does not, otherwise. */
export function checkClaimsRequirements(
  requirements: readonly ClaimRequirement[],
  claims: Claims,
): RequirementsOutcome {
  for (const requirement of requirements) {
    if (!claimMatches(requirement, claims)) {
      return {
        ok: false,
        failed: requirement,
        message: requirement.message ?? DEFAULT_REQUIREMENT_MESSAGE,
      };
    }
  }
  return { ok: true };
}

/** What a login does to the user's admin rights (`can_request_admin`). */
export type AdminDecision = 'grant' | 'revoke' | 'keep';

export function adminDecision(adminClaim: AdminClaim | null, claims: Claims): AdminDecision {
  if (adminClaim === null) return 'keep';
  if (claimMatches(adminClaim, claims)) return 'grant';
  return adminClaim.revoke ? 'revoke' : 'keep';
}
