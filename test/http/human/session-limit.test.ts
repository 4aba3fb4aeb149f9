// The soft session limit page (`experimental.session_limit.soft_limit`) through the real app on
// SQLite: an authorization that meets the limit (on consent, and with a remembered consent at
// /authorize) and a compat SSO completion go to /session-limit instead of a refusal; "Continue"
// is refused while the user is still over the limit; ending a session there (its token then reads
// inactive) lets the same authorization continue to its code or login token. Plus CSRF, `next`
// kept on this site, and the login redirect.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  addClient,
  addCompatSession,
  authorizeUrl,
  callbackParams,
  exchangeCode,
  get,
  hiddenField,
  location,
  postWithoutCsrf,
  startAccountApp,
  submitForm,
  type AccountApp,
  type TestClient,
} from './account-pages-kit.ts';
import { authorize } from './account-kit.ts';
import { activeForHomeserver } from '../../helpers/app.ts';

let t: AccountApp;
let client: TestClient;

const LIMIT = { experimental: { session_limit: { soft_limit: 1, hard_limit: 5 } } };

/** The hidden `id` and `kind` of every "end" form on the session-limit page. */
function endForms(html: string): Array<{ kind: string; id: string }> {
  return [
    ...html.matchAll(
      /<input type="hidden" name="kind" value="([^"]*)">\s*<input type="hidden" name="id" value="([^"]*)">/g,
    ),
  ].map((m) => ({ kind: m[1]!, id: m[2]! }));
}

/** Presses "Continue" on the session-limit page at `url`. */
function pressContinue(url: string) {
  return submitForm(t.h, t.jar, url, {}, '/session-limit/continue');
}

describe('soft session limit page', () => {
  afterEach(() => t.close());

  it('lets the user end sessions on consent and continue the same authorization', async () => {
    t = await startAccountApp(LIMIT);
    client = await addClient(t.h);
    const first = await authorize(t.h, t.jar, client, { scope: 'openid' });
    const firstTokens = await exchangeCode(t.h, client, first.code);
    assert.equal(firstTokens.statusCode, 200);
    const { access_token: oldToken } = firstTokens.json() as { access_token: string };

    // A second authorization (new scope: consent asked) meets the limit when allowed.
    const start = await get(t.h, t.jar, authorizeUrl(client, { scope: 'openid email' }));
    const consentPath = location(start).pathname;
    const allowed = await submitForm(t.h, t.jar, consentPath, { action: 'allow' });
    assert.equal(allowed.statusCode, 303, allowed.body.slice(0, 300));
    const limitUrl = location(allowed);
    assert.equal(limitUrl.pathname, '/session-limit');
    const grantId = consentPath.split('/').at(-1)!;
    assert.equal(limitUrl.searchParams.get('next'), `/authorize/continue/${grantId}`);

    const limitPage = await get(t.h, t.jar, `${limitUrl.pathname}${limitUrl.search}`);
    assert.equal(limitPage.statusCode, 200);
    assert.match(
      limitPage.body,
      /You have 1 active sessions; the limit is 1\. End at least 1 session/,
    );
    assert.match(limitPage.body, /Example App/);

    // Still over the limit: Continue is refused.
    const tooSoon = await pressContinue(`${limitUrl.pathname}${limitUrl.search}`);
    assert.equal(tooSoon.statusCode, 409);
    assert.match(tooSoon.body, /still have too many active sessions/);

    // End the old session, then continue to the same grant.
    const [session] = endForms(limitPage.body);
    const ended = await submitForm(
      t.h,
      t.jar,
      `${limitUrl.pathname}${limitUrl.search}`,
      { kind: session!.kind, id: session!.id, next: limitUrl.searchParams.get('next')! },
      '/session-limit/end',
    );
    assert.equal(ended.statusCode, 303);
    assert.equal(
      await activeForHomeserver(t.h.app, oldToken),
      false,
      'the ended session’s token is dead',
    );
    const ready = await get(t.h, t.jar, `${limitUrl.pathname}${limitUrl.search}`);
    assert.match(ready.body, /under the limit/);
    const go = await pressContinue(`${limitUrl.pathname}${limitUrl.search}`);
    assert.equal(go.statusCode, 303);
    assert.equal(go.headers.location, `/authorize/continue/${grantId}`);

    // The same grant goes on: consent again (the refused one was not kept), then the code.
    const resumed = await get(t.h, t.jar, go.headers.location as string);
    assert.equal(location(resumed).pathname, consentPath);
    const done = await submitForm(t.h, t.jar, consentPath, { action: 'allow' });
    const code = callbackParams(done).get('code');
    assert.ok(code);
    assert.equal((await exchangeCode(t.h, client, code)).statusCode, 200);
  });

  it('comes back to the same /authorize request when consent was remembered', async () => {
    t = await startAccountApp(LIMIT);
    client = await addClient(t.h);
    const first = await authorize(t.h, t.jar, client, { scope: 'openid' });
    assert.equal((await exchangeCode(t.h, client, first.code)).statusCode, 200);

    const url = authorizeUrl(client, { scope: 'openid', state: 'again' });
    const start = await get(t.h, t.jar, url);
    assert.equal(start.statusCode, 303);
    const limitUrl = location(start);
    assert.equal(limitUrl.pathname, '/session-limit');
    assert.equal(limitUrl.searchParams.get('next'), url);

    const limitPage = await get(t.h, t.jar, `${limitUrl.pathname}${limitUrl.search}`);
    const [session] = endForms(limitPage.body);
    await submitForm(
      t.h,
      t.jar,
      `${limitUrl.pathname}${limitUrl.search}`,
      { kind: session!.kind, id: session!.id, next: url },
      '/session-limit/end',
    );
    const go = await pressContinue(`${limitUrl.pathname}${limitUrl.search}`);
    assert.equal(go.headers.location, url);
    const params = callbackParams(await get(t.h, t.jar, url));
    assert.equal(params.get('state'), 'again');
    assert.ok(params.get('code'));
  });

  it('sends a compat SSO completion over the limit through the page too', async () => {
    t = await startAccountApp(LIMIT);
    const compat = await addCompatSession(t.h, 'COMPATDEV1');
    const login = await t.h.db.storage.transaction((repos) =>
      repos.compatSsoLogins.add(t.h.ctx.rng, t.h.clock, 'https://client.example/sso?x=1'),
    );
    const here = `/complete-compat-sso/${login.id}`;
    const blocked = await get(t.h, t.jar, here);
    assert.equal(blocked.statusCode, 303);
    const limitUrl = location(blocked);
    assert.equal(limitUrl.pathname, '/session-limit');
    assert.equal(limitUrl.searchParams.get('next'), here);
    const pageUrl = `${limitUrl.pathname}${limitUrl.search}`;

    // A POST straight to the completion is held back the same way.
    const csrf = hiddenField((await get(t.h, t.jar, pageUrl)).body, 'csrf')!;
    const forcedPost = await t.h.app.inject({
      method: 'POST',
      url: here,
      headers: { ...t.jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ csrf }).toString(),
    });
    assert.equal(forcedPost.statusCode, 303);
    assert.equal(location(forcedPost).pathname, '/session-limit');

    assert.equal((await pressContinue(pageUrl)).statusCode, 409);
    const ended = await submitForm(
      t.h,
      t.jar,
      pageUrl,
      { kind: 'compat', id: compat.id, next: here },
      '/session-limit/end',
    );
    assert.equal(ended.statusCode, 303);
    assert.equal(await activeForHomeserver(t.h.app, compat.accessToken), false);
    const go = await pressContinue(pageUrl);
    assert.equal(go.headers.location, here);
    const done = await submitForm(t.h, t.jar, here, {});
    assert.equal(done.statusCode, 303);
    assert.match(String(done.headers.location), /^https:\/\/client\.example\/sso\?x=1&loginToken=/);
  });

  it('holds a device approval the same way, then approves it', async () => {
    t = await startAccountApp(LIMIT);
    const tv = await addClient(t.h, {
      method: 'none',
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
      redirectUris: [],
    });
    const compat = await addCompatSession(t.h, 'COMPATDEV1');
    const started = await t.h.app.inject({
      method: 'POST',
      url: '/oauth2/device',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ client_id: tv.id, scope: 'openid' }).toString(),
    });
    assert.equal(started.statusCode, 200, started.body);
    const { user_code: userCode } = started.json() as { user_code: string };
    const linked = await submitForm(t.h, t.jar, '/link', { code: userCode });
    const devicePath = String(linked.headers.location);
    assert.match(devicePath, /^\/device\/[0-9A-Z]{26}$/);

    const held = await submitForm(t.h, t.jar, devicePath, { action: 'allow' });
    assert.equal(held.statusCode, 303, held.body.slice(0, 300));
    const limitUrl = location(held);
    assert.equal(limitUrl.pathname, '/session-limit');
    assert.equal(limitUrl.searchParams.get('next'), devicePath);
    await submitForm(
      t.h,
      t.jar,
      `${limitUrl.pathname}${limitUrl.search}`,
      { kind: 'compat', id: compat.id, next: devicePath },
      '/session-limit/end',
    );
    const go = await pressContinue(`${limitUrl.pathname}${limitUrl.search}`);
    assert.equal(go.headers.location, devicePath);
    const approved = await submitForm(t.h, t.jar, devicePath, { action: 'allow' });
    assert.equal(approved.statusCode, 200, approved.body.slice(0, 300));
  });

  it('keeps `next` on this site, needs CSRF, and sends a visitor to the login page', async () => {
    t = await startAccountApp(LIMIT);
    const outside = await submitForm(
      t.h,
      t.jar,
      '/session-limit?next=https://evil.example/',
      { next: '//evil.example/' },
      '/session-limit/continue',
    );
    assert.equal(outside.statusCode, 303);
    assert.equal(outside.headers.location, '/account');
    const forged = await postWithoutCsrf(t.h, t.jar, '/session-limit/continue', {
      next: '/account',
    });
    assert.equal(forged.statusCode, 400);
    const visitor = await t.h.app.inject({ method: 'GET', url: '/session-limit?next=/account' });
    assert.equal(visitor.statusCode, 303);
    assert.match(String(visitor.headers.location), /^\/login\?next=/);
  });
});
