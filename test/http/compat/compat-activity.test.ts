// Activity of compat sessions: a login records the session's first activity with the client's
// address; each introspection by the homeserver moves `last_active_at` (batched by the activity
// tracker, as for OAuth 2.0 sessions) and keeps the client's address; the Admin API shows it.
// And the login response carries no `well_known` (as MAS).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startCompatSession } from '../../../src/services/compat-sessions.ts';
import { addUser, startTestApp } from '../../helpers/app.ts';
import { call, startAdminApp, type AdminApp } from '../admin/admin-app.ts';
import {
  introspectAsSynapse,
  passwordLogin,
  startCompatApp,
  type CompatApp,
} from './compat-kit.ts';

describe('compat session activity', () => {
  let h: CompatApp;
  beforeEach(async () => {
    h = await startCompatApp();
    await addUser(h.base, 'alice', 'correct horse');
  });
  afterEach(() => h.close());

  const sessionOf = (deviceId: string) =>
    h.ctx.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      const sessions = await repos.compatSessions.listActiveForUser(alice!.id);
      return sessions.find((s) => s.deviceId === deviceId)!;
    });

  it('is recorded at login with the client address, then at each introspection', async () => {
    const loginAt = h.base.clock.now();
    const login = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'ACTIVEDEV1' });
    const afterLogin = await sessionOf('ACTIVEDEV1');
    assert.deepEqual(afterLogin.lastActiveAt, loginAt);
    assert.equal(afterLogin.lastActiveIp, '127.0.0.1');

    h.base.clock.advance(90_000);
    const usedAt = h.base.clock.now();
    assert.equal((await introspectAsSynapse(h, login.access_token)).active, true);
    assert.equal((await introspectAsSynapse(h, login.access_token)).active, true);
    // Batched, not written per call.
    assert.deepEqual((await sessionOf('ACTIVEDEV1')).lastActiveAt, loginAt);
    await h.app.close(); // flushes the activity tracker
    const afterUse = await sessionOf('ACTIVEDEV1');
    assert.deepEqual(afterUse.lastActiveAt, usedAt);
    // The homeserver introspected: the client's address from the login is kept.
    assert.equal(afterUse.lastActiveIp, '127.0.0.1');
  });

  it('answers the login without well_known', async () => {
    const login = await passwordLogin(h, 'alice', 'correct horse');
    assert.deepEqual(Object.keys(login).sort(), [
      'access_token',
      'device_id',
      'home_server',
      'user_id',
    ]);
  });
});

describe('compat session activity in the Admin API', () => {
  let a: AdminApp;
  beforeEach(async () => {
    a = await startAdminApp();
  });
  afterEach(() => a.close());

  it('shows last_active_at after the homeserver introspected the token', async () => {
    await addUser(a.h, 'alice', 'correct horse');
    const started = await a.h.db.storage.transaction(async (repos) =>
      startCompatSession(repos, a.h.ctx, {
        user: (await repos.users.findByUsername('alice'))!,
        deviceId: 'ADMINVIEW1',
        humanName: null,
        userAgent: null,
        browserSessionId: null,
        isSynapseAdmin: false,
        refreshableTtlSeconds: null,
      }),
    );
    const id = started.session.id;
    const before = await call(a, 'GET', `/compat-sessions/${id}`);
    assert.equal(before.statusCode, 200, before.body);
    assert.equal(before.json().data.attributes.last_active_at, null);

    // Another node (same database) answers the homeserver's introspection, then flushes.
    const node = await startTestApp({}, { existing: a.h.db, resources: ['oauth'] });
    node.clock.set('2026-03-04T05:06:07.000Z');
    const answer = await node.app.inject({
      method: 'POST',
      url: '/oauth2/introspect',
      headers: {
        authorization: 'Bearer hs-secret',
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({ token: started.accessToken }).toString(),
    });
    assert.equal(answer.json().active, true, answer.body);
    await node.close();

    const after = await call(a, 'GET', `/compat-sessions/${id}`);
    assert.equal(after.statusCode, 200, after.body);
    assert.equal(after.json().data.attributes.last_active_at, '2026-03-04T05:06:07.000Z');
    assert.equal(after.json().data.attributes.last_active_ip, null);
  });
});
