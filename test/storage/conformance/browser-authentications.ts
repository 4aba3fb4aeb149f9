// Conformance tests for the authentications of a browser session
// (`BrowserSessionRepository.authenticate` and `lastAuthentication`).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import type { BrowserSession } from '../../../src/model/browser-session.ts';
import type { User } from '../../../src/model/user.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';

export function browserAuthenticationConformance(open: () => Promise<TestStorage>): void {
  describe('BrowserSessionRepository authentications', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;
    let user: User;
    let session: BrowserSession;
    let other: BrowserSession;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('browser-authentications');
      ({ user, session, other } = await storage.transaction(async (repos) => {
        const user = (await repos.users.add(rng, clock, 'alice'))!;
        return {
          user,
          session: await repos.browserSessions.add(rng, clock, user),
          other: await repos.browserSessions.add(rng, clock, user),
        };
      }));
    });
    afterEach(() => t.cleanup());

    it('records authentications and returns the newest', async () => {
      assert.equal(
        await storage.transaction((repos) => repos.browserSessions.lastAuthentication(session)),
        null,
      );
      const password = await storage.transaction((repos) =>
        repos.userPasswords.add(rng, clock, user, 1, 'hash'),
      );
      clock.advance(1000);
      const first = await storage.transaction((repos) =>
        repos.browserSessions.authenticate(rng, clock, session, 'password', password),
      );
      assert.deepEqual(first, {
        id: first.id,
        browserSessionId: session.id,
        method: 'password',
        userPasswordId: password.id,
        createdAt: clock.now(),
      });
      clock.advance(60_000);
      const second = await storage.transaction((repos) =>
        repos.browserSessions.authenticate(rng, clock, session, 'password', null),
      );
      assert.equal(second.userPasswordId, null);
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.browserSessions.lastAuthentication(session), second);
        assert.equal(await repos.browserSessions.lastAuthentication(other), null);
      });
      // An older one recorded later (the clock went back) does not win.
      clock.advance(-30_000);
      await storage.transaction((repos) =>
        repos.browserSessions.authenticate(rng, clock, session, 'password', null),
      );
      assert.deepEqual(
        await storage.transaction((repos) => repos.browserSessions.lastAuthentication(session)),
        second,
      );
    });

    it('breaks a tie in the same millisecond by the greater id, which is the newest', async () => {
      const made = await storage.transaction(async (repos) => {
        const list = [];
        for (let i = 0; i < 6; i++)
          list.push(await repos.browserSessions.authenticate(rng, clock, other, 'password', null));
        return list;
      });
      const greatest = [...made].sort((a, b) => (a.id < b.id ? 1 : -1))[0]!;
      // ULIDs from one Rng are monotonic within a millisecond (src/rng.ts), so the greatest id is
      // the last one made: ordering by (created_at, id) is creation order.
      assert.equal(greatest, made.at(-1));
      assert.deepEqual(
        await storage.transaction((repos) => repos.browserSessions.lastAuthentication(other)),
        greatest,
      );
    });
  });
}
