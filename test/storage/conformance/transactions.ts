// Conformance tests for `Storage.transaction`: returning commits everything, throwing rolls back
// everything, whichever repositories wrote.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';

export function transactionConformance(open: () => Promise<TestStorage>): void {
  describe('Storage.transaction', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock();
      rng = new SeededRng('transactions');
    });
    afterEach(() => t.cleanup());

    it('commits what the work wrote when it returns', async () => {
      const result = await storage.transaction(async (repos) => {
        const user = (await repos.users.add(rng, clock, 'alice'))!;
        await repos.userPasswords.add(rng, clock, user, 1, 'hash');
        const session = await repos.browserSessions.add(rng, clock, user);
        return { user, session };
      });
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.users.lookup(result.user.id), result.user);
        assert.equal((await repos.userPasswords.active(result.user))?.hashedPassword, 'hash');
        assert.deepEqual(await repos.browserSessions.lookup(result.session.id), result.session);
      });
    });

    it('rolls back everything written when the work throws', async () => {
      const existing = (await storage.transaction((repos) =>
        repos.users.add(rng, clock, 'existing'),
      ))!;
      const failure = new Error('boom');
      let written: { userId: string; sessionId: string } | undefined;

      await assert.rejects(
        storage.transaction(async (repos) => {
          const user = (await repos.users.add(rng, clock, 'alice'))!;
          await repos.userPasswords.add(rng, clock, user, 1, 'hash');
          const session = await repos.browserSessions.add(rng, clock, existing);
          await repos.users.lock(clock, existing);
          await repos.users.setCanRequestAdmin(existing, true);
          written = { userId: user.id, sessionId: session.id };
          // Visible inside the transaction...
          assert.equal(await repos.users.exists('alice'), true);
          throw failure;
        }),
        (error) => error === failure,
      );

      assert.ok(written);
      // ...and gone after it.
      await storage.transaction(async (repos) => {
        assert.equal(await repos.users.exists('alice'), false);
        assert.equal(await repos.users.count({}), 1);
        assert.deepEqual(await repos.users.lookup(existing.id), existing);
        assert.equal(await repos.userPasswords.active(existing), null);
        assert.equal(await repos.browserSessions.countActive(), 0);
        assert.equal(await repos.browserSessions.lookup(written!.sessionId as never), null);
      });
    });

    it('rolls back when a statement fails', async () => {
      await assert.rejects(
        storage.transaction(async (repos) => {
          const user = (await repos.users.add(rng, clock, 'alice'))!;
          // A session for a user that does not exist breaks the foreign key.
          await repos.browserSessions.add(rng, clock, { ...user, id: 'no-such-user' as never });
        }),
      );
      assert.equal(await storage.transaction((repos) => repos.users.exists('alice')), false);
    });
  });
}
