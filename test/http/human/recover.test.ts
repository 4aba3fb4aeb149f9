// Password recovery through the real app: the same answer for any address, the mailed link (put
// in place through the real repository, as the mail job would) working once and for 10 minutes,
// the new password, and every other session ended. Also login with an email address.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { asRecoverySessionId } from '../../../src/model/recovery-session.ts';
import { MockClock } from '../../../src/clock.ts';
import { asOAuth2ClientId } from '../../../src/model/ids.ts';
import { issueTokens } from '../../../src/oauth2/token-issuer.ts';
import { IntrospectionCache } from '../../../src/services/introspection-cache.ts';
import { activeForHomeserver, addUser, startTestApp } from '../../helpers/app.ts';
import { bareClientFields } from '../../helpers/storage.ts';
import {
  CookieJar,
  get,
  locationOf,
  startRegistrationApp,
  STRONG_PASSWORD,
  submitForm,
  takeJobs,
  type TestApp,
} from './register-kit.ts';

const NEW_PASSWORD = 'purple elephant marmalade 2049';
let h: TestApp;
afterEach(async () => {
  await h.close();
});

async function addUserWithEmail(username: string, email: string) {
  const user = await addUser(h, username, STRONG_PASSWORD);
  await h.db.storage.transaction((repos) => repos.userEmails.add(h.ctx.rng, h.clock, user, email));
  return user;
}

/** Asks for recovery of `email`; returns the progress page's path. */
async function ask(email: string, jar = new CookieJar()): Promise<string> {
  const response = await submitForm(h, jar, '/recover', { email });
  return locationOf(response);
}

/** The ticket the mail job would send for the session behind `progressPath`. */
async function mailTicket(progressPath: string, ticket = 'T'.repeat(16) + 'x'.repeat(16)) {
  const id = progressPath.split('/').at(-1)!;
  await h.db.storage.transaction(async (repos) => {
    const session = await repos.recovery.lookupSession(asRecoverySessionId(id));
    const [userEmail] = await repos.userEmails.listByEmail(session!.email);
    await repos.recovery.addTicket(h.ctx.rng, h.clock, session!, userEmail!, ticket);
  });
  return `/account/password/recovery?ticket=${ticket}`;
}

const ticketOf = (link: string) => new URL(link, 'http://x/').searchParams.get('ticket')!;

async function signIn(username: string, password: string, jar = new CookieJar()) {
  return { jar, response: await submitForm(h, jar, '/login', { username, password }) };
}

describe('password recovery', () => {
  it('answers the same whether or not the address has an account', async () => {
    h = await startRegistrationApp();
    await addUserWithEmail('alice', 'alice@example.com');
    const known = await get(h, new CookieJar(), await ask('alice@example.com'));
    const unknown = await get(h, new CookieJar(), await ask('nobody@example.com'));
    assert.equal(known.statusCode, 200);
    assert.equal(unknown.statusCode, 200);
    const text = (body: string) =>
      body
        .replace(/[^\s>]+@example\.com/g, 'X')
        .replace(/value="[^"]+"/g, '')
        .replace(/\/recover\/progress\/\w+/g, '');
    assert.equal(text(known.body), text(unknown.body));
    assert.equal((await takeJobs(h, 'send-account-recovery-email')).length, 2);
  });

  it('is closed when password_recovery_enabled is false', async () => {
    h = await startRegistrationApp({ account: { password_recovery_enabled: false } });
    assert.equal((await get(h, new CookieJar(), '/recover')).statusCode, 404);
  });

  it('the progress page mails the link again', async () => {
    h = await startRegistrationApp();
    const progress = await ask('alice@example.com');
    await takeJobs(h, 'send-account-recovery-email');
    const again = await submitForm(h, new CookieJar(), progress, {});
    assert.match(again.body, /We sent the email to alice@example.com again/);
    assert.equal((await takeJobs(h, 'send-account-recovery-email')).length, 1);
  });

  it('the link sets a new password once, and ends the other sessions', async () => {
    h = await startRegistrationApp();
    await addUserWithEmail('alice', 'alice@example.com');
    const elsewhere = await signIn('alice', STRONG_PASSWORD);
    assert.equal(elsewhere.response.statusCode, 303);
    h.clock.advance(1000);
    const link = await mailTicket(await ask('alice@example.com'));
    const jar = new CookieJar();
    const page = await get(h, jar, link);
    assert.match(page.body, /Choose a new password/);
    assert.match(page.body, /alice/);

    const weak = await submitForm(
      h,
      jar,
      link,
      { ticket: ticketOf(link), password: 'password1', password_confirm: 'password1' },
      '/account/password/recovery',
    );
    assert.equal(weak.statusCode, 400);
    assert.match(weak.body, /too weak/);
    const mismatch = await submitForm(
      h,
      jar,
      link,
      { ticket: ticketOf(link), password: NEW_PASSWORD, password_confirm: 'x' },
      '/account/password/recovery',
    );
    assert.match(mismatch.body, /do not match/);

    const done = await submitForm(
      h,
      jar,
      link,
      { ticket: ticketOf(link), password: NEW_PASSWORD, password_confirm: NEW_PASSWORD },
      '/account/password/recovery',
    );
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /Password changed/);

    // The other browser is signed out; the old password is gone; the new one works.
    const home = await get(h, elsewhere.jar, '/');
    assert.doesNotMatch(home.body, /alice/);
    assert.equal((await signIn('alice', STRONG_PASSWORD)).response.statusCode, 400);
    assert.equal((await signIn('alice', NEW_PASSWORD)).response.statusCode, 303);

    // The link worked once.
    const reused = await get(h, jar, link);
    assert.equal(reused.statusCode, 410);
    assert.match(reused.body, /already been used/);
  });

  it("ends the user's OAuth 2.0 sessions at once, also for the introspection cache", async () => {
    const cache = new IntrospectionCache({ clock: new MockClock(), ttlMs: 600_000 });
    h = await startTestApp(
      { account: { password_registration_enabled: true, password_recovery_enabled: true } },
      { introspectionCache: cache },
    );
    const alice = await addUserWithEmail('alice', 'alice@example.com');
    const clientId = asOAuth2ClientId('01J0000000000000000000CL1E');
    const token = await h.db.storage.transaction(async (repos) => {
      await repos.oauth2Clients.upsertStatic(h.clock, clientId, bareClientFields());
      const session = await repos.oauth2Sessions.add(h.ctx.rng, h.clock, {
        clientId,
        userId: alice.id,
        browserSessionId: null,
        scope: 'openid urn:matrix:client:api:*',
        userAgent: null,
      });
      const issued = await issueTokens(
        repos,
        session,
        { clock: h.clock, rng: h.ctx.rng, accessTokenTtl: 3600 },
        false,
      );
      return issued.accessToken;
    });
    const active = () => activeForHomeserver(h.app, token);
    // From the database, then from the cache.
    assert.equal(await active(), true);
    assert.equal(await active(), true);

    const link = await mailTicket(await ask('alice@example.com'));
    const jar = new CookieJar();
    await get(h, jar, link);
    const done = await submitForm(
      h,
      jar,
      link,
      { ticket: ticketOf(link), password: NEW_PASSWORD, password_confirm: NEW_PASSWORD },
      '/account/password/recovery',
    );
    assert.equal(done.statusCode, 200);
    assert.equal(await active(), false);
  });

  it('the link expires after 10 minutes', async () => {
    h = await startRegistrationApp();
    await addUserWithEmail('alice', 'alice@example.com');
    const link = await mailTicket(await ask('alice@example.com'));
    h.clock.advance(10 * 60 * 1000);
    const late = await get(h, new CookieJar(), link);
    assert.equal(late.statusCode, 410);
    assert.match(late.body, /expired/);
    const bogus = await get(h, new CookieJar(), '/account/password/recovery?ticket=nope');
    assert.equal(bogus.statusCode, 400);
  });
});

describe('login with email', () => {
  it('accepts a verified address only when login_with_email_allowed', async () => {
    h = await startRegistrationApp({ account: { login_with_email_allowed: true } });
    await addUserWithEmail('alice', 'alice@example.com');
    assert.equal((await signIn('Alice@Example.com', STRONG_PASSWORD)).response.statusCode, 303);
    assert.equal((await signIn('alice@example.com', 'wrong password')).response.statusCode, 400);
    assert.equal((await signIn('other@example.com', STRONG_PASSWORD)).response.statusCode, 400);
    await h.close();

    h = await startRegistrationApp();
    await addUserWithEmail('alice', 'alice@example.com');
    const refused = await signIn('alice@example.com', STRONG_PASSWORD);
    assert.equal(refused.response.statusCode, 400);
    assert.match(refused.response.body, /Invalid username or password/);
    assert.equal((await signIn('alice', STRONG_PASSWORD)).response.statusCode, 303);
  });
});
