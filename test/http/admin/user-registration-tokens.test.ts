// The Admin API's user registration tokens through a real app: creation (given or random text,
// a duplicate is 409), the list with its state filters and pages, one token by id, revoke and
// unrevoke (400 when already so), and 400/401/403/404, every answer checked against the served
// /api/spec.json.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, SpecChecker, startAdminApp, type AdminApp, type Body } from './admin-app.ts';

const LIST = '/api/admin/v1/user-registration-tokens';
const ONE = '/api/admin/v1/user-registration-tokens/{id}';
const UNKNOWN = '01J00000000000000000000000';

describe('admin API: user registration tokens', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  const ids: Record<string, string> = {};
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    const { clock, rng } = a.h.ctx;
    for (const [name, usageLimit, expiresInMs] of [
      ['welcome', 2, null],
      ['random', null, null],
      ['soon', null, 60_000],
    ] as const) {
      a.h.clock.advance(1000);
      const token = await a.h.db.storage.transaction((repos) =>
        repos.registrationTokens.add(rng, clock, {
          token: name,
          usageLimit,
          expiresAt: expiresInMs === null ? null : new Date(clock.now().getTime() + expiresInMs),
        }),
      );
      ids[name] = token!.id;
    }
    // `soon` is now expired.
    a.h.clock.advance(120_000);
  });
  after(() => a.close());

  const list = async (query: string, status = 200, token?: string | null) =>
    spec.check(
      await call(a, 'GET', `/user-registration-tokens${query}`, { token }),
      'GET',
      LIST,
      status,
    );
  const act = async (action: string, id: string, status: number, token?: string | null) =>
    spec.check(
      await call(a, 'POST', `/user-registration-tokens/${id}/${action}`, { token }),
      'POST',
      `${ONE}/${action}`,
      status,
    );

  it('lists tokens a page at a time and filters on their state', async () => {
    const first = await list('?page[first]=2');
    assert.equal(first.meta.count, 3);
    assert.deepEqual(
      first.data.map((t: Body) => t.id),
      [ids.welcome, ids.random],
    );
    assert.equal(first.links.next, `${LIST}?page[after]=${ids.random}&page[first]=2`);
    const second = await list(`?page[after]=${ids.random}&page[first]=2`);
    assert.deepEqual(
      second.data.map((t: Body) => t.id),
      [ids.soon],
    );
    assert.equal(second.data[0].attributes.valid, false);
    const expired = await list('?filter[expired]=true');
    assert.deepEqual(
      expired.data.map((t: Body) => t.id),
      [ids.soon],
    );
    const valid = await list('?filter[valid]=true&page[first]=1');
    assert.equal(valid.meta.count, 2);
    assert.equal(
      valid.links.next,
      `${LIST}?filter[valid]=true&page[after]=${ids.welcome}&page[first]=1`,
    );
    const unused = await list('?filter[used]=false&filter[revoked]=false');
    assert.equal(unused.meta.count, 3);
    for (const query of ['?filter[valid]=yes', '?filter[used]=1', '?page[first]=101']) {
      const body = await list(query, 400);
      assert.equal(body.errors.length, 1, query);
    }
  });

  it('gets one token; 404 when unknown, 400 when malformed', async () => {
    const one = await spec.check(
      await call(a, 'GET', `/user-registration-tokens/${ids.welcome}`),
      'GET',
      ONE,
      200,
    );
    assert.equal(one.data.attributes.token, 'welcome');
    const unknown = await spec.check(
      await call(a, 'GET', `/user-registration-tokens/${UNKNOWN}`),
      'GET',
      ONE,
      404,
    );
    assert.deepEqual(unknown, {
      errors: [{ title: `Registration token with ID ${UNKNOWN} not found` }],
    });
    await spec.check(await call(a, 'GET', '/user-registration-tokens/zzz'), 'GET', ONE, 400);
  });

  it('revokes and unrevokes, refusing to do either twice', async () => {
    const revoked = await act('revoke', ids.welcome!, 200);
    assert.notEqual(revoked.data.attributes.revoked_at, null);
    assert.equal(revoked.data.attributes.valid, false);
    const again = await act('revoke', ids.welcome!, 400);
    assert.match(again.errors[0].title, /already revoked/);
    const listed = await list('?filter[revoked]=true');
    assert.deepEqual(
      listed.data.map((t: Body) => t.id),
      [ids.welcome],
    );
    const unrevoked = await act('unrevoke', ids.welcome!, 200);
    assert.equal(unrevoked.data.attributes.revoked_at, null);
    assert.equal(unrevoked.data.attributes.valid, true);
    const notRevoked = await act('unrevoke', ids.welcome!, 400);
    assert.match(notRevoked.errors[0].title, /is not revoked/);
    for (const action of ['revoke', 'unrevoke']) {
      await act(action, UNKNOWN, 404);
      await act(action, 'zzz', 400);
    }
  });

  it('refuses a missing token with 401 and a token without the scope with 403', async () => {
    await list('', 401, null);
    await list('', 403, a.plainToken);
    await act('revoke', ids.random!, 401, null);
    await act('unrevoke', ids.random!, 403, a.plainToken);
    const one = (token: string | null) =>
      call(a, 'GET', `/user-registration-tokens/${ids.random}`, { token });
    await spec.check(await one(null), 'GET', ONE, 401);
    await spec.check(await one(a.plainToken), 'GET', ONE, 403);
    const all = await list('');
    assert.equal(all.meta.count, 3);
  });
});

describe('admin API: create a user registration token', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
  });
  after(() => a.close());

  const create = async (body: unknown, status: number, token?: string | null) =>
    spec.check(
      await call(a, 'POST', '/user-registration-tokens', { body, token }),
      'POST',
      LIST,
      status,
    );

  it('creates tokens with given or random text; the same text twice is a 409', async () => {
    const given = await create({ token: 'welcome', usage_limit: 2 }, 201);
    assert.equal(given.data.type, 'user-registration_token');
    assert.equal(given.data.attributes.token, 'welcome');
    assert.equal(given.data.attributes.usage_limit, 2);
    assert.equal(given.data.attributes.times_used, 0);
    assert.equal(given.data.attributes.valid, true);
    assert.equal(given.links.self, `${LIST}/${given.data.id}`);

    a.h.clock.advance(1000);
    const random = await create({}, 201);
    assert.match(random.data.attributes.token, /^[A-Za-z0-9]{12}$/);
    assert.equal(random.data.attributes.usage_limit, null);

    a.h.clock.advance(1000);
    const expiresAt = new Date(a.h.clock.now().getTime() + 60_000).toISOString();
    const expiring = await create({ token: 'soon', expires_at: expiresAt }, 201);
    assert.equal(expiring.data.attributes.expires_at, expiresAt);

    const duplicate = await create({ token: 'welcome' }, 409);
    assert.deepEqual(duplicate, {
      errors: [{ title: 'A registration token with the same token already exists' }],
    });
    await create({ usage_limit: -1 }, 400);
    await create({ expires_at: 'tomorrow' }, 400);
    await create({ token: '' }, 400);
  });

  it('refuses a missing token with 401 and a token without the scope with 403', async () => {
    await create({ token: 'sneaky' }, 401, null);
    await create({ token: 'sneaky' }, 403, a.plainToken);
    const found = await a.h.db.storage.transaction((repos) =>
      repos.registrationTokens.findByToken('sneaky'),
    );
    assert.equal(found, null);
  });
});
