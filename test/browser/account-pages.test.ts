// The account pages in a real browser (Chromium through playwright-core) against a real
// `gatehouse server` process that mails through a real SMTP server (test/helpers/smtp-sink.ts):
// alice adds an email address with the code from the mail, changes her password, renames and
// then ends the session an app holds (its access token then reads inactive at
// /oauth2/introspect), looks at her profile and deletes her account. Every page is
// screenshotted, checked with axe-core (no serious or critical violations) and at phone width
// (./browser-kit.ts).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ALICE,
  REDIRECT_URI,
  STATIC_CLIENT_SECRET,
  STATIC_CLIENTS,
  startGatehouse,
  type Gatehouse,
} from '../e2e/harness.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import {
  INSTALL_TIMEOUT_MS,
  launchChromium,
  standInForClient,
  Visitor,
  type Callback,
} from './browser-kit.ts';

const EMAIL = 'alice@example.com';
const NEW_PASSWORD = 'Velvet-Orchard-Beacon-4417';
const CLIENT = STATIC_CLIENTS.client_secret_basic;
const CLIENT_AUTH = `Basic ${Buffer.from(`${CLIENT}:${STATIC_CLIENT_SECRET}`).toString('base64')}`;

async function submit(page: Page, button: string | RegExp): Promise<void> {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'commit' }),
    page.getByRole('button', { name: button }).first().click(),
  ]);
  await page.waitForLoadState();
}

async function signIn(page: Page, gatehouse: Gatehouse, password: string): Promise<void> {
  await page.goto(gatehouse.url('/login'));
  await page.getByLabel('Username').fill(ALICE.username);
  await page.getByLabel('Password').fill(password);
  await submit(page, 'Continue');
}

/** An app's access token for alice, from a code flow in its own browser context. */
async function appToken(
  gatehouse: Gatehouse,
  context: BrowserContext,
  arrivals: readonly Callback[],
): Promise<string> {
  const page = await context.newPage();
  await signIn(page, gatehouse, ALICE.password);
  const authorize = new URL(gatehouse.url('/authorize'));
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT,
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    state: 'acct',
  }).toString();
  await page.goto(authorize.href);
  if (!page.url().startsWith(REDIRECT_URI)) {
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(REDIRECT_URI), { waitUntil: 'commit' });
  }
  const code = arrivals.at(-1)?.url.searchParams.get('code');
  assert.ok(code, 'the app got a code');
  const response = await fetch(gatehouse.url('/oauth2/token'), {
    method: 'POST',
    headers: { authorization: CLIENT_AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { access_token: string }).access_token;
}

async function tokenActive(gatehouse: Gatehouse, token: string): Promise<boolean> {
  const response = await fetch(gatehouse.url('/oauth2/introspect'), {
    method: 'POST',
    headers: { authorization: CLIENT_AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { active: boolean }).active;
}

describe('the account pages, in a real browser', () => {
  let gatehouse: Gatehouse;
  let browser: Browser;
  let sink: SmtpSink;

  before(
    async () => {
      sink = await startSmtpSink();
      [gatehouse, browser] = await Promise.all([
        startGatehouse({
          extraConfig: {
            email: {
              transport: 'smtp',
              mode: 'plain',
              hostname: '127.0.0.1',
              port: sink.port,
              from: '"Gatehouse" <auth@example.com>',
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
    await sink?.close();
  });

  it('adds an email, changes the password, renames and ends a session, deletes the account', async (t) => {
    const visitor = new Visitor(t.name);
    const appContext = await browser.newContext();
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    const record = (page: Page, step: string) => visitor.record(page, step);
    try {
      const token = await appToken(gatehouse, appContext, await standInForClient(appContext));
      assert.equal(await tokenActive(gatehouse, token), true);

      const page = await context.newPage();
      await signIn(page, gatehouse, ALICE.password);
      await page.goto(gatehouse.url('/account'));
      await record(page, 'overview');

      // Add an email address with the mailed code.
      await page.getByRole('link', { name: 'Email addresses' }).click();
      await page.waitForURL(/\/account\/emails$/);
      await record(page, 'emails');
      await page.getByLabel('Email address').fill(EMAIL);
      await page.getByLabel('Your current password').fill(ALICE.password);
      await submit(page, 'Send a code');
      assert.match(
        page.url(),
        /\/account\/emails\/verify\//,
        await page.locator('main').innerText(),
      );
      await record(page, 'verify-email');
      const mail = await sink.waitForMessage((m) => m.to.includes(EMAIL), 20_000);
      const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
      assert.ok(code, `a 6-digit code in:\n${mail.text}`);
      await page.getByLabel('Code').fill(code);
      await submit(page, 'Verify');
      assert.match(await page.locator('main').innerText(), /alice@example\.com/);
      await record(page, 'email-added');

      // Change the password.
      await page.goto(gatehouse.url('/account/password'));
      await page.getByLabel('Current password').fill(ALICE.password);
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
      await submit(page, 'Change password');
      assert.match(await page.locator('main').innerText(), /Your password was changed/);
      await record(page, 'password-changed');

      // Rename the app's session, then end it.
      await page.goto(gatehouse.url('/account/sessions'));
      await record(page, 'sessions');
      await page.getByRole('link', { name: 'E2E basic app' }).click();
      await page.waitForURL(/\/account\/sessions\/[a-z0-9]+\/[0-9A-Z]{26}$/);
      await record(page, 'session-detail');
      await page.getByLabel('Session name').fill('Work laptop');
      await submit(page, 'Rename');
      assert.match(await page.locator('h1').innerText(), /E2E basic app – Work laptop/);
      await record(page, 'session-renamed');
      await submit(page, 'End this session');
      assert.match(new URL(page.url()).pathname, /^\/account\/sessions$/);
      assert.doesNotMatch(await page.locator('main').innerText(), /Work laptop/);
      assert.equal(await tokenActive(gatehouse, token), false, 'the app’s token is dead');

      // The profile page.
      await page.goto(gatehouse.url('/account/profile'));
      await record(page, 'profile');

      // Delete the account.
      await page.goto(gatehouse.url('/account/deactivate'));
      await record(page, 'deactivate');
      await page.getByLabel(/Type your username/).fill(ALICE.username);
      await page.getByLabel('Your current password').fill(NEW_PASSWORD);
      await submit(page, 'Delete my account');
      assert.match(await page.locator('main').innerText(), /Your account was deleted/);
      await record(page, 'deleted');
      await page.goto(gatehouse.url('/account'));
      assert.match(new URL(page.url()).pathname, /^\/login$/, 'signed out');
    } catch (error) {
      throw new Error(`${(error as Error).message}\nsteps:\n  ${visitor.steps.join('\n  ')}`, {
        cause: error,
      });
    } finally {
      await context.close();
      await appContext.close();
    }
  });
});

describe('the too-many-sessions page, in a real browser', () => {
  let gatehouse: Gatehouse;
  let browser: Browser;

  before(
    async () => {
      [gatehouse, browser] = await Promise.all([
        startGatehouse({
          extraConfig: { experimental: { session_limit: { soft_limit: 1, hard_limit: 5 } } },
        }),
        launchChromium(),
      ]);
    },
    { timeout: INSTALL_TIMEOUT_MS },
  );
  after(async () => {
    await browser?.close();
    if (gatehouse) assert.equal(await gatehouse.stop(), 0);
  });

  it('ends a session there and continues the same authorization', async (t) => {
    const visitor = new Visitor(t.name);
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    try {
      // One app session already: the limit.
      const token = await appToken(gatehouse, context, await standInForClient(context));
      const page = await context.newPage();
      const authorize = new URL(gatehouse.url('/authorize'));
      authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id: CLIENT,
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        state: 'second',
      }).toString();
      await page.goto(authorize.href);
      assert.match(new URL(page.url()).pathname, /^\/session-limit$/);
      assert.match(await page.locator('main').innerText(), /End at least 1 session/);
      await visitor.record(page, 'session-limit');

      await submit(page, /^End this session/);
      assert.match(await page.locator('main').innerText(), /under the limit/);
      assert.equal(await tokenActive(gatehouse, token), false);
      await visitor.record(page, 'session-limit-ready');

      // Continue: the same /authorize request, now under the limit, answers the app with a code.
      // (The request to the app is read as it leaves: after two redirects in a row Chromium does
      // not hand it to the stand-in's route.)
      const [toApp] = await Promise.all([
        page.waitForRequest((request) => request.url().startsWith(REDIRECT_URI)),
        page.getByRole('button', { name: 'Continue' }).click(),
      ]);
      const callback = new URL(toApp.url());
      assert.equal(callback.searchParams.get('state'), 'second');
      assert.match(callback.searchParams.get('code') ?? '', /./);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nsteps:\n  ${visitor.steps.join('\n  ')}`, {
        cause: error,
      });
    } finally {
      await context.close();
    }
  });
});
