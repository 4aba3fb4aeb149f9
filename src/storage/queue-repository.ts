// The job queue (MAS `crates/storage/src/queue/`): jobs, the workers that run them, the single
// leader lease, and the state of the cron schedules. The queue's rules live here and in
// model/queue-job.ts; src/worker/ only decides when to call these methods.

import type { Clock } from '../clock.ts';
import type {
  JobPayload,
  QueueJob,
  QueueJobId,
  QueueWorker,
  QueueWorkerId,
} from '../model/queue-job.ts';
import type { Rng } from '../rng.ts';

export interface EnqueueOptions {
  /** Not before this instant: the job waits as `scheduled` until the leader promotes it. */
  scheduledAt?: Date;
  /** The cron schedule that made the job. */
  scheduleName?: string;
  metadata?: Record<string, unknown>;
}

export interface FailOutcome {
  /** False when the job was no longer running (its worker was declared dead meanwhile). */
  recorded: boolean;
  /** The next attempt, or null when the job has used all its attempts. */
  retry: QueueJob | null;
}

export interface ScheduleState {
  lastScheduledAt: Date | null;
  lastScheduledJobId: QueueJobId | null;
}

export interface RecurringJob {
  scheduleName: string;
  queueName: string;
  payload: JobPayload;
  /** The slot the new job is for. */
  at: Date;
  /** `lastScheduledAt` as the caller read it: the job is only made if no one has moved it since. */
  previous: Date | null;
}

export interface QueueRepository {
  lookup(id: QueueJobId): Promise<QueueJob | null>;

  /** Adds a job; `available` at once unless `scheduledAt` is in the future. */
  enqueue(
    rng: Rng,
    clock: Clock,
    queueName: string,
    payload: JobPayload,
    options?: EnqueueOptions,
  ): Promise<QueueJob>;

  /**
   * Marks up to `limit` available jobs of the given queues, oldest first, as `running` by `workerId`
   * and returns them. Concurrent claimers never get the same job.
   */
  claim(
    clock: Clock,
    workerId: QueueWorkerId,
    queueNames: readonly string[],
    limit: number,
  ): Promise<QueueJob[]>;

  /** Marks a running job completed; false when it was no longer running (declared lost meanwhile). */
  complete(clock: Clock, id: QueueJobId): Promise<boolean>;

  /**
   * Marks a running job failed and, unless it has used all its attempts, adds its next attempt,
   * scheduled after the exponential back-off.
   */
  fail(rng: Rng, clock: Clock, id: QueueJobId, reason: string): Promise<FailOutcome>;

  registerWorker(rng: Rng, clock: Clock): Promise<QueueWorker>;

  /** Records that the worker is alive; false when it was shut down (declared dead) meanwhile. */
  heartbeat(clock: Clock, workerId: QueueWorkerId): Promise<boolean>;

  /**
   * Marks the worker shut down, gives up its leadership, and marks the jobs it still runs `lost`,
   * each retried at once as a new attempt. Returns how many jobs were lost.
   */
  shutdownWorker(rng: Rng, clock: Clock, workerId: QueueWorkerId): Promise<number>;

  /** Shuts down (as above) every worker not seen since `seenBefore`; returns their ids. */
  shutdownDeadWorkers(rng: Rng, clock: Clock, seenBefore: Date): Promise<QueueWorkerId[]>;

  /**
   * Takes the leader lease, or renews it when `workerId` already holds it, until now + `leaseMs`.
   * Fails (false) while another worker holds an unexpired lease.
   */
  tryAcquireLeadership(clock: Clock, workerId: QueueWorkerId, leaseMs: number): Promise<boolean>;

  /** Gives the lease up at once if `workerId` holds it, so another worker need not wait for expiry. */
  resignLeadership(workerId: QueueWorkerId): Promise<void>;

  /** Makes `scheduled` jobs whose time has come `available`; returns how many. */
  promoteDueJobs(clock: Clock): Promise<number>;

  scheduleState(scheduleName: string): Promise<ScheduleState | null>;

  /**
   * Adds the job of a cron slot and records the slot as the schedule's last, only if the
   * schedule's `lastScheduledAt` is still `previous`: of any number of workers racing for the same
   * slot, exactly one makes the job. Returns it, or null when another worker won.
   */
  scheduleRecurring(rng: Rng, clock: Clock, job: RecurringJob): Promise<QueueJob | null>;

  /** Deletes completed, failed and lost jobs that finished before `before`; returns how many. */
  deleteFinishedBefore(before: Date): Promise<number>;
}
