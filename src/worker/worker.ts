// The worker: registers itself, then loops until stopped. Each loop it
//   1. every poll interval (0.9–1.1 s by default): heartbeats when due, takes or renews the leader
//      lease and, while leader, does the leader's duties (./leader.ts);
//   2. claims jobs in batches while it has free slots (up to `concurrency` at once) and runs each
//      in the background, with the job's handler and its completion in one transaction;
//   3. sleeps until the next poll, a notification that jobs are available (./notifications.ts), or
//      a running job finishing and freeing a slot.
//
// `stop()` is graceful: no new claims, running jobs get `shutdownTimeoutMs` to finish, then the
// worker records its shutdown (jobs still running are marked lost and retried elsewhere) and gives
// up the leader lease. Timers measure real time; the database times come from the injected clock.

import { monotonicMs, type Clock } from '../clock.ts';
import type { QueueJob, QueueJobId, QueueWorkerId } from '../model/queue-job.ts';
import { randomInt, type Rng } from '../rng.ts';
import type { Storage } from '../storage/storage.ts';
import { runLeaderDuties, tryLead, type LeaderDeps } from './leader.ts';
import type { WakeUpSource } from './notifications.ts';
import { silentLog, type JobRegistry, type ScheduleDefinition, type WorkerLog } from './queue.ts';
import type { JobServices } from './job-services.ts';
import { compileSchedules } from './scheduler.ts';

export interface WorkerOptions {
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly jobs: JobRegistry;
  readonly schedules?: readonly ScheduleDefinition[];
  /** What external jobs may use (mailer, templates, homeserver). Default: none. */
  readonly services?: JobServices;
  readonly log?: WorkerLog;
  /** Notifications that jobs are available (PostgreSQL); without them the worker only polls. */
  readonly wakeUps?: WakeUpSource | null;
  /** Jobs run at once. Default 10. */
  readonly concurrency?: number;
  /** Jobs claimed per query. Default 5. */
  readonly batchSize?: number;
  /** Time between polls, ±10 %. Default 1 s. */
  readonly pollIntervalMs?: number;
  /** How often the worker records that it is alive. Default 1 min. */
  readonly heartbeatIntervalMs?: number;
  /** A worker not seen for this long is declared dead by the leader. Default 2 min. */
  readonly workerTimeoutMs?: number;
  /** How long the leader lease lasts without renewal. Default 5 s. */
  readonly leaderLeaseMs?: number;
  /** How long `stop()` waits for running jobs. Default 30 s. */
  readonly shutdownTimeoutMs?: number;
}

/** Thrown inside a job's transaction when its completion finds the job no longer running. */
class JobLostError extends Error {
  override readonly name = 'JobLostError';
}

interface RunningJob {
  readonly promise: Promise<void>;
  readonly controller: AbortController;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

export class Worker {
  readonly #storage: Storage;
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #log: WorkerLog;
  readonly #jobs: JobRegistry;
  readonly #services: JobServices;
  readonly #queueNames: readonly string[];
  readonly #wakeUps: WakeUpSource | null;
  readonly #concurrency: number;
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  readonly #heartbeatIntervalMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #leaderDeps: LeaderDeps;

  #id: QueueWorkerId | null = null;
  #leader = false;
  #lastHeartbeatMs = 0;
  #nextPollAt = 0;
  #running = new Map<QueueJobId, RunningJob>();
  #loop: Promise<void> | null = null;
  #stopping = false;
  #woken = false;
  #wakeSleeper: (() => void) | null = null;

  constructor(options: WorkerOptions) {
    this.#storage = options.storage;
    this.#clock = options.clock;
    this.#rng = options.rng;
    this.#log = options.log ?? silentLog;
    this.#jobs = options.jobs;
    this.#services = options.services ?? {};
    this.#queueNames = Object.keys(options.jobs);
    this.#wakeUps = options.wakeUps ?? null;
    this.#concurrency = Math.max(1, options.concurrency ?? 10);
    this.#batchSize = Math.max(1, options.batchSize ?? 5);
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 60_000;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
    this.#leaderDeps = {
      storage: options.storage,
      clock: options.clock,
      rng: options.rng,
      log: this.#log,
      // Parsed now, so a bad cron expression fails at startup rather than on the first tick.
      schedules: compileSchedules(options.schedules ?? []),
      leaseMs: options.leaderLeaseMs ?? 5000,
      workerTimeoutMs: options.workerTimeoutMs ?? 120_000,
    };
  }

  /** The id in `queue_workers`; null before `start()`. Changes if the worker had to re-register. */
  get id(): QueueWorkerId | null {
    return this.#id;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  get runningJobs(): number {
    return this.#running.size;
  }

  /** Registers the worker and starts its loop; resolves once it is running. */
  async start(): Promise<void> {
    if (this.#loop !== null) throw new Error('the worker is already started');
    await this.#register();
    await this.#wakeUps?.start(() => this.#wake());
    this.#loop = this.#run();
  }

  /** Stops claiming, lets running jobs finish (up to the shutdown timeout) and records the shutdown. */
  async stop(): Promise<void> {
    if (this.#loop === null || this.#stopping) return;
    this.#stopping = true;
    this.#wake();
    const loop = this.#loop;
    // The loop may be waiting for a connection a running job holds (SQLite has one), so the loop
    // and the jobs share one deadline.
    const drained = (async () => {
      await loop;
      await Promise.allSettled([...this.#running.values()].map((r) => r.promise));
    })();
    if (!(await within(drained, this.#shutdownTimeoutMs))) {
      this.#log('warn', 'jobs still running at shutdown; they will be retried by another worker', {
        count: this.#running.size,
      });
      for (const job of this.#running.values()) job.controller.abort();
      await within(loop, 10_000);
    }
    await this.#wakeUps?.stop();
    const id = this.#id;
    if (id === null) return;
    const shutdown = this.#storage
      .transaction((repos) => repos.queue.shutdownWorker(this.#rng, this.#clock, id))
      .then(
        () => true,
        (error: unknown) => {
          this.#log('warn', 'could not record the worker shutdown; the leader will time it out', {
            error: describe(error),
          });
          return true;
        },
      );
    // A job stuck inside its transaction can hold SQLite's only connection: do not hang on it.
    if (!(await within(shutdown, 10_000))) {
      this.#log(
        'warn',
        'could not record the worker shutdown in time; the leader will time it out',
      );
    }
    this.#leader = false;
    this.#log('info', 'worker stopped', { worker: id });
  }

  /**
   * Stops the loop at once without telling the database, as a crash would: other workers notice
   * only when the leader lease and the heartbeat time out. Running jobs are aborted through their
   * signal. For failover tests.
   */
  async kill(): Promise<void> {
    if (this.#loop === null || this.#stopping) return;
    this.#stopping = true;
    this.#wake();
    for (const job of this.#running.values()) job.controller.abort();
    await within(this.#loop, 10_000);
    await this.#wakeUps?.stop();
    this.#leader = false;
  }

  async #register(): Promise<void> {
    const worker = await this.#storage.transaction((repos) =>
      repos.queue.registerWorker(this.#rng, this.#clock),
    );
    this.#id = worker.id;
    this.#lastHeartbeatMs = worker.lastSeenAt.getTime();
    this.#log('info', 'worker registered', { worker: worker.id, queues: this.#queueNames });
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        if (monotonicMs() >= this.#nextPollAt) {
          // Set first: a failing database must not turn the loop into a busy loop.
          this.#nextPollAt = monotonicMs() + this.#jitteredInterval();
          await this.#poll();
        }
        await this.#claimAndStart();
      } catch (error) {
        this.#log('error', 'worker loop failed; retrying at the next poll', {
          error: describe(error),
        });
      }
      await this.#sleep(this.#nextPollAt - monotonicMs());
    }
  }

  /** Heartbeat when due, then the leader lease and duties. */
  async #poll(): Promise<void> {
    const id = this.#id!;
    const now = this.#clock.now().getTime();
    if (now - this.#lastHeartbeatMs >= this.#heartbeatIntervalMs) {
      const alive = await this.#storage.transaction((repos) =>
        repos.queue.heartbeat(this.#clock, id),
      );
      this.#lastHeartbeatMs = now;
      if (!alive) {
        // The leader declared us dead (we were silent too long): our running jobs were retried
        // elsewhere, and their completions here will roll back. Carry on under a new identity.
        this.#log('warn', 'this worker was declared dead while it was silent; registering again', {
          worker: id,
        });
        this.#leader = false;
        await this.#register();
        return;
      }
    }
    const leader = await tryLead(this.#leaderDeps, id);
    if (leader !== this.#leader) {
      this.#log('info', leader ? 'became the queue leader' : 'is no longer the queue leader', {
        worker: id,
      });
      this.#leader = leader;
    }
    if (leader) await runLeaderDuties(this.#leaderDeps);
  }

  async #claimAndStart(): Promise<void> {
    while (!this.#stopping) {
      const free = this.#concurrency - this.#running.size;
      if (free <= 0) return;
      const want = Math.min(this.#batchSize, free);
      const id = this.#id!;
      const jobs = await this.#storage.transaction((repos) =>
        repos.queue.claim(this.#clock, id, this.#queueNames, want),
      );
      // Claimed while stopping: leave them `running`; the shutdown marks them lost and another
      // worker runs them at once.
      if (this.#stopping) return;
      for (const job of jobs) this.#start(job);
      if (jobs.length < want) return;
    }
  }

  #start(job: QueueJob): void {
    const controller = new AbortController();
    const promise = this.#execute(job, controller.signal).finally(() => {
      this.#running.delete(job.id);
      // A slot is free: claim again without waiting for the next poll.
      this.#wake();
    });
    this.#running.set(job.id, { promise, controller });
  }

  async #execute(job: QueueJob, signal: AbortSignal): Promise<void> {
    const handler = this.#jobs[job.queueName]!;
    const fields = { job: job.id, queue: job.queueName, attempt: job.attempt };
    const common = { job, clock: this.#clock, rng: this.#rng, log: this.#log, signal };
    try {
      if (typeof handler === 'function') {
        await this.#storage.transaction(async (repos) => {
          await handler(job.payload, { ...common, repos });
          if (!(await repos.queue.complete(this.#clock, job.id))) throw new JobLostError();
        });
      } else {
        await handler.run(job.payload, {
          ...common,
          storage: this.#storage,
          services: this.#services,
        });
        await this.#storage.transaction(async (repos) => {
          if (!(await repos.queue.complete(this.#clock, job.id))) throw new JobLostError();
        });
      }
      this.#log('debug', 'job completed', fields);
    } catch (error) {
      if (error instanceof JobLostError) {
        this.#log(
          'warn',
          'job finished after it was declared lost; its completion was not recorded',
          fields,
        );
        return;
      }
      const reason = describe(error);
      try {
        const outcome = await this.#storage.transaction((repos) =>
          repos.queue.fail(this.#rng, this.#clock, job.id, reason),
        );
        if (outcome.retry !== null) {
          this.#log('warn', 'job failed; it will be retried', {
            ...fields,
            error: reason,
            retryAt: outcome.retry.scheduledAt?.toISOString(),
          });
        } else if (outcome.recorded) {
          this.#log('error', 'job failed for the last time', { ...fields, error: reason });
        }
      } catch (failError) {
        this.#log('error', 'could not record a job failure', {
          ...fields,
          error: describe(failError),
        });
      }
    }
  }

  #jitteredInterval(): number {
    // 0.9–1.1 × the interval, so workers started together do not poll in lockstep.
    return this.#pollIntervalMs * (0.9 + randomInt(this.#rng, 201) / 1000);
  }

  #wake(): void {
    if (this.#wakeSleeper !== null) this.#wakeSleeper();
    else this.#woken = true;
  }

  #sleep(ms: number): Promise<void> {
    if (this.#woken || this.#stopping || ms <= 0) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakeSleeper = null;
        this.#woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeSleeper = done;
    });
  }
}
