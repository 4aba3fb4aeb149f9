// Personal sessions in the homeserver jobs, against a fake homeserver on a real SQLite database:
// sync-devices counts the devices of active personal sessions acting as the user (and drops a
// revoked one's), and deactivate-user revokes the personal sessions the user acts as or owns.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import type { HomeserverConnection } from '../../../src/matrix/homeserver-connection.ts';
import { SynapseConnection } from '../../../src/matrix/synapse-connection.ts';
import type { JobPayload } from '../../../src/model/queue-job.ts';
import type { User } from '../../../src/model/user.ts';
import { SeededRng } from '../../../src/rng.ts';
import {
  issuePersonalSession,
  revokePersonalSession,
} from '../../../src/services/personal-sessions.ts';
import { DEACTIVATE_USER_QUEUE, SYNC_DEVICES_QUEUE } from '../../../src/storage/matrix-jobs.ts';
import { homeserverJobs } from '../../../src/worker/jobs/index.ts';
import type { ExternalJob } from '../../../src/worker/queue.ts';
import { FakeHomeserver } from '../../matrix/fake-homeserver.ts';
import { openTestStorage, type TestStorage } from '../../helpers/storage.ts';

describe('homeserver jobs and personal sessions', () => {
  let hs: FakeHomeserver;
  let db: TestStorage;
  let conn: HomeserverConnection;
  const clock = new MockClock();
  const rng = new SeededRng('personal-jobs');
  let alice: User;
  let bob: User;

  beforeEach(async () => {
    hs = await new FakeHomeserver('k').start();
    conn = new SynapseConnection('example.test', { endpoint: hs.endpoint, secret: 'k' });
    db = await openTestStorage('sqlite');
    [alice, bob] = await db.storage.transaction(async (repos) => [
      (await repos.users.add(rng, clock, 'alice'))!,
      (await repos.users.add(rng, clock, 'bob'))!,
    ]);
  });
  afterEach(async () => {
    await db.cleanup();
    await hs.stop();
  });

  async function run(queue: string, payload: JobPayload) {
    const job = homeserverJobs(conn)[queue] as ExternalJob;
    const row = await db.storage.transaction((repos) =>
      repos.queue.enqueue(rng, clock, queue, payload),
    );
    await job.run(payload, {
      job: row,
      storage: db.storage,
      clock,
      rng,
      log: () => {},
      signal: new AbortController().signal,
      services: {},
    });
  }

  const issue = (actor: User, owner: User, scope: string) =>
    db.storage.transaction((repos) =>
      issuePersonalSession(
        repos,
        { clock, rng },
        { owner: { userId: owner.id }, actor, humanName: 'bot', scope, expiresIn: null },
      ),
    );

  const syncJobs = () =>
    db.storage.connection.db
      .selectFrom('queue_jobs')
      .select('payload')
      .where('queue_name', '=', SYNC_DEVICES_QUEUE)
      .execute();

  it('sync-devices sends the devices of active personal sessions acting as the user', async () => {
    hs.addUser('alice').devices.set('STALEDEVICE', null);
    const kept = await issue(
      alice,
      bob,
      'urn:matrix:client:api:* urn:matrix:client:device:PATDEVICE01',
    );
    await issue(alice, alice, 'urn:matrix:client:api:*');
    const revoked = await issue(
      alice,
      alice,
      'urn:matrix:client:api:* urn:matrix:client:device:PATDEVICE02',
    );
    // Creating a session with a device queues a sync; so does revoking it.
    assert.equal((await syncJobs()).length, 2);
    await db.storage.transaction((repos) =>
      revokePersonalSession(repos, { clock, rng }, revoked.session),
    );
    assert.equal((await syncJobs()).length, 3);
    // Bob's own session names a device of bob's, not alice's.
    await issue(bob, alice, 'urn:matrix:client:api:* urn:matrix:client:device:BOBDEVICE01');
    await run(SYNC_DEVICES_QUEUE, { userId: alice.id });
    assert.deepEqual(hs.callsTo('sync_devices')[0]!.body, {
      localpart: 'alice',
      devices: ['PATDEVICE01'],
    });
    assert.equal(kept.session.revokedAt, null);
  });

  it('deactivate-user revokes the personal sessions the user acts as or owns', async () => {
    hs.addUser('alice');
    const acting = await issue(alice, bob, 'openid');
    const owning = await issue(bob, alice, 'openid');
    const unrelated = await issue(bob, bob, 'openid');
    await run(DEACTIVATE_USER_QUEUE, { userId: alice.id, erase: false });
    const after = await db.storage.transaction(async (repos) => ({
      acting: await repos.personalSessions.lookup(acting.session.id),
      owning: await repos.personalSessions.lookup(owning.session.id),
      unrelated: await repos.personalSessions.lookup(unrelated.session.id),
      token: await repos.personalSessions.currentToken(acting.session.id),
    }));
    assert.notEqual(after.acting!.revokedAt, null);
    assert.notEqual(after.owning!.revokedAt, null);
    assert.equal(after.unrelated!.revokedAt, null);
    assert.equal(after.token, null);
  });
});
