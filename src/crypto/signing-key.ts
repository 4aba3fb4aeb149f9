// One signing key: what it is (RSA, EC curve, Ed25519), which JWS algorithms it can produce, its
// key ID and its public JWK. To support one more key type, add a case to `describeKeyObject` and
// its algorithms to `SIGNING_ALGORITHMS` (and to src/crypto/jws.ts if jose cannot sign it).

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** Every JWS algorithm the keystore can produce, in the order discovery lists them. */
export const SIGNING_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES256K',
  'EdDSA',
] as const;

export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export type KeyType =
  | { kty: 'RSA'; crv?: undefined }
  | { kty: 'EC'; crv: 'P-256' | 'P-384' | 'secp256k1' }
  | { kty: 'OKP'; crv: 'Ed25519' };

/** A public JWK as published in the JWKS (never any private member). */
export interface PublicJwk {
  kty: 'RSA' | 'EC' | 'OKP';
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
  use: 'sig';
  alg?: SigningAlgorithm;
  kid: string;
}

export type SigningKey = KeyType & {
  readonly kid: string;
  /** Algorithms this key signs with, strongest-compatibility first (RS256 first for RSA). */
  readonly algorithms: readonly SigningAlgorithm[];
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: PublicJwk;
};

/** Below this, jose refuses RSA signatures, and so do most relying parties. */
export const MIN_RSA_BITS = 2048;

const RSA_ALGORITHMS: readonly SigningAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
];

/** What kind of key this is and what it signs with, or why it cannot be used. */
export function describeKeyObject(
  key: KeyObject,
):
  | { ok: true; type: KeyType; algorithms: readonly SigningAlgorithm[] }
  | { ok: false; message: string } {
  if (key.type !== 'private') return { ok: false, message: 'not a private key' };
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) {
        return {
          ok: false,
          message: `RSA key is ${bits} bits; at least ${MIN_RSA_BITS} bits are required`,
        };
      }
      return { ok: true, type: { kty: 'RSA' }, algorithms: RSA_ALGORITHMS };
    }
    case 'ec':
      switch (details.namedCurve) {
        case 'prime256v1':
          return { ok: true, type: { kty: 'EC', crv: 'P-256' }, algorithms: ['ES256'] };
        case 'secp384r1':
          return { ok: true, type: { kty: 'EC', crv: 'P-384' }, algorithms: ['ES384'] };
        case 'secp256k1':
          return { ok: true, type: { kty: 'EC', crv: 'secp256k1' }, algorithms: ['ES256K'] };
        default:
          return {
            ok: false,
            message: `unsupported elliptic curve ${details.namedCurve ?? '(unnamed)'}; use P-256, P-384 or secp256k1`,
          };
      }
    case 'ed25519':
      return { ok: true, type: { kty: 'OKP', crv: 'Ed25519' }, algorithms: ['EdDSA'] };
    case 'rsa-pss':
      return {
        ok: false,
        message: 'RSA-PSS-only keys are not supported; use a plain RSA key (it also signs PS256)',
      };
    default:
      return {
        ok: false,
        message: `unsupported key type ${key.asymmetricKeyType ?? '(unknown)'}; use RSA, EC (P-256, P-384, secp256k1) or Ed25519`,
      };
  }
}

/** The public members of the key, in the order MAS serialises them. */
function publicMembers(publicKey: KeyObject, type: KeyType): Omit<PublicJwk, 'use' | 'kid'> {
  const jwk = publicKey.export({ format: 'jwk' });
  switch (type.kty) {
    case 'RSA':
      return { kty: 'RSA', n: jwk.n!, e: jwk.e! };
    case 'EC':
      return { kty: 'EC', crv: type.crv, x: jwk.x!, y: jwk.y! };
    case 'OKP':
      return { kty: 'OKP', crv: type.crv, x: jwk.x! };
  }
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url): the default `kid`, as in MAS. */
export function jwkThumbprint(jwk: Omit<PublicJwk, 'use' | 'kid'>): string {
  // The required members only, in lexicographic order, with no whitespace.
  const required =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : jwk.kty === 'EC'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
        : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(required)).digest('base64url');
}

/**
 * A signing key from a private KeyObject. `kid` defaults to the JWK thumbprint. Throws a TypeError
 * for a key type the keystore cannot use (the loader reports those as config problems first).
 */
export function createSigningKey(privateKey: KeyObject, kid?: string): SigningKey {
  const described = describeKeyObject(privateKey);
  if (!described.ok) throw new TypeError(described.message);
  const publicKey = createPublicKey(privateKey);
  const members = publicMembers(publicKey, described.type);
  const resolvedKid = kid ?? jwkThumbprint(members);
  // A key that serves one algorithm (EC, Ed25519) says which. An RSA key serves six (RS*, PS*), and a
  // JWK `alg` would forbid the other five to strict verifiers, so, as MAS, it carries none.
  const alg = described.algorithms.length === 1 ? described.algorithms[0] : undefined;
  const publicJwk: PublicJwk = {
    ...members,
    use: 'sig',
    kid: resolvedKid,
    ...(alg ? { alg } : {}),
  };
  return {
    ...described.type,
    kid: resolvedKid,
    algorithms: described.algorithms,
    privateKey,
    publicKey,
    publicJwk,
  };
}
