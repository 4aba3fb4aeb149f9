// Jobs of the background queue (MAS `queue_jobs`) and the rules for retrying them. A retry is a new
// job row linked from the failed one by `nextAttemptId`, so the history of every attempt is kept.

import type { Id } from './ids.ts';

export type QueueJobId = Id<'QueueJobId'>;
export type QueueWorkerId = Id<'QueueWorkerId'>;

export const asQueueJobId = (value: string): QueueJobId => value as QueueJobId;
export const asQueueWorkerId = (value: string): QueueWorkerId => value as QueueWorkerId;

/**
 * - `scheduled`: waits for `scheduledAt`, then the leader makes it `available`;
 * - `available`: any worker may claim it;
 * - `running`: claimed by `startedBy`;
 * - `completed` / `failed`: finished (a failed job may have a retry in `nextAttemptId`);
 * - `lost`: its worker died while running it (it is retried like a failure).
 */
export type QueueJobStatus =
  'scheduled' | 'available' | 'running' | 'completed' | 'failed' | 'lost';

export const QUEUE_JOB_STATUSES: readonly QueueJobStatus[] = [
  'scheduled',
  'available',
  'running',
  'completed',
  'failed',
  'lost',
];

/** What a job is given: a JSON object (as MAS's job structs), validated by its handler. */
export type JobPayload = Readonly<Record<string, unknown>>;

export interface QueueJob {
  readonly id: QueueJobId;
  readonly queueName: string;
  readonly payload: JobPayload;
  /** Context that travels with the job (trace ids), not its input. */
  readonly metadata: Record<string, unknown>;
  readonly status: QueueJobStatus;
  /** 0 for the first run, then 1, 2, ... for each retry. */
  readonly attempt: number;
  readonly createdAt: Date;
  readonly scheduledAt: Date | null;
  readonly startedAt: Date | null;
  readonly startedBy: QueueWorkerId | null;
  readonly completedAt: Date | null;
  readonly failedAt: Date | null;
  readonly failedReason: string | null;
  readonly nextAttemptId: QueueJobId | null;
  /** The cron schedule that created the job, if any. */
  readonly scheduleName: string | null;
}

export interface QueueWorker {
  readonly id: QueueWorkerId;
  readonly registeredAt: Date;
  readonly lastSeenAt: Date;
  readonly shutdownAt: Date | null;
}

/** Runs per job, the first included (as in MAS). */
export const MAX_JOB_ATTEMPTS = 10;

/** How long a job that failed on `attempt` waits before its retry: 5 s × 2^attempt (5 s … ~43 min). */
export function retryDelayMs(attempt: number): number {
  return 5000 * 2 ** attempt;
}

/** Whether a job that failed on `attempt` gets another try. */
export function canRetry(attempt: number): boolean {
  return attempt + 1 < MAX_JOB_ATTEMPTS;
}
