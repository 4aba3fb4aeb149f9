// Conformance tests for `AuthorizationGrantRepository`: the stage rules are checked against the
// database row, so a stale copy cannot move a grant twice.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import { grantStage, type AuthorizationGrant } from '../../../src/model/authorization-grant.ts';
import { asAuthorizationGrantId } from '../../../src/model/ids.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { NewAuthorizationGrant } from '../../../src/storage/authorization-grant-repository.ts';
import { StateConflictError } from '../../../src/storage/state-conflict-error.ts';
import type { Repositories, Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';
import { hashOf, seedOAuth2World, type OAuth2World } from './oauth2-fixtures.ts';

function isConflict(action: string) {
  return (error: unknown) =>
    error instanceof StateConflictError &&
    error.subject === 'authorization_grant' &&
    error.action === action;
}

export function authorizationGrantRepositoryConformance(open: () => Promise<TestStorage>): void {
  describe('AuthorizationGrantRepository', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;
    let world: OAuth2World;
    let request: NewAuthorizationGrant;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('authorization-grants');
      world = await seedOAuth2World(storage, clock, rng);
      request = {
        clientId: world.client.id,
        redirectUri: 'https://app.example.com/callback',
        scope: 'openid urn:matrix:client:api:*',
        state: 'st4te',
        nonce: 'n0nce',
        responseMode: 'form_post',
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        codeChallengeMethod: 'S256',
        prompt: 'consent',
        maxAge: 3600,
        loginHint: 'mxid:@alice:example.com',
        uiLocales: 'fr en',
      };
    });
    afterEach(() => t.cleanup());

    function newSession(repos: Repositories) {
      return repos.oauth2Sessions.add(rng, clock, {
        clientId: world.client.id,
        userId: world.user.id,
        browserSessionId: world.browserSession.id,
        scope: request.scope,
        userAgent: null,
      });
    }

    it('adds a grant and looks it up; unknown ids and codes are null', async () => {
      const grant = await storage.transaction((repos) =>
        repos.authorizationGrants.add(rng, clock, request),
      );
      assert.deepEqual(grant, {
        ...request,
        id: grant.id,
        createdAt: clock.now(),
        fulfilledAt: null,
        browserSessionId: null,
        codeHash: null,
        exchangedAt: null,
        oauth2SessionId: null,
        cancelledAt: null,
      });
      assert.equal(grantStage(grant), 'pending');
      const minimal = {
        ...request,
        state: null,
        nonce: null,
        codeChallenge: null,
        codeChallengeMethod: null,
        prompt: null,
        maxAge: null,
        loginHint: null,
        uiLocales: null,
      };
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.authorizationGrants.lookup(grant.id), grant);
        const bare = await repos.authorizationGrants.add(rng, clock, minimal);
        assert.deepEqual(await repos.authorizationGrants.lookup(bare.id), bare);
        assert.equal(bare.maxAge, null);
        assert.equal(
          await repos.authorizationGrants.lookup(
            asAuthorizationGrantId('01ARZ3NDEKTSV4RRFFQ69G5FAV'),
          ),
          null,
        );
        assert.equal(await repos.authorizationGrants.findByCodeHash(hashOf('unknown')), null);
      });
    });

    it('fulfils a pending grant, then exchanges it once', async () => {
      const grant = await storage.transaction((repos) =>
        repos.authorizationGrants.add(rng, clock, request),
      );
      clock.advance(5000);
      const fulfilledAt = clock.now();
      const fulfilled = await storage.transaction((repos) =>
        repos.authorizationGrants.fulfill(clock, grant, world.browserSession.id, hashOf('code')),
      );
      assert.deepEqual(fulfilled.fulfilledAt, fulfilledAt);
      assert.equal(fulfilled.browserSessionId, world.browserSession.id);
      assert.equal(fulfilled.codeHash, hashOf('code'));
      assert.equal(grantStage(fulfilled), 'fulfilled');

      clock.advance(2000);
      const exchanged = await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.authorizationGrants.findByCodeHash(hashOf('code')), fulfilled);
        const session = await newSession(repos);
        const done = await repos.authorizationGrants.exchange(clock, fulfilled, session.id);
        assert.equal(done.oauth2SessionId, session.id);
        return done;
      });
      assert.deepEqual(exchanged.exchangedAt, clock.now());
      assert.deepEqual(exchanged.fulfilledAt, fulfilledAt);
      assert.equal(grantStage(exchanged), 'exchanged');

      // The same (now stale) copy cannot be exchanged again: the row decides, and the failed
      // attempt leaves the transaction usable.
      await storage.transaction(async (repos) => {
        const session = await newSession(repos);
        await assert.rejects(
          repos.authorizationGrants.exchange(clock, fulfilled, session.id),
          isConflict('exchange'),
        );
        await assert.rejects(
          repos.authorizationGrants.fulfill(clock, grant, world.browserSession.id, hashOf('code2')),
          isConflict('fulfill'),
        );
        await assert.rejects(
          repos.authorizationGrants.cancel(clock, exchanged),
          isConflict('cancel'),
        );
        assert.deepEqual(await repos.authorizationGrants.lookup(grant.id), exchanged);
      });
    });

    it('refuses to exchange a grant that was not fulfilled, or to fulfil it twice', async () => {
      await storage.transaction(async (repos) => {
        const grant = await repos.authorizationGrants.add(rng, clock, request);
        const session = await newSession(repos);
        await assert.rejects(
          repos.authorizationGrants.exchange(clock, grant, session.id),
          (error) => {
            assert.ok(isConflict('exchange')(error));
            assert.match((error as Error).message, /pending/);
            return true;
          },
        );
        const fulfilled = await repos.authorizationGrants.fulfill(
          clock,
          grant,
          world.browserSession.id,
          hashOf('a'),
        );
        await assert.rejects(
          repos.authorizationGrants.fulfill(clock, grant, world.browserSession.id, hashOf('b')),
          isConflict('fulfill'),
        );
        assert.deepEqual(await repos.authorizationGrants.lookup(grant.id), fulfilled);
        assert.equal(await repos.authorizationGrants.findByCodeHash(hashOf('b')), null);
      });
    });

    it('cancels a pending or fulfilled grant, after which nothing moves it', async () => {
      await storage.transaction(async (repos) => {
        const pending = await repos.authorizationGrants.add(rng, clock, request);
        const fulfilled = await repos.authorizationGrants.fulfill(
          clock,
          await repos.authorizationGrants.add(rng, clock, request),
          world.browserSession.id,
          hashOf('c'),
        );
        clock.advance(1000);
        const cancelled = await repos.authorizationGrants.cancel(clock, pending);
        assert.deepEqual(cancelled.cancelledAt, clock.now());
        assert.equal(grantStage(cancelled), 'cancelled');
        assert.equal(
          grantStage(await repos.authorizationGrants.cancel(clock, fulfilled)),
          'cancelled',
        );

        const session = await newSession(repos);
        await assert.rejects(
          repos.authorizationGrants.fulfill(clock, pending, world.browserSession.id, hashOf('d')),
          isConflict('fulfill'),
        );
        await assert.rejects(
          repos.authorizationGrants.exchange(clock, fulfilled, session.id),
          isConflict('exchange'),
        );
        await assert.rejects(
          repos.authorizationGrants.cancel(clock, pending),
          isConflict('cancel'),
        );
        // A grant that does not exist is a conflict too (the caller's copy is from nowhere).
        const ghost: AuthorizationGrant = {
          ...pending,
          id: asAuthorizationGrantId('01ARZ3NDEKTSV4RRFFQ69G5FAV'),
        };
        await assert.rejects(repos.authorizationGrants.cancel(clock, ghost), /does not exist/);
      });
    });

    it('deletes grants created before a time', async () => {
      const old = await storage.transaction((repos) =>
        repos.authorizationGrants.add(rng, clock, request),
      );
      clock.advance(60_000);
      const recent = await storage.transaction((repos) =>
        repos.authorizationGrants.add(rng, clock, request),
      );
      const cutoff = new Date(clock.now().getTime() - 1000);
      assert.equal(
        await storage.transaction((repos) => repos.authorizationGrants.deleteCreatedBefore(cutoff)),
        1,
      );
      await storage.transaction(async (repos) => {
        assert.equal(await repos.authorizationGrants.lookup(old.id), null);
        assert.deepEqual(await repos.authorizationGrants.lookup(recent.id), recent);
        assert.equal(await repos.authorizationGrants.deleteCreatedBefore(cutoff), 0);
      });
    });
  });
}
