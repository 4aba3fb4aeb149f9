// Symmetric encryption with `secrets.encryption`: AES-256-GCM, for cookies and secrets stored in
// the database. A ciphertext is one base64url string of nonce (12 bytes) ‖ ciphertext ‖ tag (16
// bytes); the nonce comes from the injected Rng, so tests get the same output on every run.
//
// MAS uses ChaCha20-Poly1305 with standard base64 for the same purpose; Gatehouse does not share
// MAS's database or cookies, so only the key (and its config keys) is compatible, not the format.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SecretsConfig } from '../config/sections/secrets.ts';
import type { Rng } from '../rng.ts';
import { EncryptionKeyError, fileErrorReason as reason } from './secrets-error.ts';

export { EncryptionKeyError };

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The ciphertext is malformed, was made with another key or context, or was altered. */
export class DecryptionError extends Error {
  constructor(message = 'cannot decrypt: the value is malformed or was altered') {
    super(message);
    this.name = 'DecryptionError';
  }
}

export class Encrypter {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES)
      throw new RangeError(`the encryption key must be ${KEY_BYTES} bytes`);
    this.#key = Buffer.from(key);
  }

  /**
   * Encrypts `plaintext` (strings as UTF-8). `context`, when given, is authenticated but not
   * stored: decrypting needs the same one, so a value cannot be moved to another column or cookie.
   */
  encrypt(plaintext: Uint8Array | string, rng: Rng, context?: string): string {
    const nonce = rng.bytes(NONCE_BYTES);
    if (nonce.length !== NONCE_BYTES) throw new RangeError('the rng returned a short nonce');
    const cipher = createCipheriv(ALGORITHM, this.#key, nonce, { authTagLength: TAG_BYTES });
    if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = cipher.update(
      typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext,
    );
    return Buffer.concat([nonce, body, cipher.final(), cipher.getAuthTag()]).toString('base64url');
  }

  /** The plaintext bytes. Throws DecryptionError on anything but an intact value of this key. */
  decrypt(ciphertext: string, context?: string): Uint8Array {
    if (!/^[A-Za-z0-9_-]*$/.test(ciphertext)) throw new DecryptionError();
    const bytes = Buffer.from(ciphertext, 'base64url');
    // Reject non-canonical encodings so one value has exactly one string form.
    if (bytes.length < NONCE_BYTES + TAG_BYTES || bytes.toString('base64url') !== ciphertext) {
      throw new DecryptionError();
    }
    const nonce = bytes.subarray(0, NONCE_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const body = bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES);
    const decipher = createDecipheriv(ALGORITHM, this.#key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
    try {
      return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
    } catch {
      throw new DecryptionError();
    }
  }

  /** As `decrypt`, for values that were UTF-8 strings. */
  decryptString(ciphertext: string, context?: string): string {
    const bytes = this.decrypt(ciphertext, context);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new DecryptionError('cannot decrypt: the value is not UTF-8 text');
    }
  }
}

/** The 32-byte key from `secrets.encryption` or `secrets.encryption_file`. Throws EncryptionKeyError. */
export async function loadEncryptionKey(secrets: SecretsConfig): Promise<Uint8Array> {
  let hex = secrets.encryption;
  const path = hex !== undefined ? 'secrets.encryption' : 'secrets.encryption_file';
  if (hex === undefined) {
    const file = secrets.encryption_file;
    if (file === undefined) {
      throw new EncryptionKeyError([{ path, message: 'set `encryption` or `encryption_file`' }]);
    }
    try {
      // MAS wants the bare 64 characters; surrounding whitespace (a final newline) is forgiven here.
      hex = (await readFile(file, 'utf8')).trim();
    } catch (error) {
      throw new EncryptionKeyError([{ path, message: `cannot read ${file}: ${reason(error)}` }]);
    }
  }
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new EncryptionKeyError([
      { path, message: 'must be 64 hexadecimal characters (32 bytes)' },
    ]);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** An Encrypter for `secrets`. Throws EncryptionKeyError. */
export async function loadEncrypter(secrets: SecretsConfig): Promise<Encrypter> {
  return new Encrypter(await loadEncryptionKey(secrets));
}
