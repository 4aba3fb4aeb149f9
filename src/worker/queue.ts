// What a job is to the worker: a handler per queue name, run with the job's own unit of work.
// See ./index.ts for how to add one.

import type { Clock } from '../clock.ts';
import type { JobPayload, QueueJob } from '../model/queue-job.ts';
import type { Rng } from '../rng.ts';
import type { Repositories, Storage } from '../storage/storage.ts';
import type { JobServices } from './job-services.ts';

export type WorkerLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where the worker reports what it does; the CLI passes one that writes to its logger. */
export type WorkerLog = (
  level: WorkerLogLevel,
  message: string,
  fields?: Record<string, unknown>,
) => void;

export const silentLog: WorkerLog = () => {};

export interface JobContext {
  readonly job: QueueJob;
  /**
   * Repositories bound to the job's own transaction. The job's completion is recorded in the same
   * transaction, so a job's database changes and its `completed` status commit together or not at
   * all; throwing rolls both back and the job is retried with back-off.
   */
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly log: WorkerLog;
  /** Aborted when the worker gives up waiting for the job on shutdown. */
  readonly signal: AbortSignal;
}

/** Runs one job. The payload is whatever object was enqueued: validate it before use. */
export type JobHandler = (payload: JobPayload, ctx: JobContext) => Promise<void>;

export interface ExternalJobContext {
  readonly job: QueueJob;
  /** Open short transactions around, never across, the outside calls. */
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly log: WorkerLog;
  readonly signal: AbortSignal;
  /** The mailer, templates, homeserver... the worker was started with (./job-services.ts). */
  readonly services: JobServices;
}

/**
 * A job that talks to something outside the database (the homeserver, a mail server). It runs
 * outside any transaction — holding one across a network call would block SQLite's only
 * connection for the whole process — and opens its own short ones through `ctx.storage`. Its
 * completion is recorded afterwards, so it may run again after a crash: it must be idempotent.
 */
export interface ExternalJob {
  readonly external: true;
  run(payload: JobPayload, ctx: ExternalJobContext): Promise<void>;
}

/** Queue name → handler. A worker claims jobs only from the queues it has handlers for. */
export type JobRegistry = Readonly<Record<string, JobHandler | ExternalJob>>;

/** A cron schedule that enqueues a job on `queueName` at every matching second (UTC). */
export interface ScheduleDefinition {
  /** Six fields: `sec min hour day-of-month month day-of-week`. */
  readonly cron: string;
  readonly queueName: string;
  /** The schedule's identity in `queue_schedules`; defaults to the queue name. */
  readonly name?: string;
  readonly payload?: JobPayload;
}
