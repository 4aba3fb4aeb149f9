// POST /oauth2/token through the real listener app: the authorization_code grant (PKCE, redirect
// URI, expiry, reuse within and after 20 s), refresh rotation with MAS's lost-response rule and
// replays, client_credentials with the secret and JWT auth methods, the shared checks (client
// authentication, allowed grant types) and malformed requests answered with 4xx JSON.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import {
  addClient,
  authorize,
  CookieJar,
  exchangeCode,
  introspect,
  newAlice,
  postForm,
  signIn,
  startOAuthApp,
  type TestApp,
  type TestClient,
  type Tokens,
} from './oauth2-app.ts';

let h: TestApp;
let client: TestClient;
let jar: CookieJar;

async function newCode(extra: Record<string, string> = {}): Promise<string> {
  return (await authorize(h, jar, client, extra)).code;
}

function refresh(token: string, who: TestClient = client) {
  return postForm(h, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: token }, who);
}

function assertOAuthError(
  response: Awaited<ReturnType<typeof postForm>>,
  status: number,
  error: string,
): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  assert.equal((response.json() as { error: string }).error, error, response.body);
}

beforeEach(async () => {
  h = await startOAuthApp();
  await newAlice(h);
  client = await addClient(h);
  jar = new CookieJar();
  await signIn(h, jar);
});
afterEach(() => h.close());

describe('authorization_code', () => {
  it('a code reused within 20 s is refused and the session lives on', async () => {
    const code = await newCode();
    const first = (await exchangeCode(h, client, code)).json() as Tokens;
    h.clock.advance(10_000);
    assertOAuthError(await exchangeCode(h, client, code), 400, 'invalid_grant');
    assert.equal((await introspect(h, client, first.access_token)).active, true);
  });

  it('a code reused after 20 s is refused and ends the session it created', async () => {
    const code = await newCode();
    const first = (await exchangeCode(h, client, code)).json() as Tokens;
    h.clock.advance(21_000);
    assertOAuthError(await exchangeCode(h, client, code), 400, 'invalid_grant');
    assert.deepEqual(await introspect(h, client, first.access_token), { active: false });
    assertOAuthError(await refresh(first.refresh_token!), 400, 'invalid_grant');
  });

  it('expires 10 minutes after it was issued', async () => {
    const code = await newCode();
    h.clock.advance(601_000);
    assertOAuthError(await exchangeCode(h, client, code), 400, 'invalid_grant');
  });

  it('checks the PKCE verifier: missing or wrong is invalid_grant', async () => {
    const code = await newCode();
    assertOAuthError(
      await exchangeCode(h, client, code, { code_verifier: '' }),
      400,
      'invalid_grant',
    );
    assertOAuthError(
      await exchangeCode(h, client, code, { code_verifier: 'x'.repeat(43) }),
      400,
      'invalid_grant',
    );
    // Failed attempts do not burn the code.
    assert.equal((await exchangeCode(h, client, code)).statusCode, 200);
  });

  it('a verifier without a challenge is invalid_grant', async () => {
    const code = await newCode({ code_challenge: '', code_challenge_method: '' });
    assertOAuthError(await exchangeCode(h, client, code), 400, 'invalid_grant');
  });

  it('the redirect URI and the client must be the ones of the request', async () => {
    const code = await newCode();
    assertOAuthError(
      await exchangeCode(h, client, code, { redirect_uri: 'https://app.example.com/other' }),
      400,
      'invalid_grant',
    );
    const other = await addClient(h);
    assertOAuthError(await exchangeCode(h, other, code), 400, 'invalid_grant');
    assertOAuthError(await exchangeCode(h, client, 'not-a-code'), 400, 'invalid_grant');
  });

  it('no refresh token for a client without the refresh_token grant; no id_token without openid', async () => {
    client = await addClient(h, { grantTypes: ['authorization_code'] });
    const code = await newCode({ scope: 'profile' });
    const tokens = (await exchangeCode(h, client, code)).json() as Tokens;
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(tokens.id_token, undefined);
    assert.equal(tokens.scope, 'profile');
  });

  it('honours experimental.access_token_ttl', async () => {
    await h.close();
    h = await startOAuthApp({ experimental: { access_token_ttl: 3600 } });
    await newAlice(h);
    client = await addClient(h);
    jar = new CookieJar();
    await signIn(h, jar);
    const tokens = (await exchangeCode(h, client, await newCode())).json() as Tokens;
    assert.equal(tokens.expires_in, 3600);
    const info = await introspect(h, client, tokens.access_token);
    assert.equal(info.expires_in, 3600);
  });
});

describe('refresh_token', () => {
  let tokens: Tokens;
  beforeEach(async () => {
    tokens = (await exchangeCode(h, client, await newCode())).json() as Tokens;
  });

  it('rotates both tokens and revokes the old access token', async () => {
    const response = await refresh(tokens.refresh_token!);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    const next = response.json() as Tokens;
    assert.notEqual(next.access_token, tokens.access_token);
    assert.notEqual(next.refresh_token, tokens.refresh_token);
    assert.equal(next.scope, 'openid profile');
    assert.equal(next.id_token, undefined);
    assert.equal((await introspect(h, client, tokens.access_token)).active, false);
    assert.equal((await introspect(h, client, tokens.refresh_token!)).active, false);
    assert.equal((await introspect(h, client, next.access_token)).active, true);
  });

  it('lost response: the consumed token works again while its successor is unused', async () => {
    const lost = (await refresh(tokens.refresh_token!)).json() as Tokens;
    const retry = await refresh(tokens.refresh_token!);
    assert.equal(retry.statusCode, 200, retry.body);
    const fresh = retry.json() as Tokens;
    // The unused pair is revoked; the new one works.
    assertOAuthError(await refresh(lost.refresh_token!), 400, 'invalid_grant');
    assert.equal((await introspect(h, client, lost.access_token)).active, false);
    assert.equal((await introspect(h, client, fresh.access_token)).active, true);
    assert.equal((await refresh(fresh.refresh_token!)).statusCode, 200);
  });

  it('replay: once the successor access token was used, the old token is refused and the session lives', async () => {
    const next = (await refresh(tokens.refresh_token!)).json() as Tokens;
    // Used (introspection records it in a batch that has not been written yet).
    assert.equal((await introspect(h, client, next.access_token)).active, true);
    assertOAuthError(await refresh(tokens.refresh_token!), 400, 'invalid_grant');
    assert.equal((await introspect(h, client, next.access_token)).active, true);
    assert.equal((await refresh(next.refresh_token!)).statusCode, 200);
  });

  it('replay: once the successor refresh token was used, the old token is refused', async () => {
    const next = (await refresh(tokens.refresh_token!)).json() as Tokens;
    assert.equal((await refresh(next.refresh_token!)).statusCode, 200);
    assertOAuthError(await refresh(tokens.refresh_token!), 400, 'invalid_grant');
  });

  it('refuses another client, a locked user, malformed tokens and wider scopes', async () => {
    const other = await addClient(h);
    assertOAuthError(await refresh(tokens.refresh_token!, other), 400, 'invalid_grant');
    assertOAuthError(await refresh('mar_abc'), 400, 'invalid_grant');
    assertOAuthError(await refresh(tokens.access_token), 400, 'invalid_grant');
    assertOAuthError(
      await postForm(
        h,
        '/oauth2/token',
        {
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token!,
          scope: 'openid email',
        },
        client,
      ),
      400,
      'invalid_scope',
    );
    await h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      await repos.users.lock(h.clock, alice!);
    });
    assertOAuthError(await refresh(tokens.refresh_token!), 400, 'invalid_grant');
  });
});

describe('client_credentials', () => {
  const grant = (scope?: string) => ({
    grant_type: 'client_credentials',
    ...(scope === undefined ? {} : { scope }),
  });

  it('works with client_secret_basic and client_secret_post; no refresh token, user scopes dropped', async () => {
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      const c = await addClient(h, { method });
      const response = await postForm(h, '/oauth2/token', grant('openid email custom:read'), c);
      assert.equal(response.statusCode, 200, `${method}: ${response.body}`);
      const body = response.json() as Tokens;
      assert.equal(body.scope, 'custom:read');
      assert.equal(body.refresh_token, undefined);
      assert.equal(body.id_token, undefined);
      const info = await introspect(h, c, body.access_token);
      assert.equal(info.active, true);
      assert.equal(info.client_id, c.id);
      assert.equal(info.sub, undefined);
      assert.equal(info.username, undefined);
    }
  });

  it('works with client_secret_jwt, and refuses a replayed assertion', async () => {
    const c = await addClient(h, { method: 'client_secret_jwt' });
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const assertion = await new SignJWT({ jti: 'one' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(c.id)
      .setSubject(c.id)
      .setAudience('http://auth.example.test/oauth2/token')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(c.secret!));
    const form = {
      ...grant(),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    };
    const first = await postForm(h, '/oauth2/token', form, null);
    assert.equal(first.statusCode, 200, first.body);
    assertOAuthError(await postForm(h, '/oauth2/token', form, null), 401, 'invalid_client');
  });

  it('public clients may not use it', async () => {
    const pub = await addClient(h, { method: 'none' });
    assertOAuthError(await postForm(h, '/oauth2/token', grant(), pub), 400, 'unauthorized_client');
  });

  it('urn:mas:admin only for policy.data.admin_clients; Matrix scopes never', async () => {
    assertOAuthError(
      await postForm(h, '/oauth2/token', grant('urn:mas:admin'), client),
      400,
      'invalid_scope',
    );
    assertOAuthError(
      await postForm(h, '/oauth2/token', grant('urn:matrix:client:api:*'), client),
      400,
      'invalid_scope',
    );
    await h.close();
    h = await startOAuthApp({
      policy: { data: { admin_clients: ['01HADM1N000000000000000000'] } },
    });
    // Seeded ids differ per app: make the listed id the client's by adding it with that id.
    const admin = await addClient(h);
    const notListed = await postForm(h, '/oauth2/token', grant('urn:mas:admin'), admin);
    assertOAuthError(notListed, 400, 'invalid_scope');
    await h.close();
    h = await startOAuthApp({ policy: { data: { admin_clients: [admin.id] } } });
    const again = await addClient(h);
    assert.equal(again.id, admin.id, 'same seed, same id');
    const ok = await postForm(h, '/oauth2/token', grant('urn:mas:admin'), again);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal((ok.json() as Tokens).scope, 'urn:mas:admin');
  });
});

describe('shared checks and malformed requests', () => {
  it('a wrong secret is 401 invalid_client with WWW-Authenticate', async () => {
    const response = await postForm(
      h,
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      {
        ...client,
        secret: 'wrong',
      },
    );
    assertOAuthError(response, 401, 'invalid_client');
    assert.match(String(response.headers['www-authenticate']), /^Basic /);
  });

  it('a grant the client is not registered for is unauthorized_client', async () => {
    const c = await addClient(h, { grantTypes: ['authorization_code'] });
    assertOAuthError(
      await postForm(h, '/oauth2/token', { grant_type: 'client_credentials' }, c),
      400,
      'unauthorized_client',
    );
  });

  it('answers malformed input with 4xx JSON, never 500', async () => {
    const raw = (payload: string, contentType = 'application/x-www-form-urlencoded') =>
      h.app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': contentType },
        payload,
      });
    const cases = [
      await raw(''),
      await raw('{"grant_type":"client_credentials"}', 'application/json'),
      await raw('grant_type=client_credentials&grant_type=refresh_token'),
      await raw(`grant_type=${'x'.repeat(100_000)}`),
      await raw('grant_type=%zz'),
      await raw('grant_type=password&client_id=x'),
      await raw('client_id=x'),
      await h.app.inject({ method: 'POST', url: '/oauth2/token' }),
      await postForm(h, '/oauth2/token', { grant_type: 'authorization_code' }, client),
      await postForm(h, '/oauth2/token', { grant_type: 'refresh_token' }, client),
      await postForm(
        h,
        '/oauth2/token',
        { grant_type: 'authorization_code', code: 'ü'.repeat(5000) },
        client,
      ),
      await postForm(
        h,
        '/oauth2/token',
        { grant_type: 'client_credentials', scope: 'a\tb' },
        client,
      ),
    ];
    for (const response of cases) {
      assert.ok(
        response.statusCode >= 400 && response.statusCode < 500,
        `${response.statusCode} ${response.body}`,
      );
      assert.match(String(response.headers['content-type']), /^application\/json/);
      assert.equal(typeof (response.json() as { error: unknown }).error, 'string');
      assert.doesNotMatch(response.body, /\bat .*\.ts:\d+/);
    }
    assert.equal((cases[5]!.json() as { error: string }).error, 'unsupported_grant_type');
  });
});
