// The keystore loads every key format × type openssl makes, signs with each of the key's
// algorithms, and its JWS and JWKS are accepted by an independent implementation (jose, or
// node:crypto for ES256K, which jose does not support).

import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  calculateJwkThumbprint,
  compactVerify,
  createLocalJWKSet,
  importJWK,
  jwtVerify,
} from 'jose';
import {
  Keystore,
  NoSigningKeyError,
  JwsVerificationError,
  createSigningKey,
  loadKeystore,
  type SigningAlgorithm,
} from '../../src/crypto/keystore.ts';
import {
  makeKeyFiles,
  makeRsaKey,
  tempDir,
  writeFile,
  type KeyFile,
  type KeyKind,
} from './openssl-keys.ts';

const ENCRYPTION = '0123456789abcdef'.repeat(4);

const EXPECTED: Record<
  KeyKind,
  { kty: string; crv: string | undefined; algorithms: SigningAlgorithm[] }
> = {
  rsa: {
    kty: 'RSA',
    crv: undefined,
    algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  },
  p256: { kty: 'EC', crv: 'P-256', algorithms: ['ES256'] },
  p384: { kty: 'EC', crv: 'P-384', algorithms: ['ES384'] },
  k256: { kty: 'EC', crv: 'secp256k1', algorithms: ['ES256K'] },
  ed25519: { kty: 'OKP', crv: 'Ed25519', algorithms: ['EdDSA'] },
};

const EXPECTED_FORMATS: Record<KeyKind, string[]> = {
  rsa: [
    'pkcs1-pem',
    'pkcs1-der',
    'pkcs1-pem-legacy-encrypted',
    'pkcs8-pem',
    'pkcs8-der',
    'pkcs8-encrypted-pem',
    'pkcs8-encrypted-der',
  ],
  p256: [
    'sec1-pem',
    'sec1-der',
    'pkcs8-pem',
    'pkcs8-der',
    'pkcs8-encrypted-pem',
    'pkcs8-encrypted-der',
  ],
  p384: [
    'sec1-pem',
    'sec1-der',
    'pkcs8-pem',
    'pkcs8-der',
    'pkcs8-encrypted-pem',
    'pkcs8-encrypted-der',
  ],
  k256: [
    'sec1-pem',
    'sec1-der',
    'pkcs8-pem',
    'pkcs8-der',
    'pkcs8-encrypted-pem',
    'pkcs8-encrypted-der',
  ],
  ed25519: ['pkcs8-pem', 'pkcs8-der', 'pkcs8-encrypted-pem', 'pkcs8-encrypted-der'],
};

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Verifies `jws` against the published public JWK with an implementation other than ours. */
async function verifyIndependently(
  jws: string,
  jwk: Record<string, unknown>,
  alg: SigningAlgorithm,
) {
  if (alg === 'ES256K') {
    const [header, payload, signature] = jws.split('.') as [string, string, string];
    const publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
    const ok = nodeVerify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    assert.ok(ok, 'node:crypto rejected the ES256K signature');
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  }
  const key = await importJWK(jwk, alg);
  const { payload, protectedHeader } = await jwtVerify(jws, key, { algorithms: [alg] });
  assert.equal(protectedHeader.alg, alg);
  return payload as Record<string, unknown>;
}

describe('loadKeystore: every format × key type', () => {
  const temp = tempDir();
  const files = new Map<KeyKind, KeyFile[]>();
  let baseRsa: string;

  before(() => {
    for (const kind of Object.keys(EXPECTED) as KeyKind[])
      files.set(kind, makeKeyFiles(temp.dir, kind));
    baseRsa = makeRsaKey(temp.dir, 'base-rsa.pem');
  });
  after(() => temp.remove());

  for (const kind of Object.keys(EXPECTED) as KeyKind[]) {
    for (const format of EXPECTED_FORMATS[kind]) {
      it(`${kind} as ${format}: loads, signs with each algorithm, verifies independently`, async () => {
        const file = files.get(kind)!.find((f) => f.format === format);
        assert.ok(file, `no ${format} file for ${kind}`);
        const keystore = await loadKeystore({
          encryption: ENCRYPTION,
          keys: [
            { kid: 'base', key_file: baseRsa },
            {
              kid: 'under-test',
              key_file: file.path,
              ...(file.password ? { password: file.password } : {}),
            },
          ],
        });
        const key = keystore.keys.find((k) => k.kid === 'under-test');
        assert.ok(key);
        assert.equal(key.kty, EXPECTED[kind].kty);
        assert.equal(key.crv, EXPECTED[kind].crv);
        assert.deepEqual([...key.algorithms], EXPECTED[kind].algorithms);

        // The parsed key is the one openssl made: its public half matches openssl's own export.
        const opensslJwk = createPublicKey(file.publicPem).export({ format: 'jwk' });
        for (const member of ['n', 'e', 'x', 'y', 'crv'] as const) {
          assert.equal(key.publicJwk[member], opensslJwk[member], `public member ${member}`);
        }
        assert.deepEqual(
          PRIVATE_MEMBERS.filter((m) => m in key.publicJwk),
          [],
        );

        for (const alg of EXPECTED[kind].algorithms) {
          const jws = await keystore.sign(
            { header: { typ: 'JWT' }, payload: { sub: 'alice', aud: 'client', alg_used: alg } },
            alg,
            'under-test',
          );
          const verified = await keystore.verify(jws);
          assert.equal(verified.key.kid, 'under-test');
          assert.equal(verified.header.alg, alg);
          assert.equal(verified.header.kid, 'under-test');
          assert.equal(verified.header.typ, 'JWT');
          const claims = await verifyIndependently(
            jws,
            key.publicJwk as unknown as Record<string, unknown>,
            alg,
          );
          assert.deepEqual(claims, { sub: 'alice', aud: 'client', alg_used: alg });
        }
      });
    }
  }

  it('derives the same RFC 7638 thumbprint kid from every encoding of one key', async () => {
    for (const kind of Object.keys(EXPECTED) as KeyKind[]) {
      const kids = new Set<string>();
      // The same key twice would be a duplicate kid, so each encoding gets its own keystore.
      for (const file of files.get(kind)!) {
        const single = await loadKeystore({
          encryption: ENCRYPTION,
          keys: [
            { kid: 'base', key_file: baseRsa },
            { key_file: file.path, ...(file.password ? { password: file.password } : {}) },
          ],
        });
        const key = single.keys[1]!;
        const { kid, use, ...members } = key.publicJwk;
        assert.equal(use, 'sig');
        assert.equal(kid, key.kid);
        kids.add(kid);
        assert.equal(
          kid,
          await calculateJwkThumbprint(members as never, 'sha256'),
          `${kind} ${file.format}`,
        );
      }
      assert.equal(kids.size, 1, `${kind}: encodings gave different kids ${[...kids].join(', ')}`);
    }
  });
});

describe('Keystore', () => {
  const temp = tempDir();
  after(() => temp.remove());

  function ecKey(curve: 'P-256' | 'P-384' | 'secp256k1', kid?: string) {
    return createSigningKey(generateKeyPairSync('ec', { namedCurve: curve }).privateKey, kid);
  }
  function rsaKey(kid?: string) {
    return createSigningKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, kid);
  }

  it('publishes one public JWK per key, with kid, use and (for single-algorithm keys) alg, without private members', async () => {
    const keystore = new Keystore([
      rsaKey('r1'),
      ecKey('P-256', 'e1'),
      ecKey('P-384', 'e2'),
      ecKey('secp256k1', 'k1'),
      createSigningKey(generateKeyPairSync('ed25519').privateKey, 'o1'),
    ]);
    const jwks = keystore.publicJwks();
    assert.deepEqual(
      jwks.keys.map((k) => [k.kid, k.kty, k.crv, k.use, k.alg]),
      [
        // An RSA key serves RS* and PS*: no `alg`, which would rule out five of them.
        ['r1', 'RSA', undefined, 'sig', undefined],
        ['e1', 'EC', 'P-256', 'sig', 'ES256'],
        ['e2', 'EC', 'P-384', 'sig', 'ES384'],
        ['k1', 'EC', 'secp256k1', 'sig', 'ES256K'],
        ['o1', 'OKP', 'Ed25519', 'sig', 'EdDSA'],
      ],
    );
    for (const jwk of jwks.keys) {
      assert.deepEqual(
        Object.keys(jwk).filter((m) => PRIVATE_MEMBERS.includes(m)),
        [],
      );
    }
    // A JSON round trip is what clients get: still no private members.
    const wire = JSON.parse(JSON.stringify(jwks)) as { keys: Record<string, unknown>[] };
    assert.equal(wire.keys.length, 5);
    assert.ok(wire.keys.every((k) => PRIVATE_MEMBERS.every((m) => !(m in k))));

    // Mutating the returned document does not change the keystore.
    jwks.keys[0]!.kid = 'changed';
    assert.equal(keystore.publicJwks().keys[0]!.kid, 'r1');

    // A relying party resolving keys through the JWKS accepts our tokens.
    const resolve = createLocalJWKSet(wire as never);
    for (const alg of ['RS256', 'PS384', 'ES256', 'ES384', 'EdDSA'] as const) {
      const jws = await keystore.sign({ header: { typ: 'JWT' }, payload: { sub: alg } }, alg);
      const { payload } = await jwtVerify(jws, resolve, { algorithms: [alg] });
      assert.equal(payload.sub, alg);
    }
  });

  it('finds the first key for an algorithm, or the one with the kid, else null', () => {
    const first = rsaKey('r1');
    const second = rsaKey('r2');
    const p256 = ecKey('P-256', 'e1');
    const keystore = new Keystore([first, p256, second]);
    assert.equal(keystore.findKey('RS256'), first);
    assert.equal(keystore.findKey('PS512', 'r2'), second);
    assert.equal(keystore.findKey('ES256'), p256);
    assert.equal(keystore.findKey('ES256', 'r1'), null);
    assert.equal(keystore.findKey('ES384'), null);
    assert.equal(keystore.findKey('RS256', 'nope'), null);
    assert.deepEqual(keystore.algorithms(), [
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
      'ES256',
    ]);
  });

  it('signs raw string and byte payloads, and refuses algorithms it has no key for', async () => {
    const keystore = new Keystore([rsaKey('r1')]);
    const fromString = await keystore.sign('hello', 'RS256');
    const fromBytes = await keystore.sign(new TextEncoder().encode('hello'), 'RS256');
    for (const jws of [fromString, fromBytes]) {
      const { payload, protectedHeader } = await compactVerify(jws, keystore.keys[0]!.publicKey);
      assert.equal(new TextDecoder().decode(payload), 'hello');
      assert.deepEqual(protectedHeader, { alg: 'RS256', kid: 'r1' });
    }
    await assert.rejects(keystore.sign('x', 'ES256'), NoSigningKeyError);
    await assert.rejects(keystore.sign('x', 'RS256', 'other'), NoSigningKeyError);
  });

  it('never lets the caller header override alg or kid', async () => {
    const keystore = new Keystore([rsaKey('r1')]);
    const jws = await keystore.sign(
      { header: { typ: 'JWT', alg: 'none', kid: 'evil' } as never, payload: {} },
      'RS256',
    );
    const header = JSON.parse(
      Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    assert.deepEqual(header, { alg: 'RS256', kid: 'r1', typ: 'JWT' });
  });

  it('rejects tampered, foreign, disallowed and malformed JWS, for jose and ES256K paths alike', async () => {
    const keystore = new Keystore([rsaKey('r1'), ecKey('secp256k1', 'k1')]);
    const stranger = new Keystore([rsaKey('r1'), ecKey('secp256k1', 'k1')]);
    for (const alg of ['RS256', 'ES256K'] as const) {
      const jws = await keystore.sign({ payload: { n: 1 } }, alg);
      assert.deepEqual(JSON.parse(new TextDecoder().decode((await keystore.verify(jws)).payload)), {
        n: 1,
      });
      const [h, , s] = jws.split('.');
      const forged = `${h}.${Buffer.from('{"n":2}').toString('base64url')}.${s}`;
      await assert.rejects(keystore.verify(forged), JwsVerificationError, `${alg} forged payload`);
      // Same kid, different key material.
      await assert.rejects(
        keystore.verify(await stranger.sign({ payload: { n: 1 } }, alg)),
        JwsVerificationError,
      );
      await assert.rejects(keystore.verify(jws, { algorithms: ['PS256'] }), JwsVerificationError);
      await assert.rejects(keystore.verify(`${h}.e30.AAAA`), JwsVerificationError);
    }
    await assert.rejects(keystore.verify('not a jws'), JwsVerificationError);
    const unknownKid = await new Keystore([rsaKey('elsewhere')]).sign('x', 'RS256');
    await assert.rejects(keystore.verify(unknownKid), /unknown key/);
  });

  it('refuses two keys with one kid', () => {
    assert.throws(
      () => new Keystore([rsaKey('same'), ecKey('P-256', 'same')]),
      /duplicate kid same/,
    );
  });

  it('loads keys_dir files (following symlinks, skipping directories) before keys[], with thumbprint kids', async () => {
    const dir = join(temp.dir, 'keys');
    mkdirSync(join(dir, '..data'), { recursive: true });
    makeRsaKey(dir, 'b-rsa.pem');
    const ec = makeKeyFiles(temp.dir, 'p256').find((f) => f.format === 'sec1-der')!;
    symlinkSync(ec.path, join(dir, 'a-ec.der'));
    const inline = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({
      format: 'pem',
      type: 'sec1',
    });

    const keystore = await loadKeystore({
      encryption: ENCRYPTION,
      keys_dir: dir,
      keys: [{ kid: 'inline', key: inline.toString() }],
    });
    assert.deepEqual(
      keystore.keys.map((k) => k.crv ?? k.kty),
      ['P-256', 'RSA', 'P-384'],
    );
    for (const key of keystore.keys.slice(0, 2)) {
      const { kid, use: _use, ...members } = key.publicJwk;
      assert.equal(kid, await calculateJwkThumbprint(members as never, 'sha256'));
    }
    assert.equal(keystore.keys[2]!.kid, 'inline');
    assert.equal(keystore.findKey('RS256'), keystore.keys[1]);
  });

  it('accepts a password file with or without a final newline', async () => {
    const rsa = makeKeyFiles(temp.dir, 'rsa').find((f) => f.format === 'pkcs8-encrypted-pem')!;
    const withNewline = writeFile(temp.dir, 'pw-nl', `${rsa.password}\n`);
    const without = writeFile(temp.dir, 'pw', rsa.password!);
    const keystore = await loadKeystore({
      encryption: ENCRYPTION,
      keys: [
        { kid: 'a', key_file: rsa.path, password_file: withNewline },
        { kid: 'b', key: readFileSync(rsa.path, 'utf8'), password_file: without },
      ],
    });
    assert.deepEqual(
      keystore.keys.map((k) => k.kid),
      ['a', 'b'],
    );
  });
});
