// `gatehouse worker`: runs only the background worker (MAS `mas-cli worker`), until SIGTERM or
// SIGINT, then stops gracefully. `startWorker` is shared with `gatehouse server`, which runs the
// same worker in-process unless `--no-worker`.

import type { Command } from 'commander';
import type { Clock } from '../clock.ts';
import type { Rng } from '../rng.ts';
import type { SqlStorage } from '../storage/sql/sql-storage.ts';
import { createLogger, type LogLevel, type Logger } from '../telemetry/logger.ts';
import { loadTemplates } from '../templates/templates.ts';
import type { HomeserverConnection } from '../matrix/homeserver-connection.ts';
import { jobRegistryWith, jobSchedules } from '../worker/jobs/index.ts';
import { postgresWakeUps } from '../worker/notifications.ts';
import type { JobServices } from '../worker/job-services.ts';
import type { WorkerLog } from '../worker/queue.ts';
import { Worker } from '../worker/worker.ts';
import type { RootConfig } from '../config/root.ts';
import { homeserverConnection } from '../matrix/connection-factory.ts';
import { CliError, type CliContext } from './context.ts';
import { assertMigrated, catchSignals, oneLine, openStorage } from './lifecycle.ts';
import { jobServicesFor } from './job-services.ts';
import { loadConfigForCommand, logLevelFor } from './load-config.ts';

export interface WorkerDeps {
  /** An open, migrated storage; the caller closes it after `worker.stop()`. */
  readonly storage: SqlStorage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  /** The homeserver the Matrix jobs call; null (or absent) without a `matrix` section. */
  readonly homeserver?: HomeserverConnection | null;
  /** The mailer, templates and public URL the mail jobs use (./job-services.ts). */
  readonly services?: JobServices;
}

/** The most jobs one worker runs at once (MAS runs 10). */
const MAX_CONCURRENCY = 10;

/** Writes the worker's reports to the process logger. */
export function workerLogFor(logger: Logger): WorkerLog {
  return (level, message, fields) => logger[level](fields ?? {}, message);
}

/**
 * The homeserver connection of the `matrix` section (null without one), for the HTTP app and the
 * worker. A secret file that cannot be read is a one-line CLI error.
 */
export function homeserverFor(config: RootConfig, logger: Logger): HomeserverConnection | null {
  try {
    const log = logger.child({ component: 'homeserver' });
    return homeserverConnection(config.matrix, {
      logSkippedWrite: (message, fields) => log.info(fields, message),
    });
  } catch (error) {
    throw new CliError(`matrix: ${oneLine(error)}`);
  }
}

/** Starts a worker running every Gatehouse job and schedule; resolves once it is registered. */
export async function startWorker(deps: WorkerDeps): Promise<Worker> {
  const log = workerLogFor(deps.logger.child({ component: 'worker' }));
  const pool = deps.storage.connection.pool;
  // Each running job holds a pooled connection for its transaction: keep one free for the
  // worker's own heartbeat and claims, or a pool full of slow jobs would make it look dead.
  const poolSize = pool?.options.max ?? MAX_CONCURRENCY + 1;
  const worker = new Worker({
    storage: deps.storage,
    clock: deps.clock,
    rng: deps.rng,
    log,
    jobs: jobRegistryWith({ homeserver: deps.homeserver ?? null }),
    schedules: jobSchedules,
    services: deps.services ?? {},
    wakeUps:
      pool !== null && deps.storage.connection.dialect.supportsNotify
        ? postgresWakeUps(pool, log)
        : null,
    concurrency: Math.max(1, Math.min(MAX_CONCURRENCY, poolSize - 1)),
  });
  await worker.start();
  return worker;
}

export function registerWorkerCommand(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description(
      'run the background worker only (jobs and scheduled tasks), until SIGTERM or SIGINT',
    )
    .action(async (_options: unknown, command: Command) => {
      const { config } = loadConfigForCommand(ctx, command);
      const logger = createLogger({
        level: logLevelFor(ctx, command) as LogLevel,
        clock: ctx.clock,
      });
      // Caught before starting, so a signal during start-up still stops the worker cleanly.
      const signals = catchSignals(() =>
        logger.info('SIGHUP received: the worker has nothing to reload'),
      );
      const { storage, where } = openStorage(config.database, ctx.cwd);
      try {
        await assertMigrated(storage, where);
        const worker = await startWorker({
          storage,
          clock: ctx.clock,
          rng: ctx.rng,
          logger,
          homeserver: homeserverFor(config, logger),
          services: jobServicesFor(
            config,
            loadTemplates({
              path: config.templates.path,
              translationsPath: config.templates.translations_path,
              branding: config.branding,
              ...(config.matrix ? { defaultServiceName: config.matrix.homeserver } : {}),
              logger,
            }),
            logger,
          ),
        });
        logger.info({ database: where, worker: worker.id }, 'worker started');
        const signal = await signals.stop;
        logger.info({ signal }, 'stopping the worker');
        await worker.stop();
        logger.info('stopped');
      } finally {
        signals.dispose();
        await storage.close().catch(() => {});
      }
    });
}
