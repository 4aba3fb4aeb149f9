// "Continue with …" in a real browser (Chromium through playwright-core): Gatehouse (served on a
// loopback port, see test/helpers/upstream-op.ts `serveTestApp`) with a real oidc-provider as its
// upstream. From the registration page the user picks the provider, is signed in there, creates
// the account on the upstream link page with the suggested attributes, lands on the account page
// and sees the link under "Linked accounts". A second user, signed in with a password, links a
// provider account from the account page and unlinks it again. Every page is screenshotted
// (test-artifacts/screenshots/), checked with axe-core and checked on a phone width
// (./browser-kit.ts).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { syncProviders } from '../../src/upstream/provider-sync.ts';
import { addUser } from '../helpers/app.ts';
import {
  DEFAULT_ACCOUNTS,
  freePort,
  serveTestApp,
  startUpstreamOp,
  type ServedApp,
  type UpstreamOp,
} from '../helpers/upstream-op.ts';
import { INSTALL_TIMEOUT_MS, launchChromium, Visitor } from './browser-kit.ts';

const PROVIDER_ID = '01JZ0000000000000000000007';
const SECRET = 'browser-upstream-secret-0123456789-abcdefghijklmnop';

describe('sign in with an upstream provider in a real browser', () => {
  let browser: Browser;
  let op: UpstreamOp;
  let gatehouse: ServedApp;

  before(
    async () => {
      const port = await freePort();
      const callback = `http://127.0.0.1:${port}/upstream/callback/${PROVIDER_ID}`;
      op = await startUpstreamOp({
        accounts: {
          ...DEFAULT_ACCOUNTS,
          carol: {
            preferred_username: 'carol',
            email: 'carol@upstream.test',
            email_verified: true,
          },
        },
        clients: [
          {
            client_id: 'gatehouse',
            client_secret: SECRET,
            token_endpoint_auth_method: 'client_secret_basic',
            redirect_uris: [callback],
          },
        ],
      });
      const providers = [
        {
          id: PROVIDER_ID,
          issuer: op.issuer,
          human_name: 'Example IdP',
          brand_name: 'github',
          client_id: 'gatehouse',
          client_secret: SECRET,
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'openid profile email',
          claims_imports: {
            localpart: { action: 'suggest' },
            displayname: { action: 'suggest' },
            email: { action: 'suggest' },
            account_name: { template: '{{ user.email }}' },
          },
        },
      ];
      [gatehouse, browser] = await Promise.all([
        serveTestApp({ upstream_oauth2: { providers } }, undefined, port),
        launchChromium(),
      ]);
      const { app } = gatehouse;
      await syncProviders({
        providers: app.ctx.config.upstream_oauth2.providers,
        storage: app.db.storage,
        clock: app.clock,
        rng: app.ctx.rng,
        encrypter: app.ctx.encrypter,
      });
    },
    { timeout: INSTALL_TIMEOUT_MS },
  );
  after(async () => {
    await browser?.close();
    await gatehouse?.close();
    await op?.close();
  });

  it('registers through the provider, then shows the link on the account page', async (t) => {
    const visitor = new Visitor(t.name);
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    try {
      const page = await context.newPage();
      await page.goto(`${gatehouse.base}register`);
      await visitor.record(page, 'register-chooser');
      await page.getByRole('link', { name: 'Continue with Example IdP' }).click();

      await page.waitForURL(/\/upstream\/link\//);
      await visitor.record(page, 'upstream-link');
      assert.match(
        await page.getByRole('heading', { level: 1 }).innerText(),
        /Continue with Example IdP/,
      );
      assert.equal(await page.getByLabel('Username').inputValue(), 'alice');
      assert.equal(await page.getByLabel(/Alice Liddell/).isChecked(), true);
      await page.getByRole('button', { name: 'Create account' }).click();

      await page.waitForURL(/\/account$/);
      await visitor.record(page, 'account');
      assert.match(await page.locator('main').innerText(), /alice@upstream\.test/);

      await page.goto(`${gatehouse.base}account/upstream`);
      await visitor.record(page, 'linked-accounts');
      const main = await page.locator('main').innerText();
      assert.match(main, /Example IdP/);
      assert.match(main, /only way to sign in/);

      const user = await gatehouse.app.db.storage.transaction((repos) =>
        repos.users.findByUsername('alice'),
      );
      assert.ok(user !== null);
    } finally {
      await context.close();
    }
  });

  it('links a provider account to a password account and unlinks it', async (t) => {
    const visitor = new Visitor(t.name);
    const password = 'quiet harbour lantern 8271';
    const bob = await addUser(gatehouse.app, 'bob', password);
    const links = () =>
      gatehouse.app.db.storage.transaction((repos) => repos.upstreamOAuthLinks.listForUser(bob.id));
    op.loginAs('carol');
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    try {
      const page = await context.newPage();
      await page.goto(`${gatehouse.base}login?next=%2Faccount%2Fupstream`);
      await page.getByLabel('Username').fill('bob');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      await page.waitForURL(/\/account\/upstream$/);
      await visitor.record(page, 'linked-accounts-empty');
      assert.match(await page.locator('main').innerText(), /No account from another provider/);

      await page.getByRole('link', { name: 'Link an account from Example IdP' }).click();
      await page.waitForURL(/\/upstream\/link\//);
      await visitor.record(page, 'upstream-link-signed-in');
      await page.getByRole('button', { name: 'Link to this account' }).click();
      await page.waitForURL(/\/account/);
      assert.equal((await links()).length, 1);

      await page.goto(`${gatehouse.base}account/upstream`);
      await visitor.record(page, 'linked-accounts-one');
      await page.getByRole('button', { name: 'Unlink Example IdP' }).click();
      await page.waitForURL(/\/account\/upstream/);
      await visitor.record(page, 'linked-accounts-unlinked');
      assert.match(await page.locator('main').innerText(), /The account was unlinked/);
      assert.deepEqual(await links(), []);
    } finally {
      await context.close();
    }
  });
});
