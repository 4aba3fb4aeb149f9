// Turns the bytes of a key file into a private KeyObject. Accepts what MAS accepts: PEM or DER,
// PKCS#1 (RSA), PKCS#8, password-encrypted PKCS#8, and SEC1 (EC). Failures say whether the key or
// the password is at fault, so the loader can point at the right config key.

import { createPrivateKey, type KeyObject } from 'node:crypto';

export type ParseResult =
  { ok: true; key: KeyObject } | { ok: false; field: 'key' | 'password'; message: string };

const PRIVATE_KEY_LABELS = new Set([
  'PRIVATE KEY',
  'RSA PRIVATE KEY',
  'EC PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
]);

const keyProblem = (message: string): ParseResult => ({ ok: false, field: 'key', message });
const passwordProblem = (message: string): ParseResult => ({
  ok: false,
  field: 'password',
  message,
});

const NEEDS_PASSWORD = 'the key is encrypted: set `password` or `password_file`';
const NOT_ENCRYPTED = 'the key is not encrypted, but a password is set: remove the password';
const WRONG_PASSWORD = 'cannot decrypt the key: wrong password';

/**
 * Parses one private key. `passwords` are the candidate passwords to try in order (empty when none
 * is configured); more than one only when a password file may or may not end with a newline.
 */
export function parsePrivateKey(bytes: Buffer, passwords: readonly Buffer[]): ParseResult {
  const text = bytes.toString('latin1');
  return text.includes('-----BEGIN ') ? parsePem(text, passwords) : parseDer(bytes, passwords);
}

function parsePem(text: string, passwords: readonly Buffer[]): ParseResult {
  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]!);
  if (labels.length !== 1) return keyProblem(`expected one PEM block, found ${labels.length}`);
  const label = labels[0]!;
  if (!PRIVATE_KEY_LABELS.has(label)) {
    return keyProblem(`a PEM "${label}" is not a private key; expected PKCS#1, PKCS#8 or SEC1`);
  }
  // PKCS#8 encryption, or OpenSSL's legacy encrypted PEM headers on PKCS#1/SEC1.
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type:\s*4,ENCRYPTED/m.test(text);
  if (!encrypted) {
    // Node would silently ignore the passphrase; MAS refuses it, and so do we, since the operator
    // clearly believes the key is protected.
    if (passwords.length > 0) return passwordProblem(NOT_ENCRYPTED);
    try {
      return { ok: true, key: createPrivateKey({ key: text, format: 'pem' }) };
    } catch {
      return keyProblem('not a valid PEM private key');
    }
  }
  if (passwords.length === 0) return keyProblem(NEEDS_PASSWORD);
  for (const passphrase of passwords) {
    try {
      return { ok: true, key: createPrivateKey({ key: text, format: 'pem', passphrase }) };
    } catch {
      // Try the next candidate.
    }
  }
  return passwordProblem(WRONG_PASSWORD);
}

function parseDer(der: Buffer, passwords: readonly Buffer[]): ParseResult {
  // PKCS#8 first: it tells an encrypted key apart by asking for a passphrase.
  try {
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    return passwords.length > 0 ? passwordProblem(NOT_ENCRYPTED) : { ok: true, key };
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_MISSING_PASSPHRASE') {
      if (passwords.length === 0) return keyProblem(NEEDS_PASSWORD);
      for (const passphrase of passwords) {
        try {
          return {
            ok: true,
            key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase }),
          };
        } catch {
          // Try the next candidate.
        }
      }
      return passwordProblem(WRONG_PASSWORD);
    }
  }
  for (const type of ['pkcs1', 'sec1'] as const) {
    try {
      const key = createPrivateKey({ key: der, format: 'der', type });
      return passwords.length > 0 ? passwordProblem(NOT_ENCRYPTED) : { ok: true, key };
    } catch {
      // Try the next format.
    }
  }
  return keyProblem('not a private key: expected PEM or DER (PKCS#1, PKCS#8 or SEC1)');
}
