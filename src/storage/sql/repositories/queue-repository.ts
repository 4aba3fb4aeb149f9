// `QueueRepository` over Kysely. Claiming is the same two statements on both dialects, in the
// caller's transaction:
//
//   SELECT id FROM queue_jobs WHERE status = 'available' ... ORDER BY created_at LIMIT n
//     [FOR UPDATE SKIP LOCKED]
//   UPDATE queue_jobs SET status = 'running', ... WHERE status = 'available' AND id IN (...)
//   RETURNING *
//
// On PostgreSQL the row locks with SKIP LOCKED let concurrent workers take different jobs without
// waiting for each other; on SQLite the surrounding BEGIN IMMEDIATE transaction already makes
// claimers take turns. The `status = 'available'` condition of the update is a last guard, so a
// job is never claimed twice.
//
// Compare-and-set updates (`... WHERE status = 'running'`, `... WHERE last_scheduled_at = ?`) are
// what make a job's completion, its loss and a schedule's slot happen once across workers.

import type { Kysely, Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Clock } from '../../../clock.ts';
import {
  asQueueJobId,
  asQueueWorkerId,
  canRetry,
  retryDelayMs,
  type JobPayload,
  type QueueJob,
  type QueueJobId,
  type QueueJobStatus,
  type QueueWorker,
  type QueueWorkerId,
} from '../../../model/queue-job.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  EnqueueOptions,
  FailOutcome,
  QueueRepository,
  RecurringJob,
  ScheduleState,
} from '../../queue-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { QueueJobsTable, QueueWorkersTable, Schema } from '../schema.ts';

type JobRow = Selectable<QueueJobsTable>;

function toJob(row: JobRow, dialect: SqlDialect): QueueJob {
  return {
    id: asQueueJobId(row.id),
    queueName: row.queue_name,
    payload: dialect.fromJson<JobPayload>(row.payload),
    metadata: dialect.fromJson<Record<string, unknown>>(row.metadata),
    status: row.status as QueueJobStatus,
    attempt: row.attempt,
    createdAt: dialect.fromTimestamp(row.created_at),
    scheduledAt: dialect.fromNullableTimestamp(row.scheduled_at),
    startedAt: dialect.fromNullableTimestamp(row.started_at),
    startedBy: row.started_by === null ? null : asQueueWorkerId(row.started_by),
    completedAt: dialect.fromNullableTimestamp(row.completed_at),
    failedAt: dialect.fromNullableTimestamp(row.failed_at),
    failedReason: row.failed_reason,
    nextAttemptId: row.next_attempt_id === null ? null : asQueueJobId(row.next_attempt_id),
    scheduleName: row.schedule_name,
  };
}

function toWorker(row: Selectable<QueueWorkersTable>, dialect: SqlDialect): QueueWorker {
  return {
    id: asQueueWorkerId(row.id),
    registeredAt: dialect.fromTimestamp(row.registered_at),
    lastSeenAt: dialect.fromTimestamp(row.last_seen_at),
    shutdownAt: dialect.fromNullableTimestamp(row.shutdown_at),
  };
}

/** The reason recorded on jobs whose worker stopped while running them. */
const LOST_REASON = 'the worker running the job stopped';

export class SqlQueueRepository implements QueueRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async lookup(id: QueueJobId): Promise<QueueJob | null> {
    const row = await this.#db
      .selectFrom('queue_jobs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toJob(row, this.#dialect);
  }

  async enqueue(
    rng: Rng,
    clock: Clock,
    queueName: string,
    payload: JobPayload,
    options: EnqueueOptions = {},
  ): Promise<QueueJob> {
    return this.#insertJob(rng, clock, {
      queueName,
      payload,
      metadata: options.metadata ?? {},
      attempt: 0,
      scheduledAt: options.scheduledAt ?? null,
      scheduleName: options.scheduleName ?? null,
    });
  }

  async #insertJob(
    rng: Rng,
    clock: Clock,
    job: {
      queueName: string;
      payload: JobPayload;
      metadata: Record<string, unknown>;
      attempt: number;
      scheduledAt: Date | null;
      scheduleName: string | null;
    },
  ): Promise<QueueJob> {
    const d = this.#dialect;
    const now = clock.now();
    const waits = job.scheduledAt !== null && job.scheduledAt.getTime() > now.getTime();
    const row = await this.#db
      .insertInto('queue_jobs')
      .values({
        id: newUlid(clock, rng),
        queue_name: job.queueName,
        payload: d.toJson(job.payload),
        metadata: d.toJson(job.metadata),
        status: waits ? 'scheduled' : 'available',
        attempt: job.attempt,
        created_at: d.toTimestamp(now),
        scheduled_at: job.scheduledAt === null ? null : d.toTimestamp(job.scheduledAt),
        started_at: null,
        started_by: null,
        completed_at: null,
        failed_at: null,
        failed_reason: null,
        next_attempt_id: null,
        schedule_name: job.scheduleName,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toJob(row, d);
  }

  async claim(
    clock: Clock,
    workerId: QueueWorkerId,
    queueNames: readonly string[],
    limit: number,
  ): Promise<QueueJob[]> {
    if (queueNames.length === 0 || limit <= 0) return [];
    const d = this.#dialect;
    // Two statements rather than `UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP
    // LOCKED)`: PostgreSQL may re-run such a subquery per row, and the re-runs skip the rows this
    // very statement already updated, so the LIMIT is not respected. The locks taken here hold the
    // chosen rows until the transaction ends, so no other worker can take them in between.
    const chosen = await this.#db
      .selectFrom('queue_jobs')
      .select('id')
      .where('status', '=', 'available')
      .where('queue_name', 'in', queueNames)
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .$if(d.supportsSkipLocked, (q) => q.forUpdate().skipLocked())
      .execute();
    if (chosen.length === 0) return [];
    const rows = await this.#db
      .updateTable('queue_jobs')
      .set({ status: 'running', started_at: d.toTimestamp(clock.now()), started_by: workerId })
      .where('status', '=', 'available')
      .where(
        'id',
        'in',
        chosen.map((r) => r.id),
      )
      .returningAll()
      .execute();
    // RETURNING gives no order: hand jobs out oldest first, as they were chosen.
    return rows
      .map((r) => toJob(r, d))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
  }

  async complete(clock: Clock, id: QueueJobId): Promise<boolean> {
    const result = await this.#db
      .updateTable('queue_jobs')
      .set({ status: 'completed', completed_at: this.#dialect.toTimestamp(clock.now()) })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async fail(rng: Rng, clock: Clock, id: QueueJobId, reason: string): Promise<FailOutcome> {
    const d = this.#dialect;
    const row = await this.#db
      .updateTable('queue_jobs')
      .set({ status: 'failed', failed_at: d.toTimestamp(clock.now()), failed_reason: reason })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return { recorded: false, retry: null };
    const failed = toJob(row, d);
    if (!canRetry(failed.attempt)) return { recorded: true, retry: null };
    const retryAt = new Date(clock.now().getTime() + retryDelayMs(failed.attempt));
    return { recorded: true, retry: await this.#retry(rng, clock, failed, retryAt) };
  }

  /** Adds the next attempt of `job` and links it from `job`. */
  async #retry(rng: Rng, clock: Clock, job: QueueJob, at: Date | null): Promise<QueueJob> {
    const next = await this.#insertJob(rng, clock, {
      queueName: job.queueName,
      payload: job.payload,
      metadata: job.metadata,
      attempt: job.attempt + 1,
      scheduledAt: at,
      scheduleName: job.scheduleName,
    });
    await this.#db
      .updateTable('queue_jobs')
      .set({ next_attempt_id: next.id })
      .where('id', '=', job.id)
      .execute();
    return next;
  }

  async registerWorker(rng: Rng, clock: Clock): Promise<QueueWorker> {
    const d = this.#dialect;
    const now = d.toTimestamp(clock.now());
    const row = await this.#db
      .insertInto('queue_workers')
      .values({ id: newUlid(clock, rng), registered_at: now, last_seen_at: now, shutdown_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toWorker(row, d);
  }

  async heartbeat(clock: Clock, workerId: QueueWorkerId): Promise<boolean> {
    const result = await this.#db
      .updateTable('queue_workers')
      .set({ last_seen_at: this.#dialect.toTimestamp(clock.now()) })
      .where('id', '=', workerId)
      .where('shutdown_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async shutdownWorker(rng: Rng, clock: Clock, workerId: QueueWorkerId): Promise<number> {
    await this.#db
      .updateTable('queue_workers')
      .set({ shutdown_at: this.#dialect.toTimestamp(clock.now()) })
      .where('id', '=', workerId)
      .where('shutdown_at', 'is', null)
      .execute();
    await this.resignLeadership(workerId);
    return this.#loseJobsOf(rng, clock, [workerId]);
  }

  async shutdownDeadWorkers(rng: Rng, clock: Clock, seenBefore: Date): Promise<QueueWorkerId[]> {
    const d = this.#dialect;
    const rows = await this.#db
      .updateTable('queue_workers')
      .set({ shutdown_at: d.toTimestamp(clock.now()) })
      .where('shutdown_at', 'is', null)
      .where('last_seen_at', '<', d.toTimestamp(seenBefore))
      .returning('id')
      .execute();
    const ids = rows.map((r) => asQueueWorkerId(r.id));
    await this.#loseJobsOf(rng, clock, ids);
    return ids;
  }

  /** Marks the running jobs of the workers `lost`, each retried at once while it has attempts left. */
  async #loseJobsOf(rng: Rng, clock: Clock, workerIds: readonly QueueWorkerId[]): Promise<number> {
    if (workerIds.length === 0) return 0;
    const d = this.#dialect;
    const rows = await this.#db
      .updateTable('queue_jobs')
      .set({ status: 'lost', failed_at: d.toTimestamp(clock.now()), failed_reason: LOST_REASON })
      .where('status', '=', 'running')
      .where('started_by', 'in', workerIds)
      .returningAll()
      .execute();
    for (const row of rows) {
      const lost = toJob(row, d);
      // A job that keeps killing its workers must not loop forever: it shares the attempt budget.
      if (canRetry(lost.attempt)) await this.#retry(rng, clock, lost, null);
    }
    return rows.length;
  }

  async tryAcquireLeadership(
    clock: Clock,
    workerId: QueueWorkerId,
    leaseMs: number,
  ): Promise<boolean> {
    const d = this.#dialect;
    const now = clock.now();
    const row = await this.#db
      .insertInto('queue_leader')
      .values({
        id: 1,
        queue_worker_id: workerId,
        elected_at: d.toTimestamp(now),
        expires_at: d.toTimestamp(new Date(now.getTime() + leaseMs)),
      })
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({
            queue_worker_id: (eb) => eb.ref('excluded.queue_worker_id'),
            // A renewal keeps the time the worker was first elected.
            elected_at: sql`case when queue_leader.queue_worker_id = excluded.queue_worker_id
              then queue_leader.elected_at else excluded.elected_at end`,
            expires_at: (eb) => eb.ref('excluded.expires_at'),
          })
          .where((eb) =>
            eb.or([
              eb('queue_leader.queue_worker_id', '=', workerId),
              eb('queue_leader.expires_at', '<=', d.toTimestamp(now)),
            ]),
          ),
      )
      .returning('queue_worker_id')
      .executeTakeFirst();
    return row?.queue_worker_id === workerId;
  }

  async resignLeadership(workerId: QueueWorkerId): Promise<void> {
    await this.#db.deleteFrom('queue_leader').where('queue_worker_id', '=', workerId).execute();
  }

  async promoteDueJobs(clock: Clock): Promise<number> {
    const result = await this.#db
      .updateTable('queue_jobs')
      .set({ status: 'available' })
      .where('status', '=', 'scheduled')
      .where('scheduled_at', '<=', this.#dialect.toTimestamp(clock.now()))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async scheduleState(scheduleName: string): Promise<ScheduleState | null> {
    const row = await this.#db
      .selectFrom('queue_schedules')
      .selectAll()
      .where('schedule_name', '=', scheduleName)
      .executeTakeFirst();
    if (row === undefined) return null;
    return {
      lastScheduledAt: this.#dialect.fromNullableTimestamp(row.last_scheduled_at),
      lastScheduledJobId:
        row.last_scheduled_job_id === null ? null : asQueueJobId(row.last_scheduled_job_id),
    };
  }

  async scheduleRecurring(rng: Rng, clock: Clock, job: RecurringJob): Promise<QueueJob | null> {
    const d = this.#dialect;
    const at = d.toTimestamp(job.at);
    // Claim the slot first: the loser of a race changes nothing and makes no job. On PostgreSQL a
    // concurrent claimer waits for the winner's row lock, then finds the condition false.
    let won: boolean;
    if (job.previous === null) {
      const row = await this.#db
        .insertInto('queue_schedules')
        .values({
          schedule_name: job.scheduleName,
          last_scheduled_at: at,
          last_scheduled_job_id: null,
        })
        .onConflict((oc) =>
          oc
            .column('schedule_name')
            .doUpdateSet({ last_scheduled_at: (eb) => eb.ref('excluded.last_scheduled_at') })
            .where('queue_schedules.last_scheduled_at', 'is', null),
        )
        .returning('schedule_name')
        .executeTakeFirst();
      won = row !== undefined;
    } else {
      const result = await this.#db
        .updateTable('queue_schedules')
        .set({ last_scheduled_at: at })
        .where('schedule_name', '=', job.scheduleName)
        .where('last_scheduled_at', '=', d.toTimestamp(job.previous))
        .executeTakeFirst();
      won = result.numUpdatedRows > 0n;
    }
    if (!won) return null;
    const created = await this.enqueue(rng, clock, job.queueName, job.payload, {
      scheduledAt: job.at,
      scheduleName: job.scheduleName,
    });
    await this.#db
      .updateTable('queue_schedules')
      .set({ last_scheduled_job_id: created.id })
      .where('schedule_name', '=', job.scheduleName)
      .execute();
    return created;
  }

  async deleteFinishedBefore(before: Date): Promise<number> {
    const cutoff = this.#dialect.toTimestamp(before);
    const result = await this.#db
      .deleteFrom('queue_jobs')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'completed'), eb('completed_at', '<', cutoff)]),
          eb.and([eb('status', 'in', ['failed', 'lost']), eb('failed_at', '<', cutoff)]),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
