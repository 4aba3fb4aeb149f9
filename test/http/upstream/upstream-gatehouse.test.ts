// Gatehouse as the upstream provider of another Gatehouse: discovery of a Gatehouse issuer, its
// password login and consent, its ID token (RS256 from its keystore) and its userinfo.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startGatehouseOp } from '../../helpers/upstream-op.ts';
import { Browser, CALLBACK, counts, saveProvider, type TestApp } from './upstream-kit.ts';
import { startTestApp } from '../../helpers/app.ts';
import { claimsImports } from '../../upstream/provider-fixtures.ts';

describe('a second Gatehouse as the upstream provider', () => {
  it('signs in and creates the account from its userinfo', async () => {
    const upstream = await startGatehouseOp({
      redirectUri: CALLBACK,
      username: 'eve',
      password: 'Eves-password-1234567',
    });
    let h: TestApp | null = null;
    try {
      h = await startTestApp();
      h.clock.set(new Date(performance.timeOrigin + performance.now()));
      await saveProvider(h, upstream, {
        humanName: 'Upstream Gatehouse',
        clientId: upstream.client.id,
        clientSecret: upstream.client.secret,
        scope: 'openid',
        fetchUserinfo: true,
        claimsImports: claimsImports({
          skipConfirmation: true,
          localpart: { action: 'require', template: '{{ user.username }}', onConflict: 'fail' },
          accountName: { template: '{{ user.username }}' },
        }),
      });
      const browser = new Browser(h, upstream);
      const page = await browser.signIn();
      assert.equal(page.statusCode, 200, page.body.slice(0, 500));
      assert.equal(browser.visited.at(-1), 'GET /account');
      assert.deepEqual(await counts(h), { users: 1, links: 1, linkedLinks: 1 });
      const link = await h.db.storage.transaction(async (repos) => {
        const eve = await repos.users.findByUsername('eve');
        return (await repos.upstreamOAuthLinks.listForUser(eve!.id))[0];
      });
      // The subject is the upstream user's id there.
      const upstreamEve = await upstream.app.db.storage.transaction((repos) =>
        repos.users.findByUsername('eve'),
      );
      assert.equal(link?.subject, upstreamEve!.id);
      assert.equal(link?.humanAccountName, 'eve');
    } finally {
      await h?.close();
      await upstream.close();
    }
  });
});
