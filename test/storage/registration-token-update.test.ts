// `UserRegistrationTokenRepository.update`, on SQLite and PostgreSQL: sets the fields given, null
// removes them, absent ones are kept.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { SeededRng } from '../../src/rng.ts';
import { dialects, openTestStorage, type TestStorage } from '../helpers/storage.ts';

for (const dialect of dialects) {
  describe(`${dialect}: UserRegistrationTokenRepository update`, () => {
    let t: TestStorage;
    beforeEach(async () => {
      t = await openTestStorage(dialect);
    });
    afterEach(() => t.cleanup());

    it('changes the expiry and the usage limit independently', async () => {
      const clock = new MockClock('2026-03-01T10:00:00.000Z');
      const rng = new SeededRng('token-update');
      const expiry = new Date('2026-04-01T00:00:00.000Z');
      await t.storage.transaction(async (repos) => {
        const token = (await repos.registrationTokens.add(rng, clock, {
          token: 'abc',
          usageLimit: 3,
          expiresAt: null,
        }))!;
        const expiring = await repos.registrationTokens.update(token, { expiresAt: expiry });
        assert.deepEqual(expiring.expiresAt, expiry);
        assert.equal(expiring.usageLimit, 3);
        const unlimited = await repos.registrationTokens.update(expiring, { usageLimit: null });
        assert.equal(unlimited.usageLimit, null);
        assert.deepEqual(unlimited.expiresAt, expiry);
        const same = await repos.registrationTokens.update(unlimited, {});
        assert.deepEqual(same, unlimited);
        const cleared = await repos.registrationTokens.update(same, {
          expiresAt: null,
          usageLimit: 7,
        });
        assert.equal(cleared.expiresAt, null);
        assert.equal(cleared.usageLimit, 7);
        assert.deepEqual(await repos.registrationTokens.lookup(token.id), cleared);
      });
    });
  });
}
