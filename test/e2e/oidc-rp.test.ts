// openid-client 6 as a strict relying party against a real `gatehouse server` process: discovery,
// dynamic registration, the authorization code flow with PKCE and a scripted browser, id_tokens
// signed with every key type, refresh rotation and MAS's lost-response rule, introspection,
// revocation, userinfo (plain and signed), client credentials with every client authentication
// method and RP-initiated logout. Error cases live in oidc-errors.test.ts, the device flow in
// device-flow.test.ts.

import assert from 'node:assert/strict';
import { createPublicKey, verify as verifySignature, type JsonWebKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { Browser, drive, parseForms, textOf } from './browser.ts';
import {
  ALICE,
  ALL_SIGNING_ALGS,
  POST_LOGOUT_REDIRECT_URI,
  REDIRECT_URI,
  SERVER_KEY_KIDS,
  STATIC_CLIENTS,
  STATIC_CLIENT_SECRET,
  startGatehouse,
  type AuthMethod,
  type Gatehouse,
} from './harness.ts';
import {
  codeFlow,
  introspect,
  registerClient,
  rejectsWithAuthorizationError,
  rejectsWithOAuthError,
  staticClient,
} from './rp-kit.ts';

/** MAS's token format: prefix, 30 base62 characters, 6 base62 checksum characters. */
const ACCESS_TOKEN = /^mat_[0-9A-Za-z]{30}_[0-9A-Za-z]{6}$/;
const REFRESH_TOKEN = /^mar_[0-9A-Za-z]{30}_[0-9A-Za-z]{6}$/;

function decodeJwt(jwt: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>,
  };
}

describe('openid-client against gatehouse server', { timeout: 120_000 }, () => {
  let gh: Gatehouse;

  before(async () => {
    gh = await startGatehouse();
  });
  after(async () => {
    const exit = await gh.stop();
    assert.equal(exit, 0, `gatehouse server did not exit cleanly:\n${gh.process.output()}`);
  });

  it('discovers the provider and publishes one key of every type', async () => {
    const config = await staticClient(gh, 'none');
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, gh.issuer);
    assert.equal(metadata.authorization_endpoint, gh.url('/authorize'));
    assert.equal(metadata.token_endpoint, gh.url('/oauth2/token'));
    assert.equal(metadata.userinfo_endpoint, gh.url('/oauth2/userinfo'));
    assert.equal(metadata.introspection_endpoint, gh.url('/oauth2/introspect'));
    assert.equal(metadata.revocation_endpoint, gh.url('/oauth2/revoke'));
    assert.equal(metadata.registration_endpoint, gh.url('/oauth2/registration'));
    assert.equal(metadata.device_authorization_endpoint, gh.url('/oauth2/device'));
    assert.equal(metadata.end_session_endpoint, gh.url('/oauth2/logout'));
    assert.equal(metadata.jwks_uri, gh.url('/oauth2/keys.json'));
    assert.ok(metadata.code_challenge_methods_supported?.includes('S256'));
    assert.deepEqual(
      [...(metadata.id_token_signing_alg_values_supported ?? [])].sort(),
      [...ALL_SIGNING_ALGS].sort(),
    );
    assert.deepEqual(
      [...(metadata.token_endpoint_auth_methods_supported ?? [])].sort(),
      Object.keys(STATIC_CLIENTS).sort(),
    );

    const response = await fetch(gh.url('/oauth2/keys.json'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    const jwks = (await response.json()) as { keys: Record<string, string>[] };
    const byKid = new Map(jwks.keys.map((key) => [key.kid, key]));
    assert.deepEqual([...byKid.keys()].sort(), Object.values(SERVER_KEY_KIDS).sort());
    assert.equal(byKid.get(SERVER_KEY_KIDS.rsa)?.kty, 'RSA');
    assert.equal(byKid.get(SERVER_KEY_KIDS.p256)?.crv, 'P-256');
    assert.equal(byKid.get(SERVER_KEY_KIDS.p384)?.crv, 'P-384');
    assert.equal(byKid.get(SERVER_KEY_KIDS.secp256k1)?.crv, 'secp256k1');
    assert.equal(byKid.get(SERVER_KEY_KIDS.ed25519)?.crv, 'Ed25519');
    for (const key of jwks.keys) {
      assert.equal(key.use, 'sig');
      // No `alg` member, as MAS: the RSA key serves six algorithms (see src/crypto/signing-key.ts).
      assert.equal(key.d, undefined, 'no private key material is published');
    }
  });

  it('registers clients dynamically; a registered confidential client can get tokens', async () => {
    const confidential = await registerClient(gh, {
      client_name: 'E2E service',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    });
    const issued = confidential.clientMetadata();
    assert.match(issued.client_id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(typeof issued.client_secret, 'string');
    assert.equal(issued.token_endpoint_auth_method, 'client_secret_basic');
    const tokens = await client.clientCredentialsGrant(confidential);
    assert.match(tokens.access_token, ACCESS_TOKEN);

    const publicMetadata = { client_name: 'E2E same public app', application_type: 'web' };
    const first = await registerClient(gh, publicMetadata);
    const second = await registerClient(gh, publicMetadata);
    assert.equal(first.clientMetadata().client_secret, undefined);
    assert.equal(second.clientMetadata().client_id, first.clientMetadata().client_id);
  });

  it('runs the authorization code flow with PKCE, state and nonce; consent is remembered', async () => {
    const config = await staticClient(gh, 'none');
    const browser = new Browser();
    const first = await codeFlow(config, browser, { user: ALICE, scope: 'openid profile' });
    assert.deepEqual(first.steps, ['login', 'consent']);
    assert.ok(browser.cookies.has('session'), 'the browser holds a session cookie');

    const { tokens } = first;
    assert.match(tokens.access_token, ACCESS_TOKEN);
    assert.match(tokens.refresh_token ?? '', REFRESH_TOKEN);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.expires_in, 300);
    assert.deepEqual(tokens.scope?.split(' ').sort(), ['openid', 'profile']);
    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.iss, gh.issuer);
    assert.equal(claims.aud, STATIC_CLIENTS.none);
    assert.equal(claims.nonce, first.nonce);
    assert.equal(typeof claims.sub, 'string');
    assert.equal(typeof claims.auth_time, 'number');
    assert.equal(typeof claims.at_hash, 'string');
    assert.equal(claims.preferred_username, ALICE.username);
    assert.ok(claims.exp - claims.iat <= 3600 && claims.exp - claims.iat > 3000, 'id_token: 1 h');

    // Same client, same scopes, same browser: no sign-in, no consent page.
    const again = await codeFlow(config, browser, { scope: 'openid profile' });
    assert.deepEqual(again.steps, []);
    assert.equal(again.tokens.claims()?.sub, claims.sub);
    // More scopes than consented: the consent page comes back.
    const grown = await codeFlow(config, browser, { scope: 'openid profile email' });
    assert.deepEqual(grown.steps, ['consent']);
  });

  it('runs the code flow for a confidential client (client_secret_basic, private_key_jwt)', async () => {
    const browser = new Browser();
    for (const method of ['client_secret_basic', 'private_key_jwt'] as const) {
      const config = await staticClient(gh, method);
      const { tokens } = await codeFlow(config, browser, { user: ALICE });
      assert.equal(tokens.claims()?.aud, STATIC_CLIENTS[method]);
      assert.match(tokens.access_token, ACCESS_TOKEN);
    }
  });

  it('returns the code in the fragment or by form_post when asked', async () => {
    const config = await staticClient(gh, 'client_secret_post');
    const browser = new Browser();
    const fragment = await codeFlow(config, browser, {
      user: ALICE,
      params: { response_mode: 'fragment' },
    });
    assert.match(fragment.tokens.access_token, ACCESS_TOKEN);
    // Where the parameters really went: after the fragment (consent is remembered by now).
    const raw = await browser.get(
      client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        response_mode: 'fragment',
        state: 'xyz',
      }).href,
    );
    const location = new URL(raw.location ?? 'about:blank');
    assert.equal(location.search, '');
    assert.equal(new URLSearchParams(location.hash.slice(1)).get('state'), 'xyz');
    assert.ok(new URLSearchParams(location.hash.slice(1)).get('code'));

    const formPost = await codeFlow(config, browser, { params: { response_mode: 'form_post' } });
    assert.ok(formPost.callback instanceof Request, 'the browser posts the response to the client');
    assert.match(formPost.tokens.access_token, ACCESS_TOKEN);
  });

  it('signs id_tokens with every key type, as each client registered', async () => {
    const browser = new Browser();
    const jwks = (await (await fetch(gh.url('/oauth2/keys.json'))).json()) as {
      keys: (JsonWebKey & { kid: string })[];
    };
    for (const alg of ALL_SIGNING_ALGS) {
      const config = await registerClient(gh, {
        client_name: `E2E ${alg} app`,
        id_token_signed_response_alg: alg,
      });
      // oauth4webapi cannot verify ES256K (secp256k1 is not in WebCrypto): for that algorithm
      // openid-client still checks every claim, and the signature is verified below with
      // node:crypto against the published JWKS. For all others openid-client verifies it.
      if (alg !== 'ES256K') client.enableNonRepudiationChecks(config);
      const { tokens, nonce } = await codeFlow(config, browser, {
        user: ALICE,
        scope: 'openid',
      });
      const idToken = tokens.id_token!;
      const { header, payload } = decodeJwt(idToken);
      assert.equal(header.alg, alg);
      assert.equal(payload.nonce, nonce);
      const expectedKid: string = {
        RS256: SERVER_KEY_KIDS.rsa,
        RS384: SERVER_KEY_KIDS.rsa,
        RS512: SERVER_KEY_KIDS.rsa,
        PS256: SERVER_KEY_KIDS.rsa,
        PS384: SERVER_KEY_KIDS.rsa,
        PS512: SERVER_KEY_KIDS.rsa,
        ES256: SERVER_KEY_KIDS.p256,
        ES384: SERVER_KEY_KIDS.p384,
        ES256K: SERVER_KEY_KIDS.secp256k1,
        EdDSA: SERVER_KEY_KIDS.ed25519,
      }[alg];
      assert.equal(header.kid, expectedKid, `${alg} is signed with the matching key`);
      if (alg === 'ES256K') {
        const jwk = jwks.keys.find((key) => key.kid === header.kid);
        assert.ok(jwk, 'the ES256K key is published');
        const [h, p, s] = idToken.split('.');
        const valid = verifySignature(
          'sha256',
          Buffer.from(`${h}.${p}`),
          { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
          Buffer.from(s!, 'base64url'),
        );
        assert.ok(valid, 'the ES256K id_token signature verifies');
        const tampered = verifySignature(
          'sha256',
          Buffer.from(`${h}.${p}x`),
          { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
          Buffer.from(s!, 'base64url'),
        );
        assert.equal(tampered, false);
      }
    }
  });

  it('rotates refresh tokens and applies the lost-response rule', async () => {
    const config = await staticClient(gh, 'none');
    const { tokens } = await codeFlow(config, new Browser(), { user: ALICE });
    const r1 = tokens.refresh_token!;

    const second = await client.refreshTokenGrant(config, r1);
    assert.match(second.access_token, ACCESS_TOKEN);
    assert.notEqual(second.refresh_token, r1, 'the refresh token rotates');
    assert.match(second.refresh_token ?? '', REFRESH_TOKEN);

    // The response carrying `second` was "lost": the client never used its access token, so the
    // consumed refresh token is accepted once more and the unused pair is revoked.
    const third = await client.refreshTokenGrant(config, r1);
    assert.notEqual(third.access_token, second.access_token);
    assert.equal((await introspect(gh, second.access_token)).active, false);
    await rejectsWithOAuthError(
      client.refreshTokenGrant(config, second.refresh_token!),
      'invalid_grant',
    );

    // Once the new access token has been used, the consumed refresh token is refused.
    const sub = tokens.claims()!.sub;
    await client.fetchUserInfo(config, third.access_token, sub);
    await rejectsWithOAuthError(client.refreshTokenGrant(config, r1), 'invalid_grant');
    // ... and the session goes on with the current refresh token.
    const fourth = await client.refreshTokenGrant(config, third.refresh_token!);
    assert.match(fourth.access_token, ACCESS_TOKEN);
  });

  it('introspects tokens with MAS\u2019s fields', async () => {
    const config = await staticClient(gh, 'none');
    const { tokens } = await codeFlow(config, new Browser(), {
      user: ALICE,
      scope: 'openid profile',
    });
    const sub = tokens.claims()!.sub;
    const now = Math.floor(Date.now() / 1000);

    const access = await introspect(gh, tokens.access_token);
    assert.equal(access.active, true);
    assert.deepEqual(access.scope?.split(' ').sort(), ['openid', 'profile']);
    assert.equal(access.client_id, STATIC_CLIENTS.none);
    assert.equal(access.username, ALICE.username);
    assert.equal(access.token_type, 'access_token');
    assert.equal(access.sub, sub);
    assert.ok(typeof access.exp === 'number' && Math.abs(access.exp - now - 300) <= 10);
    assert.ok(typeof access.iat === 'number' && Math.abs(access.iat - now) <= 10);
    assert.equal(access.nbf, access.iat);
    assert.ok(typeof access.expires_in === 'number' && access.expires_in <= 300);
    assert.equal(typeof access.jti, 'string');

    const refresh = await introspect(gh, tokens.refresh_token!);
    assert.equal(refresh.active, true);
    assert.equal(refresh.token_type, 'refresh_token');
    assert.equal(refresh.sub, sub);

    for (const bad of ['mat_nothing', 'not-a-token', `${tokens.access_token.slice(0, -1)}x`]) {
      assert.deepEqual(await introspect(gh, bad), { active: false });
    }
  });

  it('revokes tokens: the token and its session end', async () => {
    const config = await staticClient(gh, 'none');
    const { tokens } = await codeFlow(config, new Browser(), { user: ALICE });
    assert.equal((await introspect(gh, tokens.access_token)).active, true);

    await client.tokenRevocation(config, tokens.access_token);
    assert.equal((await introspect(gh, tokens.access_token)).active, false);
    assert.equal((await introspect(gh, tokens.refresh_token!)).active, false);
    await rejectsWithOAuthError(
      client.refreshTokenGrant(config, tokens.refresh_token!),
      'invalid_grant',
    );
    // An unknown token is not an error (RFC 7009 §2.2).
    await client.tokenRevocation(config, 'mat_unknownunknownunknownunknow_000000');
  });

  it('serves userinfo as JSON and, when the client asked for it, as a signed JWT', async () => {
    const browser = new Browser();
    const plain = await staticClient(gh, 'none');
    const { tokens } = await codeFlow(plain, browser, { user: ALICE, scope: 'openid profile' });
    const sub = tokens.claims()!.sub;
    const info = await client.fetchUserInfo(plain, tokens.access_token, sub);
    assert.equal(info.sub, sub);
    assert.equal(info.username, ALICE.username);

    const signed = await registerClient(gh, {
      client_name: 'E2E signed userinfo app',
      userinfo_signed_response_alg: 'ES384',
    });
    // Verifies the userinfo JWT's signature against the JWKS (and the id_token's).
    client.enableNonRepudiationChecks(signed);
    const flow = await codeFlow(signed, browser, { user: ALICE });
    const signedInfo = await client.fetchUserInfo(signed, flow.tokens.access_token, sub);
    assert.equal(signedInfo.sub, sub);
    assert.equal(signedInfo.username, ALICE.username);

    const raw = await fetch(gh.url('/oauth2/userinfo'), {
      headers: { authorization: `Bearer ${flow.tokens.access_token}` },
    });
    assert.equal(raw.status, 200);
    assert.match(raw.headers.get('content-type') ?? '', /^application\/jwt/);
    const { header, payload } = decodeJwt(await raw.text());
    assert.equal(header.alg, 'ES384');
    assert.equal(payload.iss, gh.issuer);
    assert.equal(payload.aud, signed.clientMetadata().client_id);
  });

  for (const method of [
    'client_secret_basic',
    'client_secret_post',
    'client_secret_jwt',
    'private_key_jwt',
  ] as const satisfies readonly AuthMethod[]) {
    it(`grants client credentials to a ${method} client`, async () => {
      const config = await staticClient(gh, method);
      const tokens = await client.clientCredentialsGrant(config);
      assert.match(tokens.access_token, ACCESS_TOKEN);
      assert.equal(tokens.refresh_token, undefined, 'no refresh token for client_credentials');
      assert.equal(tokens.id_token, undefined);
      const details = await introspect(gh, tokens.access_token);
      assert.equal(details.active, true);
      assert.equal(details.client_id, STATIC_CLIENTS[method]);
      assert.equal(details.username, undefined, 'no user behind a client credentials token');
    });
  }

  it('answers the token endpoint with no-store', async () => {
    const response = await fetch(gh.url('/oauth2/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: STATIC_CLIENTS.client_secret_post,
        client_secret: STATIC_CLIENT_SECRET,
      }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('cache-control') ?? '', /no-store/);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 300);
  });

  it('refuses client credentials to a public client', async () => {
    const config = await staticClient(gh, 'none');
    const refused = await rejectsWithOAuthError(
      client.clientCredentialsGrant(config),
      'unauthorized_client',
    );
    assert.equal(refused.status, 400);
  });

  it('ends the browser session through RP-initiated logout and returns to the client', async () => {
    const config = await registerClient(gh, {
      client_name: 'E2E logout app',
      post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
    });
    const browser = new Browser();
    const { tokens } = await codeFlow(config, browser, { user: ALICE });

    const state = client.randomState();
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
      state,
    });
    let page = await browser.get(url.href);
    // A confirmation page, if any, is answered with its (only) form.
    if (page.location === null && page.status === 200) {
      const result = await drive(browser, page, {
        decision: 'allow',
        stopAt: (u) => u.startsWith(POST_LOGOUT_REDIRECT_URI),
      });
      page = result.page;
    }
    assert.ok(page.location, `a redirect back to the client: ${textOf(page.body).slice(0, 300)}`);
    const back = new URL(page.location);
    assert.equal(`${back.origin}${back.pathname}`, POST_LOGOUT_REDIRECT_URI);
    assert.equal(back.searchParams.get('state'), state);

    await assertSignedOut(config, browser);
  });

  it('asks for confirmation before a logout without id_token_hint', async () => {
    const config = await staticClient(gh, 'none');
    const browser = new Browser();
    await codeFlow(config, browser, { user: ALICE });

    const page = await browser.get(client.buildEndSessionUrl(config).href);
    assert.equal(page.status, 200, 'a confirmation page, not an immediate logout');
    const form = parseForms(page.body, page.url).find((f) => f.method === 'post');
    assert.ok(form, `a confirmation form: ${textOf(page.body).slice(0, 300)}`);
    // Not yet signed out: the same client still gets a code silently.
    const stillIn = await codeFlow(config, browser, { params: { prompt: 'none' } });
    assert.deepEqual(stillIn.steps, []);

    const confirmed = await browser.submit(form);
    assert.ok(confirmed.status === 200 || confirmed.status === 303, `status ${confirmed.status}`);
    await assertSignedOut(config, browser);
  });

  /** A silent authorization request (`prompt=none`) comes back with login_required. */
  async function assertSignedOut(config: client.Configuration, browser: Browser): Promise<void> {
    const state = client.randomState();
    const verifier = client.randomPKCECodeVerifier();
    const silent = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      prompt: 'none',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const silentPage = await browser.get(silent.href);
    assert.ok(silentPage.location?.startsWith(REDIRECT_URI), 'sent back to the client');
    await rejectsWithAuthorizationError(
      client.authorizationCodeGrant(config, new URL(silentPage.location!), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      }),
      'login_required',
    );
  }
});
