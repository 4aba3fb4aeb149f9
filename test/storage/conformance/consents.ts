// Conformance tests for `ConsentRepository`.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import { consentCovers } from '../../../src/model/consent.ts';
import { asConsentId, asOAuth2ClientId, asUserId } from '../../../src/model/ids.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';
import { clientFields, newClientId, seedOAuth2World, type OAuth2World } from './oauth2-fixtures.ts';

export function consentRepositoryConformance(open: () => Promise<TestStorage>): void {
  describe('ConsentRepository', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;
    let world: OAuth2World;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('consents');
      world = await seedOAuth2World(storage, clock, rng);
    });
    afterEach(() => t.cleanup());

    it('grants scopes as a sorted set and finds the consent; unknown pairs are null', async () => {
      const { user, client } = world;
      const consent = await storage.transaction((repos) =>
        repos.consents.grant(rng, clock, user.id, client.id, [
          'urn:matrix:client:api:*',
          'openid',
          'openid',
        ]),
      );
      assert.deepEqual(consent, {
        id: consent.id,
        userId: user.id,
        clientId: client.id,
        scopes: ['openid', 'urn:matrix:client:api:*'],
        createdAt: clock.now(),
        updatedAt: clock.now(),
      });
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.consents.find(user.id, client.id), consent);
        assert.equal(
          await repos.consents.find(user.id, asOAuth2ClientId('01ARZ3NDEKTSV4RRFFQ69G5FAV')),
          null,
        );
        assert.equal(
          await repos.consents.find(asUserId('01ARZ3NDEKTSV4RRFFQ69G5FAV'), client.id),
          null,
        );
      });
    });

    it('merges later grants into the one consent of a user and client', async () => {
      const { user, client } = world;
      const first = await storage.transaction((repos) =>
        repos.consents.grant(rng, clock, user.id, client.id, ['openid', 'email']),
      );
      clock.advance(60_000);
      const merged = await storage.transaction((repos) =>
        repos.consents.grant(rng, clock, user.id, client.id, ['profile', 'openid']),
      );
      assert.equal(merged.id, first.id);
      assert.deepEqual(merged.scopes, ['email', 'openid', 'profile']);
      assert.deepEqual(merged.createdAt, first.createdAt);
      assert.deepEqual(merged.updatedAt, clock.now());
      assert.ok(consentCovers(merged, ['openid', 'profile']));

      clock.advance(60_000);
      const same = await storage.transaction((repos) =>
        repos.consents.grant(rng, clock, user.id, client.id, ['email']),
      );
      assert.deepEqual(same.scopes, ['email', 'openid', 'profile']);
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.consents.find(user.id, client.id), same);
        assert.equal((await repos.consents.listForUser(user.id)).length, 1);
      });
    });

    it('keeps consents per client, lists them and forgets a revoked one', async () => {
      const { user, client } = world;
      const other = await storage.transaction((repos) =>
        repos.oauth2Clients.addDynamic(clock, newClientId(clock, rng), clientFields()),
      );
      const bob = await storage.transaction(
        async (repos) => (await repos.users.add(rng, clock, 'bob'))!,
      );
      const [mine, theirs] = await storage.transaction(async (repos) => {
        const a = await repos.consents.grant(rng, clock, user.id, client.id, ['openid']);
        clock.advance(1000);
        const b = await repos.consents.grant(rng, clock, user.id, other.id, ['email']);
        await repos.consents.grant(rng, clock, bob.id, client.id, ['profile']);
        return [a, b];
      });
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.consents.listForUser(user.id), [mine, theirs]);
        assert.equal(await repos.consents.revoke(mine.id), true);
        assert.equal(await repos.consents.revoke(mine.id), false);
        assert.equal(await repos.consents.revoke(asConsentId('01ARZ3NDEKTSV4RRFFQ69G5FAV')), false);
        assert.equal(await repos.consents.find(user.id, client.id), null);
        assert.deepEqual(await repos.consents.listForUser(user.id), [theirs]);
        assert.deepEqual((await repos.consents.find(bob.id, client.id))?.scopes, ['profile']);
        // Granting again starts a new consent with only the new scopes.
        clock.advance(1000);
        const fresh = await repos.consents.grant(rng, clock, user.id, client.id, ['email']);
        assert.notEqual(fresh.id, mine.id);
        assert.deepEqual(fresh.scopes, ['email']);
        assert.deepEqual(fresh.createdAt, clock.now());
      });
    });
  });
}
