// Bad keys are reported all at once, each at its config path, so an operator fixes them in one go.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { KeystoreError, loadKeystore } from '../../src/crypto/keystore.ts';
import {
  KEY_PASSWORD,
  makeKeyFiles,
  makeRsaKey,
  openssl,
  tempDir,
  writeFile,
} from './openssl-keys.ts';

const ENCRYPTION = 'ab'.repeat(32);

async function problemsOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof KeystoreError, `expected a KeystoreError, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'), 'the message is one line');
    return error.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected loadKeystore to fail');
}

describe('loadKeystore problems', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir();
  });
  afterEach(() => temp.remove());

  it('lists every bad key at once, each at its own path', async () => {
    const dir = temp.dir;
    const good = makeRsaKey(dir, 'good.pem');
    const rsaFiles = makeKeyFiles(dir, 'rsa');
    const encrypted = rsaFiles.find((f) => f.format === 'pkcs8-encrypted-pem')!.path;
    const encryptedDer = rsaFiles.find((f) => f.format === 'pkcs8-encrypted-der')!.path;
    const plainDer = rsaFiles.find((f) => f.format === 'pkcs1-der')!.path;
    const dsa = join(dir, 'dsa.pem');
    openssl('dsaparam', '-genkey', '-noout', '-out', dsa, '1024');
    const p521 = join(dir, 'p521.pem');
    openssl('ecparam', '-name', 'secp521r1', '-genkey', '-noout', '-out', p521);
    const x25519 = join(dir, 'x25519.pem');
    openssl('genpkey', '-algorithm', 'x25519', '-out', x25519);
    const small = makeRsaKey(dir, 'small.pem', 1024);
    const garbage = writeFile(
      dir,
      'garbage.bin',
      Buffer.from('definitely not a key \u0000\u0001\u0002'),
    );
    const publicKey = writeFile(dir, 'public.pem', openssl('pkey', '-in', good, '-pubout'));
    const wrongPassword = writeFile(dir, 'wrong-password', 'hunter2\n');
    const keysDir = join(dir, 'keys');
    mkdirSync(keysDir);
    writeFile(
      keysDir,
      'junk.pem',
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
    );

    const problems = await problemsOf(
      loadKeystore({
        encryption: ENCRYPTION,
        keys_dir: keysDir,
        keys: [
          { kid: 'main', key_file: good },
          { key_file: encrypted, password: 'wrong' },
          { key_file: dsa },
          { key_file: garbage },
          { key_file: join(dir, 'missing.pem') },
          { kid: 'main', key_file: plainDer },
          { key_file: encrypted },
          { key_file: good, password: KEY_PASSWORD },
          { key_file: encryptedDer, password_file: join(dir, 'no-password-file') },
          { key_file: p521 },
          { key_file: small },
          { key_file: publicKey },
          { key_file: encryptedDer, password_file: wrongPassword },
          { key: 'just some text' },
          { key_file: x25519 },
        ],
      }),
    );
    assert.deepEqual(problems, [
      'secrets.keys_dir/junk.pem: not a valid PEM private key',
      'secrets.keys[1].password: cannot decrypt the key: wrong password',
      'secrets.keys[2].key_file: unsupported key type dsa; use RSA, EC (P-256, P-384, secp256k1) or Ed25519',
      'secrets.keys[3].key_file: not a private key: expected PEM or DER (PKCS#1, PKCS#8 or SEC1)',
      `secrets.keys[4].key_file: cannot read ${join(dir, 'missing.pem')}: no such file or directory`,
      'secrets.keys[5].kid: duplicate kid main (also used by secrets.keys[0].key_file)',
      'secrets.keys[6].key_file: the key is encrypted: set `password` or `password_file`',
      'secrets.keys[7].password: the key is not encrypted, but a password is set: remove the password',
      `secrets.keys[8].password_file: cannot read ${join(dir, 'no-password-file')}: no such file or directory`,
      'secrets.keys[9].key_file: unsupported elliptic curve secp521r1; use P-256, P-384 or secp256k1',
      'secrets.keys[10].key_file: RSA key is 1024 bits; at least 2048 bits are required',
      'secrets.keys[11].key_file: a PEM "PUBLIC KEY" is not a private key; expected PKCS#1, PKCS#8 or SEC1',
      'secrets.keys[12].password_file: cannot decrypt the key: wrong password',
      'secrets.keys[13].key: not a private key: expected PEM or DER (PKCS#1, PKCS#8 or SEC1)',
      'secrets.keys[14].key_file: unsupported key type x25519; use RSA, EC (P-256, P-384, secp256k1) or Ed25519',
    ]);
  });

  it('reports a duplicate derived kid when one key is configured twice', async () => {
    const key = makeRsaKey(temp.dir, 'rsa.pem');
    const keysDir = join(temp.dir, 'keys');
    mkdirSync(keysDir);
    writeFile(keysDir, 'same.pem', readFileSync(key));
    const problems = await problemsOf(
      loadKeystore({ encryption: ENCRYPTION, keys_dir: keysDir, keys: [{ key_file: key }] }),
    );
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      /^secrets\.keys\[0\]\.key_file: duplicate kid [A-Za-z0-9_-]{43} \(also used by secrets\.keys_dir\/same\.pem\)$/,
    );
  });

  it('requires at least one RSA key', async () => {
    const ec = makeKeyFiles(temp.dir, 'p256').find((f) => f.format === 'sec1-pem')!;
    assert.deepEqual(
      await problemsOf(loadKeystore({ encryption: ENCRYPTION, keys: [{ key_file: ec.path }] })),
      [
        'secrets.keys: no usable RSA key: at least one RSA key is required, since OpenID Connect requires RS256',
      ],
    );
    assert.deepEqual(await problemsOf(loadKeystore({ encryption: ENCRYPTION })), [
      'secrets.keys: no usable RSA key: at least one RSA key is required, since OpenID Connect requires RS256',
    ]);
  });

  it('reports an unreadable keys_dir', async () => {
    const missing = join(temp.dir, 'nope');
    const key = makeRsaKey(temp.dir);
    assert.deepEqual(
      await problemsOf(
        loadKeystore({ encryption: ENCRYPTION, keys_dir: missing, keys: [{ key_file: key }] }),
      ),
      [`secrets.keys_dir: cannot read directory ${missing}: no such file or directory`],
    );
  });
});
