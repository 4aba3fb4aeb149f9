// The Admin API's OAuth 2.0 clients through a real app: the list with each filter (kind, name,
// URI, grant type, active sessions) kept in the links, one client by id without its secret,
// 400/401/403/404, and MAS's `count=true|false|only` on this and the other lists; every answer is
// checked against the served /api/spec.json.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asOAuth2ClientId } from '../../../src/model/ids.ts';
import { addUser } from '../../helpers/app.ts';
import { clientFields } from '../../storage/conformance/oauth2-fixtures.ts';
import { call, SpecChecker, startAdminApp, type AdminApp, type Body } from './admin-app.ts';

const LIST = '/api/admin/v1/oauth2-clients';
const ONE = '/api/admin/v1/oauth2-clients/{id}';
const WEB = asOAuth2ClientId('01J00000000000000000000WEB');
const TV = asOAuth2ClientId('01J000000000000000000000TV');

describe('admin API: OAuth 2.0 clients', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    await a.h.db.storage.transaction(async (repos) => {
      await repos.oauth2Clients.addDynamic(
        a.h.clock,
        WEB,
        clientFields({ clientName: 'Web App', clientUri: 'https://web.example.com/' }),
      );
      await repos.oauth2Clients.addDynamic(
        a.h.clock,
        TV,
        clientFields({
          clientName: 'Living-room TV',
          clientUri: null,
          grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
          redirectUris: [],
        }),
      );
    });
  });
  after(() => a.close());

  const list = async (query: string, status = 200, token?: string | null) =>
    spec.check(await call(a, 'GET', `/oauth2-clients${query}`, { token }), 'GET', LIST, status);
  const ids = (body: Body): string[] => body.data.map((c: Body) => c.id);

  // The test app's plain client has an id that is not a ULID (test/http/admin/admin-app.ts), which
  // the documented resource id refuses: the lists checked against the spec leave it out.
  const count = async (filters: string): Promise<number> =>
    (await list(`?count=only${filters}`)).meta.count as number;

  it('lists every client, static and dynamic, a page at a time', async () => {
    // The two static clients of the test app (the admin tool and a plain one), and ours.
    assert.equal(await count(''), 4);
    const dynamic = await list('?filter[client-kind]=dynamic');
    assert.equal(dynamic.meta.count, 2);
    assert.deepEqual(ids(dynamic), [TV, WEB]);
    const web = dynamic.data[1];
    assert.equal(web.type, 'oauth2-client');
    assert.deepEqual(web.attributes, {
      client_id: WEB,
      client_name: 'Web App',
      client_uri: 'https://web.example.com/',
      logo_uri: 'https://app.example.com/logo.png',
      redirect_uris: ['https://app.example.com/callback', 'https://app.example.com/other'],
      grant_types: ['authorization_code', 'refresh_token'],
      is_static: false,
    });
    assert.equal(web.links.self, `${LIST}/${WEB}`);
    assert.equal(web.meta.page.cursor, WEB);
    const page = await list('?filter[client-kind]=dynamic&page[first]=1');
    assert.deepEqual(ids(page), [TV]);
    assert.equal(
      page.links.next,
      `${LIST}?filter[client-kind]=dynamic&page[after]=${TV}&page[first]=1`,
    );
    const last = await list('?filter[client-kind]=dynamic&page[last]=1');
    assert.deepEqual(ids(last), [WEB]);
  });

  it('filters on kind, name, URI, grant type and active sessions', async () => {
    assert.equal(await count('&filter[client-kind]=static'), 2);
    // Both static clients of the test app are named "Admin tool".
    assert.equal(await count('&filter[client-name]=ADMIN%20T'), 2);
    assert.deepEqual(ids(await list('?filter[client-name]=room%20tv')), [TV]);
    const byUri = await list('?filter[client-uri]=WEB.example');
    assert.deepEqual(ids(byUri), [WEB]);
    assert.equal(byUri.links.self, `${LIST}?filter[client-uri]=WEB.example&page[first]=10`);
    assert.deepEqual(
      ids(await list('?filter[grant-type]=urn:ietf:params:oauth:grant-type:device_code')),
      [TV],
    );
    assert.equal(await count('&filter[grant-type]=client_credentials'), 2);
    assert.equal(await count('&filter[grant-type]=refresh'), 0);
    // Each static client's client_credentials token is an active session of its own.
    assert.equal(await count('&filter[has-active-sessions]=true'), 2);
    assert.deepEqual(ids(await list('?filter[has-active-sessions]=false')), [TV, WEB]);
    assert.deepEqual(
      ids(await list('?filter[has-active-sessions]=true&filter[client-kind]=dynamic')),
      [],
    );
  });

  it('refuses malformed filters with 400', async () => {
    const kind = await list('?filter[client-kind]=other', 400);
    assert.match(kind.errors[0].title, /filter\[client-kind\] must be one of static, dynamic/);
    await list('?filter[has-active-sessions]=yes', 400);
    await list('?filter[client-name]=a&filter[client-name]=b', 400);
  });

  it('gets one client by id; 404 for an unknown one, 400 for a malformed one', async () => {
    const response = await call(a, 'GET', `/oauth2-clients/${TV}`);
    const body = await spec.check(response, 'GET', ONE, 200);
    assert.equal(body.data.id, TV);
    assert.equal(body.data.attributes.client_name, 'Living-room TV');
    assert.equal(body.links.self, `${LIST}/${TV}`);
    assert.doesNotMatch(response.body, /secret/);
    const missing = await spec.check(
      await call(a, 'GET', '/oauth2-clients/01J00000000000000000000000'),
      'GET',
      ONE,
      404,
    );
    assert.equal(
      missing.errors[0].title,
      'OAuth 2.0 client ID 01J00000000000000000000000 not found',
    );
    await spec.check(await call(a, 'GET', '/oauth2-clients/nope'), 'GET', ONE, 400);
  });

  it('needs an admin token', async () => {
    await list('', 401, null);
    await list('', 403, a.plainToken);
  });

  it('answers count=false without the count and count=only with nothing but it', async () => {
    const without = await list('?count=false&filter[client-kind]=dynamic&page[first]=1');
    assert.equal(without.meta, undefined);
    assert.deepEqual(ids(without), [TV]);
    assert.equal(
      without.links.self,
      `${LIST}?filter[client-kind]=dynamic&count=false&page[first]=1`,
    );
    assert.equal(
      without.links.next,
      `${LIST}?filter[client-kind]=dynamic&count=false&page[after]=${TV}&page[first]=1`,
    );
    const only = await list('?count=only&filter[client-kind]=dynamic');
    assert.deepEqual(only, {
      meta: { count: 2 },
      links: { self: `${LIST}?filter[client-kind]=dynamic&count=only` },
    });
    const explicit = await list('?count=true&filter[client-kind]=dynamic');
    assert.equal(explicit.meta.count, 2);
    assert.equal(explicit.links.self, `${LIST}?filter[client-kind]=dynamic&page[first]=10`);
    const bad = await list('?count=maybe', 400);
    assert.equal(bad.errors[0].title, 'count must be one of true, false, only');
  });

  it('honours count on every other list', async () => {
    await addUser(a.h, 'carol', null);
    for (const path of [
      '/users',
      '/user-emails',
      '/user-sessions',
      '/oauth2-sessions',
      '/compat-sessions',
      '/user-registration-tokens',
    ]) {
      const template = `/api/admin/v1${path}`;
      const only = await spec.check(
        await call(a, 'GET', `${path}?count=only`),
        'GET',
        template,
        200,
      );
      assert.equal(typeof only.meta.count, 'number', path);
      assert.equal(only.data, undefined, path);
      assert.deepEqual(only.links, { self: `${template}?count=only` }, path);
      const without = await spec.check(
        await call(a, 'GET', `${path}?count=false`),
        'GET',
        template,
        200,
      );
      assert.equal(without.meta, undefined, path);
      assert.ok(Array.isArray(without.data), path);
      assert.equal(without.links.self, `${template}?count=false&page[first]=10`, path);
    }
  });
});
