// Loads everything in `secrets` at once: the encryption key and the signing keys. Start-up and
// `config check` call this, so an operator sees every secrets problem in one run.

import type { SecretsConfig } from '../config/sections/secrets.ts';
import { Encrypter, loadEncryptionKey } from './encrypter.ts';
import { loadKeystore, type Keystore } from './keystore.ts';
import { SecretsError, type SecretProblem } from './secrets-error.ts';

export interface LoadedSecrets {
  encrypter: Encrypter;
  keystore: Keystore;
}

/** Throws a SecretsError listing the problems of both the encryption key and the signing keys. */
export async function loadSecrets(secrets: SecretsConfig): Promise<LoadedSecrets> {
  const [encryption, keystore] = await Promise.allSettled([
    loadEncryptionKey(secrets),
    loadKeystore(secrets),
  ]);
  const problems: SecretProblem[] = [];
  for (const result of [encryption, keystore]) {
    if (result.status === 'rejected') {
      if (!(result.reason instanceof SecretsError)) throw result.reason;
      problems.push(...result.reason.problems);
    }
  }
  if (encryption.status === 'rejected' || keystore.status === 'rejected') {
    throw new SecretsError('invalid secrets', problems);
  }
  return { encrypter: new Encrypter(encryption.value), keystore: keystore.value };
}
