// Conformance tests for the session listings' filters, on SQLite and PostgreSQL: the dates
// (created / last active, strictly before / after; never-used sessions match neither) on all
// three kinds, the browser session a session came from (OAuth 2.0, compatibility), and for OAuth
// 2.0 sessions any of several clients, the client's kind, and scope tokens (all, as whole words).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import type { BrowserSession } from '../../src/model/browser-session.ts';
import type { OAuth2Client } from '../../src/model/oauth2-client.ts';
import type { OAuth2Session } from '../../src/model/oauth2-session.ts';
import type { User } from '../../src/model/user.ts';
import { SeededRng } from '../../src/rng.ts';
import type { BrowserSessionFilter } from '../../src/storage/browser-session-repository.ts';
import type { CompatSessionFilter } from '../../src/storage/compat-repository.ts';
import type { OAuth2SessionFilter } from '../../src/storage/oauth2-session-repository.ts';
import { dialects, openTestStorage, type TestStorage } from '../helpers/storage.ts';
import { clientFields, newClientId, seedOAuth2World } from './conformance/oauth2-fixtures.ts';

const T0 = '2026-03-01T10:00:00.000Z';
const at = (minutes: number) => new Date(new Date(T0).getTime() + minutes * 60_000);

for (const dialect of dialects) {
  describe(`${dialect}: session list filters`, () => {
    let t: TestStorage;
    let clock: MockClock;
    let rng: SeededRng;
    let user: User;
    let browser: BrowserSession;
    let dynamic: OAuth2Client;
    let configured: OAuth2Client;
    let early: OAuth2Session;
    let late: OAuth2Session;
    let machine: OAuth2Session;

    beforeEach(async () => {
      t = await openTestStorage(dialect);
      clock = new MockClock(T0);
      rng = new SeededRng('session-filters');
      const world = await seedOAuth2World(t.storage, clock, rng);
      user = world.user;
      browser = world.browserSession;
      dynamic = world.client;
      configured = await t.storage.transaction((repos) =>
        repos.oauth2Clients.upsertStatic(clock, newClientId(clock, rng), clientFields()),
      );
      const add = (client: OAuth2Client, scope: string, fromBrowser: boolean) =>
        t.storage.transaction((repos) =>
          repos.oauth2Sessions.add(rng, clock, {
            clientId: client.id,
            userId: fromBrowser ? user.id : null,
            browserSessionId: fromBrowser ? browser.id : null,
            scope,
            userAgent: null,
          }),
        );
      clock.set(at(10));
      early = await add(dynamic, 'openid urn:matrix:client:api:*', true);
      clock.set(at(20));
      late = await add(configured, 'openid email', true);
      clock.set(at(30));
      machine = await add(configured, 'urn:mas:admin', false);
      await t.storage.transaction((repos) =>
        repos.oauth2Sessions.recordActivity([
          { id: early.id, at: at(40), ip: null },
          { id: late.id, at: at(50), ip: null },
        ]),
      );
    });
    afterEach(() => t.cleanup());

    const oauth2 = async (filter: OAuth2SessionFilter): Promise<string[]> => {
      const page = await t.storage.transaction((repos) =>
        repos.oauth2Sessions.list(filter, { first: 100 }),
      );
      const count = await t.storage.transaction((repos) => repos.oauth2Sessions.count(filter));
      assert.equal(count, page.items.length);
      return page.items.map((s) =>
        s.id === early.id
          ? 'early'
          : s.id === late.id
            ? 'late'
            : s.id === machine.id
              ? 'machine'
              : s.id,
      );
    };

    it('filters OAuth 2.0 sessions by dates, strictly', async () => {
      assert.deepEqual(await oauth2({ createdBefore: at(20) }), ['early']);
      assert.deepEqual(await oauth2({ createdAfter: at(10) }), ['late', 'machine']);
      assert.deepEqual(await oauth2({ createdAfter: at(10), createdBefore: at(30) }), ['late']);
      // Never used: neither before nor after any time.
      assert.deepEqual(await oauth2({ lastActiveBefore: at(100) }), ['early', 'late']);
      assert.deepEqual(await oauth2({ lastActiveAfter: at(40) }), ['late']);
      assert.deepEqual(await oauth2({ lastActiveBefore: at(40) }), []);
    });

    it('filters OAuth 2.0 sessions by clients, client kind, browser session and scope', async () => {
      assert.deepEqual(await oauth2({ clientIds: [dynamic.id] }), ['early']);
      assert.deepEqual(await oauth2({ clientIds: [dynamic.id, configured.id] }), [
        'early',
        'late',
        'machine',
      ]);
      assert.deepEqual(await oauth2({ clientIds: [] }), []);
      assert.deepEqual(await oauth2({ clientKind: 'static' }), ['late', 'machine']);
      assert.deepEqual(await oauth2({ clientKind: 'dynamic' }), ['early']);
      assert.deepEqual(await oauth2({ browserSessionId: browser.id }), ['early', 'late']);
      assert.deepEqual(await oauth2({ scopes: ['openid'] }), ['early', 'late']);
      assert.deepEqual(await oauth2({ scopes: ['openid', 'email'] }), ['late']);
      assert.deepEqual(await oauth2({ scopes: ['urn:matrix:client:api:*'] }), ['early']);
      // Whole tokens only, wildcards literal.
      assert.deepEqual(await oauth2({ scopes: ['open'] }), []);
      assert.deepEqual(await oauth2({ scopes: ['urn:matrix:client:api:%'] }), []);
      assert.deepEqual(await oauth2({ scopes: ['email'], state: 'active', userId: user.id }), [
        'late',
      ]);
    });

    it('filters browser and compatibility sessions by dates and browser session', async () => {
      clock.set(at(60));
      const compat = await t.storage.transaction((repos) =>
        repos.compatSessions.add(rng, clock, {
          userId: user.id,
          deviceId: 'DEVICE',
          browserSessionId: browser.id,
          isSynapseAdmin: false,
          humanName: null,
          userAgent: null,
        }),
      );
      const other = await t.storage.transaction((repos) =>
        repos.compatSessions.add(rng, clock, {
          userId: user.id,
          deviceId: 'OTHER',
          browserSessionId: null,
          isSynapseAdmin: false,
          humanName: null,
          userAgent: null,
        }),
      );
      await t.storage.transaction((repos) =>
        repos.compatSessions.recordActivity(other.id, at(70), null),
      );
      const compatIds = async (filter: CompatSessionFilter) =>
        (
          await t.storage.transaction((repos) => repos.compatSessions.list(filter, { first: 10 }))
        ).items.map((s) => s.id);
      assert.deepEqual(await compatIds({ browserSessionId: browser.id }), [compat.id]);
      assert.deepEqual(await compatIds({ lastActiveAfter: at(60) }), [other.id]);
      assert.deepEqual(await compatIds({ createdBefore: at(60) }), []);
      assert.deepEqual(await compatIds({ createdBefore: at(61), userId: user.id }), [
        compat.id,
        other.id,
      ]);

      const browsers = async (filter: BrowserSessionFilter) =>
        (
          await t.storage.transaction((repos) => repos.browserSessions.list(filter, { first: 10 }))
        ).items.map((s) => s.id);
      assert.deepEqual(await browsers({ createdBefore: at(1) }), [browser.id]);
      assert.deepEqual(await browsers({ createdAfter: at(0) }), []);
      assert.equal(
        await t.storage.transaction((repos) =>
          repos.browserSessions.count({ createdAfter: at(0) }),
        ),
        0,
      );
    });
  });
}
