// The Worker in-process, on SQLite and PostgreSQL, with a MockClock for the database's time (the
// polling timers are real and short): jobs and their unit of work, retries with back-off, cron
// schedules, leader failover, graceful stop, and PostgreSQL wake-ups.
//
// Workers of one test share one SqlStorage: on SQLite a second in-process connection could not
// wait for the first (node:sqlite blocks the event loop while it waits for the lock).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { MAX_JOB_ATTEMPTS, type QueueJob } from '../../src/model/queue-job.ts';
import { SeededRng } from '../../src/rng.ts';
import { postgresWakeUps } from '../../src/worker/notifications.ts';
import type { JobRegistry, ScheduleDefinition } from '../../src/worker/queue.ts';
import { Worker, type WorkerOptions } from '../../src/worker/worker.ts';
import { dialects, openTestStorage, type TestStorage } from '../helpers/storage.ts';
import { eventually } from './worker-processes.ts';

const SECOND = 1000;
/** Far longer than any clock jump below, so no worker is declared dead by a jump alone. */
const NEVER_DEAD = { workerTimeoutMs: 365 * 24 * 3600 * SECOND };

/**
 * Moves the clock in steps with real pauses between them, as time passes for real: every worker
 * gets to heartbeat along the way (a single jump past the worker timeout would make the leader
 * declare everyone dead, itself included, before they could heartbeat).
 */
async function advanceInSteps(clock: MockClock, totalMs: number, stepMs: number): Promise<void> {
  for (let done = 0; done < totalMs; done += stepMs) {
    clock.advance(Math.min(stepMs, totalMs - done));
    await new Promise((resolve) => setTimeout(resolve, 80));
  }
}

for (const dialect of dialects) {
  describe(`Worker (${dialect})`, () => {
    let t: TestStorage;
    let clock: MockClock;
    let rng: SeededRng;
    let workers: Worker[];

    beforeEach(async () => {
      t = await openTestStorage(dialect);
      clock = new MockClock('2026-03-01T10:00:03.000Z');
      rng = new SeededRng(`worker-${dialect}`);
      workers = [];
    });
    afterEach(async () => {
      await Promise.all(workers.map((w) => w.kill()));
      await t.cleanup();
    });

    async function startWorker(
      jobs: JobRegistry,
      options: Partial<WorkerOptions> = {},
    ): Promise<Worker> {
      const worker = new Worker({
        storage: t.storage,
        clock,
        rng,
        jobs,
        pollIntervalMs: 20,
        shutdownTimeoutMs: 2000,
        ...options,
      });
      workers.push(worker);
      await worker.start();
      return worker;
    }

    const lookup = (id: QueueJob['id']) => t.storage.transaction((r) => r.queue.lookup(id));
    const enqueue = (
      queueName: string,
      payload: Record<string, unknown> = {},
      scheduledAt?: Date,
    ) =>
      t.storage.transaction((r) =>
        r.queue.enqueue(rng, clock, queueName, payload, scheduledAt ? { scheduledAt } : {}),
      );
    const jobsOf = (queueName: string) =>
      t.storage.connection.db
        .selectFrom('queue_jobs')
        .selectAll()
        .where('queue_name', '=', queueName)
        .orderBy('created_at')
        .orderBy('id')
        .execute();

    it(
      "commits a job's changes with its completion, and rolls them back when it fails",
      { timeout: 30_000 },
      async () => {
        let calls = 0;
        await startWorker({
          parent: async (payload, ctx) => {
            calls++;
            await ctx.repos.queue.enqueue(ctx.rng, ctx.clock, 'child', { from: payload.n });
            if (ctx.job.attempt === 0) throw new Error('first attempt fails');
          },
        });
        const job = await enqueue('parent', { n: 7 });
        const failed = await eventually('the first attempt to fail', 10_000, async () => {
          const j = await lookup(job.id);
          return j?.status === 'failed' ? j : undefined;
        });
        assert.equal(failed.failedReason, 'first attempt fails');
        assert.deepEqual(await jobsOf('child'), [], 'the failed attempt left nothing behind');

        clock.advance(5 * SECOND);
        const retry = await eventually('the retry to complete', 10_000, async () => {
          const j = await lookup(failed.nextAttemptId!);
          return j?.status === 'completed' ? j : undefined;
        });
        assert.equal(retry.attempt, 1);
        const children = await jobsOf('child');
        assert.equal(children.length, 1);
        assert.equal(calls, 2);
      },
    );

    it(
      'runs an external job outside any transaction: it opens its own, and is completed afterwards',
      { timeout: 30_000 },
      async () => {
        let gate: () => void = () => {};
        const released = new Promise<void>((resolve) => (gate = resolve));
        await startWorker({
          external: {
            external: true,
            async run(payload, ctx) {
              // Were this inside the job's transaction, SQLite's single connection would deadlock here.
              await ctx.storage.transaction((r) =>
                r.queue.enqueue(ctx.rng, ctx.clock, 'child', { from: payload.n }),
              );
              await released; // "the outside call"
            },
          },
        });
        const job = await enqueue('external', { n: 3 });
        await eventually('the child to be written while the job runs', 10_000, async () =>
          (await jobsOf('child')).length === 1 ? true : undefined,
        );
        // Meanwhile the database is free for other work (a request, say).
        assert.equal((await lookup(job.id))?.status, 'running');
        gate();
        await eventually('the job to complete', 10_000, async () =>
          (await lookup(job.id))?.status === 'completed' ? true : undefined,
        );
      },
    );

    it(
      'retries with exponential back-off up to 10 attempts, then gives up',
      { timeout: 45_000 },
      async () => {
        let calls = 0;
        await startWorker(
          {
            flaky: async () => {
              calls++;
              throw new Error(`failure ${calls}`);
            },
          },
          NEVER_DEAD,
        );
        let job = await enqueue('flaky', { x: 1 });
        for (let attempt = 0; attempt < MAX_JOB_ATTEMPTS; attempt++) {
          const failed = await eventually(`attempt ${attempt} to fail`, 10_000, async () => {
            const j = await lookup(job.id);
            return j?.status === 'failed' ? j : undefined;
          });
          assert.equal(failed.attempt, attempt);
          if (attempt === MAX_JOB_ATTEMPTS - 1) {
            assert.equal(failed.nextAttemptId, null, 'no attempt after the tenth');
            break;
          }
          const retry = (await lookup(failed.nextAttemptId!))!;
          assert.equal(retry.status, 'scheduled');
          assert.equal(
            retry.scheduledAt!.getTime() - failed.failedAt!.getTime(),
            5 * SECOND * 2 ** attempt,
          );
          // Not a moment early: a millisecond before, it is still waiting.
          clock.set(new Date(retry.scheduledAt!.getTime() - 1));
          await new Promise((resolve) => setTimeout(resolve, 100));
          assert.equal((await lookup(retry.id))?.status, 'scheduled');
          clock.set(retry.scheduledAt!);
          job = retry;
        }
        assert.equal(calls, MAX_JOB_ATTEMPTS);
        const all = await jobsOf('flaky');
        assert.equal(all.length, MAX_JOB_ATTEMPTS);
        assert.ok(all.every((j) => j.status === 'failed'));
      },
    );

    it(
      'runs a cron schedule once per slot and does not replay missed slots',
      { timeout: 30_000 },
      async () => {
        const slots: string[] = [];
        const schedules: ScheduleDefinition[] = [{ cron: '*/10 * * * * *', queueName: 'tick' }];
        await startWorker(
          { tick: async (_p, ctx) => void slots.push(ctx.job.scheduledAt!.toISOString()) },
          { schedules, ...NEVER_DEAD },
        );
        const first = await eventually('the first slot to be scheduled', 10_000, async () => {
          const jobs = await jobsOf('tick');
          return jobs.length === 1 ? jobs[0] : undefined;
        });
        assert.equal(new Date(first.scheduled_at!).toISOString(), '2026-03-01T10:00:10.000Z');
        assert.equal(first.status, 'scheduled');

        clock.set('2026-03-01T10:00:10.000Z');
        await eventually('the slot to run', 10_000, async () =>
          slots.length === 1 ? true : undefined,
        );
        await eventually('the next slot to be scheduled', 10_000, async () =>
          (await jobsOf('tick')).some(
            (j) => new Date(j.scheduled_at!).toISOString() === '2026-03-01T10:00:20.000Z',
          )
            ? true
            : undefined,
        );

        // An hour passes (the worker was down): the overdue slot runs once, then the schedule resumes.
        clock.set('2026-03-01T11:00:05.000Z');
        await eventually('the overdue slot to run', 10_000, async () =>
          slots.length === 2 ? true : undefined,
        );
        await eventually('the next slot after now', 10_000, async () =>
          (await jobsOf('tick')).some(
            (j) => new Date(j.scheduled_at!).toISOString() === '2026-03-01T11:00:10.000Z',
          )
            ? true
            : undefined,
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual(slots, ['2026-03-01T10:00:10.000Z', '2026-03-01T10:00:20.000Z']);
        assert.equal((await jobsOf('tick')).length, 3);
      },
    );

    it(
      'fails over to another worker when the leader stops renewing its lease',
      { timeout: 30_000 },
      async () => {
        const ran: string[] = [];
        const jobs: JobRegistry = {
          promoted: async (_p, ctx) => void ran.push(ctx.job.startedBy!),
        };
        const options = {
          leaderLeaseMs: 5 * SECOND,
          workerTimeoutMs: 30 * SECOND,
          heartbeatIntervalMs: 5 * SECOND,
        };
        const a = await startWorker(jobs, options);
        await eventually('A to lead', 10_000, async () => (a.isLeader ? true : undefined));
        const b = await startWorker(jobs, options);
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(b.isLeader, false, 'one leader at a time');

        await a.kill();
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(b.isLeader, false, 'the lease has not expired yet');
        clock.advance(5 * SECOND);
        await eventually('B to take over', 10_000, async () => (b.isLeader ? true : undefined));

        // B does the leader's duties: promotes scheduled jobs...
        const job = await enqueue('promoted', {}, new Date(clock.now().getTime() + SECOND));
        clock.advance(SECOND);
        await eventually('the promoted job to run', 10_000, async () =>
          (await lookup(job.id))?.status === 'completed' ? true : undefined,
        );
        assert.deepEqual(ran, [b.id]);
        // ...and declares the silent A dead once it has not been seen for the worker timeout.
        await advanceInSteps(clock, 31 * SECOND, 2 * SECOND);
        await eventually('A to be declared dead', 10_000, async () => {
          const row = await t.storage.connection.db
            .selectFrom('queue_workers')
            .selectAll()
            .where('id', '=', a.id!)
            .executeTakeFirst();
          return row?.shutdown_at !== null ? true : undefined;
        });
        const bRow = await t.storage.connection.db
          .selectFrom('queue_workers')
          .selectAll()
          .where('id', '=', b.id!)
          .executeTakeFirst();
        assert.equal(bRow?.shutdown_at, null, 'B kept itself alive');
      },
    );

    it(
      'stops gracefully: finishes the running job, then records the shutdown',
      { timeout: 30_000 },
      async () => {
        let release: () => void = () => {};
        const gate = new Promise<void>((resolve) => (release = resolve));
        let started = false;
        const worker = await startWorker({
          slow: async () => {
            started = true;
            await gate;
          },
        });
        const job = await enqueue('slow');
        await eventually('the job to start', 10_000, async () => (started ? true : undefined));
        const stopping = worker.stop();
        setTimeout(release, 100);
        await stopping;
        // On SQLite the job's transaction holds the connection, so look only after stop().
        assert.equal((await lookup(job.id))?.status, 'completed');
        const row = await t.storage.connection.db
          .selectFrom('queue_workers')
          .selectAll()
          .where('id', '=', worker.id!)
          .executeTakeFirst();
        assert.notEqual(row?.shutdown_at, null);
        assert.deepEqual(
          await t.storage.connection.db.selectFrom('queue_leader').selectAll().execute(),
          [],
          'it gave up the lease',
        );
      },
    );

    it(
      'gives up on a job that outlives the shutdown timeout and leaves it to another worker',
      { timeout: 30_000 },
      async () => {
        let aborted = false;
        const worker = await startWorker(
          {
            stuck: async (_p, ctx) => {
              await new Promise<void>((resolve) =>
                ctx.signal.addEventListener('abort', () => resolve()),
              );
              aborted = true;
              throw new Error('aborted');
            },
          },
          { shutdownTimeoutMs: 200 },
        );
        const job = await enqueue('stuck');
        await eventually('the job to start', 10_000, async () =>
          worker.runningJobs === 1 ? true : undefined,
        );
        await worker.stop();
        assert.equal(aborted, true);
        const after = await eventually('the job to be finished', 10_000, async () => {
          const j = await lookup(job.id);
          return j !== null && j.status !== 'running' && j.nextAttemptId !== null ? j : undefined;
        });
        assert.ok(['lost', 'failed'].includes(after.status));
        const retry = await lookup(after.nextAttemptId!);
        assert.equal(retry?.attempt, 1);
      },
    );
  });
}

describe('Worker (postgres only)', () => {
  let t: TestStorage;
  let workers: Worker[] = [];
  const clock = new MockClock('2026-03-01T10:00:00.000Z');
  const rng = new SeededRng('worker-pg');

  beforeEach(async () => {
    t = await openTestStorage('postgres');
    workers = [];
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await t.cleanup();
  });

  it(
    'wakes on NOTIFY when a job is enqueued, without waiting for its next poll',
    { timeout: 30_000 },
    async () => {
      let ran = 0;
      const worker = new Worker({
        storage: t.storage,
        clock,
        rng,
        jobs: { ping: async () => void ran++ },
        // Far longer than the test: only a notification can make it claim the job in time.
        pollIntervalMs: 120_000,
        wakeUps: postgresWakeUps(t.storage.connection.pool!, () => {}),
      });
      workers.push(worker);
      await worker.start();
      // Let the first poll pass.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const job = await t.storage.transaction((r) => r.queue.enqueue(rng, clock, 'ping', {}));
      await eventually('the job to run', 10_000, async () =>
        (await t.storage.transaction((r) => r.queue.lookup(job.id)))?.status === 'completed'
          ? true
          : undefined,
      );
      assert.equal(ran, 1);
    },
  );

  it(
    'rolls back a job that completes after its worker was declared dead',
    { timeout: 30_000 },
    async () => {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const effects: string[] = [];
      const jobs: JobRegistry = {
        once: async (_p, ctx) => {
          if (ctx.job.attempt === 0) await gate;
          await ctx.repos.queue.enqueue(ctx.rng, ctx.clock, 'effect', { by: ctx.job.startedBy });
          effects.push(ctx.job.startedBy!);
        },
      };
      const options = {
        pollIntervalMs: 20,
        leaderLeaseMs: 5000,
        workerTimeoutMs: 30_000,
        heartbeatIntervalMs: 5000,
      };
      const a = new Worker({ storage: t.storage, clock, rng, jobs, ...options });
      workers.push(a);
      await a.start();
      const job = await t.storage.transaction((r) => r.queue.enqueue(rng, clock, 'once', {}));
      await eventually('A to run the job', 10_000, async () =>
        a.runningJobs === 1 ? true : undefined,
      );
      await a.kill();
      const b = new Worker({ storage: t.storage, clock, rng, jobs, ...options });
      workers.push(b);
      await b.start();
      await advanceInSteps(clock, 31_000, 2000);
      await eventually('the retry to complete on B', 10_000, async () => {
        const lost = await t.storage.transaction((r) => r.queue.lookup(job.id));
        if (lost?.status !== 'lost' || lost.nextAttemptId === null) return undefined;
        const retry = await t.storage.transaction((r) => r.queue.lookup(lost.nextAttemptId!));
        return retry?.status === 'completed' ? true : undefined;
      });
      release();
      await eventually("A's late run to finish", 10_000, async () =>
        a.runningJobs === 0 ? true : undefined,
      );
      const effectJobs = await t.storage.connection.db
        .selectFrom('queue_jobs')
        .selectAll()
        .where('queue_name', '=', 'effect')
        .execute();
      assert.equal(effectJobs.length, 1, "A's late changes were rolled back");
      assert.deepEqual(effects.sort(), [a.id, b.id].sort(), 'both ran the handler');
      assert.equal((await t.storage.transaction((r) => r.queue.lookup(job.id)))?.status, 'lost');
    },
  );
});
