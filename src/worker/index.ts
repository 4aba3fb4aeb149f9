// The background worker: a database-backed job queue modelled on MAS's (`crates/tasks/`).
//
//   queue.ts          what a job is: `JobHandler` (in the job's transaction) or `ExternalJob`
//                     (outside one), schedules' shape, the log callback
//   worker.ts         `Worker`: claims and runs jobs, heartbeats, stops gracefully
//   leader.ts         the leader lease and the duties of the leader (dead workers, promotions, cron)
//   scheduler.ts      cron schedules → one job per slot across all workers
//   cron.ts           the six-field cron parser
//   notifications.ts  PostgreSQL LISTEN/NOTIFY wake-ups
//   job-services.ts   `JobServices`: the mailer, templates, ... given to external jobs
//   jobs/             one file per job; jobs/index.ts lists them and says how to add one
//
// The queue's storage (claiming with SKIP LOCKED, retries, leases) is `QueueRepository` in
// src/storage/queue-repository.ts. `gatehouse worker` and `gatehouse server` both start a worker
// through `startWorker` in src/cli/worker.ts.

export { jobRegistry, jobSchedules } from './jobs/index.ts';
export { MissingJobServiceError, requireService, type JobServices } from './job-services.ts';
export { postgresWakeUps, type WakeUpSource } from './notifications.ts';
export type {
  ExternalJob,
  ExternalJobContext,
  JobContext,
  JobHandler,
  JobRegistry,
  ScheduleDefinition,
  WorkerLog,
  WorkerLogLevel,
} from './queue.ts';
export { Worker, type WorkerOptions } from './worker.ts';
