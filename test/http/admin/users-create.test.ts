// `POST /api/admin/v1/users` through a real app: creation (201, the user as MAS shows it, the
// provision-user job queued), a taken username (409), invalid usernames and bodies (400), and
// 401/403, every answer checked against the served /api/spec.json.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser } from '../../helpers/app.ts';
import { call, SpecChecker, startAdminApp, type AdminApp } from './admin-app.ts';

const PATH = '/api/admin/v1/users';

describe('admin API: create a user', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    await addUser(a.h, 'alice', null);
  });
  after(() => a.close());

  const create = async (body: unknown, status: number, token?: string | null) =>
    spec.check(await call(a, 'POST', '/users', { body, token }), 'POST', PATH, status);

  it('creates an active user and queues its provisioning on the homeserver', async () => {
    const created = await create({ username: 'newbie' }, 201);
    assert.equal(created.data.type, 'user');
    assert.equal(created.data.attributes.username, 'newbie');
    assert.equal(created.data.attributes.locked_at, null);
    assert.equal(created.data.attributes.admin, false);
    assert.equal(created.links.self, `${PATH}/${created.data.id}`);
    const stored = await a.h.db.storage.transaction((repos) =>
      repos.users.findByUsername('newbie'),
    );
    assert.equal(stored?.id, created.data.id);
    const jobs = await a.h.db.storage.connection.db
      .selectFrom('queue_jobs')
      .select(['queue_name', 'payload'])
      .where('queue_name', '=', 'provision-user')
      .execute();
    assert.ok(
      jobs.some((job) => JSON.stringify(job.payload).includes(created.data.id as string)),
      'provision-user queued for the new user',
    );
    const skipped = await create({ username: 'other', skip_homeserver_check: true }, 201);
    assert.equal(skipped.data.attributes.username, 'other');
  });

  it('refuses a taken username with 409', async () => {
    const body = await create({ username: 'alice' }, 409);
    assert.deepEqual(body, { errors: [{ title: 'User already exists' }] });
  });

  it('refuses invalid usernames and malformed bodies with 400', async () => {
    for (const username of ['', 'Alice', 'has space', 'x'.repeat(300)]) {
      const body = await create({ username }, 400);
      assert.equal(body.errors[0].title, 'Username is not valid', username);
    }
    await create({}, 400);
    await create({ username: 'valid', skip_homeserver_check: 'yes' }, 400);
    const none = await a.h.db.storage.transaction((repos) => repos.users.exists('valid'));
    assert.equal(none, false);
  });

  it('refuses a missing token with 401 and a token without the scope with 403', async () => {
    await create({ username: 'sneaky' }, 401, null);
    await create({ username: 'sneaky' }, 403, a.plainToken);
    const exists = await a.h.db.storage.transaction((repos) => repos.users.exists('sneaky'));
    assert.equal(exists, false);
  });
});
