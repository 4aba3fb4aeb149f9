// QueueRepository on SQLite and PostgreSQL: enqueue and claim, completion and retries with
// back-off, workers and lost jobs, the leader lease, promotion, schedule slots, cleanup.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { MAX_JOB_ATTEMPTS, type QueueJob, type QueueWorkerId } from '../../src/model/queue-job.ts';
import { SeededRng } from '../../src/rng.ts';
import type { Repositories } from '../../src/storage/storage.ts';
import { dialects, openStorage, openTestStorage, type TestStorage } from '../helpers/storage.ts';

for (const dialect of dialects) {
  describe(`QueueRepository (${dialect})`, () => {
    let t: TestStorage;
    let clock: MockClock;
    let rng: SeededRng;
    const tx = <T>(work: (repos: Repositories) => Promise<T>): Promise<T> =>
      t.storage.transaction(work);
    const register = () => tx((r) => r.queue.registerWorker(rng, clock));

    beforeEach(async () => {
      t = await openTestStorage(dialect);
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('queue');
    });
    afterEach(() => t.cleanup());

    it('enqueues available and scheduled jobs and reads them back', async () => {
      const now = await tx((r) =>
        r.queue.enqueue(rng, clock, 'q', { n: [1, 2] }, { metadata: { trace: 'x' } }),
      );
      const later = await tx((r) =>
        r.queue.enqueue(
          rng,
          clock,
          'q',
          { s: 'text' },
          { scheduledAt: new Date(clock.now().getTime() + 1000) },
        ),
      );
      const past = await tx((r) =>
        r.queue.enqueue(
          rng,
          clock,
          'q',
          {},
          { scheduledAt: new Date(clock.now().getTime() - 1000) },
        ),
      );
      assert.equal(now.status, 'available');
      assert.equal(later.status, 'scheduled');
      assert.equal(past.status, 'available');
      const read = await tx((r) => r.queue.lookup(now.id));
      assert.deepEqual(read, now);
      assert.deepEqual(read?.payload, { n: [1, 2] });
      assert.deepEqual(read?.metadata, { trace: 'x' });
      assert.equal(read?.attempt, 0);
      assert.deepEqual((await tx((r) => r.queue.lookup(later.id)))?.payload, { s: 'text' });
    });

    it('claims the oldest available jobs of the named queues, each once', async () => {
      const worker = await register();
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push((await tx((r) => r.queue.enqueue(rng, clock, 'a', { i }))).id);
        clock.advance(1000);
      }
      await tx((r) => r.queue.enqueue(rng, clock, 'other', {}));
      await tx((r) =>
        r.queue.enqueue(
          rng,
          clock,
          'a',
          {},
          { scheduledAt: new Date(clock.now().getTime() + 60_000) },
        ),
      );

      const first = await tx((r) => r.queue.claim(clock, worker.id, ['a'], 3));
      assert.deepEqual(
        first.map((j) => j.id),
        ids.slice(0, 3),
      );
      for (const job of first) {
        assert.equal(job.status, 'running');
        assert.equal(job.startedBy, worker.id);
        assert.deepEqual(job.startedAt, clock.now());
      }
      const second = await tx((r) => r.queue.claim(clock, worker.id, ['a'], 3));
      assert.deepEqual(
        second.map((j) => j.id),
        ids.slice(3),
      );
      assert.deepEqual(await tx((r) => r.queue.claim(clock, worker.id, ['a'], 3)), []);
      assert.deepEqual(await tx((r) => r.queue.claim(clock, worker.id, [], 3)), []);
    });

    // On SQLite, connections of one process cannot wait for each other (node:sqlite blocks the
    // event loop while it waits for the lock): concurrent SQLite claimers are separate processes,
    // see test/worker/worker-processes.test.ts. So this test exists for PostgreSQL only.
    const postgresOnly = dialect === 'postgres' ? it : () => {};
    postgresOnly('never hands the same job to concurrent claimers', async () => {
      // Separate storages: separate connections.
      const others = Array.from({ length: 4 }, () => openStorage(t.uri));
      try {
        const worker = await register();
        await tx(async (r) => {
          for (let i = 0; i < 60; i++) await r.queue.enqueue(rng, clock, 'a', { i });
        });
        const claimed: QueueJob[] = [];
        await Promise.all(
          others.map(async (storage) => {
            for (;;) {
              const jobs = await storage.transaction((r) =>
                r.queue.claim(clock, worker.id, ['a'], 3),
              );
              if (jobs.length === 0) return;
              claimed.push(...jobs);
            }
          }),
        );
        assert.equal(claimed.length, 60);
        assert.equal(new Set(claimed.map((j) => j.id)).size, 60);
      } finally {
        await Promise.all(others.map((s) => s.close()));
      }
    });

    it('completes a running job once', async () => {
      const worker = await register();
      const job = await tx((r) => r.queue.enqueue(rng, clock, 'a', {}));
      assert.equal(await tx((r) => r.queue.complete(clock, job.id)), false, 'not running yet');
      await tx((r) => r.queue.claim(clock, worker.id, ['a'], 1));
      clock.advance(500);
      assert.equal(await tx((r) => r.queue.complete(clock, job.id)), true);
      assert.equal(await tx((r) => r.queue.complete(clock, job.id)), false);
      const done = await tx((r) => r.queue.lookup(job.id));
      assert.equal(done?.status, 'completed');
      assert.deepEqual(done?.completedAt, clock.now());
    });

    it('retries a failed job with exponential back-off, then gives up after the last attempt', async () => {
      const worker = await register();
      let job = await tx((r) => r.queue.enqueue(rng, clock, 'a', { p: 1 }, { metadata: { m: 2 } }));
      for (let attempt = 0; attempt < MAX_JOB_ATTEMPTS; attempt++) {
        clock.set(job.scheduledAt ?? clock.now());
        assert.equal(await tx((r) => r.queue.promoteDueJobs(clock)), attempt === 0 ? 0 : 1);
        const [claimed] = await tx((r) => r.queue.claim(clock, worker.id, ['a'], 1));
        assert.equal(claimed?.id, job.id);
        assert.equal(claimed.attempt, attempt);
        const outcome = await tx((r) => r.queue.fail(rng, clock, job.id, `boom ${attempt}`));
        assert.equal(outcome.recorded, true);
        const failed = await tx((r) => r.queue.lookup(job.id));
        assert.equal(failed?.status, 'failed');
        assert.equal(failed?.failedReason, `boom ${attempt}`);
        if (attempt === MAX_JOB_ATTEMPTS - 1) {
          assert.equal(outcome.retry, null);
          assert.equal(failed?.nextAttemptId, null);
          break;
        }
        const retry = outcome.retry!;
        assert.equal(failed?.nextAttemptId, retry.id);
        assert.equal(retry.status, 'scheduled');
        assert.equal(retry.attempt, attempt + 1);
        assert.deepEqual(retry.payload, { p: 1 });
        assert.deepEqual(retry.metadata, { m: 2 });
        assert.equal(retry.scheduledAt!.getTime() - clock.now().getTime(), 5000 * 2 ** attempt);
        // Not claimable before its time.
        clock.advance(5000 * 2 ** attempt - 1);
        assert.equal(await tx((r) => r.queue.promoteDueJobs(clock)), 0);
        assert.deepEqual(await tx((r) => r.queue.claim(clock, worker.id, ['a'], 1)), []);
        job = retry;
      }
      assert.equal(
        await tx((r) => r.queue.fail(rng, clock, job.id, 'again')).then((o) => o.recorded),
        false,
      );
    });

    it('declares silent workers dead and retries their running jobs as new attempts', async () => {
      const alive = await register();
      const silent = await register();
      const job = await tx((r) => r.queue.enqueue(rng, clock, 'a', { x: 1 }));
      await tx((r) => r.queue.claim(clock, silent.id, ['a'], 1));
      clock.advance(60_000);
      assert.equal(await tx((r) => r.queue.heartbeat(clock, alive.id)), true);
      clock.advance(60_000);

      const dead = await tx((r) =>
        r.queue.shutdownDeadWorkers(rng, clock, new Date(clock.now().getTime() - 90_000)),
      );
      assert.deepEqual(dead, [silent.id]);
      const lost = await tx((r) => r.queue.lookup(job.id));
      assert.equal(lost?.status, 'lost');
      assert.notEqual(lost?.nextAttemptId, null);
      const retry = await tx((r) => r.queue.lookup(lost!.nextAttemptId!));
      assert.equal(retry?.status, 'available');
      assert.equal(retry?.attempt, 1);
      assert.deepEqual(retry?.payload, { x: 1 });

      // The dead worker learns it on its next heartbeat, and cannot complete the lost job.
      assert.equal(await tx((r) => r.queue.heartbeat(clock, silent.id)), false);
      assert.equal(await tx((r) => r.queue.complete(clock, job.id)), false);
      // Declared once only.
      assert.deepEqual(await tx((r) => r.queue.shutdownDeadWorkers(rng, clock, clock.now())), [
        alive.id,
      ]);
    });

    it('marks the jobs of a worker that shuts down lost and retries them', async () => {
      const worker = await register();
      await tx((r) => r.queue.enqueue(rng, clock, 'a', {}));
      await tx((r) => r.queue.enqueue(rng, clock, 'a', {}));
      const [running] = await tx((r) => r.queue.claim(clock, worker.id, ['a'], 1));
      assert.equal(await tx((r) => r.queue.tryAcquireLeadership(clock, worker.id, 5000)), true);
      assert.equal(await tx((r) => r.queue.shutdownWorker(rng, clock, worker.id)), 1);
      assert.equal((await tx((r) => r.queue.lookup(running!.id)))?.status, 'lost');
      assert.equal(await tx((r) => r.queue.heartbeat(clock, worker.id)), false);
      // It gave up the lease: another worker takes it without waiting for expiry.
      const other = await register();
      assert.equal(await tx((r) => r.queue.tryAcquireLeadership(clock, other.id, 5000)), true);
      const available = await tx((r) => r.queue.claim(clock, other.id, ['a'], 5));
      assert.equal(available.length, 2, 'the untouched job and the retry');
    });

    it('holds the leader lease for one worker until it expires', async () => {
      const a = await register();
      const b = await register();
      const lead = (id: QueueWorkerId) => tx((r) => r.queue.tryAcquireLeadership(clock, id, 5000));
      assert.equal(await lead(a.id), true);
      assert.equal(await lead(b.id), false);
      clock.advance(4000);
      assert.equal(await lead(a.id), true, 'renewed');
      clock.advance(4000);
      assert.equal(await lead(b.id), false, 'the renewal moved the expiry');
      clock.advance(1000);
      assert.equal(await lead(b.id), true, 'expired: taken over');
      assert.equal(await lead(a.id), false);
      await tx((r) => r.queue.resignLeadership(a.id));
      assert.equal(await lead(a.id), false, 'resigning a lease one does not hold changes nothing');
      await tx((r) => r.queue.resignLeadership(b.id));
      assert.equal(await lead(a.id), true);
    });

    it('records one job per schedule slot however many callers race for it', async () => {
      const slot = new Date('2026-03-01T10:00:05.000Z');
      const make = (previous: Date | null, at: Date) =>
        tx((r) =>
          r.queue.scheduleRecurring(rng, clock, {
            scheduleName: 's',
            queueName: 'q',
            payload: { k: 1 },
            at,
            previous,
          }),
        );
      const results = await Promise.all([make(null, slot), make(null, slot), make(null, slot)]);
      const made = results.filter((j) => j !== null);
      assert.equal(made.length, 1);
      assert.equal(made[0]!.status, 'scheduled');
      assert.equal(made[0]!.scheduleName, 's');
      assert.deepEqual(made[0]!.scheduledAt, slot);
      const state = await tx((r) => r.queue.scheduleState('s'));
      assert.deepEqual(state, { lastScheduledAt: slot, lastScheduledJobId: made[0]!.id });

      const next = new Date('2026-03-01T10:00:06.000Z');
      assert.equal(await make(null, next), null, 'stale: the schedule has a slot already');
      assert.equal(
        await make(new Date('2026-03-01T10:00:04.000Z'), next),
        null,
        'stale previous slot',
      );
      assert.notEqual(await make(slot, next), null);
      assert.deepEqual((await tx((r) => r.queue.scheduleState('s')))?.lastScheduledAt, next);
      assert.equal(await tx((r) => r.queue.scheduleState('unknown')), null);
    });

    it('promotes scheduled jobs when their time comes', async () => {
      const job = await tx((r) =>
        r.queue.enqueue(
          rng,
          clock,
          'q',
          {},
          { scheduledAt: new Date(clock.now().getTime() + 10_000) },
        ),
      );
      clock.advance(9999);
      assert.equal(await tx((r) => r.queue.promoteDueJobs(clock)), 0);
      clock.advance(1);
      assert.equal(await tx((r) => r.queue.promoteDueJobs(clock)), 1);
      assert.equal((await tx((r) => r.queue.lookup(job.id)))?.status, 'available');
    });

    it('deletes jobs that finished before the cutoff, and only those', async () => {
      const worker = await register();
      const finish = async (outcome: 'complete' | 'fail') => {
        const job = await tx((r) => r.queue.enqueue(rng, clock, `${outcome}`, {}));
        await tx((r) => r.queue.claim(clock, worker.id, [outcome], 1));
        if (outcome === 'complete') await tx((r) => r.queue.complete(clock, job.id));
        else await tx((r) => r.queue.fail(rng, clock, job.id, 'x'));
        return job;
      };
      const oldCompleted = await finish('complete');
      const oldFailed = await finish('fail');
      const oldAvailable = await tx((r) => r.queue.enqueue(rng, clock, 'q', {}));
      clock.advance(60_000);
      const cutoff = clock.now();
      const newCompleted = await finish('complete');

      assert.equal(await tx((r) => r.queue.deleteFinishedBefore(cutoff)), 2);
      assert.equal(await tx((r) => r.queue.lookup(oldCompleted.id)), null);
      assert.equal(await tx((r) => r.queue.lookup(oldFailed.id)), null);
      assert.notEqual(await tx((r) => r.queue.lookup(oldAvailable.id)), null);
      assert.notEqual(await tx((r) => r.queue.lookup(newCompleted.id)), null);
      // The failed job's retry survives, unlinked from nothing it needs.
      const retries = await tx((r) => r.queue.claim(clock, worker.id, ['fail'], 5));
      assert.equal(retries.length, 0, 'the retry is still scheduled');
      assert.equal(await tx((r) => r.queue.deleteFinishedBefore(cutoff)), 0);
    });
  });
}
