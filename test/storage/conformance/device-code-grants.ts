// Conformance tests for `DeviceCodeGrantRepository`.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import { deviceGrantStage } from '../../../src/model/device-code-grant.ts';
import { asDeviceCodeGrantId } from '../../../src/model/ids.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { NewDeviceCodeGrant } from '../../../src/storage/device-code-grant-repository.ts';
import { StateConflictError } from '../../../src/storage/state-conflict-error.ts';
import type { Repositories, Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';
import { hashOf, seedOAuth2World, type OAuth2World } from './oauth2-fixtures.ts';

function isConflict(action: string) {
  return (error: unknown) =>
    error instanceof StateConflictError &&
    error.subject === 'device_code_grant' &&
    error.action === action;
}

export function deviceCodeGrantRepositoryConformance(open: () => Promise<TestStorage>): void {
  describe('DeviceCodeGrantRepository', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;
    let world: OAuth2World;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('device-grants');
      world = await seedOAuth2World(storage, clock, rng);
    });
    afterEach(() => t.cleanup());

    function request(userCode: string, lifetimeMs = 600_000): NewDeviceCodeGrant {
      return {
        clientId: world.client.id,
        scope: 'openid urn:matrix:client:api:*',
        userCode,
        deviceCodeHash: hashOf(`device-${userCode}`),
        expiresAt: new Date(clock.now().getTime() + lifetimeMs),
        ipAddress: '198.51.100.4',
        userAgent: 'TV/1.0',
      };
    }

    function newSession(repos: Repositories) {
      return repos.oauth2Sessions.add(rng, clock, {
        clientId: world.client.id,
        userId: world.user.id,
        browserSessionId: world.browserSession.id,
        scope: 'openid',
        userAgent: 'TV/1.0',
      });
    }

    it('adds a grant and finds it by id, user code and device code hash', async () => {
      const fields = request('ABC123');
      const grant = await storage.transaction((repos) =>
        repos.deviceCodeGrants.add(rng, clock, fields),
      );
      assert.ok(grant);
      assert.deepEqual(grant, {
        ...fields,
        id: grant.id,
        createdAt: clock.now(),
        lastPolledAt: null,
        fulfilledAt: null,
        rejectedAt: null,
        browserSessionId: null,
        exchangedAt: null,
        oauth2SessionId: null,
      });
      assert.equal(deviceGrantStage(grant, clock.now()), 'pending');
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.deviceCodeGrants.lookup(grant.id), grant);
        assert.deepEqual(await repos.deviceCodeGrants.findByUserCode('ABC123'), grant);
        assert.deepEqual(
          await repos.deviceCodeGrants.findByDeviceCodeHash(fields.deviceCodeHash),
          grant,
        );
        assert.equal(
          await repos.deviceCodeGrants.lookup(asDeviceCodeGrantId('01ARZ3NDEKTSV4RRFFQ69G5FAV')),
          null,
        );
        assert.equal(await repos.deviceCodeGrants.findByUserCode('ZZZ999'), null);
        assert.equal(await repos.deviceCodeGrants.findByUserCode('abc123'), null);
        assert.equal(await repos.deviceCodeGrants.findByDeviceCodeHash(hashOf('nope')), null);
      });
    });

    it('returns null when the user code is taken, and the transaction stays usable', async () => {
      const first = await storage.transaction((repos) =>
        repos.deviceCodeGrants.add(rng, clock, request('ABC123')),
      );
      const outcome = await storage.transaction(async (repos) => {
        const taken = await repos.deviceCodeGrants.add(rng, clock, {
          ...request('ABC123'),
          deviceCodeHash: hashOf('another device'),
        });
        const retry = await repos.deviceCodeGrants.add(rng, clock, request('XYZ789'));
        return { taken, retry };
      });
      assert.equal(outcome.taken, null);
      assert.ok(outcome.retry);
      await storage.transaction(async (repos) => {
        assert.deepEqual(await repos.deviceCodeGrants.findByUserCode('ABC123'), first);
        assert.equal(
          await repos.deviceCodeGrants.findByDeviceCodeHash(hashOf('another device')),
          null,
        );
      });
    });

    it('records polls, is fulfilled while pending and exchanged once', async () => {
      const grant = (await storage.transaction((repos) =>
        repos.deviceCodeGrants.add(rng, clock, request('ABC123')),
      ))!;
      clock.advance(5000);
      const polled = await storage.transaction((repos) =>
        repos.deviceCodeGrants.recordPoll(clock, grant),
      );
      assert.deepEqual(polled.lastPolledAt, clock.now());
      clock.advance(5000);
      const fulfilled = await storage.transaction((repos) =>
        repos.deviceCodeGrants.fulfill(clock, polled, world.browserSession.id),
      );
      assert.deepEqual(fulfilled.fulfilledAt, clock.now());
      assert.equal(fulfilled.browserSessionId, world.browserSession.id);
      assert.equal(deviceGrantStage(fulfilled, clock.now()), 'fulfilled');

      // Past its expiry a fulfilled grant can still be exchanged (the user approved in time).
      clock.advance(700_000);
      await storage.transaction(async (repos) => {
        const session = await newSession(repos);
        await assert.rejects(
          repos.deviceCodeGrants.reject(clock, fulfilled, world.browserSession.id),
          isConflict('reject'),
        );
        const exchanged = await repos.deviceCodeGrants.exchange(clock, fulfilled, session.id);
        assert.deepEqual(exchanged.exchangedAt, clock.now());
        assert.equal(exchanged.oauth2SessionId, session.id);
        assert.equal(deviceGrantStage(exchanged, clock.now()), 'exchanged');
        await assert.rejects(
          repos.deviceCodeGrants.exchange(clock, fulfilled, session.id),
          isConflict('exchange'),
        );
        await assert.rejects(
          repos.deviceCodeGrants.fulfill(clock, grant, world.browserSession.id),
          isConflict('fulfill'),
        );
        // Polls are recorded in any stage.
        clock.advance(1000);
        assert.deepEqual(
          (await repos.deviceCodeGrants.recordPoll(clock, exchanged)).lastPolledAt,
          clock.now(),
        );
      });
    });

    it('is rejected while pending, and refuses every move from rejected or expired', async () => {
      await storage.transaction(async (repos) => {
        const grant = (await repos.deviceCodeGrants.add(rng, clock, request('ABC123')))!;
        const short = (await repos.deviceCodeGrants.add(rng, clock, request('XYZ789', 1000)))!;
        const session = await newSession(repos);
        await assert.rejects(
          repos.deviceCodeGrants.exchange(clock, grant, session.id),
          isConflict('exchange'),
        );
        const rejected = await repos.deviceCodeGrants.reject(clock, grant, world.browserSession.id);
        assert.deepEqual(rejected.rejectedAt, clock.now());
        assert.equal(rejected.browserSessionId, world.browserSession.id);
        assert.equal(deviceGrantStage(rejected, clock.now()), 'rejected');
        await assert.rejects(
          repos.deviceCodeGrants.fulfill(clock, grant, world.browserSession.id),
          isConflict('fulfill'),
        );
        await assert.rejects(
          repos.deviceCodeGrants.exchange(clock, rejected, session.id),
          isConflict('exchange'),
        );
        await assert.rejects(
          repos.deviceCodeGrants.reject(clock, grant, world.browserSession.id),
          isConflict('reject'),
        );

        // Expired: neither fulfilled nor rejected any more.
        clock.advance(1000);
        await assert.rejects(
          repos.deviceCodeGrants.fulfill(clock, short, world.browserSession.id),
          (error) => {
            assert.ok(isConflict('fulfill')(error));
            assert.match((error as Error).message, /expired/);
            return true;
          },
        );
        await assert.rejects(
          repos.deviceCodeGrants.reject(clock, short, world.browserSession.id),
          isConflict('reject'),
        );
        assert.deepEqual(await repos.deviceCodeGrants.lookup(short.id), short);
      });
    });

    it('deletes grants that expired before a time', async () => {
      const [soon, later] = await storage.transaction(async (repos) => [
        (await repos.deviceCodeGrants.add(rng, clock, request('AAA111', 60_000)))!,
        (await repos.deviceCodeGrants.add(rng, clock, request('BBB222', 600_000)))!,
      ]);
      const cutoff = new Date(clock.now().getTime() + 300_000);
      assert.equal(
        await storage.transaction((repos) => repos.deviceCodeGrants.deleteExpiredBefore(cutoff)),
        1,
      );
      await storage.transaction(async (repos) => {
        assert.equal(await repos.deviceCodeGrants.lookup(soon.id), null);
        assert.deepEqual(await repos.deviceCodeGrants.lookup(later.id), later);
        // The user code is free again.
        assert.ok(
          await repos.deviceCodeGrants.add(rng, clock, {
            ...request('AAA111'),
            deviceCodeHash: hashOf('new'),
          }),
        );
      });
    });
  });
}
