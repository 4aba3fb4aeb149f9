// Kysely's view of the tables. Row types never leave storage/sql/: repositories turn them into the
// plain domain types of src/model/. To add a table: write a migration (migrations/README in
// migrations/index.ts), add its row interface here and register it in `Schema`.

import type { BooleanValue, JsonValue, TimestampValue } from './dialect.ts';

type Timestamp = TimestampValue;

export interface UsersTable {
  id: string;
  username: string;
  created_at: Timestamp;
  locked_at: Timestamp | null;
  deactivated_at: Timestamp | null;
  can_request_admin: BooleanValue;
}

export interface UserPasswordsTable {
  id: string;
  user_id: string;
  hashed_password: string;
  /** The `passwords.schemes[].version` the hash was made with. */
  version: number;
  /** The password row this one re-hashed (on upgrade to a newer scheme), if any. */
  upgraded_from_id: string | null;
  created_at: Timestamp;
}

/** Browser sessions (MAS: `user_sessions`). */
export interface UserSessionsTable {
  id: string;
  user_id: string;
  created_at: Timestamp;
  finished_at: Timestamp | null;
  user_agent: string | null;
  last_active_at: Timestamp | null;
  last_active_ip: string | null;
}

export interface QueueJobsTable {
  id: string;
  queue_name: string;
  payload: JsonValue;
  metadata: JsonValue;
  /** available | running | completed | failed | scheduled | lost */
  status: string;
  attempt: number;
  created_at: Timestamp;
  /** When a `scheduled` job becomes `available`. */
  scheduled_at: Timestamp | null;
  started_at: Timestamp | null;
  started_by: string | null;
  completed_at: Timestamp | null;
  failed_at: Timestamp | null;
  failed_reason: string | null;
  next_attempt_id: string | null;
  /** The cron schedule that created the job, if any. */
  schedule_name: string | null;
}

export interface QueueWorkersTable {
  id: string;
  registered_at: Timestamp;
  last_seen_at: Timestamp;
  shutdown_at: Timestamp | null;
}

/** A single row (`id = 1`): the worker that runs scheduled duties, until `expires_at`. */
export interface QueueLeaderTable {
  id: number;
  queue_worker_id: string;
  elected_at: Timestamp;
  expires_at: Timestamp;
}

export interface QueueSchedulesTable {
  schedule_name: string;
  last_scheduled_at: Timestamp | null;
  last_scheduled_job_id: string | null;
}

export interface Schema {
  users: UsersTable;
  user_passwords: UserPasswordsTable;
  user_sessions: UserSessionsTable;
  queue_jobs: QueueJobsTable;
  queue_workers: QueueWorkersTable;
  queue_leader: QueueLeaderTable;
  queue_schedules: QueueSchedulesTable;
}
