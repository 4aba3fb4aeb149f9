// The keystore: the server's private signing keys, loaded once from `secrets` at start-up. It
// publishes the public JWKS (`/oauth2/keys.json`), picks a key for an algorithm, and signs and
// verifies compact JWS. Reading files lives in key-sources.ts, parsing in private-key-parse.ts,
// key types in signing-key.ts, JWS mechanics in jws.ts.

import type { SecretsConfig } from '../config/sections/secrets.ts';
import { readKeySources } from './key-sources.ts';
import {
  signJws,
  verifyJws,
  peekJwsHeader,
  JwsVerificationError,
  type JwsHeaderParams,
  type VerifiedJws,
} from './jws.ts';
import { parsePrivateKey } from './private-key-parse.ts';
import { KeystoreError, type SecretProblem } from './secrets-error.ts';
import {
  SIGNING_ALGORITHMS,
  createSigningKey,
  describeKeyObject,
  type PublicJwk,
  type SigningAlgorithm,
  type SigningKey,
} from './signing-key.ts';

export { KeystoreError, JwsVerificationError, SIGNING_ALGORITHMS, createSigningKey };
export type { JwsHeaderParams, PublicJwk, SigningAlgorithm, SigningKey, VerifiedJws };

/** What to sign: raw bytes or a string, or a protected header plus a payload (objects become JSON). */
export type JwsInput =
  | Uint8Array
  | string
  | { header?: JwsHeaderParams; payload: Uint8Array | string | Record<string, unknown> };

/** No key in the keystore can produce the requested algorithm (or has the requested kid). */
export class NoSigningKeyError extends Error {
  constructor(alg: string, kid: string | undefined) {
    super(kid === undefined ? `no signing key for ${alg}` : `no signing key ${kid} for ${alg}`);
    this.name = 'NoSigningKeyError';
  }
}

export interface JwksDocument {
  keys: PublicJwk[];
}

const encoder = new TextEncoder();

export class Keystore {
  readonly #keys: readonly SigningKey[];

  constructor(keys: readonly SigningKey[]) {
    const kids = new Set<string>();
    for (const key of keys) {
      if (kids.has(key.kid)) throw new TypeError(`duplicate kid ${key.kid}`);
      kids.add(key.kid);
    }
    this.#keys = [...keys];
  }

  /** Every key, in configuration order. */
  get keys(): readonly SigningKey[] {
    return this.#keys;
  }

  /** Algorithms at least one key can sign with (for `*_signing_alg_values_supported`). */
  algorithms(): SigningAlgorithm[] {
    return SIGNING_ALGORITHMS.filter((alg) =>
      this.#keys.some((key) => key.algorithms.includes(alg)),
    );
  }

  /** The first key that signs `alg` (and has `kid`, when given), or null. */
  findKey(alg: SigningAlgorithm, kid?: string): SigningKey | null {
    return (
      this.#keys.find(
        (key) => key.algorithms.includes(alg) && (kid === undefined || key.kid === kid),
      ) ?? null
    );
  }

  /** The public JWKS: one entry per key, with `kid` and `use: sig`, as MAS serves it. */
  publicJwks(): JwksDocument {
    return { keys: this.#keys.map((key) => ({ ...key.publicJwk })) };
  }

  /** A compact JWS of `input` made with `alg` (and the key `kid`, when given). */
  async sign(input: JwsInput, alg: SigningAlgorithm, kid?: string): Promise<string> {
    const key = this.findKey(alg, kid);
    if (key === null) throw new NoSigningKeyError(alg, kid);
    const { header, payload } =
      typeof input === 'string' || input instanceof Uint8Array
        ? { header: {}, payload: input }
        : input;
    return signJws(key, alg, header ?? {}, toBytes(payload));
  }

  /**
   * Verifies a compact JWS made by one of this keystore's keys: by its `kid` when the header has one,
   * else by any key that signs its `alg`. Throws JwsVerificationError.
   */
  async verify(
    jws: string,
    options: { algorithms?: readonly SigningAlgorithm[] } = {},
  ): Promise<VerifiedJws & { key: SigningKey }> {
    const header = peekJwsHeader(jws);
    const allowed = options.algorithms ?? SIGNING_ALGORITHMS;
    const alg = allowed.find((candidate) => candidate === header.alg);
    if (alg === undefined)
      throw new JwsVerificationError(`JWS algorithm ${String(header.alg)} is not allowed`);
    const candidates = this.#keys.filter(
      (key) => key.algorithms.includes(alg) && (header.kid === undefined || key.kid === header.kid),
    );
    if (candidates.length === 0) throw new JwsVerificationError('JWS signed by an unknown key');
    for (const key of candidates) {
      try {
        return { ...(await verifyJws(key, jws)), key };
      } catch (error) {
        if (!(error instanceof JwsVerificationError)) throw error;
      }
    }
    throw new JwsVerificationError('invalid JWS signature');
  }
}

function toBytes(payload: Uint8Array | string | Record<string, unknown>): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  return encoder.encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
}

/**
 * Loads every key from `secrets.keys_dir` and `secrets.keys`. Throws a KeystoreError listing every
 * unreadable, unparsable or unsupported key, duplicate kid, and a missing RSA key, all at once.
 */
export async function loadKeystore(secrets: SecretsConfig): Promise<Keystore> {
  const problems: SecretProblem[] = [];
  const keys: SigningKey[] = [];
  const kidOwners = new Map<string, string>();

  for (const result of await readKeySources(secrets)) {
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    const { source } = result;
    const parsed = parsePrivateKey(source.bytes, source.passwords);
    if (!parsed.ok) {
      const path =
        parsed.field === 'password' && source.passwordPath !== undefined
          ? source.passwordPath
          : source.keyPath;
      problems.push({ path, message: parsed.message });
      continue;
    }
    const described = describeKeyObject(parsed.key);
    if (!described.ok) {
      problems.push({ path: source.keyPath, message: described.message });
      continue;
    }
    const key = createSigningKey(parsed.key, source.kid);
    const owner = kidOwners.get(key.kid);
    if (owner !== undefined) {
      problems.push({
        path: source.kidPath ?? source.keyPath,
        message: `duplicate kid ${key.kid} (also used by ${owner})`,
      });
      continue;
    }
    kidOwners.set(key.kid, source.keyPath);
    keys.push(key);
  }

  if (!keys.some((key) => key.kty === 'RSA')) {
    problems.push(noRsaKey());
  }
  if (problems.length > 0) throw new KeystoreError(problems);
  return new Keystore(keys);
}

function noRsaKey(): SecretProblem {
  return {
    path: 'secrets.keys',
    message:
      'no usable RSA key: at least one RSA key is required, since OpenID Connect requires RS256',
  };
}
