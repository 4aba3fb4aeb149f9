// The users list's MAS filters through a real app: `search`, `legacy-guest`,
// `active-oauth2-client` (repeatable), `has-active-oauth2-session`, `has-active-compat-session`,
// kept in the links, 400 for malformed values; checked against the served spec.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser } from '../../helpers/app.ts';
import {
  ADMIN_CLIENT_ID,
  call,
  SpecChecker,
  startAdminApp,
  type AdminApp,
  type Body,
} from './admin-app.ts';

const LIST = '/api/admin/v1/users';

describe('admin API: user list filters', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    const h = a.h;
    const alice = await addUser(h, 'alice', null);
    const bob = await addUser(h, 'bob', null);
    await addUser(h, 'alina', null);
    await h.db.storage.transaction(async (repos) => {
      await repos.oauth2Sessions.add(h.ctx.rng, h.clock, {
        clientId: ADMIN_CLIENT_ID,
        userId: alice.id,
        browserSessionId: null,
        scope: 'openid',
        userAgent: null,
      });
      await repos.compatSessions.add(h.ctx.rng, h.clock, {
        userId: bob.id,
        deviceId: 'BOBPHONE',
        browserSessionId: null,
        isSynapseAdmin: false,
        humanName: null,
        userAgent: null,
      });
    });
  });
  after(() => a.close());

  const names = async (query: string, status = 200) => {
    const body = await spec.check(await call(a, 'GET', `/users${query}`), 'GET', LIST, status);
    return status === 200 ? body.data.map((u: Body) => u.attributes.username) : body;
  };

  it('searches usernames and keeps the filter in the links', async () => {
    assert.deepEqual(await names('?filter[search]=AL'), ['alice', 'alina']);
    const page = await spec.check(
      await call(a, 'GET', '/users?filter[search]=al%20i&filter[legacy-guest]=false'),
      'GET',
      LIST,
      200,
    );
    assert.equal(page.data.length, 0);
    assert.equal(
      page.links.self,
      `${LIST}?filter[legacy-guest]=false&filter[search]=al%20i&page[first]=10`,
    );
    assert.deepEqual(await names('?filter[legacy-guest]=true'), []);
  });

  it('filters by active sessions', async () => {
    assert.deepEqual(await names(`?filter[active-oauth2-client]=${ADMIN_CLIENT_ID}`), ['alice']);
    assert.deepEqual(
      await names(
        `?filter[active-oauth2-client]=01J00000000000000000000000&filter[active-oauth2-client]=${ADMIN_CLIENT_ID}`,
      ),
      ['alice'],
    );
    assert.deepEqual(await names('?filter[has-active-oauth2-session]=true'), ['alice']);
    assert.deepEqual(await names('?filter[has-active-oauth2-session]=false'), ['bob', 'alina']);
    assert.deepEqual(await names('?filter[has-active-compat-session]=true'), ['bob']);
  });

  it('refuses malformed values', async () => {
    for (const query of [
      '?filter[legacy-guest]=maybe',
      '?filter[active-oauth2-client]=nope',
      '?filter[has-active-compat-session]=1',
      '?filter[search]=a&filter[search]=b',
    ]) {
      await names(query, 400);
    }
  });
});
