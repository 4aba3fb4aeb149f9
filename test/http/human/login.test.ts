// The login and logout pages through the real listener app on SQLite: cookies, sessions and their
// authentications in the database, CSRF, open-redirect attempts, tampered cookies, locked users,
// the password upgrade on login, disabled passwords, security headers and HTML errors.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { asBrowserSessionId } from '../../../src/model/ids.ts';
import { openTestStorage } from '../../helpers/storage.ts';
import {
  addUser,
  CookieJar,
  hiddenField,
  startHumanApp,
  submitForm,
  type HumanApp,
} from './human-app.ts';

let h: HumanApp;
let jar: CookieJar;

async function sessions() {
  return h.db.storage.transaction(async (repos) => {
    const user = await repos.users.findByUsername('alice');
    return user === null ? [] : repos.browserSessions.listActiveForUser(user);
  });
}

async function whoAmI(): Promise<string | null> {
  const page = await h.app.inject({ method: 'GET', url: '/', headers: jar.header() });
  assert.equal(page.statusCode, 200);
  const match = /You are signed in as <strong>([^<]+)<\/strong>/.exec(page.body);
  return match === null ? null : match[1]!;
}

describe('login', () => {
  beforeEach(async () => {
    h = await startHumanApp();
    jar = new CookieJar();
    await addUser(h, 'alice', 'correct horse');
  });
  afterEach(() => h.close());

  it('shows a labelled form with a CSRF token, strict CSP and no framing', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/login' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, /<label for="field-username">/);
    assert.ok(hiddenField(page.body, 'csrf'));
    assert.match(page.body, /Example Auth/);
    const csrfCookie = page.cookies.find((c) => c.name === 'csrf');
    assert.ok(csrfCookie);
    assert.equal(csrfCookie.httpOnly, true);
    assert.equal(csrfCookie.sameSite, 'Lax');
  });

  it('signs in: HttpOnly SameSite=Lax session cookie, a session row with an authentication', async () => {
    const response = await submitForm(h, jar, '/login', {
      username: 'alice',
      password: 'correct horse',
    });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/');
    const cookie = response.cookies.find((c) => c.name === 'session');
    assert.ok(cookie, 'session cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.equal(cookie.secure, undefined, 'not Secure on http');
    // The cookie is encrypted: the session id is not readable in it.
    const [session] = await sessions();
    assert.ok(session);
    assert.ok(!cookie.value.includes(session.id));
    const auth = await h.db.storage.transaction((repos) =>
      repos.browserSessions.lastAuthentication(session),
    );
    assert.ok(auth);
    assert.equal(auth.method, 'password');
    assert.ok(auth.userPasswordId);
    assert.equal(await whoAmI(), 'alice');
  });

  it('accepts the full Matrix ID as the username', async () => {
    const ok = await submitForm(h, jar, '/login', {
      username: '@alice:example.test',
      password: 'correct horse',
    });
    assert.equal(ok.statusCode, 303);
    const otherServer = await submitForm(h, new CookieJar(), '/login', {
      username: '@alice:elsewhere.test',
      password: 'correct horse',
    });
    assert.equal(otherServer.statusCode, 400);
  });

  it('answers a wrong password and an unknown user alike, with the form again', async () => {
    const wrong = await submitForm(h, jar, '/login', { username: 'alice', password: 'wrong' });
    const unknown = await submitForm(h, jar, '/login', { username: 'bob', password: 'wrong' });
    for (const response of [wrong, unknown]) {
      assert.equal(response.statusCode, 400);
      assert.match(response.body, /role="alert"[^>]*>Invalid username or password\.</);
      assert.ok(hiddenField(response.body, 'csrf'), 'the form is offered again');
      assert.equal(
        response.cookies.find((c) => c.name === 'session'),
        undefined,
      );
    }
    assert.match(wrong.body, /value="alice"/);
    assert.deepEqual(await sessions(), []);
  });

  it('refuses a POST without or with a wrong CSRF token and makes no session', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/login' });
    jar.update(page);
    const form = { username: 'alice', password: 'correct horse' };
    const attempts = [
      { headers: jar.header(), body: form },
      { headers: jar.header(), body: { ...form, csrf: 'not-the-token' } },
      // The right token without its cookie (another browser's token).
      { headers: {}, body: { ...form, csrf: hiddenField(page.body, 'csrf')! } },
    ];
    for (const attempt of attempts) {
      const response = await h.app.inject({
        method: 'POST',
        url: '/login',
        headers: { ...attempt.headers, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(attempt.body).toString(),
      });
      assert.equal(response.statusCode, 400);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.match(response.body, /This form cannot be accepted/);
      assert.equal(
        response.cookies.find((c) => c.name === 'session'),
        undefined,
      );
    }
    assert.deepEqual(await sessions(), []);
  });

  it('refuses an expired CSRF token', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/login' });
    jar.update(page);
    h.clock.advance(3601_000);
    const response = await h.app.inject({
      method: 'POST',
      url: '/login',
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        csrf: hiddenField(page.body, 'csrf')!,
        username: 'alice',
        password: 'correct horse',
      }).toString(),
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /expired/);
  });

  it('keeps a relative next and redirects there', async () => {
    const next = '/authorize?client_id=abc&state=x y';
    const page = await h.app.inject({
      method: 'GET',
      url: `/login?next=${encodeURIComponent(next)}`,
    });
    assert.equal(hiddenField(page.body, 'next'), next);
    const response = await submitForm(h, jar, `/login?next=${encodeURIComponent(next)}`, {
      username: 'alice',
      password: 'correct horse',
    });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, next);
  });

  it('ignores next values that leave the site', async () => {
    for (const evil of [
      '//evil.com',
      'https://evil.com',
      '/\\evil.com',
      'evil.com',
      '/%0d%0aSet-Cookie:x',
      'javascript:alert(1)',
    ]) {
      const page = await h.app.inject({
        method: 'GET',
        url: `/login?next=${encodeURIComponent(evil)}`,
      });
      const kept = hiddenField(page.body, 'next');
      assert.ok(
        kept === null || (kept.startsWith('/') && !kept.startsWith('//')),
        `${evil} → ${kept}`,
      );
      // Sent straight in the form body too.
      const fresh = new CookieJar();
      const response = await submitForm(h, fresh, '/login', {
        username: 'alice',
        password: 'correct horse',
        next: evil,
      });
      assert.equal(response.statusCode, 303);
      const location = String(response.headers.location);
      assert.ok(
        location === '/' || (location === evil && evil.startsWith('/%')),
        `${evil} → ${location}`,
      );
      assert.doesNotMatch(location, /evil\.com/);
    }
  });

  it('pre-fills the username from login_hint', async () => {
    const mxid = await h.app.inject({
      method: 'GET',
      url: '/login?login_hint=mxid:@alice:example.test',
    });
    assert.match(mxid.body, /name="username" type="text" value="alice"/);
    const junk = await h.app.inject({ method: 'GET', url: '/login?login_hint=%3Cb%3E' });
    assert.doesNotMatch(junk.body, /value="&lt;b/);
  });

  it('refuses locked and deactivated users with a clear message', async () => {
    await h.db.storage.transaction(async (repos) => {
      const alice = (await repos.users.findByUsername('alice'))!;
      await repos.users.lock(h.clock, alice);
    });
    const locked = await submitForm(h, jar, '/login', {
      username: 'alice',
      password: 'correct horse',
    });
    assert.equal(locked.statusCode, 403);
    assert.match(locked.body, /This account is locked/);
    await addUser(h, 'dave', 'pw-of-dave');
    await h.db.storage.transaction(async (repos) => {
      const dave = (await repos.users.findByUsername('dave'))!;
      await repos.users.deactivate(h.clock, dave);
    });
    const deactivated = await submitForm(h, jar, '/login', {
      username: 'dave',
      password: 'pw-of-dave',
    });
    assert.equal(deactivated.statusCode, 403);
    assert.match(deactivated.body, /deactivated/);
    // A wrong password on a locked account does not reveal the lock.
    const wrong = await submitForm(h, jar, '/login', { username: 'alice', password: 'nope' });
    assert.match(wrong.body, /Invalid username or password/);
    assert.deepEqual(await sessions(), []);
  });

  it('stops recognising the session once the user is locked', async () => {
    await submitForm(h, jar, '/login', { username: 'alice', password: 'correct horse' });
    assert.equal(await whoAmI(), 'alice');
    await h.db.storage.transaction(async (repos) => {
      await repos.users.lock(h.clock, (await repos.users.findByUsername('alice'))!);
    });
    assert.equal(await whoAmI(), null);
  });

  it('treats a tampered session cookie as signed out', async () => {
    await submitForm(h, jar, '/login', { username: 'alice', password: 'correct horse' });
    const value = jar.values.get('session')!;
    const flipped = value.slice(0, 20) + (value[20] === 'A' ? 'B' : 'A') + value.slice(21);
    for (const bad of [flipped, 'garbage', '', jar.values.get('csrf')!]) {
      const page = await h.app.inject({
        method: 'GET',
        url: '/',
        headers: { cookie: `session=${bad}` },
      });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /You are not signed in/);
    }
  });

  it('signing in as someone else ends the previous session in this browser', async () => {
    await addUser(h, 'bob', 'pw-of-bob');
    await submitForm(h, jar, '/login', { username: 'alice', password: 'correct horse' });
    const [aliceSession] = await sessions();
    await submitForm(h, jar, '/login', { username: 'bob', password: 'pw-of-bob' });
    assert.equal(await whoAmI(), 'bob');
    const after = await h.db.storage.transaction((r) =>
      r.browserSessions.lookup(asBrowserSessionId(aliceSession!.id)),
    );
    assert.ok(after?.finishedAt);
  });

  it('signing in again as the same user re-authenticates the same session', async () => {
    await submitForm(h, jar, '/login', { username: 'alice', password: 'correct horse' });
    h.clock.advance(60_000);
    const page = await h.app.inject({ method: 'GET', url: '/login', headers: jar.header() });
    assert.match(page.body, /You are signed in as <strong>alice<\/strong>/);
    await submitForm(h, jar, '/login', { username: 'alice', password: 'correct horse' });
    const all = await sessions();
    assert.equal(all.length, 1);
    const last = await h.db.storage.transaction((r) =>
      r.browserSessions.lastAuthentication(all[0]!),
    );
    assert.equal(last?.createdAt.toISOString(), h.clock.now().toISOString());
  });

  it('renders HTML, not JSON, for a body it cannot parse', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/xml' },
      payload: '<login/>',
    });
    assert.equal(response.statusCode, 415);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.body, /<h1>Bad request<\/h1>/);
    assert.doesNotMatch(response.body, /at .*\.ts:\d+/);
  });

  it('serves the stylesheet the pages link to', async () => {
    const css = await h.app.inject({ method: 'GET', url: '/assets/gatehouse.css' });
    assert.equal(css.statusCode, 200);
    assert.match(css.body, /\.card/);
  });
});

describe('logout', () => {
  beforeEach(async () => {
    h = await startHumanApp();
    jar = new CookieJar();
    await addUser(h, 'alice', 'correct horse');
  });
  afterEach(() => h.close());

  it('ends the session, clears the cookie and goes to /login', async () => {
    await submitForm(h, jar, '/login', { username: 'alice', password: 'correct horse' });
    const oldCookie = jar.values.get('session')!;
    const response = await submitForm(h, jar, '/', {}, '/logout');
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/login');
    const cleared = response.cookies.find((c) => c.name === 'session');
    assert.ok(cleared);
    assert.equal(cleared.value, '');
    assert.deepEqual(await sessions(), []);
    // Replaying the old cookie does not bring the session back.
    const page = await h.app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: `session=${oldCookie}` },
    });
    assert.match(page.body, /You are not signed in/);
  });

  it('goes to a validated next, and ignores one that leaves the site', async () => {
    await submitForm(h, jar, '/login', { username: 'alice', password: 'correct horse' });
    const local = await submitForm(h, jar, '/', { next: '/login?x=1' }, '/logout');
    assert.equal(local.headers.location, '/login?x=1');
    const evil = await submitForm(h, jar, '/login', { next: '//evil.com' }, '/logout');
    assert.equal(evil.headers.location, '/login');
  });

  it('refuses a POST without the CSRF token and keeps the session', async () => {
    await submitForm(h, jar, '/login', { username: 'alice', password: 'correct horse' });
    const response = await h.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /This form cannot be accepted/);
    assert.equal((await sessions()).length, 1);
  });
});

describe('password upgrade on login', () => {
  it('re-hashes a bcrypt v1 password as argon2id v2, linked to the old row', async () => {
    const bcrypt = { version: 1, algorithm: 'bcrypt', cost: 4 };
    const db = await openTestStorage('sqlite');
    try {
      // Alice's password was stored while bcrypt was the only scheme (as after a Synapse import).
      const before = await startHumanApp({ passwords: { schemes: [bcrypt] } }, db);
      await addUser(before, 'alice', 'correct horse');
      await before.close();
      const old = await db.storage.transaction(async (repos) =>
        repos.userPasswords.active((await repos.users.findByUsername('alice'))!),
      );
      assert.match(old!.hashedPassword, /^\$2b\$04\$/);

      h = await startHumanApp(
        { passwords: { schemes: [bcrypt, { version: 2, algorithm: 'argon2id' }] } },
        db,
      );
      h.clock.advance(1000);
      jar = new CookieJar();
      const response = await submitForm(h, jar, '/login', {
        username: 'alice',
        password: 'correct horse',
      });
      assert.equal(response.statusCode, 303);
      const { active, auth } = await db.storage.transaction(async (repos) => {
        const alice = (await repos.users.findByUsername('alice'))!;
        const [session] = await repos.browserSessions.listActiveForUser(alice);
        return {
          active: (await repos.userPasswords.active(alice))!,
          auth: (await repos.browserSessions.lastAuthentication(session!))!,
        };
      });
      assert.equal(active.version, 2);
      assert.match(active.hashedPassword, /^\$argon2id\$/);
      assert.equal(active.upgradedFromId, old!.id);
      assert.equal(auth.userPasswordId, active.id);
      // The upgraded hash works for the next login, without another upgrade.
      const again = await submitForm(h, new CookieJar(), '/login', {
        username: 'alice',
        password: 'correct horse',
      });
      assert.equal(again.statusCode, 303);
      const latest = await db.storage.transaction(async (repos) =>
        repos.userPasswords.active((await repos.users.findByUsername('alice'))!),
      );
      assert.equal(latest!.id, active.id);
    } finally {
      await h.close();
      await db.cleanup();
    }
  });
});

describe('behind an https public base with a path', () => {
  afterEach(() => h.close());

  it('marks cookies Secure, scopes them to the base path and links under it', async () => {
    h = await startHumanApp({
      http: {
        public_base: 'https://example.test/auth/',
        listeners: [
          {
            name: 'web',
            prefix: '/auth',
            resources: [{ name: 'human' }],
            binds: [{ address: '127.0.0.1:0' }],
          },
        ],
      },
    });
    await addUser(h, 'alice', 'correct horse');
    jar = new CookieJar();
    const page = await h.app.inject({ method: 'GET', url: '/auth/login' });
    assert.match(page.body, /action="\/auth\/login"/);
    const csrf = page.cookies.find((c) => c.name === 'csrf');
    assert.equal(csrf?.secure, true);
    assert.equal(csrf?.path, '/auth/');
    const response = await submitForm(h, jar, '/auth/login', {
      username: 'alice',
      password: 'correct horse',
    });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/auth/');
    const session = response.cookies.find((c) => c.name === 'session');
    assert.equal(session?.secure, true);
    assert.equal(session?.path, '/auth/');
  });
});

describe('passwords disabled', () => {
  afterEach(() => h.close());

  it('does not offer the form and refuses posts', async () => {
    h = await startHumanApp({ passwords: { enabled: false } });
    const page = await h.app.inject({ method: 'GET', url: '/login' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Signing in with a password is disabled/);
    assert.doesNotMatch(page.body, /type="password"/);
    await addUser(h, 'alice', null);
    const post = await h.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=alice&password=x',
    });
    assert.equal(post.statusCode, 403);
    assert.match(post.body, /Signing in with a password is disabled/);
    assert.equal(
      post.cookies.find((c) => c.name === 'session'),
      undefined,
    );
  });
});
