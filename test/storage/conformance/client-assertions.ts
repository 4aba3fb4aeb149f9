// Conformance tests for `ClientAssertionRepository` (jti replay protection).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';
import { clientFields, newClientId, seedOAuth2World, type OAuth2World } from './oauth2-fixtures.ts';

export function clientAssertionRepositoryConformance(open: () => Promise<TestStorage>): void {
  describe('ClientAssertionRepository', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;
    let world: OAuth2World;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('client-assertions');
      world = await seedOAuth2World(storage, clock, rng);
    });
    afterEach(() => t.cleanup());

    const inMs = (ms: number) => new Date(clock.now().getTime() + ms);

    it('records a jti once per client and reports a replay, keeping the transaction usable', async () => {
      const other = await storage.transaction((repos) =>
        repos.oauth2Clients.addDynamic(clock, newClientId(clock, rng), clientFields()),
      );
      const id = world.client.id;
      assert.equal(
        await storage.transaction((repos) =>
          repos.clientAssertions.recordJti(id, 'jti-1', inMs(60_000)),
        ),
        true,
      );
      const outcome = await storage.transaction(async (repos) => ({
        replay: await repos.clientAssertions.recordJti(id, 'jti-1', inMs(120_000)),
        // Usable after the refused insert, even on PostgreSQL.
        next: await repos.clientAssertions.recordJti(id, 'jti-2', inMs(60_000)),
        otherClient: await repos.clientAssertions.recordJti(other.id, 'jti-1', inMs(60_000)),
        sameTwice: await repos.clientAssertions.recordJti(other.id, 'jti-1', inMs(60_000)),
      }));
      assert.deepEqual(outcome, { replay: false, next: true, otherClient: true, sameTwice: false });
      // Jtis are compared exactly.
      assert.equal(
        await storage.transaction((repos) =>
          repos.clientAssertions.recordJti(id, 'JTI-1', inMs(60_000)),
        ),
        true,
      );
    });

    it('forgets jtis that expired before a time', async () => {
      const id = world.client.id;
      await storage.transaction(async (repos) => {
        await repos.clientAssertions.recordJti(id, 'short', inMs(10_000));
        await repos.clientAssertions.recordJti(id, 'long', inMs(600_000));
      });
      assert.equal(
        await storage.transaction((repos) =>
          repos.clientAssertions.deleteExpiredBefore(inMs(60_000)),
        ),
        1,
      );
      await storage.transaction(async (repos) => {
        assert.equal(await repos.clientAssertions.recordJti(id, 'short', inMs(10_000)), true);
        assert.equal(await repos.clientAssertions.recordJti(id, 'long', inMs(600_000)), false);
        assert.equal(await repos.clientAssertions.deleteExpiredBefore(inMs(0)), 0);
      });
    });
  });
}
