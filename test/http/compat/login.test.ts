// The compat login: flows, m.login.password with both identifier forms, Matrix errors, device
// replacement, expiring tokens, and the device pushed to the homeserver before the answer.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { checkToken, tokenHash } from '../../../src/crypto/tokens.ts';
import { addUser } from '../../helpers/app.ts';
import { passwordLogin, postJson, startCompatApp, type CompatApp } from './compat-kit.ts';

const LOGIN = '/_matrix/client/v3/login';

describe('compat login', () => {
  let h: CompatApp;
  beforeEach(async () => {
    h = await startCompatApp();
    await addUser(h.base, 'alice', 'correct horse');
  });
  afterEach(() => h.close());

  it('lists the flows on v3 and r0, password only when enabled', async () => {
    for (const url of [LOGIN, '/_matrix/client/r0/login']) {
      const response = await h.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['access-control-allow-origin'], '*');
      assert.deepEqual(response.json(), {
        flows: [
          { type: 'm.login.password' },
          {
            type: 'm.login.sso',
            identity_providers: [],
            oauth_aware_preferred: true,
            'org.matrix.msc3824.delegated_oidc_compatibility': true,
          },
          { type: 'm.login.token' },
        ],
      });
    }
    const off = await startCompatApp({ passwords: { enabled: false } });
    try {
      const flows = (await off.app.inject({ method: 'GET', url: LOGIN })).json<{
        flows: { type: string }[];
      }>().flows;
      assert.deepEqual(
        flows.map((f) => f.type),
        ['m.login.sso', 'm.login.token'],
      );
      const refused = await postJson(off, LOGIN, {
        type: 'm.login.password',
        user: 'alice',
        password: 'correct horse',
      });
      assert.equal(refused.statusCode, 400);
      assert.equal(refused.json().errcode, 'M_UNKNOWN');
    } finally {
      await off.close();
    }
  });

  it('logs in with identifier m.id.user (localpart), pushes the device first, stores only hashes', async () => {
    const answer = await passwordLogin(h, 'alice', 'correct horse', {
      initial_device_display_name: 'Alice phone',
    });
    assert.equal(answer.user_id, '@alice:example.test');
    assert.equal(answer.home_server, 'example.test');
    assert.match(answer.device_id, /^[A-Z]{10}$/);
    assert.equal(checkToken(answer.access_token), 'compatAccessToken');
    assert.equal(answer.expires_in_ms, undefined);
    assert.equal(answer.refresh_token, undefined);
    // The homeserver was told about the device with the shared secret.
    const upserts = h.homeserver.callsTo('upsert_device');
    assert.equal(upserts.length, 1);
    assert.equal(upserts[0]!.authorization, 'Bearer hs-secret');
    assert.equal(upserts[0]!.body?.localpart, 'alice');
    assert.equal(upserts[0]!.body?.device_id, answer.device_id);
    assert.equal(upserts[0]!.body?.display_name, 'Alice phone');
    // Only the SHA-256 is stored; the token never expires.
    const stored = await h.ctx.storage.transaction((repos) =>
      repos.compatAccessTokens.findByHash(tokenHash(answer.access_token)),
    );
    assert.notEqual(stored, null);
    assert.equal(stored!.expiresAt, null);
    const session = await h.ctx.storage.transaction((repos) =>
      repos.compatSessions.lookup(stored!.sessionId),
    );
    assert.equal(session?.humanName, 'Alice phone');
    assert.equal(session?.isSynapseAdmin, false);
  });

  it('accepts the deprecated top-level user, and a full Matrix ID on our server (r0 too)', async () => {
    const topLevel = await postJson(h, '/_matrix/client/r0/login', {
      type: 'm.login.password',
      user: '@alice:example.test',
      password: 'correct horse',
      device_id: 'MYDEVICE01',
    });
    assert.equal(topLevel.statusCode, 200, topLevel.body);
    assert.equal(topLevel.json().device_id, 'MYDEVICE01');
    const mxid = await passwordLogin(h, '@alice:example.test', 'correct horse');
    assert.equal(mxid.user_id, '@alice:example.test');
  });

  it('refuses a Matrix ID on another server and bad credentials with M_FORBIDDEN', async () => {
    for (const body of [
      { type: 'm.login.password', user: '@alice:elsewhere.test', password: 'correct horse' },
      { type: 'm.login.password', user: 'alice', password: 'wrong' },
      { type: 'm.login.password', user: 'nobody', password: 'correct horse' },
      {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'alice' },
        password: 'nope',
      },
    ]) {
      const response = await postJson(h, LOGIN, body);
      assert.equal(response.statusCode, 403, JSON.stringify(body));
      assert.equal(response.json().errcode, 'M_FORBIDDEN');
    }
    assert.equal(h.homeserver.callsTo('upsert_device').length, 0);
  });

  it('answers malformed requests with the Matrix error codes, never a 500', async () => {
    const cases: [string | object, number, string][] = [
      ['{not json', 400, 'M_NOT_JSON'],
      ['', 400, 'M_NOT_JSON'],
      ['[1,2]', 400, 'M_BAD_JSON'],
      [{ user: 'alice', password: 'x' }, 400, 'M_MISSING_PARAM'],
      [{ type: 42 }, 400, 'M_BAD_JSON'],
      [{ type: 'm.login.password', password: 'x' }, 400, 'M_MISSING_PARAM'],
      [{ type: 'm.login.password', user: 'alice' }, 400, 'M_MISSING_PARAM'],
      [{ type: 'm.login.password', user: 'alice', password: 7 }, 400, 'M_BAD_JSON'],
      [
        { type: 'm.login.password', identifier: { type: 'm.id.thirdparty' }, password: 'x' },
        400,
        'M_UNKNOWN',
      ],
      [{ type: 'm.login.token' }, 400, 'M_MISSING_PARAM'],
      [{ type: 'm.login.dummy' }, 400, 'M_UNKNOWN'],
      [{ type: 'm.login.application_service' }, 400, 'M_APPSERVICE_LOGIN_UNSUPPORTED'],
      [
        { type: 'm.login.password', user: 'alice', password: 'x', device_id: 'bad device' },
        400,
        'M_INVALID_PARAM',
      ],
    ];
    for (const [body, status, errcode] of cases) {
      const response = await postJson(h, LOGIN, body);
      assert.equal(response.statusCode, status, `${JSON.stringify(body)}: ${response.body}`);
      const json = response.json<{ errcode: string; error: string }>();
      assert.equal(json.errcode, errcode, JSON.stringify(body));
      assert.equal(typeof json.error, 'string');
    }
  });

  it('refuses a locked user with M_USER_LOCKED once the password is right', async () => {
    await h.ctx.storage.transaction(async (repos) => {
      const user = (await repos.users.findByUsername('alice'))!;
      await repos.users.lock(h.base.clock, user);
    });
    const response = await postJson(h, LOGIN, {
      type: 'm.login.password',
      user: 'alice',
      password: 'correct horse',
    });
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().errcode, 'M_USER_LOCKED');
    const wrong = await postJson(h, LOGIN, {
      type: 'm.login.password',
      user: 'alice',
      password: 'wrong',
    });
    assert.equal(wrong.json().errcode, 'M_FORBIDDEN');
  });

  it('replaces the session that held the same device', async () => {
    const first = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'SHAREDDEV1' });
    const second = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'SHAREDDEV1' });
    assert.equal(second.device_id, 'SHAREDDEV1');
    const [old, current] = await h.ctx.storage.transaction(async (repos) => [
      await repos.compatAccessTokens.findByHash(tokenHash(first.access_token)),
      await repos.compatAccessTokens.findByHash(tokenHash(second.access_token)),
    ]);
    assert.notEqual(old!.revokedAt, null);
    assert.equal(current!.revokedAt, null);
    const sessions = await h.ctx.storage.transaction(async (repos) => {
      const user = (await repos.users.findByUsername('alice'))!;
      return repos.compatSessions.listActiveForUser(user.id);
    });
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0]!.id, current!.sessionId);
  });

  it('gives an expiring token and a refresh token when asked (compat_token_ttl)', async () => {
    const answer = await passwordLogin(h, 'alice', 'correct horse', { refresh_token: true });
    assert.equal(answer.expires_in_ms, 300_000);
    assert.equal(checkToken(answer.refresh_token!), 'compatRefreshToken');
    const stored = await h.ctx.storage.transaction((repos) =>
      repos.compatAccessTokens.findByHash(tokenHash(answer.access_token)),
    );
    assert.equal(stored!.expiresAt!.getTime() - stored!.createdAt.getTime(), 300_000);

    const custom = await startCompatApp({ experimental: { compat_token_ttl: 600 } });
    try {
      await addUser(custom.base, 'bob', 'pw for bob');
      const bob = await passwordLogin(custom, 'bob', 'pw for bob', { refresh_token: true });
      assert.equal(bob.expires_in_ms, 600_000);
    } finally {
      await custom.close();
    }
  });

  it('refuses a login over the hard session limit with M_FORBIDDEN', async () => {
    const limited = await startCompatApp({
      experimental: { session_limit: { soft_limit: 2, hard_limit: 2 } },
    });
    try {
      await addUser(limited.base, 'bob', 'pw for bob');
      await passwordLogin(limited, 'bob', 'pw for bob');
      await passwordLogin(limited, 'bob', 'pw for bob');
      const third = await postJson(limited, LOGIN, {
        type: 'm.login.password',
        user: 'bob',
        password: 'pw for bob',
      });
      assert.equal(third.statusCode, 403, third.body);
      assert.equal(third.json().errcode, 'M_FORBIDDEN');
      assert.match(third.json().error, /Too many active sessions/);
    } finally {
      await limited.close();
    }
  });

  it('ends the session again and answers 503 when the homeserver cannot take the device', async () => {
    h.homeserver.failWith = 500;
    const response = await postJson(h, LOGIN, {
      type: 'm.login.password',
      user: 'alice',
      password: 'correct horse',
    });
    assert.equal(response.statusCode, 503);
    assert.equal(response.json().errcode, 'M_UNKNOWN');
    assert.doesNotMatch(response.body, /at .*\.ts/);
    const active = await h.ctx.storage.transaction(async (repos) => {
      const user = (await repos.users.findByUsername('alice'))!;
      return repos.compatSessions.listActiveForUser(user.id);
    });
    assert.deepEqual(active, []);
  });
});
