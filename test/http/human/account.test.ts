// GET /account (the overview), the MSC4191 deep links, /.well-known/change-password, and the
// remembered consents page through the real app on SQLite: signed in and signed out, CSRF, and a
// revoked consent making the next authorization ask again.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  addClient,
  authorize,
  get,
  ids,
  postFrom,
  signedInAlice,
  type CookieJar,
  type TestApp,
} from './account-kit.ts';

let h: TestApp;
let jar: CookieJar;

describe('account overview', () => {
  beforeEach(async () => {
    ({ h, jar } = await signedInAlice());
    await h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      await repos.userEmails.add(h.ctx.rng, h.clock, alice!, 'alice@example.com');
    });
  });
  afterEach(() => h.close());

  it('shows the username, the emails and the sections, not framable', async () => {
    const page = await get(h, jar, '/account');
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, /signed in as <strong>alice<\/strong>/);
    assert.match(page.body, /alice@example\.com/);
    assert.match(page.body, /href="\/account\/sessions"/);
    assert.match(page.body, /href="\/account\/consents"/);
    assert.match(page.body, /href="\/account\/password"/);
    assert.match(page.body, /href="\/account\/profile"/);
    assert.match(page.body, /href="\/account\/emails"/);
    assert.match(page.body, /href="\/account\/deactivate"/);
  });

  it('hides the password link when password changes are not allowed', async () => {
    await h.close();
    ({ h, jar } = await signedInAlice({ account: { password_change_allowed: false } }));
    const page = await get(h, jar, '/account');
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /href="\/account\/password"/);
  });

  it('sends a visitor who is not signed in to the login page, and back', async () => {
    for (const path of [
      '/account',
      '/account/sessions',
      '/account/consents',
      '/account/password',
      '/account/profile',
      '/account/emails',
      '/account/deactivate',
    ]) {
      const response = await h.app.inject({ method: 'GET', url: path });
      assert.equal(response.statusCode, 303, path);
      assert.equal(
        response.headers.location,
        `/login?${new URLSearchParams({ next: path }).toString()}`,
      );
    }
  });

  it('sends MSC4191 actions to their section', async () => {
    const cases: Array<[string, string]> = [
      ['org.matrix.profile', '/account/profile'],
      ['org.matrix.sessions_list', '/account/sessions'],
      ['org.matrix.devices_list', '/account/sessions'],
      ['org.matrix.cross_signing_reset', '/account/cross-signing-reset'],
      ['org.matrix.account_deactivate', '/account/deactivate'],
      // A device action without its device id shows the list.
      ['org.matrix.device_view', '/account/sessions'],
      ['org.matrix.session_end', '/account/sessions'],
    ];
    for (const [action, to] of cases) {
      const response = await get(h, jar, `/account?action=${action}`);
      assert.equal(response.statusCode, 303, action);
      assert.equal(response.headers.location, to, action);
    }
    // The advertised account_management_uri ends with a slash: it leads to the same place.
    const slashed = await get(h, jar, '/account/?action=org.matrix.profile');
    assert.equal(slashed.statusCode, 303);
    assert.equal(slashed.headers.location, '/account?action=org.matrix.profile');
    const unknown = await get(h, jar, '/account?action=org.example.nothing');
    assert.equal(unknown.statusCode, 200, 'an unknown action shows the overview');
  });

  it('sends /.well-known/change-password to the password page', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/.well-known/change-password' });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/account/password');
  });
});

describe('account consents', () => {
  beforeEach(async () => {
    ({ h, jar } = await signedInAlice());
  });
  afterEach(() => h.close());

  it('lists a remembered consent; revoking it makes the next authorization ask again', async () => {
    const client = await addClient(h);
    assert.equal((await authorize(h, jar, client)).consented, true);
    assert.equal((await authorize(h, jar, client)).consented, false, 'remembered');

    const page = await get(h, jar, '/account/consents');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Example App/);
    assert.match(page.body, /<code>openid<\/code>/);
    const [id] = ids(page.body);
    assert.ok(id);

    const revoked = await postFrom(h, jar, '/account/consents', '/account/consents/revoke', { id });
    assert.equal(revoked.statusCode, 303);
    assert.equal(revoked.headers.location, '/account/consents');
    assert.doesNotMatch((await get(h, jar, '/account/consents')).body, /Example App/);
    assert.equal((await authorize(h, jar, client)).consented, true, 'asked again');
  });

  it('refuses a revoke without the CSRF token, and one of somebody else', async () => {
    const client = await addClient(h);
    await authorize(h, jar, client);
    const [id] = ids((await get(h, jar, '/account/consents')).body);
    const noCsrf = await h.app.inject({
      method: 'POST',
      url: '/account/consents/revoke',
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ id: id! }).toString(),
    });
    assert.equal(noCsrf.statusCode, 400);
    assert.match(noCsrf.body, /security token/);
    const stranger = await postFrom(h, jar, '/account/consents', '/account/consents/revoke', {
      id: '01J0000000000000000000000Z',
    });
    assert.equal(stranger.statusCode, 404);
    const kept = await h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      return repos.consents.listForUser(alice!.id);
    });
    assert.equal(kept.length, 1);
  });
});
