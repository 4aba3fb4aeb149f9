// Conformance tests for the compatibility layer's repositories: sessions (device lookup, finishing
// revokes tokens, activity), access and refresh tokens (by hash, single consumption) and SSO
// logins (complete once, exchange once).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import {
  isCompatAccessTokenValid,
  isCompatRefreshTokenUsable,
  ssoLoginStage,
  type CompatSession,
} from '../../../src/model/compat-session.ts';
import { SeededRng } from '../../../src/rng.ts';
import { StateConflictError } from '../../../src/storage/state-conflict-error.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';
import { hashOf, seedOAuth2World, type OAuth2World } from './oauth2-fixtures.ts';

export function compatRepositoryConformance(open: () => Promise<TestStorage>): void {
  describe('Compat repositories', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;
    let world: OAuth2World;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('compat');
      world = await seedOAuth2World(storage, clock, rng);
    });
    afterEach(() => t.cleanup());

    function addSession(deviceId: string, admin = false): Promise<CompatSession> {
      clock.advance(1000);
      return storage.transaction((repos) =>
        repos.compatSessions.add(rng, clock, {
          userId: world.user.id,
          deviceId,
          browserSessionId: null,
          isSynapseAdmin: admin,
          humanName: 'My phone',
          userAgent: 'Element/1.0',
        }),
      );
    }

    it('adds sessions and finds them by id, by device and by user', async () => {
      const a = await addSession('DEVICEAAAA', true);
      const b = await addSession('DEVICEBBBB');
      assert.equal(a.isSynapseAdmin, true);
      assert.equal(b.isSynapseAdmin, false);
      assert.equal(a.humanName, 'My phone');
      assert.equal(a.userAgent, 'Element/1.0');
      assert.equal(a.finishedAt, null);
      assert.equal(a.createdAt.toISOString(), '2026-03-01T10:00:01.000Z');
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.compatSessions.lookup(a.id), a);
        const byDevice = await repos.compatSessions.listActiveForDevice(
          world.user.id,
          'DEVICEBBBB',
        );
        assert.deepEqual(
          byDevice.map((s) => s.id),
          [b.id],
        );
        const all = await repos.compatSessions.listActiveForUser(world.user.id);
        assert.deepEqual(
          all.map((s) => s.id),
          [b.id, a.id],
        );
      });
    });

    it('finishing a session revokes its tokens and keeps the first finish time', async () => {
      const session = await addSession('DEVICEAAAA');
      const { access, refresh } = await storage.transaction(async (repos) => {
        const access = await repos.compatAccessTokens.add(rng, clock, session, hashOf('a1'), null);
        const refresh = await repos.compatRefreshTokens.add(
          rng,
          clock,
          session,
          hashOf('r1'),
          access,
        );
        return { access, refresh };
      });
      clock.advance(5000);
      const finished = await storage.transaction((repos) =>
        repos.compatSessions.finish(clock, session),
      );
      assert.equal(finished.finishedAt?.toISOString(), '2026-03-01T10:00:06.000Z');
      clock.advance(5000);
      const again = await storage.transaction((repos) =>
        repos.compatSessions.finish(clock, finished),
      );
      assert.equal(again.finishedAt?.toISOString(), '2026-03-01T10:00:06.000Z');
      await storage.transaction(async (repos) => {
        const a = (await repos.compatAccessTokens.findByHash(access.tokenHash))!;
        assert.equal(isCompatAccessTokenValid(a, clock.now()), false);
        const r = (await repos.compatRefreshTokens.findByHash(refresh.tokenHash))!;
        assert.equal(isCompatRefreshTokenUsable(r), false);
        assert.deepEqual(
          await repos.compatSessions.listActiveForDevice(world.user.id, 'DEVICEAAAA'),
          [],
        );
      });
    });

    it('access tokens: by hash, expiry and revocation', async () => {
      const session = await addSession('DEVICEAAAA');
      const expiresAt = new Date(clock.now().getTime() + 300_000);
      const token = await storage.transaction((repos) =>
        repos.compatAccessTokens.add(rng, clock, session, hashOf('a1'), expiresAt),
      );
      assert.equal(token.expiresAt?.getTime(), expiresAt.getTime());
      assert.equal(isCompatAccessTokenValid(token, clock.now()), true);
      assert.equal(isCompatAccessTokenValid(token, new Date(expiresAt.getTime() + 1)), false);
      await storage.transaction(async (repos) => {
        assert.equal(await repos.compatAccessTokens.findByHash(hashOf('nope')), null);
        assert.deepEqual(await repos.compatAccessTokens.lookup(token.id), token);
        const revoked = await repos.compatAccessTokens.revoke(clock, token);
        assert.equal(revoked.revokedAt?.getTime(), clock.now().getTime());
      });
    });

    it('a refresh token is consumed once', async () => {
      const session = await addSession('DEVICEAAAA');
      const refresh = await storage.transaction(async (repos) => {
        const access = await repos.compatAccessTokens.add(rng, clock, session, hashOf('a1'), null);
        return repos.compatRefreshTokens.add(rng, clock, session, hashOf('r1'), access);
      });
      assert.equal(isCompatRefreshTokenUsable(refresh), true);
      const consumed = await storage.transaction((repos) =>
        repos.compatRefreshTokens.consume(clock, refresh),
      );
      assert.equal(consumed.consumedAt?.getTime(), clock.now().getTime());
      await assert.rejects(
        storage.transaction((repos) => repos.compatRefreshTokens.consume(clock, refresh)),
        StateConflictError,
      );
    });

    it('records activity only forward', async () => {
      const session = await addSession('DEVICEAAAA');
      const t1 = new Date('2026-03-01T11:00:00.000Z');
      const t0 = new Date('2026-03-01T10:30:00.000Z');
      await storage.transaction(async (repos) => {
        await repos.compatSessions.recordActivity(session.id, t1, '192.0.2.1');
        await repos.compatSessions.recordActivity(session.id, t0, '192.0.2.2');
      });
      const loaded = await storage.transaction((repos) => repos.compatSessions.lookup(session.id));
      assert.equal(loaded?.lastActiveAt?.toISOString(), t1.toISOString());
      assert.equal(loaded?.lastActiveIp, '192.0.2.1');
    });

    it('records the activity of many sessions at once, newest entry of each, only forward', async () => {
      const a = await addSession('DEVICEBBBB');
      const b = await addSession('DEVICECCCC');
      const t0 = new Date('2026-03-01T10:00:00.000Z');
      const t1 = new Date('2026-03-01T10:00:00.001Z');
      const t2 = new Date('2026-03-01T10:00:05.000Z');
      await storage.transaction((repos) =>
        repos.compatSessions.recordActivities([
          { id: a.id, at: t1, ip: '192.0.2.1' },
          { id: a.id, at: t0, ip: '192.0.2.9' },
          { id: b.id, at: t2, ip: null },
        ]),
      );
      // A later batch with an older time changes nothing; a newer one without an ip keeps it.
      await storage.transaction((repos) =>
        repos.compatSessions.recordActivities([
          { id: a.id, at: t0, ip: '198.51.100.1' },
          { id: b.id, at: new Date(t2.getTime() + 1), ip: '2001:db8::2' },
        ]),
      );
      const [loadedA, loadedB] = await storage.transaction(async (repos) => [
        await repos.compatSessions.lookup(a.id),
        await repos.compatSessions.lookup(b.id),
      ]);
      assert.equal(loadedA?.lastActiveAt?.toISOString(), t1.toISOString());
      assert.equal(loadedA?.lastActiveIp, '192.0.2.1');
      assert.equal(loadedB?.lastActiveAt?.getTime(), t2.getTime() + 1);
      assert.equal(loadedB?.lastActiveIp, '2001:db8::2');
      await storage.transaction((repos) => repos.compatSessions.recordActivities([]));
    });

    it('SSO logins: completed once, exchanged once, with their stages', async () => {
      const login = await storage.transaction((repos) =>
        repos.compatSsoLogins.add(rng, clock, 'https://client.example/cb'),
      );
      assert.equal(ssoLoginStage(login, clock.now()), 'pending');
      assert.equal(ssoLoginStage(login, new Date(clock.now().getTime() + 31 * 60_000)), 'expired');
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.compatSsoLogins.lookup(login.id), login);
        assert.equal(login.loginTokenHash, null);
        assert.equal(await repos.compatSsoLogins.findByTokenHash(hashOf('lt')), null);
      });
      const session = await addSession('DEVICEAAAA');
      // Not completed: cannot be exchanged.
      await assert.rejects(
        storage.transaction((repos) => repos.compatSsoLogins.exchange(clock, login, session)),
        StateConflictError,
      );
      const fulfilled = await storage.transaction((repos) =>
        repos.compatSsoLogins.fulfill(clock, login, world.browserSession.id, hashOf('lt')),
      );
      assert.deepEqual(
        await storage.transaction((repos) => repos.compatSsoLogins.findByTokenHash(hashOf('lt'))),
        fulfilled,
      );
      assert.equal(fulfilled.browserSessionId, world.browserSession.id);
      assert.equal(ssoLoginStage(fulfilled, clock.now()), 'fulfilled');
      assert.equal(
        ssoLoginStage(fulfilled, new Date(clock.now().getTime() + 31_000)),
        'exchange-expired',
      );
      await assert.rejects(
        storage.transaction((repos) =>
          repos.compatSsoLogins.fulfill(clock, login, world.browserSession.id, hashOf('lt2')),
        ),
        StateConflictError,
      );
      const exchanged = await storage.transaction((repos) =>
        repos.compatSsoLogins.exchange(clock, fulfilled, session),
      );
      assert.equal(exchanged.compatSessionId, session.id);
      assert.equal(ssoLoginStage(exchanged, clock.now()), 'exchanged');
      await assert.rejects(
        storage.transaction((repos) => repos.compatSsoLogins.exchange(clock, fulfilled, session)),
        StateConflictError,
      );
    });
  });
}
