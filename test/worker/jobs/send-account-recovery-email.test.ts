// `send-account-recovery-email`, run by a real Worker against a real SMTP server: every active
// account holding the address (in any case) gets its own link, whose ticket is stored hashed and
// leads back to that account; locked accounts and unknown addresses get nothing.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { RECOVERY_TICKET_LIFETIME_MS } from '../../../src/model/recovery-session.ts';
import type { User } from '../../../src/model/user.ts';
import { SeededRng } from '../../../src/rng.ts';
import {
  enqueueAccountRecoveryEmail,
  SEND_ACCOUNT_RECOVERY_EMAIL_QUEUE,
} from '../../../src/storage/account-jobs.ts';
import {
  generateRecoveryTicket,
  recoveryLink,
} from '../../../src/worker/jobs/send-account-recovery-email.ts';
import { PUBLIC_BASE, startMailJobFixture, type MailJobFixture } from './mail-job-fixture.ts';

describe('send-account-recovery-email', () => {
  let f: MailJobFixture;
  beforeEach(async () => {
    f = await startMailJobFixture('recovery');
  });
  afterEach(() => f.close());

  async function addUserWithEmail(username: string, email: string): Promise<User> {
    return f.t.storage.transaction(async (repos) => {
      const user = (await repos.users.add(f.rng, f.clock, username))!;
      await repos.userEmails.add(f.rng, f.clock, user, email);
      return user;
    });
  }

  function requestRecovery(email: string) {
    return f.t.storage.transaction(async (repos) => {
      const session = await repos.recovery.addSession(f.rng, f.clock, { email, locale: 'en' });
      const job = await enqueueAccountRecoveryEmail(repos.queue, f.rng, f.clock, session);
      return { session, job };
    });
  }

  it('draws 32-character alphanumeric tickets and builds links under the public base', () => {
    const rng = new SeededRng('tickets');
    for (let i = 0; i < 100; i++) assert.match(generateRecoveryTicket(rng), /^[A-Za-z0-9]{32}$/);
    assert.equal(
      recoveryLink('https://auth.example.com/prefix', 'T'.repeat(32)),
      `https://auth.example.com/prefix/account/password/recovery?ticket=${'T'.repeat(32)}`,
    );
  });

  it(
    'mails each active account holding the address its own working link',
    { timeout: 20_000 },
    async () => {
      const alice = await addUserWithEmail('alice', 'shared@example.com');
      const bob = await addUserWithEmail('bob', 'Shared@Example.com');
      const carol = await addUserWithEmail('carol', 'shared@example.com');
      await f.t.storage.transaction((r) => r.users.lock(f.clock, carol));

      const { session, job } = await requestRecovery('SHARED@example.com');
      assert.equal(job.queueName, SEND_ACCOUNT_RECOVERY_EMAIL_QUEUE);
      await f.waitForJob(job.id, 'completed');
      assert.equal(f.sink.messages.length, 2);

      const byUser = new Map<string, string>();
      for (const message of f.sink.messages) {
        const link = /^(https:\/\/\S+)$/m.exec(message.text)?.[1];
        assert.ok(link, message.text);
        assert.ok(link.startsWith(`${PUBLIC_BASE}account/password/recovery?ticket=`), link);
        const ticket = new URL(link).searchParams.get('ticket')!;
        assert.match(ticket, /^[A-Za-z0-9]{32}$/);
        const stored = await f.t.storage.transaction((r) => r.recovery.findTicket(ticket));
        assert.ok(stored);
        assert.equal(stored.sessionId, session.id);
        assert.equal(
          stored.expiresAt.getTime() - stored.createdAt.getTime(),
          RECOVERY_TICKET_LIFETIME_MS,
        );
        const username = /^Hello (\w+),$/m.exec(message.text)?.[1];
        assert.ok(username);
        byUser.set(username, stored.userId);
        assert.match(message.subject, /^Reset your Example password$/);
        assert.ok(
          message.html.includes(
            'href="https://auth.example.com/prefix/account/password/recovery?ticket=',
          ),
        );
      }
      assert.deepEqual(Object.fromEntries(byUser), { alice: alice.id, bob: bob.id });
      // Each went to the address as that account stored it (nodemailer lower-cases the domain).
      assert.deepEqual(
        f.sink.messages.map((m) => m.headers.get('to')?.split('@')[0]).sort(),
        ['Shared', 'shared'].sort(),
      );
    },
  );

  it(
    'sends nothing for an address no account holds, or a used session',
    { timeout: 20_000 },
    async () => {
      await addUserWithEmail('dave', 'dave@example.com');
      const unknown = await requestRecovery('nobody@example.com');
      await f.waitForJob(unknown.job.id, 'completed');

      await f.worker.kill();
      const used = await requestRecovery('dave@example.com');
      await f.t.storage.transaction((r) => r.recovery.consumeSession(f.clock, used.session));
      await f.startNewWorker();
      await f.waitForJob(used.job.id, 'completed');
      assert.equal(f.sink.messages.length, 0);
    },
  );
});
