// The device authorization grant (RFC 8628) through the real listener app: POST /oauth2/device,
// polling the token endpoint (authorization_pending, slow_down, access_denied, expired_token, one
// exchange only), the /link page (case, dashes, auto-fill, sign-in first) and the /device/{id}
// consent page (CSRF, allow, deny, remembered consent). The happy path runs on SQLite and on
// PostgreSQL.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { asOAuth2ClientId, type OAuth2ClientId } from '../../../src/model/ids.ts';
import type { GrantType } from '../../../src/model/oauth2-client.ts';
import type { User } from '../../../src/model/user.ts';
import { encryptClientSecret } from '../../../src/oauth2/client-secret.ts';
import { newUlid } from '../../../src/rng.ts';
import type { OAuth2ClientFields } from '../../../src/storage/oauth2-client-repository.ts';
import {
  addUser,
  CookieJar,
  hiddenField,
  startTestApp,
  submitForm,
  type TestApp,
} from '../../helpers/app.ts';
import { bareClientFields } from '../../helpers/storage.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

let h: TestApp;
let alice: User;

function fields(overrides: Partial<OAuth2ClientFields>): OAuth2ClientFields {
  return bareClientFields({
    grantTypes: [DEVICE_GRANT, 'refresh_token'],
    applicationType: 'native',
    clientName: 'Living Room TV',
    clientUri: 'https://tv.example.com/',
    ...overrides,
  });
}

async function addClient(overrides: Partial<OAuth2ClientFields> = {}): Promise<OAuth2ClientId> {
  const id = asOAuth2ClientId(newUlid(h.clock, h.ctx.rng));
  await h.db.storage.transaction((repos) =>
    repos.oauth2Clients.addDynamic(h.clock, id, fields(overrides)),
  );
  return id;
}

async function addConfidentialClient(secret: string, grantTypes: GrantType[]) {
  const id = asOAuth2ClientId(newUlid(h.clock, h.ctx.rng));
  const sealed = encryptClientSecret(h.ctx.encrypter, h.ctx.rng, id, secret);
  await h.db.storage.transaction((repos) =>
    repos.oauth2Clients.addDynamic(
      h.clock,
      id,
      fields({
        encryptedClientSecret: sealed,
        tokenEndpointAuthMethod: 'client_secret_post',
        grantTypes,
        applicationType: 'web',
      }),
    ),
  );
  return id;
}

function postForm(url: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'TV/1.0' },
    payload: new URLSearchParams(form).toString(),
  });
}

interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

async function authorizeDevice(clientId: string, scope?: string): Promise<DeviceAuthorization> {
  const response = await postForm('/oauth2/device', {
    client_id: clientId,
    ...(scope === undefined ? {} : { scope }),
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<DeviceAuthorization>();
}

function poll(clientId: string, deviceCode: string): Promise<LightMyRequestResponse> {
  return postForm('/oauth2/token', {
    grant_type: DEVICE_GRANT,
    device_code: deviceCode,
    client_id: clientId,
  });
}

function assertOAuthError(response: LightMyRequestResponse, error: string, status = 400): void {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.json<{ error: string }>().error, error);
  assert.equal(response.headers['cache-control'], 'no-store');
}

async function signIn(jar: CookieJar): Promise<void> {
  const response = await submitForm(h, jar, '/login', {
    username: 'alice',
    password: 'correct horse',
  });
  assert.equal(response.statusCode, 303);
}

/** What a person types: lower case, with a dash in the middle. */
const sloppy = (code: string) => `${code.slice(0, 3)}-${code.slice(3)}`.toLowerCase();

/** Enters the code on /link and returns the consent page's path. */
async function enterCode(jar: CookieJar, typed: string): Promise<string> {
  const response = await submitForm(h, jar, '/link', { code: typed });
  assert.equal(response.statusCode, 303, response.body);
  const location = String(response.headers.location);
  assert.match(location, /^\/device\/[0-9A-Z]{26}$/);
  return location;
}

async function answer(jar: CookieJar, consentPath: string, action: 'allow' | 'deny') {
  const response = await submitForm(h, jar, consentPath, { action });
  assert.equal(response.statusCode, 200, response.body);
  return response;
}

async function grantOf(deviceCode: string) {
  return h.db.storage.transaction((repos) =>
    repos.deviceCodeGrants.findByDeviceCodeHash(sha256(deviceCode)),
  );
}

/** The whole flow, from the device's first request to its tokens. */
async function fullFlow(): Promise<void> {
  const clientId = await addClient();

  // The device asks for codes.
  const device = await authorizeDevice(clientId, 'openid profile');
  assert.match(device.device_code, /^[A-Za-z0-9]{32}$/);
  assert.match(device.user_code, /^[A-Z0-9]{6}$/);
  assert.equal(device.verification_uri, 'http://auth.example.test/link');
  assert.equal(
    device.verification_uri_complete,
    `http://auth.example.test/link?code=${device.user_code}`,
  );
  assert.equal(device.expires_in, 1200);
  assert.equal(device.interval, 5);
  const stored = await grantOf(device.device_code);
  assert.ok(stored, 'found by the SHA-256 of the device code');
  assert.equal(stored.userCode, device.user_code);
  assert.equal(stored.scope, 'openid profile');
  assert.equal(stored.expiresAt.getTime() - stored.createdAt.getTime(), 1200_000);
  assert.equal(stored.userAgent, 'TV/1.0');

  // It polls: pending, then too fast, then pending again once it waited.
  assertOAuthError(await poll(clientId, device.device_code), 'authorization_pending');
  h.clock.advance(1000);
  assertOAuthError(await poll(clientId, device.device_code), 'slow_down');
  h.clock.advance(6000);
  assertOAuthError(await poll(clientId, device.device_code), 'authorization_pending');

  // The person opens /link on their phone: sign in first, then back to /link.
  const jar = new CookieJar();
  const anonymous = await h.app.inject({ method: 'GET', url: '/link' });
  assert.equal(anonymous.statusCode, 303);
  assert.equal(anonymous.headers.location, '/login?next=%2Flink');
  await signIn(jar);
  const consentPath = await enterCode(jar, sloppy(device.user_code));
  assert.equal(consentPath, `/device/${stored.id}`);

  const page = await h.app.inject({ method: 'GET', url: consentPath, headers: jar.header() });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Allow Living Room TV to use your account\?/);
  assert.match(page.body, new RegExp(`<strong class="user-code">${device.user_code}</strong>`));
  assert.match(page.body, /<li title="openid">Know who you are/);
  assert.match(page.body, /<li title="profile">See your username/);
  assert.ok(hiddenField(page.body, 'csrf'));
  h.clock.advance(5000);
  assertOAuthError(await poll(clientId, device.device_code), 'authorization_pending');

  const done = await answer(jar, consentPath, 'allow');
  assert.match(done.body, /Device allowed/);
  assert.match(done.body, /return to your device/);
  const consent = await h.db.storage.transaction((repos) =>
    repos.consents.find(alice.id, clientId),
  );
  assert.deepEqual(consent?.scopes, ['openid', 'profile']);

  // The next poll gets the tokens, once.
  h.clock.advance(5000);
  const tokens = await poll(clientId, device.device_code);
  assert.equal(tokens.statusCode, 200, tokens.body);
  assert.equal(tokens.headers['cache-control'], 'no-store');
  const body = tokens.json<Record<string, unknown>>();
  assert.match(String(body.access_token), /^mat_/);
  assert.match(String(body.refresh_token), /^mar_/);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.scope, 'openid profile');
  assert.equal(body.expires_in, 300);
  const { payload } = await h.ctx.keystore.verify(String(body.id_token));
  const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
  assert.equal(claims.iss, h.ctx.urls.issuer);
  assert.equal(claims.sub, alice.id);
  assert.equal(claims.aud, clientId);
  assert.equal(typeof claims.at_hash, 'string');
  assert.equal(typeof claims.auth_time, 'number');
  assert.equal(claims.preferred_username, 'alice');

  const again = await poll(clientId, device.device_code);
  assertOAuthError(again, 'invalid_grant');

  // The session belongs to alice's browser session and its access token is live.
  const { session, accessToken, grant } = await h.db.storage.transaction(async (repos) => {
    const accessToken = await repos.accessTokens.findByHash(sha256(String(body.access_token)));
    const grant = await repos.deviceCodeGrants.findByDeviceCodeHash(sha256(device.device_code));
    return {
      accessToken,
      grant,
      session: accessToken && (await repos.oauth2Sessions.lookup(accessToken.sessionId)),
    };
  });
  assert.ok(accessToken && session && grant);
  assert.equal(accessToken.revokedAt, null);
  assert.equal(session.userId, alice.id);
  assert.equal(session.clientId, clientId);
  assert.equal(session.browserSessionId, grant.browserSessionId);
  assert.equal(grant.oauth2SessionId, session.id);
  assert.ok(grant.exchangedAt);
  const introspection = await h.app.inject({
    method: 'POST',
    url: '/oauth2/introspect',
    headers: {
      authorization: 'Bearer hs-secret',
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: new URLSearchParams({ token: String(body.access_token) }).toString(),
  });
  const introspected = introspection.json<Record<string, unknown>>();
  assert.equal(introspected.active, true, introspection.body);
  assert.equal(introspected.username, 'alice');
  assert.equal(introspected.client_id, clientId);
}

describe('device authorization grant', () => {
  beforeEach(async () => {
    h = await startTestApp();
    alice = await addUser(h, 'alice', 'correct horse');
  });
  afterEach(() => h.close());

  it('runs the whole flow: codes, pending, slow_down, /link, consent, tokens once', fullFlow);

  it('answers access_denied after the person denies, and remembers no consent', async () => {
    const clientId = await addClient();
    const device = await authorizeDevice(clientId, 'openid');
    const jar = new CookieJar();
    await signIn(jar);
    const consentPath = await enterCode(jar, device.user_code);
    const done = await answer(jar, consentPath, 'deny');
    assert.match(done.body, /Device denied/);
    assertOAuthError(await poll(clientId, device.device_code), 'access_denied');
    h.clock.advance(10_000);
    assertOAuthError(await poll(clientId, device.device_code), 'access_denied');
    const consent = await h.db.storage.transaction((repos) =>
      repos.consents.find(alice.id, clientId),
    );
    assert.equal(consent, null);
    // Answered once: the consent page is gone.
    const page = await h.app.inject({ method: 'GET', url: consentPath, headers: jar.header() });
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /This code can no longer be used/);
  });

  it('answers expired_token after 20 minutes, and /link no longer knows the code', async () => {
    const clientId = await addClient();
    const device = await authorizeDevice(clientId);
    h.clock.advance(1200_000);
    assertOAuthError(await poll(clientId, device.device_code), 'expired_token');
    const jar = new CookieJar();
    await signIn(jar);
    const response = await submitForm(h, jar, '/link', { code: device.user_code });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /role="alert"[^>]*>This code is not valid or has expired/);
    assert.ok(hiddenField(response.body, 'csrf'), 'the form is offered again');
  });

  it('refuses unknown codes on /link and unknown device codes at the token endpoint', async () => {
    const clientId = await addClient();
    await authorizeDevice(clientId);
    const jar = new CookieJar();
    await signIn(jar);
    for (const typed of ['ZZZZZZ', 'not a code', '']) {
      const response = await submitForm(h, jar, '/link', { code: typed });
      assert.equal(response.statusCode, 400);
      assert.match(response.body, /This code is not valid or has expired/);
    }
    assertOAuthError(await poll(clientId, 'A'.repeat(32)), 'invalid_grant');
    const missing = await postForm('/oauth2/token', {
      grant_type: DEVICE_GRANT,
      client_id: clientId,
    });
    assertOAuthError(missing, 'invalid_request');
  });

  it('refuses a device code presented by another client', async () => {
    const clientId = await addClient();
    const other = await addClient({ clientName: 'Other' });
    const device = await authorizeDevice(clientId);
    assertOAuthError(await poll(other, device.device_code), 'invalid_grant');
  });

  it('fills /link from ?code= only when auto-fill is enabled, and keeps it through sign-in', async () => {
    const jar = new CookieJar();
    const anonymous = await h.app.inject({ method: 'GET', url: '/link?code=ABC123' });
    assert.equal(anonymous.statusCode, 303);
    assert.equal(
      anonymous.headers.location,
      `/login?next=${encodeURIComponent('/link?code=ABC123')}`,
    );
    await signIn(jar);
    const off = await h.app.inject({
      method: 'GET',
      url: '/link?code=ABC123',
      headers: jar.header(),
    });
    assert.equal(off.statusCode, 200);
    assert.match(off.body, /name="code" type="text" autocomplete/);
    assert.doesNotMatch(off.body, /ABC123/);

    const on = await startTestApp({ oauth: { device_code_user_code_auto_fill_enabled: true } });
    try {
      await addUser(on, 'alice', 'correct horse');
      const onJar = new CookieJar();
      await submitForm(on, onJar, '/login', { username: 'alice', password: 'correct horse' });
      const filled = await on.app.inject({
        method: 'GET',
        url: '/link?code=ABC123',
        headers: onJar.header(),
      });
      assert.match(filled.body, /name="code" type="text" value="ABC123"/);
    } finally {
      await on.close();
    }
  });

  it('needs a signed-in browser on the consent page and a CSRF token to answer', async () => {
    const clientId = await addClient();
    const device = await authorizeDevice(clientId);
    const jar = new CookieJar();
    await signIn(jar);
    const consentPath = await enterCode(jar, device.user_code);

    const anonymous = await h.app.inject({ method: 'GET', url: consentPath });
    assert.equal(anonymous.statusCode, 303);
    assert.equal(anonymous.headers.location, `/login?next=${encodeURIComponent(consentPath)}`);

    const forged = await h.app.inject({
      method: 'POST',
      url: consentPath,
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'action=allow',
    });
    assert.equal(forged.statusCode, 400);
    assert.match(forged.body, /This form cannot be accepted/);
    assertOAuthError(await poll(clientId, device.device_code), 'authorization_pending');

    const unknown = await h.app.inject({
      method: 'GET',
      url: '/device/01ARZ3NDEKTSV4RRFFQ69G5FAV',
      headers: jar.header(),
    });
    assert.equal(unknown.statusCode, 404);
    const junk = await h.app.inject({
      method: 'GET',
      url: '/device/..%2Fx',
      headers: jar.header(),
    });
    assert.equal(junk.statusCode, 404);
    assert.match(String(junk.headers['content-type']), /^text\/html/);
  });

  it('refuses clients without the device grant, and wrong secrets', async () => {
    const confidential = await addConfidentialClient('s3cret', ['authorization_code']);
    const refused = await postForm('/oauth2/device', {
      client_id: confidential,
      client_secret: 's3cret',
    });
    assertOAuthError(refused, 'unauthorized_client');
    const wrongSecret = await postForm('/oauth2/device', {
      client_id: confidential,
      client_secret: 'nope',
    });
    assertOAuthError(wrongSecret, 'invalid_client', 401);
    const unknown = await postForm('/oauth2/device', { client_id: 'nobody' });
    assertOAuthError(unknown, 'invalid_client', 401);
    const badScope = await postForm('/oauth2/device', {
      client_id: await addClient(),
      scope: 'openid  profile',
    });
    assertOAuthError(badScope, 'invalid_scope');
  });

  it('lets a confidential client without refresh_token poll with its secret: no refresh token', async () => {
    const clientId = await addConfidentialClient('s3cret', [DEVICE_GRANT]);
    const response = await postForm('/oauth2/device', {
      client_id: clientId,
      client_secret: 's3cret',
      scope: 'profile',
    });
    assert.equal(response.statusCode, 200, response.body);
    const device = response.json<DeviceAuthorization>();
    const jar = new CookieJar();
    await signIn(jar);
    await answer(jar, await enterCode(jar, device.user_code), 'allow');
    const tokens = await postForm('/oauth2/token', {
      grant_type: DEVICE_GRANT,
      device_code: device.device_code,
      client_id: clientId,
      client_secret: 's3cret',
    });
    assert.equal(tokens.statusCode, 200, tokens.body);
    const body = tokens.json<Record<string, unknown>>();
    assert.equal(body.refresh_token, undefined);
    assert.equal(body.id_token, undefined, 'no openid scope, no id_token');
    assert.equal(body.scope, 'profile');
  });
});

describe('device authorization grant disabled', () => {
  beforeEach(async () => {
    h = await startTestApp({ oauth: { device_code_grant_enabled: false } });
  });
  afterEach(() => h.close());

  it('refuses device authorization and the grant type at the token endpoint', async () => {
    const clientId = await addClient();
    const response = await postForm('/oauth2/device', { client_id: clientId });
    assertOAuthError(response, 'unauthorized_client');
    assertOAuthError(await poll(clientId, 'A'.repeat(32)), 'unsupported_grant_type');
    const discovery = await h.app.inject({
      method: 'GET',
      url: '/.well-known/openid-configuration',
    });
    assert.equal(
      discovery.json<Record<string, unknown>>().device_authorization_endpoint,
      undefined,
    );
  });
});

describe('device authorization grant on PostgreSQL', () => {
  beforeEach(async () => {
    h = await startTestApp({}, { dialect: 'postgres' });
    alice = await addUser(h, 'alice', 'correct horse');
  });
  afterEach(() => h.close());

  it('runs the whole flow', fullFlow);
});

describe('discovery', () => {
  it('advertises the device authorization and end-session endpoints at their paths', async () => {
    h = await startTestApp();
    try {
      const response = await h.app.inject({
        method: 'GET',
        url: '/.well-known/openid-configuration',
      });
      const doc = response.json<Record<string, unknown>>();
      assert.equal(doc.device_authorization_endpoint, 'http://auth.example.test/oauth2/device');
      assert.equal(doc.end_session_endpoint, 'http://auth.example.test/oauth2/logout');
      assert.ok((doc.grant_types_supported as string[]).includes(DEVICE_GRANT));
    } finally {
      await h.close();
    }
  });
});
