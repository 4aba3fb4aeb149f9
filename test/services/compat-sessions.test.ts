// Which sessions a compat session replaces when it takes a device (finishSessionsHoldingDevice),
// on SQLite and PostgreSQL: the user's active compat sessions on that device and the user's
// active OAuth 2.0 sessions whose scope names it, with the stable or the unstable prefix, and
// nothing else: not a device whose id differs only in case or matches only as a LIKE pattern
// (SQLite's LIKE ignores ASCII case, `_` and `%` are wildcards), not another user's, and none
// missed among many near misses.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { asOAuth2ClientId, type UserId } from '../../src/model/ids.ts';
import type { User } from '../../src/model/user.ts';
import { SeededRng } from '../../src/rng.ts';
import { finishSessionsHoldingDevice } from '../../src/services/compat-sessions.ts';
import { IntrospectionCache } from '../../src/services/introspection-cache.ts';
import type { Repositories } from '../../src/storage/storage.ts';
import {
  dialects,
  openTestStorage,
  type TestStorage,
  bareClientFields,
} from '../helpers/storage.ts';
import { cacheActiveAnswer } from '../helpers/introspection-cache.ts';

const CLIENT = asOAuth2ClientId('01J0000000000000000000CL1E');
const STABLE = 'urn:matrix:client:device:';
const UNSTABLE = 'urn:matrix:org.matrix.msc2967.client:device:';

for (const dialect of dialects) {
  describe(`finishSessionsHoldingDevice (${dialect})`, () => {
    const clock = new MockClock();
    const rng = new SeededRng('holding-device');
    let t: TestStorage;
    let alice: User;
    let bob: User;

    beforeEach(async () => {
      t = await openTestStorage(dialect);
      [alice, bob] = await t.storage.transaction(async (repos) => {
        await repos.oauth2Clients.upsertStatic(
          clock,
          CLIENT,
          bareClientFields({ grantTypes: ['authorization_code'] }),
        );
        return [
          (await repos.users.add(rng, clock, 'alice'))!,
          (await repos.users.add(rng, clock, 'bob'))!,
        ];
      });
    });
    afterEach(() => t.cleanup());

    const oauth2 = (repos: Repositories, userId: UserId, scope: string) =>
      repos.oauth2Sessions.add(rng, clock, {
        clientId: CLIENT,
        userId,
        browserSessionId: null,
        scope,
        userAgent: null,
      });
    const compat = (repos: Repositories, userId: UserId, deviceId: string) =>
      repos.compatSessions.add(rng, clock, {
        userId,
        deviceId,
        browserSessionId: null,
        isSynapseAdmin: false,
        humanName: null,
        userAgent: null,
      });

    it('ends the holders of the device and nothing else', async () => {
      const ids = await t.storage.transaction(async (repos) => {
        // 150 sessions on other devices first: more than one page of candidates.
        for (let i = 0; i < 150; i++) await oauth2(repos, alice.id, `openid ${STABLE}OTHER${i}`);
        return {
          stable: (await oauth2(repos, alice.id, `openid ${STABLE}DEV_1 urn:matrix:client:api:*`))
            .id,
          unstable: (await oauth2(repos, alice.id, `${UNSTABLE}DEV_1 openid`)).id,
          both: (await oauth2(repos, alice.id, `${STABLE}DEV_1 ${UNSTABLE}DEV_1`)).id,
          compat: (await compat(repos, alice.id, 'DEV_1')).id,
          // Not holders: another case, a LIKE wildcard match, a longer id, another user.
          otherCase: (await oauth2(repos, alice.id, `openid ${STABLE}dev_1`)).id,
          wildcard: (await oauth2(repos, alice.id, `openid ${STABLE}DEVX1`)).id,
          longer: (await oauth2(repos, alice.id, `openid ${STABLE}DEV_10`)).id,
          compatOtherCase: (await compat(repos, alice.id, 'dev_1')).id,
          bobs: (await oauth2(repos, bob.id, `openid ${STABLE}DEV_1`)).id,
          bobsCompat: (await compat(repos, bob.id, 'DEV_1')).id,
        };
      });

      const ended = await t.storage.transaction((repos) =>
        finishSessionsHoldingDevice(repos, clock, alice, 'DEV_1'),
      );
      assert.equal(ended, 4);

      const [oauth2Active, compatActive] = await t.storage.transaction(async (repos) => [
        new Set(
          [
            ...(await repos.oauth2Sessions.listActiveForUser(alice.id)),
            ...(await repos.oauth2Sessions.listActiveForUser(bob.id)),
          ].map((s) => s.id as string),
        ),
        new Set(
          [
            ...(await repos.compatSessions.listActiveForUser(alice.id)),
            ...(await repos.compatSessions.listActiveForUser(bob.id)),
          ].map((s) => s.id as string),
        ),
      ]);
      for (const gone of [ids.stable, ids.unstable, ids.both]) assert.ok(!oauth2Active.has(gone));
      assert.ok(!compatActive.has(ids.compat));
      for (const kept of [ids.otherCase, ids.wildcard, ids.longer, ids.bobs]) {
        assert.ok(oauth2Active.has(kept), kept);
      }
      assert.ok(compatActive.has(ids.compatOtherCase));
      assert.ok(compatActive.has(ids.bobsCompat));
      assert.equal(oauth2Active.size, 150 + 4);

      // Nothing holds the device any more.
      assert.equal(
        await t.storage.transaction((repos) =>
          finishSessionsHoldingDevice(repos, clock, alice, 'DEV_1'),
        ),
        0,
      );
    });

    it('drops the cached introspections of the sessions it ends', async () => {
      const [holder, other] = await t.storage.transaction(async (repos) => [
        await oauth2(repos, alice.id, `openid ${STABLE}DEV_9`),
        await oauth2(repos, alice.id, `openid ${STABLE}DEV_8`),
      ]);
      const cache = new IntrospectionCache({ clock, ttlMs: 600_000 });
      for (const s of [holder!, other!]) {
        cacheActiveAnswer(cache, `key-${s.id}`, s.id, alice.id);
      }
      await t.storage.transaction((repos) =>
        finishSessionsHoldingDevice(repos, clock, alice, 'DEV_9', cache),
      );
      assert.equal(cache.get(`key-${holder!.id}`), undefined);
      assert.notEqual(cache.get(`key-${other!.id}`), undefined);
    });

    it('finds every holder among many near misses', async () => {
      // Sessions whose scope matches the device only as SQLite's case-blind LIKE does come first;
      // the real holders after them.
      await t.storage.transaction(async (repos) => {
        for (let i = 0; i < 230; i++) await oauth2(repos, alice.id, `${STABLE}dev1`);
        for (let i = 0; i < 3; i++) await oauth2(repos, alice.id, `${STABLE}DEV1`);
      });
      const ended = await t.storage.transaction((repos) =>
        finishSessionsHoldingDevice(repos, clock, alice, 'DEV1'),
      );
      assert.equal(ended, 3);
      const left = await t.storage.transaction((repos) =>
        repos.oauth2Sessions.listActiveForUser(alice.id),
      );
      assert.equal(left.length, 230);
      assert.ok(left.every((s) => s.scope === `${STABLE}dev1`));
    });
  });
}
