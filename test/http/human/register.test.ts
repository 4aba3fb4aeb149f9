// Password registration through the real app: the form and its checks, the email code step, the
// registration token, the display name, the finish step, expiry, CAPTCHA and prompt=create.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { asUserRegistrationId } from '../../../src/model/user-registration.ts';
import { startFakeVerifier } from '../../captcha/fake-verifier.ts';
import { addClient, authorizeUrl, callbackParams } from '../oauth2/oauth2-app.ts';
import {
  completeRegistration,
  CookieJar,
  enterCode,
  follow,
  get,
  locationOf,
  mailCode,
  startRegistration,
  startRegistrationApp,
  STRONG_PASSWORD,
  submitForm,
  takeJobs,
  type TestApp,
} from './register-kit.ts';

let h: TestApp;
afterEach(async () => {
  await h.close();
});

describe('registration pages', () => {
  it('/register goes to the password form, keeping next; closed when disabled', async () => {
    h = await startRegistrationApp();
    const jar = new CookieJar();
    const chooser = await get(h, jar, '/register?next=%2Fauthorize%2Fcontinue%2Fx');
    assert.equal(locationOf(chooser), '/register/password?next=%2Fauthorize%2Fcontinue%2Fx');
    await h.close();
    h = await startRegistrationApp({ account: { password_registration_enabled: false } });
    for (const url of ['/register', '/register/password']) {
      const closed = await get(h, jar, url);
      assert.equal(closed.statusCode, 404);
      assert.match(closed.body, /does not accept new accounts/);
    }
  });

  it('registers with the emailed code, then is signed in and can sign in again', async () => {
    h = await startRegistrationApp();
    const r = await startRegistration(h);
    assert.match(r.page.body, /We sent a 6-digit code to <strong>alice@example.com<\/strong>/);
    const [job] = await takeJobs(h, 'send-email-authentication-code');
    assert.ok(job?.emailAuthenticationId);
    const done = await completeRegistration(h, r);
    assert.equal(locationOf(done), '/');
    const home = await get(h, r.jar, '/');
    assert.match(home.body, /alice/);
    const state = await h.db.storage.transaction(async (repos) => {
      const user = await repos.users.findByUsername('alice');
      return {
        user,
        emails: user === null ? [] : await repos.userEmails.listForUser(user),
      };
    });
    assert.equal((await takeJobs(h, 'provision-user')).length, 1);
    assert.ok(state.user);
    assert.deepEqual(
      state.emails.map((e) => e.email),
      ['alice@example.com'],
    );
    const login = await submitForm(h, new CookieJar(), '/login', {
      username: 'alice',
      password: STRONG_PASSWORD,
    });
    assert.equal(login.statusCode, 303);
    // The finished registration cannot be replayed.
    const again = await get(h, r.jar, `/register/steps/${r.id}/finish`);
    assert.equal(again.statusCode, 404);
  });

  it('shows each problem next to its field and keeps what was typed, never the passwords', async () => {
    h = await startRegistrationApp({
      policy: {
        data: {
          registration: { banned_usernames: { literals: ['admin'] } },
          banned_domains: ['spam.test'],
        },
      },
    });
    const jar = new CookieJar();
    const cases: [Record<string, string>, RegExp][] = [
      [{ username: '1234' }, /at least one character that is not a digit/],
      [{ username: 'Alice' }, /only lower-case letters, digits/],
      [{ username: '' }, /Choose a username/],
      [{ username: 'a'.repeat(250) }, /too long/],
      [{ username: 'admin' }, /not available/],
      [{ email: 'bob@spam.test' }, /Email addresses at spam.test are not accepted/],
      [{ email: 'nope' }, /Enter a valid email address/],
      [{ password_confirm: 'something else' }, /do not match/],
      [{ password: 'password1', password_confirm: 'password1' }, /too weak: .+/],
    ];
    for (const [form, message] of cases) {
      const response = await submitForm(h, jar, '/register/password', {
        username: 'alice',
        email: 'alice@example.com',
        password: STRONG_PASSWORD,
        password_confirm: STRONG_PASSWORD,
        ...form,
      });
      assert.equal(response.statusCode, 400, JSON.stringify(form));
      assert.match(response.body, message, JSON.stringify(form));
      assert.match(response.body, /aria-invalid="true"/);
      assert.doesNotMatch(response.body, new RegExp(STRONG_PASSWORD));
      if (form.email === undefined) assert.match(response.body, /value="alice@example.com"/);
    }
  });

  it('refuses a taken username or email, and a banned IP or user agent', async () => {
    h = await startRegistrationApp({
      policy: {
        data: {
          requester: {
            banned_ips: ['192.0.2.0/24'],
            banned_user_agents: { substrings: ['EvilBot'] },
          },
        },
      },
    });
    await completeRegistration(h, await startRegistration(h));
    const taken = await submitForm(h, new CookieJar(), '/register/password', {
      username: 'alice',
      email: 'alice@example.com',
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    });
    assert.match(taken.body, /This username is taken/);
    assert.match(taken.body, /already used by another account/);

    const jar = new CookieJar();
    const page = await get(h, jar, '/register/password');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const post = (headers: Record<string, string>, remoteAddress: string) =>
      h.app.inject({
        method: 'POST',
        url: '/register/password',
        remoteAddress,
        headers: {
          ...jar.header(),
          'content-type': 'application/x-www-form-urlencoded',
          ...headers,
        },
        payload: new URLSearchParams({
          csrf,
          username: 'bob',
          email: 'bob@example.com',
          password: STRONG_PASSWORD,
          password_confirm: STRONG_PASSWORD,
        }).toString(),
      });
    const byIp = await post({}, '192.0.2.77');
    assert.equal(byIp.statusCode, 400);
    assert.match(byIp.body, /not possible from your network or browser/);
    const byAgent = await post({ 'user-agent': 'EvilBot/2' }, '198.51.100.1');
    assert.match(byAgent.body, /not possible from your network or browser/);
    const fine = await post({ 'user-agent': 'Firefox' }, '198.51.100.1');
    assert.equal(fine.statusCode, 303, fine.body.slice(0, 300));
  });

  it('without password_registration_email_required there is no email step', async () => {
    h = await startRegistrationApp({ account: { password_registration_email_required: false } });
    const r = await startRegistration(h, { email: '' });
    assert.match(r.page.body, /Choose a display name/);
    assert.doesNotMatch((await get(h, r.jar, '/register/password')).body, /name="email"/);
  });
});

describe('the email code', () => {
  it('a wrong code is refused, an expired one too, and the right one works', async () => {
    h = await startRegistrationApp();
    const r = await startRegistration(h);
    await mailCode(h, r.id, '111111');
    const wrong = await enterCode(h, r, '222222');
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /wrong or has expired/);
    const shapeless = await enterCode(h, r, 'abc');
    assert.match(shapeless.body, /Enter the 6-digit code/);
    h.clock.advance(5 * 60 * 1000 + 1000);
    const expired = await enterCode(h, r, '111111');
    assert.match(expired.body, /wrong or has expired/);
    await mailCode(h, r.id, '333333');
    const right = await enterCode(h, r, '333333');
    assert.equal(locationOf(right), `/register/steps/${r.id}/finish`);
  });

  it('stops after 10 wrong codes; "send a new code" starts afresh', async () => {
    // The per-session attempt rate limit (10 per registration) is lifted: this is about the count.
    h = await startRegistrationApp({
      rate_limiting: {
        email_authentication: { attempt_per_session: { burst: 100, per_second: 1 } },
      },
    });
    const r = await startRegistration(h);
    await mailCode(h, r.id, '111111');
    let last;
    for (let i = 0; i < 10; i++) last = await enterCode(h, r, `00000${i}`);
    assert.match(last!.body, /Too many wrong codes/);
    assert.doesNotMatch(last!.body, /name="code"/, 'the code field is gone');
    await takeJobs(h, 'send-email-authentication-code');
    const resent = await submitForm(h, r.jar, `/register/steps/${r.id}/verify-email`, {
      action: 'resend',
    });
    assert.match(resent.body, /A new code is on its way/);
    assert.equal((await takeJobs(h, 'send-email-authentication-code')).length, 1);
    await mailCode(h, r.id, '444444');
    assert.equal(locationOf(await enterCode(h, r, '444444')), `/register/steps/${r.id}/finish`);
  });

  it('resend queues another code for the same authentication', async () => {
    h = await startRegistrationApp();
    const r = await startRegistration(h);
    const [first] = await takeJobs(h, 'send-email-authentication-code');
    const resent = await submitForm(h, r.jar, `/register/steps/${r.id}/verify-email`, {
      action: 'resend',
    });
    assert.equal(resent.statusCode, 200);
    const [second] = await takeJobs(h, 'send-email-authentication-code');
    assert.equal(second?.emailAuthenticationId, first?.emailAuthenticationId);
  });

  it('a registration is dead after an hour, and belongs to the browser that started it', async () => {
    h = await startRegistrationApp();
    const r = await startRegistration(h);
    const stranger = await get(h, new CookieJar(), `/register/steps/${r.id}/verify-email`);
    assert.equal(stranger.statusCode, 404);
    h.clock.advance(60 * 60 * 1000);
    const late = await get(h, r.jar, `/register/steps/${r.id}/verify-email`);
    assert.equal(late.statusCode, 410);
    assert.match(late.body, /expired/);
  });
});

describe('registration token', () => {
  async function addToken(token: string, fields: { usageLimit?: number; expiresAt?: Date } = {}) {
    return h.db.storage.transaction((repos) =>
      repos.registrationTokens.add(h.ctx.rng, h.clock, { token, ...fields }),
    );
  }

  it('is asked when required: unknown, used up, expired and revoked tokens are refused', async () => {
    h = await startRegistrationApp({ account: { registration_token_required: true } });
    await addToken('once', { usageLimit: 1 });
    await addToken('old', { expiresAt: new Date(h.clock.now().getTime() + 1000) });
    const revoked = await addToken('gone');
    await h.db.storage.transaction((repos) => repos.registrationTokens.revoke(h.clock, revoked!));
    h.clock.advance(2000);

    const r = await startRegistration(h);
    const tokenPage = await follow(h, r.jar, await enterCode(h, r, await mailCode(h, r.id)));
    assert.match(tokenPage.body, /Enter your registration token/);
    const step = `/register/steps/${r.id}/token`;
    for (const [token, message] of [
      ['nope', /not valid/],
      ['old', /has expired/],
      ['gone', /has been revoked/],
    ] as const) {
      const refused = await submitForm(h, r.jar, step, { token });
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, message);
    }
    const accepted = await follow(h, r.jar, await submitForm(h, r.jar, step, { token: 'once' }));
    assert.match(accepted.body, /Choose a display name/);
    const done = await submitForm(h, r.jar, `/register/steps/${r.id}/display-name`, {
      action: 'set',
      display_name: 'Alice A.',
    });
    assert.equal(locationOf(await get(h, r.jar, locationOf(done))), '/');

    // The token is now used up for the next person.
    const r2 = await startRegistration(h, { username: 'bob', email: 'bob@example.com' });
    await follow(h, r2.jar, await enterCode(h, r2, await mailCode(h, r2.id)));
    const usedUp = await submitForm(h, r2.jar, `/register/steps/${r2.id}/token`, { token: 'once' });
    assert.match(usedUp.body, /already been used as many times/);
  });
});

describe('terms of service', () => {
  it('the checkbox is required when branding.tos_uri is set, and recorded', async () => {
    h = await startRegistrationApp({
      branding: { service_name: 'Example Auth', tos_uri: 'https://example.test/tos' },
    });
    const jar = new CookieJar();
    const refused = await submitForm(h, jar, '/register/password', {
      username: 'alice',
      email: 'alice@example.com',
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /must accept the terms of service/);
    const r = await startRegistration(h, { accept_terms: 'on' });
    await completeRegistration(h, r);
    const terms = await h.db.storage.transaction(async (repos) => {
      const user = await repos.users.findByUsername('alice');
      return repos.userTerms.listForUser(user!);
    });
    assert.deepEqual(
      terms.map((t) => t.termsUrl),
      ['https://example.test/tos'],
    );
  });
});

describe('CAPTCHA', () => {
  it('is verified against the configured verifier; the CSP allows the widget only then', async () => {
    const fake = await startFakeVerifier();
    try {
      h = await startRegistrationApp({
        captcha: {
          service: 'cloudflare_turnstile',
          site_key: 'site-key',
          secret_key: 'the-secret',
          verify_url: fake.url,
        },
      });
      const jar = new CookieJar();
      const page = await get(h, jar, '/register/password');
      assert.match(page.body, /class="cf-turnstile" data-sitekey="site-key"/);
      assert.match(
        page.body,
        /<script src="https:\/\/challenges.cloudflare.com\/turnstile\/v0\/api.js"/,
      );
      const csp = page.headers['content-security-policy'] as string;
      assert.match(csp, /script-src 'self' https:\/\/challenges.cloudflare.com/);
      assert.match(csp, /frame-src 'self' https:\/\/challenges.cloudflare.com/);
      const login = await get(h, jar, '/login');
      assert.doesNotMatch(login.headers['content-security-policy'] as string, /cloudflare/);

      const bad = await submitForm(h, jar, '/register/password', {
        username: 'alice',
        email: 'alice@example.com',
        password: STRONG_PASSWORD,
        password_confirm: STRONG_PASSWORD,
        'cf-turnstile-response': 'bad',
      });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /CAPTCHA was not solved/);
      const good = await startRegistration(h, { 'cf-turnstile-response': 'good' });
      assert.match(good.page.body, /Verify your email address/);
      assert.equal(fake.seen.at(-1)?.get('secret'), 'the-secret');
    } finally {
      await fake.close();
    }
  });
});

describe('prompt=create', () => {
  it('goes from /authorize to registration and back to the client with a code', async () => {
    h = await startRegistrationApp();
    const client = await addClient(h);
    const jar = new CookieJar();
    const start = await get(h, jar, authorizeUrl(client, { prompt: 'create' }));
    const registerUrl = locationOf(start);
    assert.match(registerUrl, /^\/register\?next=/);
    const formUrl = locationOf(await get(h, jar, registerUrl));
    const r = await startRegistration(h, {}, formUrl, jar);
    const back = await completeRegistration(h, r);
    const continueUrl = locationOf(back);
    assert.match(continueUrl, /^\/authorize\/continue\//);
    let response = await get(h, jar, continueUrl);
    if (response.statusCode === 303 && locationOf(response).startsWith('/consent/')) {
      response = await submitForm(h, jar, locationOf(response), { action: 'allow' });
    }
    const params = callbackParams(response);
    assert.ok(params.get('code'));
    assert.equal(params.get('state'), 'st4te');
  });
});

describe('storage of the registration', () => {
  it('keeps the password only hashed and the next path', async () => {
    h = await startRegistrationApp();
    const r = await startRegistration(h, {}, '/register/password?next=%2Faccount');
    const registration = await h.db.storage.transaction((repos) =>
      repos.userRegistrations.lookup(asUserRegistrationId(r.id)),
    );
    assert.equal(registration?.postAuthAction, '/account');
    assert.notEqual(registration?.hashedPassword, STRONG_PASSWORD);
    assert.match(registration?.hashedPassword ?? '', /^\$argon2id\$/);
  });
});
