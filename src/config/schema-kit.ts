// Building blocks shared by the section schemas in ./sections/: value types MAS uses in many places
// (ULIDs, URLs, JWS algorithms) and the "inline value or `_file`, not both" rule.

import { z } from 'zod';

/** A ULID, as MAS's `ulid` crate reads it: 26 Crockford base-32 characters, any case, ≤ 2^128. */
export const ULID_PATTERN = '^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$';

export function ulid(description: string) {
  return z
    .string()
    .regex(new RegExp(ULID_PATTERN), {
      message: 'must be a ULID (26 characters of 0-9 and A-Z without I, L, O, U)',
    })
    .describe(description);
}

/** An absolute URL (anything `new URL()` accepts, so custom schemes of native apps too). */
export function url(description: string) {
  return z.url({ message: 'must be an absolute URL' }).describe(description);
}

/** JWS `alg` values from the IANA registry, as MAS accepts them. */
export const JWS_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'none',
  'EdDSA',
  'ES256K',
  'Ed25519',
  'Ed448',
] as const;

export function jwsAlgorithm(description: string) {
  return z.enum(JWS_ALGORITHMS).describe(description);
}

/** A TCP port. */
export function port(description: string) {
  return z.number().int().min(1).max(65535).describe(description);
}

type RefinementContext = z.core.$RefinementCtx<Record<string, unknown>>;

/** Adds an issue when both `inline` and `file` keys are set (the consumer reads the file). */
export function notBoth(
  value: Record<string, unknown>,
  ctx: RefinementContext,
  inline: string,
  file: string,
): void {
  if (value[inline] !== undefined && value[file] !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [file],
      message: `set \`${inline}\` or \`${file}\`, not both`,
    });
  }
}

/** Adds an issue when neither `inline` nor `file` is set. */
export function oneOf(
  value: Record<string, unknown>,
  ctx: RefinementContext,
  inline: string,
  file: string,
): void {
  if (value[inline] === undefined && value[file] === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [inline],
      message: `missing: set \`${inline}\` or \`${file}\``,
    });
  }
}
