// `loadSecrets` gathers the encryption key's and the signing keys' problems into one error.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SecretsError } from '../../src/crypto/secrets-error.ts';
import { loadSecrets } from '../../src/crypto/secrets-load.ts';
import { systemRng } from '../../src/rng.ts';
import { makeRsaKey, tempDir } from './openssl-keys.ts';

describe('loadSecrets', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir();
  });
  afterEach(() => temp.remove());

  it('loads the encrypter and the keystore together', async () => {
    const { encrypter, keystore } = await loadSecrets({
      encryption: 'cd'.repeat(32),
      keys: [{ kid: 'k', key_file: makeRsaKey(temp.dir) }],
    });
    assert.equal(encrypter.decryptString(encrypter.encrypt('v', systemRng)), 'v');
    assert.deepEqual(keystore.algorithms().slice(0, 1), ['RS256']);
  });

  it('reports encryption and key problems in one error', async () => {
    const missing = join(temp.dir, 'enc');
    await assert.rejects(
      loadSecrets({ encryption_file: missing, keys: [{ key: 'nope' }] }),
      (error: unknown) => {
        assert.ok(error instanceof SecretsError);
        assert.deepEqual(
          error.problems.map((p) => p.path),
          ['secrets.encryption_file', 'secrets.keys[0].key', 'secrets.keys'],
        );
        return true;
      },
    );
  });
});
