// Application sessions on the account pages through the real app on SQLite with a fake
// homeserver: compatibility sessions in the list (legacy client, device id, readable user agent),
// the detail page of each kind, renaming (the device's name on the homeserver follows), ending a
// compat session (token refused at introspection, sync-devices queued), the MSC4191 device links
// (`/account/devices/{id}`, `?confirm=end`), CSRF and somebody else's sessions.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  addClient,
  addCompatSession,
  addUser,
  CookieJar,
  get,
  page,
  PASSWORD,
  postFrom,
  postWithoutCsrf,
  queued,
  signIn,
  startAccountApp,
  tokensFor,
  type AccountApp,
  type TestClient,
} from './account-pages-kit.ts';

let t: AccountApp;
let client: TestClient;

const DEVICE = 'COMPATDEV1';
const OAUTH_DEVICE = 'OAUTHDEVICE1';

async function introspectionActive(token: string): Promise<boolean> {
  const response = await t.h.app.inject({
    method: 'POST',
    url: '/oauth2/introspect',
    headers: {
      authorization: 'Bearer hs-secret',
      'content-type': 'application/x-www-form-urlencoded',
      'x-mas-supports-device-id': '1',
    },
    payload: new URLSearchParams({ token }).toString(),
  });
  assert.equal(response.statusCode, 200, response.body);
  return (response.json() as { active: boolean }).active;
}

async function oauthSessionId(): Promise<string> {
  return t.h.db.storage.transaction(async (repos) => {
    const alice = await repos.users.findByUsername('alice');
    return (await repos.oauth2Sessions.listActiveForUser(alice!.id))[0]!.id;
  });
}

describe('account application sessions', () => {
  beforeEach(async () => {
    t = await startAccountApp();
    client = await addClient(t.h);
  });
  afterEach(() => t.close());

  it('lists compatibility sessions next to OAuth 2.0 ones, with a detail page each', async () => {
    const compat = await addCompatSession(t.h, DEVICE, 'Phone');
    await tokensFor(t.h, client, {
      scope: `openid urn:matrix:client:api:* urn:matrix:client:device:${OAUTH_DEVICE}`,
    });
    const list = await page(t.h, t.jar, '/account/sessions');
    assert.match(list, /Matrix client \(legacy login\) – Phone/);
    assert.match(list, new RegExp(DEVICE));
    assert.match(list, /Element on Android/);
    assert.match(list, /Example App/);
    assert.match(list, new RegExp(`href="/account/sessions/compat/${compat.id}"`));

    const detail = await page(t.h, t.jar, `/account/sessions/compat/${compat.id}`);
    assert.match(detail, /<h1>Matrix client \(legacy login\) – Phone<\/h1>/);
    assert.match(detail, /<label for="field-name">Session name<\/label>/);
    const oauth = await page(t.h, t.jar, `/account/sessions/oauth2/${await oauthSessionId()}`);
    assert.match(oauth, /Example App/);
    assert.match(oauth, new RegExp(OAUTH_DEVICE));
  });

  it('renames a session here and on the homeserver', async () => {
    const compat = await addCompatSession(t.h, DEVICE);
    const url = `/account/sessions/compat/${compat.id}`;
    const renamed = await postFrom(t.h, t.jar, url, `${url}/rename`, { name: ' Work phone ' });
    assert.equal(renamed.statusCode, 303);
    assert.equal(renamed.headers.location, `${url}?renamed=1`);
    const detail = await page(t.h, t.jar, `${url}?renamed=1`);
    assert.match(detail, /– Work phone<\/h1>/);
    assert.match(detail, /The session was renamed/);
    assert.deepEqual(t.hs.callsTo('update_device_display_name').at(-1)?.body, {
      localpart: 'alice',
      device_id: DEVICE,
      display_name: 'Work phone',
    });

    await tokensFor(t.h, client, { scope: 'openid' });
    const oauthUrl = `/account/sessions/oauth2/${await oauthSessionId()}`;
    const oauthRenamed = await postFrom(t.h, t.jar, oauthUrl, `${oauthUrl}/rename`, {
      name: 'Laptop',
    });
    assert.equal(oauthRenamed.statusCode, 303);
    assert.match(await page(t.h, t.jar, oauthUrl), /Example App – Laptop/);

    const tooLong = await postFrom(t.h, t.jar, url, `${url}/rename`, { name: 'x'.repeat(101) });
    assert.equal(tooLong.statusCode, 400);
    assert.match(tooLong.body, /at most 100 characters/);
    const forged = await postWithoutCsrf(t.h, t.jar, `${url}/rename`, { name: 'Evil' });
    assert.equal(forged.statusCode, 400);
    assert.match(await page(t.h, t.jar, url), /– Work phone<\/h1>/);
  });

  it('ends a compatibility session: its token stops working, its device goes', async () => {
    const compat = await addCompatSession(t.h, DEVICE);
    assert.equal(await introspectionActive(compat.accessToken), true);
    const url = `/account/sessions/compat/${compat.id}`;
    const ended = await postFrom(t.h, t.jar, url, '/account/sessions/end', {
      kind: 'compat',
      id: compat.id,
      back: '/account/sessions',
    });
    assert.equal(ended.statusCode, 303);
    assert.equal(ended.headers.location, '/account/sessions');
    assert.equal(await introspectionActive(compat.accessToken), false);
    assert.equal((await queued(t.h, 'sync-devices')).length >= 1, true, 'device removal queued');
    assert.match(await page(t.h, t.jar, url), /This session has ended/);
    assert.doesNotMatch(await page(t.h, t.jar, '/account/sessions'), new RegExp(DEVICE));
  });

  it('follows MSC4191 device links to the session, with the end confirmation first', async () => {
    const compat = await addCompatSession(t.h, DEVICE);
    const view = await get(
      t.h,
      t.jar,
      `/account?action=org.matrix.device_view&device_id=${DEVICE}`,
    );
    assert.equal(view.statusCode, 303);
    assert.equal(view.headers.location, `/account/devices/${DEVICE}`);
    const device = await get(t.h, t.jar, `/account/devices/${DEVICE}`);
    assert.equal(device.headers.location, `/account/sessions/compat/${compat.id}`);

    for (const action of ['org.matrix.device_delete', 'org.matrix.session_end']) {
      const del = await get(t.h, t.jar, `/account?action=${action}&device_id=${DEVICE}`);
      assert.equal(del.headers.location, `/account/devices/${DEVICE}?confirm=end`, action);
    }
    const confirm = await get(t.h, t.jar, `/account/devices/${DEVICE}?confirm=end`);
    assert.equal(confirm.headers.location, `/account/sessions/compat/${compat.id}?confirm=end`);
    assert.match(
      await page(t.h, t.jar, `/account/sessions/compat/${compat.id}?confirm=end`),
      /End this session\?/,
    );
    const session = await get(
      t.h,
      t.jar,
      `/account?action=org.matrix.session_view&device_id=${DEVICE}`,
    );
    assert.equal(session.headers.location, `/account/devices/${DEVICE}`);

    const unknown = await get(t.h, t.jar, '/account/devices/NOSUCHDEVICE');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /Device not found/);
  });

  it('hides and protects other people’s sessions', async () => {
    const compat = await addCompatSession(t.h, DEVICE);
    await addUser(t.h, 'bob', PASSWORD);
    const bob = new CookieJar();
    await signIn(t.h, bob, 'bob');
    const peek = await get(t.h, bob, `/account/sessions/compat/${compat.id}`);
    assert.equal(peek.statusCode, 404);
    assert.equal((await get(t.h, bob, `/account/devices/${DEVICE}`)).statusCode, 404);
    const end = await postFrom(t.h, bob, '/account/sessions', '/account/sessions/end', {
      kind: 'compat',
      id: compat.id,
    });
    assert.equal(end.statusCode, 404);
    const rename = await postFrom(
      t.h,
      bob,
      '/account/sessions',
      `/account/sessions/compat/${compat.id}/rename`,
      { name: 'Bob’s now' },
    );
    assert.equal(rename.statusCode, 404);
    assert.equal(await introspectionActive(compat.accessToken), true);
  });
});
