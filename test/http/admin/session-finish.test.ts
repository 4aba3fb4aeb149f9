// Finishing sessions through the Admin API (MAS: POST /{user,oauth2,compat}-sessions/{id}/finish):
// the ended session in the answer (self link on /finish), 400 when already finished, 404/400 for
// unknown and malformed ids, 401/403; a finished OAuth 2.0 session's token stops working at once;
// a homeserver device goes through a sync-devices job. Every answer is checked against the spec.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UserId } from '../../../src/model/ids.ts';
import { addUser } from '../../helpers/app.ts';
import { call, SpecChecker, startAdminApp, type AdminApp, type Body } from './admin-app.ts';

const UNKNOWN = '01J00000000000000000000000';

describe('admin API: finishing sessions', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  let alice: UserId;
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    alice = (await addUser(a.h, 'alice', null)).id;
  });
  after(() => a.close());

  const finish = async (kind: string, id: string, status: number, token?: string | null) =>
    spec.check(
      await call(a, 'POST', `/${kind}/${id}/finish`, { token }),
      'POST',
      `/api/admin/v1/${kind}/{id}/finish`,
      status,
    );

  const syncDevicesJobs = async (): Promise<number> =>
    (
      await a.h.db.storage.connection.db
        .selectFrom('queue_jobs')
        .select('id')
        .where('queue_name', '=', 'sync-devices')
        .execute()
    ).length;

  it('answers 404 for unknown sessions, 400 for malformed ids, and needs an admin token', async () => {
    for (const kind of ['user-sessions', 'oauth2-sessions', 'compat-sessions']) {
      const missing = await finish(kind, UNKNOWN, 404);
      assert.match(missing.errors[0].title, new RegExp(`ID ${UNKNOWN} not found$`));
      await finish(kind, 'not-an-id', 400);
      await finish(kind, UNKNOWN, 401, null);
      await finish(kind, UNKNOWN, 403, a.plainToken);
    }
  });

  it('finishes a user (browser) session once', async () => {
    const session = await a.h.db.storage.transaction(async (repos) =>
      repos.browserSessions.add(a.h.ctx.rng, a.h.clock, (await repos.users.lookup(alice))!),
    );
    a.h.clock.advance(60_000);
    const ended = await finish('user-sessions', session.id, 200);
    assert.equal(ended.data.type, 'user-session');
    assert.equal(ended.data.id, session.id);
    assert.equal(ended.data.attributes.finished_at, a.h.clock.now().toISOString());
    assert.equal(ended.links.self, `/api/admin/v1/user-sessions/${session.id}/finish`);
    assert.equal(ended.data.links.self, `/api/admin/v1/user-sessions/${session.id}`);
    const again = await finish('user-sessions', session.id, 400);
    assert.equal(again.errors[0].title, `User session with ID ${session.id} is already finished`);
  });

  it('finishes a compatibility session and has its device removed', async () => {
    const session = await a.h.db.storage.transaction((repos) =>
      repos.compatSessions.add(a.h.ctx.rng, a.h.clock, {
        userId: alice,
        deviceId: 'PHONE',
        browserSessionId: null,
        isSynapseAdmin: false,
        humanName: null,
        userAgent: null,
      }),
    );
    const jobs = await syncDevicesJobs();
    const ended = await finish('compat-sessions', session.id, 200);
    assert.notEqual(ended.data.attributes.finished_at, null);
    assert.equal(await syncDevicesJobs(), jobs + 1, 'a sync-devices job is queued');
    await finish('compat-sessions', session.id, 400);
    const stored = await a.h.db.storage.transaction((repos) =>
      repos.compatSessions.lookup(session.id),
    );
    assert.notEqual(stored?.finishedAt, null);
  });

  it('finishes an OAuth 2.0 session: its token stops working at once', async () => {
    // The plain client's client_credentials token: valid, without the admin scope.
    assert.equal((await call(a, 'GET', '/version', { token: a.plainToken })).statusCode, 403);
    const sessions = await spec.check(
      await call(a, 'GET', '/oauth2-sessions?filter[status]=active&page[first]=100'),
      'GET',
      '/api/admin/v1/oauth2-sessions',
      200,
    );
    const plain = sessions.data.find(
      (s: Body) => s.attributes.client_id === '01J00000000000000000000PNN',
    );
    assert.ok(plain, 'the plain client has an active session');
    const jobs = await syncDevicesJobs();
    const ended = await finish('oauth2-sessions', plain.id, 200);
    assert.notEqual(ended.data.attributes.finished_at, null);
    assert.equal(await syncDevicesJobs(), jobs, 'no user, no device to sync');
    assert.equal((await call(a, 'GET', '/version', { token: a.plainToken })).statusCode, 401);
    const again = await finish('oauth2-sessions', plain.id, 400);
    assert.equal(
      again.errors[0].title,
      `OAuth 2.0 session with ID ${plain.id} is already finished`,
    );
  });
});
