// Renaming application sessions (`setHumanName` on OAuth 2.0 and compatibility sessions, used by
// the account pages), on SQLite and PostgreSQL: the name is stored and read back, null clears it,
// and nothing else about the session changes.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { SeededRng } from '../../src/rng.ts';
import { dialects, openTestStorage, type TestStorage } from '../helpers/storage.ts';
import { seedOAuth2World, type OAuth2World } from './conformance/oauth2-fixtures.ts';

for (const dialect of dialects) {
  describe(`session names (${dialect})`, () => {
    let t: TestStorage;
    let clock: MockClock;
    let rng: SeededRng;
    let world: OAuth2World;

    beforeEach(async () => {
      t = await openTestStorage(dialect);
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('session-names');
      world = await seedOAuth2World(t.storage, clock, rng);
    });
    afterEach(() => t.cleanup());

    it('renames an OAuth 2.0 session and clears its name', async () => {
      const session = await t.storage.transaction((repos) =>
        repos.oauth2Sessions.add(rng, clock, {
          clientId: world.client.id,
          userId: world.user.id,
          browserSessionId: world.browserSession.id,
          scope: 'openid',
          userAgent: 'Firefox',
        }),
      );
      const renamed = await t.storage.transaction((repos) =>
        repos.oauth2Sessions.setHumanName(session, 'Laptop'),
      );
      assert.equal(renamed.humanName, 'Laptop');
      assert.deepEqual({ ...renamed, humanName: null }, { ...session, humanName: null });
      const read = await t.storage.transaction((repos) => repos.oauth2Sessions.lookup(session.id));
      assert.equal(read?.humanName, 'Laptop');
      const cleared = await t.storage.transaction((repos) =>
        repos.oauth2Sessions.setHumanName(session, null),
      );
      assert.equal(cleared.humanName, null);
    });

    it('renames a compatibility session and clears its name', async () => {
      const session = await t.storage.transaction((repos) =>
        repos.compatSessions.add(rng, clock, {
          userId: world.user.id,
          deviceId: 'DEVICEAAAA',
          browserSessionId: null,
          isSynapseAdmin: false,
          humanName: 'Phone',
          userAgent: 'Element/1.0',
        }),
      );
      const renamed = await t.storage.transaction((repos) =>
        repos.compatSessions.setHumanName(session, 'Work phone'),
      );
      assert.equal(renamed.humanName, 'Work phone');
      assert.equal(renamed.deviceId, 'DEVICEAAAA');
      const read = await t.storage.transaction((repos) => repos.compatSessions.lookup(session.id));
      assert.equal(read?.humanName, 'Work phone');
      const cleared = await t.storage.transaction((repos) =>
        repos.compatSessions.setHumanName(session, null),
      );
      assert.equal(cleared.humanName, null);
    });
  });
}
