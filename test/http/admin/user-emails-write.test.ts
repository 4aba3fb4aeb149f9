// Adding and removing user emails through the Admin API: 201 with the new address (and the user's
// provisioning queued), 404 for an unknown user, 400 for a bad address or body, 409 when the
// address is taken (in any case); DELETE answers 204, then 404. Checked against the spec.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UserId } from '../../../src/model/ids.ts';
import { addUser } from '../../helpers/app.ts';
import { call, SpecChecker, startAdminApp, type AdminApp } from './admin-app.ts';

const ADD = '/api/admin/v1/user-emails';
const ONE = '/api/admin/v1/user-emails/{id}';

describe('admin API: adding and removing user emails', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  let alice: UserId;
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    alice = (await addUser(a.h, 'alice', null)).id;
  });
  after(() => a.close());

  /** DELETE through the app (the shared `call` knows GET and POST). */
  const del = (url: string, token: string | null = a.adminToken) =>
    a.h.app.inject({
      method: 'DELETE',
      url: `/api/admin/v1${url}`,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
  const add = async (body: unknown, status: number) =>
    spec.check(await call(a, 'POST', '/user-emails', { body }), 'POST', ADD, status);
  const provisionJobs = async (): Promise<number> =>
    (
      await a.h.db.storage.connection.db
        .selectFrom('queue_jobs')
        .select('id')
        .where('queue_name', '=', 'provision-user')
        .execute()
    ).length;

  it('adds an address, then removes it', async () => {
    const jobs = await provisionJobs();
    const added = await add({ user_id: alice, email: ' Alice@Example.com ' }, 201);
    assert.equal(added.data.type, 'user-email');
    assert.equal(added.data.attributes.user_id, alice);
    assert.equal(added.data.attributes.email, 'Alice@Example.com');
    assert.equal(added.links.self, `${ADD}/${added.data.id}`);
    assert.equal(await provisionJobs(), jobs + 1, 'the homeserver learns the address');
    const listed = await spec.check(
      await call(a, 'GET', `/user-emails?filter[user]=${alice}`),
      'GET',
      ADD,
      200,
    );
    assert.deepEqual(
      listed.data.map((e: { id: string }) => e.id),
      [added.data.id],
    );

    const taken = await add({ user_id: alice, email: 'alice@EXAMPLE.com' }, 409);
    assert.equal(taken.errors[0].title, 'User email "alice@EXAMPLE.com" already in use');

    await spec.check(await del(`/user-emails/${added.data.id}`), 'DELETE', ONE, 204);
    assert.equal(await provisionJobs(), jobs + 2);
    await spec.check(await call(a, 'GET', `/user-emails/${added.data.id}`), 'GET', ONE, 404);
    await spec.check(await del(`/user-emails/${added.data.id}`), 'DELETE', ONE, 404);
  });

  it('refuses unknown users, bad addresses and bad bodies', async () => {
    const unknown = await add(
      { user_id: '01J00000000000000000000000', email: 'x@example.com' },
      404,
    );
    assert.equal(unknown.errors[0].title, 'User ID 01J00000000000000000000000 not found');
    const bad = await add({ user_id: alice, email: 'not an address' }, 400);
    assert.equal(bad.errors[0].title, 'Email "not an address" is not valid');
    await add({ user_id: 'nope', email: 'x@example.com' }, 400);
    await add({ email: 'x@example.com' }, 400);
    await spec.check(await del('/user-emails/nope'), 'DELETE', ONE, 400);
  });

  it('needs an admin token', async () => {
    await spec.check(
      await call(a, 'POST', '/user-emails', { token: null, body: {} }),
      'POST',
      ADD,
      401,
    );
    await spec.check(
      await del('/user-emails/01J00000000000000000000000', a.plainToken),
      'DELETE',
      ONE,
      403,
    );
  });
});
