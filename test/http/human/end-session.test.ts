// OpenID Connect RP-Initiated Logout at /oauth2/logout through the real listener app on SQLite:
// a valid id_token_hint for the signed-in user ends the browser session and the OAuth 2.0
// sessions it authorised, then returns to the registered URI with `state`; anything unverified
// (forged or foreign hints, unregistered URIs, mismatched client_id) is an HTML error page without
// a redirect; a request without a hint asks first, and only the CSRF-protected POST signs out.

import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { SignJWT } from 'jose';
import { asOAuth2ClientId, type OAuth2ClientId } from '../../../src/model/ids.ts';
import type { User } from '../../../src/model/user.ts';
import { signIdToken } from '../../../src/oauth2/id-token.ts';
import { issueTokens } from '../../../src/oauth2/token-issuer.ts';
import { newUlid } from '../../../src/rng.ts';
import {
  activeForHomeserver,
  addUser,
  CookieJar,
  hiddenField,
  startTestApp,
  submitForm,
  type TestApp,
} from '../../helpers/app.ts';
import { bareClientFields } from '../../helpers/storage.ts';

const BYE = 'https://rp.example.com/bye';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

let h: TestApp;
let jar: CookieJar;
let alice: User;
let bob: User;
let clientId: OAuth2ClientId;

async function addRp(): Promise<OAuth2ClientId> {
  const id = asOAuth2ClientId(newUlid(h.clock, h.ctx.rng));
  await h.db.storage.transaction((repos) =>
    repos.oauth2Clients.addDynamic(
      h.clock,
      id,
      bareClientFields({
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['https://rp.example.com/callback'],
        postLogoutRedirectUris: [BYE, 'https://rp.example.com/bye?from=op'],
        applicationType: 'web',
        clientName: 'Example RP',
        clientUri: 'https://rp.example.com/',
      }),
    ),
  );
  return id;
}

function idTokenFor(user: User, audience: string = clientId): Promise<string> {
  return signIdToken(
    { issuer: h.ctx.urls.issuer, clientId: audience, subject: user.id, alg: null },
    h.ctx.keystore,
    h.clock,
  );
}

/** Alice signs in, and the RP holds an OAuth 2.0 session (with tokens) from that browser session. */
async function signInWithAppSession(): Promise<{ accessToken: string; refreshToken: string }> {
  const response = await submitForm(h, jar, '/login', {
    username: 'alice',
    password: 'correct horse',
  });
  assert.equal(response.statusCode, 303);
  return h.db.storage.transaction(async (repos) => {
    const [browserSession] = await repos.browserSessions.listActiveForUser(alice);
    const session = await repos.oauth2Sessions.add(h.ctx.rng, h.clock, {
      clientId,
      userId: alice.id,
      browserSessionId: browserSession!.id,
      scope: 'openid',
      userAgent: null,
    });
    const issued = await issueTokens(
      repos,
      session,
      { clock: h.clock, rng: h.ctx.rng, accessTokenTtl: 300 },
      true,
    );
    return { accessToken: issued.accessToken, refreshToken: issued.refreshToken! };
  });
}

async function activeBrowserSessions(): Promise<number> {
  return h.db.storage.transaction(
    async (repos) => (await repos.browserSessions.listActiveForUser(alice)).length,
  );
}

async function tokenStates(tokens: { accessToken: string; refreshToken: string }) {
  return h.db.storage.transaction(async (repos) => {
    const access = await repos.accessTokens.findByHash(sha256(tokens.accessToken));
    const refresh = await repos.refreshTokens.findByHash(sha256(tokens.refreshToken));
    const session = await repos.oauth2Sessions.lookup(access!.sessionId);
    return {
      accessRevoked: access!.revokedAt !== null,
      refreshRevoked: refresh!.revokedAt !== null,
      sessionFinished: session!.finishedAt !== null,
    };
  });
}

function logout(query: Record<string, string>): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: 'GET',
    url: `/oauth2/logout?${new URLSearchParams(query).toString()}`,
    headers: jar.header(),
  });
}

function assertErrorPage(response: LightMyRequestResponse, message: RegExp): void {
  assert.equal(response.statusCode, 400);
  assert.equal(response.headers.location, undefined, 'no redirect');
  assert.match(String(response.headers['content-type']), /^text\/html/);
  assert.match(response.body, /<h1>Cannot sign out from here<\/h1>/);
  assert.match(response.body, message);
}

async function whoAmI(): Promise<string | null> {
  const page = await h.app.inject({ method: 'GET', url: '/', headers: jar.header() });
  const match = /You are signed in as <strong>([^<]+)<\/strong>/.exec(page.body);
  return match === null ? null : match[1]!;
}

describe('RP-initiated logout', () => {
  beforeEach(async () => {
    h = await startTestApp();
    jar = new CookieJar();
    alice = await addUser(h, 'alice', 'correct horse');
    bob = await addUser(h, 'bob', 'pw-of-bob');
    clientId = await addRp();
  });
  afterEach(() => h.close());

  it('ends the session and its app sessions, then returns to the registered URI with state', async () => {
    const tokens = await signInWithAppSession();
    assert.equal(await activeForHomeserver(h.app, tokens.accessToken), true);
    const hint = await idTokenFor(alice);
    const response = await logout({
      id_token_hint: hint,
      post_logout_redirect_uri: BYE,
      state: 'x y&z',
      ui_locales: 'fr en',
    });
    assert.equal(response.statusCode, 303, response.body);
    assert.equal(response.headers.location, `${BYE}?state=x+y%26z`);
    const cleared = response.cookies.find((c) => c.name === 'session');
    assert.equal(cleared?.value, '');
    jar.update(response);
    assert.equal(await activeBrowserSessions(), 0);
    assert.deepEqual(await tokenStates(tokens), {
      accessRevoked: true,
      refreshRevoked: true,
      sessionFinished: true,
    });
    assert.equal(await activeForHomeserver(h.app, tokens.accessToken), false);
    assert.equal(await activeForHomeserver(h.app, tokens.refreshToken), false);
    assert.equal(await whoAmI(), null);
  });

  it('accepts an expired hint, client_id naming its audience, and keeps the URI’s own query', async () => {
    await signInWithAppSession();
    const hint = await idTokenFor(alice);
    h.clock.advance(2 * 3600_000);
    const response = await logout({
      id_token_hint: hint,
      client_id: clientId,
      post_logout_redirect_uri: 'https://rp.example.com/bye?from=op',
      state: 's1',
    });
    assert.equal(response.statusCode, 303, response.body);
    assert.equal(response.headers.location, 'https://rp.example.com/bye?from=op&state=s1');
    assert.equal(await activeBrowserSessions(), 0);
  });

  it('shows the signed-out page when no return address is given', async () => {
    await signInWithAppSession();
    const response = await logout({ id_token_hint: await idTokenFor(alice) });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /<h1>You are signed out<\/h1>/);
    assert.match(response.body, /Example RP/);
    assert.equal(await activeBrowserSessions(), 0);
  });

  it('refuses an unregistered post_logout_redirect_uri without redirecting or signing out', async () => {
    const tokens = await signInWithAppSession();
    const hint = await idTokenFor(alice);
    for (const uri of ['https://evil.example.com/bye', `${BYE}/`, 'https://rp.example.com/BYE']) {
      const response = await logout({ id_token_hint: hint, post_logout_redirect_uri: uri });
      assertErrorPage(response, /not registered for this application/);
    }
    // A return address with no client to check it against.
    assertErrorPage(
      await logout({ post_logout_redirect_uri: BYE }),
      /names a return address but not the application/,
    );
    assert.equal(await activeBrowserSessions(), 1);
    assert.deepEqual(await tokenStates(tokens), {
      accessRevoked: false,
      refreshRevoked: false,
      sessionFinished: false,
    });
  });

  it('refuses forged, foreign and mismatched hints', async () => {
    await signInWithAppSession();
    const genuine = await idTokenFor(alice);
    const [header, payload, signature] = genuine.split('.') as [string, string, string];
    const flipped =
      signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    // Another key, claiming our key id.
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const kid = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string }).kid;
    const otherSigner = await new SignJWT({ sub: alice.id, aud: clientId, iss: h.ctx.urls.issuer })
      .setProtectedHeader({ alg: 'RS256', kid })
      .sign(otherKey);
    // Our key, another issuer.
    const foreignIssuer = await h.ctx.keystore.sign(
      {
        header: { typ: 'JWT' },
        payload: { iss: 'https://other.example.com/', sub: alice.id, aud: clientId },
      },
      'RS256',
    );
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    for (const hint of [
      `${header}.${payload}.${flipped}`,
      otherSigner,
      foreignIssuer,
      unsigned,
      'garbage',
    ]) {
      const response = await logout({ id_token_hint: hint, post_logout_redirect_uri: BYE });
      assertErrorPage(response, /ID token this server did not issue/);
    }
    const otherClient = await addRp();
    const mismatched = await logout({
      id_token_hint: genuine,
      client_id: otherClient,
      post_logout_redirect_uri: BYE,
    });
    assertErrorPage(mismatched, /client_id does not match/);
    assert.equal(await activeBrowserSessions(), 1);
  });

  it('without a hint, asks first and signs out only on the confirmed POST with CSRF', async () => {
    const tokens = await signInWithAppSession();
    const url = `/oauth2/logout?${new URLSearchParams({
      client_id: clientId,
      post_logout_redirect_uri: BYE,
      state: 'st',
    }).toString()}`;
    const page = await h.app.inject({ method: 'GET', url, headers: jar.header() });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1>Sign out of Example Auth\?<\/h1>/);
    assert.match(page.body, /Example RP asks to sign you out/);
    assert.equal(hiddenField(page.body, 'confirm'), 'yes');
    assert.equal(hiddenField(page.body, 'post_logout_redirect_uri'), BYE);
    assert.equal(await activeBrowserSessions(), 1, 'nothing ended by the GET');

    // A confirmation without the CSRF token (a cross-site form) is refused.
    const forged = await h.app.inject({
      method: 'POST',
      url: '/oauth2/logout',
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ confirm: 'yes', client_id: clientId }).toString(),
    });
    assert.equal(forged.statusCode, 400);
    assert.match(forged.body, /This form cannot be accepted/);
    assert.equal(await activeBrowserSessions(), 1);

    const confirmed = await submitForm(
      h,
      jar,
      url,
      {
        confirm: 'yes',
        client_id: clientId,
        post_logout_redirect_uri: BYE,
        state: 'st',
      },
      '/oauth2/logout',
    );
    assert.equal(confirmed.statusCode, 303, confirmed.body);
    assert.equal(confirmed.headers.location, `${BYE}?state=st`);
    assert.equal(await activeBrowserSessions(), 0);
    assert.equal((await tokenStates(tokens)).accessRevoked, true);
    assert.equal(await whoAmI(), null);
  });

  it('asks first when the hint names another user, and a plain RP POST is handled like a GET', async () => {
    await signInWithAppSession();
    const response = await h.app.inject({
      method: 'POST',
      url: '/oauth2/logout',
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        id_token_hint: await idTokenFor(bob),
        post_logout_redirect_uri: BYE,
      }).toString(),
    });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /You are signed in as <strong>alice<\/strong>/);
    assert.equal(await activeBrowserSessions(), 1);
  });

  it('without a browser session, goes straight back to the client', async () => {
    const response = await logout({
      id_token_hint: await idTokenFor(alice),
      post_logout_redirect_uri: BYE,
      state: 'q',
    });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, `${BYE}?state=q`);
    const page = await logout({});
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /You are signed out/);
  });

  it('refuses a parameter sent twice', async () => {
    await signInWithAppSession();
    const response = await h.app.inject({
      method: 'GET',
      url: `/oauth2/logout?post_logout_redirect_uri=${encodeURIComponent(BYE)}&post_logout_redirect_uri=x&client_id=${clientId}`,
      headers: jar.header(),
    });
    assertErrorPage(response, /sent more than once/);
  });
});
