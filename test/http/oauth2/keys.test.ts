import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { signIdToken } from '../../../src/oauth2/id-token.ts';
import { testAppContext, startApp, type RunningApp } from '../../oauth2/fixtures.ts';
import { openTestStorage, type TestStorage } from '../../helpers/storage.ts';
import type { AppContext } from '../../../src/http/app-context.ts';

describe('GET /oauth2/keys.json', () => {
  let t: TestStorage;
  let ctx: AppContext;
  let app: RunningApp;
  before(async () => {
    t = await openTestStorage('sqlite');
    ctx = testAppContext(t.storage);
    app = await startApp(ctx);
  });
  after(async () => {
    await app.close();
    await t.cleanup();
  });

  it('publishes every public key with kid and use, and no private member, with CORS *', async () => {
    const response = await fetch(`${app.base}/oauth2/keys.json`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      ['rsa', 'p256', 'p384', 'k256', 'ed25519'],
    );
    for (const key of jwks.keys) {
      assert.equal(key.use, 'sig');
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(member in key, false);
    }
  });

  it('verifies id_tokens signed by the server', async () => {
    const jwks = (await (await fetch(`${app.base}/oauth2/keys.json`)).json()) as JSONWebKeySet;
    for (const alg of ['RS256', 'PS512', 'ES256', 'ES384', 'EdDSA']) {
      const token = await signIdToken(
        { issuer: ctx.urls.issuer, clientId: 'c', subject: 's', alg },
        ctx.keystore,
        ctx.clock,
      );
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
        currentDate: ctx.clock.now(),
        audience: 'c',
      });
      assert.equal(payload.sub, 's', alg);
    }
  });
});
