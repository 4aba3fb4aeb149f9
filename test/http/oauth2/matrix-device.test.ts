// The homeserver side of the token endpoint and introspection: the device named in the scope is
// created on the homeserver (a fake one here; the real Synapse runs in test/synapse/) before the
// tokens are returned; a homeserver failure fails the exchange and leaves no session; revocation
// queues a device sync; introspection answers the homeserver as MAS does.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SynapseConnection } from '../../../src/matrix/synapse-connection.ts';
import { SYNC_DEVICES_QUEUE } from '../../../src/storage/matrix-jobs.ts';
import { startTestApp } from '../../helpers/app.ts';
import { FakeHomeserver } from '../../matrix/fake-homeserver.ts';
import {
  addClient,
  authorize,
  CookieJar,
  exchangeCode,
  newAlice,
  postForm,
  signIn,
  type TestApp,
  type TestClient,
} from './oauth2-app.ts';

const API = 'urn:matrix:client:api:*';
const DEVICE = 'urn:matrix:client:device:GATEHOUSE01';
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

describe('Matrix devices at the token endpoint', () => {
  let hs: FakeHomeserver;
  let h: TestApp;
  let client: TestClient;

  beforeEach(async () => {
    hs = await new FakeHomeserver('hs-secret').start();
    h = await startTestApp(
      {},
      {
        homeserver: new SynapseConnection('example.test', {
          endpoint: hs.endpoint,
          secret: 'hs-secret',
          timeoutMs: 2000,
        }),
      },
    );
    await newAlice(h);
    hs.addUser('alice');
    client = await addClient(h);
  });
  afterEach(async () => {
    await h.close();
    await hs.stop();
  });

  async function code(scope = `openid ${API} ${DEVICE}`): Promise<string> {
    const jar = new CookieJar();
    await signIn(h, jar);
    return (await authorize(h, jar, client, { scope })).code;
  }

  const sessionCount = () =>
    h.db.storage.transaction(async (repos) => {
      const user = await repos.users.findByUsername('alice');
      return (await repos.oauth2Sessions.listActiveForUser(user!.id)).length;
    });

  it('creates the device, named from the client and User-Agent, before answering', async () => {
    const c = await code();
    const response = await postForm(
      h,
      '/oauth2/token',
      {
        grant_type: 'authorization_code',
        code: c,
        redirect_uri: 'https://app.example.com/callback',
        code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXFjDmOAbEjYaq',
      },
      client,
      { 'user-agent': UA },
    );
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(hs.callsTo('upsert_device').at(-1)!.body, {
      localpart: 'alice',
      device_id: 'GATEHOUSE01',
      display_name: 'Example App on Firefox for Linux',
    });
    assert.equal(hs.users.get('alice')!.devices.has('GATEHOUSE01'), true);
    assert.equal(await sessionCount(), 1);
  });

  it('does not call the homeserver for a scope without a device', async () => {
    const response = await exchangeCode(h, client, await code(`openid ${API}`));
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(hs.callsTo('upsert_device').length, 0);
  });

  it('homeserver down: a clear error and no session', async () => {
    const c = await code();
    await hs.stop();
    const down = await exchangeCode(h, client, c);
    assert.equal(down.statusCode, 503, down.body);
    assert.equal(down.json().error, 'temporarily_unavailable');
    assert.match(down.json().error_description, /homeserver could not be reached/);
    assert.equal(await sessionCount(), 0);
    const rows = await h.db.storage.transaction(async (repos) => {
      const user = await repos.users.findByUsername('alice');
      return repos.oauth2Sessions.listActiveForUser(user!.id);
    });
    assert.deepEqual(rows, []);
  });

  it('homeserver error: server_error and no session', async () => {
    const c = await code();
    hs.failNext.push(500);
    const failed = await exchangeCode(h, client, c);
    assert.equal(failed.statusCode, 500, failed.body);
    assert.equal(failed.json().error, 'server_error');
    assert.equal(await sessionCount(), 0);
    // The homeserver is back: the same code now succeeds.
    const retried = await exchangeCode(h, client, c);
    assert.equal(retried.statusCode, 200, retried.body);
    assert.equal(await sessionCount(), 1);
  });

  it('revocation ends the session and queues a device sync', async () => {
    const tokens = (await exchangeCode(h, client, await code())).json();
    const revoked = await postForm(h, '/oauth2/revoke', { token: tokens.access_token }, client);
    assert.equal(revoked.statusCode, 200);
    const queued = await h.db.storage.connection.db
      .selectFrom('queue_jobs')
      .select('queue_name')
      .where('queue_name', '=', SYNC_DEVICES_QUEUE)
      .execute();
    assert.equal(queued.length, 1);
  });

  it('introspection for the homeserver: device in device_id with the header, in the scope without', async () => {
    const tokens = (await exchangeCode(h, client, await code())).json();
    const ask = async (headers: Record<string, string>) => {
      const response = await h.app.inject({
        method: 'POST',
        url: '/oauth2/introspect',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: 'Bearer hs-secret',
          ...headers,
        },
        payload: `token=${tokens.access_token}&token_type_hint=access_token`,
      });
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    };
    const withHeader = await ask({ 'x-mas-supports-device-id': '1' });
    assert.equal(withHeader.active, true);
    assert.equal(withHeader.username, 'alice');
    assert.equal(withHeader.device_id, 'GATEHOUSE01');
    assert.equal(
      withHeader.scope,
      'openid urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:api:*',
    );
    assert.equal(withHeader.client_id, client.id);
    assert.equal(withHeader.token_type, 'access_token');
    assert.equal(Number.isInteger(withHeader.expires_in), true);

    const without = await ask({});
    assert.equal(without.device_id, undefined);
    assert.equal(
      without.scope,
      [
        'openid',
        'urn:matrix:client:api:*',
        'urn:matrix:client:device:GATEHOUSE01',
        'urn:matrix:org.matrix.msc2967.client:api:*',
        'urn:matrix:org.matrix.msc2967.client:device:GATEHOUSE01',
      ].join(' '),
    );

    // A locked user's tokens are inactive.
    await h.db.storage.transaction(async (repos) => {
      const user = await repos.users.findByUsername('alice');
      await repos.users.lock(h.clock, user!);
    });
    const locked = await ask({ 'x-mas-supports-device-id': '1' });
    assert.deepEqual(locked, { active: false });
  });
});

describe('Matrix scopes at /authorize and consent', () => {
  let h: TestApp;
  let client: TestClient;
  beforeEach(async () => {
    h = await startTestApp();
    await newAlice(h);
    client = await addClient(h);
  });
  afterEach(() => h.close());

  it('refuses a malformed Matrix scope back to the client with invalid_scope', async () => {
    const jar = new CookieJar();
    await signIn(h, jar);
    const { authorizeUrl, get, callbackParams } = await import('./oauth2-app.ts');
    const response = await get(
      h,
      jar,
      authorizeUrl(client, { scope: `openid ${API} urn:matrix:client:device:short` }),
    );
    const params = callbackParams(response);
    assert.equal(params.get('error'), 'invalid_scope');
    assert.match(params.get('error_description')!, /device id/);
  });

  it('refuses urn:synapse:admin:* to a user without admin rights (page), allows an admin', async () => {
    const jar = new CookieJar();
    await signIn(h, jar);
    const { authorizeUrl, get, location, submitForm } = await import('./oauth2-app.ts');
    const first = await get(h, jar, authorizeUrl(client, { scope: `${API} urn:synapse:admin:*` }));
    const refused = await submitForm(h, jar, location(first).pathname, { action: 'allow' });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /may not request admin access/);

    await h.db.storage.transaction(async (repos) => {
      const user = await repos.users.findByUsername('alice');
      await repos.users.setCanRequestAdmin(user!, true);
    });
    const { code } = await authorize(h, jar, client, { scope: `${API} urn:synapse:admin:*` });
    const tokens = await exchangeCode(h, client, code);
    assert.equal(tokens.statusCode, 200, tokens.body);
    assert.match(tokens.json().scope, /urn:synapse:admin:\*/);

    // Rights withdrawn after consent: the exchange is refused.
    const second = await authorize(h, jar, client, { scope: `${API} urn:synapse:admin:*` });
    await h.db.storage.transaction(async (repos) => {
      const user = await repos.users.findByUsername('alice');
      await repos.users.setCanRequestAdmin(user!, false);
    });
    const refusedExchange = await exchangeCode(h, client, second.code);
    assert.equal(refusedExchange.statusCode, 400);
    assert.equal(refusedExchange.json().error, 'invalid_scope');
  });

  it('soft session limit: the session-limit page once the user has too many sessions', async () => {
    await h.close();
    h = await startTestApp({
      experimental: { session_limit: { soft_limit: 1, hard_limit: 2 } },
    });
    await newAlice(h);
    client = await addClient(h);
    const jar = new CookieJar();
    await signIn(h, jar);
    const { code } = await authorize(h, jar, client, { scope: 'openid' });
    assert.equal((await exchangeCode(h, client, code)).statusCode, 200);
    const { authorizeUrl, get, location, submitForm } = await import('./oauth2-app.ts');
    const again = await get(h, jar, authorizeUrl(client, { scope: 'openid email' }));
    const consentPath = location(again).pathname;
    const held = await submitForm(h, jar, consentPath, { action: 'allow' });
    // Not refused any more: the user ends sessions there and continues (test/http/human/session-limit.test.ts).
    assert.equal(held.statusCode, 303, held.body.slice(0, 200));
    const to = location(held);
    assert.equal(to.pathname, '/session-limit');
    assert.equal(
      to.searchParams.get('next'),
      `/authorize/continue/${consentPath.split('/').at(-1)}`,
    );
    const limitPage = await get(h, jar, `${to.pathname}${to.search}`);
    assert.match(limitPage.body, /Too many active sessions/);
    assert.match(limitPage.body, /End at least 1 session/);
  });
});
