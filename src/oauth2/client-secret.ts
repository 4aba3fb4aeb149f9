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

/** Throws DecryptionError when the stored value was not made for this client with this key. */
export function decryptClientSecret(
  encrypter: Encrypter,
  clientId: OAuth2ClientId,
  encrypted: string,
): string {
  return encrypter.decryptString(encrypted, context(clientId));
}
