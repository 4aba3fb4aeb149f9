// The Admin API's user emails through a real app: the list with its filters and pages (links
// keep the filters), one address by id, and 400/401/403/404, every answer checked against the
// served /api/spec.json.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser } from '../../helpers/app.ts';
import { call, SpecChecker, startAdminApp, type AdminApp, type Body } from './admin-app.ts';

const LIST = '/api/admin/v1/user-emails';
const ONE = '/api/admin/v1/user-emails/{id}';
const UNKNOWN = '01J00000000000000000000000';

describe('admin API: user emails', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  const users: Record<string, string> = {};
  const emails: string[] = [];
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    for (const name of ['alice', 'bob']) users[name] = (await addUser(a.h, name, null)).id;
    for (const [name, email] of [
      ['alice', 'alice@example.com'],
      ['bob', 'Bob@Example.com'],
      ['alice', 'alice2@example.com'],
      ['alice', 'alice3@example.com'],
    ] as const) {
      a.h.clock.advance(1000);
      const added = await a.h.db.storage.transaction(async (repos) =>
        repos.userEmails.add(
          a.h.ctx.rng,
          a.h.clock,
          (await repos.users.lookup(users[name] as never))!,
          email,
        ),
      );
      emails.push(added.id);
    }
  });
  after(() => a.close());

  const list = async (query: string, status = 200, token?: string | null) =>
    spec.check(await call(a, 'GET', `/user-emails${query}`, { token }), 'GET', LIST, status);

  it('lists every address a page at a time, with links and the count', async () => {
    const first = await list('?page[first]=3');
    assert.equal(first.meta.count, 4);
    assert.deepEqual(
      first.data.map((e: Body) => e.id),
      emails.slice(0, 3),
    );
    assert.equal(first.data[0].type, 'user-email');
    assert.equal(first.data[0].attributes.user_id, users.alice);
    assert.equal(first.data[0].attributes.email, 'alice@example.com');
    assert.equal(first.data[0].links.self, `${LIST}/${emails[0]}`);
    assert.equal(first.links.next, `${LIST}?page[after]=${emails[2]}&page[first]=3`);
    const second = await list(`?page[after]=${emails[2]}&page[first]=3`);
    assert.deepEqual(
      second.data.map((e: Body) => e.id),
      [emails[3]],
    );
    assert.equal(second.links.next, undefined);
    assert.equal(second.links.prev, `${LIST}?page[before]=${emails[3]}&page[first]=3`);
    const last = await list('?page[last]=1');
    assert.deepEqual(
      last.data.map((e: Body) => e.id),
      [emails[3]],
    );
  });

  it('filters on the user and the address, keeping the filters in the links', async () => {
    const alice = await list(`?filter[user]=${users.alice}&page[first]=2`);
    assert.equal(alice.meta.count, 3);
    assert.deepEqual(
      alice.data.map((e: Body) => e.attributes.email),
      ['alice@example.com', 'alice2@example.com'],
    );
    assert.equal(
      alice.links.next,
      `${LIST}?filter[user]=${users.alice}&page[after]=${emails[2]}&page[first]=2`,
    );
    const bob = await list('?filter[email]=bob@example.com');
    assert.equal(bob.meta.count, 1);
    assert.equal(bob.data[0].attributes.user_id, users.bob);
    assert.equal(bob.links.self, `${LIST}?filter[email]=bob%40example.com&page[first]=10`);
    const none = await list(`?filter[user]=${users.bob}&filter[email]=alice@example.com`);
    assert.equal(none.meta.count, 0);
    assert.deepEqual(none.data, []);
  });

  it('refuses bad filters with 400 and an unknown user with 404', async () => {
    for (const query of [
      '?filter[user]=nope',
      '?page[first]=0',
      `?filter[user]=${UNKNOWN}&filter[user]=${UNKNOWN}`,
    ]) {
      const body = await list(query, 400);
      assert.equal(body.errors.length, 1, query);
    }
    const unknown = await list(`?filter[user]=${UNKNOWN}`, 404);
    assert.deepEqual(unknown, { errors: [{ title: `User ID ${UNKNOWN} not found` }] });
  });

  it('gets one address; 404 when unknown, 400 when malformed', async () => {
    const one = await spec.check(
      await call(a, 'GET', `/user-emails/${emails[1]}`),
      'GET',
      ONE,
      200,
    );
    assert.equal(one.data.id, emails[1]);
    assert.equal(one.data.attributes.email, 'Bob@Example.com');
    assert.equal(one.links.self, `${LIST}/${emails[1]}`);
    await spec.check(await call(a, 'GET', `/user-emails/${UNKNOWN}`), 'GET', ONE, 404);
    await spec.check(await call(a, 'GET', '/user-emails/zzz'), 'GET', ONE, 400);
  });

  it('refuses a missing token with 401 and a token without the scope with 403', async () => {
    await list('', 401, null);
    await list('', 403, a.plainToken);
    const one = (token: string | null) => call(a, 'GET', `/user-emails/${emails[0]}`, { token });
    await spec.check(await one(null), 'GET', ONE, 401);
    await spec.check(await one(a.plainToken), 'GET', ONE, 403);
  });
});
