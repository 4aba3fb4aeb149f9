// Conformance tests for `PersonalSessionRepository`, on SQLite and PostgreSQL: owners, one current
// token per session (regeneration revokes the previous one; the database refuses a second),
// revocation, bulk revocation for a user, activity only moving forward, and every list filter
// with pagination.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import type { OAuth2Client } from '../../src/model/oauth2-client.ts';
import {
  isPersonalAccessTokenValid,
  type PersonalSession,
} from '../../src/model/personal-session.ts';
import type { User } from '../../src/model/user.ts';
import { SeededRng } from '../../src/rng.ts';
import type { PersonalSessionFilter } from '../../src/storage/personal-session-repository.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { dialects, openTestStorage, type TestStorage } from '../helpers/storage.ts';
import { hashOf, seedOAuth2World } from './conformance/oauth2-fixtures.ts';

for (const dialect of dialects) {
  describe(`${dialect}: PersonalSessionRepository`, () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;
    let alice: User;
    let bob: User;
    let client: OAuth2Client;
    let n = 0;

    beforeEach(async () => {
      t = await openTestStorage(dialect);
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('personal-sessions');
      const world = await seedOAuth2World(storage, clock, rng);
      alice = world.user;
      client = world.client;
      bob = (await storage.transaction((repos) => repos.users.add(rng, clock, 'bob')))!;
    });
    afterEach(() => t.cleanup());

    /** A session one second after the previous one, with its first token. */
    async function create(
      fields: {
        owner?: PersonalSession['owner'];
        actor?: User;
        scope?: string;
        expiresAt?: Date | null;
      } = {},
    ) {
      clock.advance(1000);
      n += 1;
      return storage.transaction(async (repos) => {
        const session = await repos.personalSessions.add(rng, clock, {
          owner: fields.owner ?? { userId: alice.id },
          actorUserId: (fields.actor ?? alice).id,
          humanName: `token ${n}`,
          scope: fields.scope ?? 'urn:matrix:client:api:* openid',
        });
        const token = await repos.personalSessions.issueToken(
          rng,
          clock,
          session,
          hashOf(`mpt-${n}`),
          fields.expiresAt ?? null,
        );
        return { session, token };
      });
    }

    it('stores a session with its owner, actor and sorted scope, and finds its token', async () => {
      const { session, token } = await create({ scope: 'urn:mas:admin openid openid' });
      assert.equal(session.scope, 'openid urn:mas:admin');
      assert.deepEqual(session.owner, { userId: alice.id });
      assert.equal(session.revokedAt, null);
      const found = await storage.transaction(async (repos) => ({
        session: await repos.personalSessions.lookup(session.id),
        byHash: await repos.personalSessions.findTokenByHash(hashOf(`mpt-${n}`)),
        current: await repos.personalSessions.currentToken(session.id),
        unknown: await repos.personalSessions.findTokenByHash(hashOf('nope')),
      }));
      assert.deepEqual(found.session, session);
      assert.deepEqual(found.byHash, token);
      assert.deepEqual(found.current, token);
      assert.equal(found.unknown, null);

      const owned = await create({ owner: { clientId: client.id }, actor: bob });
      assert.deepEqual(owned.session.owner, { clientId: client.id });
      assert.equal(owned.session.actorUserId, bob.id);
    });

    it('refuses a session with no owner or two owners (database check)', async () => {
      await assert.rejects(
        storage.transaction((repos) =>
          repos.personalSessions.add(rng, clock, {
            owner: { userId: alice.id, clientId: client.id } as never,
            actorUserId: alice.id,
            humanName: 'both',
            scope: 'openid',
          }),
        ),
      );
      await assert.rejects(
        storage.transaction((repos) =>
          repos.personalSessions.add(rng, clock, {
            owner: {} as never,
            actorUserId: alice.id,
            humanName: 'none',
            scope: 'openid',
          }),
        ),
      );
    });

    it('keeps one current token: issuing another revokes the previous one', async () => {
      const { session, token } = await create({ expiresAt: new Date('2026-03-02T00:00:00Z') });
      clock.advance(1000);
      const next = await storage.transaction((repos) =>
        repos.personalSessions.issueToken(rng, clock, session, hashOf('regenerated'), null),
      );
      const state = await storage.transaction(async (repos) => ({
        old: await repos.personalSessions.findTokenByHash(token.tokenHash),
        current: await repos.personalSessions.currentToken(session.id),
      }));
      assert.deepEqual(state.old?.revokedAt, clock.now());
      assert.equal(isPersonalAccessTokenValid(state.old!, clock.now()), false);
      assert.deepEqual(state.current, next);
      assert.equal(next.expiresAt, null);
      // The partial unique index refuses a second unrevoked token of one session.
      await assert.rejects(
        t.storage.connection.db
          .insertInto('personal_access_tokens')
          .values({
            id: '01J0000000000000000000DUP0',
            personal_session_id: session.id,
            access_token_sha256: hashOf('duplicate'),
            created_at: t.storage.connection.dialect.toTimestamp(clock.now()),
            expires_at: null,
            revoked_at: null,
          })
          .execute(),
      );
      // ... and a hash used twice.
      await assert.rejects(
        storage.transaction((repos) =>
          repos.personalSessions.issueToken(rng, clock, session, hashOf('regenerated'), null),
        ),
      );
    });

    it('revokes a session and its token, keeping the first revocation time', async () => {
      const { session, token } = await create();
      clock.advance(5000);
      const revoked = await storage.transaction((repos) =>
        repos.personalSessions.revoke(clock, session),
      );
      assert.deepEqual(revoked.revokedAt, clock.now());
      const first = clock.now();
      clock.advance(5000);
      const again = await storage.transaction((repos) =>
        repos.personalSessions.revoke(clock, revoked),
      );
      assert.deepEqual(again.revokedAt, first);
      const state = await storage.transaction(async (repos) => ({
        token: await repos.personalSessions.findTokenByHash(token.tokenHash),
        current: await repos.personalSessions.currentToken(session.id),
      }));
      assert.deepEqual(state.token?.revokedAt, first);
      assert.equal(state.current, null);
    });

    it('revokes every active session a user acts as or owns, and lists active ones by actor', async () => {
      const acting = await create({ actor: alice, owner: { userId: bob.id } });
      const owning = await create({ actor: bob, owner: { userId: alice.id } });
      const other = await create({ actor: bob, owner: { clientId: client.id } });
      const listed = await storage.transaction((repos) =>
        repos.personalSessions.listActiveForActor(bob.id),
      );
      assert.deepEqual(
        listed.map((s) => s.id),
        [other.session.id, owning.session.id],
      );
      const revoked = await storage.transaction((repos) =>
        repos.personalSessions.revokeAllForUser(clock, alice.id),
      );
      assert.equal(revoked, 2);
      const state = await storage.transaction(async (repos) => ({
        acting: await repos.personalSessions.lookup(acting.session.id),
        owning: await repos.personalSessions.lookup(owning.session.id),
        other: await repos.personalSessions.lookup(other.session.id),
        actingToken: await repos.personalSessions.currentToken(acting.session.id),
        bobActive: await repos.personalSessions.listActiveForActor(bob.id),
      }));
      assert.notEqual(state.acting?.revokedAt, null);
      assert.notEqual(state.owning?.revokedAt, null);
      assert.equal(state.other?.revokedAt, null);
      assert.equal(state.actingToken, null);
      assert.deepEqual(
        state.bobActive.map((s) => s.id),
        [other.session.id],
      );
    });

    it('records activity in batches, only moving forward', async () => {
      const { session } = await create();
      const at = (s: string) => new Date(`2026-03-01T${s}Z`);
      await storage.transaction((repos) =>
        repos.personalSessions.recordActivity([
          { id: session.id, at: at('11:00:00'), ip: '192.0.2.1' },
          { id: session.id, at: at('11:05:00'), ip: null },
        ]),
      );
      let found = await storage.transaction((repos) => repos.personalSessions.lookup(session.id));
      assert.deepEqual(found?.lastActiveAt, at('11:05:00'));
      assert.equal(found?.lastActiveIp, '192.0.2.1');
      await storage.transaction((repos) =>
        repos.personalSessions.recordActivity([
          { id: session.id, at: at('10:30:00'), ip: '198.51.100.7' },
        ]),
      );
      found = await storage.transaction((repos) => repos.personalSessions.lookup(session.id));
      assert.deepEqual(found?.lastActiveAt, at('11:05:00'));
      assert.equal(found?.lastActiveIp, '192.0.2.1');
    });

    it('lists with every filter, each session with its current token, a page at a time', async () => {
      const a = await create({
        scope: 'urn:mas:admin',
        expiresAt: new Date('2026-03-05T00:00:00Z'),
      });
      const b = await create({
        actor: bob,
        owner: { clientId: client.id },
        scope: 'urn:matrix:client:api:* urn:mas:admin',
        expiresAt: new Date('2026-03-10T00:00:00Z'),
      });
      const c = await create({ scope: 'urn:matrix:client:api:*' });
      // A scope with LIKE's special characters is matched literally.
      const d = await create({ scope: 'x:a_b%' });
      await storage.transaction((repos) => repos.personalSessions.revoke(clock, d.session));

      const ids = async (filter: PersonalSessionFilter) =>
        (
          await storage.transaction((repos) => repos.personalSessions.list(filter, { first: 10 }))
        ).items.map((item) => item.session.id);
      const count = (filter: PersonalSessionFilter) =>
        storage.transaction((repos) => repos.personalSessions.count(filter));

      assert.deepEqual(
        await ids({}),
        [a, b, c, d].map((x) => x.session.id),
      );
      assert.equal(await count({}), 4);
      assert.deepEqual(
        await ids({ ownerUserId: alice.id }),
        [a, c, d].map((x) => x.session.id),
      );
      assert.deepEqual(await ids({ ownerClientId: client.id }), [b.session.id]);
      assert.deepEqual(await ids({ actorUserId: bob.id }), [b.session.id]);
      assert.deepEqual(await ids({ state: 'revoked' }), [d.session.id]);
      assert.equal(await count({ state: 'active' }), 3);
      assert.deepEqual(
        await ids({ scope: ['urn:mas:admin'] }),
        [a, b].map((x) => x.session.id),
      );
      assert.deepEqual(await ids({ scope: ['urn:mas:admin', 'urn:matrix:client:api:*'] }), [
        b.session.id,
      ]);
      assert.deepEqual(await ids({ scope: ['urn:mas'] }), []);
      assert.deepEqual(await ids({ scope: ['x:a_b%'] }), [d.session.id]);
      assert.deepEqual(await ids({ scope: ['x:aXbY'] }), []);
      assert.deepEqual(
        await ids({ expires: true }),
        [a, b].map((x) => x.session.id),
      );
      // No current token (revoked) counts as "does not expire", as MAS's join answers it.
      assert.deepEqual(
        await ids({ expires: false }),
        [c, d].map((x) => x.session.id),
      );
      assert.deepEqual(await ids({ expiresBefore: new Date('2026-03-06T00:00:00Z') }), [
        a.session.id,
      ]);
      assert.deepEqual(await ids({ expiresAfter: new Date('2026-03-06T00:00:00Z') }), [
        b.session.id,
      ]);
      assert.equal(await count({ expiresAfter: new Date('2026-03-06T00:00:00Z') }), 1);

      const page = await storage.transaction((repos) =>
        repos.personalSessions.list({}, { first: 2, after: a.session.id }),
      );
      assert.deepEqual(
        page.items.map((item) => item.session.id),
        [b, c].map((x) => x.session.id),
      );
      assert.equal(page.hasNextPage, true);
      assert.equal(page.hasPreviousPage, true);
      assert.deepEqual(page.items[0]!.token, b.token);
      const revokedItem = (
        await storage.transaction((repos) =>
          repos.personalSessions.list({ state: 'revoked' }, { last: 5 }),
        )
      ).items[0]!;
      assert.equal(revokedItem.token, null);
    });
  });
}
