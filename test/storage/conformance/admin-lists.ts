// Conformance tests for the paginated, filtered lists the Admin API serves (beyond users):
// `UserEmailRepository`, `OAuth2SessionRepository` and `BrowserSessionRepository`
// and `CompatSessionRepository` `list` / `count`, and `UserRegistrationTokenRepository.listPage` /
// `count` with its state filters. Pages are ordered by id
// and walk both ways.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import type { BrowserSession } from '../../../src/model/browser-session.ts';
import type { CompatSession } from '../../../src/model/compat-session.ts';
import type { OAuth2Session } from '../../../src/model/oauth2-session.ts';
import type { User } from '../../../src/model/user.ts';
import type { UserEmailId } from '../../../src/model/user-email.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';
import { clientFields, newClientId, seedOAuth2World } from './oauth2-fixtures.ts';

export function adminListConformance(open: () => Promise<TestStorage>): void {
  describe('admin lists', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('admin-lists');
    });
    afterEach(() => t.cleanup());

    async function addUser(username: string): Promise<User> {
      const user = await storage.transaction((repos) => repos.users.add(rng, clock, username));
      assert.ok(user);
      return user;
    }

    it('lists and counts user emails by user and by address, a page at a time', async () => {
      const alice = await addUser('alice');
      const bob = await addUser('bob');
      const ids: UserEmailId[] = [];
      for (const [user, email] of [
        [alice, 'a1@example.com'],
        [bob, 'Shared@Example.com'],
        [alice, 'a2@example.com'],
        [alice, 'shared@example.com'],
      ] as const) {
        clock.advance(1000);
        const added = await storage.transaction((repos) =>
          repos.userEmails.add(rng, clock, user, email),
        );
        ids.push(added.id);
      }
      await storage.transaction(async (repos) => {
        const all = await repos.userEmails.list({}, { first: 10 });
        assert.deepEqual(
          all.items.map((e) => e.id),
          ids,
        );
        assert.equal(all.hasNextPage, false);
        assert.equal(all.hasPreviousPage, false);
        assert.equal(await repos.userEmails.count({}), 4);

        const first = await repos.userEmails.list({ userId: alice.id }, { first: 2 });
        assert.deepEqual(
          first.items.map((e) => e.email),
          ['a1@example.com', 'a2@example.com'],
        );
        assert.equal(first.hasNextPage, true);
        assert.equal(first.hasPreviousPage, false);
        const second = await repos.userEmails.list(
          { userId: alice.id },
          { first: 2, after: first.items[1]!.id },
        );
        assert.deepEqual(
          second.items.map((e) => e.email),
          ['shared@example.com'],
        );
        assert.equal(second.hasNextPage, false);
        assert.equal(second.hasPreviousPage, true);
        const last = await repos.userEmails.list({ userId: alice.id }, { last: 1 });
        assert.deepEqual(
          last.items.map((e) => e.email),
          ['shared@example.com'],
        );
        assert.equal(last.hasPreviousPage, true);
        const before = await repos.userEmails.list(
          { userId: alice.id },
          { last: 5, before: ids[3]! },
        );
        assert.equal(before.items.length, 2);
        assert.equal(before.hasNextPage, true);
        assert.equal(await repos.userEmails.count({ userId: alice.id }), 3);

        const shared = await repos.userEmails.list({ email: 'SHARED@example.COM' }, { first: 10 });
        assert.deepEqual(
          shared.items.map((e) => e.userId),
          [bob.id, alice.id],
        );
        assert.equal(await repos.userEmails.count({ email: 'shared@example.com' }), 2);
        assert.equal(
          await repos.userEmails.count({ userId: bob.id, email: 'shared@example.com' }),
          1,
        );
        assert.equal(await repos.userEmails.count({ email: 'nobody@example.com' }), 0);
      });
    });

    it('lists and counts OAuth 2.0 sessions by user, client and state', async () => {
      const world = await seedOAuth2World(storage, clock, rng);
      const bob = await addUser('bob');
      const other = await storage.transaction((repos) =>
        repos.oauth2Clients.addDynamic(clock, newClientId(clock, rng), clientFields()),
      );
      const sessions: OAuth2Session[] = [];
      for (const [userId, clientId] of [
        [world.user.id, world.client.id],
        [bob.id, world.client.id],
        [world.user.id, other.id],
        [null, other.id],
      ] as const) {
        clock.advance(1000);
        sessions.push(
          await storage.transaction((repos) =>
            repos.oauth2Sessions.add(rng, clock, {
              clientId,
              userId,
              browserSessionId: null,
              scope: 'openid',
              userAgent: null,
            }),
          ),
        );
      }
      await storage.transaction((repos) => repos.oauth2Sessions.finish(clock, sessions[2]!));
      await storage.transaction(async (repos) => {
        const ids = async (filter: Parameters<typeof repos.oauth2Sessions.list>[0]) =>
          (await repos.oauth2Sessions.list(filter, { first: 10 })).items.map((s) => s.id);
        assert.deepEqual(
          await ids({}),
          sessions.map((s) => s.id),
        );
        assert.deepEqual(await ids({ userId: world.user.id }), [sessions[0]!.id, sessions[2]!.id]);
        assert.deepEqual(await ids({ clientId: other.id }), [sessions[2]!.id, sessions[3]!.id]);
        assert.deepEqual(await ids({ state: 'finished' }), [sessions[2]!.id]);
        assert.deepEqual(await ids({ userId: world.user.id, state: 'active' }), [sessions[0]!.id]);
        assert.equal(await repos.oauth2Sessions.count({ state: 'active' }), 3);
        assert.equal(await repos.oauth2Sessions.count({ clientId: world.client.id }), 2);
        const page = await repos.oauth2Sessions.list({}, { first: 3, after: sessions[0]!.id });
        assert.equal(page.items.length, 3);
        assert.equal(page.hasPreviousPage, true);
        assert.equal(page.hasNextPage, false);
        const back = await repos.oauth2Sessions.list({}, { last: 2, before: sessions[3]!.id });
        assert.deepEqual(
          back.items.map((s) => s.id),
          [sessions[1]!.id, sessions[2]!.id],
        );
        assert.equal(back.hasPreviousPage, true);
        assert.equal(back.hasNextPage, true);
      });
    });

    it('lists and counts browser sessions by user and state', async () => {
      const alice = await addUser('alice');
      const bob = await addUser('bob');
      const sessions: BrowserSession[] = [];
      for (const user of [alice, bob, alice, alice]) {
        clock.advance(1000);
        sessions.push(
          await storage.transaction((repos) => repos.browserSessions.add(rng, clock, user, 'UA')),
        );
      }
      await storage.transaction((repos) => repos.browserSessions.finish(clock, sessions[0]!));
      await storage.transaction(async (repos) => {
        const ids = async (filter: Parameters<typeof repos.browserSessions.list>[0]) =>
          (await repos.browserSessions.list(filter, { first: 10 })).items.map((s) => s.id);
        assert.deepEqual(
          await ids({}),
          sessions.map((s) => s.id),
        );
        assert.deepEqual(await ids({ userId: alice.id }), [
          sessions[0]!.id,
          sessions[2]!.id,
          sessions[3]!.id,
        ]);
        assert.deepEqual(await ids({ state: 'finished' }), [sessions[0]!.id]);
        assert.deepEqual(await ids({ userId: alice.id, state: 'active' }), [
          sessions[2]!.id,
          sessions[3]!.id,
        ]);
        assert.equal(await repos.browserSessions.count({ state: 'active' }), 3);
        assert.equal(await repos.browserSessions.count({ userId: bob.id }), 1);
        const page = await repos.browserSessions.list({ userId: alice.id }, { first: 1 });
        assert.deepEqual(
          page.items.map((s) => s.id),
          [sessions[0]!.id],
        );
        assert.equal(page.hasNextPage, true);
        assert.equal(page.hasPreviousPage, false);
      });
    });

    it('lists and counts compat sessions by user and state', async () => {
      const alice = await addUser('alice');
      const bob = await addUser('bob');
      const sessions: CompatSession[] = [];
      for (const [user, device] of [
        [alice, 'AAA'],
        [bob, 'BBB'],
        [alice, 'CCC'],
      ] as const) {
        clock.advance(1000);
        sessions.push(
          await storage.transaction((repos) =>
            repos.compatSessions.add(rng, clock, {
              userId: user.id,
              deviceId: device,
              browserSessionId: null,
              isSynapseAdmin: false,
              humanName: null,
              userAgent: null,
            }),
          ),
        );
      }
      await storage.transaction((repos) => repos.compatSessions.finish(clock, sessions[2]!));
      await storage.transaction(async (repos) => {
        const ids = async (filter: Parameters<typeof repos.compatSessions.list>[0]) =>
          (await repos.compatSessions.list(filter, { first: 10 })).items.map((s) => s.id);
        assert.deepEqual(
          await ids({}),
          sessions.map((s) => s.id),
        );
        assert.deepEqual(await ids({ userId: alice.id }), [sessions[0]!.id, sessions[2]!.id]);
        assert.deepEqual(await ids({ state: 'finished' }), [sessions[2]!.id]);
        assert.deepEqual(await ids({ userId: alice.id, state: 'active' }), [sessions[0]!.id]);
        assert.equal(await repos.compatSessions.count({ state: 'active' }), 2);
        const page = await repos.compatSessions.list({}, { last: 1, before: sessions[2]!.id });
        assert.deepEqual(
          page.items.map((s) => s.id),
          [sessions[1]!.id],
        );
        assert.equal(page.hasPreviousPage, true);
        assert.equal(page.hasNextPage, true);
      });
    });

    it('lists and counts registration tokens by state', async () => {
      const make = (token: string, usageLimit: number | null, expiresAt: Date | null) =>
        storage.transaction(async (repos) => {
          clock.advance(1000);
          const added = await repos.registrationTokens.add(rng, clock, {
            token,
            usageLimit,
            expiresAt,
          });
          assert.ok(added);
          return added;
        });
      const fresh = await make('fresh', null, null);
      const usedUp = await make('used-up', 1, null);
      const revoked = await make('revoked', null, null);
      const expiring = await make('expiring', 5, new Date(clock.now().getTime() + 60_000));
      await storage.transaction(async (repos) => {
        await repos.registrationTokens.use(clock, usedUp);
        await repos.registrationTokens.use(clock, expiring);
        await repos.registrationTokens.revoke(clock, revoked);
      });
      clock.advance(120_000);
      const now = clock.now();
      await storage.transaction(async (repos) => {
        const tokens = async (
          filter: Omit<Parameters<typeof repos.registrationTokens.count>[0], 'now'>,
        ) =>
          (await repos.registrationTokens.listPage({ ...filter, now }, { first: 10 })).items.map(
            (t) => t.token,
          );
        assert.deepEqual(await tokens({}), ['fresh', 'used-up', 'revoked', 'expiring']);
        assert.deepEqual(await tokens({ valid: true }), ['fresh']);
        assert.deepEqual(await tokens({ valid: false }), ['used-up', 'revoked', 'expiring']);
        assert.deepEqual(await tokens({ used: true }), ['used-up', 'expiring']);
        assert.deepEqual(await tokens({ used: false }), ['fresh', 'revoked']);
        assert.deepEqual(await tokens({ revoked: true }), ['revoked']);
        assert.deepEqual(await tokens({ expired: true }), ['expiring']);
        assert.deepEqual(await tokens({ expired: false, used: false }), ['fresh', 'revoked']);
        assert.equal(await repos.registrationTokens.count({ now }), 4);
        assert.equal(await repos.registrationTokens.count({ now, revoked: false }), 3);
        const page = await repos.registrationTokens.listPage(
          { now },
          { first: 2, after: fresh.id },
        );
        assert.deepEqual(
          page.items.map((t) => t.id),
          [usedUp.id, revoked.id],
        );
        assert.equal(page.hasNextPage, true);
        assert.equal(page.hasPreviousPage, true);
      });
    });
  });
}
