// OpenID Connect Back-Channel Logout from the upstream provider: the provider's own logout token
// (by `sid`, and by `sub` alone), each `on_backchannel_logout` action, and refused tokens.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpstreamBackchannelLogoutAction } from '../../../src/model/upstream-oauth.ts';
import { addClient, authorize, exchangeCode } from '../oauth2/oauth2-app.ts';
import { SKIP_CONFIRMATION } from '../../upstream/provider-fixtures.ts';
import { Browser, startUpstreamTest, type UpstreamTest } from './upstream-kit.ts';

interface Scene {
  t: UpstreamTest;
  browserSessionId: string;
  oauth2SessionId: string;
  sid: string | null;
}

/** alice signs in through the provider and authorizes an OAuth 2.0 client from that browser. */
async function scene(action: UpstreamBackchannelLogoutAction): Promise<Scene> {
  const t = await startUpstreamTest({
    provider: { claimsImports: SKIP_CONFIRMATION, onBackchannelLogout: action },
  });
  const browser = new Browser(t.h, t.op);
  await browser.signIn();
  const state = String(t.op.lastAuthorization?.state);
  const upstream = await t.h.db.storage.transaction((repos) =>
    repos.upstreamOAuthSessions.findByState(state),
  );
  assert.ok(upstream?.browserSessionId !== null && upstream?.browserSessionId !== undefined);
  const client = await addClient(t.h);
  const { code } = await authorize(t.h, browser.jar, client);
  const tokens = await exchangeCode(t.h, client, code);
  assert.equal(tokens.statusCode, 200, tokens.body);
  const oauth2 = await t.h.db.storage.transaction(async (repos) => {
    const user = await repos.users.findByUsername('alice');
    return repos.oauth2Sessions.listActiveForUser(user!.id);
  });
  assert.equal(oauth2.length, 1);
  assert.equal(oauth2[0]!.browserSessionId, upstream.browserSessionId);
  return {
    t,
    browserSessionId: upstream.browserSessionId,
    oauth2SessionId: oauth2[0]!.id,
    sid: upstream.idTokenSid,
  };
}

async function postLogout(t: UpstreamTest, token: string, providerId: string = t.provider.id) {
  return t.h.app.inject({
    method: 'POST',
    url: `/upstream/backchannel-logout/${providerId}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ logout_token: token }).toString(),
  });
}

async function ended(s: Scene): Promise<{ browser: boolean; oauth2: boolean }> {
  return s.t.h.db.storage.transaction(async (repos) => {
    const browser = await repos.browserSessions.lookup(s.browserSessionId as never);
    const oauth2 = await repos.oauth2Sessions.lookup(s.oauth2SessionId as never);
    return { browser: browser?.finishedAt !== null, oauth2: oauth2?.finishedAt !== null };
  });
}

describe('upstream back-channel logout', () => {
  it('do_nothing: acknowledges and keeps every session', async () => {
    const s = await scene('do_nothing');
    try {
      assert.ok(s.sid !== null, 'the provider sends sid');
      const response = await postLogout(
        s.t,
        await s.t.op.logoutToken('gatehouse', 'alice', s.sid!),
      );
      assert.equal(response.statusCode, 200);
      assert.deepEqual(await ended(s), { browser: false, oauth2: false });
    } finally {
      await s.t.close();
    }
  });

  it('logout_browser_only: ends the browser session the provider session signed in', async () => {
    const s = await scene('logout_browser_only');
    try {
      const response = await postLogout(
        s.t,
        await s.t.op.logoutToken('gatehouse', 'alice', s.sid!),
      );
      assert.equal(response.statusCode, 200);
      assert.deepEqual(await ended(s), { browser: true, oauth2: false });
    } finally {
      await s.t.close();
    }
  });

  it('logout_all: ends the browser session and the sessions started from it (by subject)', async () => {
    const s = await scene('logout_all');
    try {
      const other = await s.t.op.logoutToken('gatehouse', 'someone-else');
      assert.equal((await postLogout(s.t, other)).statusCode, 200);
      assert.deepEqual(await ended(s), { browser: false, oauth2: false });
      const response = await postLogout(s.t, await s.t.op.logoutToken('gatehouse', 'alice'));
      assert.equal(response.statusCode, 200);
      assert.deepEqual(await ended(s), { browser: true, oauth2: true });
    } finally {
      await s.t.close();
    }
  });

  it('refuses a bad token or request with 400 and ends nothing', async () => {
    const s = await scene('logout_all');
    try {
      const token = await s.t.op.logoutToken('gatehouse', 'alice', s.sid!);
      const tampered = `${token.slice(0, -6)}AAAAAA`;
      for (const response of [
        await postLogout(s.t, tampered),
        await postLogout(s.t, 'not-a-token'),
        await postLogout(s.t, ''),
        await postLogout(s.t, token, '01JZ0000000000000000000009'),
      ]) {
        assert.equal(response.statusCode, 400, response.body);
        assert.equal(response.json().error, 'invalid_request');
      }
      // Too old: issued more than ten minutes ago by our clock.
      s.t.h.clock.advance(3600 * 1000);
      assert.equal((await postLogout(s.t, token)).statusCode, 400);
      assert.deepEqual(await ended(s), { browser: false, oauth2: false });
    } finally {
      await s.t.close();
    }
  });
});
