// The Admin API's user routes, site-config, version and the docs through a real app: each route's
// success and failures (400, 401, 403, 404), pagination across pages with filters, the queued
// homeserver jobs, and every answer checked against the served /api/spec.json.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser } from '../../helpers/app.ts';
import { call, SpecChecker, startAdminApp, type AdminApp, type Body } from './admin-app.ts';

const UNKNOWN = '01J00000000000000000000000';

describe('admin API: authentication', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
  });
  after(() => a.close());

  it('refuses a missing or unknown token with 401 and a token without the scope with 403', async () => {
    const missing = await call(a, 'GET', '/users', { token: null });
    await spec.check(missing, 'GET', '/api/admin/v1/users', 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    const bogus = await call(a, 'GET', '/users', { token: 'mat_notarealtoken' });
    const body = await spec.check(bogus, 'GET', '/api/admin/v1/users', 401);
    assert.deepEqual(body, { errors: [{ title: 'Invalid access token' }] });
    const plain = await call(a, 'GET', '/version', { token: a.plainToken });
    await spec.check(plain, 'GET', '/api/admin/v1/version', 403);
    const write = await call(a, 'POST', `/users/${UNKNOWN}/lock`, { token: a.plainToken });
    await spec.check(write, 'POST', '/api/admin/v1/users/{id}/lock', 403);
  });

  it('refuses an expired admin token with 401', async () => {
    a.h.clock.advance(3600 * 1000);
    const response = await call(a, 'GET', '/version');
    await spec.check(response, 'GET', '/api/admin/v1/version', 401);
  });
});

describe('admin API: users', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  const ids: Record<string, string> = {};
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) {
      ids[name] = (await addUser(a.h, name, null)).id;
      a.h.clock.advance(1000);
    }
    await a.h.db.storage.transaction(async (repos) => {
      const bob = await repos.users.lookup(ids.bob as never);
      await repos.users.setCanRequestAdmin(bob!, true);
      const carol = await repos.users.lookup(ids.carol as never);
      await repos.users.lock(a.h.clock, carol!);
    });
  });
  after(() => a.close());

  const list = async (query: string, status = 200) =>
    spec.check(await call(a, 'GET', `/users${query}`), 'GET', '/api/admin/v1/users', status);

  it('lists users a page at a time, forwards and backwards, with links and the count', async () => {
    const first = await list('?page[first]=2');
    assert.equal(first.meta.count, 5);
    assert.deepEqual(
      first.data.map((u: Body) => u.attributes.username),
      ['alice', 'bob'],
    );
    assert.equal(first.data[0].type, 'user');
    assert.equal(first.data[0].links.self, `/api/admin/v1/users/${ids.alice}`);
    assert.equal(first.data[1].meta.page.cursor, ids.bob);
    assert.equal(first.links.self, '/api/admin/v1/users?page[first]=2');
    assert.equal(first.links.next, `/api/admin/v1/users?page[after]=${ids.bob}&page[first]=2`);
    assert.equal(first.links.prev, undefined);

    const second = await list(`?page[after]=${ids.bob}&page[first]=2`);
    assert.deepEqual(
      second.data.map((u: Body) => u.attributes.username),
      ['carol', 'dave'],
    );
    const third = await list(`?page[after]=${ids.dave}&page[first]=2`);
    assert.deepEqual(
      third.data.map((u: Body) => u.attributes.username),
      ['erin'],
    );
    assert.equal(third.links.next, undefined);
    assert.equal(third.links.prev, `/api/admin/v1/users?page[before]=${ids.erin}&page[first]=2`);

    const last = await list('?page[last]=2');
    assert.deepEqual(
      last.data.map((u: Body) => u.attributes.username),
      ['dave', 'erin'],
    );
    assert.equal(last.links.prev, `/api/admin/v1/users?page[before]=${ids.dave}&page[last]=2`);
    const everyone = await list('');
    assert.equal(everyone.data.length, 5);
  });

  it('filters on admin and status, and keeps the filters in the links', async () => {
    const admins = await list('?filter[admin]=true');
    assert.deepEqual(
      admins.data.map((u: Body) => u.attributes.username),
      ['bob'],
    );
    assert.equal(admins.data[0].attributes.admin, true);
    assert.equal(admins.meta.count, 1);
    assert.equal(admins.links.first, '/api/admin/v1/users?filter[admin]=true&page[first]=10');
    const locked = await list('?filter[status]=locked');
    assert.deepEqual(
      locked.data.map((u: Body) => u.attributes.username),
      ['carol'],
    );
    assert.notEqual(locked.data[0].attributes.locked_at, null);
    const active = await list('?filter[status]=active&page[first]=1');
    assert.equal(active.meta.count, 4);
    assert.ok(
      active.links.next?.startsWith('/api/admin/v1/users?filter[status]=active&page[after]='),
    );
  });

  it('refuses bad filters and page parameters with 400', async () => {
    for (const query of [
      '?filter[admin]=yes',
      '?filter[status]=asleep',
      '?page[first]=0',
      '?page[first]=1000',
      '?page[first]=2&page[last]=2',
      '?page[after]=nope',
      '?filter[status]=active&filter[status]=locked',
    ]) {
      const body = await list(query, 400);
      assert.equal(body.errors.length, 1, query);
    }
  });

  it('gets a user by id and by username; 404 for unknown ones, 400 for a malformed id', async () => {
    const byId = await spec.check(
      await call(a, 'GET', `/users/${ids.alice}`),
      'GET',
      '/api/admin/v1/users/{id}',
      200,
    );
    assert.equal(byId.data.id, ids.alice);
    assert.equal(byId.data.attributes.username, 'alice');
    assert.equal(byId.links.self, `/api/admin/v1/users/${ids.alice}`);
    const byName = await spec.check(
      await call(a, 'GET', '/users/by-username/bob'),
      'GET',
      '/api/admin/v1/users/by-username/{username}',
      200,
    );
    assert.equal(byName.data.id, ids.bob);
    assert.equal(byName.links.self, '/api/admin/v1/users/by-username/bob');
    await spec.check(
      await call(a, 'GET', `/users/${UNKNOWN}`),
      'GET',
      '/api/admin/v1/users/{id}',
      404,
    );
    await spec.check(
      await call(a, 'GET', '/users/by-username/nobody'),
      'GET',
      '/api/admin/v1/users/by-username/{username}',
      404,
    );
    await spec.check(
      await call(a, 'GET', '/users/not-a-ulid'),
      'GET',
      '/api/admin/v1/users/{id}',
      400,
    );
  });

  it('sets and clears admin rights', async () => {
    const path = '/api/admin/v1/users/{id}/set-admin';
    const set = await spec.check(
      await call(a, 'POST', `/users/${ids.dave}/set-admin`, { body: { admin: true } }),
      'POST',
      path,
      200,
    );
    assert.equal(set.data.attributes.admin, true);
    const cleared = await spec.check(
      await call(a, 'POST', `/users/${ids.dave}/set-admin`, { body: { admin: false } }),
      'POST',
      path,
      200,
    );
    assert.equal(cleared.data.attributes.admin, false);
    await spec.check(
      await call(a, 'POST', `/users/${ids.dave}/set-admin`, { body: { admin: 'yes' } }),
      'POST',
      path,
      400,
    );
    await spec.check(
      await call(a, 'POST', `/users/${UNKNOWN}/set-admin`, { body: { admin: true } }),
      'POST',
      path,
      404,
    );
  });

  it('locks, unlocks, deactivates and reactivates, queueing the homeserver jobs', async () => {
    const post = async (action: string, id: string, status = 200) =>
      spec.check(
        await call(a, 'POST', `/users/${id}/${action}`),
        'POST',
        `/api/admin/v1/users/{id}/${action}`,
        status,
      );
    const locked = await post('lock', ids.erin!);
    assert.notEqual(locked.data.attributes.locked_at, null);
    const unlocked = await post('unlock', ids.erin!);
    assert.equal(unlocked.data.attributes.locked_at, null);
    const deactivating = await post('deactivate', ids.erin!);
    assert.notEqual(deactivating.data.attributes.locked_at, null);
    await post('reactivate', ids.erin!);
    const queued = await a.h.db.storage.connection.db
      .selectFrom('queue_jobs')
      .select(['queue_name', 'payload'])
      .execute();
    const names = queued.map((row) => row.queue_name);
    for (const name of ['deactivate-user', 'reactivate-user', 'provision-user']) {
      assert.ok(names.includes(name), `${name} queued: ${names.join()}`);
    }
    for (const action of ['lock', 'unlock', 'deactivate', 'reactivate']) {
      await post(action, UNKNOWN, 404);
      await post(action, 'zzz', 400);
    }
  });

  it('sets a password, checking its complexity unless told not to', async () => {
    const path = '/api/admin/v1/users/{id}/set-password';
    const setPassword = (id: string, body: unknown) =>
      call(a, 'POST', `/users/${id}/set-password`, { body });
    await spec.check(
      await setPassword(ids.alice!, { password: 'correct horse battery staple 42' }),
      'POST',
      path,
      204,
    );
    const hash = await a.h.db.storage.transaction(async (repos) =>
      repos.userPasswords.active((await repos.users.lookup(ids.alice as never))!),
    );
    assert.ok(hash !== null);
    assert.ok(
      await a.h.ctx.passwords.verify(
        hash.version,
        hash.hashedPassword,
        'correct horse battery staple 42',
      ),
    );
    const weak = await spec.check(
      await setPassword(ids.bob!, { password: 'password' }),
      'POST',
      path,
      400,
    );
    assert.match(weak.errors[0].title, /weak/);
    await spec.check(
      await setPassword(ids.bob!, { password: 'password', skip_password_check: true }),
      'POST',
      path,
      204,
    );
    await spec.check(await setPassword(ids.bob!, {}), 'POST', path, 400);
    await spec.check(
      await setPassword(UNKNOWN, { password: 'correct horse battery staple 42' }),
      'POST',
      path,
      404,
    );
  });
});

describe('admin API: site-config, version, spec and docs', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
  });
  after(() => a.close());

  it('answers the site configuration and the version', async () => {
    const config = await spec.check(
      await call(a, 'GET', '/site-config'),
      'GET',
      '/api/admin/v1/site-config',
      200,
    );
    assert.equal(config.server_name, 'example.test');
    assert.equal(typeof config.minimum_password_complexity, 'number');
    const version = await spec.check(
      await call(a, 'GET', '/version'),
      'GET',
      '/api/admin/v1/version',
      200,
    );
    assert.match(version.version, /^\d+\.\d+\.\d+/);
  });

  it('serves an OpenAPI 3.1 document of every route and a page linking it', async () => {
    const document = await spec.spec();
    assert.equal(document.openapi, '3.1.0');
    const paths = Object.keys(document.paths as object);
    for (const path of [
      '/api/admin/v1/users',
      '/api/admin/v1/users/{id}',
      '/api/admin/v1/users/by-username/{username}',
      '/api/admin/v1/users/{id}/set-password',
      '/api/admin/v1/users/{id}/deactivate',
      '/api/admin/v1/site-config',
      '/api/admin/v1/version',
    ]) {
      assert.ok(paths.includes(path), path);
    }
    assert.ok(JSON.stringify(document).includes('#/components/schemas/User'));
    assert.ok(!JSON.stringify(document).includes('#/$defs/'));
    const page = await a.h.app.inject({ method: 'GET', url: '/api/doc/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.body, /href="\.\.\/spec\.json"/);
  });
});
