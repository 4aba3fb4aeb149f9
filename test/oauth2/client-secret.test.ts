import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecryptionError, Encrypter } from '../../src/crypto/encrypter.ts';
import { asOAuth2ClientId } from '../../src/model/ids.ts';
import {
  decryptClientSecret,
  encryptClientSecret,
  generateClientSecret,
} from '../../src/oauth2/client-secret.ts';
import { SeededRng } from '../../src/rng.ts';

const clientA = asOAuth2ClientId('01J0000000000000000000000A');
const clientB = asOAuth2ClientId('01J0000000000000000000000B');

describe('decryptClientSecret', () => {
  it('gives back the secret, again from its cache, and follows a changed ciphertext', () => {
    const rng = new SeededRng('client-secret');
    const encrypter = new Encrypter(new Uint8Array(32).fill(7));
    const first = generateClientSecret(rng);
    const stored = encryptClientSecret(encrypter, rng, clientA, first);
    assert.equal(decryptClientSecret(encrypter, clientA, stored), first);
    assert.equal(decryptClientSecret(encrypter, clientA, stored), first);

    const second = generateClientSecret(rng);
    assert.notEqual(second, first);
    const rotated = encryptClientSecret(encrypter, rng, clientA, second);
    assert.equal(decryptClientSecret(encrypter, clientA, rotated), second);
  });

  it('still refuses a ciphertext made for another client or key after a cached success', () => {
    const rng = new SeededRng('client-secret-2');
    const encrypter = new Encrypter(new Uint8Array(32).fill(8));
    const stored = encryptClientSecret(encrypter, rng, clientA, 'secret-a');
    assert.equal(decryptClientSecret(encrypter, clientA, stored), 'secret-a');
    assert.throws(() => decryptClientSecret(encrypter, clientB, stored), DecryptionError);
    const otherKey = new Encrypter(new Uint8Array(32).fill(9));
    assert.throws(() => decryptClientSecret(otherKey, clientA, stored), DecryptionError);
  });
});
