// GET and POST /account/profile through the real app and the real Synapse connection to a fake
// homeserver: the display name read from the homeserver, changed and cleared there, the checks on
// the name, the feature switch, no homeserver, a failing homeserver and CSRF.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  csrfOf,
  page,
  postFrom,
  postWithoutCsrf,
  startAccountApp,
  type AccountApp,
} from './account-pages-kit.ts';

let t: AccountApp;

describe('account profile', () => {
  afterEach(() => t.close());

  it('shows the username, Matrix ID and display name from the homeserver', async () => {
    t = await startAccountApp();
    t.hs.users.get('alice')!.displayName = 'Alice <Liddell>';
    const body = await page(t.h, t.jar, '/account/profile');
    assert.match(body, /@alice:example\.test/);
    assert.match(body, /Alice &lt;Liddell&gt;/);
    assert.match(body, /<label for="field-displayname">Display name<\/label>/);
    assert.equal(t.hs.callsTo('query_user').length, 1);
  });

  it('says so when the homeserver cannot be asked, and still offers the change', async () => {
    t = await startAccountApp();
    t.hs.failNext.push(503);
    const body = await page(t.h, t.jar, '/account/profile');
    assert.match(body, /Cannot be shown right now/);
    assert.match(body, /name="displayname"/);
  });

  it('changes and clears the display name on the homeserver', async () => {
    t = await startAccountApp();
    const changed = await postFrom(t.h, t.jar, '/account/profile', '/account/profile', {
      displayname: '  Alice  ',
      action: 'set',
    });
    assert.equal(changed.statusCode, 303, changed.body);
    assert.equal(changed.headers.location, '/account/profile?changed=1');
    assert.deepEqual(t.hs.callsTo('set_displayname').at(-1)?.body, {
      localpart: 'alice',
      displayname: 'Alice',
    });
    const after = await page(t.h, t.jar, '/account/profile?changed=1');
    assert.match(after, /Your display name was updated/);
    assert.match(after, /<dd>Alice<\/dd>/);

    const cleared = await postFrom(t.h, t.jar, '/account/profile', '/account/profile', {
      action: 'clear',
    });
    assert.equal(cleared.statusCode, 303);
    assert.equal(t.hs.callsTo('unset_displayname').length, 1);
    assert.equal(t.hs.users.get('alice')!.displayName, null);
  });

  it('refuses an empty or too long name, a forged form, and a failing homeserver', async () => {
    t = await startAccountApp();
    const empty = await postFrom(t.h, t.jar, '/account/profile', '/account/profile', {
      displayname: ' ',
      action: 'set',
    });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Enter a display name/);
    const long = await postFrom(t.h, t.jar, '/account/profile', '/account/profile', {
      displayname: 'x'.repeat(257),
      action: 'set',
    });
    assert.equal(long.statusCode, 400);
    assert.match(long.body, /at most 256 characters/);
    const forged = await postWithoutCsrf(t.h, t.jar, '/account/profile', { displayname: 'Eve' });
    assert.equal(forged.statusCode, 400);
    assert.match(forged.body, /security token/);
    assert.equal(t.hs.callsTo('set_displayname').length, 0, 'nothing reached the homeserver');

    const csrf = await csrfOf(t.h, t.jar, '/account/profile');
    t.hs.failNext.push(500);
    const down = await t.h.app.inject({
      method: 'POST',
      url: '/account/profile',
      headers: { ...t.jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ csrf, displayname: 'Alice', action: 'set' }).toString(),
    });
    assert.equal(down.statusCode, 502);
    assert.match(down.body, /could not be changed right now/);
  });

  it('offers no change when the operator forbids it, or without a homeserver', async () => {
    t = await startAccountApp({ account: { displayname_change_allowed: false } });
    const body = await page(t.h, t.jar, '/account/profile');
    assert.doesNotMatch(body, /name="displayname"/);
    const refused = await postFrom(t.h, t.jar, '/account', '/account/profile', {
      displayname: 'Alice',
    });
    assert.equal(refused.statusCode, 404);
    assert.match(refused.body, /cannot be changed on this server/);
    await t.close();

    t = await startAccountApp({}, { homeserver: false });
    const alone = await page(t.h, t.jar, '/account/profile');
    assert.doesNotMatch(alone, /name="displayname"/);
    assert.doesNotMatch(alone, /Matrix ID/);
  });

  it('sends a visitor who is not signed in to the login page', async () => {
    t = await startAccountApp();
    const response = await t.h.app.inject({ method: 'GET', url: '/account/profile' });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/login?next=%2Faccount%2Fprofile');
  });
});
