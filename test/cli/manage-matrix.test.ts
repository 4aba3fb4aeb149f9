// `gatehouse manage provision-all-users | kill-sessions | lock-user | unlock-user`, and the
// provisioning job queued by `register-user`, run in-process against a migrated SQLite database.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { SeededRng } from '../../src/rng.ts';
import {
  DEACTIVATE_USER_QUEUE,
  PROVISION_USER_QUEUE,
  REACTIVATE_USER_QUEUE,
  SYNC_DEVICES_QUEUE,
} from '../../src/storage/matrix-jobs.ts';
import { manageRunner, openManageFixture, writeCliConfig } from '../helpers/cli.ts';
import { dialects, type TestStorage } from '../helpers/storage.ts';

const clock = new MockClock();
const rng = new SeededRng('manage-matrix');

const run = manageRunner(clock, 'matrix');

// Every command runs against SQLite and PostgreSQL (a fresh database per test).
for (const dialect of dialects) {
  describe(`manage commands for the homeserver (${dialect})`, () => {
    let dir: string;
    let t: TestStorage;
    let config: string;
    let standalone: string;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ dir, t, config, cleanup } = await openManageFixture(
        dialect,
        'matrix:\n  homeserver: example.com\n  secret: hs-secret\n',
      ));
      standalone = writeCliConfig(dir, t.uri, '', 'standalone.yaml');
    });
    afterEach(() => cleanup());

    const jobs = async (queue: string) =>
      (
        await t.storage.connection.db
          .selectFrom('queue_jobs')
          .select('payload')
          .where('queue_name', '=', queue)
          .execute()
      ).map((row) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload));

    const addUser = (name: string) =>
      t.storage.transaction(async (repos) => (await repos.users.add(rng, clock, name))!);

    it('register-user queues provision-user when a homeserver is configured', async () => {
      const result = await run(['-c', config, 'manage', 'register-user', 'carol'], dir);
      assert.equal(result.code, 0, result.err);
      const user = await t.storage.transaction((repos) => repos.users.findByUsername('carol'));
      assert.deepEqual(await jobs(PROVISION_USER_QUEUE), [{ userId: user!.id }]);

      const alone = await run(['-c', standalone, 'manage', 'register-user', 'dave'], dir);
      assert.equal(alone.code, 0, alone.err);
      assert.equal((await jobs(PROVISION_USER_QUEUE)).length, 1);
    });

    it('provision-all-users queues one job per user with progress', async () => {
      const ids = [(await addUser('a1')).id, (await addUser('a2')).id, (await addUser('a3')).id];
      const result = await run(['-c', config, 'manage', 'provision-all-users'], dir);
      assert.equal(result.code, 0, result.err);
      assert.equal(result.out, 'queued provision-user for 3 users');
      assert.match(result.err, /queued 3\/3 users/);
      assert.deepEqual(
        (await jobs(PROVISION_USER_QUEUE)).map((p) => p.userId).sort(),
        [...ids].sort(),
      );
      const alone = await run(['-c', standalone, 'manage', 'provision-all-users'], dir);
      assert.equal(alone.code, 1);
      assert.match(alone.err, /no matrix section/);
    });

    it('kill-sessions lists with --dry-run, then ends everything and queues sync-devices', async () => {
      const alice = await addUser('alice');
      await t.storage.transaction(async (repos) => {
        await repos.browserSessions.add(rng, clock, alice, null);
        await repos.compatSessions.add(rng, clock, {
          userId: alice.id,
          deviceId: 'COMPATDEV1',
          browserSessionId: null,
          isSynapseAdmin: false,
          humanName: null,
          userAgent: null,
        });
      });
      const dry = await run(['-c', config, 'manage', 'kill-sessions', 'alice', '--dry-run'], dir);
      assert.equal(dry.code, 0, dry.err);
      assert.match(dry.out, /^browser session \w+$/m);
      assert.match(dry.out, /^compat session \w+ \(device COMPATDEV1\)$/m);
      assert.match(dry.err, /dry run/);
      assert.equal((await jobs(SYNC_DEVICES_QUEUE)).length, 0);

      const real = await run(['-c', config, 'manage', 'kill-sessions', 'alice'], dir);
      assert.equal(real.code, 0, real.err);
      assert.equal(real.out, 'ended 1 browser, 0 OAuth 2.0 and 1 compatibility sessions of alice');
      assert.deepEqual(await jobs(SYNC_DEVICES_QUEUE), [{ userId: alice.id }]);
      const left = await t.storage.transaction(async (repos) => ({
        browser: await repos.browserSessions.countActive(alice),
        compat: (await repos.compatSessions.listActiveForUser(alice.id)).length,
      }));
      assert.deepEqual(left, { browser: 0, compat: 0 });

      const unknown = await run(['-c', config, 'manage', 'kill-sessions', 'nobody'], dir);
      assert.equal(unknown.code, 1);
      assert.match(unknown.err, /unknown user "nobody"/);
    });

    it('lock-user [--deactivate] and unlock-user [--reactivate] change the user and queue jobs', async () => {
      const alice = await addUser('alice');
      const locked = await run(['-c', config, 'manage', 'lock-user', 'alice', '--deactivate'], dir);
      assert.equal(locked.code, 0, locked.err);
      assert.equal(locked.out, 'locked alice; deactivation queued');
      let user = await t.storage.transaction((repos) => repos.users.lookup(alice.id));
      assert.notEqual(user!.lockedAt, null);
      assert.deepEqual(await jobs(PROVISION_USER_QUEUE), [{ userId: alice.id }]);
      assert.deepEqual(await jobs(DEACTIVATE_USER_QUEUE), [{ userId: alice.id, erase: false }]);

      const unlocked = await run(
        ['-c', config, 'manage', 'unlock-user', 'alice', '--reactivate'],
        dir,
      );
      assert.equal(unlocked.code, 0, unlocked.err);
      assert.equal(unlocked.out, 'unlocked alice; reactivation queued');
      user = await t.storage.transaction((repos) => repos.users.lookup(alice.id));
      assert.equal(user!.lockedAt, null);
      assert.deepEqual(await jobs(REACTIVATE_USER_QUEUE), [{ userId: alice.id }]);

      const plain = await run(['-c', config, 'manage', 'unlock-user', 'alice'], dir);
      assert.equal(plain.code, 0, plain.err);
      assert.equal((await jobs(PROVISION_USER_QUEUE)).length, 2);
    });
  });
}
