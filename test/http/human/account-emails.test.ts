// The account's email addresses through the real app on SQLite: adding one with a mailed 6-digit
// code (the code put in place through the real repository, as the mail job would), wrong codes,
// the current password, the email policy, addresses already used, the code rate limit, resending,
// removing (and keeping the last one when the server requires an address), the feature switch,
// CSRF, and a verification started by another browser. One run on PostgreSQL.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { asEmailAuthenticationId } from '../../../src/model/email-authentication.ts';
import {
  addUser,
  CookieJar,
  location,
  page,
  PASSWORD,
  postFrom,
  postWithoutCsrf,
  queued,
  signIn,
  startAccountApp,
  type AccountApp,
  type TestApp,
} from './account-pages-kit.ts';

let t: AccountApp;

async function putCode(h: TestApp, verifyUrl: string, code: string): Promise<void> {
  const id = verifyUrl.split('/').at(-1)!;
  await h.db.storage.transaction(async (repos) => {
    const authentication = await repos.emailAuthentications.lookup(asEmailAuthenticationId(id));
    assert.ok(authentication, 'the authentication exists');
    await repos.emailAuthentications.addCode(h.ctx.rng, h.clock, authentication, code);
  });
}

async function emailsOfAlice(h: TestApp): Promise<string[]> {
  return h.db.storage.transaction(async (repos) => {
    const alice = await repos.users.findByUsername('alice');
    return (await repos.userEmails.listForUser(alice!)).map((row) => row.email);
  });
}

async function startAdding(email: string, password = PASSWORD): Promise<string> {
  const response = await postFrom(t.h, t.jar, '/account/emails', '/account/emails/add', {
    email,
    password,
  });
  assert.equal(response.statusCode, 303, response.body.slice(0, 400));
  return location(response).pathname;
}

function enter(verifyUrl: string, form: Record<string, string>) {
  return postFrom(t.h, t.jar, verifyUrl, verifyUrl, form);
}

describe('account emails', () => {
  afterEach(() => t.close());

  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`adds an address with the mailed code (${dialect})`, async () => {
      t = await startAccountApp({}, { dialect });
      const list = await page(t.h, t.jar, '/account/emails');
      assert.match(list, /<label for="field-email">Email address<\/label>/);
      assert.match(list, /<label for="field-password">Your current password<\/label>/);

      const verifyUrl = await startAdding('alice@example.com');
      assert.match(verifyUrl, /^\/account\/emails\/verify\/[0-9A-Z]{26}$/);
      const mails = await queued(t.h, 'send-email-authentication-code');
      assert.equal(mails.length, 1, 'a code mail is queued');
      assert.match(await page(t.h, t.jar, verifyUrl), /alice@example\.com/);

      await putCode(t.h, verifyUrl, '123456');
      const wrong = await enter(verifyUrl, { code: '654321' });
      assert.equal(wrong.statusCode, 400);
      assert.match(wrong.body, /wrong or has expired/);
      assert.deepEqual(await emailsOfAlice(t.h), []);

      const before = (await queued(t.h, 'provision-user')).length;
      const right = await enter(verifyUrl, { code: '123 456' });
      assert.equal(right.statusCode, 303, right.body.slice(0, 300));
      assert.equal(right.headers.location, '/account/emails?added=1');
      assert.deepEqual(await emailsOfAlice(t.h), ['alice@example.com']);
      assert.equal((await queued(t.h, 'provision-user')).length, before + 1, 'homeserver told');
      assert.match(await page(t.h, t.jar, '/account/emails?added=1'), /was added/);

      // The verification is spent.
      const again = await enter(verifyUrl, { code: '123456' }).catch(() => null);
      assert.equal(again, null, 'the spent verification page is gone (no CSRF form to read)');
      const direct = await t.h.app.inject({
        method: 'GET',
        url: verifyUrl,
        headers: t.jar.header(),
      });
      assert.equal(direct.statusCode, 404);
    });
  }

  it('refuses a wrong password, a banned domain and addresses already used', async () => {
    t = await startAccountApp({ policy: { data: { banned_domains: ['evil.example'] } } });
    await addUser(t.h, 'bob', PASSWORD);
    await t.h.db.storage.transaction(async (repos) => {
      const bob = await repos.users.findByUsername('bob');
      await repos.userEmails.add(t.h.ctx.rng, t.h.clock, bob!, 'bob@example.com');
      const alice = await repos.users.findByUsername('alice');
      await repos.userEmails.add(t.h.ctx.rng, t.h.clock, alice!, 'alice@example.com');
    });
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ email: 'new@example.com', password: 'wrong password' }, /not your current password/],
      [{ email: 'new@example.com', password: '' }, /not your current password/],
      [{ email: 'eve@evil.example', password: PASSWORD }, /not accepted here/],
      [{ email: 'not-an-address', password: PASSWORD }, /valid email address/],
      [{ email: 'ALICE@example.com', password: PASSWORD }, /already on your account/],
      [{ email: 'bob@example.com', password: PASSWORD }, /used by another account/],
    ];
    for (const [form, message] of cases) {
      const response = await postFrom(t.h, t.jar, '/account/emails', '/account/emails/add', form);
      assert.equal(response.statusCode, 400, form.email);
      assert.match(response.body, message, form.email);
    }
    assert.equal((await queued(t.h, 'send-email-authentication-code')).length, 0);
  });

  it('limits code attempts, and resends a code', async () => {
    t = await startAccountApp({
      rate_limiting: {
        email_authentication: { attempt_per_session: { burst: 2, per_second: 0.001 } },
      },
    });
    const verifyUrl = await startAdding('alice@example.com');
    await putCode(t.h, verifyUrl, '123456');
    assert.equal((await enter(verifyUrl, { code: '000000' })).statusCode, 400);
    assert.equal((await enter(verifyUrl, { code: '000001' })).statusCode, 400);
    const limited = await enter(verifyUrl, { code: '123456' });
    assert.equal(limited.statusCode, 429);
    assert.ok(limited.headers['retry-after']);
    assert.deepEqual(await emailsOfAlice(t.h), [], 'the right code is not even compared');

    const resent = await enter(verifyUrl, { action: 'resend' });
    assert.equal(resent.statusCode, 200);
    assert.match(resent.body, /A new code is on its way/);
    assert.equal((await queued(t.h, 'send-email-authentication-code')).length, 2);
  });

  it('removes an address with the password, but keeps the only one when required', async () => {
    t = await startAccountApp();
    const ids = await t.h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      const a = await repos.userEmails.add(t.h.ctx.rng, t.h.clock, alice!, 'a@example.com');
      const b = await repos.userEmails.add(t.h.ctx.rng, t.h.clock, alice!, 'b@example.com');
      return [a.id, b.id];
    });
    const wrong = await postFrom(t.h, t.jar, '/account/emails', '/account/emails/remove', {
      id: ids[0]!,
      password: 'nope',
    });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /not your current password/);
    assert.equal((await emailsOfAlice(t.h)).length, 2);

    const removed = await postFrom(t.h, t.jar, '/account/emails', '/account/emails/remove', {
      id: ids[0]!,
      password: PASSWORD,
    });
    assert.equal(removed.statusCode, 303);
    assert.deepEqual(await emailsOfAlice(t.h), ['b@example.com']);
    assert.equal((await queued(t.h, 'provision-user')).length, 1);

    const last = await postFrom(t.h, t.jar, '/account/emails', '/account/emails/remove', {
      id: ids[1]!,
      password: PASSWORD,
    });
    assert.equal(last.statusCode, 400);
    assert.match(last.body, /only email address/);
    assert.deepEqual(await emailsOfAlice(t.h), ['b@example.com']);
  });

  it('lets the last address go when the server does not require one', async () => {
    t = await startAccountApp({ account: { password_registration_email_required: false } });
    const id = await t.h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      return (await repos.userEmails.add(t.h.ctx.rng, t.h.clock, alice!, 'a@example.com')).id;
    });
    const removed = await postFrom(t.h, t.jar, '/account/emails', '/account/emails/remove', {
      id,
      password: PASSWORD,
    });
    assert.equal(removed.statusCode, 303);
    assert.deepEqual(await emailsOfAlice(t.h), []);
  });

  it('is read-only when email changes are off; refuses forged forms and other browsers', async () => {
    t = await startAccountApp({ account: { email_change_allowed: false } });
    const list = await page(t.h, t.jar, '/account/emails');
    assert.doesNotMatch(list, /name="email"/);
    const refused = await postFrom(t.h, t.jar, '/account', '/account/emails/add', {
      email: 'a@example.com',
      password: PASSWORD,
    });
    assert.equal(refused.statusCode, 404);
    await t.close();

    t = await startAccountApp();
    const forged = await postWithoutCsrf(t.h, t.jar, '/account/emails/add', {
      email: 'a@example.com',
      password: PASSWORD,
    });
    assert.equal(forged.statusCode, 400);
    assert.equal((await queued(t.h, 'send-email-authentication-code')).length, 0);

    // A verification belongs to the browser that started it.
    const verifyUrl = await startAdding('alice@example.com');
    const other = new CookieJar();
    await signIn(t.h, other);
    const elsewhere = await t.h.app.inject({
      method: 'GET',
      url: verifyUrl,
      headers: other.header(),
    });
    assert.equal(elsewhere.statusCode, 404);
  });
});
