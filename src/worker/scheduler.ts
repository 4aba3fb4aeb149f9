// Turns cron schedules into jobs. Each schedule always has its next slot's job waiting in the queue
// as `scheduled`; when that slot's time has come (the leader promotes it and some worker runs it),
// the next slot's job is made. `QueueRepository.scheduleRecurring` is a compare-and-set on the
// schedule's last slot, so however many workers run this at once, each slot gets one job.
//
// After downtime, the missed slots are not replayed: the one overdue job runs once, and the next
// job is for the first slot after now. A schedule whose cron expression changes keeps its pending
// job; the new expression applies from the slot after it.

import type { Clock } from '../clock.ts';
import type { JobPayload, QueueJob } from '../model/queue-job.ts';
import type { Rng } from '../rng.ts';
import type { QueueRepository } from '../storage/queue-repository.ts';
import { parseCron, type CronSchedule } from './cron.ts';
import type { ScheduleDefinition } from './queue.ts';

export interface Schedule {
  readonly name: string;
  readonly queueName: string;
  readonly payload: JobPayload;
  readonly cron: CronSchedule;
}

/** Parses the definitions; throws `CronError` for a bad expression, `Error` for a duplicate name. */
export function compileSchedules(definitions: readonly ScheduleDefinition[]): Schedule[] {
  const seen = new Set<string>();
  return definitions.map((d) => {
    const name = d.name ?? d.queueName;
    if (seen.has(name)) throw new Error(`schedule "${name}" is defined twice`);
    seen.add(name);
    return { name, queueName: d.queueName, payload: d.payload ?? {}, cron: parseCron(d.cron) };
  });
}

/** Makes the next job of every schedule whose last one is due; returns the jobs made. */
export async function scheduleDueJobs(
  queue: QueueRepository,
  rng: Rng,
  clock: Clock,
  schedules: readonly Schedule[],
): Promise<QueueJob[]> {
  const made: QueueJob[] = [];
  const now = clock.now();
  for (const schedule of schedules) {
    const state = await queue.scheduleState(schedule.name);
    const last = state?.lastScheduledAt ?? null;
    // The pending job is still in the future: nothing to do until its slot comes.
    if (last !== null && last.getTime() > now.getTime()) continue;
    const job = await queue.scheduleRecurring(rng, clock, {
      scheduleName: schedule.name,
      queueName: schedule.queueName,
      payload: schedule.payload,
      at: schedule.cron.nextAfter(now),
      previous: last,
    });
    if (job !== null) made.push(job);
  }
  return made;
}
