// The OpenID Connect ID token (OIDC Core §2, §3.1.3.6, §3.3.2.11): claims, hashes of the access
// token and code, and the signature with the keystore key the client asked for (its
// `id_token_signed_response_alg`, RS256 by default). Valid for one hour, as in MAS.

import { createHash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Keystore } from '../crypto/keystore.ts';
import { NoSigningKeyError } from '../crypto/keystore.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../crypto/signing-key.ts';

export const ID_TOKEN_LIFETIME_SECONDS = 3600;
export const DEFAULT_ID_TOKEN_ALG: SigningAlgorithm = 'RS256';

/** Claims the caller cannot override through `extraClaims`. */
const RESERVED = new Set([
  'iss',
  'sub',
  'aud',
  'iat',
  'exp',
  'nonce',
  'auth_time',
  'at_hash',
  'c_hash',
]);

export interface IdTokenInput {
  readonly issuer: string;
  readonly clientId: string;
  /** The user's id. */
  readonly subject: string;
  /** The client's `id_token_signed_response_alg`; null for the default. */
  readonly alg: string | null;
  readonly nonce?: string | null;
  /** When the user last authenticated. */
  readonly authTime?: Date | null;
  /** The access token issued with it, for `at_hash`. */
  readonly accessToken?: string | null;
  /** The authorization code, for `c_hash`. */
  readonly code?: string | null;
  /** `email`, `name`, ... as the granted scopes allow. */
  readonly extraClaims?: Readonly<Record<string, unknown>>;
}

/** The hash function OIDC pairs with a JWS algorithm (EdDSA with Ed25519 uses SHA-512). */
function hashFor(alg: SigningAlgorithm): 'sha256' | 'sha384' | 'sha512' {
  if (alg === 'EdDSA' || alg.endsWith('512')) return 'sha512';
  if (alg.endsWith('384')) return 'sha384';
  return 'sha256';
}

/** `at_hash` / `c_hash`: base64url of the left half of the hash of the ASCII value. */
export function leftHalfHash(value: string, alg: SigningAlgorithm): string {
  const digest = createHash(hashFor(alg)).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export function idTokenAlgorithm(alg: string | null): SigningAlgorithm {
  if (alg === null) return DEFAULT_ID_TOKEN_ALG;
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(alg))
    throw new NoSigningKeyError(alg, undefined);
  return alg as SigningAlgorithm;
}

/** The signed id_token. Throws NoSigningKeyError when no key signs the client's algorithm. */
export async function signIdToken(
  input: IdTokenInput,
  keystore: Keystore,
  clock: Clock,
): Promise<string> {
  const alg = idTokenAlgorithm(input.alg);
  const key = keystore.findKey(alg);
  if (key === null) throw new NoSigningKeyError(alg, undefined);
  const iat = Math.floor(clock.now().getTime() / 1000);
  const claims: Record<string, unknown> = {
    iss: input.issuer,
    sub: input.subject,
    aud: input.clientId,
    iat,
    exp: iat + ID_TOKEN_LIFETIME_SECONDS,
  };
  if (input.nonce != null) claims.nonce = input.nonce;
  if (input.authTime != null) claims.auth_time = Math.floor(input.authTime.getTime() / 1000);
  if (input.accessToken != null) claims.at_hash = leftHalfHash(input.accessToken, alg);
  if (input.code != null) claims.c_hash = leftHalfHash(input.code, alg);
  for (const [name, value] of Object.entries(input.extraClaims ?? {})) {
    if (!RESERVED.has(name) && value !== undefined) claims[name] = value;
  }
  return keystore.sign({ header: { typ: 'JWT' }, payload: claims }, alg, key.kid);
}
