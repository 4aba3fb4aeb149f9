// GET|POST /oauth2/userinfo through the real listener app: the plain JSON answer, the claims the
// scopes release, the signed JWT for clients that registered `userinfo_signed_response_alg`
// (verified with jose against /oauth2/keys.json), and the Bearer errors.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { User } from '../../../src/model/user.ts';
import {
  addClient,
  newAlice,
  postForm,
  startOAuthApp,
  tokensFor,
  type TestApp,
  type TestClient,
  type Tokens,
} from './oauth2-app.ts';

let h: TestApp;
let alice: User;
let client: TestClient;

const userinfo = (token: string | null, method: 'GET' | 'POST' = 'GET') =>
  h.app.inject({
    method,
    url: '/oauth2/userinfo',
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });

describe('/oauth2/userinfo', () => {
  beforeEach(async () => {
    h = await startOAuthApp();
    alice = await newAlice(h);
    client = await addClient(h);
  });
  afterEach(() => h.close());

  it('answers sub and username, plus preferred_username with profile, by GET and POST', async () => {
    const plain = await tokensFor(h, client, { scope: 'openid' });
    const response = await userinfo(plain.access_token);
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.deepEqual(response.json(), { sub: alice.id, username: 'alice' });

    const profile = await tokensFor(h, client, { scope: 'openid profile email' });
    const post = await userinfo(profile.access_token, 'POST');
    assert.deepEqual(post.json(), {
      sub: alice.id,
      username: 'alice',
      preferred_username: 'alice',
    });
    // The token in the form body (RFC 6750 §2.2).
    const form = await postForm(
      h,
      '/oauth2/userinfo',
      { access_token: profile.access_token },
      null,
    );
    assert.equal(form.statusCode, 200);
  });

  it('releases the first verified email address with the email scope, in userinfo and the id_token', async () => {
    await h.db.storage.transaction(async (repos) => {
      await repos.userEmails.add(h.ctx.rng, h.clock, alice, 'alice@example.com');
      h.clock.advance(1000);
      await repos.userEmails.add(h.ctx.rng, h.clock, alice, 'second@example.com');
    });
    const withEmail = await tokensFor(h, client, { scope: 'openid email' });
    assert.deepEqual((await userinfo(withEmail.access_token)).json(), {
      sub: alice.id,
      username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
    });
    const claims = JSON.parse(
      Buffer.from(withEmail.id_token!.split('.')[1]!, 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    assert.equal(claims.email, 'alice@example.com');
    assert.equal(claims.email_verified, true);
    // Without the scope, no address.
    const without = await tokensFor(h, client, { scope: 'openid' });
    assert.equal((await userinfo(without.access_token)).json().email, undefined);
  });

  it('answers a JWT signed with the client’s userinfo_signed_response_alg', async () => {
    const signed = await addClient(h, { fields: { userinfoSignedResponseAlg: 'PS256' } });
    const tokens: Tokens = await tokensFor(h, signed, { scope: 'openid profile' });
    const response = await userinfo(tokens.access_token);
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/jwt/);
    const jwks = (await h.app.inject({ method: 'GET', url: '/oauth2/keys.json' })).json();
    const { payload, protectedHeader } = await jwtVerify(response.body, createLocalJWKSet(jwks), {
      issuer: 'http://auth.example.test/',
      audience: signed.id,
    });
    assert.equal(protectedHeader.alg, 'PS256');
    assert.equal(payload.sub, alice.id);
    assert.equal(payload.username, 'alice');
    assert.equal(payload.preferred_username, 'alice');
  });

  it('refuses missing, malformed, unknown, expired and revoked tokens with 401 and WWW-Authenticate', async () => {
    const tokens = await tokensFor(h, client, { scope: 'openid' });
    const missing = await userinfo(null);
    assert.equal(missing.statusCode, 401);
    assert.match(String(missing.headers['www-authenticate']), /^Bearer/);
    for (const token of [
      'nonsense',
      `${tokens.access_token.slice(0, -1)}x`,
      tokens.refresh_token!,
    ]) {
      const response = await userinfo(token);
      assert.equal(response.statusCode, 401, token);
      assert.match(String(response.headers['www-authenticate']), /^Bearer error="invalid_token"/);
      assert.equal((response.json() as { error: string }).error, 'invalid_token');
    }
    h.clock.advance(301_000);
    assert.equal((await userinfo(tokens.access_token)).statusCode, 401, 'expired');
  });

  it('needs the openid scope', async () => {
    const tokens = await tokensFor(h, client, { scope: 'profile' });
    const response = await userinfo(tokens.access_token);
    assert.equal(response.statusCode, 403);
    assert.equal((response.json() as { error: string }).error, 'insufficient_scope');
  });

  it('a client_credentials token has no user: invalid_token', async () => {
    const cc = await postForm(
      h,
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: 'openid' },
      client,
    );
    const response = await userinfo((cc.json() as Tokens).access_token);
    assert.equal(response.statusCode, 401);
  });
});
