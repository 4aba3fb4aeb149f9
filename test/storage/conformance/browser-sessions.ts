// Conformance tests for `BrowserSessionRepository`.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import { isActive } from '../../../src/model/browser-session.ts';
import { asBrowserSessionId } from '../../../src/model/ids.ts';
import type { User } from '../../../src/model/user.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';

export function browserSessionRepositoryConformance(open: () => Promise<TestStorage>): void {
  describe('BrowserSessionRepository', () => {
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
      rng = new SeededRng('sessions');
      [alice, bob] = await storage.transaction(async (repos) => [
        (await repos.users.add(rng, clock, 'alice'))!,
        (await repos.users.add(rng, clock, 'bob'))!,
      ]);
    });
    afterEach(() => t.cleanup());

    /** Starts sessions one second apart, so they sort in the order started. */
    async function start(user: User, count: number) {
      const sessions = [];
      for (let i = 0; i < count; i++) {
        clock.advance(1000);
        sessions.push(
          await storage.transaction((repos) =>
            repos.browserSessions.add(rng, clock, user, `agent ${i}`),
          ),
        );
      }
      return sessions;
    }

    it('adds a session and looks it up', async () => {
      clock.advance(5000);
      const session = await storage.transaction((repos) =>
        repos.browserSessions.add(rng, clock, alice, 'Mozilla/5.0 (X11; Linux x86_64)'),
      );
      assert.equal(session.userId, alice.id);
      assert.equal(session.userAgent, 'Mozilla/5.0 (X11; Linux x86_64)');
      assert.deepEqual(session.createdAt, clock.now());
      assert.equal(session.finishedAt, null);
      assert.equal(session.lastActiveAt, null);
      assert.equal(session.lastActiveIp, null);
      assert.ok(isActive(session));
      assert.deepEqual(
        await storage.transaction((repos) => repos.browserSessions.lookup(session.id)),
        session,
      );
    });

    it('adds a session without a user agent', async () => {
      const session = await storage.transaction((repos) =>
        repos.browserSessions.add(rng, clock, alice),
      );
      assert.equal(session.userAgent, null);
      assert.equal(
        (await storage.transaction((repos) => repos.browserSessions.lookup(session.id)))?.userAgent,
        null,
      );
    });

    it('returns null for a session that does not exist', async () => {
      await start(alice, 1);
      const missing = await storage.transaction((repos) =>
        repos.browserSessions.lookup(asBrowserSessionId('01ARZ3NDEKTSV4RRFFQ69G5FAV')),
      );
      assert.equal(missing, null);
    });

    it('finishes a session once', async () => {
      const [session] = await start(alice, 1);
      clock.advance(60_000);
      const finishedAt = clock.now();
      const finished = await storage.transaction((repos) =>
        repos.browserSessions.finish(clock, session!),
      );
      assert.deepEqual(finished.finishedAt, finishedAt);
      assert.equal(isActive(finished), false);

      clock.advance(60_000);
      const again = await storage.transaction((repos) =>
        repos.browserSessions.finish(clock, finished),
      );
      assert.deepEqual(again.finishedAt, finishedAt);
      assert.deepEqual(
        await storage.transaction((repos) => repos.browserSessions.lookup(session!.id)),
        again,
      );
    });

    it('lists and counts the active sessions of a user, oldest first', async () => {
      const mine = await start(alice, 3);
      await start(bob, 2);
      await storage.transaction((repos) => repos.browserSessions.finish(clock, mine[1]!));

      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.browserSessions.listActiveForUser(alice), [mine[0], mine[2]]);
        assert.equal((await repos.browserSessions.listActiveForUser(bob)).length, 2);
        assert.equal(await repos.browserSessions.countActive(alice), 2);
        assert.equal(await repos.browserSessions.countActive(bob), 2);
        assert.equal(await repos.browserSessions.countActive(), 4);
      });
    });

    it('finishes all active sessions of one user', async () => {
      const mine = await start(alice, 3);
      const theirs = await start(bob, 2);
      clock.advance(1000);
      const earlier = await storage.transaction((repos) =>
        repos.browserSessions.finish(clock, mine[0]!),
      );
      clock.advance(1000);

      const finished = await storage.transaction((repos) =>
        repos.browserSessions.finishAllForUser(clock, alice),
      );
      assert.equal(finished, 2);
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.browserSessions.listActiveForUser(alice), []);
        assert.equal(await repos.browserSessions.countActive(alice), 0);
        assert.deepEqual(
          (await repos.browserSessions.lookup(mine[2]!.id))?.finishedAt,
          clock.now(),
        );
        // A session finished before keeps its time.
        assert.deepEqual(await repos.browserSessions.lookup(mine[0]!.id), earlier);
        // Other users are untouched.
        assert.deepEqual(await repos.browserSessions.listActiveForUser(bob), theirs);
      });
      assert.equal(
        await storage.transaction((repos) => repos.browserSessions.finishAllForUser(clock, alice)),
        0,
      );
    });

    it('deletes sessions finished before a time, and only those', async () => {
      const [old, open] = await start(alice, 2);
      await storage.transaction((repos) => repos.browserSessions.finish(clock, old!));
      clock.advance(60_000);
      const [recent] = await start(bob, 1);
      await storage.transaction((repos) => repos.browserSessions.finish(clock, recent!));
      const cutoff = new Date(clock.now().getTime() - 30_000);
      assert.equal(
        await storage.transaction((repos) => repos.browserSessions.deleteFinishedBefore(cutoff)),
        1,
      );
      await storage.transaction(async (repos) => {
        assert.equal(await repos.browserSessions.lookup(old!.id), null);
        assert.notEqual(await repos.browserSessions.lookup(open!.id), null);
        assert.notEqual(await repos.browserSessions.lookup(recent!.id), null);
      });
      assert.equal(
        await storage.transaction((repos) => repos.browserSessions.deleteFinishedBefore(cutoff)),
        0,
      );
    });

    it('records activity', async () => {
      const [session, other] = await start(alice, 2);
      clock.advance(30_000);
      await storage.transaction((repos) =>
        repos.browserSessions.recordActivity(session!, clock, '192.0.2.7'),
      );
      let stored = await storage.transaction((repos) => repos.browserSessions.lookup(session!.id));
      assert.deepEqual(stored?.lastActiveAt, clock.now());
      assert.equal(stored?.lastActiveIp, '192.0.2.7');

      clock.advance(30_000);
      await storage.transaction((repos) =>
        repos.browserSessions.recordActivity(session!, clock, '2001:db8::1'),
      );
      stored = await storage.transaction((repos) => repos.browserSessions.lookup(session!.id));
      assert.deepEqual(stored?.lastActiveAt, clock.now());
      assert.equal(stored?.lastActiveIp, '2001:db8::1');

      clock.advance(30_000);
      await storage.transaction((repos) =>
        repos.browserSessions.recordActivity(session!, clock, null),
      );
      stored = await storage.transaction((repos) => repos.browserSessions.lookup(session!.id));
      assert.equal(stored?.lastActiveIp, null);
      // Only that session changed.
      assert.deepEqual(
        await storage.transaction((repos) => repos.browserSessions.lookup(other!.id)),
        other,
      );
    });
  });
}
