// Conformance tests for `OAuth2SessionRepository`: ending a session revokes its tokens, and
// batched activity only moves forward.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import type { BrowserSessionId, OAuth2SessionId } from '../../../src/model/ids.ts';
import { asOAuth2SessionId } from '../../../src/model/ids.ts';
import { isSessionActive, type OAuth2Session } from '../../../src/model/oauth2-session.ts';
import type { AccessToken, RefreshToken } from '../../../src/model/oauth2-token.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';
import { hashOf, seedOAuth2World, type OAuth2World } from './oauth2-fixtures.ts';

export function oauth2SessionRepositoryConformance(open: () => Promise<TestStorage>): void {
  describe('OAuth2SessionRepository', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;
    let world: OAuth2World;
    let tokenCount = 0;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('oauth2-sessions');
      world = await seedOAuth2World(storage, clock, rng);
    });
    afterEach(() => t.cleanup());

    /** Starts a session one second after the previous one, with an access and a refresh token. */
    async function start(browserSessionId: BrowserSessionId | null = world.browserSession.id) {
      clock.advance(1000);
      return storage.transaction(async (repos) => {
        const session = await repos.oauth2Sessions.add(rng, clock, {
          clientId: world.client.id,
          userId: world.user.id,
          browserSessionId,
          scope: 'openid',
          userAgent: 'Element',
        });
        tokenCount += 1;
        const access = await repos.accessTokens.add(
          rng,
          clock,
          session,
          hashOf(`at${tokenCount}`),
          null,
        );
        const refresh = await repos.refreshTokens.add(
          rng,
          clock,
          session,
          hashOf(`rt${tokenCount}`),
          access,
        );
        return { session, access, refresh };
      });
    }

    async function tokens(access: AccessToken, refresh: RefreshToken) {
      return storage.transaction(async (repos) => ({
        access: (await repos.accessTokens.lookup(access.id))!,
        refresh: (await repos.refreshTokens.lookup(refresh.id))!,
      }));
    }

    it('adds sessions with and without a user and looks them up', async () => {
      const added = await storage.transaction(async (repos) => {
        const forUser = await repos.oauth2Sessions.add(rng, clock, {
          clientId: world.client.id,
          userId: world.user.id,
          browserSessionId: world.browserSession.id,
          scope: 'openid email',
          userAgent: 'Element',
          humanName: 'Element on Linux',
        });
        const forClient = await repos.oauth2Sessions.add(rng, clock, {
          clientId: world.client.id,
          userId: null,
          browserSessionId: null,
          scope: 'urn:mas:admin',
          userAgent: null,
        });
        return { forUser, forClient };
      });
      assert.deepEqual(added.forUser, {
        id: added.forUser.id,
        clientId: world.client.id,
        userId: world.user.id,
        browserSessionId: world.browserSession.id,
        scope: 'openid email',
        createdAt: clock.now(),
        finishedAt: null,
        userAgent: 'Element',
        lastActiveAt: null,
        lastActiveIp: null,
        humanName: 'Element on Linux',
      });
      assert.equal(added.forClient.userId, null);
      assert.equal(added.forClient.humanName, null);
      assert.ok(isSessionActive(added.forClient));
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.oauth2Sessions.lookup(added.forUser.id), added.forUser);
        assert.deepEqual(await repos.oauth2Sessions.lookup(added.forClient.id), added.forClient);
        assert.equal(
          await repos.oauth2Sessions.lookup(asOAuth2SessionId('01ARZ3NDEKTSV4RRFFQ69G5FAV')),
          null,
        );
      });
    });

    it('finishes a session once and revokes its tokens in the same transaction', async () => {
      const a = await start();
      const b = await start();
      clock.advance(1000);
      const revokedEarlier = await storage.transaction((repos) =>
        repos.accessTokens.revoke(clock, a.access),
      );
      clock.advance(1000);
      const finishedAt = clock.now();
      const finished = await storage.transaction((repos) =>
        repos.oauth2Sessions.finish(clock, a.session),
      );
      assert.deepEqual(finished.finishedAt, finishedAt);
      assert.equal(isSessionActive(finished), false);
      const after = await tokens(a.access, a.refresh);
      // A token revoked before keeps its time; the others are revoked now.
      assert.deepEqual(after.access.revokedAt, revokedEarlier.revokedAt);
      assert.deepEqual(after.refresh.revokedAt, finishedAt);
      // The other session is untouched.
      assert.deepEqual(await tokens(b.access, b.refresh), { access: b.access, refresh: b.refresh });

      // Finishing again keeps the first time, and revokes a token issued since.
      clock.advance(1000);
      const late = await storage.transaction((repos) =>
        repos.accessTokens.add(rng, clock, finished, hashOf('late'), null),
      );
      clock.advance(1000);
      const again = await storage.transaction((repos) =>
        repos.oauth2Sessions.finish(clock, finished),
      );
      assert.deepEqual(again.finishedAt, finishedAt);
      const lateNow = await storage.transaction((repos) => repos.accessTokens.lookup(late.id));
      assert.deepEqual(lateNow?.revokedAt, clock.now());

      // Rolled back with the transaction: nothing is revoked.
      await assert.rejects(
        storage.transaction(async (repos) => {
          await repos.oauth2Sessions.finish(clock, b.session);
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.deepEqual(await tokens(b.access, b.refresh), { access: b.access, refresh: b.refresh });
      assert.equal(
        (await storage.transaction((repos) => repos.oauth2Sessions.lookup(b.session.id)))
          ?.finishedAt,
        null,
      );
    });

    it('finishes every active session of a browser session and revokes their tokens', async () => {
      const otherBrowser = await storage.transaction((repos) =>
        repos.browserSessions.add(rng, clock, world.user),
      );
      const one = await start();
      const two = await start();
      const done = await start();
      const elsewhere = await start(otherBrowser.id);
      const detached = await start(null);
      const doneFinished = await storage.transaction((repos) =>
        repos.oauth2Sessions.finish(clock, done.session),
      );
      clock.advance(1000);

      assert.equal(
        await storage.transaction((repos) =>
          repos.oauth2Sessions.finishAllForBrowserSession(clock, world.browserSession.id),
        ),
        2,
      );
      await storage.transaction(async (repos) => {
        for (const { session, access, refresh } of [one, two]) {
          assert.deepEqual(
            (await repos.oauth2Sessions.lookup(session.id))?.finishedAt,
            clock.now(),
          );
          assert.deepEqual((await repos.accessTokens.lookup(access.id))?.revokedAt, clock.now());
          assert.deepEqual((await repos.refreshTokens.lookup(refresh.id))?.revokedAt, clock.now());
        }
        assert.deepEqual(await repos.oauth2Sessions.lookup(done.session.id), doneFinished);
        for (const { session, access } of [elsewhere, detached]) {
          assert.deepEqual(await repos.oauth2Sessions.lookup(session.id), session);
          assert.deepEqual(await repos.accessTokens.lookup(access.id), access);
        }
        assert.equal(
          await repos.oauth2Sessions.finishAllForBrowserSession(clock, world.browserSession.id),
          0,
        );
      });
    });

    it('lists the active sessions of a user, newest first', async () => {
      const bob = await storage.transaction(
        async (repos) => (await repos.users.add(rng, clock, 'bob'))!,
      );
      const [a, b, c] = [await start(), await start(), await start()];
      await storage.transaction(async (repos) => {
        await repos.oauth2Sessions.add(rng, clock, {
          clientId: world.client.id,
          userId: bob.id,
          browserSessionId: null,
          scope: 'openid',
          userAgent: null,
        });
        await repos.oauth2Sessions.finish(clock, b.session);
      });
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.oauth2Sessions.listActiveForUser(world.user.id), [
          c.session,
          a.session,
        ]);
        assert.equal((await repos.oauth2Sessions.listActiveForUser(bob.id)).length, 1);
      });
    });

    it('lists the active sessions of a user holding a device, by exact device id', async () => {
      const bob = await storage.transaction(
        async (repos) => (await repos.users.add(rng, clock, 'bob'))!,
      );
      const add = (userId: typeof bob.id, scope: string) =>
        storage.transaction((repos) =>
          repos.oauth2Sessions.add(rng, clock, {
            clientId: world.client.id,
            userId,
            browserSessionId: null,
            scope,
            userAgent: null,
          }),
        );
      const API = 'urn:matrix:client:api:*';
      const UAPI = 'urn:matrix:org.matrix.msc2967.client:api:*';
      const stable = await add(world.user.id, `openid ${API} urn:matrix:client:device:ABCDEFGHIJ`);
      const unstable = await add(
        world.user.id,
        `${UAPI} openid urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ`,
      );
      const ended = await add(world.user.id, `${API} urn:matrix:client:device:ABCDEFGHIJ`);
      // Not matches: a longer id starting with it, one containing it, another case, a look-alike
      // scope that is not a device scope, no device, another user's session.
      const longer = await add(world.user.id, `openid ${API} urn:matrix:client:device:ABCDEFGHIJK`);
      await add(world.user.id, `openid ${API} urn:matrix:client:device:XABCDEFGHIJX`);
      const lower = await add(world.user.id, `openid ${API} urn:matrix:client:device:abcdefghij`);
      await add(world.user.id, 'openid urn:x:device:ABCDEFGHIJ');
      await add(world.user.id, `openid ${API}`);
      const bobs = await add(bob.id, `openid ${API} urn:matrix:client:device:ABCDEFGHIJ`);
      await storage.transaction((repos) => repos.oauth2Sessions.finish(clock, ended));

      const found = await storage.transaction((repos) =>
        repos.oauth2Sessions.listActiveForDevice(world.user.id, 'ABCDEFGHIJ'),
      );
      assert.deepEqual(found.map((s) => s.id).sort(), [stable.id, unstable.id].sort());
      // The sessions as they were stored.
      assert.deepEqual(
        found.find((s) => s.id === stable.id),
        stable,
      );
      assert.deepEqual(
        found.find((s) => s.id === unstable.id),
        unstable,
      );
      await storage.transaction(async (repos) => {
        const ids = async (userId: typeof bob.id, deviceId: string) =>
          (await repos.oauth2Sessions.listActiveForDevice(userId, deviceId)).map((s) => s.id);
        assert.deepEqual(await ids(bob.id, 'ABCDEFGHIJ'), [bobs.id]);
        assert.deepEqual(await ids(world.user.id, 'abcdefghij'), [lower.id]);
        assert.deepEqual(await ids(world.user.id, 'ABCDEFGHIJK'), [longer.id]);
        assert.deepEqual(await ids(world.user.id, 'ABCDEFGHI'), []);
        assert.deepEqual(await ids(world.user.id, 'BCDEFGHIJ'), []);
        assert.deepEqual(await ids(world.user.id, 'ABCDEFGHI%'), []);
        assert.deepEqual(await ids(world.user.id, 'NOSUCHDEVICE'), []);
      });
    });

    it('records activity in batches, only ever moving forward', async () => {
      const [a, b, c] = [await start(), await start(), await start()];
      const t0 = clock.now().getTime();
      const at = (s: number) => new Date(t0 + s * 1000);
      const entry = (s: { session: OAuth2Session }, sec: number, ip: string | null) => ({
        id: s.session.id as OAuth2SessionId,
        at: at(sec),
        ip,
      });
      const read = async (s: { session: OAuth2Session }) => {
        const row = (await storage.transaction((repos) =>
          repos.oauth2Sessions.lookup(s.session.id),
        ))!;
        return { at: row.lastActiveAt, ip: row.lastActiveIp };
      };

      await storage.transaction((repos) =>
        repos.oauth2Sessions.recordActivity([
          entry(a, 10, '192.0.2.1'),
          entry(a, 30, '192.0.2.3'),
          entry(a, 20, '192.0.2.2'),
          entry(b, 30, '192.0.2.3'),
          entry(c, 5, null),
        ]),
      );
      assert.deepEqual(await read(a), { at: at(30), ip: '192.0.2.3' });
      assert.deepEqual(await read(b), { at: at(30), ip: '192.0.2.3' });
      assert.deepEqual(await read(c), { at: at(5), ip: null });

      // A late batch with older times changes nothing; a newer time without an ip keeps the ip.
      await storage.transaction((repos) =>
        repos.oauth2Sessions.recordActivity([
          entry(a, 25, '198.51.100.9'),
          entry(b, 40, null),
          entry(c, 6, '2001:db8::7'),
        ]),
      );
      assert.deepEqual(await read(a), { at: at(30), ip: '192.0.2.3' });
      assert.deepEqual(await read(b), { at: at(40), ip: '192.0.2.3' });
      assert.deepEqual(await read(c), { at: at(6), ip: '2001:db8::7' });

      // An empty batch, and one larger than a statement's chunk of ids.
      await storage.transaction((repos) => repos.oauth2Sessions.recordActivity([]));
      const many = Array.from({ length: 1200 }, (_, i) => ({
        id: asOAuth2SessionId(`01ARZ3NDEKTSV4RRFFQ6${String(i).padStart(6, '0')}`),
        at: at(50),
        ip: '192.0.2.50',
      }));
      await storage.transaction((repos) =>
        repos.oauth2Sessions.recordActivity([
          ...many,
          entry(a, 50, '192.0.2.50'),
          entry(c, 50, '192.0.2.50'),
        ]),
      );
      assert.deepEqual(await read(a), { at: at(50), ip: '192.0.2.50' });
      assert.deepEqual(await read(c), { at: at(50), ip: '192.0.2.50' });
      assert.deepEqual(await read(b), { at: at(40), ip: '192.0.2.3' });
    });

    it('records a batch of sessions each seen at its own time and address', async () => {
      // As introspection records them: every session at a different millisecond. 43 sessions cover
      // each of the statement group sizes (32 + 4 + 4 + 1 + 1 + 1).
      const sessions: OAuth2Session[] = [];
      for (let i = 0; i < 43; i++) sessions.push((await start()).session);
      const t0 = clock.now().getTime();
      const at = (i: number) => new Date(t0 + 1000 + i);
      await storage.transaction((repos) =>
        repos.oauth2Sessions.recordActivity(
          sessions.map((s, i) => ({
            id: s.id,
            at: at(i),
            ip: i % 2 === 0 ? `192.0.2.${i}` : null,
          })),
        ),
      );
      const stored = await storage.transaction((repos) =>
        Promise.all(sessions.map((s) => repos.oauth2Sessions.lookup(s.id))),
      );
      stored.forEach((row, i) => {
        assert.deepEqual(row!.lastActiveAt, at(i), `session ${i}`);
        assert.equal(row!.lastActiveIp, i % 2 === 0 ? `192.0.2.${i}` : null, `session ${i}`);
      });
    });
  });
}
