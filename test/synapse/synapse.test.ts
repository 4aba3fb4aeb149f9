// Gatehouse next to a real Synapse 1.163 (interop.md §4): Synapse delegates authentication to
// Gatehouse through `matrix_authentication_service`, clients reach both through a reverse proxy,
// matrix-js-sdk 43 is the client. The first run installs Synapse into .cache/synapse-venv.
//
// One stack serves the whole file (Synapse starts in seconds, but installing it does not). Each
// `describe` registers its own users and client, so the groups do not depend on each other; the
// steps inside a group run in order and build on the previous step (a login, then a refresh...).
// The group that stops Synapse runs last.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OAuth2 } from 'matrix-js-sdk';
import { Browser, drive } from '../e2e/browser.ts';
import {
  ADMIN_SCOPE,
  API_SCOPE,
  authorize,
  deviceScope,
  eventually,
  introspectAsSynapse,
  matrixClient,
  matrixRequest,
  oauthLogin,
  oauthMatrixClient,
  openOAuthSessions,
  quietLogger,
  recordFetches,
  registerClient,
  tokenRequest,
  whoami,
  type OAuthLogin,
  type RegisteredClient,
} from './matrix-clients.ts';
import { startSynapseStack, type SynapseStack } from './stack.ts';

const PASSWORD = 'Synapse-E2E-Password-4417';
const user = (username: string) => ({ username, password: PASSWORD });

let stack: SynapseStack;

before(
  async () => {
    stack = await startSynapseStack();
  },
  // The first run creates the venv and installs Synapse from PyPI.
  { timeout: 15 * 60_000 },
);

after(async () => {
  await stack?.stop();
});

/** Adds the processes' recent output to a failing assertion, to see the server-side cause. */
async function withDiagnostics(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof Error) error.message += `\n${stack.diagnostics()}`;
    throw error;
  }
}

async function compatLogin(body: Record<string, unknown>) {
  return matrixRequest(stack, '/_matrix/client/v3/login', null, { body });
}

describe('pre-flight: Synapse and Gatehouse are wired together', () => {
  it('Synapse advertises Gatehouse as its auth service (auth_metadata, well-known)', () =>
    withDiagnostics(async () => {
      const discovery = await fetch(`${stack.gatehouseUrl}.well-known/openid-configuration`);
      const ours = (await discovery.json()) as Record<string, unknown>;
      assert.equal(ours.issuer, stack.gatehouseUrl);
      assert.equal(typeof ours.account_management_uri, 'string');

      for (const path of [
        '/_matrix/client/v1/auth_metadata',
        '/_matrix/client/unstable/org.matrix.msc2965/auth_metadata',
      ]) {
        const answer = await matrixRequest(stack, path);
        assert.equal(answer.status, 200, path);
        assert.deepEqual(answer.body, ours, path);
        assert.match(answer.headers.get('cache-control') ?? '', /max-age=600/);
      }
      // (Synapse 1.163 no longer serves the unstable `auth_issuer`; the well-known carries the issuer.)
      const wellKnown = await matrixRequest(stack, '/.well-known/matrix/client');
      assert.deepEqual(wellKnown.body['org.matrix.msc2965.authentication'], {
        issuer: ours.issuer,
        account: ours.account_management_uri,
      });
      // What matrix-js-sdk requires of the metadata (it throws otherwise).
      const metadata = await matrixClient({ baseUrl: stack.baseUrl }).getAuthMetadata();
      assert.equal(metadata.issuer, ours.issuer);
    }));

  it("login, logout and refresh are Gatehouse's: Synapse does not serve them, the proxy routes them", () =>
    withDiagnostics(async () => {
      const direct = await fetch(`${stack.synapse.url}/_matrix/client/v3/login`);
      assert.equal(direct.status, 404);
      assert.equal(((await direct.json()) as { errcode: string }).errcode, 'M_UNRECOGNIZED');

      const flows = await matrixRequest(stack, '/_matrix/client/v3/login');
      assert.equal(flows.status, 200, JSON.stringify(flows.body));
      const types = (flows.body.flows as { type: string }[]).map((flow) => flow.type);
      assert.ok(types.includes('m.login.password'), types.join());
      assert.ok(types.includes('m.login.token'), types.join());
      const sso = (flows.body.flows as { type: string; oauth_aware_preferred?: boolean }[]).find(
        (flow) => flow.type === 'm.login.sso',
      );
      assert.equal(sso?.oauth_aware_preferred, true);
    }));

  it('the shared secret is the same on both sides, in both directions', () =>
    withDiagnostics(async () => {
      // Gatehouse → Synapse.
      const wrong = await fetch(`${stack.synapse.url}/_synapse/mas/query_user?localpart=nobody`, {
        headers: { authorization: 'Bearer not-the-secret' },
      });
      assert.equal(wrong.status, 403);
      const unknown = await stack.masApi('query_user?localpart=nobody');
      assert.equal(unknown.status, 404);

      // Synapse → Gatehouse.
      const noSecret = await fetch(`${stack.gatehouseUrl}oauth2/introspect`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer not-the-secret',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'token=garbage',
      });
      assert.equal(noSecret.status, 401);
      const garbage = await introspectAsSynapse(stack, 'garbage');
      assert.equal(garbage.status, 200);
      assert.deepEqual(garbage.body, { active: false });
    }));

  it("Synapse's introspection reaches Gatehouse: an unknown token is 401 M_UNKNOWN_TOKEN, not 503", () =>
    withDiagnostics(async () => {
      const answer = await whoami(stack, 'mat_abcdefghijklmnopqrstuvwxyz0123_000000');
      assert.equal(answer.status, 401, JSON.stringify(answer.body));
      assert.equal(answer.body.errcode, 'M_UNKNOWN_TOKEN');
      assert.equal(answer.body.soft_logout, false);
    }));
});

describe('provisioning: users registered in Gatehouse appear on Synapse', () => {
  it('a new user is created on Synapse by the provisioning job', () =>
    withDiagnostics(async () => {
      await stack.registerUser('dora', PASSWORD, [], { waitForSynapse: false });
      const found = await eventually('dora provisioned on Synapse', async () => {
        const response = await stack.masApi('query_user?localpart=dora');
        return response.status === 200
          ? ((await response.json()) as Record<string, unknown>)
          : undefined;
      });
      assert.equal(found.user_id, stack.mxid('dora'));
      assert.equal(found.is_deactivated, false);
    }));

  it("Gatehouse's display name is visible through Synapse's profile API", () =>
    withDiagnostics(async () => {
      await stack.registerUser('dana', PASSWORD, ['--display-name', 'Dana Scully']);
      const path = `/_matrix/client/v3/profile/${encodeURIComponent(stack.mxid('dana'))}`;
      const profile = await eventually('display name on the profile API', async () => {
        const answer = await matrixRequest(stack, path);
        return answer.status === 200 && answer.body.displayname === 'Dana Scully'
          ? answer
          : undefined;
      });
      assert.equal(profile.body.displayname, 'Dana Scully');
    }));
});

describe('modern client: matrix-js-sdk OAuth 2.0 against Synapse', () => {
  let client: RegisteredClient;
  let login: OAuthLogin;
  let accessToken: string;
  let refreshToken: string;
  const alice = user('alice');

  before(async () => {
    await stack.registerUser(alice.username, alice.password);
  });

  it('discovers through Synapse, registers a client and signs in with code + PKCE', () =>
    withDiagnostics(async () => {
      client = await registerClient(stack);
      assert.ok(client.clientId.length > 0);
      // Any loopback port is accepted for a native client registered without one.
      login = await oauthLogin(client, alice, { redirectUri: 'http://127.0.0.1:47011/callback' });
      const { tokens } = login;
      assert.equal(tokens.token_type, 'Bearer');
      assert.ok(tokens.access_token.startsWith('mat_'));
      assert.ok(tokens.refresh_token?.startsWith('mar_'));
      assert.ok(Number.isInteger(tokens.expires_in) && tokens.expires_in! > 0);
      const scopes = (tokens.scope ?? '').split(' ');
      assert.ok(scopes.includes(API_SCOPE), tokens.scope);
      assert.ok(scopes.includes(deviceScope(login.deviceId)), tokens.scope);
      accessToken = tokens.access_token;
      refreshToken = tokens.refresh_token!;
    }));

  it('whoami on Synapse gives the user and the device, which Synapse lists', () =>
    withDiagnostics(async () => {
      const me = await whoami(stack, accessToken);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.deepEqual(me.body, {
        user_id: stack.mxid('alice'),
        device_id: login.deviceId,
        is_guest: false,
      });
      const devices = await matrixRequest(stack, '/_matrix/client/v3/devices', accessToken);
      assert.equal(devices.status, 200);
      const ids = (devices.body.devices as { device_id: string }[]).map((d) => d.device_id);
      assert.ok(ids.includes(login.deviceId), ids.join());
      const capabilities = await matrixRequest(
        stack,
        '/_matrix/client/v3/capabilities',
        accessToken,
      );
      assert.equal(capabilities.body.capabilities['m.change_password'].enabled, false);
      // What Gatehouse tells Synapse: the localpart and the device as its own field.
      const seen = await introspectAsSynapse(stack, accessToken);
      assert.equal(seen.body.active, true);
      assert.equal(seen.body.username, 'alice');
      assert.equal(seen.body.device_id, login.deviceId);
      assert.ok(Number.isInteger(seen.body.expires_in));
    }));

  it('also signs in with response_mode=query', () =>
    withDiagnostics(async () => {
      const other = await oauthLogin(client, alice, { responseMode: 'query' });
      const me = await whoami(stack, other.tokens.access_token);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.device_id, other.deviceId);
    }));

  it('refreshes: new tokens for the same device, the old access token inactive', () =>
    withDiagnostics(async () => {
      const refreshed = await login.oauth.performRefreshTokenGrant(refreshToken);
      assert.notEqual(refreshed.access_token, accessToken);
      assert.notEqual(refreshed.refresh_token, refreshToken);
      const me = await whoami(stack, refreshed.access_token);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.device_id, login.deviceId);
      // Synapse may keep the old token cached for up to two minutes; Gatehouse must not.
      assert.deepEqual((await introspectAsSynapse(stack, accessToken)).body, { active: false });
      accessToken = refreshed.access_token;
      refreshToken = refreshed.refresh_token!;
    }));

  it('the js-sdk refreshes by itself when Synapse rejects its token', () =>
    withDiagnostics(async () => {
      const refreshes: string[] = [];
      const { client: matrix } = oauthMatrixClient(
        stack,
        {
          clientId: client.clientId,
          // A well-formed token Gatehouse never issued: Synapse answers M_UNKNOWN_TOKEN.
          accessToken: 'mat_abcdefghijklmnopqrstuvwxyz0123_000000',
          refreshToken,
          deviceId: login.deviceId,
          userId: stack.mxid('alice'),
        },
        (tokens) => {
          refreshes.push(tokens.accessToken);
          accessToken = tokens.accessToken;
          refreshToken = tokens.refreshToken!;
        },
      );
      const me = await matrix.whoami();
      assert.equal(me.user_id, stack.mxid('alice'));
      assert.equal(me.device_id, login.deviceId);
      assert.equal(refreshes.length, 1);
    }));

  it('logout() revokes both tokens: Synapse rejects the token and the device is gone', () =>
    withDiagnostics(async () => {
      const { client: matrix } = oauthMatrixClient(stack, {
        clientId: client.clientId,
        accessToken,
        refreshToken,
        deviceId: login.deviceId,
        userId: stack.mxid('alice'),
      });
      // The js-sdk revokes with the global fetch, both tokens at the same time.
      const calls = await recordFetches(() => matrix.logout());
      const revocations = calls.filter((call) => call.includes('/oauth2/revoke'));
      assert.deepEqual(revocations, ['POST /oauth2/revoke 200', 'POST /oauth2/revoke 200']);

      const rejected = await eventually(
        'Synapse rejects the revoked token',
        async () => {
          const me = await whoami(stack, accessToken);
          return me.status === 401 ? me : undefined;
        },
        5_000,
      );
      assert.equal(rejected.body.errcode, 'M_UNKNOWN_TOKEN');
      assert.equal(rejected.body.soft_logout, false);

      // Another session of alice no longer sees the device.
      const witness = await oauthLogin(client, alice);
      const ids = await eventually(
        'the device is deleted on Synapse',
        async () => {
          const devices = await matrixRequest(
            stack,
            '/_matrix/client/v3/devices',
            witness.tokens.access_token,
          );
          const list = (devices.body.devices as { device_id: string }[]).map((d) => d.device_id);
          return list.includes(login.deviceId) ? undefined : list;
        },
        5_000,
      );
      assert.ok(ids.includes(witness.deviceId));

      const replay = await tokenRequest(stack, {
        grant_type: 'refresh_token',
        client_id: client.clientId,
        refresh_token: refreshToken,
      });
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
      assert.equal(replay.body.errcode, undefined);
    }));

  it('a token without the Matrix API scope is rejected by Synapse', () =>
    withDiagnostics(async () => {
      const oauth = new OAuth2(client.metadata, { clientId: client.clientId }, quietLogger);
      const { code, redirectUri } = await authorize(oauth, new Browser(), alice, {
        scope: 'openid',
      });
      const tokens = await oauth.completeAuthorizationCodeGrant(code, redirectUri);
      const me = await whoami(stack, tokens.access_token);
      assert.equal(me.status, 401, JSON.stringify(me.body));
      assert.equal(me.body.errcode, 'M_UNKNOWN_TOKEN');
    }));
});

describe('compatibility layer: legacy Matrix login through the proxy', () => {
  const carol = user('carol');

  before(async () => {
    await stack.registerUser(carol.username, carol.password);
  });

  it('js-sdk loginWithPassword (top-level user) → whoami on Synapse', () =>
    withDiagnostics(async () => {
      const matrix = matrixClient({ baseUrl: stack.baseUrl });
      const response = await matrix.loginWithPassword('carol', carol.password);
      assert.equal(response.user_id, stack.mxid('carol'));
      assert.ok(response.access_token.startsWith('mct_'));
      const me = await whoami(stack, response.access_token);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.deepEqual(me.body, {
        user_id: stack.mxid('carol'),
        device_id: response.device_id,
        is_guest: false,
      });
      const seen = await introspectAsSynapse(stack, response.access_token);
      assert.equal(seen.body.username, 'carol');
      assert.equal(seen.body.device_id, response.device_id);
    }));

  it('identifier form with a chosen device and refresh_token: true, then /refresh and /logout', () =>
    withDiagnostics(async () => {
      const login = await compatLogin({
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: stack.mxid('carol') },
        password: carol.password,
        device_id: 'COMPATDEV1',
        initial_device_display_name: 'e2e compat',
        refresh_token: true,
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      assert.equal(login.body.device_id, 'COMPATDEV1');
      assert.ok(String(login.body.refresh_token).startsWith('mcr_'));
      assert.ok(Number.isInteger(login.body.expires_in_ms));
      const me = await whoami(stack, login.body.access_token);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.device_id, 'COMPATDEV1');

      const refreshed = await matrixRequest(stack, '/_matrix/client/v3/refresh', null, {
        body: { refresh_token: login.body.refresh_token },
      });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.notEqual(refreshed.body.access_token, login.body.access_token);
      assert.ok(String(refreshed.body.refresh_token).startsWith('mcr_'));
      const again = await whoami(stack, refreshed.body.access_token);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.device_id, 'COMPATDEV1');

      const logout = await matrixRequest(
        stack,
        '/_matrix/client/v3/logout',
        refreshed.body.access_token,
        {
          body: {},
        },
      );
      assert.equal(logout.status, 200, JSON.stringify(logout.body));
      assert.deepEqual(logout.body, {});
      const gone = await eventually(
        'Synapse rejects the logged-out token',
        async () => {
          const answer = await whoami(stack, refreshed.body.access_token);
          return answer.status === 401 ? answer : undefined;
        },
        5_000,
      );
      assert.equal(gone.body.errcode, 'M_UNKNOWN_TOKEN');
    }));

  it('wrong password → 403 M_FORBIDDEN; unknown login type → 400', () =>
    withDiagnostics(async () => {
      const wrong = await compatLogin({
        type: 'm.login.password',
        user: 'carol',
        password: 'nope',
      });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.errcode, 'M_FORBIDDEN');
      const unknown = await compatLogin({ type: 'm.login.bogus', user: 'carol' });
      assert.equal(unknown.status, 400);
    }));

  it('SSO: /login/sso/redirect → sign in → continue → loginToken → m.login.token → whoami', () =>
    withDiagnostics(async () => {
      const matrix = matrixClient({ baseUrl: stack.baseUrl });
      const appUrl = 'https://app.synapse-e2e.example/after-sso';
      const browser = new Browser();
      const result = await drive(browser, matrix.getSsoLoginUrl(appUrl), {
        user: carol,
        stopAt: (url) => url.startsWith(appUrl),
      });
      assert.ok(result.stoppedAt, `not sent back to the app: ${browser.history.join(' → ')}`);
      const loginToken = new URL(result.stoppedAt).searchParams.get('loginToken');
      assert.ok(loginToken, result.stoppedAt);

      const response = await matrix.loginRequest({ type: 'm.login.token', token: loginToken });
      assert.equal(response.user_id, stack.mxid('carol'));
      const me = await whoami(stack, response.access_token);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.device_id, response.device_id);

      // A login token works once.
      const replay = await compatLogin({ type: 'm.login.token', token: loginToken });
      assert.equal(replay.status, 403, JSON.stringify(replay.body));
    }));

  it('/logout/all (io.element.only_compat_is_fine) ends every compat session of the user', () =>
    withDiagnostics(async () => {
      const first = await compatLogin({
        type: 'm.login.password',
        user: 'carol',
        password: carol.password,
      });
      const second = await compatLogin({
        type: 'm.login.password',
        user: 'carol',
        password: carol.password,
      });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(second.status, 200, JSON.stringify(second.body));
      // As MAS: only clients that say compat sessions are enough may use it (OAuth 2.0
      // sessions are not ended by it); others get M_UNRECOGNIZED, as from a server without it.
      const plain = await matrixRequest(
        stack,
        '/_matrix/client/v3/logout/all',
        first.body.access_token,
        {
          body: {},
        },
      );
      assert.equal(plain.status, 404, JSON.stringify(plain.body));
      assert.equal(plain.body.errcode, 'M_UNRECOGNIZED');
      const all = await matrixRequest(
        stack,
        '/_matrix/client/v3/logout/all',
        first.body.access_token,
        {
          body: { 'io.element.only_compat_is_fine': true },
        },
      );
      assert.equal(all.status, 200, JSON.stringify(all.body));
      for (const session of [first, second]) {
        const answer = await eventually(
          'Synapse rejects every token',
          async () => {
            const me = await whoami(stack, session.body.access_token);
            return me.status === 401 ? me : undefined;
          },
          5_000,
        );
        assert.equal(answer.body.errcode, 'M_UNKNOWN_TOKEN');
      }
    }));
});

describe('locking and deactivating through Gatehouse', () => {
  it('a locked user is rejected by Synapse, cannot sign in, and can again once unlocked', () =>
    withDiagnostics(async () => {
      const erin = user('erin');
      await stack.registerUser(erin.username, erin.password);
      const t1 = await compatLogin({
        type: 'm.login.password',
        user: 'erin',
        password: erin.password,
      });
      const t2 = await compatLogin({
        type: 'm.login.password',
        user: 'erin',
        password: erin.password,
      });
      assert.equal(t1.status, 200, JSON.stringify(t1.body));
      assert.equal((await whoami(stack, t1.body.access_token)).status, 200);

      const locked = await stack.gatehouseCli(['manage', 'lock-user', 'erin']);
      assert.equal(locked.code, 0, locked.output);
      assert.deepEqual((await introspectAsSynapse(stack, t1.body.access_token)).body, {
        active: false,
      });
      assert.deepEqual((await introspectAsSynapse(stack, t2.body.access_token)).body, {
        active: false,
      });
      // T2 was never seen by Synapse, so nothing is cached: rejected at once.
      const rejected = await whoami(stack, t2.body.access_token);
      assert.equal(rejected.status, 401, JSON.stringify(rejected.body));
      assert.equal(rejected.body.errcode, 'M_UNKNOWN_TOKEN');
      const refused = await compatLogin({
        type: 'm.login.password',
        user: 'erin',
        password: erin.password,
      });
      assert.equal(refused.status, 401, JSON.stringify(refused.body));
      assert.equal(refused.body.errcode, 'M_USER_LOCKED');

      const unlocked = await stack.gatehouseCli(['manage', 'unlock-user', 'erin']);
      assert.equal(unlocked.code, 0, unlocked.output);
      const back = await compatLogin({
        type: 'm.login.password',
        user: 'erin',
        password: erin.password,
      });
      assert.equal(back.status, 200, JSON.stringify(back.body));
      assert.equal((await whoami(stack, back.body.access_token)).status, 200);
    }));

  it('a deactivated user is deactivated on Synapse and rejected at once, even for a cached token', () =>
    withDiagnostics(async () => {
      const frank = user('frank');
      await stack.registerUser(frank.username, frank.password);
      const t1 = await compatLogin({
        type: 'm.login.password',
        user: 'frank',
        password: frank.password,
      });
      assert.equal(t1.status, 200, JSON.stringify(t1.body));
      // Synapse caches this introspection for two minutes.
      assert.equal((await whoami(stack, t1.body.access_token)).status, 200);

      const deactivated = await stack.gatehouseCli([
        'manage',
        'lock-user',
        'frank',
        '--deactivate',
      ]);
      assert.equal(deactivated.code, 0, deactivated.output);
      await eventually(
        'Synapse shows frank deactivated',
        async () => {
          const response = await stack.masApi('query_user?localpart=frank');
          const body = (await response.json()) as { is_deactivated?: boolean };
          return body.is_deactivated === true ? true : undefined;
        },
        15_000,
      );
      // The devices were deleted with the account: the cached token no longer works.
      const rejected = await whoami(stack, t1.body.access_token);
      assert.equal(rejected.status, 401, JSON.stringify(rejected.body));
      assert.equal(rejected.body.errcode, 'M_UNKNOWN_TOKEN');
      const refused = await compatLogin({
        type: 'm.login.password',
        user: 'frank',
        password: frank.password,
      });
      assert.notEqual(refused.status, 200, JSON.stringify(refused.body));
    }));
});

describe('urn:synapse:admin:* makes a session a Synapse admin', () => {
  let client: RegisteredClient;

  before(async () => {
    await stack.registerUser('root', PASSWORD, ['--admin']);
    await stack.registerUser('gary', PASSWORD);
    client = await registerClient(stack, 'Synapse e2e admin');
  });

  it("an admin user's session with the admin scope can use Synapse's admin API", () =>
    withDiagnostics(async () => {
      const login = await oauthLogin(client, user('root'), { extraScopes: [ADMIN_SCOPE] });
      assert.ok((login.tokens.scope ?? '').split(' ').includes(ADMIN_SCOPE), login.tokens.scope);
      const answer = await matrixRequest(
        stack,
        `/_synapse/admin/v2/users/${encodeURIComponent(stack.mxid('root'))}`,
        login.tokens.access_token,
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.name, stack.mxid('root'));
    }));

  it('without the admin scope, or for a user without admin rights, the admin API is refused', () =>
    withDiagnostics(async () => {
      const plain = await oauthLogin(client, user('root'));
      const path = `/_synapse/admin/v2/users/${encodeURIComponent(stack.mxid('root'))}`;
      const refused = await matrixRequest(stack, path, plain.tokens.access_token);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));

      // gary may not have the admin scope: the grant is refused or the scope left out.
      let garyToken: string | null = null;
      try {
        const gary = await oauthLogin(client, user('gary'), { extraScopes: [ADMIN_SCOPE] });
        assert.ok(!(gary.tokens.scope ?? '').split(' ').includes(ADMIN_SCOPE), gary.tokens.scope);
        garyToken = gary.tokens.access_token;
      } catch (error) {
        // Refused on the consent page (MAS shows its policy violation page) or with an OAuth error.
        assert.match((error as Error).message, /not allowed|access_denied|invalid_scope/);
      }
      if (garyToken !== null) {
        const denied = await matrixRequest(stack, path, garyToken);
        assert.equal(denied.status, 403, JSON.stringify(denied.body));
      }
    }));
});

// Last: stops Synapse and starts it again.
describe('error paths: Synapse down', () => {
  let client: RegisteredClient;
  let adminToken: string;
  const hank = user('hank');

  before(async () => {
    await stack.registerUser(hank.username, hank.password);
    await stack.registerUser('rooted', PASSWORD, ['--admin']);
    client = await registerClient(stack, 'Synapse e2e errors');
    adminToken = (await oauthLogin(client, user('rooted'), { extraScopes: [ADMIN_SCOPE] })).tokens
      .access_token;
  });

  after(async () => {
    if (!stack.synapse.running) await stack.synapse.start();
  });

  it('the token exchange fails cleanly when the device cannot be created, leaving no session', () =>
    withDiagnostics(async () => {
      // Keep a compat session whose device exists on Synapse, for the sync test below.
      const kept = await compatLogin({
        type: 'm.login.password',
        user: 'hank',
        password: hank.password,
        device_id: 'HANKDEVICE1',
      });
      assert.equal(kept.status, 200, JSON.stringify(kept.body));
      const sessionsBefore = openOAuthSessions(stack, 'hank');

      await stack.synapse.stop();
      const oauth = new OAuth2(client.metadata, { clientId: client.clientId }, quietLogger);
      const scope = `${API_SCOPE} ${deviceScope(oauth.context.deviceId)}`;
      const { code, redirectUri } = await authorize(oauth, new Browser(), hank, { scope });
      const exchange = await tokenRequest(stack, {
        grant_type: 'authorization_code',
        client_id: client.clientId,
        code_verifier: oauth.context.codeVerifier,
        redirect_uri: redirectUri,
        code,
      });
      // Unreachable homeserver: 503 temporarily_unavailable, so the client may try again.
      assert.equal(exchange.status, 503, JSON.stringify(exchange.body));
      assert.equal(exchange.body.error, 'temporarily_unavailable');
      assert.equal(exchange.body.errcode, undefined);
      assert.equal(exchange.body.access_token, undefined);
      assert.equal(openOAuthSessions(stack, 'hank'), sessionsBefore);

      // Ending the compat session while Synapse is down: the device deletion must wait.
      const logout = await matrixRequest(
        stack,
        '/_matrix/client/v3/logout',
        kept.body.access_token,
        { body: {} },
      );
      assert.equal(logout.status, 200, JSON.stringify(logout.body));
    }));

  it('the device sync job retries and deletes the device once Synapse is back', () =>
    withDiagnostics(async () => {
      await stack.synapse.start();
      const path = `/_synapse/admin/v2/users/${encodeURIComponent(stack.mxid('hank'))}/devices`;
      const devices = await eventually(
        'HANKDEVICE1 deleted on Synapse after a retry',
        async () => {
          const answer = await matrixRequest(stack, path, adminToken);
          if (answer.status !== 200)
            throw new Error(`admin API ${answer.status} ${JSON.stringify(answer.body)}`);
          const ids = (answer.body.devices as { device_id: string }[]).map((d) => d.device_id);
          return ids.includes('HANKDEVICE1') ? undefined : ids;
        },
        60_000,
        1000,
      );
      assert.ok(!devices.includes('HANKDEVICE1'));
    }));
});
