// The error cases of the OAuth 2.0 / OIDC core, against a real `gatehouse server` process with
// openid-client as the relying party where it can express the request (raw HTTP where the request
// is one a correct RP would never send): authorization code reuse (within the grace period, and
// later, which ends the session), refresh token replay, PKCE missing or wrong, an unregistered
// redirect URI (an HTML page, no redirect), `prompt=none` without a session or without consent,
// a denied consent, client authentication failures and malformed requests.
//
// The tests share one server, on PostgreSQL (the other e2e files use SQLite), and run
// concurrently: the code-theft case has to wait out the 20 s grace period in real time, and the
// others run meanwhile.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { createTestDatabase } from '../helpers/postgres.ts';
import { authorizeInBrowser, Browser, textOf } from './browser.ts';
import {
  ALICE,
  REDIRECT_URI,
  STATIC_CLIENTS,
  STATIC_CLIENT_SECRET,
  startGatehouse,
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

/** The authorization code reuse grace period of the token endpoint (MAS: 20 s). */
const CODE_REUSE_GRACE_MS = 20_000;

interface PreparedRequest {
  readonly url: URL;
  readonly verifier: string;
  readonly state: string;
}

async function prepare(
  config: client.Configuration,
  params: Record<string, string> = {},
  options: { pkce?: boolean } = {},
): Promise<PreparedRequest> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const pkce: Record<string, string> =
    options.pkce === false
      ? {}
      : {
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    state,
    ...pkce,
    ...params,
  });
  return { url, verifier, state };
}

async function tokenRequest(
  gh: Gatehouse,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(gh.url('/oauth2/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  const text = await response.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    assert.fail(
      `the token endpoint answered ${response.status} with non-JSON: ${text.slice(0, 200)}`,
    );
  }
  return { status: response.status, headers: response.headers, json };
}

const basicAuth = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe(
  'OAuth 2.0 / OIDC error cases against gatehouse server',
  { concurrency: true, timeout: 120_000 },
  () => {
    let gh: Gatehouse;

    before(async () => {
      gh = await startGatehouse({ database: await createTestDatabase('e2e') });
    });
    after(async () => {
      const exit = await gh.stop();
      assert.equal(exit, 0, `gatehouse server did not exit cleanly:\n${gh.process.output()}`);
    });

    it('refuses a reused authorization code, and ends the session when reused after 20 s', async () => {
      const config = await staticClient(gh, 'none');
      const browser = new Browser();
      const { url, verifier, state } = await prepare(config);
      const { callback } = await authorizeInBrowser(browser, url, REDIRECT_URI, { user: ALICE });
      const checks = { pkceCodeVerifier: verifier, expectedState: state };
      const tokens = await client.authorizationCodeGrant(config, callback, checks);

      // At once (a client retrying): refused, the session lives on.
      await rejectsWithOAuthError(
        client.authorizationCodeGrant(config, callback, checks),
        'invalid_grant',
      );
      assert.equal((await introspect(gh, tokens.access_token)).active, true);

      // After the grace period: taken as stolen, the session the first exchange made is ended.
      await sleep(CODE_REUSE_GRACE_MS + 1_500);
      await rejectsWithOAuthError(
        client.authorizationCodeGrant(config, callback, checks),
        'invalid_grant',
      );
      assert.equal((await introspect(gh, tokens.access_token)).active, false);
      await rejectsWithOAuthError(
        client.refreshTokenGrant(config, tokens.refresh_token!),
        'invalid_grant',
      );
    });

    it('refuses a replayed refresh token once its successor has been used', async () => {
      const config = await staticClient(gh, 'none');
      const { tokens } = await codeFlow(config, new Browser(), { user: ALICE });
      const rotated = await client.refreshTokenGrant(config, tokens.refresh_token!);
      await client.fetchUserInfo(config, rotated.access_token, tokens.claims()!.sub);
      await rejectsWithOAuthError(
        client.refreshTokenGrant(config, tokens.refresh_token!),
        'invalid_grant',
      );
      await rejectsWithOAuthError(
        client.refreshTokenGrant(config, tokens.refresh_token!),
        'invalid_grant',
      );
      // Another client cannot use this client's refresh token.
      const other = await staticClient(gh, 'client_secret_post');
      await rejectsWithOAuthError(
        client.refreshTokenGrant(other, rotated.refresh_token!),
        'invalid_grant',
      );
    });

    it('requires PKCE from a public client', async () => {
      const config = await staticClient(gh, 'none');
      const browser = new Browser();
      const { url, state } = await prepare(config, {}, { pkce: false });
      const { callback } = await authorizeInBrowser(browser, url, REDIRECT_URI, { user: ALICE });
      const error = await rejectsWithAuthorizationError(
        client.authorizationCodeGrant(config, callback, { expectedState: state }),
        'invalid_request',
      );
      assert.equal(error.cause.get('state'), state);

      const plain = await prepare(config, {
        code_challenge_method: 'plain',
        code_challenge: 'x'.repeat(43),
      });
      const plainBack = await authorizeInBrowser(browser, plain.url, REDIRECT_URI, { user: ALICE });
      await rejectsWithAuthorizationError(
        client.authorizationCodeGrant(config, plainBack.callback, { expectedState: plain.state }),
        'invalid_request',
      );
    });

    it('refuses a wrong or missing PKCE code verifier', async () => {
      const config = await staticClient(gh, 'none');
      const browser = new Browser();
      const wrong = await prepare(config);
      const back = await authorizeInBrowser(browser, wrong.url, REDIRECT_URI, { user: ALICE });
      await rejectsWithOAuthError(
        client.authorizationCodeGrant(config, back.callback, {
          pkceCodeVerifier: client.randomPKCECodeVerifier(),
          expectedState: wrong.state,
        }),
        'invalid_grant',
      );

      const missing = await prepare(config);
      const back2 = await authorizeInBrowser(browser, missing.url, REDIRECT_URI, { user: ALICE });
      await rejectsWithOAuthError(
        client.authorizationCodeGrant(config, back2.callback, { expectedState: missing.state }),
        'invalid_grant',
      );
    });

    it('shows an error page and does not redirect to an unregistered redirect URI', async () => {
      const config = await staticClient(gh, 'none');
      const browser = new Browser();
      for (const redirect of ['https://evil.example.net/callback', `${REDIRECT_URI}/extra`]) {
        const { url } = await prepare(config, { redirect_uri: redirect });
        const page = await browser.get(url.href);
        assert.equal(page.status, 400, `${redirect}: ${textOf(page.body).slice(0, 200)}`);
        assert.equal(page.location, null, 'no redirect');
        assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
        assert.doesNotMatch(page.body, /evil\.example\.net/);
      }
      // An unknown client: the same.
      const unknown = new URL(gh.url('/authorize'));
      unknown.search = new URLSearchParams({
        client_id: '0000000000000000000000000Z',
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
      }).toString();
      const page = await browser.get(unknown.href);
      assert.equal(page.status, 400);
      assert.equal(page.location, null);
    });

    it('answers prompt=none with login_required without a session, consent_required without consent', async () => {
      // A client of its own: consent is remembered per user and client, and the other tests (running
      // at the same time) consent to the static clients.
      const config = await registerClient(gh, { client_name: 'E2E prompt=none app' });
      const browser = new Browser();
      const silent = await prepare(config, { prompt: 'none' });
      const first = await browser.get(silent.url.href);
      assert.ok(first.location?.startsWith(REDIRECT_URI), 'sent back to the client');
      await rejectsWithAuthorizationError(
        client.authorizationCodeGrant(config, new URL(first.location!), {
          pkceCodeVerifier: silent.verifier,
          expectedState: silent.state,
        }),
        'login_required',
      );

      // Signed in (through another client's flow), but this client never got consent.
      await codeFlow(await staticClient(gh, 'client_secret_basic'), browser, { user: ALICE });
      const again = await prepare(config, { prompt: 'none' });
      const second = await browser.get(again.url.href);
      assert.ok(second.location?.startsWith(REDIRECT_URI), 'sent back to the client');
      await rejectsWithAuthorizationError(
        client.authorizationCodeGrant(config, new URL(second.location!), {
          pkceCodeVerifier: again.verifier,
          expectedState: again.state,
        }),
        'consent_required',
      );
    });

    it('sends access_denied back when the user denies consent', async () => {
      const config = await staticClient(gh, 'client_secret_post');
      const { url, state } = await prepare(config);
      const { callback } = await authorizeInBrowser(new Browser(), url, REDIRECT_URI, {
        user: ALICE,
        decision: 'deny',
      });
      await rejectsWithAuthorizationError(
        client.authorizationCodeGrant(config, callback, { expectedState: state }),
        'access_denied',
      );
    });

    it('refuses a replayed private_key_jwt assertion (same jti)', async () => {
      const jti = `e2e-replay-${client.randomState()}`;
      const config = await client.discovery(
        gh.issuerUrl,
        STATIC_CLIENTS.private_key_jwt,
        {},
        client.PrivateKeyJwt(
          { key: gh.clientKey.privateKey, kid: gh.clientKey.kid },
          {
            [client.modifyAssertion]: (_header, payload) => {
              payload.jti = jti;
            },
          },
        ),
        { execute: [client.allowInsecureRequests] },
      );
      await client.clientCredentialsGrant(config);
      const replay = await rejectsWithOAuthError(
        client.clientCredentialsGrant(config),
        'invalid_client',
      );
      assert.equal(replay.status, 401);
    });

    it('refuses bad client authentication with 401 and WWW-Authenticate', async () => {
      const wrongSecret = await tokenRequest(gh, 'grant_type=client_credentials', {
        authorization: basicAuth(STATIC_CLIENTS.client_secret_basic, 'not-the-secret'),
      });
      assert.equal(wrongSecret.status, 401);
      assert.equal(wrongSecret.json.error, 'invalid_client');
      assert.match(wrongSecret.headers.get('www-authenticate') ?? '', /^Basic/i);

      const unknownClient = await tokenRequest(gh, 'grant_type=client_credentials', {
        authorization: basicAuth('0000000000000000000000000Z', STATIC_CLIENT_SECRET),
      });
      assert.equal(unknownClient.status, 401);
      assert.equal(unknownClient.json.error, 'invalid_client');

      // A public client may not introspect.
      const introspection = await fetch(gh.url('/oauth2/introspect'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: STATIC_CLIENTS.none, token: 'mat_x' }).toString(),
      });
      assert.equal(introspection.status, 401);
      assert.ok(introspection.headers.has('www-authenticate'));
      const body = (await introspection.json()) as { error?: string };
      assert.equal(body.error, 'invalid_client');
    });

    it('rejects malformed token requests with OAuth errors, never a 500', async () => {
      const post = `client_id=${STATIC_CLIENTS.client_secret_post}&client_secret=${STATIC_CLIENT_SECRET}`;
      const duplicate = await tokenRequest(
        gh,
        `grant_type=client_credentials&grant_type=client_credentials&${post}`,
      );
      assert.equal(duplicate.status, 400);
      assert.equal(duplicate.json.error, 'invalid_request');

      const unsupported = await tokenRequest(gh, `grant_type=password&${post}`);
      assert.equal(unsupported.status, 400);
      assert.equal(unsupported.json.error, 'unsupported_grant_type');

      const missingCode = await tokenRequest(gh, `grant_type=authorization_code&${post}`);
      assert.equal(missingCode.status, 400);
      assert.equal(missingCode.json.error, 'invalid_request');

      const badCode = await tokenRequest(
        gh,
        `grant_type=authorization_code&code=nope&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&${post}`,
      );
      assert.equal(badCode.status, 400);
      assert.equal(badCode.json.error, 'invalid_grant');

      const badRefresh = await tokenRequest(
        gh,
        `grant_type=refresh_token&refresh_token=mar_abcdefghijabcdefghijabcdefghij_000000&${post}`,
      );
      assert.equal(badRefresh.status, 400);
      assert.equal(badRefresh.json.error, 'invalid_grant');

      for (const garbage of ['%%%', '{"grant_type":"client_credentials"}', 'a=b&'.repeat(500)]) {
        const response = await tokenRequest(gh, garbage);
        assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
        assert.equal(typeof response.json.error, 'string');
      }

      const userinfo = await fetch(gh.url('/oauth2/userinfo'), {
        headers: { authorization: 'Bearer mat_abcdefghijabcdefghijabcdefghij_000000' },
      });
      assert.equal(userinfo.status, 401);
      assert.match(userinfo.headers.get('www-authenticate') ?? '', /^Bearer/i);
    });
  },
);
