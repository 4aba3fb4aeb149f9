// Personal access tokens in a real browser (Chromium through playwright-core) against a real
// `gatehouse server` process: alice (an admin, so `urn:mas:admin` is offered without a homeserver)
// signs in, creates a token on /account/tokens, copies it from the page, and the token is active
// at /oauth2/introspect (asked by a confidential client); a form error is shown next to its
// field; after "Revoke" the token is inactive. Every page is screenshotted, checked with axe-core
// and on a phone width (see ./browser-kit.ts).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  ALICE,
  STATIC_CLIENT_SECRET,
  STATIC_CLIENTS,
  startGatehouse,
  type Gatehouse,
} from '../e2e/harness.ts';
import { INSTALL_TIMEOUT_MS, launchChromium, Visitor } from './browser-kit.ts';

async function submit(page: Page, button: string | RegExp): Promise<void> {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'commit' }),
    page.getByRole('button', { name: button }).click(),
  ]);
  await page.waitForLoadState();
}

describe('personal access tokens in a real browser', () => {
  let gatehouse: Gatehouse;
  let browser: Browser;

  before(
    async () => {
      [gatehouse, browser] = await Promise.all([
        startGatehouse({ extraConfig: { policy: { data: { admin_users: [ALICE.username] } } } }),
        launchChromium(),
      ]);
    },
    { timeout: INSTALL_TIMEOUT_MS },
  );
  after(async () => {
    await browser?.close();
    if (gatehouse) assert.equal(await gatehouse.stop(), 0);
  });

  /** What /oauth2/introspect says about `token`, asked by a confidential client. */
  async function introspect(token: string): Promise<Record<string, unknown>> {
    const credentials = Buffer.from(
      `${STATIC_CLIENTS.client_secret_basic}:${STATIC_CLIENT_SECRET}`,
    ).toString('base64');
    const response = await fetch(gatehouse.url('/oauth2/introspect'), {
      method: 'POST',
      headers: {
        authorization: `Basic ${credentials}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }).toString(),
    });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Record<string, unknown>;
  }

  it('creates a token, copies it from the page, and revokes it', async (t) => {
    const visitor = new Visitor(t.name);
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    try {
      const page = await context.newPage();
      await page.goto(gatehouse.url('/account/tokens'));
      assert.match(new URL(page.url()).pathname, /^\/login$/);
      await page.getByLabel('Username').fill(ALICE.username);
      await page.getByLabel('Password').fill(ALICE.password);
      await submit(page, 'Continue');
      assert.equal(new URL(page.url()).pathname, '/account/tokens');
      await visitor.record(page, 'tokens-empty');
      assert.match(await page.locator('main').innerText(), /You have no personal access tokens/);

      // No scope chosen: the error is shown next to the scopes and nothing is created.
      await page.getByLabel('Name (what the token is for)').fill('Deploy script');
      await submit(page, 'Create token');
      await visitor.record(page, 'tokens-error');
      assert.match(await page.locator('#field-scope-error').innerText(), /at least one scope/);

      await page.getByLabel(/this service's Admin API/).check();
      await page.getByLabel('Expires after').selectOption({ label: '7 days' });
      await submit(page, 'Create token');
      await visitor.record(page, 'token-created');
      const token = await page.getByLabel('Token', { exact: true }).inputValue();
      assert.match(token, /^mpt_[0-9A-Za-z]{30}_[0-9A-Za-z]{6}$/);

      const answer = await introspect(token);
      assert.equal(answer.active, true);
      assert.equal(answer.username, ALICE.username);
      assert.equal(answer.scope, 'urn:mas:admin');
      // A real clock: a second or two may have passed since the token was made.
      const expiresIn = answer.expires_in as number;
      assert.ok(expiresIn <= 7 * 86400 && expiresIn > 7 * 86400 - 60, `expires_in ${expiresIn}`);

      // Shown once: a reload lists the token without it.
      await page.goto(gatehouse.url('/account/tokens'));
      await visitor.record(page, 'tokens-list');
      assert.equal(await page.locator('#new-token').count(), 0);
      assert.doesNotMatch(await page.content(), new RegExp(token));
      assert.equal(await page.getByRole('heading', { level: 3, name: 'Deploy script' }).count(), 1);

      await submit(page, 'Revoke – Deploy script');
      assert.equal(new URL(page.url()).pathname, '/account/tokens');
      await visitor.record(page, 'tokens-revoked');
      assert.match(await page.locator('main').innerText(), /You have no personal access tokens/);
      assert.deepEqual(await introspect(token), { active: false });
    } catch (error) {
      throw new Error(`${(error as Error).message}\nsteps:\n${visitor.steps.join('\n')}`, {
        cause: error,
      });
    } finally {
      await context.close();
    }
  });
});
