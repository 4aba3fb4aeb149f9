// Conformance tests for `AccessTokenRepository` and `RefreshTokenRepository`.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import { asAccessTokenId, asRefreshTokenId } from '../../../src/model/ids.ts';
import type { OAuth2Session } from '../../../src/model/oauth2-session.ts';
import { isAccessTokenValid, isRefreshTokenUsable } from '../../../src/model/oauth2-token.ts';
import { SeededRng } from '../../../src/rng.ts';
import { StateConflictError } from '../../../src/storage/state-conflict-error.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';
import { hashOf, seedOAuth2World, type OAuth2World } from './oauth2-fixtures.ts';

const MISSING = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

export function oauth2TokenRepositoryConformance(open: () => Promise<TestStorage>): void {
  describe('AccessTokenRepository and RefreshTokenRepository', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;
    let world: OAuth2World;
    let session: OAuth2Session;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('oauth2-tokens');
      world = await seedOAuth2World(storage, clock, rng);
      session = await storage.transaction((repos) =>
        repos.oauth2Sessions.add(rng, clock, {
          clientId: world.client.id,
          userId: world.user.id,
          browserSessionId: world.browserSession.id,
          scope: 'openid',
          userAgent: null,
        }),
      );
    });
    afterEach(() => t.cleanup());

    const inMs = (ms: number) => new Date(clock.now().getTime() + ms);

    it('adds access tokens and finds them by id and by hash', async () => {
      const [expiring, forever] = await storage.transaction(async (repos) => [
        await repos.accessTokens.add(rng, clock, session, hashOf('mat_1'), inMs(300_000)),
        await repos.accessTokens.add(rng, clock, session, hashOf('mat_2'), null),
      ]);
      assert.deepEqual(expiring, {
        id: expiring!.id,
        sessionId: session.id,
        tokenHash: hashOf('mat_1'),
        createdAt: clock.now(),
        expiresAt: inMs(300_000),
        revokedAt: null,
        firstUsedAt: null,
      });
      assert.equal(forever!.expiresAt, null);
      assert.ok(isAccessTokenValid(expiring!, clock.now()));
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.accessTokens.lookup(expiring!.id), expiring);
        assert.deepEqual(await repos.accessTokens.findByHash(hashOf('mat_2')), forever);
        assert.equal(await repos.accessTokens.lookup(asAccessTokenId(MISSING)), null);
        assert.equal(await repos.accessTokens.findByHash(hashOf('mat_3')), null);
      });
      // The hash is unique.
      await assert.rejects(
        storage.transaction((repos) =>
          repos.accessTokens.add(rng, clock, session, hashOf('mat_1'), null),
        ),
      );
    });

    it('finds an access token with its session and user in one read, whatever their states', async () => {
      const service = await storage.transaction((repos) =>
        repos.oauth2Sessions.add(rng, clock, {
          clientId: world.client.id,
          userId: null,
          browserSessionId: null,
          scope: 'urn:mas:admin',
          userAgent: null,
        }),
      );
      const [mine, theirs] = await storage.transaction(async (repos) => [
        await repos.accessTokens.add(rng, clock, session, hashOf('mat_own'), inMs(300_000)),
        await repos.accessTokens.add(rng, clock, service, hashOf('mat_svc'), null),
      ]);
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.accessTokenOwners.findByHash(hashOf('mat_own')), {
          token: mine,
          session: await repos.oauth2Sessions.lookup(session.id),
          user: await repos.users.lookup(world.user.id),
        });
        assert.deepEqual(await repos.accessTokenOwners.findByHash(hashOf('mat_svc')), {
          token: theirs,
          session: service,
          user: null,
        });
        assert.equal(await repos.accessTokenOwners.findByHash(hashOf('mat_none')), null);
      });
      // Ended and locked are reported, not filtered: the caller judges.
      clock.advance(1000);
      await storage.transaction(async (repos) => {
        await repos.oauth2Sessions.finish(clock, session);
        await repos.users.lock(clock, world.user);
      });
      const later = await storage.transaction((repos) =>
        repos.accessTokenOwners.findByHash(hashOf('mat_own')),
      );
      assert.deepEqual(later?.session.finishedAt, clock.now());
      assert.deepEqual(later?.user?.lockedAt, clock.now());
    });

    it('revokes an access token once', async () => {
      const token = await storage.transaction((repos) =>
        repos.accessTokens.add(rng, clock, session, hashOf('a'), null),
      );
      clock.advance(1000);
      const revoked = await storage.transaction((repos) => repos.accessTokens.revoke(clock, token));
      assert.deepEqual(revoked.revokedAt, clock.now());
      assert.equal(isAccessTokenValid(revoked, clock.now()), false);
      clock.advance(1000);
      const again = await storage.transaction((repos) => repos.accessTokens.revoke(clock, revoked));
      assert.deepEqual(again, revoked);
    });

    it('revokes an unrevoked access token by id in one call, and says whether it did', async () => {
      const token = await storage.transaction((repos) =>
        repos.accessTokens.add(rng, clock, session, hashOf('by-id'), null),
      );
      clock.advance(1000);
      const revokedAt = clock.now();
      assert.equal(
        await storage.transaction((repos) => repos.accessTokens.revokeUnrevoked(clock, token.id)),
        true,
      );
      clock.advance(1000);
      // Already revoked: nothing changes, and the first revocation time stays.
      assert.equal(
        await storage.transaction((repos) => repos.accessTokens.revokeUnrevoked(clock, token.id)),
        false,
      );
      const stored = await storage.transaction((repos) => repos.accessTokens.lookup(token.id));
      assert.deepEqual(stored!.revokedAt, revokedAt);
      assert.equal(
        await storage.transaction((repos) =>
          repos.accessTokens.revokeUnrevoked(clock, asAccessTokenId(MISSING)),
        ),
        false,
      );
    });

    it('marks first use in batches and keeps the earliest time', async () => {
      const [a, b, c] = await storage.transaction(async (repos) => [
        await repos.accessTokens.add(rng, clock, session, hashOf('a'), null),
        await repos.accessTokens.add(rng, clock, session, hashOf('b'), null),
        await repos.accessTokens.add(rng, clock, session, hashOf('c'), null),
      ]);
      const at = (s: number) => inMs(s * 1000);
      await storage.transaction((repos) =>
        repos.accessTokens.markFirstUsed([
          { id: a!.id, at: at(20) },
          { id: a!.id, at: at(10) },
          { id: b!.id, at: at(10) },
          { id: b!.id, at: at(15) },
        ]),
      );
      const firstUse = async () =>
        storage.transaction(async (repos) =>
          Promise.all(
            [a, b, c].map(async (x) => (await repos.accessTokens.lookup(x!.id))!.firstUsedAt),
          ),
        );
      assert.deepEqual(await firstUse(), [at(10), at(10), null]);
      // Later uses keep the first time; a late batch with an earlier use moves it back.
      await storage.transaction((repos) =>
        repos.accessTokens.markFirstUsed([
          { id: a!.id, at: at(30) },
          { id: b!.id, at: at(5) },
          { id: c!.id, at: at(40) },
          { id: asAccessTokenId(MISSING), at: at(40) },
        ]),
      );
      assert.deepEqual(await firstUse(), [at(10), at(5), at(40)]);
      await storage.transaction((repos) => repos.accessTokens.markFirstUsed([]));
      assert.deepEqual(await firstUse(), [at(10), at(5), at(40)]);
    });

    it('deletes access tokens revoked or expired before a time', async () => {
      const tokens = await storage.transaction(async (repos) => {
        const expired = await repos.accessTokens.add(
          rng,
          clock,
          session,
          hashOf('expired'),
          inMs(1000),
        );
        const revoked = await repos.accessTokens.revoke(
          clock,
          await repos.accessTokens.add(rng, clock, session, hashOf('revoked'), null),
        );
        const live = await repos.accessTokens.add(
          rng,
          clock,
          session,
          hashOf('live'),
          inMs(3_600_000),
        );
        const forever = await repos.accessTokens.add(rng, clock, session, hashOf('forever'), null);
        const refresh = await repos.refreshTokens.add(
          rng,
          clock,
          session,
          hashOf('refresh'),
          expired,
        );
        return { expired, revoked, live, forever, refresh };
      });
      const cutoff = inMs(60_000);
      assert.equal(
        await storage.transaction((repos) =>
          repos.accessTokens.deleteRevokedOrExpiredBefore(cutoff),
        ),
        2,
      );
      await storage.transaction(async (repos) => {
        assert.equal(await repos.accessTokens.lookup(tokens.expired.id), null);
        assert.equal(await repos.accessTokens.lookup(tokens.revoked.id), null);
        assert.deepEqual(await repos.accessTokens.lookup(tokens.live.id), tokens.live);
        assert.deepEqual(await repos.accessTokens.lookup(tokens.forever.id), tokens.forever);
        // The refresh token issued with a deleted access token stays, without the link.
        assert.deepEqual(await repos.refreshTokens.lookup(tokens.refresh.id), {
          ...tokens.refresh,
          accessTokenId: null,
        });
        assert.equal(await repos.accessTokens.deleteRevokedOrExpiredBefore(cutoff), 0);
      });
    });

    it('adds refresh tokens, finds them and lists those of a session oldest first', async () => {
      const other = await storage.transaction((repos) =>
        repos.oauth2Sessions.add(rng, clock, {
          clientId: world.client.id,
          userId: null,
          browserSessionId: null,
          scope: 'openid',
          userAgent: null,
        }),
      );
      const created = await storage.transaction(async (repos) => {
        const access = await repos.accessTokens.add(rng, clock, session, hashOf('mat'), null);
        const first = await repos.refreshTokens.add(rng, clock, session, hashOf('mar_1'), access);
        clock.advance(1000);
        const second = await repos.refreshTokens.add(rng, clock, session, hashOf('mar_2'), null);
        await repos.refreshTokens.add(rng, clock, other, hashOf('mar_3'), null);
        return { access, first, second };
      });
      assert.deepEqual(created.first, {
        id: created.first.id,
        sessionId: session.id,
        tokenHash: hashOf('mar_1'),
        accessTokenId: created.access.id,
        createdAt: new Date(clock.now().getTime() - 1000),
        consumedAt: null,
        revokedAt: null,
        nextRefreshTokenId: null,
      });
      assert.ok(isRefreshTokenUsable(created.first));
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.refreshTokens.lookup(created.first.id), created.first);
        assert.deepEqual(await repos.refreshTokens.findByHash(hashOf('mar_2')), created.second);
        assert.equal(await repos.refreshTokens.lookup(asRefreshTokenId(MISSING)), null);
        assert.equal(await repos.refreshTokens.findByHash(hashOf('mar_9')), null);
        assert.deepEqual(await repos.refreshTokens.listForSession(session.id), [
          created.first,
          created.second,
        ]);
        assert.deepEqual(
          await repos.refreshTokens.listForSession(other.id).then((l) => l.length),
          1,
        );
      });
    });

    it('consumes a refresh token once, re-consumes it only from the successor it had', async () => {
      const [old, next, other] = await storage.transaction(async (repos) => [
        await repos.refreshTokens.add(rng, clock, session, hashOf('old'), null),
        await repos.refreshTokens.add(rng, clock, session, hashOf('next'), null),
        await repos.refreshTokens.add(rng, clock, session, hashOf('other'), null),
      ]);
      clock.advance(1000);
      const consumedAt = clock.now();
      const consumed = await storage.transaction((repos) =>
        repos.refreshTokens.consume(clock, old!, next!),
      );
      assert.deepEqual(consumed.consumedAt, consumedAt);
      assert.equal(consumed.nextRefreshTokenId, next!.id);
      assert.equal(isRefreshTokenUsable(consumed), false);

      // A concurrent refresh that read the token before it was consumed loses.
      clock.advance(1000);
      await storage.transaction(async (repos) => {
        await assert.rejects(
          repos.refreshTokens.consume(clock, old!, other!),
          (error) =>
            error instanceof StateConflictError &&
            error.subject === 'refresh_token' &&
            /concurrently/.test(error.message),
        );
        // ... and the transaction is still usable.
        assert.deepEqual(await repos.refreshTokens.lookup(old!.id), consumed);
      });

      // The lost-response rule: from the copy that names the successor, the token points to a new
      // one and keeps its first consumption time.
      const reissued = await storage.transaction((repos) =>
        repos.refreshTokens.consume(clock, consumed, other!),
      );
      assert.deepEqual(reissued.consumedAt, consumedAt);
      assert.equal(reissued.nextRefreshTokenId, other!.id);
      // A second re-issue from the copy that still names the first successor loses too.
      await assert.rejects(
        storage.transaction((repos) => repos.refreshTokens.consume(clock, consumed, next!)),
        StateConflictError,
      );

      // A revoked token cannot be consumed.
      await storage.transaction(async (repos) => {
        const revoked = await repos.refreshTokens.revoke(clock, next!);
        assert.deepEqual(revoked.revokedAt, clock.now());
        await assert.rejects(
          repos.refreshTokens.consume(clock, next!, other!),
          (error) => error instanceof StateConflictError && /revoked/.test(error.message),
        );
        clock.advance(1000);
        assert.deepEqual(await repos.refreshTokens.revoke(clock, revoked), revoked);
      });
    });

    it('deletes refresh tokens revoked or consumed before a time', async () => {
      const tokens = await storage.transaction(async (repos) => {
        const a = await repos.refreshTokens.add(rng, clock, session, hashOf('a'), null);
        const b = await repos.refreshTokens.add(rng, clock, session, hashOf('b'), null);
        const c = await repos.refreshTokens.add(rng, clock, session, hashOf('c'), null);
        const live = await repos.refreshTokens.add(rng, clock, session, hashOf('live'), null);
        const consumed = await repos.refreshTokens.consume(clock, a, b);
        const revoked = await repos.refreshTokens.revoke(clock, c);
        return { consumed, b, revoked, live };
      });
      clock.advance(60_000);
      const recent = await storage.transaction(async (repos) =>
        repos.refreshTokens.revoke(
          clock,
          await repos.refreshTokens.add(rng, clock, session, hashOf('recent'), null),
        ),
      );
      const cutoff = inMs(-30_000);
      assert.equal(
        await storage.transaction((repos) =>
          repos.refreshTokens.deleteRevokedOrConsumedBefore(cutoff),
        ),
        2,
      );
      await storage.transaction(async (repos) => {
        assert.equal(await repos.refreshTokens.lookup(tokens.consumed.id), null);
        assert.equal(await repos.refreshTokens.lookup(tokens.revoked.id), null);
        assert.deepEqual(await repos.refreshTokens.lookup(tokens.b.id), tokens.b);
        assert.deepEqual(await repos.refreshTokens.lookup(tokens.live.id), tokens.live);
        assert.deepEqual(await repos.refreshTokens.lookup(recent.id), recent);
      });
    });
  });
}
