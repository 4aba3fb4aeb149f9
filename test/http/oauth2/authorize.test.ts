// GET /authorize through the real listener app: the full code flow with PKCE, sign-in and consent
// (SQLite and PostgreSQL), id_token checked with jose against /oauth2/keys.json, remembered
// consent, prompt=none/login/consent/create, max_age, login_hint, response modes, PKCE rules for
// public and confidential clients, and the errors shown as a page (untrusted redirect URI) or sent
// back to the client.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { leftHalfHash } from '../../../src/oauth2/id-token.ts';
import {
  addClient,
  authorize,
  authorizeUrl,
  callbackParams,
  CHALLENGE,
  CookieJar,
  exchangeCode,
  get,
  location,
  newAlice,
  REDIRECT_URI,
  signIn,
  startOAuthApp,
  submitForm,
  type TestApp,
  type TestClient,
  type Tokens,
} from './oauth2-app.ts';

async function codeFlow(h: TestApp): Promise<void> {
  const alice = await newAlice(h);
  const client = await addClient(h);
  const jar = new CookieJar();

  // Not signed in: to the login page, which comes back to the request.
  const start = await get(h, jar, authorizeUrl(client, { login_hint: 'mxid:@alice:example.test' }));
  assert.equal(start.statusCode, 303);
  const login = location(start);
  assert.equal(login.pathname, '/login');
  assert.equal(login.searchParams.get('login_hint'), 'mxid:@alice:example.test');
  const next = login.searchParams.get('next')!;
  assert.match(next, /^\/authorize\/continue\/[0-9A-Z]{26}$/);
  const loginPage = await get(h, jar, `${login.pathname}${login.search}`);
  assert.match(loginPage.body, /value="alice"/, 'login_hint prefills the username');

  const signedIn = await submitForm(h, jar, `${login.pathname}${login.search}`, {
    username: 'alice',
    password: 'correct horse battery',
  });
  assert.equal(signedIn.statusCode, 303);
  assert.equal(signedIn.headers.location, next);

  // Back at the request: consent is asked.
  const resumed = await get(h, jar, next);
  assert.equal(resumed.statusCode, 303);
  const consentPath = location(resumed).pathname;
  assert.match(consentPath, /^\/consent\/[0-9A-Z]{26}$/);
  const page = await get(h, jar, consentPath);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Allow access to Example App\?/);
  assert.match(page.body, /src="https:\/\/app.example.com\/logo.png"/);
  assert.match(page.body, /href="https:\/\/app.example.com\/tos"/);
  assert.match(page.body, /href="https:\/\/app.example.com\/privacy"/);
  assert.match(page.body, /Know who you are on this service/);
  assert.match(page.body, /See your username/);
  assert.match(page.body, /app.example.com/);

  const allowed = await submitForm(h, jar, consentPath, { action: 'allow' });
  const params = callbackParams(allowed);
  assert.equal(params.get('state'), 'st4te');
  const code = params.get('code')!;
  assert.match(code, /^[A-Za-z0-9]{32}$/);

  // The code is stored only as its hash.
  const grant = await h.db.storage.transaction((repos) =>
    repos.authorizationGrants.lookup(consentPath.split('/').pop() as never),
  );
  assert.ok(grant?.codeHash);
  assert.notEqual(grant.codeHash, code);

  const response = await exchangeCode(h, client, code);
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers.pragma, 'no-cache');
  const tokens = response.json() as Tokens;
  assert.deepEqual(Object.keys(tokens).sort(), [
    'access_token',
    'expires_in',
    'id_token',
    'refresh_token',
    'scope',
    'token_type',
  ]);
  assert.equal(tokens.token_type, 'Bearer');
  assert.equal(tokens.expires_in, 300);
  assert.equal(tokens.scope, 'openid profile');
  assert.match(tokens.access_token, /^mat_[0-9A-Za-z]{30}_[0-9A-Za-z]{6}$/);
  assert.match(tokens.refresh_token!, /^mar_[0-9A-Za-z]{30}_[0-9A-Za-z]{6}$/);

  // The id_token, verified with the published keys.
  const jwks = (await h.app.inject({ method: 'GET', url: '/oauth2/keys.json' })).json();
  const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, createLocalJWKSet(jwks), {
    issuer: 'http://auth.example.test/',
    audience: client.id,
    currentDate: h.clock.now(),
  });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(payload.sub, alice.id);
  assert.equal(payload.nonce, 'n0nce');
  assert.equal(payload.preferred_username, 'alice');
  assert.equal(payload.at_hash, leftHalfHash(tokens.access_token, 'RS256'));
  assert.equal(payload.c_hash, leftHalfHash(code, 'RS256'));
  assert.equal(payload.auth_time, Math.floor(h.clock.now().getTime() / 1000));
  assert.equal(payload.exp, payload.iat! + 3600);
  assert.equal(payload.email, undefined, 'no email scope, no email');
}

describe('GET /authorize', () => {
  let h: TestApp;
  let client: TestClient;
  let jar: CookieJar;

  beforeEach(async () => {
    h = await startOAuthApp();
    await newAlice(h);
    client = await addClient(h);
    jar = new CookieJar();
  });
  afterEach(() => h.close());

  it('remembers consent: asked once, again when the scopes grow, and with prompt=consent', async () => {
    await signIn(h, jar);
    assert.equal((await authorize(h, jar, client)).consented, true);
    const second = await authorize(h, jar, client);
    assert.equal(second.consented, false, 'remembered');
    assert.match(second.code, /^[A-Za-z0-9]{32}$/);
    assert.equal((await authorize(h, jar, client, { scope: 'openid' })).consented, false, 'fewer');
    assert.equal(
      (await authorize(h, jar, client, { scope: 'openid profile email' })).consented,
      true,
      'grown scope asks again',
    );
    assert.equal((await authorize(h, jar, client, { prompt: 'consent' })).consented, true);
    const consent = await h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      return repos.consents.find(alice!.id, client.id);
    });
    assert.deepEqual(consent?.scopes, ['email', 'openid', 'profile']);
  });

  it('prompt=none: login_required, then consent_required, then a code', async () => {
    const none = await get(h, jar, authorizeUrl(client, { prompt: 'none' }));
    let params = callbackParams(none);
    assert.equal(params.get('error'), 'login_required');
    assert.equal(params.get('state'), 'st4te');

    await signIn(h, jar);
    params = callbackParams(await get(h, jar, authorizeUrl(client, { prompt: 'none' })));
    assert.equal(params.get('error'), 'consent_required');

    await authorize(h, jar, client);
    params = callbackParams(await get(h, jar, authorizeUrl(client, { prompt: 'none' })));
    assert.equal(params.get('error'), null);
    assert.match(params.get('code')!, /^[A-Za-z0-9]{32}$/);

    params = callbackParams(await get(h, jar, authorizeUrl(client, { prompt: 'none login' })));
    assert.equal(params.get('error'), 'invalid_request');
  });

  it('prompt=login asks for the password again, then continues', async () => {
    await signIn(h, jar);
    await authorize(h, jar, client);
    h.clock.advance(1000);
    const start = await get(h, jar, authorizeUrl(client, { prompt: 'login' }));
    const login = location(start);
    assert.equal(login.pathname, '/login');
    const next = login.searchParams.get('next')!;
    // Going straight back without signing in again does not skip the sign-in.
    assert.equal(location(await get(h, jar, next)).pathname, '/login');
    const again = await submitForm(h, jar, `${login.pathname}${login.search}`, {
      username: 'alice',
      password: 'correct horse battery',
    });
    assert.equal(again.headers.location, next);
    const params = callbackParams(await get(h, jar, next));
    assert.match(params.get('code')!, /^[A-Za-z0-9]{32}$/);
  });

  it('max_age: a sign-in older than max_age asks for the password again', async () => {
    await signIn(h, jar);
    await authorize(h, jar, client);
    h.clock.advance(120_000);
    const fresh = await get(h, jar, authorizeUrl(client, { max_age: '3600' }));
    assert.ok(callbackParams(fresh).get('code'));
    const stale = await get(h, jar, authorizeUrl(client, { max_age: '60' }));
    assert.equal(location(stale).pathname, '/login');
    const none = await get(h, jar, authorizeUrl(client, { max_age: '60', prompt: 'none' }));
    assert.equal(callbackParams(none).get('error'), 'login_required');
  });

  it('prompt=create goes to registration only when password registration is on', async () => {
    const off = await get(h, jar, authorizeUrl(client, { prompt: 'create' }));
    assert.equal(location(off).pathname, '/login');
    await h.close();
    h = await startOAuthApp({ account: { password_registration_enabled: true } });
    client = await addClient(h);
    const on = await get(h, jar, authorizeUrl(client, { prompt: 'create' }));
    assert.equal(location(on).pathname, '/register');
    assert.match(location(on).searchParams.get('next')!, /^\/authorize\/continue\//);
  });

  it('stores ui_locales and the other request parameters with the grant', async () => {
    const start = await get(h, jar, authorizeUrl(client, { ui_locales: 'fr en', max_age: '600' }));
    const id = location(start).searchParams.get('next')!.split('/').pop()!;
    const grant = await h.db.storage.transaction((repos) =>
      repos.authorizationGrants.lookup(id as never),
    );
    assert.equal(grant?.uiLocales, 'fr en');
    assert.equal(grant?.maxAge, 600);
    assert.equal(grant?.nonce, 'n0nce');
    assert.equal(grant?.codeChallenge, CHALLENGE);
    assert.equal(grant?.codeChallengeMethod, 'S256');
    assert.equal(grant?.scope, 'openid profile');
  });

  it('an unknown client or unregistered redirect URI gets an error page, never a redirect', async () => {
    for (const url of [
      authorizeUrl(client, { redirect_uri: 'https://evil.example.com/callback' }),
      authorizeUrl(client, { client_id: '01HZZZZZZZZZZZZZZZZZZZZZZZ' }),
      authorizeUrl(client, { client_id: '' }),
      `${authorizeUrl(client)}&state=again`,
      `${authorizeUrl(client)}&x=%zz`,
    ]) {
      const response = await get(h, jar, url);
      assert.equal(response.statusCode, 400, url);
      assert.equal(response.headers.location, undefined, url);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.match(response.body, /Invalid authorization request/);
    }
  });

  it('redirect_uri may be left out when the client has exactly one', async () => {
    await signIn(h, jar);
    const response = await get(h, jar, authorizeUrl(client, { redirect_uri: '' }));
    assert.match(location(response).pathname, /^\/consent\//);
  });

  it('sends errors back to a trusted redirect URI with state', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ response_type: '' }, 'invalid_request'],
      [{ request: 'eyJ.x.y' }, 'request_not_supported'],
      [{ request_uri: 'https://app.example.com/r' }, 'request_uri_not_supported'],
      [{ registration: '{}' }, 'registration_not_supported'],
      [{ scope: '' }, 'invalid_scope'],
      [{ scope: 'openid  profile' }, 'invalid_scope'],
      [{ prompt: 'bogus' }, 'invalid_request'],
      [{ max_age: '-1' }, 'invalid_request'],
      [{ code_challenge_method: 'S512' }, 'invalid_request'],
      [{ code_challenge: 'short' }, 'invalid_request'],
      [{ nonce: 'n'.repeat(5000) }, 'invalid_request'],
    ];
    for (const [extra, error] of cases) {
      const params = callbackParams(await get(h, jar, authorizeUrl(client, extra)));
      assert.equal(params.get('error'), error, JSON.stringify(extra).slice(0, 80));
      assert.equal(params.get('state'), 'st4te');
      assert.ok(params.get('error_description'));
    }
    const fragment = await get(h, jar, authorizeUrl(client, { response_mode: 'nope' }));
    assert.equal(callbackParams(fragment).get('error'), 'invalid_request');
  });

  it('a client without the authorization_code grant is unauthorized_client', async () => {
    const other = await addClient(h, { grantTypes: ['client_credentials'] });
    const params = callbackParams(await get(h, jar, authorizeUrl(other)));
    assert.equal(params.get('error'), 'unauthorized_client');
  });

  it('public clients must use PKCE with S256; confidential clients may use plain or none', async () => {
    const pub = await addClient(h, { method: 'none' });
    const missing = callbackParams(
      await get(h, jar, authorizeUrl(pub, { code_challenge: '', code_challenge_method: '' })),
    );
    assert.equal(missing.get('error'), 'invalid_request');
    const plain = callbackParams(
      await get(
        h,
        jar,
        authorizeUrl(pub, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }),
      ),
    );
    assert.equal(plain.get('error'), 'invalid_request');

    await signIn(h, jar);
    const verifier = 'p'.repeat(50);
    const { code } = await authorize(h, jar, client, {
      code_challenge: verifier,
      code_challenge_method: 'plain',
    });
    const ok = await exchangeCode(h, client, code, { code_verifier: verifier });
    assert.equal(ok.statusCode, 200, ok.body);
    const { code: noPkce } = await authorize(h, jar, client, {
      code_challenge: '',
      code_challenge_method: '',
    });
    const ok2 = await exchangeCode(h, client, noPkce, { code_verifier: '' });
    assert.equal(ok2.statusCode, 200, ok2.body);
  });

  it('response_mode=fragment puts the code in the fragment', async () => {
    await signIn(h, jar);
    await authorize(h, jar, client);
    const response = await get(h, jar, authorizeUrl(client, { response_mode: 'fragment' }));
    const url = location(response);
    assert.equal(url.search, '');
    const params = new URLSearchParams(url.hash.slice(1));
    assert.match(params.get('code')!, /^[A-Za-z0-9]{32}$/);
    assert.equal(params.get('state'), 'st4te');
  });

  it('response_mode=form_post answers with a form that posts to the client, submitted by a same-origin script', async () => {
    await signIn(h, jar);
    await authorize(h, jar, client);
    const response = await get(h, jar, authorizeUrl(client, { response_mode: 'form_post' }));
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(
      response.body,
      new RegExp(`<form id="form-post" method="post" action="${REDIRECT_URI}">`),
    );
    assert.match(response.body, /<input type="hidden" name="code" value="[A-Za-z0-9]{32}">/);
    assert.match(response.body, /<input type="hidden" name="state" value="st4te">/);
    // Without JavaScript the user presses the button; with it, a script file submits the form.
    assert.match(response.body, /<button type="submit"/);
    assert.match(response.body, /<script src="\/assets\/form-post\.js" defer><\/script>/);
    assert.doesNotMatch(response.body, /<script>/, 'no inline script');
    assert.doesNotMatch(String(response.headers['content-security-policy']), /unsafe-inline/);
    // Errors use the same mode.
    const error = await get(
      h,
      jar,
      authorizeUrl(client, { response_mode: 'form_post', response_type: 'token' }),
    );
    assert.match(error.body, /name="error" value="unsupported_response_type"/);
  });
});

describe('the code flow', () => {
  it('works end to end on SQLite', async () => {
    const h = await startOAuthApp();
    try {
      await codeFlow(h);
    } finally {
      await h.close();
    }
  });

  it('works end to end on PostgreSQL', async () => {
    const h = await startOAuthApp({}, 'postgres');
    try {
      await codeFlow(h);
    } finally {
      await h.close();
    }
  });
});
