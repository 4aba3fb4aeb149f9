// Real browser (Chromium through playwright-core) against a real `gatehouse server` process:
// an app sends the user to /authorize; they sign in with the keyboard, allow access, and land on
// the app's redirect URI with a code that the token endpoint accepts; then they sign out from the
// start page. The same sign-in also works with JavaScript turned off. Every page is screenshotted
// (test-artifacts/screenshots/), checked with axe-core and checked for sideways scrolling on a
// phone (see ./browser-kit.ts).

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  ALICE,
  REDIRECT_URI,
  STATIC_CLIENTS,
  startGatehouse,
  type Gatehouse,
} from '../e2e/harness.ts';
import {
  accessibilityViolations,
  INSTALL_TIMEOUT_MS,
  launchChromium,
  standInForClient,
  Visitor,
} from './browser-kit.ts';

const BRANDING = {
  service_name: 'Example Chat',
  policy_uri: 'https://example.com/privacy',
  tos_uri: 'https://example.com/terms',
  imprint: 'Example Ltd., 1 Example Street, Exampletown',
};

/** Each test signs in as its own user, so no test finds another's remembered consent. */
const BOB = { username: 'bob', password: 'Another-Long-Passphrase-71' };

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizationUrl(gatehouse: Gatehouse, challenge: string, state: string): string {
  const url = new URL(gatehouse.url('/authorize'));
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: STATIC_CLIENTS.none,
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

/** The code is real: the token endpoint gives tokens for it. */
async function redeem(gatehouse: Gatehouse, code: string, verifier: string): Promise<void> {
  const response = await fetch(gatehouse.url('/oauth2/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: STATIC_CLIENTS.none,
      code_verifier: verifier,
    }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.match(String(body.access_token), /^mat_/);
  assert.equal(typeof body.id_token, 'string');
}

/** Signs in on the login page with the keyboard only (the username field has the focus). */
async function signInWithKeyboard(page: Page, user: { username: string; password: string }) {
  await page.keyboard.type(user.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(user.password);
  await page.keyboard.press('Enter');
}

describe('sign in through a real browser', () => {
  let gatehouse: Gatehouse;
  let browser: Browser;

  before(
    async () => {
      [gatehouse, browser] = await Promise.all([
        startGatehouse({ users: [ALICE, BOB], extraConfig: { branding: BRANDING } }),
        launchChromium(),
      ]);
    },
    { timeout: INSTALL_TIMEOUT_MS },
  );
  after(async () => {
    await browser?.close();
    if (gatehouse) assert.equal(await gatehouse.stop(), 0);
  });

  it('signs in to an app, allows it, lands on its redirect URI with a code, then signs out', async (t) => {
    const visitor = new Visitor(t.name);
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    try {
      const arrivals = await standInForClient(context);
      const page = await context.newPage();
      const { verifier, challenge } = pkce();

      await page.goto(authorizationUrl(gatehouse, challenge, 'state-1'));
      assert.match(new URL(page.url()).pathname, /^\/login$/);
      assert.equal(await page.title(), `Sign in – ${BRANDING.service_name}`);
      await visitor.record(page, 'login');
      // The branding is on the page.
      const legal = page.getByRole('navigation', { name: 'Legal' });
      assert.equal(
        await legal.getByRole('link', { name: 'Terms of service' }).getAttribute('href'),
        BRANDING.tos_uri,
      );
      assert.equal(
        await legal.getByRole('link', { name: 'Privacy policy' }).getAttribute('href'),
        BRANDING.policy_uri,
      );
      assert.match(await page.locator('footer').innerText(), /Example Ltd/);
      // The username field has the focus: a keyboard user can start typing at once.
      assert.equal(await page.evaluate('document.activeElement?.id'), 'field-username');

      // A wrong password first: the error is shown and announced.
      await signInWithKeyboard(page, { username: ALICE.username, password: 'wrong password' });
      // The first page has no alert: waiting for one waits for the form's answer to load (a load
      // state alone can be read before the submission's navigation starts).
      await page.getByRole('alert').waitFor();
      await visitor.record(page, 'login-error');
      assert.match((await page.getByRole('alert').textContent()) ?? '', /./);

      await page.getByLabel('Password').fill(ALICE.password);
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/consent\//);
      await visitor.record(page, 'consent');
      assert.match(await page.getByRole('heading', { level: 1 }).innerText(), /E2E public app/);

      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((url) => url.href.startsWith(REDIRECT_URI), { waitUntil: 'commit' });
      const callback = arrivals.at(-1)!.url;
      assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI);
      assert.equal(callback.searchParams.get('state'), 'state-1');
      await redeem(gatehouse, callback.searchParams.get('code')!, verifier);

      // Signed in: the start page says so, and signs out.
      await page.goto(gatehouse.url('/'));
      await visitor.record(page, 'start-signed-in');
      assert.match(await page.locator('main').innerText(), new RegExp(ALICE.username));
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login$/);
      await visitor.record(page, 'after-sign-out');
      await page.goto(gatehouse.url('/'));
      assert.match(await page.locator('main').innerText(), /not signed in/);
      await visitor.record(page, 'start-signed-out');

      // The next authorization asks to sign in again.
      await page.goto(authorizationUrl(gatehouse, pkce().challenge, 'state-2'));
      assert.match(new URL(page.url()).pathname, /^\/login$/);
    } finally {
      await context.close();
    }
  });

  it('works without JavaScript', async (t) => {
    const visitor = new Visitor(t.name);
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 375, height: 740 },
    });
    try {
      const arrivals = await standInForClient(context);
      const page = await context.newPage();
      const { verifier, challenge } = pkce();
      await page.goto(authorizationUrl(gatehouse, challenge, 'no-js'));
      await visitor.record(page, 'login', { scriptsEnabled: false });
      await page.getByLabel('Username').fill(BOB.username);
      await page.getByLabel('Password').fill(BOB.password);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(/\/consent\//);
      await visitor.record(page, 'consent', { scriptsEnabled: false });
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((url) => url.href.startsWith(REDIRECT_URI), { waitUntil: 'commit' });
      const callback = arrivals.at(-1)!.url;
      assert.equal(callback.searchParams.get('state'), 'no-js');
      await redeem(gatehouse, callback.searchParams.get('code')!, verifier);
    } finally {
      await context.close();
    }
  });

  it('has checks that fail on an inaccessible or too wide page', async (t) => {
    const visitor = new Visitor(t.name);
    const page = await browser.newPage();
    try {
      await page.setContent(
        '<!DOCTYPE html><html><head><title>x</title></head><body><main>' +
          '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">' +
          '</main></body></html>',
      );
      const ids = (await accessibilityViolations(page)).map((v) => v.id);
      assert.ok(ids.includes('image-alt') && ids.includes('label'), ids.join(', '));
      await assert.rejects(visitor.record(page, 'unlabelled'), /accessibility of unlabelled/);
      await page.setContent(
        '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><main>' +
          '<h1>Wide</h1></main></body></html>',
      );
      await page.evaluate(
        "const wide = document.createElement('div'); wide.textContent = 'x';" +
          " wide.style.width = '900px'; document.querySelector('main').append(wide);",
      );
      await assert.rejects(visitor.record(page, 'wide'), /scrolls sideways/);
    } finally {
      await page.close();
    }
  });
});
