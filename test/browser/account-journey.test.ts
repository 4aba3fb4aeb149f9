// A whole account's life in a real browser (Chromium through playwright-core) against a real
// `gatehouse server` process that sends its email over SMTP to a real SMTP server in the test:
// an app asks for a new account (`prompt=create`) → the user registers with the code emailed to
// them → allows the app and lands on its redirect URI with a code → signs out → signs in →
// forgets the password and sets a new one through the emailed link → signs in with the new
// password (and not the old one). Every page is screenshotted, checked with axe-core and on a
// phone width (see ./browser-kit.ts).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { REDIRECT_URI, STATIC_CLIENTS, startGatehouse, type Gatehouse } from '../e2e/harness.ts';
import { INSTALL_TIMEOUT_MS, launchChromium, standInForClient, Visitor } from './browser-kit.ts';
import { startMailCatcher, type MailCatcher } from './mail-catcher.ts';

const USER = {
  username: 'carol',
  email: 'carol@example.com',
  password: 'Quiet-Harbour-Lantern-5521',
  newPassword: 'Amber-Meadow-Compass-8734',
};

async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'commit' }),
    page.getByRole('button', { name: button }).click(),
  ]);
  await page.waitForLoadState();
}

describe('an account from registration to recovery, in a real browser', () => {
  let gatehouse: Gatehouse;
  let browser: Browser;
  let mail: MailCatcher;

  before(
    async () => {
      mail = await startMailCatcher();
      [gatehouse, browser] = await Promise.all([
        startGatehouse({
          users: [],
          extraConfig: {
            email: {
              transport: 'smtp',
              mode: 'plain',
              hostname: '127.0.0.1',
              port: mail.port,
              from: '"Gatehouse" <auth@example.com>',
            },
            account: {
              password_registration_enabled: true,
              password_recovery_enabled: true,
            },
          },
        }),
        launchChromium(),
      ]);
    },
    { timeout: INSTALL_TIMEOUT_MS },
  );
  after(async () => {
    await browser?.close();
    if (gatehouse) assert.equal(await gatehouse.stop(), 0);
    await mail?.close();
  });

  it('registers through an app, signs out and in, recovers the password', async (t) => {
    const visitor = new Visitor(t.name);
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    const record = (page: Page, step: string) => visitor.record(page, step);
    try {
      const arrivals = await standInForClient(context);
      const page = await context.newPage();

      // The app asks for a new account.
      const authorize = new URL(gatehouse.url('/authorize'));
      authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id: STATIC_CLIENTS.client_secret_basic,
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        state: 'create-1',
        prompt: 'create',
      }).toString();
      await page.goto(authorize.href);
      assert.match(new URL(page.url()).pathname, /^\/register\/password$/);
      await record(page, 'register');
      await page.getByLabel('Username').fill(USER.username);
      await page.getByLabel('Email address').fill(USER.email);
      await page.getByLabel('Password', { exact: true }).fill(USER.password);
      await page.getByLabel('Repeat the password').fill(USER.password);
      await submit(page, 'Continue');

      // The emailed code.
      assert.match(page.url(), /\/verify-email$/, await page.locator('main').innerText());
      await record(page, 'verify-email');
      const codeMail = await mail.waitFor(USER.email);
      const code = /\bis:\s+(\d{6})\b/.exec(codeMail.text)?.[1];
      assert.ok(code, `a 6-digit code in:\n${codeMail.text}`);
      await page.getByLabel('Code').fill(code);
      await submit(page, 'Continue');

      // Optional steps (display name), then the app's consent, then back to the app.
      for (let hop = 0; hop < 4 && !page.url().startsWith(REDIRECT_URI); hop++) {
        const path = new URL(page.url()).pathname;
        await record(page, path.split('/').filter(Boolean).at(-1) ?? 'page');
        if (path.endsWith('/display-name')) {
          await page.getByLabel('Display name').fill('Carol');
          await submit(page, 'Continue');
        } else if (path.startsWith('/consent/')) {
          // As in sign-in.test.ts: the answer is a redirect to the app, which the stand-in serves.
          await page.getByRole('button', { name: 'Allow' }).click();
          await page.waitForURL((url) => url.href.startsWith(REDIRECT_URI), {
            waitUntil: 'commit',
          });
        } else {
          assert.fail(`unexpected page ${page.url()}: ${await page.locator('main').innerText()}`);
        }
      }
      const callback = arrivals.at(-1)?.url;
      assert.ok(callback, 'the browser came back to the app');
      assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI);
      assert.equal(callback.searchParams.get('state'), 'create-1');
      assert.match(callback.searchParams.get('code') ?? '', /./);

      // Sign out, then in again.
      await page.goto(gatehouse.url('/'));
      await record(page, 'start-signed-in');
      await submit(page, 'Sign out');
      await record(page, 'login-after-sign-out');
      await page.getByLabel('Username').fill(USER.username);
      await page.getByLabel('Password').fill(USER.password);
      await submit(page, 'Continue');
      assert.match(await page.locator('main').innerText(), new RegExp(USER.username));
      await submit(page, 'Sign out');

      // Forgot the password: recover it through the emailed link.
      await page.goto(gatehouse.url('/recover'));
      await record(page, 'recover');
      await page.getByLabel('Email address').fill(USER.email);
      await submit(page, 'Send the link');
      assert.match(page.url(), /\/recover\/progress\//);
      await record(page, 'recover-progress');
      const recoveryMail = await mail.waitFor(USER.email, 1);
      const link = new RegExp(`(${gatehouse.issuer}account/password/recovery[^\\s"<>]*)`).exec(
        recoveryMail.text,
      )?.[1];
      assert.ok(link, `a recovery link in:\n${recoveryMail.text}`);
      await page.goto(link.replace(/&amp;/g, '&'));
      await record(page, 'recover-ticket');
      await page.getByLabel('New password', { exact: true }).fill(USER.newPassword);
      await page.getByLabel('Repeat the new password').fill(USER.newPassword);
      await submit(page, 'Set the password');
      await record(page, 'recover-done');

      // The old password no longer works; the new one does.
      await page.goto(gatehouse.url('/login'));
      await page.getByLabel('Username').fill(USER.username);
      await page.getByLabel('Password').fill(USER.password);
      await submit(page, 'Continue');
      assert.match(new URL(page.url()).pathname, /^\/login$/);
      await record(page, 'login-old-password');
      await page.getByLabel('Password').fill(USER.newPassword);
      await submit(page, 'Continue');
      assert.match(await page.locator('main').innerText(), new RegExp(USER.username));
      await record(page, 'signed-in-with-new-password');
    } catch (error) {
      throw new Error(`${(error as Error).message}\nsteps:\n  ${visitor.steps.join('\n  ')}`, {
        cause: error,
      });
    } finally {
      await context.close();
    }
  });
});
