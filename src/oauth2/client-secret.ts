// Client secrets: generated for confidential clients on registration, given in the config for
// static ones, and always stored encrypted with `secrets.encryption`. The encryption context names
// the client, so a stored secret cannot be moved to another client's row.

import type { Encrypter } from '../crypto/encrypter.ts';
import type { OAuth2ClientId } from '../model/ids.ts';
import { randomString, type Rng } from '../rng.ts';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 32 alphanumerics: about 190 bits (MAS generates 20). */
const SECRET_LENGTH = 32;

export function generateClientSecret(rng: Rng): string {
  return randomString(rng, ALPHANUMERIC, SECRET_LENGTH);
}

function context(clientId: OAuth2ClientId): string {
  return `oauth2_client_secret:${clientId}`;
}

export function encryptClientSecret(
  encrypter: Encrypter,
  rng: Rng,
  clientId: OAuth2ClientId,
  secret: string,
): string {
  return encrypter.encrypt(secret, rng, context(clientId));
}

/**
 * Decrypted secrets, per encrypter, keyed by client id and remembered with the ciphertext they came
 * from: a client whose stored secret changes (rotation, config sync) misses and is decrypted again.
 * Decrypting costs a cipher set-up per request on the token endpoint's hot path; the key that
 * could decrypt them is in the same memory anyway. Bounded: the oldest entry goes first.
 */
const MAX_CACHED_SECRETS = 1000;
const decrypted = new WeakMap<Encrypter, Map<string, { encrypted: string; secret: string }>>();

/** Throws DecryptionError when the stored value was not made for this client with this key. */
export function decryptClientSecret(
  encrypter: Encrypter,
  clientId: OAuth2ClientId,
  encrypted: string,
): string {
  let cache = decrypted.get(encrypter);
  if (cache === undefined) {
    cache = new Map();
    decrypted.set(encrypter, cache);
  }
  const hit = cache.get(clientId);
  if (hit !== undefined && hit.encrypted === encrypted) return hit.secret;
  // Failures are not cached: they throw before the entry is written.
  const secret = encrypter.decryptString(encrypted, context(clientId));
  cache.delete(clientId);
  if (cache.size >= MAX_CACHED_SECRETS) cache.delete(cache.keys().next().value!);
  cache.set(clientId, { encrypted, secret });
  return secret;
}
