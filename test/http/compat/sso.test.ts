// The legacy SSO flow end to end, as a browser and a client go through it: redirect → sign in →
// "continue to <host>" → back to the client with loginToken → m.login.token → tokens. A token is
// exchanged once and only within 30 s; the login itself must be completed within 30 minutes.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { checkToken } from '../../../src/crypto/tokens.ts';
import { addUser, CookieJar } from '../../helpers/app.ts';
import { postJson, startCompatApp, type CompatApp } from './compat-kit.ts';

const CLIENT_CALLBACK = 'https://client.example.org/sso-done?state=1';

describe('compat SSO login', () => {
  let h: CompatApp;
  beforeEach(async () => {
    h = await startCompatApp();
    await addUser(h.base, 'alice', 'correct horse');
  });
  afterEach(() => h.close());

  const inject = (url: string, jar: CookieJar) =>
    h.app.inject({ method: 'GET', url, headers: jar.header() }).then((response) => {
      jar.update(response);
      return response;
    });

  /** Runs the browser part; returns the loginToken the client gets back and the page's path. */
  async function browserFlow(
    jar: CookieJar,
    idp = '',
  ): Promise<{ loginToken: string; complete: string }> {
    const start = await inject(
      `/_matrix/client/v3/login/sso/redirect${idp}?redirectUrl=${encodeURIComponent(CLIENT_CALLBACK)}`,
      jar,
    );
    assert.equal(start.statusCode, 303);
    // Absolute: clients call this through the homeserver's address; the page is on Gatehouse's.
    const completeUrl = start.headers.location!;
    assert.match(completeUrl, /^http:\/\/auth\.example\.test\/complete-compat-sso\/[0-9A-Z]{26}$/);
    const complete = new URL(completeUrl).pathname;

    // Not signed in: off to the login page, which comes back here.
    const needLogin = await inject(complete, jar);
    assert.equal(needLogin.statusCode, 303);
    assert.equal(needLogin.headers.location, `/login?next=${encodeURIComponent(complete)}`);
    const page = await inject(needLogin.headers.location!, jar);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const login = await h.app.inject({
      method: 'POST',
      url: '/login',
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        csrf,
        next: complete,
        username: 'alice',
        password: 'correct horse',
      }).toString(),
    });
    jar.update(login);
    assert.equal(login.statusCode, 303, login.body);
    assert.equal(login.headers.location, complete);

    // "Continue to client.example.org"
    const continuePage = await inject(complete, jar);
    assert.equal(continuePage.statusCode, 200);
    assert.match(continuePage.body, /Continue to client\.example\.org/);
    assert.match(continuePage.body, /alice/);
    const pageCsrf = /name="csrf" value="([^"]+)"/.exec(continuePage.body)![1]!;
    const done = await h.app.inject({
      method: 'POST',
      url: complete,
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ csrf: pageCsrf }).toString(),
    });
    assert.equal(done.statusCode, 303, done.body);
    const back = new URL(done.headers.location!);
    assert.equal(back.origin + back.pathname, 'https://client.example.org/sso-done');
    assert.equal(back.searchParams.get('state'), '1');
    const loginToken = back.searchParams.get('loginToken');
    assert.match(loginToken ?? '', /^[A-Za-z0-9]{32}$/);
    return { loginToken: loginToken!, complete };
  }

  it('goes from the redirect to tokens, once', async () => {
    const jar = new CookieJar();
    const { loginToken, complete } = await browserFlow(jar, '/oidc-some-idp');
    // Completed: the page cannot be used a second time.
    const again = await inject(complete, jar);
    assert.equal(again.statusCode, 400);
    const exchange = await postJson(h, '/_matrix/client/v3/login', {
      type: 'm.login.token',
      token: loginToken,
      initial_device_display_name: 'Web',
    });
    assert.equal(exchange.statusCode, 200, exchange.body);
    const answer = exchange.json<{ user_id: string; access_token: string; device_id: string }>();
    assert.equal(answer.user_id, '@alice:example.test');
    assert.equal(checkToken(answer.access_token), 'compatAccessToken');
    assert.equal(h.homeserver.callsTo('upsert_device').at(-1)?.body?.device_id, answer.device_id);
    // The session remembers the browser session that completed the login.
    const sessions = await h.ctx.storage.transaction(async (repos) => {
      const user = (await repos.users.findByUsername('alice'))!;
      return repos.compatSessions.listActiveForUser(user.id);
    });
    assert.equal(sessions.length, 1);
    assert.notEqual(sessions[0]!.browserSessionId, null);

    const reuse = await postJson(h, '/_matrix/client/r0/login', {
      type: 'm.login.token',
      token: loginToken,
    });
    assert.equal(reuse.statusCode, 403);
    assert.equal(reuse.json().errcode, 'M_FORBIDDEN');
  });

  it('refuses a token exchanged more than 30 s after completion, and unknown tokens', async () => {
    const jar = new CookieJar();
    const { loginToken } = await browserFlow(jar);
    h.base.clock.advance(31_000);
    const late = await postJson(h, '/_matrix/client/v3/login', {
      type: 'm.login.token',
      token: loginToken,
    });
    assert.equal(late.statusCode, 403);
    assert.equal(late.json().errcode, 'M_FORBIDDEN');
    const unknown = await postJson(h, '/_matrix/client/v3/login', {
      type: 'm.login.token',
      token: 'A'.repeat(32),
    });
    assert.equal(unknown.statusCode, 403);
    assert.equal(unknown.json().errcode, 'M_FORBIDDEN');
  });

  it('cannot be completed after 30 minutes', async () => {
    const jar = new CookieJar();
    await addUser(h.base, 'bob', 'bob password');
    const start = await inject(
      `/_matrix/client/v3/login/sso/redirect?redirectUrl=${encodeURIComponent(CLIENT_CALLBACK)}`,
      jar,
    );
    const complete = start.headers.location!;
    const loginPage = await inject(`/login?next=${encodeURIComponent(complete)}`, jar);
    const csrf = /name="csrf" value="([^"]+)"/.exec(loginPage.body)![1]!;
    jar.update(
      await h.app.inject({
        method: 'POST',
        url: '/login',
        headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          csrf,
          username: 'bob',
          password: 'bob password',
        }).toString(),
      }),
    );
    h.base.clock.advance(31 * 60_000);
    const expired = await inject(complete, jar);
    assert.equal(expired.statusCode, 400);
    assert.match(expired.body, /can no longer be used/);
  });

  it('refuses a POST without CSRF and a bad redirectUrl', async () => {
    const jar = new CookieJar();
    const start = await inject(
      `/_matrix/client/v3/login/sso/redirect?redirectUrl=${encodeURIComponent(CLIENT_CALLBACK)}`,
      jar,
    );
    const noCsrf = await h.app.inject({
      method: 'POST',
      url: start.headers.location!,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    assert.equal(noCsrf.statusCode, 400);
    assert.equal(noCsrf.headers.location, undefined);

    const missing = await inject('/_matrix/client/v3/login/sso/redirect', jar);
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().errcode, 'M_MISSING_PARAM');
    for (const bad of ['https://user:pw@evil.example/', 'not a url', 'javascript:alert(1)']) {
      const response = await inject(
        `/_matrix/client/v3/login/sso/redirect?redirectUrl=${encodeURIComponent(bad)}`,
        jar,
      );
      assert.equal(response.statusCode, 400, bad);
      assert.equal(response.json().errcode, 'M_INVALID_PARAM', bad);
    }
  });
});
