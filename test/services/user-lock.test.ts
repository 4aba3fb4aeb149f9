// The per-user lease on both dialects: one holder at a time, renewable by its holder, taken over
// once expired, released by its holder only; and `withUserLock` waiting or giving up.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { SeededRng } from '../../src/rng.ts';
import { UserLockBusyError, withUserLock } from '../../src/services/user-lock.ts';
import { dialects, openTestStorage } from '../helpers/storage.ts';

for (const dialect of dialects) {
  describe(`user locks (${dialect})`, () => {
    it('has one holder at a time and expires', async () => {
      const t = await openTestStorage(dialect);
      try {
        const clock = new MockClock();
        const rng = new SeededRng('locks');
        const user = await t.storage.transaction(
          async (repos) => (await repos.users.add(rng, clock, 'alice'))!,
        );
        const take = (holder: string) =>
          t.storage.transaction((repos) =>
            repos.userLocks.tryAcquire(clock, user.id, holder, 1000),
          );
        assert.equal(await take('A'), true);
        assert.equal(await take('B'), false);
        assert.equal(await take('A'), true); // renewal
        await t.storage.transaction((repos) => repos.userLocks.release(user.id, 'B')); // not B's
        assert.equal(await take('B'), false);
        clock.advance(1001);
        assert.equal(await take('B'), true); // A's lease expired
        await t.storage.transaction((repos) => repos.userLocks.release(user.id, 'B'));
        assert.equal(await take('C'), true);

        await assert.rejects(
          withUserLock({ storage: t.storage, clock, rng }, user.id, { waitMs: 100 }, async () => 1),
          UserLockBusyError,
        );
        await t.storage.transaction((repos) => repos.userLocks.release(user.id, 'C'));
        assert.equal(
          await withUserLock(
            { storage: t.storage, clock, rng },
            user.id,
            { waitMs: 0 },
            async () => 42,
          ),
          42,
        );
        assert.equal(await take('D'), true, 'released after the work');
      } finally {
        await t.cleanup();
      }
    });
  });
}
