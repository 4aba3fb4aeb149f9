// Introspection of compat tokens as Synapse asks for it (Bearer matrix secret, with and without
// `X-MAS-Supports-Device-Id: 1`): client_id "legacy", both forms of the API scope, the device in
// the scope or in device_id, the admin scope only for sessions that have it, locked users inactive.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startCompatSession } from '../../../src/services/compat-sessions.ts';
import { addUser } from '../../helpers/app.ts';
import {
  introspectAsSynapse,
  passwordLogin,
  startCompatApp,
  type CompatApp,
} from './compat-kit.ts';

describe('compat token introspection', () => {
  let h: CompatApp;
  let userId: string;
  beforeEach(async () => {
    h = await startCompatApp();
    userId = (await addUser(h.base, 'alice', 'correct horse')).id;
  });
  afterEach(() => h.close());

  it('answers as MAS: legacy client, localpart, device in device_id with the header', async () => {
    const login = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'INTRODEV01' });
    const answer = await introspectAsSynapse(h, login.access_token);
    const now = Math.floor(h.base.clock.now().getTime() / 1000);
    assert.deepEqual(answer, {
      active: true,
      scope: 'urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:api:*',
      client_id: 'legacy',
      username: 'alice',
      token_type: 'access_token',
      iat: now,
      nbf: now,
      sub: userId,
      device_id: 'INTRODEV01',
    });

    const legacy = await introspectAsSynapse(h, login.access_token, false);
    assert.equal(legacy.device_id, undefined);
    assert.deepEqual(String(legacy.scope).split(' ').sort(), [
      'urn:matrix:client:api:*',
      'urn:matrix:client:device:INTRODEV01',
      'urn:matrix:org.matrix.msc2967.client:api:*',
      'urn:matrix:org.matrix.msc2967.client:device:INTRODEV01',
    ]);
  });

  it('adds urn:synapse:admin:* only for admin sessions', async () => {
    const admin = await h.ctx.storage.transaction(async (repos) =>
      startCompatSession(repos, h.ctx, {
        user: (await repos.users.findByUsername('alice'))!,
        deviceId: 'ADMINDEV01',
        humanName: null,
        userAgent: null,
        browserSessionId: null,
        isSynapseAdmin: true,
        refreshableTtlSeconds: null,
      }),
    );
    const answer = await introspectAsSynapse(h, admin.accessToken);
    assert.equal(
      answer.scope,
      'urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:api:* urn:synapse:admin:*',
    );
    const plain = await passwordLogin(h, 'alice', 'correct horse');
    assert.doesNotMatch(String((await introspectAsSynapse(h, plain.access_token)).scope), /admin/);
  });

  it('introspects refresh tokens, honours the hint, and turns locked users inactive', async () => {
    const login = await passwordLogin(h, 'alice', 'correct horse', { refresh_token: true });
    const refresh = await introspectAsSynapse(h, login.refresh_token!);
    assert.equal(refresh.active, true);
    assert.equal(refresh.token_type, 'refresh_token');
    assert.equal(refresh.exp, undefined);
    const access = await introspectAsSynapse(h, login.access_token);
    assert.equal(access.expires_in, 300);

    const wrongHint = await h.app.inject({
      method: 'POST',
      url: '/oauth2/introspect',
      headers: {
        authorization: 'Bearer hs-secret',
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({
        token: login.access_token,
        token_type_hint: 'refresh_token',
      }).toString(),
    });
    assert.deepEqual(wrongHint.json(), { active: false });

    await h.ctx.storage.transaction(async (repos) => {
      await repos.users.lock(h.base.clock, (await repos.users.findByUsername('alice'))!);
    });
    assert.deepEqual(await introspectAsSynapse(h, login.access_token), { active: false });
  });
});
