// Compat access tokens (`mct_`) in the introspection cache: the homeserver's repeated questions are
// answered from memory, and every way a compat session or its access token ends drops the answer
// at once. The cache lives far longer than each test, so only an invalidation can end an entry;
// "answered from the cache" is shown by a change made behind the cache's back (a user locked
// directly in storage, as another process would) that the answer does not see.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startCompatSession } from '../../../src/services/compat-sessions.ts';
import { IntrospectionCache } from '../../../src/services/introspection-cache.ts';
import { addUser } from '../../helpers/app.ts';
import {
  bearer,
  introspectAsSynapse,
  passwordLogin,
  postJson,
  startCompatApp,
  type CompatApp,
} from './compat-kit.ts';

describe('compat tokens and the introspection cache', () => {
  let h: CompatApp;
  let cache: IntrospectionCache;
  let userId: string;
  beforeEach(async () => {
    h = await startCompatApp({}, (base) => {
      cache = new IntrospectionCache({ clock: base.clock, ttlMs: 600_000 });
      return { introspectionCache: cache };
    });
    userId = (await addUser(h.base, 'alice', 'correct horse')).id;
  });
  afterEach(() => h.close());

  /** Locks alice in storage without telling the cache (as `manage lock-user` in another process). */
  async function lockBehindTheCache(): Promise<void> {
    await h.ctx.storage.transaction(async (repos) => {
      await repos.users.lock(h.base.clock, (await repos.users.findByUsername('alice'))!);
    });
  }

  it('answers a repeated question from the cache, shaped for each caller', async () => {
    const login = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'DEVICEAAAA' });
    const withHeader = await introspectAsSynapse(h, login.access_token);
    const withoutHeader = await introspectAsSynapse(h, login.access_token, false);
    assert.equal(withHeader.device_id, 'DEVICEAAAA');
    assert.equal(withoutHeader.device_id, undefined);
    assert.match(String(withoutHeader.scope), /urn:matrix:client:device:DEVICEAAAA/);
    assert.equal(cache.size, 2);

    await lockBehindTheCache();
    assert.deepEqual(await introspectAsSynapse(h, login.access_token), withHeader);
    assert.deepEqual(await introspectAsSynapse(h, login.access_token, false), withoutHeader);
    // What the cache holds is the user's, so a user-wide invalidation (lock, deactivation,
    // recovery) reaches it.
    await cache.invalidate({ user: userId });
    assert.deepEqual(await introspectAsSynapse(h, login.access_token), { active: false });
  });

  it('keeps an expiring token only until it expires, with expires_in counting down', async () => {
    const login = await passwordLogin(h, 'alice', 'correct horse', { refresh_token: true });
    assert.equal((await introspectAsSynapse(h, login.access_token)).expires_in, 300);
    h.base.clock.advance(100_000);
    assert.equal((await introspectAsSynapse(h, login.access_token)).expires_in, 200);
    h.base.clock.advance(200_000);
    assert.deepEqual(await introspectAsSynapse(h, login.access_token), { active: false });
  });

  it('does not cache refresh tokens', async () => {
    const login = await passwordLogin(h, 'alice', 'correct horse', { refresh_token: true });
    assert.equal((await introspectAsSynapse(h, login.refresh_token!)).active, true);
    await lockBehindTheCache();
    assert.deepEqual(await introspectAsSynapse(h, login.refresh_token!), { active: false });
  });

  it('logout drops the session’s cached answer', async () => {
    const a = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'DEVICEAAAA' });
    const b = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'DEVICEBBBB' });
    assert.equal((await introspectAsSynapse(h, a.access_token)).active, true);
    assert.equal((await introspectAsSynapse(h, b.access_token)).active, true);
    const response = await postJson(h, '/_matrix/client/v3/logout', {}, bearer(a.access_token));
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(await introspectAsSynapse(h, a.access_token), { active: false });
    assert.equal((await introspectAsSynapse(h, b.access_token)).active, true);
  });

  it('logout/all drops every compat session’s cached answer', async () => {
    const a = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'DEVICEAAAA' });
    const b = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'DEVICEBBBB' });
    for (const token of [a.access_token, b.access_token]) {
      assert.equal((await introspectAsSynapse(h, token)).active, true);
    }
    const response = await postJson(
      h,
      '/_matrix/client/v3/logout/all',
      { 'io.element.only_compat_is_fine': true },
      bearer(a.access_token),
    );
    assert.equal(response.statusCode, 200, response.body);
    for (const token of [a.access_token, b.access_token]) {
      assert.deepEqual(await introspectAsSynapse(h, token), { active: false });
    }
  });

  it('refresh drops the previous access token’s answer and caches the new one', async () => {
    const login = await passwordLogin(h, 'alice', 'correct horse', { refresh_token: true });
    assert.equal((await introspectAsSynapse(h, login.access_token)).active, true);
    const response = await postJson(h, '/_matrix/client/v3/refresh', {
      refresh_token: login.refresh_token,
    });
    assert.equal(response.statusCode, 200, response.body);
    const fresh = response.json<{ access_token: string }>().access_token;
    assert.deepEqual(await introspectAsSynapse(h, login.access_token), { active: false });
    // Only the old token was named: the session's new token is cached like any other.
    assert.equal((await introspectAsSynapse(h, fresh)).active, true);
    await lockBehindTheCache();
    assert.equal((await introspectAsSynapse(h, fresh)).active, true);
  });

  it('a login that takes over the device drops the previous holder’s answer', async () => {
    const first = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'DEVICEAAAA' });
    assert.equal((await introspectAsSynapse(h, first.access_token)).active, true);
    const second = await passwordLogin(h, 'alice', 'correct horse', { device_id: 'DEVICEAAAA' });
    assert.deepEqual(await introspectAsSynapse(h, first.access_token), { active: false });
    assert.equal((await introspectAsSynapse(h, second.access_token)).active, true);
  });

  it('a session started from a browser session goes with it (back-channel logout)', async () => {
    const { accessToken, browserSessionId } = await h.ctx.storage.transaction(async (repos) => {
      const user = (await repos.users.findByUsername('alice'))!;
      const browser = await repos.browserSessions.add(h.ctx.rng, h.base.clock, user);
      const started = await startCompatSession(repos, h.ctx, {
        user,
        deviceId: 'SSODEVICE1',
        humanName: null,
        userAgent: null,
        browserSessionId: browser.id,
        isSynapseAdmin: false,
        refreshableTtlSeconds: null,
      });
      return { accessToken: started.accessToken, browserSessionId: browser.id };
    });
    assert.equal((await introspectAsSynapse(h, accessToken)).active, true);
    await lockBehindTheCache();
    assert.equal((await introspectAsSynapse(h, accessToken)).active, true);
    await cache.invalidate({ browserSession: browserSessionId });
    assert.deepEqual(await introspectAsSynapse(h, accessToken), { active: false });
  });
});
