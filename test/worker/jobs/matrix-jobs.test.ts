// The homeserver jobs against a fake homeserver on a real SQLite database: provisioning, device
// sync (under the per-user lease), deactivation and reactivation, and what happens without a
// homeserver.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import type { HomeserverConnection } from '../../../src/matrix/homeserver-connection.ts';
import { HomeserverError } from '../../../src/matrix/homeserver-error.ts';
import { SynapseConnection } from '../../../src/matrix/synapse-connection.ts';
import type { JobPayload } from '../../../src/model/queue-job.ts';
import type { User } from '../../../src/model/user.ts';
import { SeededRng } from '../../../src/rng.ts';
import { withUserLock } from '../../../src/services/user-lock.ts';
import {
  DEACTIVATE_USER_QUEUE,
  PROVISION_USER_QUEUE,
  REACTIVATE_USER_QUEUE,
  SYNC_DEVICES_QUEUE,
} from '../../../src/storage/matrix-jobs.ts';
import { homeserverJobs, jobRegistryWith } from '../../../src/worker/jobs/index.ts';
import type { ExternalJob } from '../../../src/worker/queue.ts';
import { FakeHomeserver } from '../../matrix/fake-homeserver.ts';
import { openTestStorage, type TestStorage, bareClientFields } from '../../helpers/storage.ts';

describe('homeserver jobs', () => {
  let hs: FakeHomeserver;
  let db: TestStorage;
  let conn: HomeserverConnection;
  const clock = new MockClock();
  const rng = new SeededRng('matrix-jobs');
  let alice: User;

  beforeEach(async () => {
    hs = await new FakeHomeserver('k').start();
    conn = new SynapseConnection('example.test', { endpoint: hs.endpoint, secret: 'k' });
    db = await openTestStorage('sqlite');
    alice = await db.storage.transaction(
      async (repos) => (await repos.users.add(rng, clock, 'alice'))!,
    );
  });
  afterEach(async () => {
    await db.cleanup();
    await hs.stop();
  });

  async function run(
    queue: string,
    payload: JobPayload,
    homeserver: HomeserverConnection | null = conn,
  ) {
    const job = homeserverJobs(homeserver)[queue] as ExternalJob;
    const row = await db.storage.transaction((repos) =>
      repos.queue.enqueue(rng, clock, queue, payload),
    );
    const logs: string[] = [];
    await job.run(payload, {
      job: row,
      storage: db.storage,
      clock,
      rng,
      log: (_level, message) => logs.push(message),
      signal: new AbortController().signal,
      services: {},
    });
    return logs;
  }

  const queued = (queue: string) =>
    db.storage.connection.db
      .selectFrom('queue_jobs')
      .select('payload')
      .where('queue_name', '=', queue)
      .execute();

  /** An OAuth 2.0 session of alice holding `device`. */
  async function session(device: string | null) {
    return db.storage.transaction(async (repos) => {
      const client = await repos.oauth2Clients.upsertStatic(
        clock,
        'CLIENT' as never,
        bareClientFields({
          grantTypes: ['authorization_code'],
          redirectUris: ['https://x.test/cb'],
          applicationType: 'web',
          clientName: 'X',
        }),
      );
      return repos.oauth2Sessions.add(rng, clock, {
        clientId: client.id,
        userId: alice.id,
        browserSessionId: null,
        scope:
          device === null ? 'openid' : `urn:matrix:client:api:* urn:matrix:client:device:${device}`,
        userAgent: null,
      });
    });
  }

  it('provision-user pushes the user with emails, lock state and display name, then queues sync-devices', async () => {
    await db.storage.transaction((repos) =>
      repos.userEmails.add(rng, clock, alice, 'alice@example.test'),
    );
    await run(PROVISION_USER_QUEUE, { userId: alice.id, displayName: 'Alice' });
    assert.deepEqual(hs.callsTo('provision_user')[0]!.body, {
      localpart: 'alice',
      set_displayname: 'Alice',
      set_emails: ['alice@example.test'],
      locked: false,
    });
    assert.equal(hs.users.get('alice')!.displayName, 'Alice');
    assert.deepEqual((await queued(SYNC_DEVICES_QUEUE)).length, 1);

    await db.storage.transaction((repos) => repos.users.lock(clock, alice));
    await run(PROVISION_USER_QUEUE, { userId: alice.id });
    assert.equal(hs.users.get('alice')!.locked, true);
  });

  it('a failing homeserver fails the job (the worker retries it)', async () => {
    await hs.stop();
    await assert.rejects(
      run(PROVISION_USER_QUEUE, { userId: alice.id }),
      (error: unknown) => error instanceof HomeserverError && error.kind === 'unreachable',
    );
  });

  it('sync-devices sends the devices of the active sessions', async () => {
    hs.addUser('alice').devices.set('STALEDEVICE', null);
    await session('DEVICEAAAAA');
    await session(null);
    const ended = await session('DEVICEBBBBB');
    await db.storage.transaction((repos) => repos.oauth2Sessions.finish(clock, ended));
    await run(SYNC_DEVICES_QUEUE, { userId: alice.id });
    assert.deepEqual(hs.callsTo('sync_devices')[0]!.body, {
      localpart: 'alice',
      devices: ['DEVICEAAAAA'],
    });
    assert.deepEqual([...hs.users.get('alice')!.devices.keys()], ['DEVICEAAAAA']);
  });

  it('sync-devices waits for the user lease held elsewhere', async () => {
    hs.addUser('alice');
    const order: string[] = [];
    let release!: () => void;
    const held = withUserLock({ storage: db.storage, clock, rng }, alice.id, { waitMs: 0 }, () => {
      order.push('login holds the lease');
      return new Promise<void>((resolve) => {
        release = () => {
          order.push('login done');
          resolve();
        };
      });
    });
    const sync = run(SYNC_DEVICES_QUEUE, { userId: alice.id }).then(() => order.push('synced'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(hs.callsTo('sync_devices').length, 0);
    release();
    await held;
    await sync;
    assert.deepEqual(order, ['login holds the lease', 'login done', 'synced']);
  });

  it('deactivate-user closes the account here and on the homeserver; reactivate-user undoes it', async () => {
    hs.addUser('alice');
    await session('DEVICEAAAAA');
    await db.storage.transaction((repos) => repos.browserSessions.add(rng, clock, alice, null));
    await run(DEACTIVATE_USER_QUEUE, { userId: alice.id, erase: true });
    const after = await db.storage.transaction(async (repos) => ({
      user: await repos.users.lookup(alice.id),
      oauth2: await repos.oauth2Sessions.listActiveForUser(alice.id),
      browser: await repos.browserSessions.countActive(alice),
    }));
    assert.notEqual(after.user!.deactivatedAt, null);
    assert.notEqual(after.user!.lockedAt, null);
    assert.equal(after.oauth2.length, 0);
    assert.equal(after.browser, 0);
    assert.deepEqual(hs.callsTo('delete_user')[0]!.body, { localpart: 'alice', erase: true });
    assert.equal(hs.users.get('alice')!.deactivated, true);

    // Provisioning a deactivated user would recreate them: skipped.
    await run(PROVISION_USER_QUEUE, { userId: alice.id });
    assert.equal(hs.callsTo('provision_user').length, 0);

    await run(REACTIVATE_USER_QUEUE, { userId: alice.id });
    const reactivated = await db.storage.transaction((repos) => repos.users.lookup(alice.id));
    assert.equal(reactivated!.deactivatedAt, null);
    assert.equal(hs.users.get('alice')!.deactivated, false);
    assert.equal((await queued(PROVISION_USER_QUEUE)).length, 2); // ours above + the job's
  });

  it('without a homeserver: deactivation is local only, device jobs do nothing', async () => {
    await run(DEACTIVATE_USER_QUEUE, { userId: alice.id, erase: false }, null);
    const user = await db.storage.transaction((repos) => repos.users.lookup(alice.id));
    assert.notEqual(user!.deactivatedAt, null);
    const logs = await run(SYNC_DEVICES_QUEUE, { userId: alice.id }, null);
    assert.deepEqual(logs, ['no homeserver is configured: nothing to do']);
    assert.equal(hs.calls.length, 0);
  });

  it('every homeserver queue is in the registry', () => {
    const registry = jobRegistryWith({ homeserver: null });
    for (const queue of [
      PROVISION_USER_QUEUE,
      SYNC_DEVICES_QUEUE,
      DEACTIVATE_USER_QUEUE,
      REACTIVATE_USER_QUEUE,
    ]) {
      assert.equal((registry[queue] as ExternalJob).external, true, queue);
    }
  });
});
