// Conformance tests for `UserPasswordRepository`.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import type { User } from '../../../src/model/user.ts';
import { needsUpgrade } from '../../../src/model/user-password.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';

export function userPasswordRepositoryConformance(open: () => Promise<TestStorage>): void {
  describe('UserPasswordRepository', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;
    let alice: User;
    let bob: User;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('passwords');
      [alice, bob] = await storage.transaction(async (repos) => [
        (await repos.users.add(rng, clock, 'alice'))!,
        (await repos.users.add(rng, clock, 'bob'))!,
      ]);
    });
    afterEach(() => t.cleanup());

    it('has no active password for a user without one', async () => {
      assert.equal(await storage.transaction((repos) => repos.userPasswords.active(alice)), null);
    });

    it('adds a password and returns it as the active one', async () => {
      clock.advance(1000);
      const added = await storage.transaction((repos) =>
        repos.userPasswords.add(
          rng,
          clock,
          alice,
          1,
          '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
        ),
      );
      assert.equal(added.userId, alice.id);
      assert.equal(added.version, 1);
      assert.equal(added.hashedPassword, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA');
      assert.equal(added.upgradedFromId, null);
      assert.deepEqual(added.createdAt, clock.now());
      assert.deepEqual(
        await storage.transaction((repos) => repos.userPasswords.active(alice)),
        added,
      );
      // Passwords belong to one user.
      assert.equal(await storage.transaction((repos) => repos.userPasswords.active(bob)), null);
    });

    it('makes the newest password the active one and records upgrades', async () => {
      const old = await storage.transaction((repos) =>
        repos.userPasswords.add(rng, clock, alice, 1, 'hash-v1'),
      );
      assert.equal(needsUpgrade(old, 2), true);
      clock.advance(1000);
      const upgraded = await storage.transaction((repos) =>
        repos.userPasswords.add(rng, clock, alice, 2, 'hash-v2', old),
      );
      assert.equal(upgraded.upgradedFromId, old.id);
      assert.equal(needsUpgrade(upgraded, 2), false);
      assert.deepEqual(
        await storage.transaction((repos) => repos.userPasswords.active(alice)),
        upgraded,
      );

      clock.advance(1000);
      const changed = await storage.transaction((repos) =>
        repos.userPasswords.add(rng, clock, alice, 2, 'hash-new'),
      );
      assert.equal(changed.upgradedFromId, null);
      assert.deepEqual(
        await storage.transaction((repos) => repos.userPasswords.active(alice)),
        changed,
      );
    });

    it('keeps each user’s passwords apart', async () => {
      await storage.transaction(async (repos) => {
        await repos.userPasswords.add(rng, clock, alice, 1, 'alice-hash');
        clock.advance(1000);
        await repos.userPasswords.add(rng, clock, bob, 1, 'bob-hash');
      });
      await storage.transaction(async (repos) => {
        assert.equal((await repos.userPasswords.active(alice))?.hashedPassword, 'alice-hash');
        assert.equal((await repos.userPasswords.active(bob))?.hashedPassword, 'bob-hash');
      });
    });
  });
}
