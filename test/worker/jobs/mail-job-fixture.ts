// What the mail job tests share: a SQLite storage, an SMTP sink, and a real `Worker` running
// every job with a mailer pointed at the sink. (The jobs' SQL is the repositories', which the
// conformance suite runs on both dialects; one dialect keeps these tests fast.)

import { MockClock } from '../../../src/clock.ts';
import { emailSchema } from '../../../src/config/sections/email.ts';
import { createMailer, type Mailer } from '../../../src/email/index.ts';
import type { QueueJob, QueueJobId } from '../../../src/model/queue-job.ts';
import { enqueueEmailAuthenticationCode } from '../../../src/storage/account-jobs.ts';
import { SeededRng } from '../../../src/rng.ts';
import { loadTemplates } from '../../../src/templates/templates.ts';
import { jobRegistry } from '../../../src/worker/jobs/index.ts';
import { Worker } from '../../../src/worker/worker.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import { openTestStorage, type TestStorage } from '../../helpers/storage.ts';
import { eventually } from '../worker-processes.ts';

export const PUBLIC_BASE = 'https://auth.example.com/prefix/';

export interface MailJobFixture {
  t: TestStorage;
  clock: MockClock;
  rng: SeededRng;
  sink: SmtpSink;
  mailer: Mailer;
  /** The running worker; a test that replaces it sets this, so `close` stops the new one. */
  worker: Worker;
  /** Starts a new worker like the first (after `worker.kill()`). */
  startNewWorker(): Promise<void>;
  /** Restarts the sink on the same port (after `sink.close()`). */
  restartSink(): Promise<SmtpSink>;
  /** Resolves with the job once it reaches `status`. */
  waitForJob(id: QueueJobId, status: QueueJob['status']): Promise<QueueJob>;
  close(): Promise<void>;
}

/** `translationsPath`: the worker's `templates.translations_path` (other languages). */
export async function startMailJobFixture(
  seed: string,
  options: { translationsPath?: string } = {},
): Promise<MailJobFixture> {
  const t = await openTestStorage('sqlite');
  const clock = new MockClock('2026-03-01T10:00:00.000Z');
  const rng = new SeededRng(seed);
  let sink = await startSmtpSink();
  const port = sink.port;
  const mailer = createMailer(
    emailSchema.parse({
      transport: 'smtp',
      mode: 'plain',
      hostname: '127.0.0.1',
      port,
      from: 'auth@example.org',
    }),
    { smtpTimeoutMs: 3000 },
  );
  const templates = loadTemplates({
    branding: { service_name: 'Example' },
    translationsPath: options.translationsPath,
  });
  const newWorker = () =>
    new Worker({
      storage: t.storage,
      clock,
      rng,
      jobs: jobRegistry,
      services: { mailer, templates, publicBase: PUBLIC_BASE },
      pollIntervalMs: 20,
    });
  const worker = newWorker();
  await worker.start();
  const fixture: MailJobFixture = {
    t,
    clock,
    rng,
    sink,
    mailer,
    worker,
    async startNewWorker() {
      fixture.worker = newWorker();
      await fixture.worker.start();
    },
    async restartSink() {
      sink = await startSmtpSink({ port });
      fixture.sink = sink;
      return sink;
    },
    waitForJob: (id, status) =>
      eventually(`job ${id} to be ${status}`, 10_000, async () => {
        const job = await t.storage.transaction((r) => r.queue.lookup(id));
        return job?.status === status ? job : undefined;
      }),
    async close() {
      await fixture.worker.kill();
      mailer.close();
      await sink.close();
      await t.cleanup();
    },
  };
  return fixture;
}

/**
 * A registration of alice with an email authentication for `email`, and the job that mails its
 * code, queued with `locale` — as the registration page does.
 */
export function startRegistration(f: MailJobFixture, email: string, locale = 'en') {
  return f.t.storage.transaction(async (repos) => {
    const registration = await repos.userRegistrations.add(f.rng, f.clock, { username: 'alice' });
    const auth = await repos.emailAuthentications.addForRegistration(
      f.rng,
      f.clock,
      registration,
      email,
    );
    await repos.userRegistrations.setEmailAuthentication(registration, auth);
    const job = await enqueueEmailAuthenticationCode(repos.queue, f.rng, f.clock, auth, locale);
    return { registration, auth, job };
  });
}
