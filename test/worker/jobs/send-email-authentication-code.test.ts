// `send-email-authentication-code`, run by a real Worker against a real SMTP server: the code it
// mails is the one stored; a mail server that is down makes the job retry with back-off while the
// registration stays; nothing is sent for a completed authentication or an expired registration.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { EmailAuthentication } from '../../../src/model/email-authentication.ts';
import { REGISTRATION_LIFETIME_MS } from '../../../src/model/user-registration.ts';
import { SEND_EMAIL_AUTHENTICATION_CODE_QUEUE } from '../../../src/storage/account-jobs.ts';
import { SeededRng } from '../../../src/rng.ts';
import { loadTemplates } from '../../../src/templates/templates.ts';
import { jobRegistry } from '../../../src/worker/jobs/index.ts';
import { generateEmailCode } from '../../../src/worker/jobs/send-email-authentication-code.ts';
import { Worker } from '../../../src/worker/worker.ts';
import {
  startMailJobFixture,
  startRegistration as startAndQueue,
  type MailJobFixture,
} from './mail-job-fixture.ts';

describe('send-email-authentication-code', () => {
  let f: MailJobFixture;
  beforeEach(async () => {
    f = await startMailJobFixture('email-code');
  });
  afterEach(() => f.close());

  const startRegistration = (email: string) => startAndQueue(f, email);

  async function codeIsValid(auth: EmailAuthentication, code: string): Promise<boolean> {
    return f.t.storage.transaction(
      async (repos) =>
        (await repos.emailAuthentications.findValidCode(f.clock, auth, code)) !== null,
    );
  }

  it('draws codes of six digits', () => {
    const rng = new SeededRng('codes');
    for (let i = 0; i < 200; i++) assert.match(generateEmailCode(rng), /^[0-9]{6}$/);
  });

  it('mails the stored code to the address', { timeout: 20_000 }, async () => {
    const { auth, job } = await startRegistration('Alice@Example.com');
    assert.equal(job.queueName, SEND_EMAIL_AUTHENTICATION_CODE_QUEUE);
    const message = await f.sink.waitForMessage((m) =>
      m.to.some((to) => to.toLowerCase() === 'alice@example.com'),
    );
    const code = /is (\d{6})$/.exec(message.subject)?.[1];
    assert.ok(code, message.subject);
    assert.match(message.text, new RegExp(`^ {4}${code}$`, 'm'));
    assert.match(message.html, new RegExp(`>${code}<`));
    assert.match(message.text, /Hello alice,/);
    assert.ok(await codeIsValid(auth, code));
    await f.waitForJob(job.id, 'completed');
  });

  it(
    'retries while the mail server is down and delivers once it is back, keeping the registration',
    { timeout: 30_000 },
    async () => {
      await f.sink.close();
      const { registration, auth, job } = await startRegistration('bob@example.com');
      const failed = await f.waitForJob(job.id, 'failed');
      assert.ok(failed.nextAttemptId, 'a retry is scheduled');
      const retry = await f.t.storage.transaction((r) => r.queue.lookup(failed.nextAttemptId!));
      assert.equal(retry?.status, 'scheduled');

      // The registration and its authentication are untouched by the failure.
      const kept = await f.t.storage.transaction((r) =>
        r.userRegistrations.lookup(registration.id),
      );
      assert.equal(kept?.emailAuthenticationId, auth.id);

      const sink = await f.restartSink();
      f.clock.advance(60_000); // past the first back-off (5 s)
      const message = await sink.waitForMessage((m) => m.to.includes('bob@example.com'), 15_000);
      const code = /is (\d{6})$/.exec(message.subject)?.[1];
      assert.ok(code);
      assert.ok(await codeIsValid(auth, code));
      await f.waitForJob(failed.nextAttemptId!, 'completed');
    },
  );

  it(
    'sends nothing for a completed authentication or an expired registration',
    { timeout: 20_000 },
    async () => {
      // Stop the worker first, so both jobs wait until the state below is in place.
      await f.worker.kill();
      const completed = await startRegistration('done@example.com');
      await f.t.storage.transaction(async (repos) => {
        const code = await repos.emailAuthentications.addCode(
          f.rng,
          f.clock,
          completed.auth,
          '000000',
        );
        await repos.emailAuthentications.complete(f.clock, completed.auth, code);
      });
      const expired = await startRegistration('late@example.com');
      f.clock.advance(REGISTRATION_LIFETIME_MS);
      const worker = new Worker({
        storage: f.t.storage,
        clock: f.clock,
        rng: f.rng,
        jobs: jobRegistry,
        services: { mailer: f.mailer, templates: loadTemplates({ branding: {} }) },
        pollIntervalMs: 20,
      });
      f.worker = worker;
      await worker.start();
      await f.waitForJob(completed.job.id, 'completed');
      await f.waitForJob(expired.job.id, 'completed');
      assert.equal(f.sink.messages.length, 0);
    },
  );

  it('fails (and retries) when the worker has no mailer', { timeout: 20_000 }, async () => {
    await f.worker.kill();
    const { job } = await startRegistration('x@example.com');
    const worker = new Worker({
      storage: f.t.storage,
      clock: f.clock,
      rng: f.rng,
      jobs: jobRegistry,
      pollIntervalMs: 20,
    });
    f.worker = worker;
    await worker.start();
    const failed = await f.waitForJob(job.id, 'failed');
    assert.match(failed.failedReason ?? '', /without the mailer service/);
    assert.ok(failed.nextAttemptId, 'a retry is scheduled');
    assert.equal(f.sink.messages.length, 0);
  });
});
