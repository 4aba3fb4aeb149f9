// Conformance tests for `UserRepository`, registered for whatever storage the caller opens
// (see ../conformance.test.ts, which runs them on every dialect).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import { asUserId, type UserId } from '../../../src/model/ids.ts';
import { isUserActive, type User } from '../../../src/model/user.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';

export function userRepositoryConformance(open: () => Promise<TestStorage>): void {
  describe('UserRepository', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('users');
    });
    afterEach(() => t.cleanup());

    /** Adds users one second apart, so their ids (ULIDs) sort in the order given. */
    async function addUsers(...usernames: string[]): Promise<User[]> {
      const users: User[] = [];
      for (const username of usernames) {
        clock.advance(1000);
        const user = await storage.transaction((repos) => repos.users.add(rng, clock, username));
        assert.ok(user, `could not add ${username}`);
        users.push(user);
      }
      return users;
    }

    it('adds a user and finds it by id and by username', async () => {
      const added = await storage.transaction((repos) => repos.users.add(rng, clock, 'alice'));
      assert.ok(added);
      assert.match(added.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      assert.equal(added.username, 'alice');
      assert.deepEqual(added.createdAt, clock.now());
      assert.equal(added.lockedAt, null);
      assert.equal(added.deactivatedAt, null);
      assert.equal(added.canRequestAdmin, false);
      assert.ok(isUserActive(added));

      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.users.lookup(added.id), added);
        assert.deepEqual(await repos.users.findByUsername('alice'), added);
        assert.equal(await repos.users.exists('alice'), true);
      });
    });

    it('returns null and false for users that do not exist', async () => {
      await addUsers('alice');
      await storage.transaction(async (repos) => {
        assert.equal(await repos.users.lookup(asUserId('01ARZ3NDEKTSV4RRFFQ69G5FAV')), null);
        assert.equal(await repos.users.findByUsername('bob'), null);
        assert.equal(await repos.users.exists('bob'), false);
        // Usernames match exactly.
        assert.equal(await repos.users.findByUsername('Alice'), null);
        assert.equal(await repos.users.findByUsername('alic'), null);
      });
    });

    it('refuses a taken username with null and keeps the transaction usable', async () => {
      const [alice] = await addUsers('alice');
      const outcome = await storage.transaction(async (repos) => {
        const duplicate = await repos.users.add(rng, clock, 'alice');
        // The transaction must go on after the refusal (PostgreSQL aborts it on a failed statement).
        const bob = await repos.users.add(rng, clock, 'bob');
        return { duplicate, bob };
      });
      assert.equal(outcome.duplicate, null);
      assert.ok(outcome.bob);
      await storage.transaction(async (repos) => {
        assert.equal(await repos.users.count({}), 2);
        assert.deepEqual(await repos.users.findByUsername('alice'), alice);
        assert.deepEqual(await repos.users.findByUsername('bob'), outcome.bob);
      });
    });

    it('refuses a username taken earlier in the same transaction', async () => {
      const [first, second] = await storage.transaction(async (repos) => [
        await repos.users.add(rng, clock, 'carol'),
        await repos.users.add(rng, clock, 'carol'),
      ]);
      assert.ok(first);
      assert.equal(second, null);
    });

    it('locks and unlocks, keeping the first lock time', async () => {
      const [alice] = await addUsers('alice');
      clock.advance(60_000);
      const lockedAt = clock.now();
      const locked = await storage.transaction((repos) => repos.users.lock(clock, alice!));
      assert.deepEqual(locked.lockedAt, lockedAt);
      assert.equal(isUserActive(locked), false);

      clock.advance(60_000);
      const lockedAgain = await storage.transaction((repos) => repos.users.lock(clock, locked));
      assert.deepEqual(lockedAgain.lockedAt, lockedAt);
      assert.deepEqual(
        await storage.transaction((repos) => repos.users.lookup(alice!.id)),
        lockedAgain,
      );

      const unlocked = await storage.transaction((repos) => repos.users.unlock(lockedAgain));
      assert.equal(unlocked.lockedAt, null);
      assert.ok(isUserActive(unlocked));
      assert.deepEqual(
        await storage.transaction((repos) => repos.users.lookup(alice!.id)),
        unlocked,
      );
    });

    it('deactivates and reactivates, keeping the first deactivation time', async () => {
      const [alice] = await addUsers('alice');
      clock.advance(60_000);
      const deactivatedAt = clock.now();
      const deactivated = await storage.transaction((repos) =>
        repos.users.deactivate(clock, alice!),
      );
      assert.deepEqual(deactivated.deactivatedAt, deactivatedAt);
      assert.equal(deactivated.lockedAt, null);
      assert.equal(isUserActive(deactivated), false);

      clock.advance(60_000);
      const again = await storage.transaction((repos) =>
        repos.users.deactivate(clock, deactivated),
      );
      assert.deepEqual(again.deactivatedAt, deactivatedAt);
      assert.deepEqual(await storage.transaction((repos) => repos.users.lookup(alice!.id)), again);

      const reactivated = await storage.transaction((repos) => repos.users.reactivate(again));
      assert.equal(reactivated.deactivatedAt, null);
      assert.ok(isUserActive(reactivated));
      assert.deepEqual(
        await storage.transaction((repos) => repos.users.lookup(alice!.id)),
        reactivated,
      );
    });

    it('sets and clears can_request_admin', async () => {
      const [alice, bob] = await addUsers('alice', 'bob');
      const promoted = await storage.transaction((repos) =>
        repos.users.setCanRequestAdmin(alice!, true),
      );
      assert.equal(promoted.canRequestAdmin, true);
      await storage.transaction(async (repos) => {
        assert.equal((await repos.users.lookup(alice!.id))?.canRequestAdmin, true);
        // Only that user changed.
        assert.equal((await repos.users.lookup(bob!.id))?.canRequestAdmin, false);
      });
      const demoted = await storage.transaction((repos) =>
        repos.users.setCanRequestAdmin(promoted, false),
      );
      assert.equal(demoted.canRequestAdmin, false);
      assert.equal(
        (await storage.transaction((repos) => repos.users.lookup(alice!.id)))?.canRequestAdmin,
        false,
      );
    });

    it('throws when changing a user that does not exist', async () => {
      const [alice] = await addUsers('alice');
      const ghost: User = { ...alice!, id: asUserId('01ARZ3NDEKTSV4RRFFQ69G5FAV') };
      await assert.rejects(
        storage.transaction((repos) => repos.users.lock(clock, ghost)),
        /does not exist/,
      );
    });

    describe('filters', () => {
      let users: Record<string, User>;

      beforeEach(async () => {
        const [active, admin, locked, deactivated, lockedAndDeactivated] = await addUsers(
          'active',
          'admin',
          'locked',
          'deactivated',
          'gone',
        );
        users = await storage.transaction(async (repos) => ({
          active: active!,
          admin: await repos.users.setCanRequestAdmin(admin!, true),
          locked: await repos.users.lock(clock, locked!),
          deactivated: await repos.users.deactivate(clock, deactivated!),
          // MAS locks a user before deactivating them: such a user is both locked and deactivated.
          gone: await repos.users.deactivate(
            clock,
            await repos.users.lock(clock, lockedAndDeactivated!),
          ),
        }));
      });

      const names = (page: { items: User[] }) => page.items.map((u) => u.username);

      it('counts and lists by state and admin flag', async () => {
        await storage.transaction(async (repos) => {
          assert.equal(await repos.users.count({}), 5);
          assert.equal(await repos.users.count({ state: 'active' }), 2);
          assert.equal(await repos.users.count({ state: 'locked' }), 2);
          assert.equal(await repos.users.count({ state: 'deactivated' }), 2);
          assert.equal(await repos.users.count({ canRequestAdmin: true }), 1);
          assert.equal(await repos.users.count({ canRequestAdmin: false }), 4);
          assert.equal(await repos.users.count({ state: 'active', canRequestAdmin: true }), 1);
          assert.equal(await repos.users.count({ state: 'locked', canRequestAdmin: true }), 0);

          assert.deepEqual(names(await repos.users.list({}, { first: 10 })), [
            'active',
            'admin',
            'locked',
            'deactivated',
            'gone',
          ]);
          assert.deepEqual(names(await repos.users.list({ state: 'active' }, { first: 10 })), [
            'active',
            'admin',
          ]);
          assert.deepEqual(names(await repos.users.list({ state: 'locked' }, { first: 10 })), [
            'locked',
            'gone',
          ]);
          assert.deepEqual(names(await repos.users.list({ state: 'deactivated' }, { first: 10 })), [
            'deactivated',
            'gone',
          ]);
          assert.deepEqual(
            names(await repos.users.list({ canRequestAdmin: true }, { first: 10 })),
            ['admin'],
          );
          assert.deepEqual(
            names(
              await repos.users.list(
                { state: 'deactivated', canRequestAdmin: true },
                { first: 10 },
              ),
            ),
            [],
          );
        });
      });

      it('returns the stored users in full', async () => {
        const page = await storage.transaction((repos) =>
          repos.users.list({ state: 'locked' }, { first: 10 }),
        );
        assert.deepEqual(page.items, [users.locked, users.gone]);
      });

      it('paginates within a filter', async () => {
        await storage.transaction(async (repos) => {
          const first = await repos.users.list({ state: 'active' }, { first: 1 });
          assert.deepEqual(names(first), ['active']);
          assert.equal(first.hasNextPage, true);
          const second = await repos.users.list(
            { state: 'active' },
            { first: 1, after: first.items[0]!.id },
          );
          assert.deepEqual(names(second), ['admin']);
          assert.equal(second.hasNextPage, false);
          assert.equal(second.hasPreviousPage, true);
        });
      });
    });

    describe('pagination', () => {
      let all: User[];
      const ids = (page: { items: User[] }) => page.items.map((u) => u.id);

      beforeEach(async () => {
        all = await addUsers('u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7');
      });

      it('walks forward across pages with `first` and `after`', async () => {
        const seen: UserId[] = [];
        const flags: Array<[boolean, boolean]> = [];
        let after: UserId | undefined;
        for (;;) {
          const page = await storage.transaction((repos) =>
            repos.users.list({}, after ? { first: 3, after } : { first: 3 }),
          );
          seen.push(...ids(page));
          flags.push([page.hasPreviousPage, page.hasNextPage]);
          if (!page.hasNextPage) break;
          after = page.items.at(-1)!.id;
        }
        assert.deepEqual(
          seen,
          all.map((u) => u.id),
        );
        assert.deepEqual(flags, [
          [false, true],
          [true, true],
          [true, false],
        ]);
      });

      it('walks backward across pages with `last` and `before`', async () => {
        const pages: UserId[][] = [];
        let before: UserId | undefined;
        for (;;) {
          const page = await storage.transaction((repos) =>
            repos.users.list({}, before ? { last: 3, before } : { last: 3 }),
          );
          pages.push(ids(page));
          if (!page.hasPreviousPage) {
            assert.equal(page.hasNextPage, true);
            break;
          }
          if (before === undefined) assert.equal(page.hasNextPage, false);
          before = page.items[0]!.id;
        }
        const id = (n: number) => all[n - 1]!.id;
        // Each page is in ascending order, whichever way it was fetched.
        assert.deepEqual(pages, [[id(5), id(6), id(7)], [id(2), id(3), id(4)], [id(1)]]);
      });

      it('bounds a page with both cursors', async () => {
        await storage.transaction(async (repos) => {
          const window = { after: all[1]!.id, before: all[5]!.id };
          const forward = await repos.users.list({}, { first: 2, ...window });
          assert.deepEqual(ids(forward), [all[2]!.id, all[3]!.id]);
          assert.deepEqual([forward.hasPreviousPage, forward.hasNextPage], [true, true]);

          const wide = await repos.users.list({}, { first: 10, ...window });
          assert.deepEqual(ids(wide), [all[2]!.id, all[3]!.id, all[4]!.id]);
          // Rows outside the window still exist on both sides.
          assert.deepEqual([wide.hasPreviousPage, wide.hasNextPage], [true, true]);

          const backward = await repos.users.list({}, { last: 2, ...window });
          assert.deepEqual(ids(backward), [all[3]!.id, all[4]!.id]);
        });
      });

      it('accepts cursors that are not ids of existing users', async () => {
        await storage.transaction(async (repos) => {
          const beforeAll = asUserId('00000000000000000000000000');
          const afterAll = asUserId('7ZZZZZZZZZZZZZZZZZZZZZZZZZ');
          assert.deepEqual(ids(await repos.users.list({}, { first: 2, after: beforeAll })), [
            all[0]!.id,
            all[1]!.id,
          ]);
          const empty = await repos.users.list({}, { first: 2, after: afterAll });
          assert.deepEqual(empty.items, []);
          assert.deepEqual([empty.hasPreviousPage, empty.hasNextPage], [true, false]);
        });
      });

      it('returns an empty page when nothing matches', async () => {
        const page = await storage.transaction((repos) =>
          repos.users.list({ canRequestAdmin: true }, { first: 5 }),
        );
        assert.deepEqual(page, { items: [], hasNextPage: false, hasPreviousPage: false });
      });

      it('rejects page sizes that are not positive integers', async () => {
        for (const pagination of [{ first: 0 }, { first: -1 }, { last: 1.5 }]) {
          await assert.rejects(
            storage.transaction((repos) => repos.users.list({}, pagination)),
            RangeError,
          );
        }
      });
    });
  });
}
