// Leader election and the duties only one worker needs to do (MAS `crates/tasks/src/new_queue.rs`).
// The leader holds a short lease in the single `queue_leader` row and renews it on every tick;
// when it stops renewing (crash, pause), another worker takes the lease once it expires.
//
// Every duty is also safe if two workers ran it at once (after a long pause, an old leader may act
// once more before noticing it lost the lease): dead workers and promotions are compare-and-set
// updates, and schedules claim their slot with a compare-and-set too.

import type { Clock } from '../clock.ts';
import type { QueueWorkerId } from '../model/queue-job.ts';
import type { Rng } from '../rng.ts';
import type { Storage } from '../storage/storage.ts';
import type { WorkerLog } from './queue.ts';
import { scheduleDueJobs, type Schedule } from './scheduler.ts';

export interface LeaderDeps {
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly log: WorkerLog;
  readonly schedules: readonly Schedule[];
  /** How long a lease lasts without renewal. */
  readonly leaseMs: number;
  /** A worker not seen for this long is declared dead and its running jobs retried. */
  readonly workerTimeoutMs: number;
}

/** Takes or renews the lease; true while `workerId` is the leader. */
export function tryLead(deps: LeaderDeps, workerId: QueueWorkerId): Promise<boolean> {
  return deps.storage.transaction((repos) =>
    repos.queue.tryAcquireLeadership(deps.clock, workerId, deps.leaseMs),
  );
}

/** One round of the leader's duties, in one transaction. */
export async function runLeaderDuties(deps: LeaderDeps): Promise<void> {
  const { clock, rng, log } = deps;
  const result = await deps.storage.transaction(async (repos) => {
    const seenBefore = new Date(clock.now().getTime() - deps.workerTimeoutMs);
    const dead = await repos.queue.shutdownDeadWorkers(rng, clock, seenBefore);
    const promoted = await repos.queue.promoteDueJobs(clock);
    const scheduled = await scheduleDueJobs(repos.queue, rng, clock, deps.schedules);
    return { dead, promoted, scheduled };
  });
  for (const id of result.dead)
    log('warn', 'declared a silent worker dead; its running jobs will be retried', { worker: id });
  if (result.promoted > 0)
    log('debug', 'scheduled jobs made available', { count: result.promoted });
  for (const job of result.scheduled) {
    log('debug', 'scheduled the next run of a cron job', {
      schedule: job.scheduleName,
      at: job.scheduledAt?.toISOString(),
    });
  }
}
