// Several worker PROCESSES on one database (test/fixtures/worker-process.ts): jobs run exactly
// once, a job of a killed worker runs again elsewhere, and a cron slot fires once across workers.

import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { systemClock } from '../../src/clock.ts';
import { SeededRng } from '../../src/rng.ts';
import type { SqlStorage } from '../../src/storage/sql/sql-storage.ts';
import { openTestStorage, type TestDialect, type TestStorage } from '../helpers/storage.ts';
import {
  eventually,
  killAllWorkerProcesses,
  startWorkerProcess,
  type WorkerProcess,
} from './worker-processes.ts';

interface RunRow {
  key: string;
  job_id: string;
  worker_id: string;
  attempt: number;
  slot: string | null;
}

async function prepare(dialect: TestDialect, uniqueKeys: boolean): Promise<TestStorage> {
  const t = await openTestStorage(dialect);
  const db = t.storage.connection.db;
  await sql`create table test_job_runs (
    key text not null, job_id text not null, worker_id text, attempt integer not null, slot text)`.execute(
    db,
  );
  if (uniqueKeys)
    await sql`create unique index test_job_runs_key on test_job_runs (key)`.execute(db);
  return t;
}

async function runs(storage: SqlStorage): Promise<RunRow[]> {
  const result =
    await sql<RunRow>`select key, job_id, worker_id, attempt, slot from test_job_runs`.execute(
      storage.connection.db,
    );
  return result.rows;
}

async function jobStatuses(
  storage: SqlStorage,
  queueName: string,
): Promise<Record<string, number>> {
  const rows = await storage.connection.db
    .selectFrom('queue_jobs')
    .select(['status', (eb) => eb.fn.countAll<string | number>().as('n')])
    .where('queue_name', '=', queueName)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

const rng = new SeededRng('worker-processes');
const clock = systemClock;

describe('worker processes', () => {
  let t: TestStorage | null = null;
  let workers: WorkerProcess[] = [];

  afterEach(async () => {
    await killAllWorkerProcesses();
    workers = [];
    await t?.cleanup();
    t = null;
  });
  after(() => killAllWorkerProcesses());

  async function drain(dialect: TestDialect, processes: number, jobs: number): Promise<void> {
    t = await prepare(dialect, true);
    const storage = t.storage;
    workers = await Promise.all(
      Array.from({ length: processes }, () => startWorkerProcess(t!.uri, { pollIntervalMs: 200 })),
    );
    await storage.transaction(async (repos) => {
      for (let i = 0; i < jobs; i++)
        await repos.queue.enqueue(rng, clock, 'record', { key: `job-${i}` });
    });

    await eventually('every job to complete', 45_000, async () =>
      (await jobStatuses(storage, 'record')).completed === jobs ? true : undefined,
    );
    const rows = await runs(storage);
    assert.equal(rows.length, jobs, 'one run recorded per job');
    assert.equal(new Set(rows.map((r) => r.key)).size, jobs);
    // No retries: a job run twice would have hit the unique key, failed and been retried.
    assert.deepEqual(await jobStatuses(storage, 'record'), { completed: jobs });
    assert.ok(rows.every((r) => r.attempt === 0));
    const byWorker = new Set(rows.map((r) => r.worker_id));
    if (dialect === 'postgres')
      assert.ok(byWorker.size >= 2, `the work was shared (workers used: ${byWorker.size})`);
    for (const id of byWorker) assert.ok(workers.some((w) => w.id === id));

    const codes = await Promise.all(workers.map((w) => w.stop()));
    assert.deepEqual(
      codes,
      workers.map(() => 0),
      'graceful stop',
    );
    const shutDown = await storage.connection.db
      .selectFrom('queue_workers')
      .select('shutdown_at')
      .execute();
    assert.ok(
      shutDown.every((w) => w.shutdown_at !== null),
      'every worker recorded its shutdown',
    );
  }

  it(
    '4 worker processes drain 500 jobs on PostgreSQL, each exactly once',
    { timeout: 60_000 },
    () => drain('postgres', 4, 500),
  );

  // SQLite runs one writer at a time and the busy worker keeps winning the lock, so which workers
  // share the work is not asserted there; that nothing runs twice or fails, and both stop, is.
  it('2 worker processes drain 100 jobs on SQLite, each exactly once', { timeout: 60_000 }, () =>
    drain('sqlite', 2, 100),
  );

  it(
    're-runs the job of a worker killed with SIGKILL on another worker',
    { timeout: 60_000 },
    async () => {
      t = await prepare('postgres', true);
      const storage = t.storage;
      const timings = {
        pollIntervalMs: 100,
        heartbeatIntervalMs: 200,
        workerTimeoutMs: 1500,
        leaderLeaseMs: 1000,
      };
      const victim = await startWorkerProcess(t.uri, timings);
      workers.push(victim);
      const job = await storage.transaction((repos) =>
        repos.queue.enqueue(rng, clock, 'record', { key: 'slow', slowFirstAttemptMs: 120_000 }),
      );
      const started = await victim.waitFor('slow-started');
      assert.equal(started.job, job.id);
      const survivor = await startWorkerProcess(t.uri, timings);
      workers.push(survivor);
      victim.child.kill('SIGKILL');

      const [run] = await eventually('the job to run again', 30_000, async () => {
        const rows = await runs(storage);
        return rows.length > 0 ? rows : undefined;
      });
      assert.equal(run!.key, 'slow');
      assert.equal(run!.worker_id, survivor.id);
      assert.equal(run!.attempt, 1);
      const lost = await storage.transaction((repos) => repos.queue.lookup(job.id));
      assert.equal(lost?.status, 'lost');
      assert.equal(lost?.startedBy, victim.id);
      const retry = await eventually('the retry to complete', 10_000, async () => {
        const r = await storage.transaction((repos) => repos.queue.lookup(lost!.nextAttemptId!));
        return r?.status === 'completed' ? r : undefined;
      });
      assert.equal(retry.startedBy, survivor.id);
      const victimRow = await storage.connection.db
        .selectFrom('queue_workers')
        .select('shutdown_at')
        .where('id', '=', victim.id)
        .executeTakeFirstOrThrow();
      assert.notEqual(victimRow.shutdown_at, null, 'the leader declared the killed worker dead');
      assert.equal((await runs(storage)).length, 1);
    },
  );

  it(
    'fires an every-second cron job once per slot with 3 worker processes',
    { timeout: 60_000 },
    async () => {
      t = await prepare('postgres', false);
      const storage = t.storage;
      const options = {
        pollIntervalMs: 200,
        schedules: [{ cron: '* * * * * *', queueName: 'tick' }],
      };
      workers = await Promise.all([1, 2, 3].map(() => startWorkerProcess(t!.uri, options)));

      const rows = await eventually('five slots to run', 30_000, async () => {
        const r = await runs(storage);
        return r.length >= 5 ? r : undefined;
      });
      await Promise.all(workers.map((w) => w.stop()));
      const all = await runs(storage);
      assert.ok(all.length >= rows.length);
      const perSlot = new Map<string, number>();
      for (const r of all) perSlot.set(r.slot!, (perSlot.get(r.slot!) ?? 0) + 1);
      assert.deepEqual(
        [...perSlot.values()].filter((n) => n > 1),
        [],
        'no slot ran twice',
      );
      // Slots are whole seconds, one job per slot in the queue as well.
      for (const slot of perSlot.keys())
        assert.match(slot, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      const jobs = await storage.connection.db
        .selectFrom('queue_jobs')
        .select(['scheduled_at', 'schedule_name', 'status'])
        .where('queue_name', '=', 'tick')
        .execute();
      const slots = jobs.map((j) => new Date(j.scheduled_at!).toISOString());
      assert.equal(new Set(slots).size, slots.length, 'one job per slot');
      assert.ok(jobs.every((j) => j.schedule_name === 'tick'));
      assert.ok(jobs.every((j) => j.status !== 'failed'));
    },
  );
});
