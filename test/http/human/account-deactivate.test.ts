// Deleting one's own account (/account/deactivate) and approving a cross-signing reset
// (/account/cross-signing-reset) through the real app on SQLite with a fake homeserver: the
// confirmations (typed username, password), the outcome (account deactivated, every session
// ended, tokens refused, deactivate-user job with `erase`, this browser signed out), the feature
// switch, CSRF; the reset call, no homeserver, a failing homeserver.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { isUserDeactivated } from '../../../src/model/user.ts';
import {
  addClient,
  CookieJar,
  get,
  page,
  PASSWORD,
  postForm,
  postFrom,
  postWithoutCsrf,
  queued,
  startAccountApp,
  submitForm,
  tokensFor,
  type AccountApp,
} from './account-pages-kit.ts';

let t: AccountApp;

async function alice() {
  return t.h.db.storage.transaction((repos) => repos.users.findByUsername('alice'));
}

describe('account deactivation', () => {
  afterEach(() => t.close());

  it('asks for the username and password, then deletes the account and signs out', async () => {
    t = await startAccountApp();
    const client = await addClient(t.h);
    const tokens = await tokensFor(t.h, client, { scope: 'openid' });
    const form = await page(t.h, t.jar, '/account/deactivate');
    assert.match(
      form,
      /<label for="field-confirm_username">Type your username \(alice\) to confirm<\/label>/,
    );
    assert.match(form, /<label for="field-erase">/);

    const wrongName = await postFrom(t.h, t.jar, '/account/deactivate', '/account/deactivate', {
      confirm_username: 'bob',
      password: PASSWORD,
    });
    assert.equal(wrongName.statusCode, 400);
    assert.match(wrongName.body, /Type your username exactly/);
    const wrongPassword = await postFrom(t.h, t.jar, '/account/deactivate', '/account/deactivate', {
      confirm_username: 'alice',
      password: 'not it',
    });
    assert.equal(wrongPassword.statusCode, 400);
    assert.match(wrongPassword.body, /not your current password/);
    const forged = await postWithoutCsrf(t.h, t.jar, '/account/deactivate', {
      confirm_username: 'alice',
      password: PASSWORD,
    });
    assert.equal(forged.statusCode, 400);
    assert.equal(isUserDeactivated((await alice())!), false, 'nothing happened yet');

    const done = await postFrom(t.h, t.jar, '/account/deactivate', '/account/deactivate', {
      confirm_username: 'alice',
      password: PASSWORD,
      erase: 'on',
    });
    assert.equal(done.statusCode, 200, done.body.slice(0, 300));
    assert.match(done.body, /Your account was deleted/);
    assert.equal(isUserDeactivated((await alice())!), true);
    assert.deepEqual(
      (await queued(t.h, 'deactivate-user')).map((job) => job.erase),
      [true],
      'the homeserver erases the data too',
    );
    const introspected = await postForm(
      t.h,
      '/oauth2/introspect',
      { token: tokens.access_token },
      client,
    );
    assert.equal((introspected.json() as { active: boolean }).active, false);
    assert.equal((await get(t.h, t.jar, '/account')).statusCode, 303, 'signed out here');
    const again = await submitForm(t.h, new CookieJar(), '/login', {
      username: 'alice',
      password: PASSWORD,
    });
    assert.notEqual(again.statusCode, 303, 'cannot sign in again');
  });

  it('asks the homeserver to erase the data only when the box is ticked', async () => {
    t = await startAccountApp();
    const done = await postFrom(t.h, t.jar, '/account/deactivate', '/account/deactivate', {
      confirm_username: 'alice',
      password: PASSWORD,
    });
    assert.equal(done.statusCode, 200);
    assert.deepEqual(
      (await queued(t.h, 'deactivate-user')).map((job) => job.erase),
      [false],
    );
  });

  it('limits password guesses, and deletes nothing meanwhile', async () => {
    t = await startAccountApp({
      rate_limiting: { login: { per_ip: { burst: 3, per_second: 0.001 } } },
    });
    // (signing in spent one of the three)
    for (let attempt = 0; attempt < 2; attempt++) {
      const wrong = await postFrom(t.h, t.jar, '/account/deactivate', '/account/deactivate', {
        confirm_username: 'alice',
        password: `guess ${attempt}`,
      });
      assert.equal(wrong.statusCode, 400);
    }
    const limited = await postFrom(t.h, t.jar, '/account/deactivate', '/account/deactivate', {
      confirm_username: 'alice',
      password: PASSWORD,
    });
    assert.equal(limited.statusCode, 429);
    assert.ok(limited.headers['retry-after']);
    assert.equal(isUserDeactivated((await alice())!), false);
    assert.equal((await queued(t.h, 'deactivate-user')).length, 0);
  });

  it('is not offered when the operator turns it off', async () => {
    t = await startAccountApp({ account: { account_deactivation_allowed: false } });
    assert.doesNotMatch(await page(t.h, t.jar, '/account'), /href="\/account\/deactivate"/);
    assert.equal((await get(t.h, t.jar, '/account/deactivate')).statusCode, 404);
    const refused = await postFrom(t.h, t.jar, '/account', '/account/deactivate', {
      confirm_username: 'alice',
      password: PASSWORD,
    });
    assert.equal(refused.statusCode, 404);
    assert.equal(isUserDeactivated((await alice())!), false);
  });
});

describe('cross-signing reset approval', () => {
  afterEach(() => t.close());

  it('explains the reset and allows it on the homeserver', async () => {
    t = await startAccountApp();
    const link = await get(t.h, t.jar, '/account?action=org.matrix.cross_signing_reset');
    assert.equal(link.headers.location, '/account/cross-signing-reset');
    const explained = await page(t.h, t.jar, '/account/cross-signing-reset');
    assert.match(explained, /verify you again/);
    const allowed = await postFrom(
      t.h,
      t.jar,
      '/account/cross-signing-reset',
      '/account/cross-signing-reset',
      {},
    );
    assert.equal(allowed.statusCode, 200);
    assert.match(allowed.body, /allowed for the next 10 minutes/);
    assert.deepEqual(
      t.hs.callsTo('allow_cross_signing_reset').map((call) => call.body),
      [{ localpart: 'alice' }],
    );
  });

  it('refuses a forged form, says so when the homeserver fails, 404 without one', async () => {
    t = await startAccountApp();
    const forged = await postWithoutCsrf(t.h, t.jar, '/account/cross-signing-reset', {});
    assert.equal(forged.statusCode, 400);
    assert.equal(t.hs.callsTo('allow_cross_signing_reset').length, 0);
    t.hs.failNext.push(500);
    const down = await postFrom(
      t.h,
      t.jar,
      '/account/cross-signing-reset',
      '/account/cross-signing-reset',
      {},
    );
    assert.equal(down.statusCode, 502);
    assert.match(down.body, /could not be allowed right now/);
    await t.close();

    t = await startAccountApp({}, { homeserver: false });
    assert.equal((await get(t.h, t.jar, '/account/cross-signing-reset')).statusCode, 404);
  });
});
