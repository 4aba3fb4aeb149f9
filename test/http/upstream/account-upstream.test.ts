// The account page of linked upstream accounts: listing, linking one more provider, unlinking
// (CSRF), and never unlinking the last way to sign in.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpstreamClaimsImports } from '../../../src/model/upstream-oauth.ts';
import { addUser } from '../../helpers/app.ts';
import { startUpstreamOp } from '../../helpers/upstream-op.ts';
import { SKIP_CONFIRMATION } from '../../upstream/provider-fixtures.ts';
import {
  assertErrorPage,
  Browser,
  hiddenField,
  opClient,
  redirectPath,
  saveProvider,
  startUpstreamTest,
  type UpstreamTest,
} from './upstream-kit.ts';

const SKIP: UpstreamClaimsImports = {
  ...SKIP_CONFIRMATION,
  accountName: { template: '{{ user.email }}' },
};

async function withUpstream(work: (t: UpstreamTest) => Promise<void>): Promise<void> {
  const t = await startUpstreamTest({ provider: { claimsImports: SKIP } });
  try {
    await work(t);
  } finally {
    await t.close();
  }
}

async function links(t: UpstreamTest, username: string) {
  return t.h.db.storage.transaction(async (repos) => {
    const user = await repos.users.findByUsername(username);
    return repos.upstreamOAuthLinks.listForUser(user!.id);
  });
}

describe('/account/upstream', () => {
  it('sends a visitor who is not signed in to the login page', async () => {
    await withUpstream(async (t) => {
      const response = await new Browser(t.h, t.op).get('/account/upstream');
      assert.equal(redirectPath(response), '/login?next=%2Faccount%2Fupstream');
    });
  });

  it('lists the link and refuses to unlink the only way to sign in', async () => {
    await withUpstream(async (t) => {
      const browser = new Browser(t.h, t.op);
      await browser.signIn();
      const page = await browser.get('/account/upstream');
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Example IdP/);
      assert.match(page.body, /alice@upstream\.test/);
      assert.match(page.body, /assets\/providers\/github\.svg/);
      assert.match(page.body, /only way to sign in/);
      const [link] = await links(t, 'alice');
      assert.doesNotMatch(page.body, /\/unlink"/, 'no unlink button');
      // A hand-made form (with the CSRF token of another page) is refused too.
      const csrf = hiddenField((await browser.get('/account')).body, 'csrf');
      assert.ok(csrf !== null);
      const refused = await browser.post(`/account/upstream/${link!.id}/unlink`, { csrf });
      assertErrorPage(refused, 409, /only way to sign in/);
      assert.equal((await links(t, 'alice')).length, 1);
    });
  });

  it('unlinks with the CSRF token when a password remains, and only the user’s own links', async () => {
    await withUpstream(async (t) => {
      const dave = await addUser(t.h, 'dave', 'Daves-password-123456');
      const link = await t.h.db.storage.transaction(async (repos) =>
        repos.upstreamOAuthLinks.add(t.h.ctx.rng, t.h.clock, {
          providerId: t.provider.id,
          subject: 'dave-upstream',
          userId: dave.id,
        }),
      );
      const browser = new Browser(t.h, t.op);
      const loginPage = await browser.get('/login');
      await browser.submit(loginPage, '/login', {
        username: 'dave',
        password: 'Daves-password-123456',
      });
      const page = await browser.get('/account/upstream');
      assert.match(page.body, /Unlink Example IdP/);

      const noCsrf = await browser.post(`/account/upstream/${link!.id}/unlink`, {});
      assert.equal(noCsrf.statusCode, 400);
      const csrf = hiddenField(page.body, 'csrf')!;

      // alice's link is not dave's to remove.
      const alice = new Browser(t.h, t.op);
      await alice.signIn();
      const [aliceLink] = await links(t, 'alice');
      assertErrorPage(
        await browser.post(`/account/upstream/${aliceLink!.id}/unlink`, { csrf }),
        404,
        /does not exist/,
      );

      const done = await browser.post(`/account/upstream/${link!.id}/unlink`, { csrf });
      assert.equal(redirectPath(done), '/account/upstream?unlinked=1');
      assert.deepEqual(await links(t, 'dave'), []);
      assert.match((await browser.get('/account/upstream?unlinked=1')).body, /was unlinked/);
      assert.equal((await links(t, 'alice')).length, 1);
    });
  });

  it('links a second provider from the page; then either link may go', async () => {
    await withUpstream(async (t) => {
      const second = await startUpstreamOp({
        clients: [
          opClient({
            redirect_uris: [
              'http://auth.example.test/upstream/callback/01JZ0000000000000000000002',
            ],
          }),
        ],
        accounts: { 'bob-at-second': { preferred_username: 'bob2', email: 'bob@second.test' } },
      });
      try {
        await saveProvider(
          t.h,
          second,
          { humanName: 'Second IdP', brandName: 'gitlab', claimsImports: SKIP, uiOrder: 1 },
          '01JZ0000000000000000000002',
        );
        const browser = new Browser(t.h, t.op);
        await browser.signIn();
        const page = await browser.get('/account/upstream');
        const href = /href="([^"]*01JZ0000000000000000000002\?action=link)"/.exec(page.body)?.[1];
        assert.ok(href !== undefined, 'a button to link the second provider');

        const viaSecond = new Browser(t.h, second);
        viaSecond.jar.values.clear();
        for (const [name, value] of browser.jar.values) viaSecond.jar.values.set(name, value);
        const linkPage = await viaSecond.open(href!.replace(/&amp;/g, '&'));
        assert.match(linkPage.body, /Link your Second IdP account to <strong>alice<\/strong>/);
        const linkPath = viaSecond.visited.at(-1)!.replace('GET ', '');
        const done = await viaSecond.submit(linkPage, linkPath, { action: 'link' });
        assert.equal(viaSecond.visited.at(-1), 'GET /account/upstream');
        assert.match(done.body, /Second IdP/);
        assert.match(done.body, /bob@second\.test/);
        assert.equal((await links(t, 'alice')).length, 2);
        assert.doesNotMatch(done.body, /only way to sign in/);
      } finally {
        await second.close();
      }
    });
  });
});
