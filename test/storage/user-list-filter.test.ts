// Conformance tests for the users listing's MAS filters, on SQLite and PostgreSQL: username
// search (any case, metacharacters literal), the guest flag (no guests here), active OAuth 2.0
// sessions (of given clients, or of any) and active compatibility sessions.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import type { OAuth2Client } from '../../src/model/oauth2-client.ts';
import { SeededRng } from '../../src/rng.ts';
import type { UserFilter } from '../../src/storage/user-repository.ts';
import { dialects, openTestStorage, type TestStorage } from '../helpers/storage.ts';
import { clientFields, newClientId } from './conformance/oauth2-fixtures.ts';

for (const dialect of dialects) {
  describe(`${dialect}: UserRepository list filters`, () => {
    let t: TestStorage;
    let web: OAuth2Client;
    let tv: OAuth2Client;
    beforeEach(async () => {
      t = await openTestStorage(dialect);
      const clock = new MockClock('2026-03-01T10:00:00.000Z');
      const rng = new SeededRng('user-filters');
      await t.storage.transaction(async (repos) => {
        const users = [];
        for (const name of ['alice', 'bob_smith', 'bobby', 'carol']) {
          clock.advance(1000);
          users.push((await repos.users.add(rng, clock, name))!);
        }
        const [alice, bobSmith, bobby, carol] = users as [never, never, never, never];
        web = await repos.oauth2Clients.addDynamic(clock, newClientId(clock, rng), clientFields());
        tv = await repos.oauth2Clients.addDynamic(clock, newClientId(clock, rng), clientFields());
        const session = (user: { id: never }, client: OAuth2Client) =>
          repos.oauth2Sessions.add(rng, clock, {
            clientId: client.id,
            userId: user.id,
            browserSessionId: null,
            scope: 'openid',
            userAgent: null,
          });
        await session(alice, web);
        await repos.oauth2Sessions.finish(clock, await session(bobSmith, tv));
        await session(bobby, tv);
        const compat = (user: { id: never }, deviceId: string) =>
          repos.compatSessions.add(rng, clock, {
            userId: user.id,
            deviceId,
            browserSessionId: null,
            isSynapseAdmin: false,
            humanName: null,
            userAgent: null,
          });
        await compat(carol, 'CAROL');
        await repos.compatSessions.finish(clock, await compat(alice, 'ALICE'));
      });
    });
    afterEach(() => t.cleanup());

    const names = async (filter: UserFilter): Promise<string[]> => {
      const page = await t.storage.transaction((repos) => repos.users.list(filter, { first: 10 }));
      assert.equal(
        await t.storage.transaction((repos) => repos.users.count(filter)),
        page.items.length,
      );
      return page.items.map((u) => u.username);
    };

    it('searches usernames as literal, case-insensitive substrings', async () => {
      assert.deepEqual(await names({ search: 'BOB' }), ['bob_smith', 'bobby']);
      assert.deepEqual(await names({ search: 'b_s' }), ['bob_smith']);
      assert.deepEqual(await names({ search: 'bob%' }), []);
      assert.deepEqual(await names({ search: 'o_b' }), [], '`_` is no wildcard');
    });

    it('has no guests', async () => {
      assert.deepEqual(await names({ legacyGuest: true }), []);
      assert.equal((await names({ legacyGuest: false })).length, 4);
    });

    it('filters by active OAuth 2.0 and compatibility sessions', async () => {
      assert.deepEqual(await names({ activeOAuth2ClientIds: [tv.id] }), ['bobby']);
      assert.deepEqual(await names({ activeOAuth2ClientIds: [tv.id, web.id] }), ['alice', 'bobby']);
      assert.deepEqual(await names({ activeOAuth2ClientIds: [] }), []);
      assert.deepEqual(await names({ hasActiveOAuth2Session: true }), ['alice', 'bobby']);
      assert.deepEqual(await names({ hasActiveOAuth2Session: false }), ['bob_smith', 'carol']);
      assert.deepEqual(await names({ hasActiveCompatSession: true }), ['carol']);
      assert.deepEqual(await names({ hasActiveCompatSession: false, search: 'a' }), ['alice']);
    });
  });
}
