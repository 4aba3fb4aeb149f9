// Conformance tests for the account repositories: `UserEmailRepository`,
// `EmailAuthenticationRepository`, `UserRegistrationRepository`,
// `UserRegistrationTokenRepository`, `RecoveryRepository` and `UserTermsRepository`.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import { EMAIL_CODE_LIFETIME_MS } from '../../../src/model/email-authentication.ts';
import {
  asRecoverySessionId,
  RECOVERY_TICKET_LIFETIME_MS,
} from '../../../src/model/recovery-session.ts';
import {
  asUserRegistrationTokenId,
  isRegistrationTokenValid,
  registrationTokenState,
} from '../../../src/model/registration-token.ts';
import type { User } from '../../../src/model/user.ts';
import { asUserEmailId } from '../../../src/model/user-email.ts';
import {
  asUserRegistrationId,
  isRegistrationExpired,
} from '../../../src/model/user-registration.ts';
import { SeededRng } from '../../../src/rng.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import type { TestStorage } from '../../helpers/storage.ts';

const MINUTE = 60_000;

export function accountRepositoriesConformance(open: () => Promise<TestStorage>): void {
  describe('account repositories', () => {
    let t: TestStorage;
    let storage: Storage;
    let clock: MockClock;
    let rng: SeededRng;

    beforeEach(async () => {
      t = await open();
      storage = t.storage;
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('accounts');
    });
    afterEach(() => t.cleanup());

    async function addUser(username: string): Promise<User> {
      const user = await storage.transaction((repos) => repos.users.add(rng, clock, username));
      assert.ok(user);
      return user;
    }

    describe('UserEmailRepository', () => {
      it('adds, finds case-insensitively, lists and counts addresses', async () => {
        const alice = await addUser('alice');
        const bob = await addUser('bob');
        await storage.transaction(async (repos) => {
          const first = await repos.userEmails.add(rng, clock, alice, 'Alice@Example.com');
          assert.equal(first.email, 'Alice@Example.com');
          assert.equal(first.userId, alice.id);
          assert.deepEqual(first.createdAt, clock.now());
          clock.advance(1000);
          await repos.userEmails.add(rng, clock, alice, 'second@example.org');
          await repos.userEmails.add(rng, clock, bob, 'ALICE@example.COM');

          assert.deepEqual(await repos.userEmails.lookup(first.id), first);
          assert.equal(
            await repos.userEmails.lookup(asUserEmailId('01J00000000000000000000000')),
            null,
          );
          const found = await repos.userEmails.findForUser(alice, 'alice@EXAMPLE.com');
          assert.equal(found?.id, first.id);
          assert.equal(await repos.userEmails.findForUser(alice, 'nobody@example.com'), null);
          assert.deepEqual(
            (await repos.userEmails.listForUser(alice)).map((e) => e.email),
            ['Alice@Example.com', 'second@example.org'],
          );
          assert.equal(await repos.userEmails.countForUser(alice), 2);
          assert.equal(await repos.userEmails.countForUser(bob), 1);
          assert.deepEqual(
            (await repos.userEmails.listByEmail(' alice@example.com ')).map((e) => e.userId),
            [alice.id, bob.id],
          );
          assert.deepEqual(await repos.userEmails.listByEmail('none@example.com'), []);
        });
      });

      it('returns the existing row when the user adds an address again in another case', async () => {
        const alice = await addUser('alice');
        await storage.transaction(async (repos) => {
          const first = await repos.userEmails.add(rng, clock, alice, 'alice@example.com');
          clock.advance(1000);
          const again = await repos.userEmails.add(rng, clock, alice, 'ALICE@example.com');
          assert.deepEqual(again, first);
          assert.equal(await repos.userEmails.countForUser(alice), 1);
        });
      });

      it('removes one address or all of a user', async () => {
        const alice = await addUser('alice');
        const bob = await addUser('bob');
        await storage.transaction(async (repos) => {
          const a1 = await repos.userEmails.add(rng, clock, alice, 'a1@example.com');
          await repos.userEmails.add(rng, clock, alice, 'a2@example.com');
          await repos.userEmails.add(rng, clock, bob, 'b@example.com');
          assert.equal(await repos.userEmails.remove(a1), true);
          assert.equal(await repos.userEmails.remove(a1), false);
          assert.equal(await repos.userEmails.lookup(a1.id), null);
          assert.equal(await repos.userEmails.removeAllForUser(alice), 1);
          assert.equal(await repos.userEmails.countForUser(alice), 0);
          assert.equal(await repos.userEmails.countForUser(bob), 1);
        });
      });
    });

    describe('EmailAuthenticationRepository', () => {
      it('starts an authentication for a registration and completes it with a valid code once', async () => {
        await storage.transaction(async (repos) => {
          const registration = await repos.userRegistrations.add(rng, clock, { username: 'carol' });
          const auth = await repos.emailAuthentications.addForRegistration(
            rng,
            clock,
            registration,
            'carol@example.com',
          );
          assert.equal(auth.registrationId, registration.id);
          assert.equal(auth.browserSessionId, null);
          assert.equal(auth.attempts, 0);
          assert.equal(auth.completedAt, null);
          assert.deepEqual(await repos.emailAuthentications.lookup(auth.id), auth);

          const code = await repos.emailAuthentications.addCode(rng, clock, auth, '012345');
          assert.equal(code.authenticationId, auth.id);
          assert.equal(code.expiresAt.getTime() - clock.now().getTime(), EMAIL_CODE_LIFETIME_MS);
          assert.equal(await repos.emailAuthentications.findValidCode(clock, auth, '999999'), null);
          const found = await repos.emailAuthentications.findValidCode(clock, auth, '012345');
          assert.deepEqual(found, code);

          clock.advance(1000);
          const completed = await repos.emailAuthentications.complete(clock, auth, code);
          assert.deepEqual(completed?.completedAt, clock.now());
          assert.equal(await repos.emailAuthentications.complete(clock, auth, code), null);
        });
      });

      it('starts an authentication for a browser session', async () => {
        const alice = await addUser('alice');
        await storage.transaction(async (repos) => {
          const session = await repos.browserSessions.add(rng, clock, alice, 'UA');
          const auth = await repos.emailAuthentications.addForBrowserSession(
            rng,
            clock,
            session,
            ' new@example.com ',
          );
          assert.equal(auth.browserSessionId, session.id);
          assert.equal(auth.registrationId, null);
          assert.equal(auth.email, 'new@example.com');
        });
      });

      it('does not find expired codes or codes of another authentication', async () => {
        await storage.transaction(async (repos) => {
          const registration = await repos.userRegistrations.add(rng, clock, { username: 'dave' });
          const a = await repos.emailAuthentications.addForRegistration(
            rng,
            clock,
            registration,
            'a@x.org',
          );
          const b = await repos.emailAuthentications.addForRegistration(
            rng,
            clock,
            registration,
            'b@x.org',
          );
          await repos.emailAuthentications.addCode(rng, clock, a, '111111');
          await repos.emailAuthentications.addCode(rng, clock, b, '222222', 60_000);
          assert.equal(await repos.emailAuthentications.findValidCode(clock, b, '111111'), null);
          clock.advance(60_000);
          assert.equal(await repos.emailAuthentications.findValidCode(clock, b, '222222'), null);
          assert.ok(await repos.emailAuthentications.findValidCode(clock, a, '111111'));
          clock.advance(EMAIL_CODE_LIFETIME_MS - 60_000);
          assert.equal(await repos.emailAuthentications.findValidCode(clock, a, '111111'), null);
        });
      });

      it('counts failed attempts atomically', async () => {
        const auth = await storage.transaction(async (repos) => {
          const registration = await repos.userRegistrations.add(rng, clock, { username: 'erin' });
          return repos.emailAuthentications.addForRegistration(rng, clock, registration, 'e@x.org');
        });
        // Both increments start from the same stale copy: the count must still reach 2.
        await storage.transaction((repos) => repos.emailAuthentications.recordFailedAttempt(auth));
        const after = await storage.transaction((repos) =>
          repos.emailAuthentications.recordFailedAttempt(auth),
        );
        assert.equal(after.attempts, 2);
      });

      it('refuses to complete with a code of another authentication', async () => {
        await storage.transaction(async (repos) => {
          const registration = await repos.userRegistrations.add(rng, clock, { username: 'fay' });
          const a = await repos.emailAuthentications.addForRegistration(
            rng,
            clock,
            registration,
            'a@x.org',
          );
          const b = await repos.emailAuthentications.addForRegistration(
            rng,
            clock,
            registration,
            'b@x.org',
          );
          const codeOfB = await repos.emailAuthentications.addCode(rng, clock, b, '333333');
          await assert.rejects(repos.emailAuthentications.complete(clock, a, codeOfB));
        });
      });

      it('deletes old authentications with their codes', async () => {
        await storage.transaction(async (repos) => {
          const registration = await repos.userRegistrations.add(rng, clock, { username: 'gus' });
          const old = await repos.emailAuthentications.addForRegistration(
            rng,
            clock,
            registration,
            'o@x.org',
          );
          await repos.emailAuthentications.addCode(rng, clock, old, '444444');
          clock.advance(MINUTE);
          const recent = await repos.emailAuthentications.addForRegistration(
            rng,
            clock,
            registration,
            'r@x.org',
          );
          assert.equal(await repos.emailAuthentications.deleteCreatedBefore(clock.now()), 1);
          assert.equal(await repos.emailAuthentications.lookup(old.id), null);
          assert.ok(await repos.emailAuthentications.lookup(recent.id));
        });
      });
    });

    describe('UserRegistrationRepository', () => {
      it('records each step and completes once', async () => {
        await storage.transaction(async (repos) => {
          const added = await repos.userRegistrations.add(rng, clock, {
            username: 'hana',
            postAuthAction: '/authorize?client_id=x',
            ipAddress: '203.0.113.9',
            userAgent: 'Browser/1',
          });
          assert.equal(added.username, 'hana');
          assert.equal(added.postAuthAction, '/authorize?client_id=x');
          assert.equal(added.ipAddress, '203.0.113.9');
          assert.equal(added.userAgent, 'Browser/1');
          assert.equal(added.completedAt, null);
          assert.equal(added.hashedPassword, null);
          assert.deepEqual(await repos.userRegistrations.lookup(added.id), added);
          assert.equal(
            await repos.userRegistrations.lookup(
              asUserRegistrationId('01J00000000000000000000000'),
            ),
            null,
          );

          let r = await repos.userRegistrations.setPassword(added, '$argon2id$hash', 2);
          assert.equal(r?.hashedPassword, '$argon2id$hash');
          assert.equal(r?.passwordVersion, 2);
          r = await repos.userRegistrations.setDisplayName(added, 'Hana');
          assert.equal(r?.displayName, 'Hana');
          r = await repos.userRegistrations.setTermsUrl(added, 'https://example.com/tos');
          assert.equal(r?.termsUrl, 'https://example.com/tos');
          const auth = await repos.emailAuthentications.addForRegistration(
            rng,
            clock,
            added,
            'h@x.org',
          );
          r = await repos.userRegistrations.setEmailAuthentication(added, auth);
          assert.equal(r?.emailAuthenticationId, auth.id);
          const token = await repos.registrationTokens.add(rng, clock, { token: 'tok' });
          assert.ok(token);
          r = await repos.userRegistrations.setRegistrationToken(added, token);
          assert.equal(r?.registrationTokenId, token.id);
          // Every step was kept.
          assert.equal(r?.hashedPassword, '$argon2id$hash');
          assert.equal(r?.displayName, 'Hana');

          clock.advance(1000);
          const done = await repos.userRegistrations.complete(clock, added);
          assert.deepEqual(done?.completedAt, clock.now());
          assert.equal(await repos.userRegistrations.complete(clock, added), null);
          assert.equal(await repos.userRegistrations.setDisplayName(added, 'Other'), null);
          assert.equal(await repos.userRegistrations.setPassword(added, 'x', 1), null);
          assert.equal((await repos.userRegistrations.lookup(added.id))?.displayName, 'Hana');
        });
      });

      it('refuses an email authentication made for another registration', async () => {
        await storage.transaction(async (repos) => {
          const one = await repos.userRegistrations.add(rng, clock, { username: 'one' });
          const two = await repos.userRegistrations.add(rng, clock, { username: 'two' });
          const auth = await repos.emailAuthentications.addForRegistration(
            rng,
            clock,
            two,
            't@x.org',
          );
          await assert.rejects(repos.userRegistrations.setEmailAuthentication(one, auth));
        });
      });

      it('expires after an hour and is deleted by retention', async () => {
        await storage.transaction(async (repos) => {
          const old = await repos.userRegistrations.add(rng, clock, { username: 'old' });
          assert.equal(isRegistrationExpired(old, clock.now()), false);
          clock.advance(60 * MINUTE);
          assert.equal(isRegistrationExpired(old, clock.now()), true);
          const recent = await repos.userRegistrations.add(rng, clock, { username: 'new' });
          assert.equal(await repos.userRegistrations.deleteCreatedBefore(clock.now()), 1);
          assert.equal(await repos.userRegistrations.lookup(old.id), null);
          assert.ok(await repos.userRegistrations.lookup(recent.id));
        });
      });
    });

    describe('UserRegistrationTokenRepository', () => {
      it('adds tokens, refuses duplicates and finds them exactly', async () => {
        await storage.transaction(async (repos) => {
          const expiresAt = new Date(clock.now().getTime() + 3600_000);
          const token = await repos.registrationTokens.add(rng, clock, {
            token: 'Abc123',
            usageLimit: 2,
            expiresAt,
          });
          assert.ok(token);
          assert.equal(token.usageLimit, 2);
          assert.equal(token.timesUsed, 0);
          assert.deepEqual(token.expiresAt, expiresAt);
          assert.equal(token.revokedAt, null);
          clock.advance(1000);
          assert.equal(await repos.registrationTokens.add(rng, clock, { token: 'Abc123' }), null);
          assert.deepEqual(await repos.registrationTokens.findByToken('Abc123'), token);
          assert.equal(await repos.registrationTokens.findByToken('abc123'), null);
          assert.deepEqual(await repos.registrationTokens.lookup(token.id), token);
          assert.equal(
            await repos.registrationTokens.lookup(
              asUserRegistrationTokenId('01J00000000000000000000000'),
            ),
            null,
          );
          const unlimited = await repos.registrationTokens.add(rng, clock, { token: 'free' });
          assert.equal(unlimited?.usageLimit, null);
          assert.equal(unlimited?.expiresAt, null);
          assert.deepEqual(
            (await repos.registrationTokens.list()).map((x) => x.token),
            ['Abc123', 'free'],
          );
        });
      });

      it('uses a token until its limit, even from stale copies', async () => {
        const token = await storage.transaction((repos) =>
          repos.registrationTokens.add(rng, clock, { token: 'twice', usageLimit: 2 }),
        );
        assert.ok(token);
        clock.advance(1000);
        const first = await storage.transaction((repos) =>
          repos.registrationTokens.use(clock, token),
        );
        assert.equal(first?.timesUsed, 1);
        assert.deepEqual(first?.lastUsedAt, clock.now());
        const second = await storage.transaction((repos) =>
          repos.registrationTokens.use(clock, token),
        );
        assert.equal(second?.timesUsed, 2);
        assert.ok(second);
        assert.equal(registrationTokenState(second, clock.now()), 'used_up');
        assert.equal(
          await storage.transaction((repos) => repos.registrationTokens.use(clock, token)),
          null,
        );
      });

      it('refuses expired and revoked tokens, and unrevoking restores them', async () => {
        await storage.transaction(async (repos) => {
          const expiring = await repos.registrationTokens.add(rng, clock, {
            token: 'soon',
            expiresAt: new Date(clock.now().getTime() + MINUTE),
          });
          const revocable = await repos.registrationTokens.add(rng, clock, { token: 'rev' });
          assert.ok(expiring && revocable);
          clock.advance(MINUTE);
          assert.equal(registrationTokenState(expiring, clock.now()), 'expired');
          assert.equal(await repos.registrationTokens.use(clock, expiring), null);

          const revoked = await repos.registrationTokens.revoke(clock, revocable);
          assert.deepEqual(revoked.revokedAt, clock.now());
          clock.advance(1000);
          const again = await repos.registrationTokens.revoke(clock, revoked);
          assert.deepEqual(again.revokedAt, revoked.revokedAt);
          assert.equal(isRegistrationTokenValid(again, clock.now()), false);
          assert.equal(await repos.registrationTokens.use(clock, revocable), null);

          const restored = await repos.registrationTokens.unrevoke(again);
          assert.equal(restored.revokedAt, null);
          assert.equal((await repos.registrationTokens.use(clock, restored))?.timesUsed, 1);
        });
      });
    });

    describe('RecoveryRepository', () => {
      it('records a session, stores only the hash of tickets and finds them by plaintext', async () => {
        const alice = await addUser('alice');
        const ticketText = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345';
        await storage.transaction(async (repos) => {
          const email = await repos.userEmails.add(rng, clock, alice, 'alice@example.com');
          const session = await repos.recovery.addSession(rng, clock, {
            email: 'Alice@example.com',
            ipAddress: '192.0.2.1',
            userAgent: 'UA',
            locale: 'en',
          });
          assert.equal(session.email, 'Alice@example.com');
          assert.equal(session.locale, 'en');
          assert.equal(session.consumedAt, null);
          assert.deepEqual(await repos.recovery.lookupSession(session.id), session);
          assert.equal(
            await repos.recovery.lookupSession(asRecoverySessionId('01J00000000000000000000000')),
            null,
          );

          const ticket = await repos.recovery.addTicket(rng, clock, session, email, ticketText);
          assert.equal(ticket.sessionId, session.id);
          assert.equal(ticket.userEmailId, email.id);
          assert.equal(ticket.userId, alice.id);
          assert.equal(
            ticket.expiresAt.getTime() - clock.now().getTime(),
            RECOVERY_TICKET_LIFETIME_MS,
          );
          assert.deepEqual(await repos.recovery.findTicket(ticketText), ticket);
          assert.equal(await repos.recovery.findTicket(ticketText.toLowerCase()), null);
        });
        const stored = await t.storage.connection.db
          .selectFrom('user_recovery_tickets')
          .select('ticket_hash')
          .execute();
        assert.deepEqual(
          stored.map((row) => row.ticket_hash),
          [createHash('sha256').update(ticketText).digest('hex')],
        );
      });

      it('consumes a session once', async () => {
        await storage.transaction(async (repos) => {
          const session = await repos.recovery.addSession(rng, clock, {
            email: 'x@x.org',
            locale: 'fr',
          });
          assert.equal(session.ipAddress, null);
          clock.advance(1000);
          const consumed = await repos.recovery.consumeSession(clock, session);
          assert.deepEqual(consumed?.consumedAt, clock.now());
          assert.equal(await repos.recovery.consumeSession(clock, session), null);
        });
      });

      it('deletes old sessions with their tickets', async () => {
        const alice = await addUser('alice');
        await storage.transaction(async (repos) => {
          const email = await repos.userEmails.add(rng, clock, alice, 'alice@example.com');
          const old = await repos.recovery.addSession(rng, clock, {
            email: 'alice@example.com',
            locale: 'en',
          });
          await repos.recovery.addTicket(rng, clock, old, email, 'T'.repeat(32));
          clock.advance(MINUTE);
          const recent = await repos.recovery.addSession(rng, clock, {
            email: 'a@x.org',
            locale: 'en',
          });
          assert.equal(await repos.recovery.deleteCreatedBefore(clock.now()), 1);
          assert.equal(await repos.recovery.lookupSession(old.id), null);
          assert.equal(await repos.recovery.findTicket('T'.repeat(32)), null);
          assert.ok(await repos.recovery.lookupSession(recent.id));
        });
      });
    });

    describe('UserTermsRepository', () => {
      it('records accepted terms once per URL', async () => {
        const alice = await addUser('alice');
        const bob = await addUser('bob');
        await storage.transaction(async (repos) => {
          const first = await repos.userTerms.accept(rng, clock, alice, 'https://example.com/tos');
          assert.equal(first.userId, alice.id);
          clock.advance(1000);
          const again = await repos.userTerms.accept(rng, clock, alice, 'https://example.com/tos');
          assert.deepEqual(again, first);
          await repos.userTerms.accept(rng, clock, alice, 'https://example.com/tos-v2');
          await repos.userTerms.accept(rng, clock, bob, 'https://example.com/tos');
          assert.deepEqual(
            (await repos.userTerms.listForUser(alice)).map((x) => x.termsUrl),
            ['https://example.com/tos', 'https://example.com/tos-v2'],
          );
          assert.equal((await repos.userTerms.listForUser(bob)).length, 1);
        });
      });
    });
  });
}
