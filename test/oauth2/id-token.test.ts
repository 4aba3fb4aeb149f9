import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { MockClock } from '../../src/clock.ts';
import { NoSigningKeyError } from '../../src/crypto/keystore.ts';
import { leftHalfHash, signIdToken } from '../../src/oauth2/id-token.ts';
import { testKeystore } from './fixtures.ts';

const clock = new MockClock('2026-03-01T12:00:00Z');
const NOW = Date.parse('2026-03-01T12:00:00Z') / 1000;
const input = {
  issuer: 'https://auth.example.com/',
  clientId: '01J0000000000000000000CLNT',
  subject: '01J00000000000000000000USR',
  nonce: 'n-0S6_WzA2Mj',
  authTime: new Date('2026-03-01T11:55:00Z'),
  accessToken: 'mat_accesstoken',
  code: 'the-code',
  extraClaims: { email: 'alice@example.com', email_verified: true, iss: 'https://evil.example/' },
};

describe('id_token', () => {
  for (const [alg, kid] of [
    ['RS256', 'rsa'],
    ['PS256', 'rsa'],
    ['RS512', 'rsa'],
    ['ES256', 'p256'],
    ['ES384', 'p384'],
    ['EdDSA', 'ed25519'],
  ] as const) {
    it(`${alg}: verifies with jose against the published JWKS`, async () => {
      const keystore = testKeystore();
      const token = await signIdToken({ ...input, alg }, keystore, clock);
      assert.equal(decodeProtectedHeader(token).kid, kid);
      const { payload, protectedHeader } = await jwtVerify(
        token,
        createLocalJWKSet(keystore.publicJwks()),
        {
          issuer: input.issuer,
          audience: input.clientId,
          algorithms: [alg],
          currentDate: clock.now(),
        },
      );
      assert.equal(protectedHeader.alg, alg);
      assert.equal(payload.sub, input.subject);
      assert.equal(payload.iat, NOW);
      assert.equal(payload.exp, NOW + 3600);
      assert.equal(payload.nonce, input.nonce);
      assert.equal(payload.auth_time, NOW - 300);
      assert.equal(payload.email, 'alice@example.com');
      assert.equal(payload.at_hash, leftHalfHash(input.accessToken, alg));
      assert.equal(payload.c_hash, leftHalfHash(input.code, alg));
    });
  }

  it('defaults to RS256', async () => {
    const token = await signIdToken({ ...input, alg: null }, testKeystore(), clock);
    assert.equal(decodeProtectedHeader(token).alg, 'RS256');
  });

  it('ES256K: verifies with node:crypto against the published key', async () => {
    const keystore = testKeystore();
    const token = await signIdToken({ ...input, alg: 'ES256K' }, keystore, clock);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const jwk = keystore.publicJwks().keys.find((k) => k.kid === 'k256')!;
    const key = createPublicKey({
      key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
      format: 'jwk',
    });
    const ok = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    assert.equal(ok, true);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    assert.equal(claims.iss, input.issuer);
    assert.equal(claims.aud, input.clientId);
  });

  it('hashes with the algorithm family (OIDC Core §3.1.3.6)', () => {
    const token = 'jHkWEdUXMU1BwAsC4vtUsZwnNaGG4fT4pjJIe7JEOGQ';
    const sha256 = createHash('sha256')
      .update(token)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    assert.equal(leftHalfHash(token, 'RS256'), sha256);
    assert.equal(leftHalfHash(token, 'ES384').length, 32);
    assert.equal(leftHalfHash(token, 'PS512').length, 43);
    assert.equal(
      leftHalfHash(token, 'EdDSA'),
      createHash('sha512').update(token).digest().subarray(0, 32).toString('base64url'),
    );
  });

  it('leaves out what was not given and fails without a key for the algorithm', async () => {
    const token = await signIdToken(
      { issuer: input.issuer, clientId: input.clientId, subject: input.subject, alg: null },
      testKeystore(),
      clock,
    );
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(claims), ['iss', 'sub', 'aud', 'iat', 'exp']);
    await assert.rejects(
      signIdToken({ ...input, alg: 'HS256' }, testKeystore(), clock),
      NoSigningKeyError,
    );
  });
});
