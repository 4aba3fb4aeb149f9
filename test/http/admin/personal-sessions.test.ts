// The Admin API's personal sessions through a real app: creation (the `mpt_` token once, owned by
// the caller), the list with every MAS filter and its pages, one session, revocation and
// regeneration, the personal token itself authenticating to the Admin API, and 400/401/403/404/
// 409/410/422 — every answer checked against the served /api/spec.json. Tokens are introspected
// through /oauth2/introspect to show what the changes mean for the homeserver.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkToken } from '../../../src/crypto/tokens.ts';
import { addUser } from '../../helpers/app.ts';
import {
  ADMIN_CLIENT_ID,
  call,
  SpecChecker,
  startAdminApp,
  type AdminApp,
  type Body,
} from './admin-app.ts';

const LIST = '/api/admin/v1/personal-sessions';
const ONE = '/api/admin/v1/personal-sessions/{id}';
const REVOKE = '/api/admin/v1/personal-sessions/{id}/revoke';
const REGENERATE = '/api/admin/v1/personal-sessions/{id}/regenerate';
const UNKNOWN = '01J00000000000000000000000';

describe('admin API: personal sessions', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  let alice = '';
  let bob = '';
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    alice = (await addUser(a.h, 'alice', null)).id;
    bob = (await addUser(a.h, 'bob', null)).id;
  });
  after(() => a.close());

  const create = async (body: Record<string, unknown>, status = 201, token?: string | null) =>
    spec.check(await call(a, 'POST', '/personal-sessions', { body, token }), 'POST', LIST, status);
  const list = async (query: string, status = 200, token?: string | null) =>
    spec.check(await call(a, 'GET', `/personal-sessions${query}`, { token }), 'GET', LIST, status);
  const introspect = async (token: string) => {
    const response = await a.h.app.inject({
      method: 'POST',
      url: '/oauth2/introspect',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        token,
        client_id: ADMIN_CLIENT_ID,
        client_secret: `secret-${ADMIN_CLIENT_ID}`,
      }).toString(),
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Body;
  };

  it('creates a session with its token, shown once, owned by the calling client', async () => {
    a.h.clock.advance(1000);
    const created = await create({
      actor_user_id: alice,
      human_name: 'CI bot',
      scope: 'urn:matrix:client:api:* urn:mas:admin',
      expires_in: 3600,
    });
    const { id, attributes } = created.data;
    assert.equal(created.links.self, `${LIST}/${id}`);
    assert.equal(checkToken(attributes.access_token), 'personalAccessToken');
    assert.equal(attributes.owner_client_id, ADMIN_CLIENT_ID);
    assert.equal(attributes.owner_user_id, null);
    assert.equal(attributes.actor_user_id, alice);
    assert.equal(attributes.human_name, 'CI bot');
    assert.equal(attributes.scope, 'urn:mas:admin urn:matrix:client:api:*');
    assert.equal(
      attributes.expires_at,
      new Date(a.h.clock.now().getTime() + 3600_000).toISOString(),
    );
    assert.equal(attributes.revoked_at, null);

    const answer = await introspect(attributes.access_token);
    assert.equal(answer.active, true);
    assert.equal(answer.sub, alice);
    assert.equal(answer.username, 'alice');
    assert.equal(answer.client_id, ADMIN_CLIENT_ID);
    assert.equal(answer.token_type, 'access_token');
    assert.equal(answer.expires_in, 3600);
    assert.equal(answer.jti, undefined);
    assert.equal(
      answer.scope,
      'urn:mas:admin urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:api:*',
    );

    // The token is never shown again.
    const again = await spec.check(
      await call(a, 'GET', `/personal-sessions/${id}`),
      'GET',
      ONE,
      200,
    );
    assert.equal(again.data.attributes.access_token, undefined);
    assert.equal(again.data.attributes.expires_at, attributes.expires_at);
  });

  it('accepts a personal token with urn:mas:admin as the caller; what it creates belongs to its actor', async () => {
    const admin = await create({
      actor_user_id: alice,
      human_name: 'alice admin',
      scope: 'urn:mas:admin',
    });
    const token = admin.data.attributes.access_token as string;
    assert.equal(admin.data.attributes.expires_at, null);
    const listed = await list('?filter[actor_user]=' + alice, 200, token);
    assert.ok(listed.meta.count >= 1);
    const owned = await create(
      { actor_user_id: bob, human_name: 'for bob', scope: 'openid', expires_in: null },
      201,
      token,
    );
    assert.equal(owned.data.attributes.owner_user_id, alice);
    assert.equal(owned.data.attributes.owner_client_id, null);
    assert.equal(owned.data.attributes.actor_user_id, bob);

    // A personal token without the scope is a 403; a malformed or unknown one a 401.
    const plain = await create({ actor_user_id: alice, human_name: 'plain', scope: 'openid' });
    await list('', 403, plain.data.attributes.access_token);
    await list('', 401, 'mpt_notavalidtoken');
    await list('', 401, `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`);
  });

  it('refuses bad creations: unknown actor 404, deactivated 410, bad scope or body 400', async () => {
    const unknown = await create({ actor_user_id: UNKNOWN, human_name: 'x', scope: 'openid' }, 404);
    assert.deepEqual(unknown, { errors: [{ title: 'User not found' }] });
    const gone = await addUser(a.h, 'gone', null);
    await a.h.db.storage.transaction((repos) => repos.users.deactivate(a.h.clock, gone));
    await create({ actor_user_id: gone.id, human_name: 'x', scope: 'openid' }, 410);
    for (const scope of ['', 'two  spaces', 'quote"d']) {
      const body = await create({ actor_user_id: alice, human_name: 'x', scope }, 400);
      assert.deepEqual(body, { errors: [{ title: 'Invalid scope' }] }, scope);
    }
    await create({ actor_user_id: 'nope', human_name: 'x', scope: 'openid' }, 400);
    await create({ actor_user_id: alice, scope: 'openid' }, 400);
    await create({ actor_user_id: alice, human_name: 'x', scope: 'openid', expires_in: -1 }, 400);
  });

  it('lists with every filter, keeping them in the links, a page at a time', async () => {
    // A fresh world of three sessions acting as carol.
    const carol = (await addUser(a.h, 'carol', null)).id;
    const ids: string[] = [];
    for (const [scope, expiresIn] of [
      ['urn:synapse:admin:* urn:matrix:client:api:*', 60],
      ['urn:matrix:client:api:*', 86400],
      ['openid', null],
    ] as const) {
      a.h.clock.advance(1000);
      const created = await create({
        actor_user_id: carol,
        human_name: `carol ${ids.length}`,
        scope,
        expires_in: expiresIn,
      });
      ids.push(created.data.id);
    }
    const mine = `?filter[actor_user]=${carol}`;
    const all = await list(mine);
    assert.equal(all.meta.count, 3);
    assert.deepEqual(
      all.data.map((s: Body) => s.id),
      ids,
    );
    assert.equal(all.data[0].type, 'personal-session');

    const first = await list(`${mine}&page[first]=2`);
    assert.deepEqual(
      first.data.map((s: Body) => s.id),
      ids.slice(0, 2),
    );
    assert.equal(
      first.links.next,
      `${LIST}?filter[actor_user]=${carol}&page[after]=${ids[1]}&page[first]=2`,
    );
    const last = await list(`${mine}&page[last]=1`);
    assert.deepEqual(
      last.data.map((s: Body) => s.id),
      [ids[2]],
    );

    const scoped = await list(`${mine}&filter[scope]=urn:matrix:client:api:*`);
    assert.deepEqual(
      scoped.data.map((s: Body) => s.id),
      ids.slice(0, 2),
    );
    const both = await list(
      `${mine}&filter[scope]=urn:matrix:client:api:*&filter[scope]=urn:synapse:admin:*`,
    );
    assert.deepEqual(
      both.data.map((s: Body) => s.id),
      [ids[0]],
    );
    assert.equal(
      both.links.self,
      `${LIST}?filter[actor_user]=${carol}&filter[scope]=urn%3Amatrix%3Aclient%3Aapi%3A*` +
        `&filter[scope]=urn%3Asynapse%3Aadmin%3A*&page[first]=10`,
    );
    const soon = new Date(a.h.clock.now().getTime() + 3600_000).toISOString();
    const before = await list(`${mine}&filter[expires_before]=${soon}`);
    assert.deepEqual(
      before.data.map((s: Body) => s.id),
      [ids[0]],
    );
    const afterSoon = await list(`${mine}&filter[expires_after]=${soon}`);
    assert.deepEqual(
      afterSoon.data.map((s: Body) => s.id),
      [ids[1]],
    );
    const never = await list(`${mine}&filter[expires]=false`);
    assert.deepEqual(
      never.data.map((s: Body) => s.id),
      [ids[2]],
    );
    assert.equal((await list(`${mine}&filter[expires]=true`)).meta.count, 2);
    const byClient = await list(`${mine}&filter[owner_client]=${ADMIN_CLIENT_ID}`);
    assert.equal(byClient.meta.count, 3);
    assert.equal((await list(`${mine}&filter[owner_user]=${alice}`)).meta.count, 0);
    assert.equal((await list(`${mine}&filter[status]=revoked`)).meta.count, 0);
    assert.equal((await list(`${mine}&filter[status]=active`)).meta.count, 3);
    const counted = await list(`${mine}&count=only`);
    assert.equal(counted.meta.count, 3);
    assert.equal(counted.data, undefined);
  });

  it('refuses bad filters with 400 and unknown users or clients with 404', async () => {
    for (const query of [
      '?filter[owner_user]=nope',
      '?filter[owner_client]=nope',
      '?filter[actor_user]=nope',
      '?filter[status]=finished',
      '?filter[scope]=bad"scope',
      '?filter[expires_before]=yesterday',
      '?filter[expires_after]=2026-13-01T00:00:00Z',
      '?filter[expires]=maybe',
      '?page[first]=0',
    ]) {
      const body = await list(query, 400);
      assert.equal(body.errors.length, 1, query);
    }
    assert.deepEqual(await list(`?filter[owner_user]=${UNKNOWN}`, 404), {
      errors: [{ title: `User ID ${UNKNOWN} not found` }],
    });
    assert.deepEqual(await list(`?filter[actor_user]=${UNKNOWN}`, 404), {
      errors: [{ title: `User ID ${UNKNOWN} not found` }],
    });
    assert.deepEqual(await list(`?filter[owner_client]=${UNKNOWN}`, 404), {
      errors: [{ title: `Client ID ${UNKNOWN} not found` }],
    });
  });

  it('gets one session; 404 when unknown, 400 when malformed, 401/403 without a good token', async () => {
    await spec.check(await call(a, 'GET', `/personal-sessions/${UNKNOWN}`), 'GET', ONE, 404);
    await spec.check(await call(a, 'GET', '/personal-sessions/zzz'), 'GET', ONE, 400);
    await spec.check(
      await call(a, 'GET', `/personal-sessions/${UNKNOWN}`, { token: null }),
      'GET',
      ONE,
      401,
    );
    await spec.check(
      await call(a, 'GET', `/personal-sessions/${UNKNOWN}`, { token: a.plainToken }),
      'GET',
      ONE,
      403,
    );
    await list('', 401, null);
    await list('', 403, a.plainToken);
  });

  it('regenerates: a new token, the old one dead; only the owner may; not a revoked session', async () => {
    const created = await create({ actor_user_id: bob, human_name: 'rot', scope: 'openid' });
    const id = created.data.id as string;
    const old = created.data.attributes.access_token as string;
    a.h.clock.advance(1000);
    const regenerated = await spec.check(
      await call(a, 'POST', `/personal-sessions/${id}/regenerate`, { body: { expires_in: 60 } }),
      'POST',
      REGENERATE,
      201,
    );
    const fresh = regenerated.data.attributes.access_token as string;
    assert.equal(checkToken(fresh), 'personalAccessToken');
    assert.notEqual(fresh, old);
    assert.equal(regenerated.data.id, id);
    assert.equal(
      regenerated.data.attributes.expires_at,
      new Date(a.h.clock.now().getTime() + 60_000).toISOString(),
    );
    assert.equal((await introspect(old)).active, false);
    assert.equal((await introspect(fresh)).active, true);
    // Expiry: inactive once the lifetime has passed.
    a.h.clock.advance(61_000);
    assert.equal((await introspect(fresh)).active, false);

    // A session a user owns may be regenerated by that user only.
    const aliceAdmin = await create({
      actor_user_id: alice,
      human_name: 'alice again',
      scope: 'urn:mas:admin',
    });
    const aliceToken = aliceAdmin.data.attributes.access_token as string;
    const hers = await create(
      { actor_user_id: alice, human_name: 'hers', scope: 'openid' },
      201,
      aliceToken,
    );
    const forbidden = await spec.check(
      await call(a, 'POST', `/personal-sessions/${hers.data.id}/regenerate`, { body: {} }),
      'POST',
      REGENERATE,
      403,
    );
    assert.deepEqual(forbidden, { errors: [{ title: 'Session does not belong to you' }] });
    await spec.check(
      await call(a, 'POST', `/personal-sessions/${hers.data.id}/regenerate`, {
        body: {},
        token: aliceToken,
      }),
      'POST',
      REGENERATE,
      201,
    );
    await spec.check(
      await call(a, 'POST', `/personal-sessions/${UNKNOWN}/regenerate`, { body: {} }),
      'POST',
      REGENERATE,
      404,
    );
    await spec.check(
      await call(a, 'POST', `/personal-sessions/${id}/regenerate`, {
        body: { expires_in: 'soon' },
      }),
      'POST',
      REGENERATE,
      400,
    );
    await call(a, 'POST', `/personal-sessions/${id}/revoke`);
    const invalid = await spec.check(
      await call(a, 'POST', `/personal-sessions/${id}/regenerate`, { body: {} }),
      'POST',
      REGENERATE,
      422,
    );
    assert.deepEqual(invalid, { errors: [{ title: 'Session not valid' }] });
  });

  it('revokes a session: its token is dead at once, and again is a 409', async () => {
    const created = await create({
      actor_user_id: bob,
      human_name: 'to revoke',
      scope: 'urn:mas:admin',
    });
    const id = created.data.id as string;
    const token = created.data.attributes.access_token as string;
    assert.equal((await introspect(token)).active, true);
    await list('', 200, token);
    a.h.clock.advance(1000);
    const revoked = await spec.check(
      await call(a, 'POST', `/personal-sessions/${id}/revoke`),
      'POST',
      REVOKE,
      200,
    );
    assert.equal(revoked.data.attributes.revoked_at, a.h.clock.now().toISOString());
    assert.equal(revoked.data.attributes.expires_at, null);
    assert.equal((await introspect(token)).active, false);
    await list('', 401, token);
    const again = await spec.check(
      await call(a, 'POST', `/personal-sessions/${id}/revoke`),
      'POST',
      REVOKE,
      409,
    );
    assert.deepEqual(again, {
      errors: [{ title: `Personal session with ID ${id} is already revoked` }],
    });
    await spec.check(
      await call(a, 'POST', `/personal-sessions/${UNKNOWN}/revoke`),
      'POST',
      REVOKE,
      404,
    );
    const listed = await list(`?filter[status]=revoked&filter[actor_user]=${bob}`);
    assert.ok(listed.data.some((s: Body) => s.id === id));
  });

  it('a locked actor makes the token inactive and refused by the Admin API', async () => {
    const dave = await addUser(a.h, 'dave', null);
    const created = await create({
      actor_user_id: dave.id,
      human_name: 'dave',
      scope: 'urn:mas:admin',
    });
    const token = created.data.attributes.access_token as string;
    await list('', 200, token);
    await a.h.db.storage.transaction((repos) => repos.users.lock(a.h.clock, dave));
    assert.equal((await introspect(token)).active, false);
    await list('', 401, token);
  });
});
