// AES-256-GCM with the `secrets.encryption` key: round trips, detects tampering, is deterministic
// under a seeded Rng, and its format is plain AES-GCM that node:crypto alone can open.

import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  DecryptionError,
  EncryptionKeyError,
  Encrypter,
  loadEncrypter,
  loadEncryptionKey,
} from '../../src/crypto/encrypter.ts';
import { SeededRng, systemRng } from '../../src/rng.ts';
import { tempDir, writeFile } from './openssl-keys.ts';

const KEY_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const key = () => new Uint8Array(Buffer.from(KEY_HEX, 'hex'));

describe('Encrypter', () => {
  it('round-trips strings and bytes', () => {
    const encrypter = new Encrypter(key());
    for (const plaintext of ['', 'hello', 'ünïcødé ✓', 'x'.repeat(10_000)]) {
      const sealed = encrypter.encrypt(plaintext, systemRng);
      assert.match(sealed, /^[A-Za-z0-9_-]+$/);
      assert.equal(Buffer.from(sealed, 'base64url').length, 12 + Buffer.byteLength(plaintext) + 16);
      assert.equal(encrypter.decryptString(sealed), plaintext);
    }
    const bytes = new Uint8Array([0, 255, 1, 254]);
    assert.deepEqual(encrypter.decrypt(encrypter.encrypt(bytes, systemRng)), bytes);
  });

  it('is plain AES-256-GCM: nonce ‖ ciphertext ‖ tag, nonce from the Rng', () => {
    const sealed = new Encrypter(key()).encrypt('secret value', new SeededRng('nonce'));
    const bytes = Buffer.from(sealed, 'base64url');
    const nonce = bytes.subarray(0, 12);
    assert.deepEqual(new Uint8Array(nonce), new SeededRng('nonce').bytes(12));
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(KEY_HEX, 'hex'), nonce);
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(12, bytes.length - 16)),
      decipher.final(),
    ]);
    assert.equal(plain.toString('utf8'), 'secret value');
  });

  it('is deterministic with a seeded Rng and differs between seeds and calls', () => {
    const encrypter = new Encrypter(key());
    const a = encrypter.encrypt('same', new SeededRng(1));
    assert.equal(encrypter.encrypt('same', new SeededRng(1)), a);
    assert.notEqual(encrypter.encrypt('same', new SeededRng(2)), a);
    const rng = new SeededRng(1);
    assert.notEqual(encrypter.encrypt('same', rng), encrypter.encrypt('same', rng));
  });

  it('detects any altered bit, truncation, another key, another context and malformed input', () => {
    const encrypter = new Encrypter(key());
    const sealed = encrypter.encrypt('tamper with me', new SeededRng('t'));
    const bytes = Buffer.from(sealed, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const altered = Buffer.from(bytes);
      altered[i]! ^= 0x01;
      assert.throws(
        () => encrypter.decrypt(altered.toString('base64url')),
        DecryptionError,
        `byte ${i}`,
      );
    }
    assert.throws(
      () => encrypter.decrypt(bytes.subarray(0, bytes.length - 1).toString('base64url')),
      DecryptionError,
    );
    assert.throws(
      () => encrypter.decrypt(bytes.subarray(0, 27).toString('base64url')),
      DecryptionError,
    );
    assert.throws(() => encrypter.decrypt(''), DecryptionError);
    assert.throws(() => encrypter.decrypt(`${sealed}!`), DecryptionError);
    assert.throws(() => encrypter.decrypt(bytes.toString('base64')), DecryptionError); // padded / + form
    const otherKey = new Uint8Array(32).fill(7);
    assert.throws(() => new Encrypter(otherKey).decrypt(sealed), DecryptionError);

    const bound = encrypter.encrypt(
      'client secret',
      systemRng,
      'oauth2_clients.encrypted_client_secret',
    );
    assert.equal(
      encrypter.decryptString(bound, 'oauth2_clients.encrypted_client_secret'),
      'client secret',
    );
    assert.throws(() => encrypter.decrypt(bound), DecryptionError);
    assert.throws(() => encrypter.decrypt(bound, 'cookie:session'), DecryptionError);
  });

  it('reports non-UTF-8 plaintext from decryptString as a DecryptionError', () => {
    const encrypter = new Encrypter(key());
    const sealed = encrypter.encrypt(new Uint8Array([0xff, 0xfe]), systemRng);
    assert.throws(() => encrypter.decryptString(sealed), DecryptionError);
  });

  it('refuses keys that are not 32 bytes', () => {
    assert.throws(() => new Encrypter(new Uint8Array(16)), RangeError);
  });
});

describe('loadEncryptionKey', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir();
  });
  afterEach(() => temp.remove());

  it('reads the inline hex key, or the file (final newline forgiven)', async () => {
    assert.deepEqual(await loadEncryptionKey({ encryption: KEY_HEX }), key());
    const file = writeFile(temp.dir, 'enc', `${KEY_HEX.toUpperCase()}\n`);
    assert.deepEqual(await loadEncryptionKey({ encryption_file: file }), key());
    const encrypter = await loadEncrypter({ encryption_file: file });
    assert.equal(new Encrypter(key()).decryptString(encrypter.encrypt('x', systemRng)), 'x');
  });

  it('reports a missing or malformed file at secrets.encryption_file', async () => {
    const missing = join(temp.dir, 'missing');
    await assert.rejects(loadEncryptionKey({ encryption_file: missing }), (error: unknown) => {
      assert.ok(error instanceof EncryptionKeyError);
      assert.deepEqual(error.problems, [
        {
          path: 'secrets.encryption_file',
          message: `cannot read ${missing}: no such file or directory`,
        },
      ]);
      return true;
    });
    const short = writeFile(temp.dir, 'short', 'abcd');
    await assert.rejects(loadEncryptionKey({ encryption_file: short }), (error: unknown) => {
      assert.ok(error instanceof EncryptionKeyError);
      assert.deepEqual(error.problems, [
        {
          path: 'secrets.encryption_file',
          message: 'must be 64 hexadecimal characters (32 bytes)',
        },
      ]);
      return true;
    });
  });
});
