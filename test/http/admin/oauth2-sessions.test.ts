// The Admin API's OAuth 2.0 sessions through a real app: the list with its filters (user, client,
// status) and pages, one session by id, and 400/401/403/404, every answer checked against the
// served /api/spec.json. The admin's and the plain client's own client_credentials sessions are
// in the lists too.

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

const LIST = '/api/admin/v1/oauth2-sessions';
const ONE = '/api/admin/v1/oauth2-sessions/{id}';
const UNKNOWN = '01J00000000000000000000000';

describe('admin API: OAuth 2.0 sessions', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  let alice = '';
  const own: string[] = [];
  const sessions: string[] = [];
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    own.push(
      ...(
        await a.h.db.storage.connection.db
          .selectFrom('oauth2_sessions')
          .select('id')
          .orderBy('id')
          .execute()
      ).map((row) => row.id),
    );
    alice = (await addUser(a.h, 'alice', null)).id;
    for (let i = 0; i < 3; i += 1) {
      a.h.clock.advance(1000);
      const session = await a.h.db.storage.transaction((repos) =>
        repos.oauth2Sessions.add(a.h.ctx.rng, a.h.clock, {
          clientId: ADMIN_CLIENT_ID,
          userId: alice as never,
          browserSessionId: null,
          scope: 'openid urn:matrix:client:api:*',
          userAgent: 'Element',
        }),
      );
      sessions.push(session.id);
    }
    await a.h.db.storage.transaction(async (repos) => {
      const last = await repos.oauth2Sessions.lookup(sessions[2] as never);
      await repos.oauth2Sessions.finish(a.h.clock, last!);
    });
  });
  after(() => a.close());

  const list = async (query: string, status = 200, token?: string | null) =>
    spec.check(await call(a, 'GET', `/oauth2-sessions${query}`, { token }), 'GET', LIST, status);

  it('lists every session a page at a time, with links and the count', async () => {
    assert.equal(own.length, 2);
    const first = await list('?page[first]=2');
    assert.equal(first.meta.count, 5);
    assert.deepEqual(
      first.data.map((s: Body) => s.id),
      own,
    );
    assert.equal(first.data[0].type, 'oauth2-session');
    assert.equal(first.data[0].attributes.user_id, null);
    const second = await list(`?page[after]=${own[1]}&page[first]=2`);
    assert.deepEqual(
      second.data.map((s: Body) => s.id),
      sessions.slice(0, 2),
    );
    assert.equal(second.data[0].attributes.user_id, alice);
    assert.equal(second.data[0].attributes.client_id, ADMIN_CLIENT_ID);
    assert.equal(second.data[0].attributes.user_agent, 'Element');
    assert.equal(second.links.next, `${LIST}?page[after]=${sessions[1]}&page[first]=2`);
    assert.equal(second.links.prev, `${LIST}?page[before]=${sessions[0]}&page[first]=2`);
    const third = await list(`?page[after]=${sessions[1]}&page[first]=2`);
    assert.deepEqual(
      third.data.map((s: Body) => s.id),
      [sessions[2]],
    );
    assert.equal(third.links.next, undefined);
  });

  it('filters on user, client and status, keeping the filters in the links', async () => {
    const mine = await list(`?filter[user]=${alice}&page[first]=1`);
    assert.equal(mine.meta.count, 3);
    assert.equal(
      mine.links.next,
      `${LIST}?filter[user]=${alice}&page[after]=${sessions[0]}&page[first]=1`,
    );
    const client = await list(`?filter[client]=${ADMIN_CLIENT_ID}`);
    assert.equal(client.meta.count, 4);
    const finished = await list('?filter[status]=finished');
    assert.deepEqual(
      finished.data.map((s: Body) => s.id),
      [sessions[2]],
    );
    assert.notEqual(finished.data[0].attributes.finished_at, null);
    const active = await list(`?filter[user]=${alice}&filter[status]=active`);
    assert.equal(active.meta.count, 2);
    assert.equal(
      active.links.self,
      `${LIST}?filter[user]=${alice}&filter[status]=active&page[first]=10`,
    );
  });

  it('refuses bad filters with 400 and an unknown user or client with 404', async () => {
    for (const query of [
      '?filter[user]=nope',
      '?filter[client]=nope',
      '?filter[status]=asleep',
      '?page[last]=0',
    ]) {
      const body = await list(query, 400);
      assert.equal(body.errors.length, 1, query);
    }
    const user = await list(`?filter[user]=${UNKNOWN}`, 404);
    assert.deepEqual(user, { errors: [{ title: `User ID ${UNKNOWN} not found` }] });
    const client = await list(`?filter[client]=${UNKNOWN}`, 404);
    assert.deepEqual(client, { errors: [{ title: `Client ID ${UNKNOWN} not found` }] });
  });

  it('gets one session; 404 when unknown, 400 when malformed', async () => {
    const one = await spec.check(
      await call(a, 'GET', `/oauth2-sessions/${sessions[2]}`),
      'GET',
      ONE,
      200,
    );
    assert.equal(one.data.id, sessions[2]);
    assert.equal(one.data.attributes.scope, 'openid urn:matrix:client:api:*');
    assert.notEqual(one.data.attributes.finished_at, null);
    assert.equal(one.links.self, `${LIST}/${sessions[2]}`);
    await spec.check(await call(a, 'GET', `/oauth2-sessions/${UNKNOWN}`), 'GET', ONE, 404);
    await spec.check(await call(a, 'GET', '/oauth2-sessions/zzz'), 'GET', ONE, 400);
  });

  it('refuses a missing token with 401 and a token without the scope with 403', async () => {
    await list('', 401, null);
    await list('', 403, a.plainToken);
    const one = (token: string | null) =>
      call(a, 'GET', `/oauth2-sessions/${sessions[0]}`, { token });
    await spec.check(await one(null), 'GET', ONE, 401);
    await spec.check(await one(a.plainToken), 'GET', ONE, 403);
  });
});
