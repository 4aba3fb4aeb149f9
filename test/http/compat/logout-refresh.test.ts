// Compat logout, logout/all (MAS's only_compat_is_fine rule) and refresh-token rotation.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { checkToken } from '../../../src/crypto/tokens.ts';
import { addUser } from '../../helpers/app.ts';
import {
  bearer,
  introspectAsSynapse,
  passwordLogin,
  postJson,
  startCompatApp,
  type CompatApp,
} from './compat-kit.ts';

/** The user ids of the queued `sync-devices` jobs. */
async function syncJobs(h: CompatApp): Promise<string[]> {
  const rows = await h.base.db.storage.connection.db
    .selectFrom('queue_jobs')
    .select('payload')
    .where('queue_name', '=', 'sync-devices')
    .execute();
  return rows.map((row) => {
    const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as {
      userId: string;
    };
    return payload.userId;
  });
}

describe('compat logout and refresh', () => {
  let h: CompatApp;
  let userId: string;
  beforeEach(async () => {
    h = await startCompatApp();
    userId = (await addUser(h.base, 'alice', 'correct horse')).id;
  });
  afterEach(() => h.close());

  it('logout ends the session, revokes its token and queues a device sync', async () => {
    const a = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'DEVICEAAAA' });
    const b = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'DEVICEBBBB' });
    const response = await postJson(h, '/_matrix/client/v3/logout', {}, bearer(a.access_token));
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), {});
    assert.deepEqual(await syncJobs(h), [userId]);
    assert.deepEqual(await introspectAsSynapse(h, a.access_token), { active: false });
    assert.equal((await introspectAsSynapse(h, b.access_token)).active, true);
    // The token is gone: a second logout is M_UNKNOWN_TOKEN.
    const again = await postJson(h, '/_matrix/client/r0/logout', '', bearer(a.access_token));
    assert.equal(again.statusCode, 401);
    assert.equal(again.json().errcode, 'M_UNKNOWN_TOKEN');
  });

  it('logout refuses missing, malformed and OAuth tokens', async () => {
    const none = await postJson(h, '/_matrix/client/v3/logout', {});
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().errcode, 'M_MISSING_TOKEN');
    for (const token of ['garbage', 'mat_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_000000']) {
      const response = await postJson(h, '/_matrix/client/v3/logout', {}, bearer(token));
      assert.equal(response.statusCode, 401);
      assert.equal(response.json().errcode, 'M_UNKNOWN_TOKEN');
    }
  });

  it('logout/all needs io.element.only_compat_is_fine, then ends every compat session', async () => {
    const a = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'DEVICEAAAA' });
    const b = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'DEVICEBBBB' });
    for (const body of [{}, { 'io.element.only_compat_is_fine': false }, '']) {
      const refused = await postJson(
        h,
        '/_matrix/client/v3/logout/all',
        body,
        bearer(a.access_token),
      );
      assert.equal(refused.statusCode, 404);
      assert.equal(refused.json().errcode, 'M_UNRECOGNIZED');
    }
    assert.equal((await introspectAsSynapse(h, b.access_token)).active, true);
    const response = await postJson(
      h,
      '/_matrix/client/v3/logout/all',
      { 'io.element.only_compat_is_fine': true },
      bearer(a.access_token),
    );
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(await introspectAsSynapse(h, a.access_token), { active: false });
    assert.deepEqual(await introspectAsSynapse(h, b.access_token), { active: false });
    assert.deepEqual(await syncJobs(h), [userId]);
  });

  it('refresh rotates the pair; the old refresh token is then refused', async () => {
    const login = await passwordLogin(h, 'alice', 'correct horse', { refresh_token: true });
    h.base.clock.advance(10_000);
    const response = await postJson(h, '/_matrix/client/v3/refresh', {
      refresh_token: login.refresh_token,
    });
    assert.equal(response.statusCode, 200, response.body);
    const pair = response.json<{
      access_token: string;
      refresh_token: string;
      expires_in_ms: number;
    }>();
    assert.equal(checkToken(pair.access_token), 'compatAccessToken');
    assert.equal(checkToken(pair.refresh_token), 'compatRefreshToken');
    assert.equal(pair.expires_in_ms, 300_000);
    assert.notEqual(pair.access_token, login.access_token);
    // The old access token stops working, the new one works, on the same device.
    assert.deepEqual(await introspectAsSynapse(h, login.access_token), { active: false });
    const fresh = await introspectAsSynapse(h, pair.access_token);
    assert.equal(fresh.active, true);
    assert.equal(fresh.device_id, login.device_id);

    const reuse = await postJson(h, '/_matrix/client/r0/refresh', {
      refresh_token: login.refresh_token,
    });
    assert.equal(reuse.statusCode, 401);
    assert.deepEqual(reuse.json(), {
      errcode: 'M_UNKNOWN_TOKEN',
      error: 'Invalid refresh token',
      soft_logout: false,
    });
    for (const [body, errcode] of [
      [{}, 'M_MISSING_PARAM'],
      [{ refresh_token: 'nonsense' }, 'M_UNKNOWN_TOKEN'],
      [{ refresh_token: pair.access_token }, 'M_UNKNOWN_TOKEN'],
      ['{', 'M_NOT_JSON'],
    ] as const) {
      const bad = await postJson(h, '/_matrix/client/v3/refresh', body);
      assert.equal(bad.json().errcode, errcode, JSON.stringify(body));
    }
  });

  it('an expiring compat access token stops working after its lifetime', async () => {
    const login = await passwordLogin(h, 'alice', 'correct horse', { refresh_token: true });
    const live = await introspectAsSynapse(h, login.access_token);
    assert.equal(live.expires_in, 300);
    h.base.clock.advance(301_000);
    assert.deepEqual(await introspectAsSynapse(h, login.access_token), { active: false });
  });
});
