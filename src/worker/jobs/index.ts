// Every job Gatehouse runs, by queue name, and the cron schedules that enqueue them.
//
// To add a job:
//   1. write `jobs/<name>.ts` exporting its queue name (kebab-case, as MAS names it when MAS has
//      the same job), a `JobHandler`, and, for a recurring job, its six-field cron expression;
//   2. the handler validates its payload, uses only `ctx.repos` (its own transaction: its changes
//      and its completion commit together) and throws to fail, which retries it with back-off;
//      a job that calls something outside the database (homeserver, mail) is an `ExternalJob`
//      instead: it runs outside any transaction and opens short ones through `ctx.storage`;
//   3. add it to `jobRegistry` below, and to `jobSchedules` if it recurs;
//   4. code that wants it run calls `repos.queue.enqueue(rng, clock, QUEUE_NAME, payload)` in its
//      own transaction, so the job exists only if that transaction commits;
//   5. test it in test/worker/jobs/<name>.test.ts by running the handler through a real `Worker`.

import type { JobRegistry, ScheduleDefinition } from '../queue.ts';
import { CLEANUP_EXPIRED_CRON, CLEANUP_EXPIRED_QUEUE, cleanupExpired } from './cleanup-expired.ts';

export const jobRegistry: JobRegistry = {
  [CLEANUP_EXPIRED_QUEUE]: cleanupExpired,
};

export const jobSchedules: readonly ScheduleDefinition[] = [
  { cron: CLEANUP_EXPIRED_CRON, queueName: CLEANUP_EXPIRED_QUEUE },
];
