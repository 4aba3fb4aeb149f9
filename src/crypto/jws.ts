// Compact JWS signing and verification with one signing key. jose does the work for every
// algorithm it supports; ES256K (secp256k1), which jose does not support, goes through node:crypto
// with the same encoding (RFC 8812: SHA-256, r‖s signature).

import { sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import {
  CompactSign,
  compactVerify,
  decodeProtectedHeader,
  type CompactJWSHeaderParameters,
} from 'jose';
import type { SigningAlgorithm, SigningKey } from './signing-key.ts';

/** Extra protected-header parameters (`typ`, `cty`, ...). `alg` and `kid` come from the key. */
export type JwsHeaderParams = Omit<CompactJWSHeaderParameters, 'alg' | 'kid' | 'b64' | 'crit'> & {
  [name: string]: unknown;
};

export interface VerifiedJws {
  header: CompactJWSHeaderParameters;
  payload: Uint8Array;
}

/** A JWS that is malformed, signed by an unknown key, or whose signature does not match. */
export class JwsVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwsVerificationError';
  }
}

const encoder = new TextEncoder();

export async function signJws(
  key: SigningKey,
  alg: SigningAlgorithm,
  header: JwsHeaderParams,
  payload: Uint8Array,
): Promise<string> {
  if (!key.algorithms.includes(alg)) throw new TypeError(`key ${key.kid} cannot sign ${alg}`);
  // `alg` and `kid` first for readability, and never taken from `header`.
  const protectedHeader = Object.assign({ alg, kid: key.kid }, header, { alg, kid: key.kid });
  if (alg !== 'ES256K') {
    return new CompactSign(payload).setProtectedHeader(protectedHeader).sign(key.privateKey);
  }
  const signingInput = `${base64url(encoder.encode(JSON.stringify(protectedHeader)))}.${base64url(payload)}`;
  const signature = nodeSign('sha256', Buffer.from(signingInput), {
    key: key.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${signingInput}.${base64url(signature)}`;
}

/** Reads the protected header without verifying anything, to pick the key. */
export function peekJwsHeader(jws: string): CompactJWSHeaderParameters {
  try {
    return decodeProtectedHeader(jws) as CompactJWSHeaderParameters;
  } catch {
    throw new JwsVerificationError('malformed JWS');
  }
}

/** What verification reads of a key: our own signing keys and clients' public keys both fit. */
export type VerificationKey = Pick<SigningKey, 'kid' | 'algorithms' | 'publicKey'>;

export async function verifyJws(key: VerificationKey, jws: string): Promise<VerifiedJws> {
  const header = peekJwsHeader(jws);
  const alg = header.alg as SigningAlgorithm;
  if (!key.algorithms.includes(alg))
    throw new JwsVerificationError(`key ${key.kid} does not verify ${header.alg}`);
  if (alg !== 'ES256K') {
    try {
      const result = await compactVerify(jws, key.publicKey, { algorithms: [alg] });
      return { header: result.protectedHeader, payload: result.payload };
    } catch {
      throw new JwsVerificationError('invalid JWS signature');
    }
  }
  // node:crypto path: do by hand what jose checks for the other algorithms.
  if (header.crit !== undefined || header.b64 !== undefined) {
    throw new JwsVerificationError('unsupported JWS header parameter (crit/b64)');
  }
  const parts = jws.split('.');
  if (parts.length !== 3 || !parts.every(isBase64url))
    throw new JwsVerificationError('malformed JWS');
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  let valid = false;
  try {
    valid = nodeVerify(
      'sha256',
      Buffer.from(`${encodedHeader}.${encodedPayload}`),
      { key: key.publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(encodedSignature, 'base64url'),
    );
  } catch {
    // A signature of the wrong length throws rather than returning false.
  }
  if (!valid) throw new JwsVerificationError('invalid JWS signature');
  return { header, payload: new Uint8Array(Buffer.from(encodedPayload, 'base64url')) };
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function isBase64url(part: string): boolean {
  return /^[A-Za-z0-9_-]*$/.test(part);
}
