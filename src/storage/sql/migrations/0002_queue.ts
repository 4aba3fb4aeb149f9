// The job queue: jobs, the workers that run them, the leader lease and the cron schedules' state.
// Where the database can notify other connections (PostgreSQL), a trigger announces every job that
// becomes available on the `queue_available` channel, whoever made it so (an enqueue in a request,
// a retry, the leader promoting scheduled jobs), so idle workers wake at once instead of polling.

import { sql, type Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { timestamp, json } = dialect.types;

  await db.schema
    .createTable('queue_workers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('registered_at', timestamp, (c) => c.notNull())
    .addColumn('last_seen_at', timestamp, (c) => c.notNull())
    .addColumn('shutdown_at', timestamp)
    .execute();

  await db.schema
    .createTable('queue_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('queue_name', 'text', (c) => c.notNull())
    .addColumn('payload', json, (c) => c.notNull())
    .addColumn('metadata', json, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('scheduled_at', timestamp)
    .addColumn('started_at', timestamp)
    .addColumn('started_by', 'text', (c) => c.references('queue_workers.id').onDelete('set null'))
    .addColumn('completed_at', timestamp)
    .addColumn('failed_at', timestamp)
    .addColumn('failed_reason', 'text')
    .addColumn('next_attempt_id', 'text', (c) => c.references('queue_jobs.id').onDelete('set null'))
    .addColumn('schedule_name', 'text')
    .execute();
  // Claiming scans available jobs oldest first; promotion scans scheduled jobs by time.
  await db.schema
    .createIndex('queue_jobs_status_created_idx')
    .on('queue_jobs')
    .columns(['status', 'created_at'])
    .execute();
  await db.schema
    .createIndex('queue_jobs_status_scheduled_idx')
    .on('queue_jobs')
    .columns(['status', 'scheduled_at'])
    .execute();
  await db.schema
    .createIndex('queue_jobs_started_by_idx')
    .on('queue_jobs')
    .column('started_by')
    .execute();

  await db.schema
    .createTable('queue_leader')
    // A single row: the check keeps a second leader from ever being inserted.
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('queue_worker_id', 'text', (c) =>
      c.notNull().references('queue_workers.id').onDelete('cascade'),
    )
    .addColumn('elected_at', timestamp, (c) => c.notNull())
    .addColumn('expires_at', timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('queue_schedules')
    .addColumn('schedule_name', 'text', (c) => c.primaryKey())
    .addColumn('last_scheduled_at', timestamp)
    .addColumn('last_scheduled_job_id', 'text', (c) =>
      c.references('queue_jobs.id').onDelete('set null'),
    )
    .execute();

  if (dialect.supportsNotify) {
    // The payload is the queue name; PostgreSQL folds identical notifications of one transaction
    // into one, so enqueueing 500 jobs at once wakes each listener once.
    await sql`
      create function queue_jobs_notify_available() returns trigger language plpgsql as $$
      begin
        perform pg_notify('queue_available', new.queue_name);
        return null;
      end
      $$`.execute(db);
    await sql`
      create trigger queue_jobs_available
      after insert or update of status on queue_jobs
      for each row when (new.status = 'available')
      execute function queue_jobs_notify_available()`.execute(db);
  }
}
