// Conformance tests for the upstream OAuth repositories (providers, links, authorization
// sessions), on SQLite and PostgreSQL. Each test gets a new, migrated database.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import type { User } from '../../src/model/user.ts';
import {
  asUpstreamOAuthLinkId,
  asUpstreamOAuthProviderId,
  upstreamSessionState,
  type UpstreamOAuthProvider,
} from '../../src/model/upstream-oauth.ts';
import { SeededRng } from '../../src/rng.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { dialects, openTestStorage, type TestStorage } from '../helpers/storage.ts';
import { providerFields } from '../upstream/provider-fixtures.ts';

const P1 = asUpstreamOAuthProviderId('01HFVBY12TMNTYTBV8W921M5FA');
const P2 = asUpstreamOAuthProviderId('01HFS67GJ145HCM9ZASYS9DC3J');
const P3 = asUpstreamOAuthProviderId('01H8PKNWKKRPCBW4YGH1RWV279');

for (const dialect of dialects) {
  describe(`upstream OAuth repositories (${dialect})`, () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;

    beforeEach(async () => {
      t = await openTestStorage(dialect);
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('upstream');
    });
    afterEach(() => t.cleanup());

    async function addUser(username: string): Promise<User> {
      const user = await storage.transaction((repos) => repos.users.add(rng, clock, username));
      assert.ok(user);
      return user;
    }

    async function addProvider(
      id = P1,
      overrides: Parameters<typeof providerFields>[0] = {},
      enabled = true,
    ): Promise<UpstreamOAuthProvider> {
      return storage.transaction((repos) =>
        repos.upstreamOAuthProviders.upsert(clock, id, providerFields(overrides), enabled),
      );
    }

    describe('providers', () => {
      it('round-trips every field, including JSON and booleans', async () => {
        const fields = providerFields({
          issuer: null,
          brandName: 'google',
          synapseIdpId: 'oidc-google',
          encryptedClientSecret: 'ciphertext',
          tokenEndpointAuthMethod: 'sign_in_with_apple',
          signInWithApple: { teamId: 'T', keyId: 'K', encryptedPrivateKey: 'pk' },
          tokenEndpointSigningAlg: 'ES256',
          userinfoSignedResponseAlg: 'RS512',
          scope: 'openid email',
          discoveryMode: 'disabled',
          pkceMethod: 'always',
          fetchUserinfo: true,
          authorizationEndpointOverride: 'https://idp.example.com/auth',
          tokenEndpointOverride: 'https://idp.example.com/token',
          userinfoEndpointOverride: 'https://idp.example.com/userinfo',
          jwksUriOverride: 'https://idp.example.com/jwks',
          responseMode: 'form_post',
          additionalAuthorizationParameters: { prompt: 'consent', login_hint: '{{ params.x }}' },
          forwardLoginHint: true,
          onBackchannelLogout: 'logout_all',
          registrationTokenRequired: true,
          loginOnly: true,
          claimsRequirements: [
            { claim: 'groups', contains: 'matrix', equals: null, message: 'Ask IT' },
          ],
          adminClaim: { claim: 'role', contains: null, equals: 'admin', revoke: true },
          uiOrder: 3,
        });
        const saved = await storage.transaction((repos) =>
          repos.upstreamOAuthProviders.upsert(clock, P1, fields, true),
        );
        assert.deepEqual(saved, {
          ...fields,
          id: P1,
          createdAt: clock.now(),
          disabledAt: null,
        });
        const read = await storage.transaction((repos) => repos.upstreamOAuthProviders.lookup(P1));
        assert.deepEqual(read, saved);
      });

      it('updates in place, keeps createdAt, disables and re-enables', async () => {
        const first = await addProvider(P1, { humanName: 'One' });
        clock.advance(1000);
        const disabled = await addProvider(P1, { humanName: 'Uno' }, false);
        assert.equal(disabled.humanName, 'Uno');
        assert.deepEqual(disabled.createdAt, first.createdAt);
        assert.deepEqual(disabled.disabledAt, clock.now());
        clock.advance(1000);
        // Staying disabled keeps the first disable time.
        const still = await addProvider(P1, {}, false);
        assert.deepEqual(still.disabledAt, disabled.disabledAt);
        const enabled = await addProvider(P1, {}, true);
        assert.equal(enabled.disabledAt, null);
        await storage.transaction((repos) => repos.upstreamOAuthProviders.disable(clock, P1));
        const after = await storage.transaction((repos) => repos.upstreamOAuthProviders.lookup(P1));
        assert.deepEqual(after?.disabledAt, clock.now());
      });

      it('lists in ui order, filters enabled, pages and counts', async () => {
        await addProvider(P1, { uiOrder: 2 });
        await addProvider(P2, { uiOrder: 0 });
        await addProvider(P3, { uiOrder: 1 }, false);
        await storage.transaction(async (repos) => {
          const all = await repos.upstreamOAuthProviders.all();
          assert.deepEqual(
            all.map((p) => p.id),
            [P2, P3, P1],
          );
          const enabled = await repos.upstreamOAuthProviders.all({ enabledOnly: true });
          assert.deepEqual(
            enabled.map((p) => p.id),
            [P2, P1],
          );
          assert.equal(await repos.upstreamOAuthProviders.count({}), 3);
          assert.equal(await repos.upstreamOAuthProviders.count({ enabled: true }), 2);
          assert.equal(await repos.upstreamOAuthProviders.count({ enabled: false }), 1);
          const page = await repos.upstreamOAuthProviders.listPage({}, { first: 2 });
          // By id: P3 (01H8…) < P2 (01HFS…) < P1 (01HFV…).
          assert.deepEqual(
            page.items.map((p) => p.id),
            [P3, P2],
          );
          assert.equal(page.hasNextPage, true);
          const next = await repos.upstreamOAuthProviders.listPage(
            { enabled: true },
            { first: 2, after: P2 },
          );
          assert.deepEqual(
            next.items.map((p) => p.id),
            [P1],
          );
          assert.equal(next.hasPreviousPage, true);
          assert.equal(next.hasNextPage, false);
        });
      });

      it('deletes a provider with its links and sessions', async () => {
        await addProvider(P1);
        const alice = await addUser('alice');
        const { link, session } = await storage.transaction(async (repos) => {
          const link = await repos.upstreamOAuthLinks.add(rng, clock, {
            providerId: P1,
            subject: 'sub-1',
            userId: alice.id,
          });
          const session = await repos.upstreamOAuthSessions.add(rng, clock, {
            providerId: P1,
            state: 'state-1',
          });
          return { link, session };
        });
        assert.ok(link);
        await storage.transaction(async (repos) => {
          assert.equal(await repos.upstreamOAuthProviders.delete(P1), true);
          assert.equal(await repos.upstreamOAuthProviders.delete(P1), false);
          assert.equal(await repos.upstreamOAuthLinks.lookup(link.id), null);
          assert.equal(await repos.upstreamOAuthSessions.lookup(session.id), null);
          assert.ok(await repos.users.lookup(alice.id));
        });
      });
    });

    describe('links', () => {
      it('adds, refuses a duplicate subject, finds and associates', async () => {
        await addProvider(P1);
        await addProvider(P2);
        const alice = await addUser('alice');
        await storage.transaction(async (repos) => {
          const link = await repos.upstreamOAuthLinks.add(rng, clock, {
            providerId: P1,
            subject: 'abc',
            humanAccountName: 'alice@idp',
          });
          assert.ok(link);
          assert.equal(link.userId, null);
          assert.equal(link.humanAccountName, 'alice@idp');
          assert.deepEqual(link.createdAt, clock.now());
          assert.equal(
            await repos.upstreamOAuthLinks.add(rng, clock, { providerId: P1, subject: 'abc' }),
            null,
          );
          // The same subject at another provider is another identity.
          assert.ok(
            await repos.upstreamOAuthLinks.add(rng, clock, { providerId: P2, subject: 'abc' }),
          );
          assert.deepEqual(await repos.upstreamOAuthLinks.findBySubject(P1, 'abc'), link);
          assert.equal(await repos.upstreamOAuthLinks.findBySubject(P1, 'ABC'), null);
          const linked = await repos.upstreamOAuthLinks.associate(link, alice.id);
          assert.equal(linked.userId, alice.id);
          const renamed = await repos.upstreamOAuthLinks.setHumanAccountName(linked, null);
          assert.equal(renamed.humanAccountName, null);
          assert.deepEqual(
            (await repos.upstreamOAuthLinks.listForUser(alice.id)).map((l) => l.id),
            [link.id],
          );
          assert.equal(
            (await repos.upstreamOAuthLinks.findForUserAndProvider(alice.id, P1))?.id,
            link.id,
          );
          assert.equal(await repos.upstreamOAuthLinks.findForUserAndProvider(alice.id, P2), null);
        });
      });

      it('filters, pages and counts for the Admin API', async () => {
        await addProvider(P1);
        await addProvider(P2);
        const alice = await addUser('alice');
        const bob = await addUser('bob');
        const ids = await storage.transaction(async (repos) => {
          const made = [];
          for (const [providerId, subject, userId, name] of [
            [P1, 's1', alice.id, 'a@one'],
            [P1, 's2', bob.id, null],
            [P2, 's1', alice.id, null],
            [P2, 's3', null, 'x'],
          ] as const) {
            clock.advance(1);
            const link = await repos.upstreamOAuthLinks.add(rng, clock, {
              providerId,
              subject,
              userId,
              humanAccountName: name,
            });
            assert.ok(link);
            made.push(link.id);
          }
          return made;
        });
        await storage.transaction(async (repos) => {
          const links = repos.upstreamOAuthLinks;
          assert.equal(await links.count({}), 4);
          assert.equal(await links.count({ userId: alice.id }), 2);
          assert.equal(await links.count({ providerId: P2 }), 2);
          assert.equal(await links.count({ subject: 's1' }), 2);
          assert.equal(await links.count({ subject: 's1', providerId: P1 }), 1);
          assert.equal(await links.count({ humanAccountName: 'x' }), 1);
          const page = await links.listPage({ userId: alice.id }, { first: 1 });
          assert.deepEqual(
            page.items.map((l) => l.id),
            [ids[0]],
          );
          assert.equal(page.hasNextPage, true);
          const last = await links.listPage({}, { last: 2 });
          assert.deepEqual(
            last.items.map((l) => l.id),
            [ids[2], ids[3]],
          );
          assert.equal(last.hasPreviousPage, true);
        });
      });

      it('removing a link marks its pending sessions unlinked and keeps consumed ones', async () => {
        await addProvider(P1);
        const alice = await addUser('alice');
        const result = await storage.transaction(async (repos) => {
          const link = await repos.upstreamOAuthLinks.add(rng, clock, {
            providerId: P1,
            subject: 's',
            userId: alice.id,
          });
          assert.ok(link);
          const browser = await repos.browserSessions.add(rng, clock, alice);
          const s1 = await repos.upstreamOAuthSessions.add(rng, clock, {
            providerId: P1,
            state: 'a',
          });
          const s2 = await repos.upstreamOAuthSessions.add(rng, clock, {
            providerId: P1,
            state: 'b',
          });
          const done1 = await repos.upstreamOAuthSessions.complete(clock, s1, { linkId: link.id });
          const done2 = await repos.upstreamOAuthSessions.complete(clock, s2, { linkId: link.id });
          assert.ok(done1 && done2);
          assert.ok(await repos.upstreamOAuthSessions.consume(clock, done2, browser.id));
          clock.advance(5);
          assert.equal(await repos.upstreamOAuthLinks.remove(clock, link.id), true);
          assert.equal(await repos.upstreamOAuthLinks.remove(clock, link.id), false);
          return {
            s1: await repos.upstreamOAuthSessions.lookup(s1.id),
            s2: await repos.upstreamOAuthSessions.lookup(s2.id),
          };
        });
        assert.ok(result.s1 && result.s2);
        assert.equal(upstreamSessionState(result.s1), 'unlinked');
        assert.deepEqual(result.s1.unlinkedAt, clock.now());
        assert.equal(result.s1.linkId, null);
        assert.equal(upstreamSessionState(result.s2), 'consumed');
        assert.equal(result.s2.unlinkedAt, null);
        // An unlinked session can no longer be consumed.
        await storage.transaction(async (repos) => {
          const browser = await repos.browserSessions.add(rng, clock, alice);
          assert.equal(
            await repos.upstreamOAuthSessions.consume(clock, result.s1!, browser.id),
            null,
          );
        });
      });

      it('returns null for unknown ids', async () => {
        await storage.transaction(async (repos) => {
          assert.equal(
            await repos.upstreamOAuthLinks.lookup(
              asUpstreamOAuthLinkId('01HFVBY12TMNTYTBV8W921M5FB'),
            ),
            null,
          );
          assert.equal(await repos.upstreamOAuthProviders.lookup(P1), null);
          assert.equal(await repos.upstreamOAuthLinks.findBySubject(P1, 's'), null);
        });
      });
    });

    describe('authorization sessions', () => {
      it('goes pending → completed → consumed exactly once', async () => {
        await addProvider(P1);
        const alice = await addUser('alice');
        await storage.transaction(async (repos) => {
          const sessions = repos.upstreamOAuthSessions;
          const link = await repos.upstreamOAuthLinks.add(rng, clock, {
            providerId: P1,
            subject: 's',
          });
          assert.ok(link);
          const pending = await sessions.add(rng, clock, {
            providerId: P1,
            state: 'st',
            codeVerifier: 'verifier',
            nonce: 'n',
            postAuthAction: '/authorize?x=1',
          });
          assert.equal(upstreamSessionState(pending), 'pending');
          assert.equal(pending.codeVerifier, 'verifier');
          assert.equal(pending.postAuthAction, '/authorize?x=1');
          assert.deepEqual(await sessions.findByState('st'), pending);
          assert.equal(await sessions.findByState('other'), null);
          const browser = await repos.browserSessions.add(rng, clock, alice);
          // Not completed: cannot be consumed.
          assert.equal(await sessions.consume(clock, pending, browser.id), null);
          clock.advance(10);
          const claims = { sub: 's', groups: ['a', 'b'], nested: { x: 1 } };
          const completed = await sessions.complete(clock, pending, {
            linkId: link.id,
            idToken: 'eyJ...',
            idTokenClaims: claims,
            userinfo: { email: 'a@b' },
            extraCallbackParameters: { iss: 'https://idp.example.com/' },
            idTokenSid: 'sid-1',
          });
          assert.ok(completed);
          assert.equal(upstreamSessionState(completed), 'completed');
          assert.deepEqual(completed.completedAt, clock.now());
          assert.deepEqual(completed.idTokenClaims, claims);
          assert.deepEqual(completed.userinfo, { email: 'a@b' });
          assert.equal(completed.idTokenSid, 'sid-1');
          assert.equal(completed.linkId, link.id);
          // A replayed callback.
          assert.equal(await sessions.complete(clock, pending, { linkId: link.id }), null);
          const consumed = await sessions.consume(clock, completed, browser.id);
          assert.ok(consumed);
          assert.equal(upstreamSessionState(consumed), 'consumed');
          assert.equal(consumed.browserSessionId, browser.id);
          assert.equal(await sessions.consume(clock, completed, browser.id), null);
          assert.equal((await sessions.findByBrowserSession(browser.id))?.id, consumed.id);
        });
      });

      it('refuses a duplicate state', async () => {
        await addProvider(P1);
        await storage.transaction((repos) =>
          repos.upstreamOAuthSessions.add(rng, clock, { providerId: P1, state: 'same' }),
        );
        await assert.rejects(
          storage.transaction((repos) =>
            repos.upstreamOAuthSessions.add(rng, clock, { providerId: P1, state: 'same' }),
          ),
        );
      });

      it('finds consumed sessions for back-channel logout by sid or by subject', async () => {
        await addProvider(P1);
        await addProvider(P2);
        const alice = await addUser('alice');
        const made = await storage.transaction(async (repos) => {
          const sessions = repos.upstreamOAuthSessions;
          const link = await repos.upstreamOAuthLinks.add(rng, clock, {
            providerId: P1,
            subject: 'alice-sub',
            userId: alice.id,
          });
          const other = await repos.upstreamOAuthLinks.add(rng, clock, {
            providerId: P2,
            subject: 'alice-sub',
            userId: alice.id,
          });
          assert.ok(link && other);
          const out = [];
          for (const [providerId, linkId, sid, consume] of [
            [P1, link.id, 'sid-a', true],
            [P1, link.id, 'sid-b', true],
            [P1, link.id, 'sid-a', false],
            [P2, other.id, 'sid-a', true],
          ] as const) {
            clock.advance(1);
            const s = await sessions.add(rng, clock, { providerId, state: `st-${out.length}` });
            const c = await sessions.complete(clock, s, { linkId, idTokenSid: sid });
            assert.ok(c);
            if (consume) {
              const browser = await repos.browserSessions.add(rng, clock, alice);
              assert.ok(await sessions.consume(clock, c, browser.id));
            }
            out.push(s.id);
          }
          return out;
        });
        await storage.transaction(async (repos) => {
          const sessions = repos.upstreamOAuthSessions;
          const bySid = await sessions.listConsumedForLogout(P1, { subject: null, sid: 'sid-a' });
          assert.deepEqual(
            bySid.map((s) => s.id),
            [made[0]],
          );
          const bySubject = await sessions.listConsumedForLogout(P1, {
            subject: 'alice-sub',
            sid: null,
          });
          assert.deepEqual(
            bySubject.map((s) => s.id),
            [made[1], made[0]],
          );
          assert.deepEqual(
            await sessions.listConsumedForLogout(P1, { subject: null, sid: null }),
            [],
          );
          assert.deepEqual(
            await sessions.listConsumedForLogout(P1, { subject: 'nobody', sid: null }),
            [],
          );
        });
      });

      it('deletes abandoned sessions older than the cutoff only', async () => {
        await addProvider(P1);
        const alice = await addUser('alice');
        const ids = await storage.transaction(async (repos) => {
          const sessions = repos.upstreamOAuthSessions;
          const link = await repos.upstreamOAuthLinks.add(rng, clock, {
            providerId: P1,
            subject: 's',
          });
          assert.ok(link);
          const old = await sessions.add(rng, clock, { providerId: P1, state: 'old' });
          const oldConsumed = await sessions.add(rng, clock, { providerId: P1, state: 'used' });
          const c = await sessions.complete(clock, oldConsumed, { linkId: link.id });
          const browser = await repos.browserSessions.add(rng, clock, alice);
          assert.ok(c && (await sessions.consume(clock, c, browser.id)));
          clock.advance(60_000);
          const fresh = await sessions.add(rng, clock, { providerId: P1, state: 'new' });
          return { old: old.id, oldConsumed: oldConsumed.id, fresh: fresh.id };
        });
        await storage.transaction(async (repos) => {
          const sessions = repos.upstreamOAuthSessions;
          assert.equal(await sessions.deleteAbandoned(new Date(clock.now().getTime() - 1000)), 1);
          assert.equal(await sessions.lookup(ids.old), null);
          assert.ok(await sessions.lookup(ids.oldConsumed));
          assert.ok(await sessions.lookup(ids.fresh));
        });
      });
    });
  });
}
