// GET /account/sessions and its "end" buttons through the real app on SQLite: the list (browser
// and OAuth 2.0 sessions with client, IP and readable user agent), ending another session (its
// access token becomes inactive at /oauth2/introspect, a sync-devices job is queued), "sign out
// everywhere else", CSRF refusal, somebody else's session, and ending this browser's own session.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  addClient,
  addUser,
  PASSWORD,
  signIn,
  CookieJar,
  get,
  ids,
  postForm,
  postFrom,
  signedInAlice,
  tokensFor,
  type TestApp,
  type TestClient,
  type Tokens,
} from './account-kit.ts';

let h: TestApp;
let jar: CookieJar;
let client: TestClient;
let tokens: Tokens;

async function active(token: string): Promise<boolean> {
  const response = await postForm(h, '/oauth2/introspect', { token }, client);
  assert.equal(response.statusCode, 200, response.body);
  return (response.json() as { active: boolean }).active;
}

async function syncJobs(): Promise<number> {
  const rows = await h.db.storage.connection.db
    .selectFrom('queue_jobs')
    .select('id')
    .where('queue_name', '=', 'sync-devices')
    .execute();
  return rows.length;
}

async function activeSessions() {
  return h.db.storage.transaction(async (repos) => {
    const alice = await repos.users.findByUsername('alice');
    return {
      browsers: await repos.browserSessions.listActiveForUser(alice!),
      oauth2: await repos.oauth2Sessions.listActiveForUser(alice!.id),
    };
  });
}

describe('account sessions', () => {
  beforeEach(async () => {
    ({ h, jar } = await signedInAlice());
    client = await addClient(h);
    // Another browser signs in and authorises the client: a second browser session and an
    // OAuth 2.0 session.
    tokens = await tokensFor(h, client, { scope: 'openid urn:matrix:client:api:*' });
  });
  afterEach(() => h.close());

  it('lists browser and OAuth 2.0 sessions with their details', async () => {
    await h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      const session = await repos.browserSessions.add(
        h.ctx.rng,
        h.clock,
        alice!,
        'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      );
      await repos.browserSessions.recordActivity(session, h.clock, '192.0.2.7');
    });
    const page = await get(h, jar, '/account/sessions');
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.match(page.body, /\(this browser\)/);
    assert.match(page.body, /Firefox on Linux/);
    assert.match(page.body, /192\.0\.2\.7/);
    assert.match(page.body, /Example App/);
    // Two other browsers and one application can be ended; this browser cannot from here.
    assert.equal(ids(page.body).length, 3);
  });

  it('ends another OAuth 2.0 session: its token stops working at once', async () => {
    assert.equal(await active(tokens.access_token), true);
    const [session] = (await activeSessions()).oauth2;
    const before = await syncJobs();
    const response = await postFrom(h, jar, '/account/sessions', '/account/sessions/end', {
      kind: 'oauth2',
      id: session!.id,
    });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/account/sessions');
    assert.equal(await active(tokens.access_token), false);
    assert.equal(await syncJobs(), before + 1, 'the homeserver device goes too');
    assert.equal((await activeSessions()).oauth2.length, 0);
    assert.doesNotMatch((await get(h, jar, '/account/sessions')).body, /Example App/);
  });

  it('ends another browser session and keeps this one', async () => {
    const { browsers } = await activeSessions();
    assert.equal(browsers.length, 2);
    const page = await get(h, jar, '/account/sessions');
    const other = ids(page.body).find((id) => browsers.some((b) => b.id === id))!;
    const response = await postFrom(h, jar, '/account/sessions', '/account/sessions/end', {
      kind: 'browser',
      id: other,
    });
    assert.equal(response.statusCode, 303);
    const after = await activeSessions();
    assert.equal(after.browsers.length, 1);
    assert.notEqual(after.browsers[0]!.id, other);
    assert.equal((await get(h, jar, '/account/sessions')).statusCode, 200, 'still signed in');
  });

  it('signs out everywhere else: only this browser stays', async () => {
    const response = await postFrom(
      h,
      jar,
      '/account/sessions',
      '/account/sessions/end-others',
      {},
    );
    assert.equal(response.statusCode, 303);
    const after = await activeSessions();
    assert.equal(after.browsers.length, 1);
    assert.equal(after.oauth2.length, 0);
    assert.equal(await active(tokens.access_token), false);
    assert.equal((await get(h, jar, '/account')).statusCode, 200, 'still signed in here');
  });

  it('ending this browser’s own session signs it out', async () => {
    const { browsers } = await activeSessions();
    const page = await get(h, jar, '/account/sessions');
    const listed = new Set(ids(page.body));
    const mine = browsers.find((b) => !listed.has(b.id))!;
    const response = await postFrom(h, jar, '/account/sessions', '/account/sessions/end', {
      kind: 'browser',
      id: mine.id,
    });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/login');
    assert.equal((await get(h, jar, '/account')).statusCode, 303);
  });

  it('refuses without the CSRF token, and for somebody else’s session', async () => {
    const [session] = (await activeSessions()).oauth2;
    const noCsrf = await h.app.inject({
      method: 'POST',
      url: '/account/sessions/end-others',
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    assert.equal(noCsrf.statusCode, 400);
    const stranger = await postFrom(h, jar, '/account/sessions', '/account/sessions/end', {
      kind: 'oauth2',
      id: '01J0000000000000000000000Z',
    });
    assert.equal(stranger.statusCode, 404);
    // Bob, signed in in his own browser, cannot end alice's session.
    await addUser(h, 'bob', PASSWORD);
    const bobJar = new CookieJar();
    await signIn(h, bobJar, 'bob');
    const bobTries = await postFrom(h, bobJar, '/account/sessions', '/account/sessions/end', {
      kind: 'oauth2',
      id: session!.id,
    });
    assert.equal(bobTries.statusCode, 404);
    assert.equal(await active(tokens.access_token), true, 'nothing ended');
    assert.equal((await activeSessions()).browsers.length, 2);
  });

  it('sends a POST that is not signed in to the login page', async () => {
    const anonymous = new CookieJar();
    const page = await get(h, anonymous, '/login');
    assert.equal(page.statusCode, 200);
    const csrf = /name="csrf" value="([^"]*)"/.exec(page.body)![1]!;
    const response = await h.app.inject({
      method: 'POST',
      url: '/account/sessions/end-others',
      headers: { ...anonymous.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ csrf }).toString(),
    });
    assert.equal(response.statusCode, 303);
    assert.match(String(response.headers.location), /^\/login\?next=/);
    assert.equal(await active(tokens.access_token), true);
  });
});
