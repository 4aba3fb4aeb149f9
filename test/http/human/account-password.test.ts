// GET/POST /account/password through the real app on SQLite: signed out, CSRF refusal, a wrong
// current password, a weak or mismatched new one, success (then signing in with the new password
// works, the old one does not, and other sessions stay), and the page being switched off.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  CookieJar,
  get,
  PASSWORD,
  postFrom,
  signedInAlice,
  submitForm,
  type TestApp,
} from './account-kit.ts';

const NEW_PASSWORD = 'ozone-lantern-quarry-velvet-9';

let h: TestApp;
let jar: CookieJar;

function change(form: Record<string, string>) {
  return postFrom(h, jar, '/account/password', '/account/password', form);
}

async function passwordRows(): Promise<number> {
  const rows = await h.db.storage.connection.db.selectFrom('user_passwords').select('id').execute();
  return rows.length;
}

describe('account password', () => {
  beforeEach(async () => {
    ({ h, jar } = await signedInAlice());
  });
  afterEach(() => h.close());

  it('shows the form with the current password first', async () => {
    const page = await get(h, jar, '/account/password');
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.match(page.body, /<label for="field-current_password">/);
    assert.match(page.body, /autocomplete="new-password"/);
  });

  it('refuses a wrong current password, a mismatch and a weak password', async () => {
    const before = await passwordRows();
    const wrong = await change({
      current_password: 'not it',
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /not your current password/);
    const mismatch = await change({
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: `${NEW_PASSWORD}x`,
    });
    assert.equal(mismatch.statusCode, 400);
    assert.match(mismatch.body, /do not match/);
    const weak = await change({
      current_password: PASSWORD,
      new_password: 'password1',
      new_password_confirm: 'password1',
    });
    assert.equal(weak.statusCode, 400);
    assert.match(weak.body, /too weak/);
    assert.equal(await passwordRows(), before, 'nothing saved');
  });

  it('changes the password: the new one signs in, the old one does not, sessions stay', async () => {
    const other = new CookieJar();
    assert.equal(
      (await submitForm(h, other, '/login', { username: 'alice', password: PASSWORD })).statusCode,
      303,
    );
    const response = await change({
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    assert.equal(response.statusCode, 303, response.body.slice(0, 500));
    assert.equal(response.headers.location, '/account/password?changed=1');
    assert.match((await get(h, jar, '/account/password?changed=1')).body, /password was changed/);
    assert.equal((await get(h, other, '/account')).statusCode, 200, 'the other session stays');

    const oldOne = await submitForm(h, new CookieJar(), '/login', {
      username: 'alice',
      password: PASSWORD,
    });
    assert.equal(oldOne.statusCode, 400);
    const newOne = await submitForm(h, new CookieJar(), '/login', {
      username: 'alice',
      password: NEW_PASSWORD,
    });
    assert.equal(newOne.statusCode, 303);
  });

  it('refuses a POST without the CSRF token', async () => {
    const before = await passwordRows();
    const response = await h.app.inject({
      method: 'POST',
      url: '/account/password',
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
        new_password_confirm: NEW_PASSWORD,
      }).toString(),
    });
    assert.equal(response.statusCode, 400);
    assert.equal(await passwordRows(), before);
  });

  it('is not there when password changes are not allowed', async () => {
    await h.close();
    ({ h, jar } = await signedInAlice({ account: { password_change_allowed: false } }));
    assert.equal((await get(h, jar, '/account/password')).statusCode, 404);
  });
});
